"""Which bucket names and object keys a bucket directory can hold.

A bucket is a plain directory and an object key is a relative file path in it,
so another program (a camera, ``cp``) and a function see the same files. Keys S3
allows but a file system cannot hold as a path ("a//b", "a/../b", a trailing
"/", a 300-byte segment) are refused with a clear error instead of being mangled
into another name: the file's path is the key, always."""

from __future__ import annotations

import re
from pathlib import Path

from .errors import BucketError

META_DIR = ".wasmhost"  # per bucket: uploads in flight, parts; never an object, never watched
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP = re.compile(r"\d+\.\d+\.\d+\.\d+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # Lambda's API versions (/2015-03-31/...) share the server
# the server's own first path segments: path-style S3 cannot have buckets by these names
RESERVED = frozenset({"invoke", "http", "metrics", "healthz", "wasmhost", "lambda-url",
                      "000000000000"})  # SQS queue URLs: /000000000000/NAME
MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 255  # a file name on ext4, xfs, btrfs, tmpfs


def check_bucket_name(name: str) -> str:
    """S3's rules for new general-purpose buckets, plus the server's own paths."""
    if not isinstance(name, str) or not _BUCKET.fullmatch(name) or ".." in name or ".-" in name \
            or "-." in name or _IP.fullmatch(name) or name.startswith(("xn--", "sthree-")) \
            or name.endswith(("-s3alias", "--ol-s3", "--x-s3")):
        raise BucketError("InvalidBucketName", "The specified bucket is not valid.", BucketName=name)
    if ours(name):
        raise BucketError("InvalidBucketName", f"The bucket name {name!r} is a path this server's other APIs use "
                          "(Lambda's /YYYY-MM-DD/..., /lambda-url, /invoke, /http, /metrics, /healthz, /wasmhost, "
                          "SQS's /000000000000).",
                          BucketName=name)
    return name


def ours(segment: str) -> bool:
    """Whether a path's first segment is one of the server's own APIs' (never a bucket)."""
    return segment in RESERVED or _DATE.fullmatch(segment) is not None


def check_key(key: str) -> str:
    if key.isascii() and len(key) <= MAX_SEGMENT_BYTES and "/" not in key and "\0" not in key \
            and key not in ("", ".", "..", META_DIR):
        return key  # most keys: one short ASCII file name (the rules below, decided at once)
    if not key:
        raise BucketError("InvalidArgument", "An object key must not be empty.")
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are no UTF-8, percent-encoded (%FF)
        raise BucketError("InvalidURI", "Couldn't parse the specified URI: an object key must be UTF-8.",
                          URI=key.encode("utf-8", "surrogateescape").decode("latin-1")) from None
    if len(raw) > MAX_KEY_BYTES:
        raise BucketError("KeyTooLongError", "Your key is too long", 400)
    segments = key.split("/")
    if "\0" in key or any(s in ("", ".", "..") for s in segments) or segments[0] == META_DIR \
            or any(len(s.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES for s in segments):
        raise BucketError("InvalidArgument", f"wasmhost keeps each object as a plain file named by its key, and "
                          f"{key!r} is no file path (no empty, '.' or '..' segments, no trailing '/', segments of "
                          f"at most {MAX_SEGMENT_BYTES} bytes, not under {META_DIR}/).", Key=key)
    return key


def key_path(root: Path, key: str) -> Path:
    return root.joinpath(*check_key(key).split("/"))


def path_key(root: Path, path: Path) -> str | None:
    """The key of a file under ``root``, or None for the bucket's own bookkeeping."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return None
    parts = rel.parts
    if not parts or parts[0] == META_DIR:
        return None
    return "/".join(parts)
