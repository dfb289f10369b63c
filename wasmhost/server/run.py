"""Running the app: the fast path (fastpath.py) listening in front of aiohttp,
until SIGINT or SIGTERM, then aiohttp's orderly shutdown (pending async events
stay written down, the ledger is flushed, the host closed)."""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web

from .fastpath import FastPath


def serve(app: web.Application, host: str, port: int, *, fast_path: bool = True) -> None:
    asyncio.run(_serve(app, host, port, fast_path))


async def _serve(app: web.Application, host: str, port: int, fast_path: bool) -> None:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()  # on_startup: restores every function
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    front = FastPath(runner.server, app["service"], app["auth"]) if fast_path else runner.server
    listener = await loop.create_server(front, host, port, reuse_address=True, backlog=1024)
    try:
        await stop.wait()
    finally:
        listener.close()
        if fast_path:
            front.close()
        await runner.cleanup()
