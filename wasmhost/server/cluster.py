"""``wasmhost serve --cluster``: one node of a cluster whose state lives in NATS
JetStream (wasmhost/backends/nats). Every node is identical and none leads; a
load balancer in front (deploy/haproxy/) hashes on the function name.

What this module adds to a single node's server:

- the ``ClusterStore`` replaces the SQLite registry, and other nodes' writes,
  watched into its mirror, are applied here: changed versions redeployed (code
  from the object store, compiled artifacts from the local cache), removed ones
  undeployed, the routing table rebuilt;
- ``ClusterEventWorker`` runs the async events this node claims from the shared
  work queue (Lambda's retry and destination logic is the single node's);
- the ledger outbox publishes this node's batches, and ``/wasmhost/totals``
  answers for all nodes from the stream.

Warm synchronous invocations never touch the engine: a node cut off from its
quorum keeps serving them, and refuses writes and ``Event`` invocations with 503.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..backends.nats import ClusterConfig, ClusterStore, Engine, LedgerPublisher, StreamLedger
from ..backends.nats.kv import JetStreamKV
from ..backends.nats.queue import EVENT_OVERHEAD
from .lambda_model.events import EventWorker

if TYPE_CHECKING:
    from .lambda_model import Service
    from .lambda_model.routing import Resolved

log = logging.getLogger("wasmhost.cluster")
YOUNG_S = 30.0  # an event for a function this node does not know yet waits this long for the registry


class Cluster:
    def __init__(self, config: ClusterConfig, data_dir: Any) -> None:
        """Connect and load the registry (``Unavailable`` when the engine cannot be reached)."""
        self.config = config
        self.engine = Engine(config)
        self.engine.start()
        self.store = ClusterStore(self.engine, data_dir)
        self.store.load()
        self.publisher: LedgerPublisher | None = None
        self.ledger: StreamLedger | None = None
        self._service: Service | None = None
        self._applier = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="wasmhost-cluster-apply")
        self._pending = threading.Lock()  # held from a change until the reconcile it started begins
        self._applying = threading.Condition()
        self._running = 0  # reconciles running (0 or 1)

    def bind(self, service: Service) -> None:
        """Make ``service`` (built on ``self.store``) a cluster node."""
        self._service = service
        service.cluster = self
        service.host.kv = JetStreamKV(self.engine)  # functions' key-value stores, before any is deployed
        service.events = ClusterEventWorker(service, service.events.retry_base_s, self.store)
        if service.host.ledger.path != ":memory:":
            self.publisher = LedgerPublisher(self.engine, Path(service.host.ledger.path))
            self.publisher.start()
        self.ledger = StreamLedger(self.engine, self.publisher)
        self.store.on_change = self._changed
        self.store.caught_up = self._caught_up
        self.store.on_close.append(self._close)
        self.store.before_settle = service.host.ledger.flush  # runs' reports written before their acks
        limit = int(self.engine.nc.max_payload) - EVENT_OVERHEAD
        if service.async_max_payload > limit:  # each event is a message: what the servers take bounds it
            log.warning("cluster: the NATS servers take messages up to %d bytes (their max_payload), so Event "
                        "payloads here are limited to %d bytes; Lambda's 1 MiB needs max_payload: 2MB in their "
                        "configuration", self.engine.nc.max_payload, limit)
            service.async_max_payload = limit
        self._unpack_layers()  # before the functions that use them are restored

    # -- other nodes' writes -----------------------------------------------------------
    def _changed(self) -> None:
        """On the engine's thread, for each change: one reconcile at a time, and a
        burst of changes (a create, then its publish) folds into one more."""
        if self._pending.acquire(blocking=False):
            self._applier.submit(self._reconcile)

    def _unpack_layers(self) -> None:
        """Layer versions published on other nodes, unpacked here from the object store."""
        import shutil

        from .lambda_model import packaging
        for doc in self.store.list_layers():
            if doc.get("_deleted") or not doc.get("_zip_sha256"):
                continue
            name = doc["LayerArn"].rsplit(":", 1)[-1]
            target = self.store.layer_path(name, int(doc["Version"]))
            if target.exists():
                continue
            try:
                data = self.store.code_path(doc["_zip_sha256"]).read_bytes()
                tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")  # (workers of a node may race)
                shutil.rmtree(tmp, ignore_errors=True)
                packaging.extract(data, tmp)
                try:
                    tmp.replace(target)
                except OSError:
                    if not target.exists():
                        raise
                    shutil.rmtree(tmp, ignore_errors=True)  # another worker of this node unpacked it first
            except Exception as e:  # noqa: BLE001 - the functions using it fail to deploy, and say so
                log.error("cluster: could not unpack layer %s:%s: %s", name, doc["Version"], e)

    def _reconcile(self) -> None:
        """What worker processes do after another's write (``Service.catch_up``:
        ``Deployer.reconcile``), after the layers it may need are unpacked."""
        with self._applying:
            self._running += 1
        self._pending.release()  # a change from now on schedules another pass
        assert self._service is not None
        try:
            self._unpack_layers()
            self._service.catch_up()
        except Exception:  # on the applier's thread: said here, or nowhere
            log.exception("cluster: applying another node's change failed")
        finally:
            with self._applying:
                self._running -= 1
                self._applying.notify_all()

    def _caught_up(self, revision: int, timeout: float) -> bool:
        """Whether the registry's watch has brought ``revision`` and every change up
        to it is applied (no reconcile running or due); waits up to ``timeout``. The
        watch starts a change's reconcile before it counts the change as brought."""
        deadline = time.monotonic() + timeout
        with self._applying:
            while self.store.records.last_revision < revision or self._running or self._pending.locked():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._applying.wait(min(left, 0.002))  # (the watch's progress is polled)
        return True

    def status(self) -> dict[str, Any]:
        nc = self.engine.nc
        return {"node": self.config.node, "connected": bool(nc and nc.is_connected),
                "server": nc.connected_url.netloc if nc and nc.connected_url else None}

    def _close(self) -> None:
        """Before the engine goes (``store.close``, after the host flushed its ledger)."""
        self.store.on_change = None
        self._applier.shutdown(wait=True)
        if self.publisher is not None:
            self.publisher.close()


