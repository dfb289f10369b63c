"""Running ``wasmhost serve``: restore every function, answer invocations on the
fast path (http/) at once, load aiohttp for everything else in a thread
meanwhile (~250 ms of imports, most of a cold start), and on SIGINT or SIGTERM
shut down in order: pending async events stay written down, the ledger is
flushed, the host closed."""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from typing import Any, Callable, Sequence

from .auth import AuthConfig
from .http import KEEPALIVE_S, FrontDoor
from .service import Service

log = logging.getLogger("wasmhost.server")


def serve(service: Service, address: str, port: int, *, auth: AuthConfig | None = None, fast_path: bool = True,
          on_start: Callable[[Service], None] | None = None, sources: Sequence[Any] = (),
          reuse_port: bool = False) -> None:
    """Serve until SIGINT or SIGTERM. ``on_start`` runs once the functions are
    restored and before the first request (the CLI deploys the examples there).
    ``sources``: event sources started after the async worker and stopped before it
    (``start()``/``stop()`` coroutines; a ``middleware()`` joins aiohttp's app).
    ``reuse_port``: one of several worker processes on the port (server/workers/)."""
    asyncio.run(_serve(service, address, port, auth or AuthConfig(), fast_path, on_start, sources, reuse_port))


async def _serve(service: Service, address: str, port: int, auth: AuthConfig, fast_path: bool, on_start,
                 sources: Sequence[Any] = (), reuse_port: bool = False) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    front = FrontDoor(service, auth) if fast_path else None
    listener = runner = None
    started: list[Any] = []
    try:  # whatever fails, the ledger is flushed and the stores closed
        from ..progress import step
        with step("restoring functions"):
            log.info("restored %d function versions", service.restore())
        if on_start is not None:
            on_start(service)
        service.start_worker()
        for source in sources:
            await source.start()
            started.append(source)
        if front is not None:
            listener = await loop.create_server(front, address, port, reuse_address=True, reuse_port=reuse_port,
                                                backlog=1024)
        app_module = await loop.run_in_executor(None, importlib.import_module, "wasmhost.server.app")
        from aiohttp import web  # loaded by now
        runner = web.AppRunner(app_module.make_app(service, auth, sources), access_log=None, handle_signals=False)
        await runner.setup()
        assert runner.server is not None
        protocol = app_module.protocol_factory(runner.server, keepalive_timeout=KEEPALIVE_S)
        if front is not None:
            front.ready(protocol)
        else:
            listener = await loop.create_server(protocol, address, port, reuse_address=True, reuse_port=reuse_port,
                                                backlog=1024)
        await stop.wait()
    finally:
        if listener is not None:
            listener.close()
        if front is not None:
            front.close()
        if runner is not None:
            await runner.cleanup()
        for source in reversed(started):
            await source.stop()
        await service.stop_worker()
        service.host.close()
        service.registry.close()
