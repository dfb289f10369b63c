"""The functions' key-value stores (``backends/kv.py``'s ``KVBackend``) on a NATS
JetStream cluster: one replicated KV bucket, ``WH_KV``, for every store, so a
``kv.set`` on one node is read by ``kv.get`` on any other.

Semantics are the embedded backend's group commit, across nodes: a ``set`` is
pending (seen at once by this node's readers) until the invocation that made it
ends; then ``flush`` publishes every pending write and waits for the quorum's
acknowledgements, so a value is durable, and visible on every node, before the
answer of the invocation that wrote it leaves. Reads of keys not pending here go
to the engine (one round trip each: a value written anywhere is read fresh, with
no mirror to go stale); ``delete`` is immediate; ``keys`` publishes what is
pending first, then lists the store's keys (an ordered scan of the store's part
of the bucket: cost grows with the store, like a DynamoDB scan).

A key is ``<hex of the store id>.<hex of the key>``: KV keys allow few characters,
and hex keeps both order and prefixes (the hex of a prefix is a prefix of the
hex). Values are limited by the engine's ``max_payload`` (1 MiB by default, less a
few hundred bytes of headers); a larger one fails when its invocation ends.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from .buckets import key_value
from .engine import Engine
from .kv_scan import current

log = logging.getLogger("wasmhost.cluster")
BUCKET = "WH_KV"


def _key(store: str, key: str) -> str:
    return f"{store.encode().hex()}.{key.encode('utf-8', 'surrogatepass').hex()}"


class JetStreamKV:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], bytes] = {}
        self._kv: Any = engine.call(self._open(), timeout=engine.config.start_timeout_s)

    async def _open(self) -> Any:
        return await key_value(self.engine.js, BUCKET, self.engine.config.replicas)

    def get(self, store: str, key: str) -> bytes | None:
        with self._lock:
            value = self._pending.get((store, key))
        if value is not None:
            return value

        async def get() -> bytes | None:
            from nats.js.errors import KeyDeletedError, KeyNotFoundError
            try:
                entry = await self._kv.get(_key(store, key))
            except (KeyNotFoundError, KeyDeletedError):
                return None
            return entry.value if entry.value is not None else b""
        return self.engine.call(get())

    def set(self, store: str, key: str, value: bytes) -> None:
        with self._lock:
            self._pending[(store, key)] = value

    def delete(self, store: str, key: str) -> bool:
        with self._lock:
            pending = self._pending.pop((store, key), None)

        async def delete() -> bool:
            from nats.js.errors import KeyDeletedError, KeyNotFoundError
            try:
                await self._kv.get(_key(store, key))
                existed = True
            except (KeyNotFoundError, KeyDeletedError):
                existed = False
            if existed:
                await self._kv.delete(_key(store, key))
            return existed
        return self.engine.call(delete()) or pending is not None

    def keys(self, store: str, prefix: str = "", limit: int = 1000) -> list[str]:
        self.flush()

        async def keys() -> list[str]:  # (nats-py's kv.keys() filters by substring, after a full scan)
            return list(await current(self.engine.js, BUCKET, f"{store.encode().hex()}.>", meta_only=True,
                                      timeout=self.engine.config.timeout_s))
        want = prefix.encode("utf-8", "surrogatepass").hex()
        found = sorted(k.partition(".")[2] for k in self.engine.call(keys()))
        return [bytes.fromhex(k).decode("utf-8", "surrogatepass") for k in found if k.startswith(want)][:limit]

    def flush(self) -> None:
        """Publish what is pending and wait for the quorum (the kv capability calls
        this when an invocation that wrote ends, the host's janitor now and then).
        On failure the writes stay pending, seen here, for the next flush."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return

        async def put() -> None:
            await asyncio.gather(*(self._kv.put(_key(s, k), v) for (s, k), v in pending.items()))
        try:
            self.engine.call(put())
        except BaseException:
            with self._lock:  # what was set meanwhile is newer
                self._pending = {**pending, **self._pending}
            raise

    def close(self) -> None:
        try:
            self.flush()
        except Exception as e:  # noqa: BLE001 - closing without an engine: say what is lost
            with self._lock:
                log.error("cluster: %d key-value writes could not be published at close: %s", len(self._pending), e)
