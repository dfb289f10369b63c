"""FastAPI behind Mangum in the Python sandbox, as Lambda's most common ASGI set-up runs
it: plain ``def`` endpoints and dependencies go through anyio's ``to_thread.run_sync``
(Starlette's ``run_in_threadpool``), whose worker thread cannot run here, so the sandbox
runs the call in place (``wasmhost_sandbox``); before, the first such endpoint trapped
the instance. Requirements come from PyPI, as a function's do (.ci/run has the network)."""

from __future__ import annotations

import json
import textwrap

import pytest

from wasmhost import FunctionConfig

pytest.importorskip("wasmtime.component")

APP = textwrap.dedent('''
    import asyncio
    from fastapi import Depends, FastAPI
    from fastapi.responses import StreamingResponse
    from mangum import Mangum
    from pydantic import BaseModel

    app = FastAPI()
    CALLS = []

    def settings():  # a plain-def dependency: run through the thread pool
        CALLS.append("settings")
        return {"greeting": "hello"}

    class Order(BaseModel):
        item: str
        qty: int

    @app.get("/sync/{name}")
    def sync_route(name: str, cfg: dict = Depends(settings)):
        return {"msg": f"{cfg['greeting']} {name}", "calls": len(CALLS)}

    @app.get("/async")
    async def async_route():
        return {"t": await asyncio.to_thread(lambda: 6 * 7)}

    @app.post("/orders")
    def create(order: Order):
        return {"total": order.qty, "item": order.item}

    @app.get("/stream")
    def stream():
        return StreamingResponse((f"{i}," for i in range(3)), media_type="text/plain")

    handler = Mangum(app, lifespan="off")
''')


def event(method: str, path: str, body: str | None = None) -> bytes:
    """An API Gateway HTTP API (payload 2.0) event."""
    return json.dumps({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"host": "api.example.com", "content-type": "application/json"},
        "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4",
                                    "userAgent": "test"}, "requestId": "r", "routeKey": "$default",
                           "stage": "$default", "accountId": "1", "apiId": "a", "domainName": "api.example.com",
                           "domainPrefix": "api", "time": "01/Dec/2026:00:00:00 +0000", "timeEpoch": 0},
        "body": body, "isBase64Encoded": False}).encode()


def test_fastapi_sync_and_async_endpoints_behind_mangum(python_host, tmp_path):
    code = tmp_path / "api"
    code.mkdir()
    (code / "app.py").write_text(APP)
    (code / "requirements.txt").write_text("fastapi\nmangum\n")
    python_host.deploy("api", code, FunctionConfig(handler="app.handler", runtime="python3.12", timeout_ms=60000))

    def call(method, path, body=None):
        out = json.loads(python_host.invoke("api", event(method, path, body)).payload)
        return out["statusCode"], out["body"]

    status, body = call("GET", "/sync/ada")
    assert status == 200 and json.loads(body) == {"msg": "hello ada", "calls": 1}
    assert json.loads(call("GET", "/sync/bob")[1])["calls"] == 2  # warm: the module's state kept
    assert call("GET", "/async") == (200, '{"t":42}')
    assert call("POST", "/orders", '{"item": "tea", "qty": 2}') == (200, '{"total":2,"item":"tea"}')
    status, body = call("POST", "/orders", '{"item": "tea", "qty": "many"}')
    assert status == 422 and json.loads(body)["detail"][0]["type"] == "int_parsing"  # pydantic's own error
    assert call("GET", "/stream") == (200, "0,1,2,")
