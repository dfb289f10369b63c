"""The ledger across a cluster: each node's flushed batches, published to the
``WH_LEDGER`` stream and added up from there by any node, and its guest log lines,
published to ``WH_LOGS`` and listed from there by any node.

The node's own ``ledger.sqlite`` stays the record (the hot path and ``flush`` are
unchanged). ``LedgerPublisher`` tails its ``batches`` table by row id, an outbox:
each batch is published with its node, the ledger file's epoch and its row (a
batch published again after a crash counts once: ``Nats-Msg-Id`` de-duplicates a
repeated message, readers a repeated row), and the last published row is kept in
the same file, so a node restarted after ``kill -9`` publishes what it had not.
Log lines go the same way from the ``logs`` table (by row id: a request's lines
written again get a new row). ``StreamLedger`` answers ``totals``, ``query`` and
``logs`` from the streams.

The streams keep reports and lines for a while (engine.py: by age and size), so
all-time totals are not added up from them: with every round, a node adds what it
published to its running totals (kept in the same file, in the transaction that
moves its outbox on) and puts them in the ``WH_TOTALS`` bucket, one key per
function, node and ledger file. ``totals`` of all time add those up, exact however
long ago a report left the stream; totals over a time window (``since``/``until``)
read the stream, as far back as it reaches.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import re
import sqlite3
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import msgpack

from ...metering import Report, summarize
from ..shared import ProcessLock
from .engine import LEDGER_STREAM, LEDGER_SUBJECT, LOGS_STREAM, LOGS_SUBJECT, TOTALS_BUCKET, Engine
from .kv_scan import current

log = logging.getLogger("wasmhost.cluster")
MAX_MESSAGE = 512 * 1024  # under NATS's 1 MB default max payload: bigger batches are split
ROUND = 1024  # batches read from the outbox at a time
MAX_CLOCK_SKEW_S = 60.0  # between a node's clock and the NATS servers' (a ``since`` read starts this early)
TAIL_WINDOW = 256  # messages of a stream's tail read first for the newest reports or log lines
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a function's name: a subject token as it is
_KEY_UNSAFE = re.compile(r"[^-_=A-Za-z0-9]")


def _add(into: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Two ``summarize`` results as one (every figure adds up)."""
    return {k: into.get(k, 0) + v for k, v in more.items()}


def _totals_key(function: str, node: str, epoch: str) -> str:
    return f"{function}.{_KEY_UNSAFE.sub('_', node)}.{epoch}"


