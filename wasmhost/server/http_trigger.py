"""HTTP triggers: any method and path under ``/http/{function}/`` becomes an API
Gateway event, and the function's result becomes the HTTP response, so handlers
written for Lambda behind API Gateway or a Function URL port over. Payload format 2.0
(HTTP APIs) unless the function is tagged ``wasmhost:http-payload-format=1.0`` (REST
API proxy events); apigateway.py has both. HTTP-free: the fast path and aiohttp's
route both answer with ``reply``."""

from __future__ import annotations

import json

from ..errors import InvocationError
from .apigateway import BAD_GATEWAY, event_v1, event_v2, response_v1, response_v2
from .capability_tags import FORMAT_TAG, FORMATS
from .invoke import report_headers
from .reply import Reply
from .lambda_model import Service


async def reply(service: Service, function: str, path: str, method: str, raw_query: str, headers: dict[str, str],
                body: bytes, *, protocol: str = "HTTP/1.1", source_ip: str = "",
                pairs: list[tuple[str, str]] | None = None) -> Reply:
    """``headers``: lower-case names, repeats joined with commas; ``pairs``: the same
    headers as sent (for format 1.0's ``multiValueHeaders``; from ``headers`` if not given)."""
    r = service.resolve(function)
    tags = (r.doc if r.version == "$LATEST" else service.resolve(r.name).doc).get("Tags") or {}  # the function's
    fmt = tags.get(FORMAT_TAG, "2.0")
    if fmt not in FORMATS:  # refused at deploy since session 5; a record stored before may still hold one
        return Reply(502, [("Content-Type", "application/json")], json.dumps(
            {"message": f"Function {r.name} has tag {FORMAT_TAG}={fmt!r}; the payload formats are 1.0 and 2.0"}).encode())
    if fmt == "2.0":
        event = event_v2(method, path, raw_query, headers, body, function, protocol=protocol, source_ip=source_ip)
    else:
        event = event_v1(method, path, raw_query, pairs if pairs is not None else list(headers.items()), body,
                         function, protocol=protocol, source_ip=source_ip)
    try:
        res = await service.invoke(r, json.dumps(event).encode())
    except InvocationError as e:
        if e.report is None:
            return BAD_GATEWAY
        return BAD_GATEWAY.with_headers(report_headers(e.report).items())
    out = response_v2(res.payload) if fmt == "2.0" else response_v1(res.payload)
    return out.with_headers(report_headers(res.report).items())
