"""``POST /invoke/{name}``: the plain endpoint. The body goes to the function as it
is (JSON, msgpack or raw bytes: the Content-Type comes back with the result); the
metering report comes back in ``X-Wasmhost-*`` headers. A Python or Node.js
handler takes a JSON event, so for those the body must be JSON (or empty: ``{}``),
as Lambda's Invoke checks: anything else is a 400 ``InvalidRequestContentException``,
never a string handed to a handler that expects an object."""

from __future__ import annotations

import json
from typing import Awaitable

from ..errors import InvocationError
from ..function import InvokeResult
from ..clock import ALIASES, RID_HEAD
from ..metering import MiB, Report
from .reply import Lines, Reply
from .lambda_model import Service
from .lambda_model.routing import Resolved
from .lambda_model.packaging import is_source_runtime
from .lambda_model.strict_json import check_payload


def report_lines(report: Report, content_type: str = "") -> Lines:
    """The metering report as ``X-Wasmhost-*`` header lines (and the Content-Type,
    if given): one f-string, on every invocation's answer (the request id and billed
    ms are worked out here rather than through Report's properties: ~0.5 µs less;
    the lines a function's runs share are made once per function and status)."""
    seq, _, version, _, dur, init, fuel, mem, memory_mb, cold, status, _, out_requests, out_bytes, \
        bucket_read, bucket_written = report  # raw fields
    rid = ALIASES[seq] if ALIASES and seq in ALIASES else f"{RID_HEAD}{seq & 0xFFFFFFFFFFFF:012x}"  # request_id
    billed = -(-(dur + (init or 0)) // 1_000_000) or 1  # Report.billed_ms
    text = (f"X-Wasmhost-Request-Id: {rid}\r\nX-Wasmhost-Duration-Ms: {dur / 1e6:.3f}\r\n"
            f"X-Wasmhost-Billed-Ms: {billed}\r\nX-Wasmhost-Max-Memory-Mb: {-(-mem // MiB)}\r\n"
            f"{_SHARED.get((version, memory_mb, cold, status)) or _shared(version, memory_mb, cold, status)}")
    if init is not None:
        text += f"X-Wasmhost-Init-Ms: {init / 1e6:.3f}\r\n"
    if fuel is not None:
        text += f"X-Wasmhost-Fuel-Used: {fuel}\r\n"
    if out_requests:
        text += f"X-Wasmhost-Outbound-Requests: {out_requests}\r\nX-Wasmhost-Outbound-Bytes: {out_bytes}\r\n"
    if bucket_read or bucket_written:
        text += f"X-Wasmhost-Bucket-Bytes-Read: {bucket_read}\r\nX-Wasmhost-Bucket-Bytes-Written: {bucket_written}\r\n"
    if content_type:
        text += f"Content-Type: {content_type}\r\n"
    return Lines(text)


_SHARED: dict[tuple[str, int, bool, str], str] = {}  # (version, memory, cold, status) -> their lines


def _shared(version: str, memory_mb: int, cold: bool, status: str) -> str:
    text = (f"X-Wasmhost-Memory-Mb: {memory_mb}\r\nX-Wasmhost-Cold: {'true' if cold else 'false'}\r\n"
            f"X-Wasmhost-Status: {status}\r\nX-Wasmhost-Version: {version}\r\n")
    if len(_SHARED) < 1024:  # bounded: versions come and go
        _SHARED[(version, memory_mb, cold, status)] = text
    return text


def report_headers(report: Report) -> dict[str, str]:
    """The same headers as a dict, for an answer that adds its own (an HTTP trigger's)."""
    return dict(report_lines(report).pairs())


def answer(service: Service, name: str, qualifier: str | None, payload: bytes,
           content_type: str) -> Reply | Awaitable[Reply]:
    """The answer to ``POST /invoke/{name}``: the Reply itself when the function ran
    at once (a warm run inline: no coroutine at all, see Service.invoke_now), else
    an awaitable of it. The fast path calls this; aiohttp's route awaits ``reply``."""
    r = service.resolve(name, qualifier)
    if payload and is_source_runtime(r.doc.get("Runtime", "")):
        check_payload(payload)
    try:
        res = service.invoke_now(r, payload)
    except InvocationError as e:
        return _failed(e)
    if res is None:
        return _later(service, r, payload, content_type)
    return _ok(res, content_type)


async def reply(service: Service, name: str, qualifier: str | None, payload: bytes, content_type: str) -> Reply:
    out = answer(service, name, qualifier, payload, content_type)
    return out if isinstance(out, Reply) else await out


async def _later(service: Service, r: Resolved, payload: bytes, content_type: str) -> Reply:
    try:
        res = await service.invoke(r, payload, inline=False)
    except InvocationError as e:
        return _failed(e)
    return _ok(res, content_type)


def _ok(res: InvokeResult, content_type: str) -> Reply:
    return Reply(200, report_lines(res.report, _MEDIA.get(content_type) or _media(content_type)), res.payload)


_MEDIA: dict[str, str] = {}  # request Content-Type -> the result's: most requests repeat a few


def _media(content_type: str) -> str:
    media = content_type.partition(";")[0].strip() if content_type.isprintable() else ""
    media = media or "application/octet-stream"
    if len(_MEDIA) < 256:  # bounded: a client inventing types does not grow it
        _MEDIA[content_type] = media
    return media


def _failed(e: InvocationError) -> Reply:
    headers = report_lines(e.report) if e.report is not None else ""
    return Reply(500 if e.error_type != "Sandbox.Timedout" else 504,
                 Lines(f"{headers}Content-Type: application/json\r\nX-Wasmhost-Function-Error: {e.error_type}\r\n"),
                 json.dumps(e.to_lambda()).encode())
