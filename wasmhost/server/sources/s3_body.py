"""An S3 request's payload, checked as it streams: SigV4 under the server's auth
rules (server/auth.py), ``aws-chunked`` decoding with per-chunk signatures, and
the digests a client may send (``x-amz-content-sha256``, ``Content-MD5``,
``x-amz-checksum-crc32|sha1|sha256``). Nothing is held in memory beyond one chunk;
a mismatch raises S3's error before the object is committed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import zlib
from typing import Any, AsyncIterator
from urllib.parse import unquote

from ...buckets import BucketError
from ..auth import AuthConfig, Signed, presigned_verify, same, sigv4_verify

EMPTY_SHA = hashlib.sha256(b"").hexdigest()
_HEX64 = re.compile(r"[0-9a-f]{64}")
_STREAMING = ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
              "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
_LITERAL = ("UNSIGNED-PAYLOAD",) + _STREAMING
MAX_CHUNK_HEAD = 4096
# verified where sent; CRC32C / CRC64NVME would need awscrt and are accepted unchecked
_CHECKSUMS = ("x-amz-checksum-sha256", "x-amz-checksum-sha1", "x-amz-checksum-crc32")


def authorize(cfg: AuthConfig, method: str, target: str, headers) -> Signed | None:
    """The same rule as the Lambda API: nothing asked on loopback; otherwise a valid
    SigV4 header signature with a configured key, or a presigned URL made with one."""
    if not cfg.required:
        return None
    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256"):
        if "X-Amz-Signature=" in target or "Signature=" in target:  # a presigned URL (SigV4, or boto3's V2)
            presigned = presigned_verify(method, target, headers, cfg.keys) if "X-Amz-Signature=" in target \
                else _presigned_v2(method, target, headers, cfg.keys)
            if presigned == "expired":
                raise BucketError("AccessDenied", "Request has expired")
            if isinstance(presigned, str):
                raise BucketError("SignatureDoesNotMatch", "The request signature we calculated does not match "
                                  "the signature you provided. Check your key and signing method.")
            return presigned
        raise BucketError("AccessDenied", "Access Denied: sign the request with SigV4 and a configured key.")
    claimed = headers.get("x-amz-content-sha256", "")
    if not (claimed in _LITERAL or _HEX64.fullmatch(claimed)):
        raise BucketError("InvalidRequest", "Missing or invalid required header for this request: "
                          "x-amz-content-sha256")
    signed = sigv4_verify(method, target, headers, claimed, cfg.keys, s3=True)
    if signed is None:
        raise BucketError("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                          "signature you provided. Check your key and signing method.")
    return signed


# the query parameters SigV2 signs (botocore's auth.HmacV1Auth.QSA_OF_INTEREST)
_V2_SUBRESOURCES = frozenset({
    "accelerate", "acl", "cors", "defaultObjectAcl", "location", "logging", "partNumber", "policy", "requestPayment",
    "torrent", "versioning", "versionId", "versions", "website", "uploads", "uploadId", "response-content-type",
    "response-content-language", "response-expires", "response-cache-control", "response-content-disposition",
    "response-content-encoding", "delete", "lifecycle", "tagging", "restore", "storageClass", "notification",
    "replication", "analytics", "metrics", "inventory", "select", "select-type", "object-lock"})


def _presigned_v2(method: str, target: str, headers: Any, keys: dict[str, str]) -> Signed | str:
    """A presigned URL in S3's older query signing (``AWSAccessKeyId``, ``Expires``,
    ``Signature``): what boto3's ``generate_presigned_url`` makes for S3 unless told
    ``signature_version="s3v4"``. Returns a ``Signed`` without a key (no chunks follow),
    or why not: "expired", "signature"."""
    path, _, query = target.partition("?")
    pairs = [(unquote(k), unquote(v)) for k, eq, v in (p.partition("=") for p in query.split("&") if p)]
    params = dict(pairs)
    secret = keys.get(params.get("AWSAccessKeyId", ""))
    expires = params.get("Expires", "")
    if secret is None or not (expires.isascii() and expires.isdigit()) or "Signature" not in params:
        return "signature"
    if time.time() > int(expires):
        return "expired"
    subs = sorted((k, v) for k, v in pairs if k in _V2_SUBRESOURCES)
    resource = path + ("?" + "&".join(f"{k}={v}" if v else k for k, v in subs) if subs else "")
    amz = "".join(f"{k}:{headers[k].strip()}\n" for k in sorted(k for k in headers if k.lower().startswith("x-amz-")))
    to_sign = f"{method}\n{headers.get('content-md5', '')}\n{headers.get('content-type', '')}\n{expires}\n{amz}{resource}"
    want = base64.b64encode(hmac.new(secret.encode(), to_sign.encode("utf-8", "surrogatepass"), hashlib.sha1).digest()).decode()
    if not same(want, params["Signature"]):
        return "signature"
    return Signed(b"", expires, "", params["Signature"])


class _Checks:
    """The digests a client sent, fed the decoded bytes and compared at the end."""

    def __init__(self, headers) -> None:
        self.items: list[tuple[str, object, str]] = []  # (header, hasher, expected)
        claimed = headers.get("x-amz-content-sha256", "")
        if _HEX64.fullmatch(claimed):
            self.items.append(("x-amz-content-sha256", hashlib.sha256(), claimed))
        if "content-md5" in headers:
            self.items.append(("content-md5", hashlib.md5(), headers["content-md5"]))
        for name in _CHECKSUMS:
            if name in headers:
                self.add(name, headers[name])
        trailer = headers.get("x-amz-trailer", "").strip().lower()
        if trailer in _CHECKSUMS:  # its value comes after the data: hash from the start
            self.add(trailer, "")

    def add(self, name: str, expected: str) -> None:
        hasher = {"x-amz-checksum-sha256": hashlib.sha256, "x-amz-checksum-sha1": hashlib.sha1}.get(name)
        self.items.append((name, hasher() if hasher else _Crc32(), expected))

    def trailer(self, name: str, value: str) -> None:
        for i, (n, h, expected) in enumerate(self.items):
            if n == name and not expected:
                self.items[i] = (n, h, value)

    def update(self, data: bytes) -> None:
        for _, h, _ in self.items:
            h.update(data)  # type: ignore[attr-defined]

    def verify(self) -> None:
        for name, h, expected in self.items:
            if not expected:
                raise BucketError("InvalidRequest", f"The trailer {name} was announced in x-amz-trailer but "
                                  "not sent.")
            if name == "x-amz-content-sha256":
                if h.hexdigest() != expected:  # type: ignore[attr-defined]
                    raise BucketError("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does "
                                      "not match what was computed.", ClientComputedContentSHA256=expected,
                                      S3ComputedContentSHA256=h.hexdigest())  # type: ignore[attr-defined]
            elif base64.b64encode(h.digest()).decode() != expected.strip():  # type: ignore[attr-defined]
                if name == "content-md5":
                    raise BucketError("BadDigest", "The Content-MD5 you specified did not match what we received.")
                raise BucketError("BadDigest", f"The {name[15:].upper()} you specified did not match the "
                                  "calculated checksum.")


class _Crc32:
    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


def is_chunked(headers: Any) -> bool:
    return headers.get("x-amz-content-sha256", "") in _STREAMING or \
        "aws-chunked" in headers.get("content-encoding", "").lower()


class Buffered:
    """A body already read whole (the fast path holds bodies up to 1 MiB) behind the
    few methods of aiohttp's ``StreamReader`` this module reads with, so a buffered
    and a streamed request are checked by the same code."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self._view = memoryview(body)
        self._pos = 0

    def at_eof(self) -> bool:
        return self._pos >= len(self._view)

    async def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        while not self.at_eof():
            yield await self.readexactly(min(n, len(self._view) - self._pos))

    async def readexactly(self, n: int) -> bytes:
        if self._pos + n > len(self._view):  # the whole body is here: it is short, not late
            raise _short()
        data = bytes(self._view[self._pos:self._pos + n])
        self._pos += n
        return data

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        end = bytes(self._view[self._pos:self._pos + MAX_CHUNK_HEAD + 1]).find(separator)
        if end < 0:
            raise _short()
        return await self.readexactly(end + len(separator))


