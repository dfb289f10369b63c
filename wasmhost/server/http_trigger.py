"""HTTP triggers: any method and path under ``/http/{function}/`` becomes an API
Gateway HTTP API (payload format 2.0) event, and the function's result becomes the
HTTP response, so handlers written for Lambda HTTP APIs and Function URLs port over."""

from __future__ import annotations

import base64
import json
import time
import uuid
from urllib.parse import parse_qsl

from aiohttp import web

from ..errors import InvocationError
from .invoke import report_headers, run
from .service import ACCOUNT, Service

TEXTUAL = ("text/", "application/json", "application/javascript", "application/xml",
           "application/x-www-form-urlencoded")


def _is_text(ctype: str) -> bool:
    ctype = ctype.split(";")[0].strip().lower()
    return ctype.startswith(TEXTUAL) or ctype.endswith(("+json", "+xml", "/json", "/xml"))


def build_event(request: web.Request, body: bytes, function: str, path: str) -> dict:
    headers: dict[str, str] = {}
    for k, v in request.headers.items():
        k = k.lower()
        headers[k] = f"{headers[k]},{v}" if k in headers else v
    event: dict = {"version": "2.0", "routeKey": "$default", "rawPath": path,
                   "rawQueryString": request.query_string, "headers": headers}
    cookie = headers.pop("cookie", None)
    if cookie:
        event["cookies"] = cookie.split("; ")
    if request.query_string:
        params: dict[str, str] = {}
        for k, v in parse_qsl(request.query_string, keep_blank_values=True):
            params[k] = f"{params[k]},{v}" if k in params else v
        event["queryStringParameters"] = params
    host = request.host or "localhost"
    event["requestContext"] = {
        "accountId": ACCOUNT, "apiId": function, "domainName": host, "domainPrefix": host.split(".")[0],
        "http": {"method": request.method, "path": path, "protocol": f"HTTP/{request.version.major}.{request.version.minor}",
                 "sourceIp": request.remote or "", "userAgent": headers.get("user-agent", "")},
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


def to_response(payload: bytes) -> web.Response:
    """Lambda's rules: an object with ``statusCode`` is a full response; any other
    JSON is a 200 ``application/json`` body; anything else is a 502."""
    try:
        result = json.loads(payload)
    except ValueError:
        return web.json_response({"message": "Internal Server Error"}, status=502)
    if isinstance(result, dict) and "statusCode" in result:
        try:
            status = int(result["statusCode"])
            body = result.get("body") or ""
            data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
            resp = web.Response(status=status, body=data)
            for k, v in (result.get("headers") or {}).items():
                resp.headers[str(k)] = str(v)
            for c in result.get("cookies") or []:
                resp.headers.add("Set-Cookie", str(c))
            if "Content-Type" not in resp.headers and data:
                resp.headers["Content-Type"] = "application/json"
            return resp
        except (ValueError, TypeError):
            return web.json_response({"message": "Internal Server Error"}, status=502)
    return web.Response(status=200, body=payload, content_type="application/json")


def handler(service: Service) -> list[web.RouteDef]:
    async def any_(request: web.Request) -> web.Response:
        function = request.match_info["name"]
        path = "/" + request.match_info.get("path", "")
        body = await request.read()
        event = build_event(request, body, function, path)
        res = await run(service, function, json.dumps(event).encode())
        if isinstance(res, InvocationError):
            resp = web.json_response({"message": "Internal Server Error"}, status=502)
            if res.report is not None:
                resp.headers.update(report_headers(res.report))
            return resp
        resp = to_response(res.payload)
        resp.headers.update(report_headers(res.report))
        return resp
    return [web.route("*", "/http/{name}", any_), web.route("*", "/http/{name}/{path:.*}", any_)]
