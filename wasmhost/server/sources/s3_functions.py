"""Functions reach the buckets with boto3, through an S3 endpoint of their own.

Every function deployed on the server gets, in its environment, what boto3 needs to
find and sign for S3 without a line of configuration: ``AWS_ENDPOINT_URL_S3`` (boto3
>= 1.28 reads it), ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` (a key of its
own, as Lambda hands each function its role's credentials). Its outbound-HTTP
allow-list gets that endpoint's address, and nothing else is added.

Deny by default, twice:

- the endpoint is a **second listener on 127.0.0.1 that serves the S3 API only**. The
  server's main address is never granted: on loopback it asks no credentials, so a
  function allowed there could call the Lambda API (create functions, invoke others)
  or read /wasmhost/logs. The functions' listener answers S3 and nothing else, and
  only to requests signed with a function's key (also on loopback);
- a function's key opens **only the buckets its ``wasmhost:buckets`` tag names**
  (space-separated bucket names; AWS's tag values allow no ``*``), like the IAM policy
  a Lambda role needs. Anything else is S3's ``AccessDenied``, naming the tag.
  ListBuckets is refused (it would show every bucket's name).

Bytes a function reads and writes this way are metered apart from its outbound
traffic: ``bucket_bytes_read`` / ``bucket_bytes_written`` in its invocation report
(``Bucket Bytes Read: N  Bucket Bytes Written: N`` in the REPORT line), the ledger and
``/metrics`` (the http capability counts the bodies sent to and read from the
addresses in ``BUCKET_ENDPOINTS``, where this endpoint enters itself).

Keys and grants: function_grants.py. The same key reaches the server's SQS and
Lambda Invoke through a third listener (function_apis.py), granted by the
``wasmhost:queues`` and ``wasmhost:functions`` tags.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ...capabilities.http import BUCKET_ENDPOINTS
from ..auth import AuthConfig
from .function_grants import BUCKETS, FunctionKeys, grant_from_tags, key_id, listen

if TYPE_CHECKING:  # aiohttp and the bucket store load with start(): the endpoint is made before the server listens
    from aiohttp import web

    from ...buckets import Buckets
    from ...config import FunctionConfig
    from .function_apis import ApiEndpoint
    from .s3 import Call

TAG = BUCKETS
log = logging.getLogger("wasmhost.s3")


class FunctionEndpoint:
    """The functions' S3 listener: bound at once (the port goes into every function's
    environment when the server restores them, before it listens), serving the bucket
    store from ``start(store)``, once the store exists."""

    def __init__(self, apis: bool = True) -> None:
        """``apis``: also bind the endpoint of the server's other APIs (SQS, Lambda:
        function_apis.py), which ``Sources`` starts; an embedded Host has only buckets."""
        self.keys = FunctionKeys()
        self.apis: ApiEndpoint | None = None
        if apis:
            from .function_apis import ApiEndpoint
            self.apis = ApiEndpoint(self.keys)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.address}"
        self.runner: web.AppRunner | None = None
        self.store: Buckets | None = None  # the server's buckets, attached by BucketSource
        BUCKET_ENDPOINTS.add(("127.0.0.1", self.port))

    def configure(self, function: str, tags: dict[str, str], cfg: FunctionConfig) -> FunctionConfig:
        """A function's settings as it is deployed (``Deployer.adjusters``): the endpoints,
        its key, the endpoints in its allow-list. Its own AWS_ENDPOINT_URL_S3 (…_SQS,
        …_LAMBDA) wins (then the host it names must be in its wasmhost:allowed-hosts)."""
        akid, secret = self.keys.issue(grant_from_tags(function, tags))
        endpoints = {"AWS_ENDPOINT_URL_S3": self.url}
        allowed = tuple(cfg.allowed_hosts) + (self.address,)
        if self.apis is not None:
            endpoints.update(dict.fromkeys(self.apis.ENV, self.apis.url))
            allowed += (self.apis.address,)
        env = {**endpoints, **cfg.env, "AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret}
        return dataclasses.replace(cfg, env=env, allowed_hosts=allowed)

    async def start_all(self, service: Any, sources: Any) -> None:
        """Serve, in every process that runs the app (each of ``--workers N``; the
        buckets' watcher and notifier may run in only one): the S3 listener once the
        bucket store is attached, the other APIs' once the event sources exist."""
        if self.store is not None and self.runner is None:
            await self.start(self.store)
        if self.apis is not None:
            await self.apis.start(service, sources)

    def check(self, call: Call) -> None:
        """The calling function may use the bucket(s) of this request."""
        from ...buckets.errors import BucketError
        grant = self.keys.grant_of(key_id(call.headers.get("authorization", "")))
        function, buckets = grant.function, grant.buckets
        wanted = [call.bucket]
        source = call.headers.get("x-amz-copy-source")
        if source:  # CopyObject, UploadPartCopy read another bucket
            wanted.append(unquote(source.lstrip("/").partition("/")[0]))
        for bucket in wanted:
            if not bucket:
                raise BucketError("AccessDenied", f"Access Denied: functions work with the buckets their {TAG} "
                                  "tag names; listing every bucket is not granted.")
            if bucket not in buckets:
                raise BucketError("AccessDenied", f"Access Denied: function {function or '?'} may not use bucket "
                                  f"{bucket!r}; add it to the function's {TAG} tag (space-separated bucket names).")

    async def start(self, store: Buckets) -> None:
        from .s3 import S3Api
        api = S3Api(store, AuthConfig(required=True, keys=self.keys), access=self.check)
        self.runner = await listen(self.sock, api.handle)
        log.info("functions reach the buckets at %s (S3 only, each with its own key)", self.url)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        BUCKET_ENDPOINTS.discard(("127.0.0.1", self.port))
        self.sock.close()
        if self.apis is not None:
            await self.apis.stop()


def install(endpoint: FunctionEndpoint, deployer: Any) -> None:
    """Give every function deployed from now on the endpoint (``deployer``: the
    Service's ``Deployer``; the event sources start it, server/sources/__init__.py)."""
    deployer.adjusters.append(endpoint.configure)
    deployer.function_endpoint = endpoint


class EndpointThread:
    """The functions' S3 endpoint for an embedded Host (``LocalBuckets.grant``): a
    ``FunctionEndpoint`` served by an event loop of its own, in a daemon thread, so a
    program with no server (no event loop of its own) gets the same boto3 path as
    ``wasmhost serve``. Needs aiohttp (``pip install 'wasmhost[server]'``)."""

    def __init__(self, store: Buckets) -> None:
        import asyncio
        import threading
        self.endpoint = FunctionEndpoint(apis=False)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="wasmhost-bucket-s3", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.endpoint.start(store), self._loop).result(30)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        import asyncio
        if self._loop.is_closed():
            return
        try:
            asyncio.run_coroutine_threadsafe(self.endpoint.stop(), self._loop).result(30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
