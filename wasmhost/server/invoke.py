"""``POST /invoke/{name}``: the plain endpoint. The body goes to the function as it
is (JSON, msgpack or raw bytes: the Content-Type comes back with the result); the
metering report comes back in ``X-Wasmhost-*`` headers. A Python or Node.js
handler takes a JSON event, so for those the body must be JSON (or empty: ``{}``),
as Lambda's Invoke checks: anything else is a 400 ``InvalidRequestContentException``,
never a string handed to a handler that expects an object."""

from __future__ import annotations

import json

from ..errors import InvocationError
from ..clock import request_id
from ..metering import MiB, Report
from .reply import Reply
from .lambda_model import Service
from .lambda_model.packaging import is_source_runtime
from .lambda_model.strict_json import check_payload


def report_headers(report: Report) -> dict[str, str]:
    seq, _, version, _, dur, init, fuel, mem, memory_mb, cold, status, _, out_requests, out_bytes = report  # raw fields
    h = {"X-Wasmhost-Request-Id": request_id(seq), "X-Wasmhost-Duration-Ms": f"{dur / 1e6:.3f}",
         "X-Wasmhost-Billed-Ms": str(report.billed_ms), "X-Wasmhost-Max-Memory-Mb": str(-(-mem // MiB)),
         "X-Wasmhost-Memory-Mb": str(memory_mb), "X-Wasmhost-Cold": "true" if cold else "false",
         "X-Wasmhost-Status": status, "X-Wasmhost-Version": version}
    if init is not None:
        h["X-Wasmhost-Init-Ms"] = f"{init / 1e6:.3f}"
    if fuel is not None:
        h["X-Wasmhost-Fuel-Used"] = str(fuel)
    if out_requests:
        h["X-Wasmhost-Outbound-Requests"], h["X-Wasmhost-Outbound-Bytes"] = str(out_requests), str(out_bytes)
    return h


async def reply(service: Service, name: str, qualifier: str | None, payload: bytes, content_type: str) -> Reply:
    """The answer to ``POST /invoke/{name}``, for aiohttp's route and the fast path alike."""
    r = service.resolve(name, qualifier)
    if payload and is_source_runtime(r.doc.get("Runtime", "")):
        check_payload(payload)
    try:
        res = await service.invoke(r, payload)
    except InvocationError as e:
        headers = report_headers(e.report) if e.report is not None else {}
        headers["Content-Type"] = "application/json"
        headers["X-Wasmhost-Function-Error"] = e.error_type
        return Reply(500 if e.error_type != "Sandbox.Timedout" else 504, headers, json.dumps(e.to_lambda()).encode())
    headers = report_headers(res.report)
    headers["Content-Type"] = content_type.split(";")[0].strip() or "application/octet-stream"
    return Reply(200, headers, res.payload)

