"""The SQLite backend of the event sources: one WAL file, ``sources.sqlite``, in the
data dir. A write is durable against a killed process once its call returns
(WAL, ``synchronous=NORMAL``). Every call is one short transaction on the event
loop's thread (tens of µs), so no lock is needed beyond SQLite's own, and two
processes on one data dir still claim each message and each tick only once
(``UPDATE … RETURNING``, compare-and-set). A long poll waits on an event this
process sets when it sends (or a message comes due); another process's sends are
seen at the next due time or the end of the wait."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from . import Message, NewMessage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queues (name TEXT PRIMARY KEY, attributes TEXT NOT NULL, tags TEXT NOT NULL,
    created REAL NOT NULL, modified REAL NOT NULL);
CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, id TEXT NOT NULL,
    body TEXT NOT NULL, attributes TEXT, md5 TEXT NOT NULL, md5_attributes TEXT, sent_at REAL NOT NULL,
    visible_at REAL NOT NULL, receives INTEGER NOT NULL DEFAULT 0, first_receive REAL, receipt TEXT,
    source_arn TEXT);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (queue, visible_at, receipt, receives);
CREATE TABLE IF NOT EXISTS records (kind TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (kind, key));
"""

_COLS = "seq, id, body, attributes, md5, md5_attributes, sent_at, receives, first_receive, receipt, source_arn"


def _message(row: tuple) -> Message:
    return Message(row[0], row[1], row[2], json.loads(row[3]) if row[3] else None, *row[4:])


def _parse_receipt(receipt: str) -> tuple[int, str] | None:
    """A receipt handle is ``<seq>.<token>``: the token changes with every receive,
    so a handle from an earlier receive deletes nothing."""
    seq, _, token = receipt.partition(".")
    if not (seq.isascii() and seq.isdigit()) or len(token) != 16:
        return None
    return int(seq), token


