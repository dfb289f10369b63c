"""S3's REST API, path style (``/BUCKET/KEY``), on the same server as Lambda's.

Routing: a request is S3's when its SigV4 credential scope names the service
"s3" (boto3 and the aws CLI always sign, also on loopback). An unsigned request
(curl, a browser, boto3 with ``signature_version=UNSIGNED``, a presigned URL) is
S3's when it names no ``X-Amz-Target`` (EventBridge and SQS speak JSON to ``POST
/``), aiohttp found no route of the server's own for its path, and its first path
segment is not one of the server's own (``buckets.names.ours``: Lambda's paths all
begin with a date, ``/2015-03-31/...``; ``/invoke``, ``/http``, ``/metrics``,
``/healthz``, ``/wasmhost``...): so an unknown bucket gets S3's ``NoSuchBucket``
(or ``InvalidBucketName``) as S3 would answer it, and an unknown Lambda path keeps
the server's JSON 404. Bucket names that would collide with the server's paths are
refused at CreateBucket, so one path never means two things.

Handlers work on the bucket store (wasmhost/buckets): object bodies stream from
the socket to a temporary file and from the file to the socket; nothing holds an
object in memory. Every error is S3's XML document."""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import os
import re
from typing import TYPE_CHECKING, Any, Awaitable, Callable, TypeVar
from urllib.parse import parse_qsl, quote, unquote

from aiohttp import web

from ...buckets import BucketError, Buckets, ObjectInfo
from ...buckets.names import ours
from ...buckets.store import ObjectWriter, copy_range
from ..auth import AuthConfig
from ..octets import as_text
from ..reply import Reply
from . import s3_body
from .s3_xml import doc, el, error_doc, http_date, iso, notification_from_xml, notification_to_xml, parse, text

if TYPE_CHECKING:
    from ..auth import Signed

log = logging.getLogger("wasmhost.s3")

MAX_META = 2048  # S3: user metadata headers, names and values together
OWNER = "<Owner><ID>wasmhost</ID><DisplayName>wasmhost</DisplayName></Owner>"
_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/[^/,]+/([^/,]+)/aws4_request")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
# names S3 answers NoSuchBucket for when missing: its older rules (us-east-1 held such buckets;
# botocore lets these through); anything else is InvalidBucketName
_LEGACY_BUCKET = re.compile(r"[A-Za-z0-9._-]{1,255}")
_SUBRESOURCES = ("acl", "policy", "cors", "lifecycle", "versioning", "website", "tagging", "encryption",
                 "replication", "logging", "accelerate", "ownershipControls", "publicAccessBlock", "object-lock",
                 "retention", "legal-hold", "analytics", "inventory", "metrics", "intelligent-tiering", "restore",
                 "select", "torrent", "versions", "attributes", "requestPayment")
# GET of a setting wasmhost does not keep answers what S3 answers for a bucket (or object) that
# never set it: tools read these before they act (Terraform's aws_s3_bucket, the aws CLI's s3api).
# Setting one, and the settings missing here, stay NotImplemented.
_GRANT = ('<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
          'xsi:type="CanonicalUser"><ID>wasmhost</ID><DisplayName>wasmhost</DisplayName></Grantee>'
          '<Permission>FULL_CONTROL</Permission></Grant></AccessControlList>')
