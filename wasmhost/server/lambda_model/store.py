"""What a server must remember across restarts: functions, versions, aliases,
layers, their settings, their code, and the accepted asynchronous events.

SQLite in the data directory (WAL; durable once a write returns, against a killed
process), module bytes under ``code/<sha256>.wasm``. Records are JSON documents:
the front end owns their fields, the registry only keeps them.

Several processes may share one data dir (``wasmhost serve --workers N``): every
write is one SQLite transaction (any of them may write), each process keeps an
in-memory mirror of the function tables and learns that another one wrote from a
shared change signal (backends/shared.py) before it reads again; an accepted event is
leased to the one process that runs it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from ...backends.registry import DocumentRecords
from ...backends.shared import ChangeSignal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS functions (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (name TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS aliases (name TEXT NOT NULL, alias TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (name, alias));
CREATE TABLE IF NOT EXISTS layers (name TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, function TEXT NOT NULL,
    qualifier TEXT, payload BLOB NOT NULL, request_id TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL, created_at REAL NOT NULL, last_error TEXT, lease_until REAL NOT NULL DEFAULT 0,
    owner TEXT);
CREATE INDEX IF NOT EXISTS events_due ON events (next_at);
CREATE TABLE IF NOT EXISTS dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, function TEXT NOT NULL,
    qualifier TEXT, payload BLOB NOT NULL, request_id TEXT NOT NULL, attempts INTEGER NOT NULL,
    error TEXT NOT NULL, failed_at REAL NOT NULL);
"""
EVENT_LEASE_S = 30.0  # a claimed event is another process's to take if not renewed this long (JetStream's AckWait)
_EVENT_COLS = ("id", "function", "qualifier", "payload", "request_id", "attempts", "created_at")


