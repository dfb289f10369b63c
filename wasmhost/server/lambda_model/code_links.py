"""Where ``GetFunction``'s ``Code.Location`` and ``GetLayerVersion``'s
``Content.Location`` point: the deployment package as it was uploaded, at
``/lambda-code/...`` on this server, for ``curl -o code.zip "$(aws lambda get-function
... --query Code.Location)"`` as on AWS.

AWS answers a presigned S3 URL that lives ten minutes. Here the link carries a random
token made when the code was stored (``_code_token``), so it needs no credentials and
no shared secret between worker processes or nodes, and it stops working when the
code it names is replaced or deleted; like a function URL's id, it is a capability:
whoever has the link may read that code, and the link is only given to callers of the
Lambda API."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .urls import request_host

if TYPE_CHECKING:
    from .service import Service

PREFIX = "/lambda-code/"


def stored(s: Service, zip_bytes: bytes) -> dict[str, str]:
    """The fields a function or layer version keeps for its link: the uploaded zip
    (content-addressed, so the same zip twice is stored once) and a new token."""
    return {"_zip_sha256": s.registry.put_code(zip_bytes), "_code_token": secrets.token_urlsafe(24)}


def location(doc: dict[str, Any], *parts: str) -> str:
    """The link for ``doc``, ``""`` for code stored before links were kept."""
    if not doc.get("_code_token"):
        return ""
    return f"http://{request_host.get() or '127.0.0.1'}{PREFIX}{'/'.join((*parts, doc['_code_token']))}"


def _path(s: Service, doc: dict[str, Any] | None, token: str) -> Path | None:
    if not doc or doc.get("_deleted") or not doc.get("_code_token") or \
            not secrets.compare_digest(doc["_code_token"].encode(), token.encode("utf-8", "surrogatepass")):
        return None
    path = s.registry.code_path(doc["_zip_sha256"])
    return path if path.exists() else None


def find(s: Service, kind: str, name: str, version: str, token: str) -> Path | None:
    """The zip a link names, None for a link that names nothing (any more)."""
    s.sync()  # code stored through another worker process
    if kind == "function" and not version:
        latest = s.registry.get_function(name)
        for doc in [latest, *(s.registry.list_versions(name) if latest else ())]:
            if (found := _path(s, doc, token)) is not None:
                return found
    elif kind == "layer" and version.isascii() and version.isdigit():
        return _path(s, s.registry.get_layer(name, int(version)), token)
    return None