_UNSET: dict[str, tuple[str, str] | bytes] = {
    "versioning": doc("VersioningConfiguration", []),
    "acl": doc("AccessControlPolicy", [OWNER, _GRANT]),
    "logging": doc("BucketLoggingStatus", []),
    "accelerate": doc("AccelerateConfiguration", []),
    "requestPayment": doc("RequestPaymentConfiguration", [el("Payer", "BucketOwner")]),
    "tagging": ("NoSuchTagSet", "The TagSet does not exist"),
    "policy": ("NoSuchBucketPolicy", "The bucket policy does not exist"),
    "cors": ("NoSuchCORSConfiguration", "The CORS configuration does not exist"),
    "website": ("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"),
    "lifecycle": ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
    "replication": ("ReplicationConfigurationNotFoundError", "The replication configuration was not found"),
    "publicAccessBlock": ("NoSuchPublicAccessBlockConfiguration",
                          "The public access block configuration was not found"),
    "ownershipControls": ("OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
    "object-lock": ("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"),
}
_UNSET_OBJECT = {"acl": _UNSET["acl"], "tagging": doc("Tagging", ["<TagSet></TagSet>"])}
_ID_PREFIX, _ids = os.urandom(4).hex().upper(), itertools.count()  # request ids: this process's, counted
Handler = Callable[[web.Request, "Call"], Awaitable[web.StreamResponse]]
T = TypeVar("T")


class Call:
    """What every handler needs about one request, from aiohttp's request or the fast
    path's (s3_fast.py). ``headers``: looked up by lower-case names."""

    __slots__ = ("headers", "bucket", "key", "query", "signed", "request_id", "source_ip")

    def __init__(self, headers: Any, raw_path: str, raw_query: str, source_ip: str) -> None:
        bucket, _, key = raw_path[1:].partition("/")
        self.headers = headers
        # strict: %FF is no UTF-8, and a key S3 could not hold (S3 answers 400 InvalidURI; check_key refuses it)
        self.bucket = unquote(bucket, errors="surrogateescape") if "%" in bucket else bucket
        self.key = unquote(key, errors="surrogateescape") if "%" in key else key
        self.query = dict(parse_qsl(raw_query, keep_blank_values=True)) if raw_query else {}
        self.signed: Signed | None = None
        self.request_id = f"{_ID_PREFIX}{next(_ids):08X}"
        self.source_ip = source_ip


class GroupCommit:
    """The PutObjects of one turn of the event loop committed together
    (``Buckets.commit_many``): one lock, one SQLite transaction for all of them, on
    the loop (no thread to hand them to: the work is CPU, and one core has no other).
    Each upload is answered only once its row is committed.

    Batching costs a future and a trip round the loop per upload, which a lone client
    pays for nothing (~50 µs of CPU a PUT at c=1, measured). So it is used only while
    uploads come together: every turn counts its uploads, and one that saw more than
    one switches batching on; a batch of one switches it off again."""

    def __init__(self, store: Buckets) -> None:
        self.store = store
        self.batching = False
        self._turn = 0  # uploads this turn of the loop
        self._batch: list[tuple[ObjectWriter, dict[str, Any], asyncio.Future[Any], Callable[[Any], Any]]] = []

    def submit(self, w: ObjectWriter, kw: dict[str, Any], answer: Callable[[ObjectInfo | Exception], T]) \
            -> T | asyncio.Future[T]:
        """Commit ``w`` now, or with the rest of this turn's uploads: ``answer``'s value
        for the stored object (or what stopped it), or a future of that value. The
        front door takes such a future as the answer itself (no task per upload)."""
        self._turn += 1
        loop = asyncio.get_running_loop()
        if self._turn == 1:
            loop.call_soon(self._turn_ended)
        if not self.batching:
            try:
                info = self.store.commit(w, **kw)
            except Exception as e:
                return answer(e)
            return answer(info)
        fut: asyncio.Future[T] = loop.create_future()
        self._batch.append((w, kw, fut, answer))
        if len(self._batch) == 1:
            loop.call_soon(self._flush)
        return fut

    async def commit(self, w: ObjectWriter, kw: dict[str, Any]) -> ObjectInfo:
        """``submit`` for a caller that awaits (aiohttp's routes): the object, or its error raised."""
        got = self.submit(w, kw, _same)
        if isinstance(got, asyncio.Future):
            got = await got
        if isinstance(got, Exception):
            raise got
        return got

    def _turn_ended(self) -> None:
        if self._turn > 1:
            self.batching = True
        self._turn = 0

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        if len(batch) == 1:
            self.batching = False
        try:
            results = self.store.commit_many([(w, kw) for w, kw, _, _ in batch])
        except Exception as e:  # the lock or the store failed before any writer was tried
            for w, _, _, _ in batch:
                w.abort()
            results = [e] * len(batch)
        for (_, _, fut, answer), result in zip(batch, results):
            if fut.done():  # its request was cancelled (the client left): the object is stored all the same
                continue
            try:
                fut.set_result(answer(result if isinstance(result, (ObjectInfo, Exception)) else
                                      RuntimeError(f"commit failed: {result!r}")))
            except Exception as e:  # a bug in answer(): the caller's 500
                fut.set_exception(e)


def _same(result: Any) -> Any:
    return result


class S3Api:
    def __init__(self, store: Buckets, auth: AuthConfig | None = None,
                 access: Callable[[Call], None] | None = None) -> None:
        self.store = store
        self.auth = auth or AuthConfig()
        self.access = access  # raises AccessDenied for a signer not granted the bucket (s3_functions.py)
        self.group = GroupCommit(store)

    # -- routing --------------------------------------------------------------------
    def claims(self, request: web.Request) -> bool:
        m = _SCOPE.search(request.headers.get("Authorization", ""))
        if m is not None:
            return m.group(1) == "s3"
        if "X-Amz-Target" in request.headers:
            return False
        # unsigned (curl, a browser): S3's only where S3 has something to say
        path = request.raw_path.partition("?")[0]
        if path == "/" and request.method in ("GET", "HEAD"):  # ListBuckets (JSON APIs POST to /)
            return True
        exc = request.match_info.http_exception  # none of the server's own routes has this path
        if exc is None or exc.status != 404:
            return False
        bucket = unquote(path[1:].partition("/")[0])
        return path.startswith("/") and bool(bucket) and not ours(bucket)  # (not CONNECT's host:port)

    def middleware(self) -> Any:
        @web.middleware
        async def s3(request: web.Request, handler: Any) -> web.StreamResponse:
            if self.claims(request):
                return await self.handle(request)
            return await handler(request)
        return s3

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw_path, _, raw_query = request.raw_path.partition("?")
        call = Call(as_text(request.headers), raw_path, raw_query, request.remote or "")  # case-insensitive
        try:
            self.authorize(request.method, request.raw_path, call)
            resp = await self._route(request.method, call)(request, call)
        except BucketError as e:
            resp = self.error(request.method, request.path, call, e).response()
        except (asyncio.IncompleteReadError, ConnectionResetError):
            raise
        except Exception as e:
            resp = self.failed(request.method, request.path, call, e).response()
        resp.headers["x-amz-request-id"] = call.request_id
        resp.headers["x-amz-id-2"] = call.request_id
        return resp

    def authorize(self, method: str, target: str, call: Call) -> None:
        """SigV4 under the server's rules, then the caller's grant (the functions' endpoint),
        then the bucket: a missing one is ``NoSuchBucket`` whatever the operation (but
        CreateBucket), and a name S3 could never have held ``InvalidBucketName``."""
        if self.auth.required:
            call.signed = s3_body.authorize(self.auth, method, target, call.headers)
        if self.access is not None:
            self.access(call)
        if call.bucket and call.bucket not in self.store.bucket_names():
            if not _LEGACY_BUCKET.fullmatch(call.bucket):
                raise BucketError("InvalidBucketName", "The specified bucket is not valid.", BucketName=call.bucket)
            if not (method == "PUT" and not call.key and not call.query):
                raise BucketError("NoSuchBucket", "The specified bucket does not exist", BucketName=call.bucket)

    def error(self, method: str, path: str, call: Call, e: BucketError) -> Reply:
        """S3's XML error document (none for HEAD: S3 sends the status alone)."""
        if e.code in ("NoSuchBucket",) and "BucketName" not in e.fields:
            e.fields["BucketName"] = call.bucket
        headers = {"Content-Type": "application/xml", "x-amz-request-id": call.request_id,
                   "x-amz-id-2": call.request_id}
        if e.status == 405:
            headers["Allow"] = "GET, PUT, HEAD, POST, DELETE"
        return Reply(e.status, headers, b"" if method == "HEAD" else error_doc(e, call.request_id, path))

    def failed(self, method: str, path: str, call: Call, e: Exception) -> Reply:
        """A bug, or the disk failing: logged with its traceback, answered as S3 does."""
        log.error("S3 %s %s failed (request %s)", method, path, call.request_id, exc_info=e)
        return self.error(method, path, call, BucketError("InternalError", f"We encountered an internal error "
                          f"({type(e).__name__}). Please try again.", 500))

    def _route(self, method: str, call: Call) -> Handler:
        q = call.query
        if method == "GET" and call.bucket and any(sub in q for sub in (_UNSET_OBJECT if call.key else _UNSET)):
            return self.get_unset
        for sub in _SUBRESOURCES:
            if sub in q:
                raise BucketError("NotImplemented", f"wasmhost does not implement the ?{sub} subresource.")
        if not call.bucket:
            if method in ("GET", "HEAD"):
                return self.list_buckets
            raise BucketError("MethodNotAllowed", "The specified method is not allowed against this resource.")
        if not call.key:
            table: dict[str, Handler] = {"HEAD": self.head_bucket, "DELETE": self.delete_bucket}
            if "notification" in q:
                table = {"GET": self.get_notification, "PUT": self.put_notification}
            elif "location" in q:
                table = {"GET": self.get_location}
            elif "uploads" in q:
                table = {"GET": self.list_uploads}
            elif "delete" in q:
                table = {"POST": self.delete_objects}
            else:
                table.update({"PUT": self.create_bucket, "GET": self.list_objects})
        elif "uploadId" in q:
            table = {"PUT": self.upload_part, "GET": self.list_parts, "POST": self.complete_upload,
                     "DELETE": self.abort_upload}
        elif "uploads" in q:
            table = {"POST": self.create_upload}
        else:
            table = {"PUT": self.put_object, "GET": self.get_object, "HEAD": self.get_object,
                     "DELETE": self.delete_object}
        handler = table.get(method)
        if handler is None:
            raise BucketError("MethodNotAllowed", "The specified method is not allowed against this resource.")
        return handler

    # -- buckets ----------------------------------------------------------------------
    async def list_buckets(self, request: web.Request, call: Call) -> web.StreamResponse:
        prefix = call.query.get("prefix", "")
        after = _token_in(call.query.get("continuation-token", ""))
        limit = _int(call.query, "max-buckets", 10000, 1, 10000)
        rows = [(n, c) for n, c in self.store.list_buckets() if n.startswith(prefix) and n > after]
        more = len(rows) > limit
        rows = rows[:limit]
        parts = [OWNER, "<Buckets>"] + [f"<Bucket>{el('Name', n)}{el('CreationDate', iso(c))}"
                                        f"{el('BucketRegion', self.store.region)}</Bucket>" for n, c in rows]
        parts.append("</Buckets>")
        if more:
            parts.append(el("ContinuationToken", _token_out(rows[-1][0])))
        if prefix:
            parts.append(el("Prefix", prefix))
        return _xml(doc("ListAllMyBucketsResult", parts))

    async def create_bucket(self, request: web.Request, call: Call) -> web.StreamResponse:
        body = await s3_body.read_all(call.headers, request.content, call.signed, 64 * 1024)
        if body.strip():
            root = parse(body)
            if root.tag != "CreateBucketConfiguration":
                raise BucketError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                                  "against our published schema")
        self.store.create_bucket(call.bucket)
        return web.Response(headers={"Location": f"/{call.bucket}"})

    async def head_bucket(self, request: web.Request, call: Call) -> web.StreamResponse:
        self.store.bucket_dir(call.bucket)
        return web.Response(headers={"x-amz-bucket-region": self.store.region})

    async def get_location(self, request: web.Request, call: Call) -> web.StreamResponse:
        self.store.bucket_dir(call.bucket)
        region = "" if self.store.region == "us-east-1" else self.store.region
        return _xml(f'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint '
                    f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{region}</LocationConstraint>'.encode())

    async def get_unset(self, request: web.Request, call: Call) -> web.StreamResponse:
        """A setting wasmhost does not keep (``_UNSET``): S3's answer for one never set."""
        table = _UNSET_OBJECT if call.key else _UNSET
        if call.key:
            self.store.head(call.bucket, call.key)
        else:
            self.store.bucket_dir(call.bucket)
        answer = table[next(sub for sub in table if sub in call.query)]
        if isinstance(answer, tuple):
            raise BucketError(answer[0], answer[1], 404, BucketName=call.bucket)
        return _xml(answer)

    async def delete_bucket(self, request: web.Request, call: Call) -> web.StreamResponse:
        self.store.delete_bucket(call.bucket)
        return web.Response(status=204)

    async def get_notification(self, request: web.Request, call: Call) -> web.StreamResponse:
        return _xml(notification_to_xml(self.store.notification(call.bucket)))

    async def put_notification(self, request: web.Request, call: Call) -> web.StreamResponse:
        self.store.bucket_dir(call.bucket)
        config = notification_from_xml(await s3_body.read_all(call.headers, request.content, call.signed,
                                                                256 * 1024))
        self.store.put_notification(call.bucket, config)
        return web.Response()

    # -- listing ------------------------------------------------------------------------
    async def list_objects(self, request: web.Request, call: Call) -> web.StreamResponse:
        q = call.query
        v2 = q.get("list-type") == "2"
        prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
        limit = _int(q, "max-keys", 1000, 0, 2**31 - 1)
        encode = q.get("encoding-type")
        if encode not in (None, "url"):
            raise BucketError("InvalidArgument", "Invalid Encoding Method specified in Request",
                              ArgumentName="encoding-type", ArgumentValue=str(encode))

        def out(s: str) -> str:
            return quote(s, safe="/") if encode else s

        after, skip = "", ""
        if v2 and "continuation-token" in q:
            token = _token_in(q["continuation-token"])
            if token.startswith("p:"):
                skip = after = token[2:]
            elif token.startswith("k:"):
                after = token[2:]
            else:
                raise BucketError("InvalidArgument", "The continuation token provided is incorrect",
                                  ArgumentName="continuation-token")
        elif v2:
            after = q.get("start-after", "")
        else:
            after = q.get("marker", "")
            if delimiter and after.endswith(delimiter):
                skip = after
        self.store.bucket_dir(call.bucket)
        contents, prefixes, count, truncated, last = [], [], 0, False, ""
        items = self.store.list_objects(call.bucket, prefix, delimiter, after, skip)
        for name, info in items:
            if count >= limit:
                truncated = True
                break
            count += 1
            last = ("k:" if info is not None else "p:") + name
            if info is None:
                prefixes.append(f"<CommonPrefixes>{el('Prefix', out(name))}</CommonPrefixes>")
            else:
                contents.append(f"<Contents>{el('Key', out(name))}{el('LastModified', iso(info.modified))}"
                                f"{el('ETag', _quoted(info.etag))}{el('Size', info.size)}"
                                f"{el('StorageClass', 'STANDARD')}"
                                f"{OWNER if (not v2 or q.get('fetch-owner') == 'true') else ''}</Contents>")
        parts = [el("Name", call.bucket), el("Prefix", out(prefix))]
        if v2:
            if "continuation-token" in q:
                parts.append(el("ContinuationToken", q["continuation-token"]))
            if truncated:
                parts.append(el("NextContinuationToken", _token_out(last)))
            if q.get("start-after"):
                parts.append(el("StartAfter", out(q["start-after"])))
            parts.append(el("KeyCount", count))
        else:
            parts.append(el("Marker", out(q.get("marker", ""))))
            if truncated and delimiter:
                parts.append(el("NextMarker", out(last[2:])))
        parts.append(el("MaxKeys", limit))
        if delimiter:
            parts.append(el("Delimiter", out(delimiter)))
        if encode:
            parts.append(el("EncodingType", "url"))
        parts.append(el("IsTruncated", "true" if truncated else "false"))
        return _xml(doc("ListBucketResult", parts + contents + prefixes))

    # -- objects --------------------------------------------------------------------
    async def _receive(self, call: Call, content: Any, w: ObjectWriter) -> None:
        try:
            if isinstance(content, s3_body.Buffered) and not s3_body.is_chunked(call.headers):
                w.write(s3_body.whole(call.headers, content.body))
                return
            async for chunk in s3_body.payload(call.headers, content, call.signed):
                w.write(chunk)
        except BaseException:
            w.abort()
            raise

    async def put_object(self, request: web.Request, call: Call) -> web.StreamResponse:
        if "x-amz-copy-source" in request.headers:
            return await self.copy_object(request, call)
        return web.Response(headers={"ETag": _quoted((await self.put(call, request.content)).etag)})

    async def put(self, call: Call, content: Any) -> ObjectInfo:
        """PutObject's work for aiohttp's route (the fast path commits what ``received`` returns itself)."""
        return await self.group.commit(*await self.received(call, content))

    async def received(self, call: Call, content: Any) -> tuple[ObjectWriter, dict[str, Any]]:
        """A PutObject's body checked and written to its scratch file, and what its
        commit needs (``content``: a ``StreamReader`` or ``s3_body.Buffered``)."""
        _content_length(call.headers)
        meta = _metadata(call.headers)
        w = self.store.writer(call.bucket, call.key)
        await self._receive(call, content, w)
        return w, {"content_type": call.headers.get("content-type"), "metadata": meta, "source_ip": call.source_ip,
                   "request_id": call.request_id}

    async def get_object(self, request: web.Request, call: Call) -> web.StreamResponse:
        info = self.store.head(call.bucket, call.key)
        not_modified = _preconditions(request, info)
        headers = {"ETag": _quoted(info.etag), "Last-Modified": http_date(info.modified),
                   "Accept-Ranges": "bytes", "Content-Type": info.content_type}
        headers.update(_answer_headers(info.metadata))
        for q, h in (("response-content-type", "Content-Type"), ("response-content-disposition", "Content-Disposition"),
                     ("response-cache-control", "Cache-Control"), ("response-content-encoding", "Content-Encoding"),
                     ("response-content-language", "Content-Language"), ("response-expires", "Expires")):
            if q in call.query:
                if not call.query[q].isprintable():  # a line break would split the answer's head
                    raise BucketError("InvalidArgument", f"{q} must be printable text.", ArgumentName=q,
                                      ArgumentValue=call.query[q].encode("unicode_escape").decode())
                headers[h] = call.query[q]
        if not_modified:
            return web.Response(status=304, headers={k: headers[k] for k in ("ETag", "Last-Modified")})
        start, end = 0, info.size - 1
        status = 200
        rng = _RANGE.fullmatch(request.headers.get("Range", "").strip())
        if rng and (rng.group(1) or rng.group(2)):
            a, b = rng.groups()
            if not a:
                start, end = max(0, info.size - int(b)), info.size - 1
                if int(b) == 0:
                    raise _bad_range(info.size)
            else:
                start, end = int(a), min(int(b), info.size - 1) if b else info.size - 1
                if start >= info.size or (b and int(b) < start):
                    raise _bad_range(info.size)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
        count = end - start + 1 if info.size else 0
        resp = web.StreamResponse(status=status, headers=headers)
        resp.content_length = count
        resp.headers["x-amz-request-id"] = resp.headers["x-amz-id-2"] = call.request_id
        if request.method == "HEAD":
            await resp.prepare(request)
            await resp.write_eof()
            return resp
        try:
            f = open(info.path, "rb")
        except FileNotFoundError:
            raise BucketError("NoSuchKey", "The specified key does not exist.", Key=call.key) from None
        with f:
            await resp.prepare(request)
            await _send_file(request, resp, f, start, count)
        return resp

    async def delete_object(self, request: web.Request, call: Call) -> web.StreamResponse:
        self.store.delete(call.bucket, call.key, source_ip=call.source_ip, request_id=call.request_id)
        return web.Response(status=204)

    async def delete_objects(self, request: web.Request, call: Call) -> web.StreamResponse:
        self.store.bucket_dir(call.bucket)
        root = parse(await s3_body.read_all(call.headers, request.content, call.signed, 2 * 1024 * 1024))
        keys = [text(o, "Key") for o in root.findall("Object")]
        if root.tag != "Delete" or not keys or len(keys) > 1000:
            raise BucketError("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                              "our published schema (1 to 1000 Object elements)")
        quiet = text(root, "Quiet").lower() == "true"
        parts = []
        for key in keys:
            try:
                self.store.delete(call.bucket, key, source_ip=call.source_ip, request_id=call.request_id)
                if not quiet:
                    parts.append(f"<Deleted>{el('Key', key)}</Deleted>")
            except BucketError as e:
                parts.append(f"<Error>{el('Key', key)}{el('Code', e.code)}{el('Message', e.message)}</Error>")
        return _xml(doc("DeleteResult", parts))

    async def copy_object(self, request: web.Request, call: Call) -> web.StreamResponse:
        src_bucket, src_key, src = self._copy_source(request)
        directive = request.headers.get("x-amz-metadata-directive", "COPY").upper()
        if directive not in ("COPY", "REPLACE"):
            raise BucketError("InvalidArgument", "Unknown metadata directive.", ArgumentName="x-amz-metadata-directive",
                              ArgumentValue=directive)
        if (src_bucket, src_key) == (call.bucket, call.key) and directive == "COPY":
            raise BucketError("InvalidRequest", "This copy request is illegal because it is trying to copy an object "
                              "to itself without changing the object's metadata, storage class, website redirect "
                              "location or encryption attributes.")
        replace = directive == "REPLACE"
        info = await asyncio.get_running_loop().run_in_executor(None, lambda: self.store.copy(
            src_bucket, src_key, call.bucket, call.key, metadata=_metadata(call.headers) if replace else None,
            content_type=call.headers.get("Content-Type") if replace else None, source_ip=call.source_ip,
            request_id=call.request_id))
        return _xml(doc("CopyObjectResult", [el("LastModified", iso(info.modified)), el("ETag", _quoted(info.etag))]))

    def _copy_source(self, request: web.Request) -> tuple[str, str, ObjectInfo]:
        raw = unquote(request.headers["x-amz-copy-source"].partition("?")[0]).lstrip("/")
        src_bucket, _, src_key = raw.partition("/")
        if not src_key:
            raise BucketError("InvalidArgument", "Copy Source must mention the source bucket and key: "
                              "sourcebucket/sourcekey", ArgumentName="x-amz-copy-source")
        src = self.store.head(src_bucket, src_key)
        _preconditions(request, src, prefix="x-amz-copy-source-")
        return src_bucket, src_key, src

    # -- multipart uploads --------------------------------------------------------------
    async def create_upload(self, request: web.Request, call: Call) -> web.StreamResponse:
        upload = self.store.create_upload(call.bucket, call.key, request.headers.get("Content-Type"),
                                          _metadata(call.headers))
        return _xml(doc("InitiateMultipartUploadResult", [el("Bucket", call.bucket), el("Key", call.key),
                                                          el("UploadId", upload)]))

    async def upload_part(self, request: web.Request, call: Call) -> web.StreamResponse:
        upload, number = call.query["uploadId"], _int(call.query, "partNumber", 0, 1, 10000)
        w = self.store.part_writer(call.bucket, call.key, upload, number)
        if "x-amz-copy-source" in request.headers:  # UploadPartCopy
            src_bucket, src_key, src = self._copy_source(request)
            start, end = 0, src.size - 1
            rng = request.headers.get("x-amz-copy-source-range")
            if rng:
                m = re.fullmatch(r"bytes=(\d+)-(\d+)", rng.strip())
                if not m or int(m.group(1)) > int(m.group(2)) or int(m.group(2)) >= src.size:
                    w.abort()
                    raise BucketError("InvalidArgument", "The x-amz-copy-source-range value must be of the form "
                                      "bytes=first-last where first and last are the zero-based offsets of the first "
                                      "and last bytes to copy", ArgumentName="x-amz-copy-source-range")
                start, end = int(m.group(1)), int(m.group(2))
            await asyncio.get_running_loop().run_in_executor(None, copy_range, src.path, w, start, end, src_key)
            etag = self.store.commit_part(w, upload, number)
            return _xml(doc("CopyPartResult", [el("LastModified", iso(src.modified)), el("ETag", _quoted(etag))]))
        _content_length(call.headers)
        await self._receive(call, request.content, w)
        etag = self.store.commit_part(w, upload, number)
        return web.Response(headers={"ETag": _quoted(etag)})

    async def list_parts(self, request: web.Request, call: Call) -> web.StreamResponse:
        upload = call.query["uploadId"]
        self.store.upload(call.bucket, call.key, upload)
        after = _int(call.query, "part-number-marker", 0, 0, 10000)
        limit = _int(call.query, "max-parts", 1000, 0, 1000)
        rows = [r for r in self.store.parts(upload) if r[0] > after]
        shown = rows[:limit]
        parts = [el("Bucket", call.bucket), el("Key", call.key), el("UploadId", upload),
                 el("PartNumberMarker", after), el("MaxParts", limit),
                 el("IsTruncated", "true" if len(rows) > limit else "false")]
        if len(rows) > limit and shown:
            parts.append(el("NextPartNumberMarker", shown[-1][0]))
        parts += [f"<Part>{el('PartNumber', n)}{el('ETag', _quoted(e))}{el('Size', s)}</Part>" for n, s, e in shown]
        return _xml(doc("ListPartsResult", parts + [el("StorageClass", "STANDARD")]))

    async def list_uploads(self, request: web.Request, call: Call) -> web.StreamResponse:
        prefix = call.query.get("prefix", "")
        rows = [r for r in self.store.list_uploads(call.bucket) if r[0].startswith(prefix)]
        parts = [el("Bucket", call.bucket), el("Prefix", prefix), el("MaxUploads", 1000), el("IsTruncated", "false")]
        parts += [f"<Upload>{el('Key', k)}{el('UploadId', u)}{el('Initiated', iso(t))}"
                  f"{el('StorageClass', 'STANDARD')}</Upload>" for k, u, t in rows]
        return _xml(doc("ListMultipartUploadsResult", parts))

    async def complete_upload(self, request: web.Request, call: Call) -> web.StreamResponse:
        upload = call.query["uploadId"]
        root = parse(await s3_body.read_all(call.headers, request.content, call.signed, 4 * 1024 * 1024))
        try:
            chosen = [(int(text(p, "PartNumber")), text(p, "ETag")) for p in root.findall("Part")]
        except ValueError:
            raise BucketError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                              "against our published schema") from None
        info = await asyncio.get_running_loop().run_in_executor(None, lambda: self.store.complete_upload(
            call.bucket, call.key, upload, chosen, source_ip=call.source_ip, request_id=call.request_id))
        location = f"{request.scheme}://{request.host}/{call.bucket}/{quote(call.key)}"
        return _xml(doc("CompleteMultipartUploadResult", [el("Location", location), el("Bucket", call.bucket),
                                                          el("Key", call.key), el("ETag", _quoted(info.etag))]))

    async def abort_upload(self, request: web.Request, call: Call) -> web.StreamResponse:
        self.store.abort_upload(call.bucket, call.key, call.query["uploadId"])
        return web.Response(status=204)


# -- helpers ---------------------------------------------------------------------------
def _xml(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/xml")


def _quoted(etag: str) -> str:
    return f'"{etag}"'


def _int(q: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = q.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise BucketError("InvalidArgument", f"Argument {name} must be an integer between {low} and {high}",
                          ArgumentName=name, ArgumentValue=raw)
    return min(value, high)


def _token_out(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode("utf-8", "surrogatepass")).decode()


def _token_in(token: str) -> str:
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode()).decode("utf-8", "surrogatepass")
    except (ValueError, UnicodeDecodeError):
        raise BucketError("InvalidArgument", "The continuation token provided is incorrect",
                          ArgumentName="continuation-token") from None


# Headers S3 keeps with an object and answers on GET and HEAD (its "system metadata"),
# kept in the object's metadata under names no user metadata can have (no ':' in a header name).
STORED_HEADERS = ("cache-control", "content-disposition", "content-encoding", "content-language", "expires",
                  "x-amz-website-redirect-location")


def _metadata(headers: Any) -> dict[str, str]:
    meta = {k[11:].lower(): v for k, v in headers.items() if k[:11].lower() == "x-amz-meta-"}
    if sum(len(k) + len(v) for k, v in meta.items()) > MAX_META:
        raise BucketError("MetadataTooLarge", f"Your metadata headers exceed the maximum allowed metadata size "
                          f"({MAX_META} bytes).")
    for name in STORED_HEADERS:
        value = headers.get(name)
        if value and name == "content-encoding":  # the upload's own framing is not the object's
            value = ",".join(p for p in value.split(",") if p.strip().lower() != "aws-chunked")
        if value:
            meta[":" + name] = value
    return meta


def _answer_headers(metadata: dict[str, str]) -> dict[str, str]:
    """An object's stored headers and user metadata, as GET and HEAD answer them."""
    return {(k[1:] if k[:1] == ":" else f"x-amz-meta-{k}"): v for k, v in metadata.items()}


def _content_length(headers: Any) -> None:
    if "content-length" not in headers and "chunked" not in headers.get("transfer-encoding", "").lower():
        raise BucketError("MissingContentLength", "You must provide the Content-Length HTTP header.", 411)


def _bad_range(size: int) -> BucketError:
    return BucketError("InvalidRange", "The requested range is not satisfiable", ActualObjectSize=str(size))


def _preconditions(request: web.Request, info: ObjectInfo, prefix: str = "") -> bool:
    """S3's conditional headers: raises 412; True means answer 304 (GetObject only)."""
    h = request.headers
    etag = _quoted(info.etag)

    def tags(value: str) -> list[str]:
        return [t.strip() for t in value.split(",")]

    match, none = h.get(prefix + "if-match"), h.get(prefix + "if-none-match")
    since, unmodified = h.get(prefix + "if-modified-since"), h.get(prefix + "if-unmodified-since")
    if match is not None and not ("*" in tags(match) or etag in tags(match) or info.etag in tags(match)):
        raise BucketError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                          Condition=prefix + "If-Match")
    if match is None and unmodified is not None and _date(unmodified) is not None \
            and int(info.modified) > _date(unmodified):  # type: ignore[operator]
        raise BucketError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                          Condition=prefix + "If-Unmodified-Since")
    if none is not None and ("*" in tags(none) or etag in tags(none) or info.etag in tags(none)):
        if prefix:
            raise BucketError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                              Condition=prefix + "If-None-Match")
        return True
    if none is None and since is not None and _date(since) is not None \
            and int(info.modified) <= _date(since):  # type: ignore[operator]
        if prefix:
            raise BucketError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                              Condition=prefix + "If-Modified-Since")
        return True
    return False


def _date(value: str) -> float | None:
    from email.utils import parsedate_to_datetime
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


async def _send_file(request: web.Request, resp: web.StreamResponse, f: Any, offset: int, count: int) -> None:
    """File to socket with the kernel's sendfile where the loop has it (the fast
    path lends aiohttp a wrapper: sendfile goes to the real transport under it),
    else in 1 MiB reads off the loop."""
    if count <= 0:
        await resp.write_eof()
        return
    transport = request.transport
    real = getattr(transport, "_transport", transport)
    loop = asyncio.get_running_loop()
    sent = False
    if real is not None and not real.is_closing():
        try:
            await loop.sendfile(real, f, offset, count, fallback=False)
            sent = True
        except (NotImplementedError, RuntimeError, AttributeError, TypeError):
            pass
    if not sent:
        pos, left = offset, count
        while left > 0:
            chunk = await loop.run_in_executor(None, os.pread, f.fileno(), min(left, 1 << 20), pos)
            if not chunk:
                break
            await resp.write(chunk)
            pos += len(chunk)
            left -= len(chunk)
    await resp.write_eof()
