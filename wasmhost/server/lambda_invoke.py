"""Lambda's Invoke (RequestResponse, Event, DryRun; LogType=Tail), HTTP-free: the
fast path and aiohttp's route (lambda_api.py) both answer with it."""

from __future__ import annotations

import base64
import json
import uuid

from ..errors import InvocationError
from .errors import ApiError
from .reply import Reply
from .service import Service


def _log_tail(result_logs: str, request_id: str, version: str, report_line: str) -> str:
    text = (f"START RequestId: {request_id} Version: {version}\n{result_logs}END RequestId: {request_id}\n"
            f"{report_line}\n").encode()
    return base64.b64encode(text[-4096:]).decode()


async def invoke_reply(s: Service, fn: str, qualifier: str | None, headers, payload: bytes) -> Reply:
    """Lambda's Invoke, for aiohttp's route and the fast path alike. ``headers``:
    a mapping looked up by lower-case names (aiohttp's is case-insensitive)."""
    kind = headers.get("x-amz-invocation-type", "RequestResponse")
    if kind not in ("RequestResponse", "Event", "DryRun"):
        raise ApiError(400, "InvalidParameterValueException", f"Unsupported invocation type {kind}")
    r = s.resolve(fn, qualifier)
    limit = s.host.max_payload if kind != "Event" else s.async_max_payload
    if len(payload) > limit:
        raise ApiError(413, "RequestEntityTooLargeException",
                       f"Request must be smaller than {limit} bytes for the InvokeFunction operation")
    if payload:
        try:
            json.loads(payload)
        except ValueError as e:
            raise ApiError(400, "InvalidRequestContentException",
                           f"Could not parse request body into json: {e}") from None
    else:
        payload = b"{}"
    if kind == "DryRun":
        s.check_throttle(r)
        return Reply(204, {"x-amzn-RequestId": str(uuid.uuid4())})
    if kind == "Event":
        rid = str(uuid.uuid4())
        s.accept_event(r, payload, rid)
        return Reply(202, {"x-amzn-RequestId": rid})
    out = {"Content-Type": "application/json", "X-Amz-Executed-Version": r.version}
    try:
        res = await s.invoke(r, payload)
        body, logs, report = res.payload, res.logs, res.report
    except InvocationError as e:  # a function error is a 200: botocore retries 5xx
        err = e.to_lambda()
        if e.report is not None:
            err["errorMessage"] = f"RequestId: {e.report.request_id} Error: {err['errorMessage']}"
        body, logs, report = json.dumps(err).encode(), e.logs, e.report
        out["X-Amz-Function-Error"] = "Unhandled"
    if report is not None:
        out["x-amzn-RequestId"] = report.request_id
        if headers.get("x-amz-log-type") == "Tail":
            out["X-Amz-Log-Result"] = _log_tail(logs, report.request_id, r.version, report.line())
    return Reply(200, out, body)