class LedgerPublisher:
    def __init__(self, engine: Engine, ledger_path: Path, interval_s: float = 0.25) -> None:
        self.engine, self.interval_s = engine, interval_s
        self._db = sqlite3.connect(str(ledger_path), check_same_thread=False, isolation_level=None, timeout=5.0)
        # the worker processes of a node (serve --workers) share the ledger file, its epoch and its
        # outbox: one at a time makes it, and publishes a round (each starting where the last ended)
        self._shared = ProcessLock(ledger_path.with_name(ledger_path.name + ".publish-lock"))
        with self._shared:
            self._db.execute("CREATE TABLE IF NOT EXISTS cluster_outbox (epoch TEXT NOT NULL, published INTEGER "
                             "NOT NULL)")
            columns = [c[1] for c in self._db.execute("PRAGMA table_info(cluster_outbox)")]
            if "published_logs" not in columns:  # a ledger file from before log lines were published
                self._db.execute("ALTER TABLE cluster_outbox ADD COLUMN published_logs INTEGER NOT NULL DEFAULT 0")
            row = self._db.execute("SELECT epoch, published, published_logs FROM cluster_outbox").fetchone()
            if row is None:  # a new ledger file: a new epoch, so its row ids never collide with an old one's
                row = (uuid.uuid4().hex[:12], 0, 0)
                self._db.execute("INSERT INTO cluster_outbox VALUES (?, ?, ?)", row)
            if "counted" not in columns:  # the last batch in this file's running totals
                self._db.execute("ALTER TABLE cluster_outbox ADD COLUMN counted INTEGER NOT NULL DEFAULT 0")
            if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'cluster_totals'").fetchone():
                # what this file has published, per function (from a file of before: added up once)
                self._db.execute("CREATE TABLE cluster_totals (function TEXT PRIMARY KEY, totals BLOB NOT NULL)")
                self._count(self._db.execute("SELECT function, reports FROM batches WHERE id <= ?",
                                             (row[1],)).fetchall())
                self._db.execute("UPDATE cluster_outbox SET counted = published")
        self.epoch, self.published, self.published_logs = row
        self._unsynced = True  # the bucket may lag this file's totals (a crash after the commit): put them all
        self._lock: asyncio.Lock | None = None  # one round at a time (the loop's, or a reader's ``publish_now``)
        self._task: Any = None

    def start(self) -> None:
        """Publish what a previous run left (a node restarted after ``kill -9``)
        before this one serves, then keep publishing in the background."""
        try:
            self.publish_now()
        except Exception as e:  # noqa: BLE001 - no quorum now: the loop catches up
            log.info("cluster: ledger batches left from the last run wait for the engine: %r", e)
        self._task = self.engine.submit(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self._round()
            except Exception as e:  # noqa: BLE001 - no quorum now: the next round catches up
                log.info("cluster: publishing the ledger: %r", e)

    async def _round(self) -> int:
        """Publish what was flushed since the last round: per function, its batches
        packed into as few messages as fit (one a round under steady load, not one
        per batch: the worker flushes after every group of async events), then its
        log lines the same way. Returns the most rows read from either table."""
        if self._lock is None:
            self._lock = asyncio.Lock()  # made on the engine's loop
        async with self._lock:
            with self._shared:
                return await self._round_shared()

    async def _round_shared(self) -> int:
        """A round, under the lock the node's workers share: from where the last ended."""
        self.published, self.published_logs = self._db.execute(
            "SELECT published, published_logs FROM cluster_outbox").fetchone()
        rows = self._db.execute("SELECT id, function, first_ms, last_ms, rid_head, offset_ns, reports FROM batches"
                                " WHERE id > ? ORDER BY id LIMIT ?", (self.published, ROUND)).fetchall()
        groups: dict[str, list[list]] = {}
        for row_id, fn, first, last, head, offset, blob in rows:
            groups.setdefault(fn, []).extend([row_id, part, first, last, head, offset, chunk]
                                             for part, chunk in enumerate(_split(blob)))
        await self._publish(LEDGER_SUBJECT, groups)
        if rows:
            self.published = rows[-1][0]
            with self._db:  # (a transaction: the totals move on with the outbox, or neither)
                self._db.execute("BEGIN IMMEDIATE")  # (a deferred one can fail at once on the host's flush)
                counted = self._db.execute("SELECT counted FROM cluster_outbox").fetchone()[0]
                # (a batch published again, the outbox rewound, is counted once)
                changed = self._count([(fn, blob) for row_id, fn, _, _, _, _, blob in rows if row_id > counted])
                self._db.execute("UPDATE cluster_outbox SET published = ?, counted = max(counted, ?)",
                                 (self.published, self.published))
            await self._put_totals(None if self._unsynced else changed)
        elif self._unsynced:  # a put that failed (no quorum then): all of them again
            await self._put_totals(None)
        logs = self._db.execute("SELECT rowid, function, request_id, started_ms, text FROM logs WHERE rowid > ?"
                                " ORDER BY rowid LIMIT ?", (self.published_logs, ROUND)).fetchall()
        groups = {}
        for row_id, fn, rid, started, text in logs:
            groups.setdefault(fn, []).append([row_id, 0, fn, rid, started, _cut(text)])
        await self._publish(LOGS_SUBJECT, groups)
        if logs:
            self.published_logs = logs[-1][0]
            self._db.execute("UPDATE cluster_outbox SET published_logs = ?", (self.published_logs,))
        return max(len(rows), len(logs))

    def _count(self, rows: list[tuple[str, bytes]]) -> set[str]:
        """Add batches (function, packed reports) to this file's running totals;
        the functions changed."""
        added: dict[str, dict[str, Any]] = {}
        for fn, blob in rows:
            added[fn] = _add(added.get(fn, {}), summarize(msgpack.unpackb(blob, use_list=False)))
        for fn, more in added.items():
            old = self._db.execute("SELECT totals FROM cluster_totals WHERE function = ?", (fn,)).fetchone()
            total = _add(msgpack.unpackb(old[0]) if old else {}, more)
            self._db.execute("INSERT OR REPLACE INTO cluster_totals VALUES (?, ?)", (fn, msgpack.packb(total)))
        return set(added)

    async def _put_totals(self, functions: set[str] | None) -> None:
        """This file's running totals into the cluster's bucket (``None``: all of them)."""
        rows = self._db.execute("SELECT function, totals FROM cluster_totals").fetchall()
        node = self.engine.config.node
        self._unsynced = True  # until every put is done
        for fn, blob in rows:
            if functions is None or fn in functions:
                await self.engine.totals.put(_totals_key(fn, node, self.epoch), blob)
        self._unsynced = False

    async def _publish(self, subject: str, groups: dict[str, list[list]]) -> None:
        """Items (``[row, part, ..., payload]``) per function, as few messages as fit,
        each de-duplicated by this node, ledger file and first row."""
        node = self.engine.config.node
        for fn, items in groups.items():
            for message in _messages(items):
                await self.engine.js.publish(
                    f"{subject}.{fn}", msgpack.packb([node, self.epoch, message]),
                    headers={"Nats-Msg-Id": f"{subject}:{node}:{self.epoch}:{message[0][0]}:{message[0][1]}"})

    def publish_now(self) -> None:
        """Everything flushed so far, before a reader adds up (read your own writes)."""
        async def drain() -> None:
            while await self._round() == ROUND:
                pass
        self.engine.call(drain(), timeout=self.engine.config.timeout_s * 5)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        try:
            self.publish_now()
        except Exception as e:  # noqa: BLE001 - published at the next start
            log.info("cluster: ledger batches left to publish at the next start: %r", e)
        self._db.close()
        self._shared.close()


def _split(blob: bytes) -> list[bytes]:
    """A batch too big for one message, as several (each at most ``MAX_MESSAGE``)."""
    if len(blob) <= MAX_MESSAGE:
        return [blob]
    out: list[bytes] = []
    chunk: list = []
    size = 0
    for report in msgpack.unpackb(blob, use_list=True):
        n = len(msgpack.packb(report))
        if chunk and size + n > MAX_MESSAGE - 8:  # 8: room for the array's own header
            out.append(msgpack.packb(chunk))
            chunk, size = [], 0
        chunk.append(report)
        size += n
    if chunk:
        out.append(msgpack.packb(chunk))
    return out


def _cut(text: str) -> bytes:
    """A log text as bytes that fit a message (the host cuts a run's at 256 Ki characters,
    which may be more bytes)."""
    return text.encode()[:MAX_MESSAGE - 1024]


def _messages(items: list[list]) -> Iterator[list[list]]:
    """Items grouped into messages of at most ``MAX_MESSAGE`` bytes of reports."""
    out: list[list] = []
    size = 0
    for item in items:
        if out and size + len(item[-1]) > MAX_MESSAGE:
            yield out
            out, size = [], 0
        out.append(item)
        size += len(item[-1])
    if out:
        yield out


class StreamLedger:
    """``LedgerReader`` over the whole cluster's published batches. A batch published
    twice (a node killed after publishing, before noting it) counts once: each
    carries its node, ledger epoch and row.

    Reads are bounded by what a query asks: a function's own subject; with
    ``since``, from the messages published since then; the newest log lines or
    reports from the stream's tail (the last ``TAIL_WINDOW`` messages, four times
    more while they hold too few). Totals of all time read the function's whole
    subject: that is their size."""

    def __init__(self, engine: Engine, publisher: LedgerPublisher | None = None) -> None:
        self.engine, self.publisher = engine, publisher

    def _read(self, stream: str, subject: str, function: str | None, since: float | None = None,
              tail: int | None = None) -> tuple[list[tuple[str, list]], bool]:
        """The items published on ``subject`` for ``function`` (``None``: all), with
        their node, read from the first message published at ``since`` (less the
        clocks' skew: a message holds only what its node flushed before publishing
        it) or among the stream's last ``tail`` messages; and whether that was the
        whole subject. An item published twice (a node killed after publishing,
        before noting it) comes once: each carries its node, ledger epoch and row."""
        if function is not None and not _NAME.fullmatch(function):
            return [], True  # no such function (and no subject wildcards from a query string)
        subject = f"{subject}.{function or '*'}"

        async def read() -> tuple[list[bytes], bool]:
            from nats.js import api
            info = await self.engine.js.stream_info(stream, subjects_filter=subject)
            total = sum((info.state.subjects or {}).values()) if function else info.state.messages
            if not total:
                return [], True
            config, whole = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.ALL), True
            if since is not None:
                config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.BY_START_TIME, opt_start_time=(
                    datetime.datetime.fromtimestamp(since - MAX_CLOCK_SKEW_S, datetime.timezone.utc)))
            elif tail is not None and info.state.last_seq - tail >= info.state.first_seq:
                config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
                                            opt_start_seq=info.state.last_seq - tail + 1)
                whole = False
            sub = await self.engine.js.subscribe(subject, stream=stream, ordered_consumer=True, config=config)
            out = []
            try:
                first = await sub.consumer_info()
                if first.num_pending == 0 and first.delivered.consumer_seq == 0:
                    return [], whole  # nothing of the subject from there on
                while True:
                    msg = await sub.next_msg(timeout=self.engine.config.timeout_s)
                    out.append(msg.data)
                    if msg.metadata.num_pending == 0:
                        return out, whole
            finally:
                await sub.unsubscribe()
        if self.publisher is not None:
            self.publisher.publish_now()  # this node's own, before it reads (read your writes)
        seen: set[tuple] = set()
        found = []
        messages, whole = self.engine.call(read(), timeout=self.engine.config.timeout_s * 15)
        for data in messages:
            node, epoch, items = msgpack.unpackb(data, use_list=True)
            for row_id, part, *item in items:
                if (node, epoch, row_id, part) not in seen:
                    seen.add((node, epoch, row_id, part))
                    found.append((node, item))
        return found, whole

    def _newest(self, stream: str, subject: str, function: str | None, enough: Callable[[list], bool],
                since: float | None) -> list[tuple[str, list]]:
        """Items from the stream's tail, read again over a window four times larger
        until ``enough`` of them or the whole subject."""
        window = TAIL_WINDOW
        while True:
            found, whole = self._read(stream, subject, function, since, None if since is not None else window)
            if whole or enough(found):
                return found
            window *= 4

    def _reports(self, function: str | None, since: float | None, until: float | None,
                 limit: int | None = None) -> Iterator[tuple[list, str, int]]:
        lo = None if since is None else int(since * 1000)
        hi = None if until is None else int(until * 1000)
        if limit is None:
            found, _ = self._read(LEDGER_STREAM, LEDGER_SUBJECT, function, since)
        else:  # (enough: at least ``limit`` reports in the batches read, whatever their times)
            found = self._newest(LEDGER_STREAM, LEDGER_SUBJECT, function, since=since, enough=lambda items: sum(
                len(msgpack.unpackb(i[-1])) for _, i in items) >= limit and until is None)
        for _, (first, last, head, offset, blob) in found:
            if (lo is not None and last < lo) or (hi is not None and first >= hi):
                continue
            for r in msgpack.unpackb(blob, use_list=True):
                ms = (r[3] + offset) // 1_000_000
                if (lo is None or ms >= lo) and (hi is None or ms < hi):
                    yield r, head, offset

    def totals(self, function: str | None = None, since: float | None = None,
               until: float | None = None) -> dict[str, Any]:
        """Of all time: every node's running totals (the ``WH_TOTALS`` bucket), exact
        whatever the stream still holds; over a window: the stream's reports in it."""
        if since is not None or until is not None:
            return summarize(r for r, _, _ in self._reports(function, since, until))
        if function is not None and not _NAME.fullmatch(function):
            return summarize(())
        if self.publisher is not None:
            self.publisher.publish_now()  # this node's own, before it reads (read your writes)

        async def read() -> dict[str, Any]:
            found = await current(self.engine.js, TOTALS_BUCKET, f"{function}.>" if function else ">",
                                  timeout=self.engine.config.timeout_s * 5)
            out = summarize(())
            for blob in found.values():
                out = _add(out, msgpack.unpackb(blob))
            return out
        return self.engine.call(read(), timeout=self.engine.config.timeout_s * 15)

    def query(self, function: str | None = None, since: float | None = None, until: float | None = None,
              limit: int = 1000) -> list[dict[str, Any]]:
        found = sorted(self._reports(function, since, until, limit), key=lambda x: x[0][3] + x[2], reverse=True)
        out = []
        for r, head, offset in found[:limit]:
            report = Report(*r)
            out.append(dict(report.to_dict(head, offset), report_line=report.line(head)))
        return out

    def logs(self, function: str | None = None, since: float | None = None, until: float | None = None,
             limit: int = 100) -> list[dict[str, Any]]:
        """Guest log lines of every node (with its name), newest first; a request's
        lines written again by its node are the newest copy."""
        lo = None if since is None else int(since * 1000)
        hi = None if until is None else int(until * 1000)
        latest: dict[str, dict[str, Any]] = {}
        found = self._newest(LOGS_STREAM, LOGS_SUBJECT, function, since=since,
                             enough=lambda items: len({i[1] for _, i in items}) >= limit and until is None)
        for node, (fn, rid, started, text) in found:
            if (lo is None or started >= lo) and (hi is None or started < hi):
                latest[rid] = {"request_id": rid, "function": fn, "started_ms": started,
                               "text": text.decode(errors="replace"), "node": node}
        return sorted(latest.values(), key=lambda e: e["started_ms"], reverse=True)[:limit]
