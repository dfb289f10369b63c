"""What every invocation costs: its report, the Lambda REPORT line, and the ledger.

A report is built on the hot path, so it stores raw integers (nanoseconds, bytes, a
sequence number) and derives milliseconds, megabytes and the request id only when
read. The ledger takes reports in a deque and writes them to SQLite in batches from
the host's maintenance thread, never from the invocation itself.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from pathlib import Path
from operator import itemgetter
from typing import Any, Iterable, Sequence

import msgpack

from .clock import ALIASES, OFFSET_NS, RID_HEAD, request_id, split_id, wall_ms

MiB = 1 << 20


class Report(tuple):
    """The metering report of one invocation.

    A tuple of raw readings (sequence number, nanoseconds, bytes), built on the hot
    path in one step and written to SQLite as it is; milliseconds, megabytes and
    the request id are derived when read. ``duration_ms`` has microsecond
    resolution; ``billed_ms`` rounds init plus duration up to the next whole
    millisecond, at least 1 (Lambda's rule since 2020, with init billed as it is
    since 2025). ``max_memory_mb`` is the peak linear memory: Wasm memory only
    grows, so its size after the call is its peak. ``fuel_used`` is ``None`` after a
    timeout: Wasmtime does not flush the fuel counter when an epoch interrupt stops
    a guest, so the true figure is unknown.
    """

    __slots__ = ()
    FIELDS = ("seq", "function", "version", "start_ns", "duration_ns", "init_ns", "fuel_used",
              "memory_bytes", "memory_mb", "cold", "status", "error_type", "outbound_requests", "outbound_bytes",
              "bucket_bytes_read", "bucket_bytes_written")

    def __new__(cls, seq: int, function: str, version: str, start_ns: int, duration_ns: int,
                init_ns: int | None, fuel_used: int | None, memory_bytes: int, memory_mb: int,
                cold: bool, status: str = "ok", error_type: str | None = None, outbound_requests: int = 0,
                outbound_bytes: int = 0, bucket_bytes_read: int = 0, bucket_bytes_written: int = 0) -> "Report":
        return tuple.__new__(cls, (seq, function, version, start_ns, duration_ns, init_ns, fuel_used,
                                   memory_bytes, memory_mb, cold, status, error_type, outbound_requests,
                                   outbound_bytes, bucket_bytes_read, bucket_bytes_written))

    seq = property(itemgetter(0))
    function = property(itemgetter(1))
    version = property(itemgetter(2))
    start_ns = property(itemgetter(3))
    duration_ns = property(itemgetter(4))
    init_ns = property(itemgetter(5))
    fuel_used = property(itemgetter(6))
    memory_bytes = property(itemgetter(7))
    memory_mb = property(itemgetter(8))
    cold = property(itemgetter(9))
    status = property(itemgetter(10))
    error_type = property(itemgetter(11))
    outbound_requests = property(itemgetter(12))
    outbound_bytes = property(itemgetter(13))
    # object bytes a function read and wrote through the buckets' S3 endpoint (not outbound traffic)
    bucket_bytes_read = property(itemgetter(14))
    bucket_bytes_written = property(itemgetter(15))

    @property
    def request_id(self) -> str:
        return request_id(self[0])

    @property
    def duration_ms(self) -> float:
        return round(self[4] / 1e6, 3)

    @property
    def init_ms(self) -> float | None:
        return None if self[5] is None else round(self[5] / 1e6, 3)

    @property
    def billed_ms(self) -> int:
        return max(1, -(-(self[4] + (self[5] or 0)) // 1_000_000))  # ceil, in integers

    @property
    def max_memory_mb(self) -> int:
        return math.ceil(self[7] / MiB)

    @property
    def started_at(self) -> float:
        """Unix time (seconds) the invocation started."""
        return wall_ms(self[3]) / 1000

    def failed(self, status: str, error_type: str) -> "Report":
        return tuple.__new__(Report, (*self[:10], status, error_type, *self[12:]))

    def line(self, rid_head: str = RID_HEAD) -> str:
        """The Lambda ``REPORT`` log line (tab-separated, trailing tab)."""
        s = (f"REPORT RequestId: {request_id(self[0], rid_head)}\tDuration: {self.duration_ns / 1e6:.2f} ms\t"
             f"Billed Duration: {self.billed_ms} ms\tMemory Size: {self.memory_mb} MB\t"
             f"Max Memory Used: {self.max_memory_mb} MB\t")
        if self.init_ns is not None:
            s += f"Init Duration: {self.init_ns / 1e6:.2f} ms\t"
        if self.fuel_used is not None:
            s += f"Fuel Used: {self.fuel_used}\t"
        if self.outbound_requests:
            s += f"Outbound Requests: {self.outbound_requests}\tOutbound Bytes: {self.outbound_bytes}\t"
        if self[14] or self[15]:
            s += f"Bucket Bytes Read: {self[14]}\tBucket Bytes Written: {self[15]}\t"
        if self.status != "ok":
            s += f"Status: {self.status}\t"
            if self.error_type:
                s += f"Error Type: {self.error_type}\t"
        return s

    def to_dict(self, rid_head: str = RID_HEAD, offset_ns: int = OFFSET_NS) -> dict[str, Any]:
        """As a dict; ``rid_head`` and ``offset_ns`` are the recording process's (the
        ledger keeps them per batch), this one's by default."""
        return {
            "request_id": request_id(self[0], rid_head), "function": self.function, "version": self.version,
            "started_at": wall_ms(self[3], offset_ns) / 1000, "duration_ms": self.duration_ms,
            "billed_ms": self.billed_ms,
            "init_ms": self.init_ms, "fuel_used": self.fuel_used, "max_memory_mb": self.max_memory_mb,
            "memory_mb": self.memory_mb, "cold": self.cold, "status": self.status, "error_type": self.error_type,
            "outbound_requests": self.outbound_requests, "outbound_bytes": self.outbound_bytes,
            "bucket_bytes_read": self[14], "bucket_bytes_written": self[15],
        }

    def __repr__(self) -> str:
        return f"Report({self.to_dict()!r})"


