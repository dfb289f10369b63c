"""``POST /invoke/{name}``: the plain endpoint. The body goes to the function as it
is (JSON, msgpack or raw bytes: the Content-Type comes back with the result); the
metering report comes back in ``X-Wasmhost-*`` headers."""

from __future__ import annotations

import json

from aiohttp import web

from ..errors import InvocationError
from ..clock import request_id
from ..metering import MiB, Report
from .service import Service


def report_headers(report: Report) -> dict[str, str]:
    seq, _, version, _, dur, init, fuel, mem, memory_mb, cold, status, _ = report  # raw fields: cheaper
    h = {"X-Wasmhost-Request-Id": request_id(seq), "X-Wasmhost-Duration-Ms": f"{dur / 1e6:.3f}",
         "X-Wasmhost-Billed-Ms": str(report.billed_ms), "X-Wasmhost-Max-Memory-Mb": str(-(-mem // MiB)),
         "X-Wasmhost-Memory-Mb": str(memory_mb), "X-Wasmhost-Cold": "true" if cold else "false",
         "X-Wasmhost-Status": status, "X-Wasmhost-Version": version}
    if init is not None:
        h["X-Wasmhost-Init-Ms"] = f"{init / 1e6:.3f}"
    if fuel is not None:
        h["X-Wasmhost-Fuel-Used"] = str(fuel)
    return h


async def run(service: Service, raw_name: str, payload: bytes, qualifier: str | None = None):
    """Invoke for the plain front ends; returns the result, or raises ApiError, or
    returns the InvocationError (a function failure is an answer, not an exception)."""
    try:
        return await service.invoke(service.resolve(raw_name, qualifier), payload)
    except InvocationError as e:
        return e


def handler(service: Service) -> web.RouteDef:
    async def post(request: web.Request) -> web.Response:
        payload = await request.read()
        ctype = request.headers.get("Content-Type", "application/octet-stream")
        res = await run(service, request.match_info["name"], payload, request.query.get("qualifier"))
        if isinstance(res, InvocationError):
            headers = report_headers(res.report) if res.report is not None else {}
            return web.Response(status=500 if res.error_type != "Sandbox.Timedout" else 504,
                                body=json.dumps(res.to_lambda()).encode(), content_type="application/json",
                                headers={**headers, "X-Wasmhost-Function-Error": res.error_type})
        resp = web.Response(status=200, body=res.payload, headers=report_headers(res.report))
        resp.content_type = ctype.split(";")[0]
        return resp
    return web.post("/invoke/{name}", post)
