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

from aiohttp import web

from .errors import ApiError

_CRED = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                   r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})")
MAX_SKEW = dt.timedelta(minutes=15)
OPEN_PATHS = ("/healthz",)
PLAIN_PREFIXES = ("/invoke/", "/http/", "/metrics", "/wasmhost/")


@dataclass
class AuthConfig:
    required: bool = False
    keys: dict[str, str] = field(default_factory=dict)  # access key id -> secret
    api_keys: set[str] = field(default_factory=set)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_ok(request: web.Request, body: bytes, keys: dict[str, str]) -> bool:
    m = _CRED.fullmatch(request.headers.get("Authorization", "").strip())
    amz_date = request.headers.get("X-Amz-Date", "")
    if not m or not amz_date:
        return False
    akid, date, region, service, signed, signature = m.groups()
    secret = keys.get(akid)
    if secret is None:
        return False
    try:
        when = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return False
    if abs(dt.datetime.now(dt.timezone.utc) - when) > MAX_SKEW or not amz_date.startswith(date):
        return False
    canon_uri = quote(request.raw_path.split("?")[0], safe="/~")
    pairs = sorted((unquote(k), unquote(v)) for k, _, v in
                   (p.partition("=") for p in request.query_string.split("&") if p))
    canon_qs = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    names = signed.split(";")
    canon_headers = "".join(f"{n}:{' '.join(request.headers.get(n, '').split())}\n" for n in names)
    canonical = "\n".join([request.method, canon_uri, canon_qs, canon_headers, signed,
                           hashlib.sha256(body).hexdigest()])
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    k = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), date), region), service), "aws4_request")
    return hmac.compare_digest(hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest(), signature)


def middleware(cfg: AuthConfig):
    @web.middleware
    async def auth(request: web.Request, handler):
        if cfg.required and request.path not in OPEN_PATHS:
            header = request.headers.get("Authorization", "")
            ok = False
            if header.startswith("Bearer ") and request.path.startswith(PLAIN_PREFIXES):
                token = header[7:].strip()
                ok = any(hmac.compare_digest(token, k) for k in cfg.api_keys)
            elif header.startswith("AWS4-HMAC-SHA256"):
                ok = sigv4_ok(request, await request.read(), cfg.keys)
            if not ok:
                code = "InvalidSignatureException" if header.startswith("AWS4") else "UnrecognizedClientException"
                raise ApiError(403, code, "The request signature we calculated does not match the signature you "
                               "provided." if header.startswith("AWS4") else "Missing or invalid credentials: "
                               "sign the request with a configured key (SigV4) or send a Bearer API key.")
        return await handler(request)
    return auth