def _short() -> BucketError:
    return BucketError("IncompleteBody", "The aws-chunked payload is malformed: it ends inside a chunk.")


async def payload(headers: Any, content: Any, signed: Signed | None, limit: int | None = None) -> AsyncIterator[bytes]:
    """The request's decoded payload, chunk by chunk; digests checked before the last
    chunk is handed over is acknowledged (the caller commits only after the loop).
    ``headers``: looked up by lower-case names; ``content``: aiohttp's ``StreamReader``
    or a ``Buffered`` body."""
    checks = _Checks(headers)
    total = 0
    source = _aws_chunks(content, headers, signed, checks) if is_chunked(headers) else _plain(content)
    async for data in source:
        total += len(data)
        if limit is not None and total > limit:
            raise BucketError("MaxMessageLengthExceeded", "Your request was too big.")
        checks.update(data)
        yield data
    _declared(headers, total)
    checks.verify()


def whole(headers: Any, body: bytes) -> bytes:
    """A plain body (not ``aws-chunked``) held whole, checked at once: what ``payload``
    does, without its generators (the fast path's small PutObjects)."""
    checks = _Checks(headers)
    if checks.items:
        checks.update(body)
    _declared(headers, len(body))
    checks.verify()
    return body


def _declared(headers: Any, total: int) -> None:
    declared = headers.get("x-amz-decoded-content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) != total:
        raise BucketError("IncompleteBody", "You did not provide the number of bytes specified by the "
                          "x-amz-decoded-content-length HTTP header.")


async def read_all(headers: Any, content: Any, signed: Signed | None, limit: int = 1 << 20) -> bytes:
    """A small XML body (DeleteObjects, CompleteMultipartUpload, notification config)."""
    return b"".join([c async for c in payload(headers, content, signed, limit)])


async def _plain(content: Any) -> AsyncIterator[bytes]:
    async for data in content.iter_chunked(1 << 20):
        yield data


async def _aws_chunks(content: Any, headers: Any, signed: Signed | None, checks: _Checks) -> AsyncIterator[bytes]:
    """``hex-size[;chunk-signature=SIG]\\r\\n DATA \\r\\n`` ... a zero-size chunk, then
    trailer lines (``x-amz-checksum-*``, ``x-amz-trailer-signature``) and a blank line."""
    signed_chunks = headers.get("x-amz-content-sha256", "").startswith("STREAMING-AWS4")
    prev = signed.signature if signed is not None else ""

    def bad(msg: str) -> BucketError:
        return BucketError("IncompleteBody", f"The aws-chunked payload is malformed: {msg}")

    while True:
        line = await content.readuntil(b"\n") if not content.at_eof() else b""
        if not line.endswith(b"\r\n") or len(line) > MAX_CHUNK_HEAD:
            raise bad("a chunk header is missing or too long")
        size_hex, _, ext = line[:-2].decode("latin-1").partition(";")
        try:
            size = int(size_hex, 16)
        except ValueError:
            raise bad(f"bad chunk size {size_hex!r}") from None
        data = await content.readexactly(size) if size else b""
        if size and await content.readexactly(2) != b"\r\n":
            raise bad("a chunk does not end with CRLF")
        if signed is not None and signed_chunks:
            sig = ext.partition("chunk-signature=")[2].strip()
            to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", signed.amz_date, signed.scope, prev, EMPTY_SHA,
                                 hashlib.sha256(data).hexdigest()])
            want = hmac.new(signed.key, to_sign.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
            if not same(want, sig):
                raise BucketError("SignatureDoesNotMatch", "The chunk signature we calculated does not match the "
                                  "signature you provided.")
            prev = sig
        if not size:
            break
        yield data
    trailers: list[str] = []
    while not content.at_eof():
        line = await content.readuntil(b"\n")
        text = line.decode("latin-1").strip()
        if not text:
            break
        name, _, value = text.partition(":")
        name = name.strip().lower()
        if name == "x-amz-trailer-signature":
            if signed is not None and signed_chunks:
                canon = "".join(t + "\n" for t in trailers)
                to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", signed.amz_date, signed.scope, prev,
                                     hashlib.sha256(canon.encode("utf-8", "surrogatepass")).hexdigest()])
                want = hmac.new(signed.key, to_sign.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
                if not same(want, value.strip()):
                    raise BucketError("SignatureDoesNotMatch", "The trailer signature does not match.")
            continue
        trailers.append(f"{name}:{value.strip()}")
        checks.trailer(name, value.strip())