class SqliteSources:
    """Implements both ``QueueStore`` and ``RecordStore``."""

    def __init__(self, data_dir: Path | str) -> None:
        path = Path(data_dir) / "sources.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        # Checkpoints (the fsyncs of WAL mode) run on a thread of their own: on the
        # event loop's connection one could stall every request for a slow disk's fsync.
        self._db.execute("PRAGMA wal_autocheckpoint=0")
        self._path = path
        self._closing = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint, name="wasmhost-sources-checkpoint",
                                              daemon=True)
        self._checkpointer.start()
        self._swept: dict[str, float] = {}
        self._waiters: dict[str, asyncio.Event] = {}
        self._queues: dict[str, dict | None] = {}
        self._version = -1

    def _checkpoint(self, every_s: float = 0.5) -> None:
        db = sqlite3.connect(str(self._path), isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout=5000")
        try:
            while not self._closing.wait(every_s):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:  # busy: the next round catches up
                    pass
        finally:
            db.close()

    def close(self) -> None:
        self._closing.set()
        self._checkpointer.join(5)
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()

    def _tx(self):
        return _Tx(self._db)

    # -- queues ---------------------------------------------------------------------
    def create_queue(self, name: str, attributes: dict[str, str], tags: dict[str, str]) -> dict | None:
        now = time.time()
        with self._tx() as db:
            existing = self._queue(db, name)
            if existing is not None:
                return existing
            db.execute("INSERT INTO queues VALUES (?,?,?,?,?)",
                       (name, json.dumps(attributes), json.dumps(tags), now, now))
        self._queues.pop(name, None)
        return None

    @staticmethod
    def _queue(db, name: str) -> dict | None:
        row = db.execute("SELECT name, attributes, tags, created, modified FROM queues WHERE name = ?",
                         (name,)).fetchone()
        if row is None:
            return None
        return {"name": row[0], "attributes": json.loads(row[1]), "tags": json.loads(row[2]),
                "created": row[3], "modified": row[4]}

    def get_queue(self, name: str) -> dict | None:
        """From a mirror (read on every send and receive), reloaded when another
        process wrote to the file (``PRAGMA data_version``) or we changed a queue."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self._version, self._queues = version, {}
        if name not in self._queues:
            self._queues[name] = self._queue(self._db, name)
        return self._queues[name]

    def list_queues(self) -> list[dict]:
        names = [r[0] for r in self._db.execute("SELECT name FROM queues ORDER BY name")]
        return [q for q in (self.get_queue(n) for n in names) if q is not None]

    def update_queue(self, name: str, attributes: dict[str, str], tags: dict[str, str] | None = None) -> None:
        self._queues.pop(name, None)
        if tags is None:
            self._db.execute("UPDATE queues SET attributes = ?, modified = ? WHERE name = ?",
                             (json.dumps(attributes), time.time(), name))
        else:
            self._db.execute("UPDATE queues SET attributes = ?, tags = ?, modified = ? WHERE name = ?",
                             (json.dumps(attributes), json.dumps(tags), time.time(), name))
        self._wake(name)

    def delete_queue(self, name: str) -> None:
        self._queues.pop(name, None)
        with self._tx() as db:
            db.execute("DELETE FROM messages WHERE queue = ?", (name,))
            db.execute("DELETE FROM queues WHERE name = ?", (name,))
        self._wake(name)

    def purge(self, name: str) -> int:
        return self._db.execute("DELETE FROM messages WHERE queue = ?", (name,)).rowcount

    # -- messages -------------------------------------------------------------------
    def _wake(self, queue: str) -> None:
        ev = self._waiters.get(queue)
        if ev is not None:
            ev.set()

    async def _wait(self, queue: str, until: float) -> None:
        """Until a send here wakes ``queue``, a hidden or delayed message is due, or ``until``."""
        ev = self._waiters.get(queue)
        if ev is None:
            ev = self._waiters[queue] = asyncio.Event()
        ev.clear()
        nxt = self.next_visible_at(queue)
        now = time.time()
        if nxt is not None and nxt <= now:
            return  # something is visible already (sent by another process, say)
        timeout = min(until, nxt if nxt is not None and nxt > now else until) - now
        if timeout > 0:
            try:
                await asyncio.wait_for(ev.wait(), timeout)
            except asyncio.TimeoutError:
                pass

    async def asend(self, queue: str, messages: list[NewMessage]) -> None:
        self.send(queue, messages)

    def send(self, queue: str, messages: list[NewMessage]) -> None:
        now = time.time()
        with self._tx() as db:
            db.executemany(
                "INSERT INTO messages (queue, id, body, attributes, md5, md5_attributes, sent_at, visible_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                [(queue, m.id, m.body, json.dumps(m.attributes) if m.attributes else None, m.md5,
                  m.md5_attributes, now, now + m.delay_s) for m in messages])
        self._wake(queue)

    async def receive(self, queue: str, n: int, visibility_s: float, dead_letter: tuple[str, int, str] | None,
                      retention_s: float, wait_s: float = 0.0) -> list[Message]:
        until = time.time() + wait_s
        while True:
            got = self._receive(queue, n, visibility_s, dead_letter, retention_s)
            if got or time.time() >= until:
                return got
            await self._wait(queue, until)
            if self.get_queue(queue) is None:
                return []

    def _receive(self, queue: str, n: int, visibility_s: float, dead_letter: tuple[str, int, str] | None,
                 retention_s: float) -> list[Message]:
        now = time.time()
        with self._tx() as db:
            if now - self._swept.get(queue, 0.0) > 10.0:
                self._swept[queue] = now
                self._expire(db, queue, now - retention_s)
            # the index (queue, visible_at, receipt, receives) covers this: no table rows read
            candidates = db.execute("SELECT seq, receives FROM messages WHERE queue = ? AND visible_at <= ?"
                                    " ORDER BY visible_at, seq LIMIT ?", (queue, now, n)).fetchall()
            if dead_letter is not None:
                dlq, max_receives, source_arn = dead_letter
                dead = [seq for seq, receives in candidates if receives >= max_receives]
                if dead:  # received maxReceiveCount times already: to the dead-letter queue, not handed out
                    db.execute(f"UPDATE messages SET queue = ?, receives = 0, first_receive = NULL, receipt = NULL,"
                               f" source_arn = ? WHERE seq IN ({','.join('?' * len(dead))})",
                               (dlq, source_arn, *dead))
                    candidates = [c for c in candidates if c[1] < max_receives]
            if not candidates:
                return []
            rows = db.execute(
                "UPDATE messages SET visible_at = ?, receives = receives + 1,"
                " first_receive = COALESCE(first_receive, ?), receipt = lower(hex(randomblob(8)))"
                f" WHERE seq IN ({','.join('?' * len(candidates))}) RETURNING " + _COLS,
                (now + visibility_s, now, *(c[0] for c in candidates))).fetchall()
        rows.sort()
        return [_message(r) for r in rows]

    @staticmethod
    def _expire(db: sqlite3.Connection, queue: str, cutoff: float) -> None:
        """MessageRetentionPeriod: sequence numbers grow with time, so the oldest
        message tells cheaply whether a (full) sweep has anything to do."""
        row = db.execute("SELECT sent_at FROM messages WHERE queue = ? ORDER BY seq LIMIT 1", (queue,)).fetchone()
        if row is not None and row[0] < cutoff:
            db.execute("DELETE FROM messages WHERE queue = ? AND sent_at < ?", (queue, cutoff))

    async def delete(self, queue: str, receipts: list[str]) -> list[bool | None]:
        parsed = [_parse_receipt(r) for r in receipts]
        out: list[bool | None] = []
        with self._tx() as db:
            for p in parsed:
                if p is None:
                    out.append(None)
                    continue
                cur = db.execute("DELETE FROM messages WHERE seq = ? AND queue = ? AND receipt = ?", (p[0], queue, p[1]))
                out.append(cur.rowcount == 1)
        return out

    async def change_visibility(self, queue: str, receipt: str, visibility_s: float) -> bool | None:
        p = _parse_receipt(receipt)
        if p is None:
            return None
        now = time.time()
        cur = self._db.execute("UPDATE messages SET visible_at = ? WHERE seq = ? AND queue = ? AND receipt = ?"
                               " AND visible_at > ?", (now + visibility_s, p[0], queue, p[1], now))
        if visibility_s == 0:
            self._wake(queue)
        return cur.rowcount == 1

    async def release(self, queue: str, receipts: list[str]) -> None:
        now = time.time()
        with self._tx() as db:
            for r in receipts:
                p = _parse_receipt(r)
                if p is not None:
                    db.execute("UPDATE messages SET visible_at = ?, receives = MAX(receives - 1, 0), receipt = NULL"
                               " WHERE seq = ? AND queue = ? AND receipt = ?", (now, p[0], queue, p[1]))
        self._wake(queue)

    def counts(self, queue: str) -> tuple[int, int, int]:
        now = time.time()
        visible = self._db.execute("SELECT COUNT(*) FROM messages WHERE queue = ? AND visible_at <= ?",
                                   (queue, now)).fetchone()[0]
        in_flight, delayed = self._db.execute(
            "SELECT COALESCE(SUM(receipt IS NOT NULL), 0), COALESCE(SUM(receipt IS NULL), 0) FROM messages"
            " WHERE queue = ? AND visible_at > ?", (queue, now)).fetchone()
        return int(visible), int(in_flight), int(delayed)

    def next_visible_at(self, queue: str) -> float | None:
        row = self._db.execute("SELECT MIN(visible_at) FROM messages WHERE queue = ?", (queue,)).fetchone()
        return row[0]

    # -- records (mappings, rules, targets) -----------------------------------------
    def put_record(self, kind: str, key: str, doc: dict) -> None:
        self._db.execute("INSERT OR REPLACE INTO records VALUES (?,?,?)", (kind, key, json.dumps(doc)))

    def get_record(self, kind: str, key: str) -> dict | None:
        row = self._db.execute("SELECT doc FROM records WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return json.loads(row[0]) if row else None

    def list_records(self, kind: str) -> list[dict]:
        return [json.loads(r[0]) for r in
                self._db.execute("SELECT doc FROM records WHERE kind = ? ORDER BY key", (kind,))]

    def delete_record(self, kind: str, key: str) -> None:
        self._db.execute("DELETE FROM records WHERE kind = ? AND key = ?", (kind, key))

    def compare_and_set(self, kind: str, key: str, field: str, expected: Any, doc: dict) -> bool:
        with self._tx() as db:
            current = self.get_record(kind, key)
            if current is None or current.get(field) != expected:
                return False
            db.execute("UPDATE records SET doc = ? WHERE kind = ? AND key = ?", (json.dumps(doc), kind, key))
        return True


class _Tx:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK`` on an exception)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def open_store(data_dir: Path | str) -> SqliteSources:
    """The backend for a data dir (the cluster issue adds NATS JetStream beside it)."""
    return SqliteSources(data_dir)
