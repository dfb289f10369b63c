"""Buckets on the server: the store, the watcher over every bucket's directory
(``--bucket photos=/srv/camera`` adds directories it does not own), the S3 API,
the functions' own S3 endpoint (s3_functions.py) and the notifier, started and
stopped with the server (run.serve's ``sources``)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from ...buckets import Buckets, Watcher
from ..auth import AuthConfig
from ..errors import invalid
from ..lambda_model import Service
from ..lambda_model.packaging import MAX_UNZIPPED
from .s3 import S3Api
from .s3_fast import FastS3
from .s3_functions import FunctionEndpoint, install
from .s3_notify import Notifier, function_exists


class BucketSource:
    def __init__(self, service: Service, data_dir: str | Path, directories: dict[str, str] | None = None, *,
                 auth: AuthConfig | None = None, settle_s: float = 2.0, polling: bool = False,
                 functions: FunctionEndpoint | None = None) -> None:
        """``functions``: the functions' S3 endpoint, made and installed before the server
        restored its functions (serve builds this source only after it listens); one is
        made here if not."""
        self.store = Buckets(data_dir, region=service.region, function_exists=partial(function_exists, service))
        for name, path in (directories or {}).items():
            self.store.attach(name, path)
        self.watcher = Watcher(self.store, settle_s=settle_s, polling=polling)
        for name, _ in self.store.list_buckets():
            self.watcher.watch(name)
        self.store.on_bucket = self.watcher.watch
        self.store.on_bucket_deleted = self.watcher.unwatch
        self.api = S3Api(self.store, auth)
        self.fast_route = FastS3(self.api).claim  # small PutObjects, answered by the front door
        self.notifier = Notifier(service, self.store, self.watcher)
        if functions is None:
            functions = FunctionEndpoint()
            install(functions, service.deployer)
        functions.store = self.store  # served by the event sources in every worker (function_apis.py)
        self.functions = functions
        service.code_objects = self.code_object

    def code_object(self, bucket: str, key: str, version: str | None) -> bytes:
        """A function's or layer's zip named by S3Bucket/S3Key, with the words Lambda uses
        when its GetObject fails."""
        from ...buckets import BucketError
        try:
            if version not in (None, "null"):  # wasmhost keeps no versions: only the unversioned one exists
                raise BucketError("NoSuchVersion", "The specified version does not exist.")
            info = self.store.head(bucket, key)
            if info.size > MAX_UNZIPPED:
                raise invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
            with open(info.path, "rb") as f:
                return f.read()
        except BucketError as e:
            raise invalid(f"Error occurred while GetObject. S3 Error Code: {e.code}. S3 Error Message: {e.message}") \
                from None
        except FileNotFoundError:
            raise invalid("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified "
                          "key does not exist.") from None

    def middleware(self) -> Any:
        return self.api.middleware()

    async def start(self) -> None:
        await self.notifier.start()

    async def stop(self) -> None:
        await self.notifier.stop()
        await self.functions.stop()  # already stopped with the app's event sources, unless there were none
        self.store.close()
