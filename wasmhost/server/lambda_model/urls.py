"""Function URLs' configuration operations (Create/Get/Update/Delete/List). Each
URL is a real address on this server, ``http://<server>/lambda-url/<url-id>/``,
answered by server/function_url.py; the routing table (routing.urls) maps ids
to functions."""

from __future__ import annotations

import contextvars
import secrets
import string
from typing import TYPE_CHECKING, Any

from ..errors import ApiError, not_found
from .names import LATEST, is_version, now_str, parse_function
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
    if qual != LATEST and is_version(qual):
        raise ApiError(400, "InvalidParameterValueException", "A function URL's qualifier must be an alias")
    if qual in (doc.get("_urls") or {}):
        raise ApiError(409, "ResourceConflictException",
                       f"Failed to create function url config for [functionArn = {s.arn(name, qual)}]. "
                       "Error message:  FunctionUrlConfig exists for this Lambda function")
    now = now_str()
    cfg = {"_id": "".join(secrets.choice(_ALPHABET) for _ in range(32)), "AuthType": p["AuthType"],
           "InvokeMode": p.get("InvokeMode", "BUFFERED"), "CreationTime": now, "LastModifiedTime": now}
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
