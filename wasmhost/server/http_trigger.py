"""HTTP triggers: any method and path under ``/http/{function}/`` becomes an API
Gateway HTTP API (payload format 2.0) event, and the function's result becomes the
HTTP response, so handlers written for Lambda HTTP APIs and Function URLs port over.
HTTP-free: the fast path and aiohttp's route both answer with ``reply``."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from urllib.parse import parse_qsl

from ..errors import InvocationError
from .invoke import report_headers
from .reply import Reply
from .service import ACCOUNT, Service

TEXTUAL = ("text/", "application/json", "application/javascript", "application/xml",
           "application/x-www-form-urlencoded")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a header name (RFC 9110)
_FRAMING = {"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"}  # the server's to set
# Headers are lists of pairs here: a function's Set-Cookie may repeat
BAD_GATEWAY = Reply(502, [("Content-Type", "application/json")], b'{"message": "Internal Server Error"}')


def _is_text(ctype: str) -> bool:
    ctype = ctype.split(";")[0].strip().lower()
    return ctype.startswith(TEXTUAL) or ctype.endswith(("+json", "+xml", "/json", "/xml"))


def build_event(method: str, path: str, raw_query: str, headers: dict[str, str], body: bytes, function: str, *,
                protocol: str = "HTTP/1.1", source_ip: str = "") -> dict:
    """``headers``: lower-case names, repeated ones joined with commas."""
    headers = dict(headers)
    event: dict = {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": raw_query,
                   "headers": headers}
    cookie = headers.pop("cookie", None)
    if cookie:
        event["cookies"] = cookie.split("; ")
    if raw_query:
        params: dict[str, str] = {}
        for k, v in parse_qsl(raw_query, keep_blank_values=True):
            params[k] = f"{params[k]},{v}" if k in params else v
        event["queryStringParameters"] = params
    host = headers.get("host") or "localhost"
    event["requestContext"] = {
        "accountId": ACCOUNT, "apiId": function, "domainName": host, "domainPrefix": host.split(".")[0],
        "http": {"method": method, "path": path, "protocol": protocol, "sourceIp": source_ip,
                 "userAgent": headers.get("user-agent", "")},
        "requestId": str(uuid.uuid4()), "routeKey": "$default", "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()), "timeEpoch": int(time.time() * 1000)}
    if body:
        text = _is_text(headers.get("content-type", ""))
        if text:
            try:
                event["body"], event["isBase64Encoded"] = body.decode("utf-8"), False
            except UnicodeDecodeError:
                text = False
        if not text:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    else:
        event["isBase64Encoded"] = False
    event["pathParameters"] = None
    event["stageVariables"] = None
    return event


def to_reply(payload: bytes) -> Reply:
    """Lambda's rules: an object with ``statusCode`` is a full response; any other
    JSON is a 200 ``application/json`` body; anything else, or a header that could
    not be sent as it is (a bad name, a line break in a value), is a 502."""
    try:
        result = json.loads(payload)
    except ValueError:
        return BAD_GATEWAY
    if not (isinstance(result, dict) and "statusCode" in result):
        return Reply(200, [("Content-Type", "application/json")], payload)
    try:
        status = int(result["statusCode"])
        if not 100 <= status <= 599:
            return BAD_GATEWAY
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        pairs = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
        pairs += [("Set-Cookie", str(c)) for c in result.get("cookies") or []]
    except (ValueError, TypeError, AttributeError):
        return BAD_GATEWAY
    for k, v in pairs:
        if not _TOKEN.fullmatch(k) or "\r" in v or "\n" in v or "\0" in v:
            return BAD_GATEWAY
    pairs = [(k, v) for k, v in pairs if k.lower() not in _FRAMING]
    if data and not any(k.lower() == "content-type" for k, _ in pairs):
        pairs.append(("Content-Type", "application/json"))
    return Reply(status, pairs, data)


async def reply(service: Service, function: str, path: str, method: str, raw_query: str, headers: dict[str, str],
                body: bytes, *, protocol: str = "HTTP/1.1", source_ip: str = "") -> Reply:
    event = build_event(method, path, raw_query, headers, body, function, protocol=protocol, source_ip=source_ip)
    try:
        res = await service.invoke(service.resolve(function), json.dumps(event).encode())
    except InvocationError as e:
        if e.report is None:
            return BAD_GATEWAY
        return BAD_GATEWAY._replace(headers=BAD_GATEWAY.headers + list(report_headers(e.report).items()))
    out = to_reply(res.payload)
    return out._replace(headers=out.headers + list(report_headers(res.report).items()))
