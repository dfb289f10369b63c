"""The connection to a NATS JetStream cluster, on a thread of its own.

nats-py is asyncio, but the registry's methods are synchronous (the Lambda control
plane calls them inline) and the server's event loop must never wait on the
engine for a warm invocation. So the control plane's client runs its own event
loop on a daemon thread: synchronous callers wait on ``call`` with a deadline,
coroutines await ``acall``, background work goes through ``submit`` (the registry's
watch, the ledger's publisher). Async events have a connection of their own on the
server's loop (queue.py). Every failure to reach a quorum in time becomes
``Unavailable``: the front end answers 503 and the caller retries.

The streams and buckets are created by whichever node starts first (the same
configuration from every node, so creating them again is a no-op; a node started
with other retention limits sets them, and says so).

Retention: the async invocations' work queue keeps every event until it is
acknowledged (never discarded: an accepted event runs); the dead letters
``DLQ_MAX_AGE_S`` (SQS's longest retention); the ledger's reports and the guest log
lines by age and size (``ClusterConfig``; ``serve --cluster-ledger-days`` …), oldest
first. Totals never depend on the ledger stream's retention: each node keeps its
running totals in the ``WH_TOTALS`` bucket (backends/nats/ledger.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Coroutine, TypeVar

from ..registry import Unavailable

log = logging.getLogger("wasmhost.cluster")
T = TypeVar("T")

REGISTRY_BUCKET = "WH_REGISTRY"
CODE_BUCKET = "WH_CODE"
INVOKE_STREAM, INVOKE_SUBJECT = "WH_INVOKE", "wh.invoke"
DLQ_STREAM, DLQ_SUBJECT = "WH_DLQ", "wh.dlq"
LEDGER_STREAM, LEDGER_SUBJECT = "WH_LEDGER", "wh.ledger"
LOGS_STREAM, LOGS_SUBJECT = "WH_LOGS", "wh.logs"
TOTALS_BUCKET = "WH_TOTALS"
CONSUMER = "workers"
DAY_S = 86400.0
MB = 1024 * 1024
DLQ_MAX_AGE_S = 14 * DAY_S


@dataclass(frozen=True)
class ClusterConfig:
    servers: tuple[str, ...]  # nats://host:port of any of the engine's servers
    node: str  # this node's name: unique in the cluster, stable across restarts
    replicas: int = 3  # R3 survives one server's loss (serve uses 1 when given one server)
    timeout_s: float = 2.0  # a write that has no quorum by then fails with 503
    start_timeout_s: float = 30.0  # connecting and loading at start (a loaded machine is slow, not down)
    ack_wait_s: float = 30.0  # an event unacknowledged this long goes to another node
    max_ack_pending: int = 4096
    # the ledger's reports and the guest log lines, oldest dropped first past either limit
    # (0: none); sizes are reserved against each server's max_file_store
    ledger_max_age_s: float = 30 * DAY_S
    ledger_max_bytes: int = 512 * MB
    logs_max_age_s: float = 7 * DAY_S
    logs_max_bytes: int = 256 * MB


class Engine:
    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="wasmhost-nats", daemon=True)
        self.nc: Any = None
        self.js: Any = None
        self.kv: Any = None
        self.objects: Any = None
        self.totals: Any = None  # the WH_TOTALS key-value bucket (ledger.py)
        # set when a call found no quorum: synchronous calls then fail at once (they
        # would hold the server's event loop for the whole timeout) until a probe
        # in the background finds the engine writable again
        self.down = False
        self._probing = False

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    # -- life cycle ---------------------------------------------------------------
    def start(self) -> None:
        """Connect and make sure every stream and bucket exists; ``Unavailable``
        when the engine cannot be reached within a few timeouts."""
        self._thread.start()
        self.call(self._connect(), timeout=self.config.timeout_s * 5)  # (no server answers: said soon)
        self.call(self._prepare(), timeout=self.config.start_timeout_s)

    async def _connect(self) -> None:
        import nats

        async def disconnected() -> None:
            log.warning("cluster: disconnected from NATS; warm invocations continue, writes wait")

        async def reconnected() -> None:
            log.info("cluster: reconnected to NATS at %s", self.nc.connected_url.netloc if self.nc else "?")

        async def error(e: Exception) -> None:
            log.info("cluster: NATS client: %s", e)

        self.nc = await nats.connect(list(self.config.servers), name=f"wasmhost-{self.config.node}",
                                     connect_timeout=self.config.timeout_s, max_reconnect_attempts=-1,
                                     reconnect_time_wait=0.25, disconnected_cb=disconnected,
                                     reconnected_cb=reconnected, error_cb=error)
        self.js = self.nc.jetstream(timeout=self.config.timeout_s)

    async def _prepare(self) -> None:
        from nats.js import api
        r = self.config.replicas
        # a cluster just started elects its meta leader (~0.2 s), then its servers register as
        # JetStream peers: until they have, a replicated bucket cannot be placed. Retried until
        # the start's own deadline is near (a loaded machine is slow, not down).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(5.0, self.config.start_timeout_s - 2.0)
        while True:
            try:
                await self._create(api, r)
                return
            except Exception as e:  # noqa: BLE001 - anything but success: wait, then say why
                if loop.time() >= deadline:
                    raise
                log.info("cluster: JetStream not ready (%s); retrying", e)
                await asyncio.sleep(0.25)

    async def _create(self, api: Any, r: int) -> None:
        from nats.js.errors import BadRequestError

        async def ensure(make: Callable[[], Awaitable[Any]], get: Callable[[], Awaitable[Any]]) -> Any:
            try:
                return await make()
            except BadRequestError as made:  # made by another node (its configuration is the same as ours)
                try:
                    return await get()
                except Exception as e:  # not made by anyone: the refusal of ours is what to retry and say
                    raise made from e

        self.kv = await ensure(lambda: self.js.create_key_value(bucket=REGISTRY_BUCKET, history=5, replicas=r),
                               lambda: self.js.key_value(REGISTRY_BUCKET))
        self.objects = await ensure(lambda: self.js.create_object_store(CODE_BUCKET, config=api.ObjectStoreConfig(
            bucket=CODE_BUCKET, replicas=r)), lambda: self.js.object_store(CODE_BUCKET))
        self.totals = await ensure(lambda: self.js.create_key_value(bucket=TOTALS_BUCKET, history=1, replicas=r),
                                   lambda: self.js.key_value(TOTALS_BUCKET))
        c = self.config
        streams = ((INVOKE_STREAM, INVOKE_SUBJECT, api.RetentionPolicy.WORK_QUEUE, 0.0, 0),
                   (DLQ_STREAM, DLQ_SUBJECT, api.RetentionPolicy.LIMITS, DLQ_MAX_AGE_S, 0),
                   (LEDGER_STREAM, LEDGER_SUBJECT, api.RetentionPolicy.LIMITS, c.ledger_max_age_s, c.ledger_max_bytes),
                   (LOGS_STREAM, LOGS_SUBJECT, api.RetentionPolicy.LIMITS, c.logs_max_age_s, c.logs_max_bytes))
        for name, subject, retention, max_age, max_bytes in streams:
            cfg = api.StreamConfig(name=name, subjects=[f"{subject}.>"], retention=retention, num_replicas=r,
                                   storage=api.StorageType.FILE, duplicate_window=120.0,
                                   max_age=max_age or None, max_bytes=max_bytes or -1)
            await ensure(functools.partial(self.js.add_stream, cfg), functools.partial(self._limits, cfg))
        consumer = api.ConsumerConfig(durable_name=CONSUMER, ack_policy=api.AckPolicy.EXPLICIT,
                                      ack_wait=self.config.ack_wait_s, max_ack_pending=self.config.max_ack_pending,
                                      max_deliver=-1)
        await ensure(lambda: self.js.add_consumer(INVOKE_STREAM, consumer),
                     lambda: self.js.consumer_info(INVOKE_STREAM, CONSUMER))

    async def _limits(self, cfg: Any) -> Any:
        """A stream that exists already: its retention limits made this node's."""
        info = await self.js.stream_info(cfg.name)
        have = info.config
        if (have.max_age or 0) != (cfg.max_age or 0) or (have.max_bytes or -1) != cfg.max_bytes:
            log.warning("cluster: stream %s kept max_age %s s, max_bytes %s; this node sets %s s, %s", cfg.name,
                        have.max_age or 0, have.max_bytes, cfg.max_age or 0, cfg.max_bytes)
            have.max_age, have.max_bytes = cfg.max_age, cfg.max_bytes
            info = await self.js.update_stream(have)
        return info

    def close(self) -> None:
        if self._thread.is_alive():
            try:
                if self.nc is not None:
                    self.call(self._close(), timeout=self.config.timeout_s * 2)
            except Exception as e:  # noqa: BLE001 - closing: say it, do not fail the shutdown
                log.info("cluster: closing the NATS connection: %s", e)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)

    async def _close(self) -> None:
        await self.nc.flush(timeout=self.config.timeout_s)
        await self.nc.close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:  # (watches, probes: ended here rather than destroyed with the loop)
            task.cancel()
        await asyncio.wait(others, timeout=1.0) if others else None

    # -- running coroutines on the engine's loop ------------------------------------
    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run on the engine's loop and wait (never from that loop itself)."""
        if self.down:
            coro.close()
            self.probe()
            raise Unavailable("the cluster engine (NATS JetStream) has no quorum")
        fut = self.submit(coro)
        try:
            return fut.result(timeout if timeout is not None else self.config.timeout_s * 2)
        except Exception as e:
            fut.cancel()
            err = self.failed(e)
            if err is e:
                raise
            raise err from None

    def failed(self, e: BaseException) -> BaseException:
        """What a caller should see of ``e``: the engine's own failures (no quorum,
        no responders, a timeout, a closed connection) become ``Unavailable`` and
        mark the engine down; anything else is unchanged."""
        if isinstance(e, (concurrent.futures.TimeoutError, asyncio.TimeoutError)):
            e = Unavailable("the cluster engine (NATS JetStream) did not answer in time")
        err = unavailable(e)
        if isinstance(err, Unavailable):
            self.went_down()
        return err

    def went_down(self) -> None:
        self.down = True
        self.probe()

    def probe(self) -> None:
        """Find out, in the background, whether the engine takes writes again."""
        if self._probing:
            return
        self._probing = True

        key = "probe." + re.sub(r"[^-_=A-Za-z0-9]", "_", self.config.node)  # (the registry ignores it)

        async def probe() -> None:
            try:
                while True:
                    try:  # a write: a stream leader that lost its quorum still answers reads for a while
                        await self.kv.put(key, b"")
                        if self.down:
                            log.info("cluster: the engine takes writes again")
                        self.down = False
                        return
                    except Exception:  # noqa: BLE001 - still down: try again shortly
                        await asyncio.sleep(0.5)
            finally:
                self._probing = False
        self.submit(probe())

    async def acall(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await from another event loop (the server's)."""
        try:
            return await asyncio.wait_for(asyncio.wrap_future(self.submit(coro)), self.config.timeout_s * 2)
        except Exception as e:
            err = self.failed(e)
            if err is e:
                raise
            raise err from None


def unavailable(e: BaseException) -> BaseException:
    """``Unavailable`` for the failures that mean "no engine now" (a timeout, no
    responders, no connection, a stream without its leader); others unchanged (a
    missing object is a bug to see, not an outage)."""
    import nats.errors
    from nats.js.errors import NoStreamResponseError, ServerError, ServiceUnavailableError
    outage = (nats.errors.TimeoutError, nats.errors.NoRespondersError, nats.errors.ConnectionClosedError,
              nats.errors.NoServersError, nats.errors.StaleConnectionError, nats.errors.ConnectionReconnectingError,
              ServiceUnavailableError, ServerError, NoStreamResponseError, asyncio.TimeoutError, ConnectionError)
    if isinstance(e, outage) and not isinstance(e, Unavailable):
        return Unavailable(f"the cluster engine (NATS JetStream) cannot take writes now: {e!r}")
    return e
