"""A real HTTP server on 127.0.0.1 standing in for the internet (aiohttp, in a thread)."""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web

HUGE = 20 * 1024 * 1024  # more than the host's outbound response limit


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="hello from the internet", headers={"X-Served-By": "internet"})


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response({"method": request.method, "path": request.path_qs, "body": body.decode("latin-1"),
                              "headers": dict(request.headers)})


async def _redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.query["to"])


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.query.get("s", "5")))
    return web.Response(text="late")


async def _huge(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    await resp.prepare(request)
    chunk = b"x" * 65536
    for _ in range(HUGE // len(chunk)):
        await resp.write(chunk)
    await resp.write_eof()
    return resp


class Internet:
    def __init__(self, ssl_context=None) -> None:
        self.ssl_context = ssl_context
        self.port = 0
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.add_routes([web.get("/hello", _hello), web.route("*", "/echo", _echo), web.get("/redirect", _redirect),
                        web.get("/slow", _slow), web.get("/huge", _huge)])
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> "Internet":
        self._thread.start()
        self._ready.wait(10)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def http_guest(request: dict) -> str:
    """A core module (WebAssembly text) that sends ``request`` through
    ``wasmhost.http_request`` and returns the msgpack reply ``http_reply`` gives."""
    import msgpack
    data = "".join(f"\\{b:02x}" for b in msgpack.packb(request))
    n = len(msgpack.packb(request))
    return f"""(module
      (import "wasmhost" "http_request" (func $req (param i32 i32) (result i32)))
      (import "wasmhost" "http_reply" (func $reply (param i32 i32) (result i32)))
      (memory (export "memory") 2)
      (data (i32.const 16) "{data}")
      (func (export "wasmhost_alloc") (param i32) (result i32) i32.const 4096)
      (func (export "wasmhost_handle") (param i32 i32) (result i64) (local $n i32)
        (local.set $n (call $req (i32.const 16) (i32.const {n})))
        (drop (call $reply (i32.const 8192) (local.get $n)))
        (i64.or (i64.shl (i64.const 8192) (i64.const 32)) (i64.extend_i32_u (local.get $n)))))"""
