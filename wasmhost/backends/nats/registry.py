"""The registry (``backends/registry.py``'s ``RegistryStore``) on JetStream: records
in a KV bucket, code in an object store.

Keys are ``fn.<name>``, ``ver.<name>.<n>``, ``alias.<name>.<alias>`` and
``layer.<name>.<n>``; values the same JSON documents the SQLite store keeps. Every
node watches the whole bucket into an in-memory mirror (reads never leave the
node, so invocations do not depend on the engine), and writes with
compare-and-swap on the revision the mirror last saw: a write based on a stale
read fails with ``Conflict`` instead of silently undoing another node's. Code is
put in the object store by sha256 and fetched into ``code/<sha256>`` on first
use; compiled artifacts then come from the node's own cache (engine/cache.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable

from ..registry import Conflict, DocumentRecords, Unavailable
from .engine import REGISTRY_BUCKET, Engine

log = logging.getLogger("wasmhost.cluster")
_PREFIX = {"functions": "fn", "versions": "ver", "aliases": "alias", "layers": "layer"}
_TABLE = {v: k for k, v in _PREFIX.items()}
_NUMBERED = ("versions", "layers")  # their second key part is an int
CODE_TIMEOUT_S = 60.0  # fetching a big module (a Python runtime's sources) may take a while
WATCH_CHECK_S = 1.0  # how often the watch is checked against the bucket's last revision


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
        self._lock = threading.Lock()
        self._mirror: dict[str, dict[tuple, dict]] = {t: {} for t in _PREFIX}
        self._revs: dict[str, int] = {}  # KV key -> the last revision seen (a delete's too)
        self._last_rev = 0  # the newest revision seen of any key
        self._watcher: Any = None
        self._follower: asyncio.Task[None] | None = None
        # called on the engine's thread after another node's write changed the mirror
        self.on_change: Callable[[], None] | None = None

    # -- the mirror ---------------------------------------------------------------
    def load(self) -> None:
        """Fill the mirror with the bucket's current records, then follow changes."""
        self.engine.call(self._watch(), timeout=self.engine.config.timeout_s * 5)

    async def _watch(self) -> None:
        watcher = await self.engine.kv.watchall()
        while True:
            entry = await watcher.updates(timeout=self.engine.config.timeout_s * 4)
            if entry is None:  # the current values are in
                break
            self._apply(entry)
        self._watcher = watcher
        self._follower = asyncio.get_running_loop().create_task(self._follow(watcher))
        asyncio.get_running_loop().create_task(self._guard())

    async def _guard(self) -> None:
        """Watch the watch. nats-py's ordered consumer under it notices a lost server
        only after two missed heartbeats (10 s) and tries once to recreate itself,
        which fails while the streams elect new leaders: then the mirror would go
        stale for good. So: when the bucket has had a revision for a whole check
        interval that the mirror has not, watch again (values already seen are
        skipped by revision)."""
        behind = 0
        while True:
            await asyncio.sleep(WATCH_CHECK_S)
            try:
                last = (await self.engine.js.stream_info(f"KV_{REGISTRY_BUCKET}")).state.last_seq
            except Exception:  # noqa: BLE001 - no engine now: nothing to compare with
                continue
            if behind and self._last_rev < behind:
                log.warning("cluster: the registry's watch fell behind (revision %d of %d); watching again",
                            self._last_rev, behind)
                await self._rewatch()
                behind = 0
            else:
                behind = last if last > self._last_rev else 0

    async def _rewatch(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
        try:
            await self._watcher.stop()
        except Exception as e:  # noqa: BLE001 - its consumer is gone already
            log.info("cluster: stopping the old watch: %r", e)
        try:
            self._watcher = await self.engine.kv.watchall()
        except Exception as e:  # noqa: BLE001 - the next check tries again
            log.info("cluster: watching the registry again: %r", e)
            return
        self._follower = asyncio.get_running_loop().create_task(self._follow(self._watcher))

    async def _follow(self, watcher: Any) -> None:
        async for entry in watcher:
            if entry is not None and self._apply(entry) and self.on_change is not None:
                try:
                    self.on_change()
                except Exception:  # a bug in the reaction must not stop the watch
                    log.exception("cluster: reacting to a registry change failed")

    def _apply(self, entry: Any) -> bool:
        self._last_rev = max(self._last_rev, entry.revision)  # (on the engine's loop only)
        parsed = _parse(entry.key)
        if parsed is None:
            return False
        table, key = parsed
        with self._lock:
            if entry.revision <= self._revs.get(entry.key, 0):
                return False  # this node's own write, already in the mirror
            self._revs[entry.key] = entry.revision
            if entry.operation in ("DEL", "PURGE") or not entry.value:
                self._mirror[table].pop(key, None)
            else:
                self._mirror[table][key] = json.loads(entry.value)
        return True

    # -- writes -------------------------------------------------------------------
    def _put(self, table: str, key: tuple, doc: dict) -> None:
        kv_key = _kv_key(table, key)
        data = json.dumps(doc).encode()

        async def put() -> None:
            from nats.js.errors import KeyWrongLastSequenceError
            try:
                rev = await self.engine.kv.update(kv_key, data, last=self._revs.get(kv_key, 0))
            except KeyWrongLastSequenceError:
                raise Conflict(f"{kv_key} was changed by another node since this one read it") from None
            with self._lock:  # on the engine's loop, like the watch: no update slips in between
                self._revs[kv_key] = max(rev, self._revs.get(kv_key, 0))
                self._mirror[table][key] = doc
        self.engine.call(put())

    def _delete_keys(self, items: list[tuple[str, tuple]]) -> None:
        async def delete() -> None:
            for table, key in items:
                kv_key = _kv_key(table, key)
                ack = await self.engine.js.publish(f"$KV.{REGISTRY_BUCKET}.{kv_key}", b"",
                                                   headers={"KV-Operation": "DEL"})
                with self._lock:
                    self._revs[kv_key] = max(ack.seq, self._revs.get(kv_key, 0))
                    self._mirror[table].pop(key, None)
        self.engine.call(delete())

    def _delete(self, table: str, key: tuple) -> None:
        self._delete_keys([(table, key)])

    # -- reads (the mirror) -------------------------------------------------------
    def _get(self, table: str, key: tuple) -> dict | None:
        with self._lock:
            return self._mirror[table].get(key)

    def _list(self, table: str, name: str | None) -> list[dict]:
        with self._lock:
            return [doc for key, doc in sorted(self._mirror[table].items()) if name is None or key[0] == name]

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
        with self._lock:
            owned = [(t, k) for t in ("versions", "aliases") for k in self._mirror[t] if k[0] == name]
        self._delete_keys(owned + [("functions", (name,))])


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
