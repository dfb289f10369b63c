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
    def __init__(self) -> None:
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
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
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
