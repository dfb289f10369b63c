"""Events from the world: SQS queues, event source mappings (queue → function) and
EventBridge schedules, on the same server as the Lambda API.

``install(app, service)`` is the one hook in the aiohttp app: it adds ``POST /``
for the JSON protocols (``X-Amz-Target``), ``/wasmhost/sources`` for the CLI, and
starts the pollers and the scheduler with the app (stopped before the host closes).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from ..reply import Reply
from . import lambda_routes, status
from .adapters import QueueDestinations
from .backends import SourceStore
from .backends.sqlite import open_store
from .mappings import Mappings
from .protocol import AwsError, JsonService
from .schedules import Schedules
from .sqs import Queues

if TYPE_CHECKING:
    from aiohttp import web

    from ..lambda_model import Service

log = logging.getLogger("wasmhost.sources")


class Sources:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.store: SourceStore
        if service.cluster is not None:  # one set of queues, mappings and rules for the whole cluster
            from .backends.jetstream import JetStreamSources
            self.store = JetStreamSources(service.cluster.engine)
        else:
            self.store = open_store(service.registry.dir)
        self.queues = Queues(self.store, service.region)
        self.mappings = Mappings(service, self.store, self.queues)
        lambda_routes.register(service, self.mappings)
        service.destination_queues = QueueDestinations(self.queues)
        service.metrics.extra.append(lambda: status.metrics(self))
        # non-AWS, for tests and demos: rate(N seconds)
        self.schedules = Schedules(service, self.store, self.queues,
                                   seconds=os.environ.get("WASMHOST_SCHEDULE_SECONDS") == "1")
        self.apis: dict[str, JsonService] = {"AmazonSQS": self.queues.api(),
                                             "AWSEvents": self.schedules.api()}
        if hasattr(self.store, "on_change"):  # another node changed a rule: the scheduler looks again
            self.store.on_change = lambda kind: self.schedules.wake() if kind in ("rule", "target") else None

    async def dispatch(self, target: str, body: bytes, host: str) -> Reply:
        prefix, _, operation = target.partition(".")
        api = self.apis.get(prefix)
        if api is None:
            api = JsonService(prefix, "application/x-amz-json-1.1", "com.amazonaws", {})
            return api.error(AwsError("UnknownOperationException", f"No service {prefix!r} on this host "
                                      f"(it speaks {', '.join(sorted(self.apis))})"))
        return await api.call(operation, body, {"host": host})

    async def start(self) -> None:
        opening = getattr(self.store, "open", None)  # a cluster's data-plane connection, on this loop
        if opening is not None:
            try:
                await opening()
            except Exception as e:  # noqa: BLE001 - the engine is away: the control plane's connection serves
                log.warning("sources: no connection of their own to the cluster (%r): sharing the engine's", e)
        self.mappings.start()
        self.schedules.start()
        endpoint = getattr(self.service.deployer, "function_endpoint", None)  # s3_functions.install
        if endpoint is not None:  # functions' own S3, SQS and Lambda endpoints, in every worker
            await endpoint.start_all(self.service, self)

    async def stop(self) -> None:
        endpoint = getattr(self.service.deployer, "function_endpoint", None)
        if endpoint is not None:
            await endpoint.stop()
        await self.schedules.stop()
        await self.mappings.stop()
        closing = getattr(self.store, "aclose", None)
        if closing is not None:
            await closing()
        self.store.close()


def install(app: web.Application, service: Service) -> Sources:
    from aiohttp import web

    sources = app["sources"] = Sources(service)

    async def json_api(request: web.Request) -> web.Response:
        target = request.headers.get("X-Amz-Target")
        if not target:
            raise web.HTTPNotFound(reason="POST / needs an X-Amz-Target header (SQS, EventBridge)")
        reply = await sources.dispatch(target, await request.read(), request.host)
        return reply.response()

    async def on_startup(app: web.Application) -> None:
        await sources.start()

    async def on_cleanup(app: web.Application) -> None:
        await sources.stop()

    if service.peers is not None:  # one of several workers: the answer covers them all (workers/peers.py)
        service.peers.sources_status = lambda: status.status(sources)

    async def state(request: web.Request) -> web.Response:
        own = status.status(sources)
        return web.json_response(own if service.peers is None else await service.peers.sources(own))

    app.router.add_post("/", json_api)
    app.router.add_get("/wasmhost/sources", state)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return sources
