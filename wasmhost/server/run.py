"""Running ``wasmhost serve``, in the order that answers the first invocation
soonest: restore every function, listen, and answer invocations on the fast path
(http/) at once; meanwhile a thread imports aiohttp and the app (~250 ms, most of
a cold start), then the event sources are built and the async worker started
(after the sources, so an event's SQS destination exists when it finishes). On
SIGINT or SIGTERM shut down in order: pending async events stay written down, the
ledger is flushed, the host closed."""

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

SourceFactory = Callable[[Service], Any]


def serve(service: Service, address: str, port: int, *, auth: AuthConfig | None = None, fast_path: bool = True,
          on_start: Callable[[Service], None] | None = None, sources: Sequence[SourceFactory] = (),
          reuse_port: bool = False) -> None:
    """Serve until SIGINT or SIGTERM. ``on_start`` runs once the functions are
    restored and before the first request (the CLI deploys the examples there).
    ``sources``: factories of event sources (``service -> source``), called once the
    socket listens and aiohttp is loaded, so their imports and start-up (a bucket
    store, a directory watcher) never delay the first invocation; each source's
    ``start()``/``stop()`` coroutines run after the async worker's start and before
    its stop, and its ``middleware()``, if any, joins aiohttp's app.
    ``reuse_port``: one of several worker processes on the port (server/workers/)."""
    asyncio.run(_serve(service, address, port, auth or AuthConfig(), fast_path, on_start, sources, reuse_port))


async def _serve(service: Service, address: str, port: int, auth: AuthConfig, fast_path: bool, on_start,
                 sources: Sequence[SourceFactory] = (), reuse_port: bool = False) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    front = FrontDoor(service, auth) if fast_path else None
    listener = runner = None
    started: list[Any] = []
    worker = False
    try:  # whatever fails, the ledger is flushed and the stores closed
        from ..progress import step
        with step("restoring functions"):
            log.info("restored %d function versions", service.restore())
        if on_start is not None:
            on_start(service)
        if front is not None:  # invocations are answered from here on
            listener = await loop.create_server(front, address, port, reuse_address=True, reuse_port=reuse_port,
                                                backlog=1024)
        app_module = await loop.run_in_executor(None, importlib.import_module, "wasmhost.server.app")
        from aiohttp import web  # loaded by now
        made = [factory(service) for factory in sources]
        runner = web.AppRunner(app_module.make_app(service, auth, made), access_log=None, handle_signals=False)
        await runner.setup()  # the app's own sources (SQS, mappings, schedules) start here
        service.start_worker()
        worker = True
        for source in made:
            await source.start()
            started.append(source)
        assert runner.server is not None
        protocol = app_module.protocol_factory(runner.server, keepalive_timeout=KEEPALIVE_S)
        if front is not None:
            front.claims = [s.fast_route for s in made if hasattr(s, "fast_route")]
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
        if worker:
            await service.stop_worker()
        service.host.close()
        service.registry.close()