class Registry(DocumentRecords):
    """The SQLite store; every method is safe to call from any thread."""

    def __init__(self, data_dir: Path | str) -> None:
        self.dir = Path(data_dir)
        (self.dir / "code").mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.dir / "registry.sqlite"), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")  # other worker processes write too
        self._db.executescript(_SCHEMA)
        if "lease_until" not in {r[1] for r in self._db.execute("PRAGMA table_info(events)")}:  # an older file
            self._db.execute("ALTER TABLE events ADD COLUMN lease_until REAL NOT NULL DEFAULT 0")
            self._db.execute("ALTER TABLE events ADD COLUMN owner TEXT")
        self._lock = threading.Lock()
        self._mirror: dict[str, dict[tuple, dict]] = {}
        self._changes = ChangeSignal(self.dir / "registry.changes")
        self.owner = "local"  # who this process's event claims are leased to (EventWorker.start sets it)

    def changed(self) -> bool:
        """Whether another process (or this one) wrote a function, version, alias or
        layer since the last call; if so the mirror is dropped and read again. Cheap
        enough for every invocation (one compare of 8 shared bytes, ~0.2 µs, where
        ``PRAGMA data_version`` costs ~10 µs here)."""
        if not self._changes.moved():
            return False
        with self._lock:
            self._mirror = {}
        return True

    def announce(self) -> None:
        """Tell every process to read the tables again (a restarted worker does, in
        case its predecessor died between a commit and its announcement)."""
        self._changes.bump()

    def _q(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- code -----------------------------------------------------------------------
    def put_code(self, data: bytes) -> str:
        """Store a function's code (a module, or a zip of Python sources) by its sha256."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.code_path(sha)
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return sha

    def code_path(self, sha: str) -> Path:
        return self.dir / "code" / sha

    def layer_path(self, name: str, version: int) -> Path:
        """Where a layer version's zip is unpacked (functions see it at /opt)."""
        return self.dir / "layers" / name / str(version)

    # -- functions, versions, aliases -----------------------------------------------
    # These records are read on every invocation (an alias or a version on each
    # qualified one), so each table is mirrored in memory, dropped when another
    # process writes (``changed``). Treat returned records as read-only: copy,
    # change, then put.
    _KEYS = {"functions": ("name",), "versions": ("name", "version"), "aliases": ("name", "alias"),
             "layers": ("name", "version")}
    _OWNED = ("functions", "versions", "aliases")  # deleted with their function

    def _table(self, table: str) -> dict[tuple, dict]:
        cache = self._mirror.get(table)
        if cache is None:
            cols = ", ".join(self._KEYS[table])
            rows = self._db.execute(f"SELECT {cols}, doc FROM {table}").fetchall()
            cache = self._mirror[table] = {tuple(r[:-1]): json.loads(r[-1]) for r in rows}
        return cache

    def _put(self, table: str, key: tuple, doc: dict) -> None:
        with self._lock:
            self._db.execute(f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * (len(key) + 1))})",
                             (*key, json.dumps(doc)))
            self._table(table)[key] = doc
        self._changes.bump()

    def _get(self, table: str, key: tuple) -> dict | None:
        with self._lock:
            return self._table(table).get(key)

    def _list(self, table: str, name: str | None) -> list[dict]:
        with self._lock:
            return [doc for key, doc in sorted(self._table(table).items()) if name is None or key[0] == name]

    def _delete(self, table: str, key: tuple) -> None:
        with self._lock:
            where = " AND ".join(f"{c} = ?" for c in self._KEYS[table])
            self._db.execute(f"DELETE FROM {table} WHERE {where}", key)
            self._table(table).pop(key, None)
        self._changes.bump()

    def delete_function(self, name: str) -> None:
        """The function, its versions and its aliases, in one transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            for table in self._OWNED:
                self._db.execute(f"DELETE FROM {table} WHERE name = ?", (name,))
                cache = self._table(table)
                for key in [k for k in cache if k[0] == name]:
                    del cache[key]
            self._db.execute("COMMIT")
        self._changes.bump()

    # -- asynchronous events --------------------------------------------------------
    def enqueue(self, function: str, qualifier: str | None, payload: bytes, request_id: str,
                delay_s: float = 0.0) -> int:
        """Durable once this returns: only then may the caller answer 202."""
        now = time.time()
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO events (function, qualifier, payload, request_id, next_at, created_at) VALUES (?,?,?,?,?,?)",
                (function, qualifier, payload, request_id, now + delay_s, now))
            return _rowid(cur)

    def due_events(self, limit: int = 64, lease_s: float = EVENT_LEASE_S) -> list[dict[str, Any]]:
        """Claim up to ``limit`` due events for ``self.owner`` (this process): leased to
        it for ``lease_s`` (``renew_leases`` extends that while they run), so no other
        process runs them; an event whose lease ran out (its process died) is due
        again, as JetStream redelivers after AckWait. One statement: atomic."""
        now = time.time()
        rows = self._q("UPDATE events SET lease_until = ?, owner = ? WHERE id IN (SELECT id FROM events"
                       " WHERE next_at <= ? AND lease_until <= ? ORDER BY next_at LIMIT ?) RETURNING "
                       + ", ".join(_EVENT_COLS), (now + lease_s, self.owner, now, now, limit))
        rows.sort()
        return [dict(zip(_EVENT_COLS, r)) for r in rows]

    def renew_leases(self, owner: str, lease_s: float = EVENT_LEASE_S) -> int:
        """Extend the leases of every event ``owner`` runs; returns how many."""
        cur_rows = self._q("UPDATE events SET lease_until = ? WHERE owner = ? RETURNING id",
                           (time.time() + lease_s, owner))
        return len(cur_rows)

    def release_leases(self, owner: str, keep_prefix: str) -> None:
        """At a worker's start: events leased by its dead predecessor (``owner``) or by
        a process of an earlier server run (owner not starting with ``keep_prefix``) are
        due again at once, not after their lease runs out."""
        self._q("UPDATE events SET lease_until = 0, owner = NULL WHERE owner IS NOT NULL"
                " AND (owner = ? OR substr(owner, 1, ?) != ?)", (owner, len(keep_prefix), keep_prefix))

    def next_event_at(self) -> float | None:
        """When the next event is due, counting a leased one as due when its lease ends."""
        rows = self._q("SELECT MIN(MAX(next_at, lease_until)) FROM events")
        return rows[0][0] if rows and rows[0][0] is not None else None

    def retry_event(self, event_id: int, attempts: int, delay_s: float, error: str) -> None:
        self._q("UPDATE events SET attempts = ?, next_at = ?, last_error = ?, lease_until = 0, owner = NULL"
                " WHERE id = ?", (attempts, time.time() + delay_s, error, event_id))

    def finish_event(self, event_id: int) -> None:
        self._q("DELETE FROM events WHERE id = ?", (event_id,))

    def dead_letter(self, event: dict, attempts: int, error: str) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            cur = self._db.execute(
                "INSERT INTO dead_letters (function, qualifier, payload, request_id, attempts, error, failed_at)"
                " VALUES (?,?,?,?,?,?,?)", (event["function"], event["qualifier"], event["payload"],
                                            event["request_id"], attempts, error, time.time()))
            self._db.execute("DELETE FROM events WHERE id = ?", (event["id"],))
            self._db.execute("COMMIT")
            return _rowid(cur)

    def dead_letters(self, function: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, function, qualifier, payload, request_id, attempts, error, failed_at FROM dead_letters"
        rows = self._q(sql + (" WHERE function = ?" if function else "") + " ORDER BY id", (function,) if function else ())
        keys = ("id", "function", "qualifier", "payload", "request_id", "attempts", "error", "failed_at")
        return [dict(zip(keys, r)) for r in rows]

    def replay_dead_letter(self, dl_id: int) -> int | None:
        """Move a dead letter back onto the event queue; returns the new event id."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # read and move in one transaction: replayed once
            rows = self._db.execute("SELECT function, qualifier, payload, request_id FROM dead_letters WHERE id = ?",
                                    (dl_id,)).fetchall()
            if not rows:
                self._db.execute("ROLLBACK")
                return None
            fn, qual, payload, rid = rows[0]
            now = time.time()
            cur = self._db.execute("INSERT INTO events (function, qualifier, payload, request_id, next_at, created_at)"
                                   " VALUES (?,?,?,?,?,?)", (fn, qual, payload, rid, now, now))
            self._db.execute("DELETE FROM dead_letters WHERE id = ?", (dl_id,))
            self._db.execute("COMMIT")
            return _rowid(cur)

    def pending_events(self) -> int:
        return self._q("SELECT COUNT(*) FROM events")[0][0]

    def close(self) -> None:
        with self._lock:
            self._db.close()



def _rowid(cur: sqlite3.Cursor) -> int:
    assert cur.lastrowid is not None  # set by every INSERT
    return cur.lastrowid
