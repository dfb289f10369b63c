"""Lambda's Invoke (RequestResponse, Event, DryRun; LogType=Tail) and the legacy
InvokeAsync, HTTP-free: the fast path, aiohttp's route and the operation table
all answer with these Replies."""

from __future__ import annotations

import base64
import json
import uuid
from typing import TYPE_CHECKING, Any, Awaitable, Mapping

from ...errors import FunctionError, InvocationError
from ...function import InvokeResult
from ..errors import ApiError
from ..reply import Reply
from . import eventstream, strict_json
from .events import too_large_event
from .routing import Resolved

if TYPE_CHECKING:
    from .service import Service

_KINDS = ("RequestResponse", "Event", "DryRun")


def _log_tail(result_logs: str, request_id: str, version: str, report_line: str) -> str:
    text = (f"START RequestId: {request_id} Version: {version}\n{result_logs}END RequestId: {request_id}\n"
            f"{report_line}\n").encode()
    return base64.b64encode(text[-4096:]).decode()


def invoke_answer(s: Service, fn: str, qualifier: str | None, headers: Mapping[str, str],
                  payload: bytes) -> Reply | Awaitable[Reply]:
    """Lambda's Invoke: the Reply itself when the function ran at once (a warm run
    inline, see Service.invoke_now), else an awaitable of it (the fast path calls
    this; ``invoke_reply`` awaits it). ``headers``: looked up by lower-case names
    (aiohttp's are case-insensitive)."""
    kind = headers.get("x-amz-invocation-type") or "RequestResponse"
    if kind not in _KINDS:
        raise ApiError(400, "ValidationException", f"1 validation error detected: Value '{kind[:100]}' at "
                       f"'invocationType' failed to satisfy constraint: Member must satisfy enum value set: "
                       f"[{', '.join(_KINDS)}]")
    r = s.resolve(fn, qualifier)
    limit = s.host.max_payload if kind != "Event" else s.async_max_payload
    if len(payload) > limit:  # Lambda's code and words (its model names RequestTooLargeException; it answers this)
        raise ApiError(413, "RequestEntityTooLargeException", too_large_event(len(payload), limit) if kind == "Event"
                       else f"Request must be smaller than {limit} bytes for the InvokeFunction operation")
    if payload:
        strict_json.check_payload(payload)
    else:
        payload = b"{}"
    if kind == "DryRun":
        s.check_throttle(r)
        return Reply(204, {"x-amzn-RequestId": str(uuid.uuid4())})
    if kind == "Event":
        return _accepted(s, r, payload)
    try:
        res = s.invoke_now(r, payload)
    except InvocationError as e:
        return _answer(r, headers, None, e)
    if res is None:
        return _later(s, r, headers, payload)
    return _answer(r, headers, res, None)


async def invoke_reply(s: Service, fn: str, qualifier: str | None, headers: Mapping[str, str],
                       payload: bytes) -> Reply:
    """``invoke_answer``, awaited (aiohttp's route and the operation table)."""
    out = invoke_answer(s, fn, qualifier, headers, payload)
    return out if isinstance(out, Reply) else await out


async def _accepted(s: Service, r: Resolved, payload: bytes) -> Reply:
    rid = str(uuid.uuid4())
    await s.aaccept_event(r, payload, rid)
    return Reply(202, {"x-amzn-RequestId": rid})


async def _later(s: Service, r: Resolved, headers: Mapping[str, str], payload: bytes) -> Reply:
    try:
        res = await s.invoke(r, payload, inline=False)
    except InvocationError as e:
        return _answer(r, headers, None, e)
    return _answer(r, headers, res, None)


def _answer(r: Resolved, headers: Mapping[str, str], res: InvokeResult | None, e: InvocationError | None) -> Reply:
    """A RequestResponse invocation's answer: its result, or its failure (a function
    error is a 200: botocore retries 5xx)."""
    out = {"Content-Type": "application/json", "X-Amz-Executed-Version": r.version}
    if res is not None:
        body, logs, report = res.payload, res.logs, res.report
    else:
        assert e is not None
        err = e.to_lambda()
        if e.report is not None and not (isinstance(e, FunctionError) and e.document):  # a runtime's own
            err["errorMessage"] = f"RequestId: {e.report.request_id} Error: {err['errorMessage']}"
        body, logs, report = json.dumps(err).encode(), e.logs, e.report
        out["X-Amz-Function-Error"] = "Unhandled"
    if report is not None:
        out["x-amzn-RequestId"] = report.request_id
        if headers.get("x-amz-log-type") == "Tail":
            out["X-Amz-Log-Result"] = _log_tail(logs, report.request_id, r.version, report.line())
    return Reply(200, out, body)


async def invoke(s: Service, p: dict[str, Any]) -> Reply:
    """Invoke through the operation table (aiohttp's own route and the fast path
    call ``invoke_reply`` directly)."""
    headers = {"x-amz-invocation-type": p.get("InvocationType") or "", "x-amz-log-type": p.get("LogType") or ""}
    return await invoke_reply(s, p["FunctionName"], p.get("Qualifier"), headers, p.get("Payload") or b"")


async def invoke_with_response_stream(s: Service, p: dict[str, Any]) -> Reply:
    """InvokeWithResponseStream: the function runs as Invoke runs it and its whole answer
    is sent as one ``PayloadChunk`` event, then ``InvokeComplete`` (its error there, as
    ``ErrorCode``/``ErrorDetails``, and ``LogResult`` for ``LogType=Tail``). A handler
    that streams (Node's ``awslambda.streamifyResponse``) is answered once it ends."""
    kind = p.get("InvocationType") or "RequestResponse"
    headers = {"x-amz-invocation-type": kind, "x-amz-log-type": p.get("LogType") or ""}
    out = await invoke_reply(s, p["FunctionName"], p.get("Qualifier"), headers, p.get("Payload") or b"")
    if out.status != 200:  # DryRun's 204
        return out
    got = dict(out.pairs())
    complete: dict[str, str] = {}
    if "X-Amz-Function-Error" in got:
        err = json.loads(out.body)
        complete = {"ErrorCode": str(err.get("errorType", "Unhandled")), "ErrorDetails": str(err.get("errorMessage", ""))}
    if "X-Amz-Log-Result" in got:
        complete["LogResult"] = got["X-Amz-Log-Result"]
    body = (b"" if "ErrorCode" in complete else eventstream.message("PayloadChunk", out.body)) \
        + eventstream.message("InvokeComplete", json.dumps(complete).encode(), "application/json")
    head = {k: v for k, v in got.items() if k in ("X-Amz-Executed-Version", "x-amzn-RequestId")}
    return Reply(200, {**head, "Content-Type": "application/vnd.amazon.eventstream"}, body)


def invoke_async(s: Service, p: dict[str, Any]) -> Reply:
    payload = p.get("InvokeArgs") or b""
    if payload:
        strict_json.check_payload(payload)
    s.accept_event(s.resolve(p["FunctionName"]), payload or b"{}", str(uuid.uuid4()))
    return Reply(202, {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())},
                 b'{"Status": 202}')
