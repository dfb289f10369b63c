"""Lambda's Invoke (RequestResponse, Event, DryRun; LogType=Tail; ClientContext),
InvokeWithResponseStream and the legacy InvokeAsync, HTTP-free: the fast path,
aiohttp's route and the operation table all answer with these Replies."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import TYPE_CHECKING, Any, Awaitable, Mapping

from ...errors import FunctionError, InvocationError
from ...function import InvokeResult
from ...request import Request
from ..errors import ApiError
from ..reply import Reply
from ..streaming import LiveRun, streaming
from . import eventstream, strict_json
from .events import too_large_event
from .routing import Resolved

if TYPE_CHECKING:
    from .service import Service

_KINDS = ("RequestResponse", "Event", "DryRun")
MAX_CLIENT_CONTEXT = 3583  # bytes of base64 (the API reference's limit)
_BAD_CONTEXT = "Client context must be a valid Base64-encoded JSON object."


def _client_context(headers: Mapping[str, str]) -> str | None:
    """Invoke's ``X-Amz-Client-Context`` (base64 of a JSON object) as the JSON text the
    function's context gets, None when absent; a 400 InvalidRequestContentException
    for one that is too long or not base64 of a JSON object."""
    raw = headers.get("x-amz-client-context")
    if not raw:
        return None
    if len(raw) > MAX_CLIENT_CONTEXT:
        raise ApiError(400, "InvalidRequestContentException",
                       f"Client context must be at most {MAX_CLIENT_CONTEXT} bytes (base64-encoded); got {len(raw)}")
    try:
        text = base64.b64decode(raw, validate=True).decode("utf-8")
        if isinstance(json.loads(text), dict):
            return text
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        pass
    raise ApiError(400, "InvalidRequestContentException", _BAD_CONTEXT)


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
    payload = _checked(s, kind, payload)
    if kind == "DryRun":
        s.check_throttle(r)
        return Reply(204, {"x-amzn-RequestId": str(uuid.uuid4())})
    if kind == "Event":
        return _accepted(s, r, payload)
    context = _client_context(headers)
    if context is not None:  # a run that carries more than its event: on a worker thread
        return _later(s, r, headers, payload, Request(context))
    try:
        res = s.invoke_now(r, payload)
    except InvocationError as e:
        return _answer(r, headers, None, e)
    if res is None:
        return _later(s, r, headers, payload)
    return _answer(r, headers, res, None)


def _checked(s: Service, kind: str, payload: bytes) -> bytes:
    """The event to run: within the size limit, JSON (``{}`` for none)."""
    limit = s.host.max_payload if kind != "Event" else s.async_max_payload
    if len(payload) > limit:  # Lambda's code and words (its model names RequestTooLargeException; it answers this)
        raise ApiError(413, "RequestEntityTooLargeException", too_large_event(len(payload), limit) if kind == "Event"
                       else f"Request must be smaller than {limit} bytes for the InvokeFunction operation")
    if not payload:
        return b"{}"
    strict_json.check_payload(payload)
    return payload


async def invoke_reply(s: Service, fn: str, qualifier: str | None, headers: Mapping[str, str],
                       payload: bytes) -> Reply:
    """``invoke_answer``, awaited (aiohttp's route and the operation table)."""
    out = invoke_answer(s, fn, qualifier, headers, payload)
    return out if isinstance(out, Reply) else await out


async def _accepted(s: Service, r: Resolved, payload: bytes) -> Reply:
    rid = str(uuid.uuid4())
    await s.aaccept_event(r, payload, rid)
    return Reply(202, {"x-amzn-RequestId": rid})


async def _later(s: Service, r: Resolved, headers: Mapping[str, str], payload: bytes,
                 request: Request | None = None) -> Reply:
    try:
        res = await s.invoke(r, payload, inline=False, request=request)
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
    return await invoke_reply(s, p["FunctionName"], p.get("Qualifier"), _headers(p), p.get("Payload") or b"")


def _headers(p: dict[str, Any]) -> dict[str, str]:
    """An Invoke's headers again, from the operation table's parameters."""
    return {"x-amz-invocation-type": p.get("InvocationType") or "", "x-amz-log-type": p.get("LogType") or "",
            "x-amz-client-context": p.get("ClientContext") or ""}


async def invoke_with_response_stream(s: Service, p: dict[str, Any]) -> Reply:
    """InvokeWithResponseStream: a streaming handler's writes (Node's
    ``awslambda.streamifyResponse``) are sent as ``PayloadChunk`` events as they are
    written (an ``HttpResponseStream.from`` prelude first, as Lambda sends it: its JSON
    and eight zero bytes), any other handler's answer as one chunk; then
    ``InvokeComplete``, with the error as ``ErrorCode``/``ErrorDetails`` (also after
    chunks, for a handler that fails mid-stream) and ``LogResult`` for ``LogType=Tail``.
    Refusals before the run (unknown function, throttled, bad payload) are errors, as
    from Invoke; DryRun is Invoke's 204, Event its 202."""
    headers = _headers(p)
    kind = headers["x-amz-invocation-type"] or "RequestResponse"
    payload = p.get("Payload") or b""
    if kind != "RequestResponse":
        return await invoke_reply(s, p["FunctionName"], p.get("Qualifier"), headers, payload)
    r = s.resolve(p["FunctionName"], p.get("Qualifier"))
    payload = _checked(s, kind, payload)
    rid = str(uuid.uuid4())
    run = LiveRun(s, r, payload, rid, _client_context(headers))
    if not await run.begun():
        res, exc = run.outcome()
        if exc is not None and not isinstance(exc, InvocationError):
            raise exc  # refused before it ran (throttled, ...): Invoke's error
        return _whole(_answer(r, headers, res, exc))
    prelude, content_type = run.stream.prelude or ("", "")
    head = [("X-Amz-Executed-Version", r.version), ("x-amzn-RequestId", rid), ("Content-Type", content_type)]
    return streaming(200, head, _events(r, headers, run, prelude), run.stream.close)


def _complete(out: Reply) -> dict[str, str]:
    """InvokeComplete's fields for Invoke's answer ``out``: its error, its log's tail."""
    got = dict(out.pairs())
    complete: dict[str, str] = {}
    if "X-Amz-Function-Error" in got:
        err = json.loads(out.body)
        complete = {"ErrorCode": str(err.get("errorType", "Unhandled")), "ErrorDetails": str(err.get("errorMessage", ""))}
    if "X-Amz-Log-Result" in got:
        complete["LogResult"] = got["X-Amz-Log-Result"]
    return complete


def _whole(out: Reply) -> Reply:
    """A run that did not stream, as an event stream: its answer as one chunk (none for
    an error), then InvokeComplete."""
    complete = _complete(out)
    body = (b"" if "ErrorCode" in complete else eventstream.message("PayloadChunk", out.body)) \
        + eventstream.message("InvokeComplete", json.dumps(complete).encode(), "application/json")
    head = [(k, v) for k, v in out.pairs() if k in ("X-Amz-Executed-Version", "x-amzn-RequestId")]
    return Reply(200, head + [("Content-Type", "application/json")], body)


async def _events(r: Resolved, headers: Mapping[str, str], run: LiveRun, prelude: str):
    """The event stream of a run that streams: its chunks as written, then how it ended."""
    if prelude:
        yield eventstream.message("PayloadChunk", prelude.encode() + b"\0" * 8)
    async for chunk in run.chunks():
        yield eventstream.message("PayloadChunk", chunk)
    res, exc = run.outcome()
    if exc is not None and not isinstance(exc, InvocationError):
        exc = InvocationError(str(exc))
    complete = _complete(_answer(r, headers, res, exc))
    if run.stream.too_large and "ErrorCode" not in complete:
        complete.update(ErrorCode="Function.ResponseSizeTooLarge", ErrorDetails="Response payload size exceeded "
                        f"maximum allowed payload size ({run.stream.limit} bytes).")
    yield eventstream.message("InvokeComplete", json.dumps(complete).encode(), "application/json")


def invoke_async(s: Service, p: dict[str, Any]) -> Reply:
    payload = p.get("InvokeArgs") or b""
    if payload:
        strict_json.check_payload(payload)
    s.accept_event(s.resolve(p["FunctionName"]), payload or b"{}", str(uuid.uuid4()))
    return Reply(202, {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())},
                 b'{"Status": 202}')