def summarize(reports: Iterable[Sequence]) -> dict[str, Any]:
    """Totals over stored reports (the raw tuples a batch holds): one node's ledger
    and a cluster's ledger stream (backends/nats/ledger.py) add up the same way."""
    n = errors = cold = billed = fuel = mb_ms = out_requests = out_bytes = bucket_read = bucket_written = 0
    for r in reports:
        report = Report(*r)
        b = report.billed_ms
        n += 1
        errors += report.status != "ok"
        cold += bool(report.cold)
        billed += b
        fuel += report.fuel_used or 0
        mb_ms += b * report.memory_mb
        out_requests += report.outbound_requests
        out_bytes += report.outbound_bytes
        bucket_read += report.bucket_bytes_read
        bucket_written += report.bucket_bytes_written
    return {"invocations": n, "errors": errors, "cold_starts": cold, "billed_ms": billed,
            "fuel_used": fuel, "gb_seconds": mb_ms / 1000 / 1024, "outbound_requests": out_requests,
            "outbound_bytes": out_bytes, "bucket_bytes_read": bucket_read, "bucket_bytes_written": bucket_written}


_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY, function TEXT NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
    rid_head TEXT NOT NULL, offset_ns INTEGER NOT NULL, n INTEGER NOT NULL, reports BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_fn_time ON batches (function, last_ms);
