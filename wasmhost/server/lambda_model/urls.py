"""Function URLs: the configuration operations, and serving a URL. Each URL is
a real address on this server, ``http://<server>/lambda-url/<url-id>/<path>``,
answered with API Gateway's payload format 2.0 (the format Lambda's own function
URLs use), ``AuthType`` ``NONE`` or ``AWS_IAM`` (a SigV4 signature made with one
of the server's configured keys), and CORS preflights answered without invoking."""

from __future__ import annotations

import contextvars
import json
import secrets
import string
from typing import TYPE_CHECKING, Any, Mapping

from ...errors import InvocationError
from .. import auth, http_trigger
from ..errors import ApiError, not_found
from ..reply import Reply
from .names import LATEST, now_str, parse_function
from .paging import page

if TYPE_CHECKING:
    from .service import Service

PREFIX = "/lambda-url/"
_ALPHABET = string.ascii_lowercase + string.digits
# the request's Host (operations.dispatch sets it): a URL is written as its caller reaches this server
request_host: contextvars.ContextVar[str] = contextvars.ContextVar("request_host", default="")


def _out(s: Service, name: str, qual: str, cfg: dict[str, Any], host: str) -> dict[str, Any]:
    out = {k: v for k, v in cfg.items() if not k.startswith("_")}
    out["FunctionUrl"] = f"http://{host or '127.0.0.1'}{PREFIX}{cfg['_id']}/"
    out["FunctionArn"] = s.arn(name, qual)
    return out


def _get(s: Service, doc: dict[str, Any], name: str, qual: str) -> dict[str, Any]:
    cfg = (doc.get("_urls") or {}).get(qual)
    if cfg is None:
        raise not_found(f"The resource you requested does not exist. (no function URL for {s.arn(name, qual)})")
    return cfg


