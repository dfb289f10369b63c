"""Buckets: directories of plain files with S3's bookkeeping beside them, a
watcher for files other programs write, and S3's notifications. No HTTP here:
the server's S3 API (server/sources/s3.py) and the embedded ``LocalBuckets``
both sit on top."""

from .errors import BucketError
from .local import LocalBuckets
from .store import Buckets, ObjectInfo
from .watch import Watcher

__all__ = ["BucketError", "Buckets", "LocalBuckets", "ObjectInfo", "Watcher"]
