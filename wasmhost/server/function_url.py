"""Serving a function URL, ``/lambda-url/<url-id>/<path>``: API Gateway's payload
format 2.0 (the format Lambda's own function URLs use), ``AuthType`` ``NONE`` or
``AWS_IAM`` (a SigV4 signature made with one of the server's configured keys),
CORS preflights answered without invoking. HTTP-free, like http_trigger.py.

``InvokeMode`` ``RESPONSE_STREAM``: a streaming handler's body goes to the client as
it is written (chunked), its status and headers from ``HttpResponseStream.from``'s
prelude (else 200 and the stream's content type); a handler that does not stream
answers with its result as the body, as it is (Lambda runs such a URL through
InvokeWithResponseStream, which does not read ``{statusCode, body}``). A run that
fails after its answer began is cut off, not ended (the client sees a short body)."""

from __future__ import annotations

import json
import uuid
from typing import Any, AsyncIterator, Mapping

from ..errors import InvocationError
from . import auth
from .apigateway import event_v2, prelude_v2, response_v2
from .lambda_model import ACCOUNT, Service
from .lambda_model.urls import PREFIX
from .lambda_model.routing import Resolved
from .reply import BAD_GATEWAY, Reply
from .streaming import LiveRun, StreamCut, streaming

__all__ = ["PREFIX", "serve"]


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


async def _streamed(s: Service, r: Resolved, payload: bytes) -> Reply:
    run = LiveRun(s, r, payload, str(uuid.uuid4()))
    if not await run.begun():
        res, exc = run.outcome()
        if exc is not None:
            if not isinstance(exc, InvocationError):
                raise exc  # refused before it ran (throttled): as the buffered URL answers it
            return BAD_GATEWAY
        return Reply(200, [("Content-Type", "application/json")], res.payload if res is not None else b"")
    prelude, content_type = run.stream.prelude or ("", "")
    head = prelude_v2(prelude) if prelude else Reply(200, [("Content-Type", content_type)])
    if head is BAD_GATEWAY:
        run.stream.close()  # a prelude that cannot be sent: the run goes on, its writes are dropped
        return head
    return streaming(head.status, head.pairs(), _body(run), run.stream.close)


async def _body(run: LiveRun) -> AsyncIterator[bytes]:
    async for chunk in run.chunks():
        yield chunk
    _, exc = run.outcome()
    if exc is not None or run.stream.too_large:
        raise StreamCut(str(exc) if exc is not None else "the streamed response passed its size limit")


def _forbidden() -> Reply:
    return Reply(403, [("Content-Type", "application/json"), ("x-amzn-ErrorType", "AccessDeniedException")],
                 b'{"Message":"Forbidden"}')


async def serve(s: Service, url_id: str, method: str, path: str, raw_query: str, headers: Mapping[str, str],
                body: bytes, *, target: str, keys: Mapping[str, str], protocol: str = "HTTP/1.1",
                source_ip: str = "") -> Reply:
    """``headers``: lower-case names, repeated ones joined with commas; ``target``:
    the raw request target as received (what a SigV4 signature covers)."""
    s.sync()  # a URL created through another worker process
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
    event = event_v2(method, path, raw_query, dict(headers), body, url_id, protocol=protocol,
                                     source_ip=source_ip)
    if caller is not None:
        event["requestContext"]["authorizer"] = {"iam": {
            "accessKey": caller, "accountId": ACCOUNT, "callerId": caller, "cognitoIdentity": None,
            "principalOrgId": None, "userArn": f"arn:aws:iam::{ACCOUNT}:user/{caller}", "userId": caller}}
    if cfg.get("InvokeMode") == "RESPONSE_STREAM":
        out = await _streamed(s, s.resolve(name, qual), json.dumps(event).encode())
    else:
        try:
            res = await s.invoke(s.resolve(name, qual), json.dumps(event).encode())
            out = response_v2(res.payload)
        except InvocationError:
            out = BAD_GATEWAY
    extra = _cors_headers(cors, origin, preflight=False) if cors else []
    return out.with_headers(extra) if extra else out
