"""API Gateway's two Lambda payload formats, both ways: the event an HTTP request
becomes, and the HTTP response a function's result becomes.

- 2.0 (HTTP APIs, Function URLs): lower-case ``headers`` with repeats joined by commas,
  ``cookies``, ``rawPath``/``rawQueryString``, ``requestContext.http``; the result may be
  any JSON (a 200 ``application/json`` body) or ``{statusCode, headers, cookies, body,
  isBase64Encoded}``.
- 1.0 (REST API proxy integrations): ``headers`` as sent with the last value of a
  repeated one and ``multiValueHeaders`` with all of them, the same pair for the query
  string, ``httpMethod``/``path``/``resource``, ``requestContext.identity``; the result
  must be ``{statusCode, headers, multiValueHeaders, body, isBase64Encoded}``.

Anything a function returns that cannot be sent as it is (not the shape, a status
outside 200-599 -- a 1xx cannot be a final answer --, a bad header name, a line break
in a value) is a 502, as API Gateway's "Internal server error"."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from .lambda_model import ACCOUNT
from .reply import BAD_GATEWAY, Reply  # headers as lists of pairs here: a function's Set-Cookie may repeat

TEXTUAL = ("text/", "application/json", "application/javascript", "application/xml",
           "application/x-www-form-urlencoded")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a header name (RFC 9110)
_FRAMING = {"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"}  # the server's to set


def _is_text(ctype: str) -> bool:
    ctype = ctype.split(";")[0].strip().lower()
    return ctype.startswith(TEXTUAL) or ctype.endswith(("+json", "+xml", "/json", "/xml"))


def _body(event: dict, body: bytes, ctype: str) -> None:
    """``body`` and ``isBase64Encoded``: text as text, anything else base64."""
    if not body:
        event["body"], event["isBase64Encoded"] = None, False
        return
    if _is_text(ctype):
        try:
            event["body"], event["isBase64Encoded"] = body.decode("utf-8"), False
            return
        except UnicodeDecodeError:
            pass
    event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True


def _context(function: str, host: str, method: str, protocol: str) -> dict:
    now = time.time()
    return {"accountId": ACCOUNT, "apiId": function, "domainName": host, "domainPrefix": host.split(".")[0],
            "requestId": str(uuid.uuid4()), "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000),
            "httpMethod": method, "protocol": protocol}


def event_v2(method: str, path: str, raw_query: str, headers: dict[str, str], body: bytes, function: str, *,
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
    ctx = _context(function, host, method, protocol)
    del ctx["httpMethod"], ctx["protocol"]
    ctx["http"] = {"method": method, "path": path, "protocol": protocol, "sourceIp": source_ip,
                   "userAgent": headers.get("user-agent", "")}
    ctx["routeKey"] = "$default"
    event["requestContext"] = ctx
    _body(event, body, headers.get("content-type", ""))
    if event["body"] is None:
        del event["body"]
    event["pathParameters"] = None
    event["stageVariables"] = None
    return event


def event_v1(method: str, path: str, raw_query: str, pairs: list[tuple[str, str]], body: bytes, function: str, *,
             protocol: str = "HTTP/1.1", source_ip: str = "") -> dict:
    """A REST API proxy event (resource ``/{proxy+}``). ``pairs``: the headers as sent,
    names in their own case, a repeated one once per value."""
    headers: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in pairs:
        headers[k] = v
        multi.setdefault(k, []).append(v)
    query: dict[str, str] | None = None
    multi_query: dict[str, list[str]] | None = None
    if raw_query:
        query, multi_query = {}, {}
        for k, v in parse_qsl(raw_query, keep_blank_values=True):
            query[k] = v
            multi_query.setdefault(k, []).append(v)
    lower = {k.lower(): v for k, v in headers.items()}
    resource = "/{proxy+}" if path != "/" else "/"
    ctx = _context(function, lower.get("host") or "localhost", method, protocol)
    ctx["requestTime"], ctx["requestTimeEpoch"] = ctx.pop("time"), ctx.pop("timeEpoch")
    ctx.update({"extendedRequestId": ctx["requestId"], "path": path, "resourceId": function,
                "resourcePath": resource, "authorizer": None,
                "identity": {"accessKey": None, "accountId": None, "caller": None, "cognitoAuthenticationProvider": None,
                             "cognitoAuthenticationType": None, "cognitoIdentityId": None,
                             "cognitoIdentityPoolId": None, "principalOrgId": None, "sourceIp": source_ip,
                             "user": None, "userAgent": lower.get("user-agent", ""), "userArn": None}})
    event: dict = {"version": "1.0", "resource": resource, "path": path, "httpMethod": method,
                   "headers": headers, "multiValueHeaders": multi, "queryStringParameters": query,
                   "multiValueQueryStringParameters": multi_query, "requestContext": ctx,
                   "pathParameters": {"proxy": path[1:]} if resource != "/" else None, "stageVariables": None}
    _body(event, body, lower.get("content-type", ""))
    return event


def _checked(status_code: Any, pairs: list[tuple[str, str]], data: bytes) -> Reply:
    """The reply, if it can be sent as it is; else BAD_GATEWAY."""
    status = int(status_code)
    if not 200 <= status <= 599:
        return BAD_GATEWAY
    for k, v in pairs:
        if not _TOKEN.fullmatch(k) or "\r" in v or "\n" in v or "\0" in v:
            return BAD_GATEWAY
    pairs = [(k, v) for k, v in pairs if k.lower() not in _FRAMING]
    if data and not any(k.lower() == "content-type" for k, _ in pairs):
        pairs.append(("Content-Type", "application/json"))
    return Reply(status, pairs, data)


def _data(result: dict) -> bytes:
    body = result.get("body") or ""
    return base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()


def response_v2(payload: bytes) -> Reply:
    """Lambda's rules: an object with ``statusCode`` is a full response; any other
    JSON is a 200 ``application/json`` body; anything else is a 502."""
    try:
        result = json.loads(payload)
    except ValueError:
        return BAD_GATEWAY
    if not (isinstance(result, dict) and "statusCode" in result):
        return Reply(200, [("Content-Type", "application/json")], payload)
    try:
        pairs = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
        pairs += [("Set-Cookie", str(c)) for c in result.get("cookies") or []]
        return _checked(result["statusCode"], pairs, _data(result))
    except (ValueError, TypeError, AttributeError):
        return BAD_GATEWAY


def prelude_v2(prelude: str) -> Reply:
    """The status and headers of a streamed HTTP answer: the prelude of Node's
    ``awslambda.HttpResponseStream.from`` (``{statusCode, headers, cookies}``), checked
    as ``response_v2`` checks a whole answer (BAD_GATEWAY where it cannot be sent)."""
    try:
        result = json.loads(prelude)
        pairs = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
        pairs += [("Set-Cookie", str(c)) for c in result.get("cookies") or []]
        out = _checked(result.get("statusCode", 200), pairs, b"")
    except (ValueError, TypeError, AttributeError):
        return BAD_GATEWAY
    if out is not BAD_GATEWAY and not any(k.lower() == "content-type" for k, _ in out.pairs()):
        out = out.with_headers([("Content-Type", "application/octet-stream")])
    return out


def response_v1(payload: bytes) -> Reply:
    """A proxy integration's response: ``statusCode`` required. Where a name is in both
    ``headers`` and ``multiValueHeaders``, the list wins (as API Gateway merges them)."""
    try:
        result = json.loads(payload)
        if not (isinstance(result, dict) and "statusCode" in result):
            return BAD_GATEWAY
        multi = {str(k): [str(v) for v in vs] for k, vs in (result.get("multiValueHeaders") or {}).items()}
        named = {k.lower() for k in multi}
        pairs = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items() if str(k).lower() not in named]
        pairs += [(k, v) for k, vs in multi.items() for v in vs]
        return _checked(result["statusCode"], pairs, _data(result))
    except (ValueError, TypeError, AttributeError):
        return BAD_GATEWAY
