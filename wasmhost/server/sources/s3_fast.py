"""PutObject on the fast path: small uploads answered by the front door (server/http/)
without lending them to aiohttp.

Lending a request to aiohttp (a protocol object per request, the request parsed a
second time, routing, the middlewares, a response object) cost about half the event
loop's time per 1 KB PutObject. The front door has already framed the request and
read its body, so a PutObject whose whole body is here (a ``Content-Length`` of at
most ``STREAM_FROM``, 1 MiB) is answered from it, by the same ``S3Api.put`` as
aiohttp's route: SigV4 (also ``aws-chunked`` with per-chunk signatures), the digests,
the store. Everything else S3 (larger or chunked bodies, which stream; CopyObject;
the other operations) is still aiohttp's, unchanged.

Which requests are S3's is decided as ``S3Api.claims`` decides it: signed for the
service "s3", or unsigned and about an existing bucket (whose names never collide
with the server's own paths, buckets/names.py)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Awaitable, Callable
from urllib.parse import unquote

from ...buckets import BucketError, ObjectInfo
from ..http.protocol import STREAM_FROM  # larger bodies stream on to aiohttp
from ..reply import Lines, Reply
from . import s3_body
from .s3 import _SCOPE, Call, S3Api

if TYPE_CHECKING:
    from ..http.exchange import Request
    from ..http.routes import Front

class FastS3:
    def __init__(self, api: S3Api) -> None:
        self.api = api

    def claim(self, req: Request) -> Callable[[Front, Request, str], Awaitable[Reply | asyncio.Future[Reply]]] | None:
        """``put`` for a PutObject whose body the front door holds whole, else None."""
        h = req.headers
        if req.method != "PUT" or "x-amz-copy-source" in h or "x-amz-target" in h:
            return None
        length = h.get("content-length")
        if length is None or not (length.isascii() and length.isdigit()) or int(length) > STREAM_FROM:
            return None
        if req.query and any(not p.startswith("x-id=") for p in req.query.split("&")):  # boto3 adds x-id=PutObject
            return None  # UploadPart, the subresources: aiohttp's
        bucket, _, key = req.path[1:].partition("/")
        if not key:
            return None
        m = _SCOPE.search(h.get("authorization", ""))
        if m is not None:
            return self.put if m.group(1) == "s3" else None
        return self.put if (unquote(bucket) if "%" in bucket else bucket) in self.api.store.bucket_names() else None

    async def put(self, front: Front, req: Request, peer: str) -> Reply | asyncio.Future[Reply]:
        call = Call(req.headers, req.path, req.query, peer)
        api = self.api
        try:
            api.authorize(req.method, req.target, call)
            w, kw = await api.received(call, s3_body.Buffered(req.body))  # never waits: the body is here
        except BucketError as e:
            return api.error(req.method, req.path, call, e)
        except Exception as e:
            return api.failed(req.method, req.path, call, e)

        def answer(result: ObjectInfo | Exception) -> Reply:
            if isinstance(result, BucketError):
                return api.error(req.method, req.path, call, result)
            if isinstance(result, Exception):
                return api.failed(req.method, req.path, call, result)
            rid = call.request_id  # the head as lines, as S3 sends it: no body, no Content-Type
            return Reply(200, Lines(f'ETag: "{result.etag}"\r\nx-amz-request-id: {rid}\r\nx-amz-id-2: {rid}\r\n'))
        return api.group.submit(w, kw, answer)  # now, or a future of it: the front door waits without a task


FastS3.put.checks_auth = True  # type: ignore[attr-defined]  # the front door leaves SigV4 to S3 (S3's errors)