class ClusterEventWorker(EventWorker):
    """The single node's event worker, fed by the shared work queue instead of
    polling SQLite; ``_run`` (retries, destinations, dead letters) is unchanged and
    settles each event through the store (ack, nak, republish)."""

    def __init__(self, service: Service, retry_base_s: float, store: ClusterStore) -> None:
        super().__init__(service, retry_base_s)
        self.store = store
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    def _durable(self) -> None:
        """The queue flushes the ledger once before each group of settlements."""

    async def aaccept(self, r: Resolved, payload: bytes, request_id: str) -> None:
        await self.store.aenqueue(r.name, self._check(r, payload), payload, request_id)
        self.stats["accepted"] += 1

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._start())

    async def _start(self) -> None:
        while True:
            try:
                await self.store.open()
                await self.store.consume(self._dispatch)
                return
            except Exception as e:  # noqa: BLE001 - the engine is away: this node serves, and retries
                log.warning("cluster: cannot claim events yet: %r", e)
                await self.store.aclose()
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.store.aclose()

    def _dispatch(self, event: dict[str, Any]) -> None:
        name, qual = event["function"], event["qualifier"]
        known = (name if qual is None else f"{name}:{qual}") in self.s.routes
        if not known and time.time() - event["created_at"] < YOUNG_S:
            # created on another node a moment ago: this one's registry has not caught up
            self.store.retry_event(event["id"], event["attempts"], 0.5, "")
            return
        task = asyncio.get_running_loop().create_task(self._run_guarded(event))
        self._running.add(task)  # a task nobody holds may be collected mid-run
        task.add_done_callback(self._running.discard)
