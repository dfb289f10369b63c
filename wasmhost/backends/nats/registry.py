"""The registry (``backends/registry.py``'s ``RegistryStore``) on JetStream: records
in a KV bucket, code in an object store.

Keys are ``fn.<name>``, ``ver.<name>.<n>``, ``alias.<name>.<alias>`` and
``layer.<name>.<n>``; values the same JSON documents the SQLite store keeps. Every
node watches the whole bucket into an in-memory mirror (mirror.py: reads never
leave the node, so invocations do not depend on the engine), and writes with
compare-and-set on the revision the mirror last saw: a write based on a stale
read, or the loser of two concurrent ones, fails with ``Conflict`` instead of
silently undoing another node's (Lambda's ``RevisionId`` relies on it). Code is
put in the object store by sha256 and fetched into ``code/<sha256>`` on first
use; compiled artifacts then come from the node's own cache (engine/cache.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Callable

from ..registry import Conflict, DocumentRecords, Unavailable
from .engine import REGISTRY_BUCKET, Engine
from .mirror import MirroredBucket

log = logging.getLogger("wasmhost.cluster")
CATCH_UP_S = 5.0  # how long a worker waits to apply another worker's write before it answers anyway

_PREFIX = {"functions": "fn", "versions": "ver", "aliases": "alias", "layers": "layer"}
_TABLE = {v: k for k, v in _PREFIX.items()}
_NUMBERED = ("versions", "layers")  # their second key part is an int
CODE_TIMEOUT_S = 60.0  # fetching a big module (a Python runtime's sources) may take a while


def _kv_key(table: str, key: tuple) -> str:
    return ".".join((_PREFIX[table], *map(str, key)))


def _parse(kv_key: str) -> tuple[str, tuple] | None:
    prefix, _, rest = kv_key.partition(".")
    table = _TABLE.get(prefix)
    if table is None or not rest:
        return None
    parts = rest.split(".")
    if table in _NUMBERED:
        if len(parts) != 2 or not parts[1].isdigit():
            return None
        return table, (parts[0], int(parts[1]))
    return table, tuple(parts)


class KVRegistry(DocumentRecords):
    def __init__(self, engine: Engine, data_dir: Path | str) -> None:
        self.engine = engine
        self.dir = Path(data_dir)
        (self.dir / "code").mkdir(parents=True, exist_ok=True)
        self.records = MirroredBucket(engine, REGISTRY_BUCKET, _parse)
        self.records.on_change = self._changed
        self._reads = threading.local()  # per thread: KV key -> the revision it last read the record at
        # called on the engine's thread after another node's write changed the mirror
        self.on_change: Callable[[], None] | None = None
        # the worker processes of this node (``serve --workers``): the revision the last write of any reached
        self._written = SharedRevision(self.dir / "registry.revision")
        self._waited = self._written.read()  # (the records loaded at start are at least that)
        self._seen = self._waited.to_bytes(8, "little")
        # whether this process has applied the registry up to a revision (waiting up to a timeout):
        # server/cluster.py's, which knows when its redeploys are done
        self.caught_up: Callable[[int, float], bool] = self._watched

    def _watched(self, revision: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.records.last_revision < revision:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def load(self) -> None:
        """Fill the mirror with the bucket's current records, then follow changes."""
        self.engine.call(self.records.start(self.engine.kv), timeout=self.engine.config.start_timeout_s)

    def _changed(self, table: str) -> None:
        if self.on_change is not None:
            self.on_change()

    def changed(self) -> bool:
        """Other nodes' writes arrive through the watch (server/cluster.py applies
        them): never. Called before every invocation and control-plane operation
        (``Service.sync``), so a write by another worker process of this node has
        been applied here first: its revision, in shared memory, is waited for (a
        deploy answered by one worker is seen by the next request at any other)."""
        if self._written.raw() == self._seen:  # (the common case: ~0.2 µs)
            return False
        target = self._written.read()
        self._seen = target.to_bytes(8, "little")
        if target != self._waited:  # (not ``>``: an engine started afresh counts from 1 again)
            self._waited = target
            if not self.caught_up(target, CATCH_UP_S):
                log.warning("cluster: registry revision %d, written by another worker, not applied here after %.0f s",
                            target, CATCH_UP_S)
        return False

    def _wrote(self, rev: int) -> None:
        """Tell this node's other workers (``changed``). Writes are made one at a time
        across them (``Service.writing``), after each caught up: this one has."""
        self._written.store(rev)
        self._waited = rev
        self._seen = rev.to_bytes(8, "little")

    # -- writes -------------------------------------------------------------------
    def _put(self, table: str, key: tuple, doc: dict) -> None:
        """Compare-and-set on the revision this thread last read the record at: the
        operation's read (its ``RevisionId`` check is made on it, and a deploy may
        come between; operations run one at a time on the server's loop, and read
        a record before they write it): another node's write that landed meanwhile
        makes this one fail with ``Conflict`` rather than be undone. A record this
        thread never read is compared with the mirror's revision."""
        kv_key = _kv_key(table, key)
        revs = self._revs_read()
        rev = self.engine.call(self.records.update(kv_key, doc, revs.get(kv_key)))
        if rev is None:
            raise Conflict(f"{kv_key} was changed by another node since this one read it")
        revs[kv_key] = rev  # a second write in the same operation follows its first
        self._wrote(rev)

    def _delete_keys(self, items: list[tuple[str, tuple]]) -> None:
        async def delete() -> int:
            rev = 0
            for table, key in items:
                rev = await self.records.delete(_kv_key(table, key))
            return rev
        self._wrote(self.engine.call(delete()))

    def _delete(self, table: str, key: tuple) -> None:
        self._delete_keys([(table, key)])

    # -- reads (the mirror) -------------------------------------------------------
    def _get(self, table: str, key: tuple) -> dict | None:
        kv_key = _kv_key(table, key)
        doc, rev = self.records.entry(kv_key)
        self._revs_read()[kv_key] = rev
        return doc

    def _revs_read(self) -> dict[str, int]:
        revs: dict[str, int] | None = getattr(self._reads, "revs", None)
        if revs is None:
            revs = self._reads.revs = {}
        return revs

    def _list(self, table: str, name: str | None) -> list[dict]:
        return [doc for key, doc in self.records.items(table) if name is None or key[0] == name]

    # -- code ---------------------------------------------------------------------
    def put_code(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self.code_path_local(sha)
        if not path.exists():
            _write_atomic(path, data)

        async def put() -> None:
            from nats.js.errors import ObjectNotFoundError
            try:
                await self.engine.objects.get_info(sha)
                return  # content-addressed: already there
            except ObjectNotFoundError:
                pass
            await self.engine.objects.put(sha, data)
        self.engine.call(put(), timeout=CODE_TIMEOUT_S)
        return sha

    def code_path_local(self, sha: str) -> Path:
        return self.dir / "code" / sha

    def code_path(self, sha: str) -> Path:
        """The local copy, fetched from the object store the first time."""
        path = self.code_path_local(sha)
        if path.exists():
            return path

        async def get() -> bytes:
            return (await self.engine.objects.get(sha)).data
        data = self.engine.call(get(), timeout=CODE_TIMEOUT_S)
        if hashlib.sha256(data).hexdigest() != sha:
            raise Unavailable(f"code {sha} came back from the object store damaged")
        _write_atomic(path, data)
        return path

    def layer_path(self, name: str, version: int) -> Path:
        return self.dir / "layers" / name / str(version)

    # -- the RegistryStore methods DocumentRecords does not write -----------------
    def delete_function(self, name: str) -> None:
        """Versions and aliases first, the function last: a node that sees only part
        of it still has a consistent record (a function with fewer versions)."""
        owned = [(t, k) for t in ("versions", "aliases") for k, _ in self.records.items(t) if k[0] == name]
        self._delete_keys(owned + [("functions", (name,))])


class SharedRevision:
    """A revision in eight bytes of a memory-mapped file, shared by the worker
    processes of one node: what the last write of any of them reached (they write
    one at a time). Read on every invocation (~0.3 µs); a torn read (two differing
    reads) is read again."""

    def __init__(self, path: Path) -> None:
        import mmap
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size < 8:
                os.ftruncate(fd, 8)  # (two processes doing this at once both leave 8 zero bytes)
            self._map = mmap.mmap(fd, 8)
        finally:
            os.close(fd)

    def raw(self) -> bytes:
        return self._map[:8]

    def read(self) -> int:
        while (a := self._map[:8]) != self._map[:8]:
            pass
        return int.from_bytes(a, "little")

    def store(self, rev: int) -> None:
        self._map[:8] = rev.to_bytes(8, "little")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
