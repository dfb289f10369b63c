"""The no-sandbox floor: a plain aiohttp (+uvloop) echo server, the same stack as
`wasmhost serve` minus everything wasmhost does. Usage: aiohttp_echo.py PORT"""

import sys

from aiohttp import web


async def echo(request: web.Request) -> web.Response:
    return web.Response(body=await request.read())


if __name__ == "__main__":
    try:
        import asyncio

        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    app = web.Application()
    app.router.add_post("/{tail:.*}", echo)
    app.router.add_get("/healthz", lambda r: web.Response(text="ok"))
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
