"""What one worker process of ``serve --workers N`` adds to a plain ``serve``.

Everything here is set up before the server starts answering: the worker's
identity (its event leases are ``SERVER/INDEX``, so a restarted worker takes back
its predecessor's at once and a new server run takes back everything), the lock
every control-plane write holds across workers, the announcement that makes
the others read the registry again (its predecessor may have died between a
commit and its own announcement), the peers' socket for server-wide metrics
and logs, and the roles one worker holds at a time (``Elected``).

Per worker, and documented as such: warm pools, ``min_warm`` (provisioned
concurrency), ``max_concurrency`` (reserved concurrency) and an event source
mapping's ``MaximumConcurrency`` apply in each worker process; the pooling
allocator's 1,000 instance slots (~5 TiB of address space) are divided among them."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..lambda_model.store import Registry
from .locks import FileLock
from .peers import Peers

if TYPE_CHECKING:
    from ..lambda_model import Service

log = logging.getLogger("wasmhost.workers")

POOL_SLOTS = 1000  # EngineSettings' default, for the whole server
BEAT_S = 1.0  # a worker's heartbeat, to its supervisor


@dataclass(frozen=True)
class Place:
    """Where a worker stands: ``--worker-of SERVER:INDEX:COUNT:STARTED``."""

    server_id: str
    index: int
    count: int
    started_at: float

    @classmethod
    def parse(cls, text: str) -> Place:
        server_id, index, count, started = text.split(":")
        return cls(server_id, int(index), int(count), float(started))

    @property
    def pool_slots(self) -> int:
        return max(10, POOL_SLOTS // self.count)


def run_dir(data_dir: Path) -> Path:
    path = data_dir / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def join(service: Service, place: Place) -> Peers:
    """Make ``service`` one worker of the server; returns its peers' end, a source
    for run.serve to start and stop."""
    events = service.events
    events.server_id, events.owner = place.server_id, f"{place.server_id}/{place.index}"
    service.started_at = place.started_at
    service.write_lock = FileLock(run_dir(service.registry.dir) / "registry.lock")
    if isinstance(service.registry, Registry):  # (a cluster node's workers tell each other in the KV registry)
        service.registry.announce()
    peers = service.peers = Peers(service, place.server_id, place.index, place.count)
    return peers


def elect_buckets(buckets: Any, peers: Peers, lock: Path) -> Elected:
    """Bucket directories are watched and their notifications delivered by one
    worker at a time; an upload through any other tells that one at once."""
    elected = Elected(buckets, lock)
    store = buckets.store
    store.on_outbox = peers.tell_outbox  # the elected worker's notifier puts its own wake-up here

    def poked() -> None:
        if elected.leading and store.on_outbox is not None:
            store.on_outbox()
    peers.on_outbox = poked
    return elected


class Heartbeat:
    """What the supervisor hears from a worker on its pipe (``--ready-fd``): ``R``
    once every function is restored (it then starts the next worker), then a beat a
    second for as long as the event loop answers.

    A thread beats, after asking the loop to acknowledge (``call_soon_threadsafe``):
    a loop that stopped answering (a deadlock, a handler spinning in Python, a
    blocked call) stops the beats, and the supervisor kills and restarts the worker
    (``serve --hung-after-s``). A long Wasm run is no hang: runs are off the loop on
    worker threads, or inline and bounded by the 2 ms budget. A deploy compiles on
    the loop (a Python runtime's first compile takes minutes on two cores), so
    beats go on while ``Host.deploy`` runs."""

    def __init__(self, fd: int, host: Any, beat_s: float = BEAT_S) -> None:
        self.fd, self.beat_s = fd, beat_s
        self.acked = time.monotonic()
        self.deploying = 0
        deploy = host.deploy

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.deploying += 1
            try:
                return deploy(*args, **kwargs)
            finally:
                self.deploying -= 1
        host.deploy = counted

    def start(self) -> None:
        """On the event loop, once every function is restored."""
        loop = asyncio.get_running_loop()
        if self._write(b"R"):
            threading.Thread(target=self._run, args=(loop,), name="wasmhost-heartbeat", daemon=True).start()

    def _ack(self) -> None:
        self.acked = time.monotonic()

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            time.sleep(self.beat_s)
            try:
                loop.call_soon_threadsafe(self._ack)
            except RuntimeError:  # the loop closed: the worker is stopping
                return
            if (time.monotonic() - self.acked < 3 * self.beat_s or self.deploying) and not self._write(b"."):
                return

    def _write(self, data: bytes) -> bool:
        try:
            os.write(self.fd, data)
            return True
        except OSError:  # the supervisor is gone (and this worker with it: PR_SET_PDEATHSIG)
            return False


class Elected:
    """Runs ``source`` (``start()``/``stop()``) in the one worker that holds
    ``lock``; the others retry every ``retry_s`` and take over when it dies (the
    kernel drops a dead process's lock). Everything else of the source (an S3
    API's middleware) works in every worker."""

    def __init__(self, source: Any, lock: Path, retry_s: float = 1.0) -> None:
        self.source, self.retry_s = source, retry_s
        self._lock = FileLock(lock)
        self._task: asyncio.Task[None] | None = None
        self.leading = False

    def __getattr__(self, name: str) -> Any:  # middleware() and the rest
        return getattr(self.source, name)

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._campaign())

    async def _campaign(self) -> None:
        while not self._lock.try_acquire():
            await asyncio.sleep(self.retry_s)
        log.info("this worker (pid %d) now runs %s", os.getpid(), type(self.source).__name__)
        await self.source.start()
        self.leading = True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.source.stop()  # stops what ran; closes what it opened either way
        self._lock.close()