def create_function_url_config(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, qual, doc = s.target(p["FunctionName"], p.get("Qualifier"), for_update=True)
    if qual != LATEST and qual.isdigit():
        raise ApiError(400, "InvalidParameterValueException", "A function URL's qualifier must be an alias")
    if qual in (doc.get("_urls") or {}):
        raise ApiError(409, "ResourceConflictException",
                       f"Failed to create function url config for [functionArn = {s.arn(name, qual)}]. "
                       "Error message:  FunctionUrlConfig exists for this Lambda function")
    now = now_str()
    cfg = {"_id": "".join(secrets.choice(_ALPHABET) for _ in range(32)), "AuthType": p["AuthType"],
           "InvokeMode": p.get("InvokeMode", "BUFFERED"), "CreationTime": now, "LastModifiedTime": now}
    if cfg["InvokeMode"] != "BUFFERED":
        raise ApiError(400, "InvalidParameterValueException",
                       "InvokeMode RESPONSE_STREAM is not supported by this host: use BUFFERED")
    if p.get("Cors"):
        cfg["Cors"] = p["Cors"]
    doc.setdefault("_urls", {})[qual] = cfg
    s.save_function(doc)
    out = _out(s, name, qual, cfg, request_host.get())
    out.pop("LastModifiedTime")
    return out


def get_function_url_config(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, qual, doc = s.target(p["FunctionName"], p.get("Qualifier"), for_update=True)
    return _out(s, name, qual, _get(s, doc, name, qual), request_host.get())


def update_function_url_config(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, qual, doc = s.target(p["FunctionName"], p.get("Qualifier"), for_update=True)
    cfg = _get(s, doc, name, qual)
    if p.get("InvokeMode", "BUFFERED") != "BUFFERED":
        raise ApiError(400, "InvalidParameterValueException",
                       "InvokeMode RESPONSE_STREAM is not supported by this host: use BUFFERED")
    cfg.update({k: p[k] for k in ("AuthType", "Cors", "InvokeMode") if k in p})
    cfg["LastModifiedTime"] = now_str()
    s.save_function(doc)
    return _out(s, name, qual, cfg, request_host.get())


def delete_function_url_config(s: Service, p: dict[str, Any]) -> None:
    name, qual, doc = s.target(p["FunctionName"], p.get("Qualifier"), for_update=True)
    _get(s, doc, name, qual)
    del doc["_urls"][qual]
    s.save_function(doc)


def list_function_url_configs(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, _ = parse_function(p["FunctionName"])
    doc = s.function_doc(name)
    items = [_out(s, name, q, c, request_host.get()) for q, c in sorted((doc.get("_urls") or {}).items())]
    return page(items, p, "FunctionUrlConfigs")


# -- serving a URL --------------------------------------------------------------------
def _cors_headers(cors: dict[str, Any], origin: str, preflight: bool) -> list[tuple[str, str]]:
    origins = cors.get("AllowOrigins") or []
    if not origin or not ("*" in origins or origin in origins):
        return []
    out = [("Access-Control-Allow-Origin", "*" if "*" in origins and not cors.get("AllowCredentials") else origin)]
    if cors.get("AllowCredentials"):
        out.append(("Access-Control-Allow-Credentials", "true"))
    if preflight:
        if cors.get("AllowMethods"):
            out.append(("Access-Control-Allow-Methods", ",".join(cors["AllowMethods"])))
        if cors.get("AllowHeaders"):
            out.append(("Access-Control-Allow-Headers", ",".join(cors["AllowHeaders"])))
        if cors.get("MaxAge") is not None:
            out.append(("Access-Control-Max-Age", str(cors["MaxAge"])))
    elif cors.get("ExposeHeaders"):
        out.append(("Access-Control-Expose-Headers", ",".join(cors["ExposeHeaders"])))
    return out


def _forbidden() -> Reply:
    return Reply(403, [("Content-Type", "application/json"), ("x-amzn-ErrorType", "AccessDeniedException")],
                 b'{"Message":"Forbidden"}')


async def serve(s: Service, url_id: str, method: str, path: str, raw_query: str, headers: Mapping[str, str],
                body: bytes, *, target: str, keys: Mapping[str, str], protocol: str = "HTTP/1.1",
                source_ip: str = "") -> Reply:
    """``headers``: lower-case names, repeated ones joined with commas; ``target``:
    the raw request target as received (what a SigV4 signature covers)."""
    found = s.urls.get(url_id)
    if found is None:
        return _forbidden()  # what Lambda answers for an unknown URL
    name, qual, cfg = found
    cors = cfg.get("Cors") or {}
    origin = headers.get("origin", "")
    if method == "OPTIONS" and cors and headers.get("access-control-request-method"):
        return Reply(200, _cors_headers(cors, origin, preflight=True))
    caller = None
    if cfg["AuthType"] == "AWS_IAM":
        if not keys or not auth.sigv4_ok(method, target, headers, body, dict(keys)):
            return _forbidden()
        caller = headers.get("authorization", "").split("Credential=")[1].split("/")[0]
    event = http_trigger.build_event(method, path, raw_query, dict(headers), body, url_id, protocol=protocol,
                                     source_ip=source_ip)
    if caller is not None:
        event["requestContext"]["authorizer"] = {"iam": {
            "accessKey": caller, "accountId": "000000000000", "callerId": caller, "cognitoIdentity": None,
            "principalOrgId": None, "userArn": f"arn:aws:iam::000000000000:user/{caller}", "userId": caller}}
    try:
        res = await s.invoke(s.resolve(name, qual), json.dumps(event).encode())
        out = http_trigger.to_reply(res.payload)
    except InvocationError:
        out = http_trigger.BAD_GATEWAY
    extra = _cors_headers(cors, origin, preflight=False) if cors else []
    if not extra:
        return out
    pairs = list(out.headers.items()) if isinstance(out.headers, dict) else list(out.headers)
    return out._replace(headers=pairs + extra)