CREATE TABLE IF NOT EXISTS logs (
    request_id TEXT PRIMARY KEY, function TEXT NOT NULL, started_ms INTEGER NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_fn_time ON logs (function, started_ms);
"""
_start = itemgetter(3)
FLUSH_CHUNK = 256  # entries packed per hold of the GIL (~0.1 ms)
_INSERT_LOG = f"""INSERT OR REPLACE INTO logs VALUES (
    COALESCE(?5, '{RID_HEAD}') || printf('%012x', ?1), ?2, (?3 + {OFFSET_NS}) / 1000000, ?4)"""


class Ledger:
    """Invocation reports and guest logs in SQLite (``path=None``: in memory).

    ``record`` is all the hot path does (a deque append). ``flush`` packs what is
    pending into one msgpack blob per function and writes them in one transaction:
    ~0.3 µs per report, where a row per report cost 5–8 µs here (measured), more
    than the invocation itself. Queries unpack the batches that overlap their time
    range. The host flushes every ``flush_interval`` and on close; at most that
    interval of reports is lost if the process dies.
    """

    def __init__(self, path: Path | str | None) -> None:
        self.path = str(path) if path is not None else ":memory:"
        import sqlite3  # with Host(), not with ``import wasmhost``
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._pending: deque = deque()
        self._lock = threading.Lock()
        self.record = self._pending.append  # a Report, or a (seq, function, start_ns, text) log entry

    def flush(self) -> int:
        """Write what is pending; returns how many reports were written.

        Packs ``FLUSH_CHUNK`` entries at a time and lets other threads have the GIL
        in between: an event loop running a guest inline waits for the GIL after
        each guest call, and one long hold (~3 ms for 4,000 reports) made those
        runs overrun their 2 ms budget (Host.ainvoke)."""
        pending = self._pending
        rows: list = []
        logs: list = []
        todo = len(pending)  # what came before this flush: later entries wait for the next
        while todo > 0:
            n, todo = min(todo, FLUSH_CHUNK), todo - FLUSH_CHUNK
            groups: dict[tuple[str, str], list] = {}
            for _ in range(n):
                try:
                    item = pending.popleft()
                except IndexError:  # another thread's flush took it
                    todo = 0
                    break
                head = RID_HEAD
                if ALIASES and item[0] in ALIASES:  # runs under a given id: stored as that id
                    alias = split_id(ALIASES[item[0]] if type(item) is not Report else ALIASES.pop(item[0]))
                    if alias is not None:
                        head, seq = alias
                        item = (tuple.__new__(Report, (seq, *item[1:])) if type(item) is Report
                                else (seq, *item[1:]))
                if type(item) is Report:
                    groups.setdefault((item[1], head), []).append(item)
                else:
                    logs.append((*item, None if head is RID_HEAD else head))
            rows += [(fn, wall_ms(min(map(_start, reps))), wall_ms(max(map(_start, reps))), head, OFFSET_NS,
                      len(reps), msgpack.packb(reps)) for (fn, head), reps in groups.items()]
            time.sleep(0)  # a switch point: the GIL goes to whoever waits for it
        if not rows and not logs:
            return 0
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO batches (function, first_ms, last_ms, rid_head, offset_ns, n, reports)"
                                 " VALUES (?,?,?,?,?,?,?)", rows)
            if logs:
                self._db.executemany(_INSERT_LOG, logs)
            self._db.execute("COMMIT")
        return sum(r[5] for r in rows)

    @staticmethod
    def _where(function: str | None, since: float | None, until: float | None,
               first: str, last: str) -> tuple[str, list]:
        """A WHERE clause for rows spanning ``[first, last]`` ms that overlap the range."""
        conds = (("function = ?", function), (f"{last} >= ?", None if since is None else int(since * 1000)),
                 (f"{first} < ?", None if until is None else int(until * 1000)))
        clauses = [(c, v) for c, v in conds if v is not None]
        return (" WHERE " + " AND ".join(c for c, _ in clauses)) if clauses else "", [v for _, v in clauses]

    def _reports(self, function: str | None, since: float | None, until: float | None):
        where, args = self._where(function, since, until, "first_ms", "last_ms")
        lo = None if since is None else int(since * 1000)
        hi = None if until is None else int(until * 1000)
        with self._lock:
            batches = self._db.execute(
                f"SELECT function, rid_head, offset_ns, reports FROM batches{where} ORDER BY last_ms", args).fetchall()
        for fn, head, offset, blob in batches:
            for r in msgpack.unpackb(blob, use_list=True):
                ms = (r[3] + offset) // 1_000_000
                if (lo is None or ms >= lo) and (hi is None or ms < hi):
                    yield r, head, offset, fn

    def query(self, function: str | None = None, since: float | None = None, until: float | None = None,
              limit: int = 1000) -> list[dict[str, Any]]:
        """Reports as dicts (with their REPORT line), newest first; ``since``/``until``
        are Unix times in seconds."""
        found = sorted(self._reports(function, since, until), key=lambda x: x[0][3] + x[2], reverse=True)
        rows = []
        for r, head, offset, _ in found[:limit]:
            report = Report(*r)
            rows.append(dict(report.to_dict(head, offset), report_line=report.line(head)))
        return rows

    def totals(self, function: str | None = None, since: float | None = None,
               until: float | None = None) -> dict[str, Any]:
        """Invocations, errors, cold starts, billed ms, fuel and GB-seconds (billed
        seconds times configured GB, as Lambda prices)."""
        return summarize(r for r, _, _, _ in self._reports(function, since, until))

    def logs(self, function: str | None = None, since: float | None = None, until: float | None = None,
             limit: int = 100) -> list[dict[str, Any]]:
        where, args = self._where(function, since, until, "started_ms", "started_ms")
        with self._lock:
            cur = self._db.execute(f"SELECT request_id, function, started_ms, text FROM logs{where}"
                                   " ORDER BY started_ms DESC LIMIT ?", [*args, limit])
            return [dict(zip(("request_id", "function", "started_ms", "text"), row)) for row in cur.fetchall()]

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._db.close()
