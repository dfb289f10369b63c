"""A JetStream KV bucket watched into memory on every node, written with a
compare-and-set that holds under concurrency: what the registry (registry.py) and
the event sources' records (server/sources/backends/jetstream.py) keep.

**Reads** never leave the node: the whole bucket is watched into a mirror, as
``{group: {key: document}}`` by the owner's ``parse`` of each KV key (keys it does
not know are skipped). A node's own write is in its mirror as soon as the write
returns; the watch applies only revisions later than the one the mirror holds of
that key, so it never undoes a newer own write with an older echo, and a write
another node made a moment ago is seen once its revision arrives (a caller whose
compare-and-set lost reads again and retries: server/sources/schedules.py's
``_done`` relies on this).

**The watch is watched.** nats-py's ordered consumer under a watch notices a lost
server only after two missed heartbeats (10 s) and tries once to recreate itself,
which fails while the streams elect new leaders: then the mirror would stay stale
for good. So when the bucket has had a revision for a whole check interval that
the mirror has not, the mirror watches again (revisions already seen are skipped).

**Compare-and-set** is a publish with ``Nats-Expected-Last-Subject-Sequence``, the
revision the mirror saw. On its own that is not enough: nats-server before 2.9.21
(Debian's is 2.9.10) checks the expected sequence before the write's Raft proposal,
not in it, so concurrent writers on a replicated bucket can all pass the check
(nats-io/nats-server#4320; measured on the loopback R3 cluster: two or three of
three concurrent ``update(last=rev)`` won in 62 of 100 rounds). The same publish
therefore carries ``Nats-Msg-Id: <key>@<expected revision>``: the stream's
de-duplication admits one message per id (in-flight ones included), so of the
writers that based themselves on one revision exactly one is stored; the others
get a duplicate acknowledgement and lose (0 rounds of 700 with two or more
winners, six writers on three servers). Revisions only grow, so an id never
comes back for a later state of the key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any, Callable, Hashable

from .engine import Engine

log = logging.getLogger("wasmhost.cluster")
WATCH_CHECK_S = 1.0  # how often the watch is checked against the bucket's last revision
WRONG_LAST_SEQUENCE = (10071, 10164)  # JetStream's error codes for a failed expected-sequence check


class MirroredBucket:
    def __init__(self, engine: Engine, bucket: str, parse: Callable[[str], tuple[str, Hashable] | None]) -> None:
        self.engine = engine
        self.bucket = bucket
        self._parse = parse
        self._lock = threading.Lock()
        self._docs: dict[str, dict[Any, dict]] = {}
        self._revs: dict[str, int] = {}  # KV key -> the last revision seen (a delete's too)
        self._last_rev = 0  # the newest revision watched of any key (written on the engine's loop only)
        self.kv: Any = None
        self._watcher: Any = None
        self._tasks: set[asyncio.Task[None]] = set()
        # called on the engine's thread with the group of a record another node changed
        self.on_change: Callable[[str], None] | None = None

    # -- the mirror ---------------------------------------------------------------
    async def start(self, kv: Any) -> None:
        """On the engine's loop: the bucket's current records in, then follow changes."""
        self.kv = kv
        watcher = await kv.watchall()
        while (entry := await watcher.updates(timeout=self.engine.config.start_timeout_s)) is not None:
            self._apply(entry)  # (None: the current values are in)
            self._last_rev = max(self._last_rev, entry.revision)
        self._watcher = watcher
        self._spawn(self._follow(watcher))
        self._spawn(self._guard())

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)  # a task nobody holds may be collected
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guard(self) -> None:
        behind = 0
        while True:
            await asyncio.sleep(WATCH_CHECK_S)
            try:
                last = (await self.engine.js.stream_info(f"KV_{self.bucket}")).state.last_seq
            except Exception:  # noqa: BLE001 - no engine now: nothing to compare with
                continue
            if behind and self._last_rev < behind:
                log.warning("cluster: the watch of %s fell behind (revision %d of %d); watching again",
                            self.bucket, self._last_rev, behind)
                await self._rewatch()
                behind = 0
            else:
                behind = last if last > self._last_rev else 0

    async def _rewatch(self) -> None:
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        try:
            await self._watcher.stop()
        except Exception as e:  # noqa: BLE001 - its consumer is gone already
            log.info("cluster: stopping the old watch of %s: %r", self.bucket, e)
        try:
            self._watcher = await self.kv.watchall()
        except Exception as e:  # noqa: BLE001 - the next check tries again
            log.info("cluster: watching %s again: %r", self.bucket, e)
            return
        self._spawn(self._follow(self._watcher))

    async def _follow(self, watcher: Any) -> None:
        async for entry in watcher:
            if entry is None:
                continue
            if (group := self._apply(entry)) is not None and self.on_change is not None:
                try:
                    self.on_change(group)
                except Exception:  # a bug in the reaction must not stop the watch
                    log.exception("cluster: reacting to a change of %s failed", self.bucket)
            self._last_rev = max(self._last_rev, entry.revision)  # (after the reaction began: ``last_revision``)

    @property
    def last_revision(self) -> int:
        """The newest revision of the bucket the watch has brought (and handed to
        ``on_change``, when it changed the mirror)."""
        return self._last_rev

    def _apply(self, entry: Any) -> str | None:
        """A watched entry into the mirror; its group if it changed the mirror."""
        doc = None if entry.operation in ("DEL", "PURGE") or not entry.value else json.loads(entry.value)
        return self.written(entry.key, entry.revision, doc)

    def written(self, kv_key: str, rev: int, doc: dict | None) -> str | None:
        """Revision ``rev`` of ``kv_key`` (``None``: deleted) into the mirror, unless it
        holds a later one already; the key's group if it changed the mirror."""
        parsed = self._parse(kv_key)
        if parsed is None:
            return None
        group, key = parsed
        with self._lock:
            if rev <= self._revs.get(kv_key, 0):
                return None  # this node's own write, already in the mirror, or older than what is
            self._revs[kv_key] = rev
            if doc is None:
                self._docs.get(group, {}).pop(key, None)
            else:
                self._docs.setdefault(group, {})[key] = doc
        return group

    # -- reads ----------------------------------------------------------------------
    def get(self, group: str, key: Hashable) -> dict | None:
        with self._lock:
            return self._docs.get(group, {}).get(key)

    def items(self, group: str) -> list[tuple[Any, dict]]:
        """A group's records, by key."""
        with self._lock:
            return sorted(self._docs.get(group, {}).items())

    def revision(self, kv_key: str) -> int:
        with self._lock:
            return self._revs.get(kv_key, 0)

    def entry(self, kv_key: str) -> tuple[dict | None, int]:
        """A record and the revision it is at, read together (for a compare-and-set)."""
        parsed = self._parse(kv_key)
        with self._lock:
            doc = self._docs.get(parsed[0], {}).get(parsed[1]) if parsed is not None else None
            return doc, self._revs.get(kv_key, 0)

    # -- writes (coroutines for the engine's loop) -------------------------------------
    async def update(self, kv_key: str, doc: dict, last: int | None = None) -> int | None:
        """Write ``doc`` if the key's revision is still ``last`` (the mirror's when
        None; 0: the key never existed); its new revision, or None when another
        writer was first. Exactly one of concurrent writers on one revision wins."""
        from nats.js.errors import APIError
        last = self.revision(kv_key) if last is None else last
        headers = {"Nats-Expected-Last-Subject-Sequence": str(last), "Nats-Msg-Id": f"{kv_key}@{last}"}
        try:
            ack = await self.engine.js.publish(f"$KV.{self.bucket}.{kv_key}", json.dumps(doc).encode(),
                                               headers=headers)
        except APIError as e:
            if e.err_code in WRONG_LAST_SEQUENCE:
                return None
            raise
        if ack.duplicate:
            return None  # another writer on the same revision was first
        self.written(kv_key, ack.seq, doc)
        return int(ack.seq)

    async def put(self, kv_key: str, doc: dict) -> int:
        """Write ``doc`` whatever the key holds (a last writer wins)."""
        rev = await self.kv.put(kv_key, json.dumps(doc).encode())
        self.written(kv_key, rev, doc)
        return int(rev)

    async def delete(self, kv_key: str) -> int:
        ack = await self.engine.js.publish(f"$KV.{self.bucket}.{kv_key}", b"", headers={"KV-Operation": "DEL"})
        self.written(kv_key, ack.seq, None)
        return int(ack.seq)
