"""Who may call the server. On loopback nobody is asked (the default, like a local
emulator); bound to any other address every request must carry an AWS SigV4
signature made with a configured key (what boto3 and the aws CLI send) or, for the
plain endpoints, ``Authorization: Bearer <api key>``."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from .errors import ApiError

_CRED = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                   r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})")
MAX_SKEW = dt.timedelta(minutes=15)
OPEN_PATHS = ("/healthz",)
# function URLs check their own AuthType (lambda_model/urls.py); code links carry their own token (code_links.py)
SELF_AUTHENTICATING = ("/lambda-url/", "/lambda-code/")
PLAIN_PREFIXES = ("/invoke/", "/http/", "/metrics", "/wasmhost/")


def same(a: str, b: str) -> bool:
    """Constant-time equality of two secrets as sent: compare_digest refuses str with
    non-ASCII characters (a TypeError, so a 500), so both are compared as bytes."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


@dataclass
class AuthConfig:
    required: bool = False
    keys: dict[str, str] = field(default_factory=dict)  # access key id -> secret
    api_keys: set[str] = field(default_factory=set)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def sigv4_ok(method: str, target: str, headers, body: bytes, keys: dict[str, str]) -> bool:
    """``target``: the raw request target (path and query, still percent-encoded);
    ``headers``: looked up by lower-case names."""
    return sigv4_verify(method, target, headers, hashlib.sha256(body).hexdigest(), keys) is not None


@dataclass(frozen=True)
class Signed:
    """A verified SigV4 header: what S3's aws-chunked payloads chain their chunk signatures from."""
    key: bytes  # the signing key
    amz_date: str
    scope: str
    signature: str


def sigv4_verify(method: str, target: str, headers, payload_hash: str, keys: dict[str, str], *,
                 s3: bool = False) -> Signed | None:
    """The header signature checked against ``payload_hash`` (S3 signs the value of
    its ``x-amz-content-sha256`` header instead of hashing the body itself, and
    does not encode the path a second time)."""
    m = _CRED.fullmatch(headers.get("authorization", "").strip())
    amz_date = headers.get("x-amz-date", "")
    if not m or not amz_date:
        return None
    akid, date, region, service, signed, signature = m.groups()
    secret = keys.get(akid)
    if secret is None:
        return None
    try:
        when = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    if abs(dt.datetime.now(dt.timezone.utc) - when) > MAX_SKEW or not amz_date.startswith(date):
        return None
    path, _, query = target.partition("?")
    return _signed(method, path if s3 else quote(path, safe="/~"), query, headers, signed, payload_hash, amz_date,
                   date, region, service, secret, signature)


def _signed(method: str, canon_uri: str, query: str, headers, signed: str, payload_hash: str, amz_date: str,
            date: str, region: str, service: str, secret: str, signature: str) -> Signed | None:
    """SigV4's canonical request, string to sign and signature compared (both kinds of signing)."""
    pairs = sorted((unquote(k), unquote(v)) for k, _, v in (p.partition("=") for p in query.split("&") if p))
    canon_qs = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    canon_headers = "".join(f"{n}:{' '.join(headers.get(n, '').split())}\n" for n in signed.split(";"))
    canonical = "\n".join([method, canon_uri, canon_qs, canon_headers, signed, payload_hash])
    scope = f"{date}/{region}/{service}/aws4_request"
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()  # a lone surrogate: no match
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{digest}"
    k = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), date), region), service), "aws4_request")
    if not same(hmac.new(k, to_sign.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest(), signature):
        return None
    return Signed(k, amz_date, scope, signature)


MAX_PRESIGNED_S = 7 * 24 * 3600  # S3: a presigned URL lives at most a week


def presigned_verify(method: str, target: str, headers, keys: dict[str, str]) -> Signed | str:
    """A presigned URL's query-string signature (``X-Amz-Signature``, as boto3's
    ``generate_presigned_url`` and ``aws s3 presign`` make them), path not encoded
    again (S3's rule). Returns what was signed, or why the URL is refused: "expired"
    or "signature"."""
    path, _, query = target.partition("?")
    params = {unquote(k): unquote(v) for k, _, v in (p.partition("=") for p in query.split("&") if p)}
    m = re.fullmatch(r"([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request", params.get("X-Amz-Credential", ""))
    amz_date, expires = params.get("X-Amz-Date", ""), params.get("X-Amz-Expires", "")
    signature, signed = params.get("X-Amz-Signature", ""), params.get("X-Amz-SignedHeaders", "")
    if not m or params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or not (expires.isascii() and expires.isdigit()) or not signed \
            or not 1 <= int(expires) <= MAX_PRESIGNED_S or not amz_date.startswith(m.group(2)):
        return "signature"
    secret = keys.get(m.group(1))
    try:
        when = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return "signature"
    if secret is None:
        return "signature"
    now = dt.datetime.now(dt.timezone.utc)
    if now > when + dt.timedelta(seconds=int(expires)) or when > now + MAX_SKEW:
        return "expired"
    rest = "&".join(p for p in query.split("&") if p and not p.startswith("X-Amz-Signature="))
    ok = _signed(method, path, rest, headers, signed, "UNSIGNED-PAYLOAD", amz_date, m.group(2), m.group(3),
                 m.group(4), secret, signature)
    return ok if ok is not None else "signature"


def check(cfg: AuthConfig, method: str, target: str, headers, body: bytes) -> None:
    """Raise the 403 Lambda answers unless the request may pass. Shared by aiohttp's
    middleware and the fast path; ``headers`` are looked up by lower-case names."""
    path = target.partition("?")[0]
    if not cfg.required or path in OPEN_PATHS or path.startswith(SELF_AUTHENTICATING):
        return
    header = headers.get("authorization", "")
    ok = False
    if header.startswith("Bearer ") and path.startswith(PLAIN_PREFIXES):
        token = header[7:].strip()
        ok = any(same(token, k) for k in cfg.api_keys)
    elif header.startswith("AWS4-HMAC-SHA256"):
        ok = sigv4_ok(method, target, headers, body, cfg.keys)
    if not ok:
        if header.startswith("AWS4"):
            raise ApiError(403, "InvalidSignatureException", "The request signature we calculated does not match "
                           "the signature you provided.")
        raise ApiError(403, "UnrecognizedClientException", "Missing or invalid credentials: sign the request "
                       "with a configured key (SigV4) or send a Bearer API key.")

