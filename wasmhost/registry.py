"""What a server must remember across restarts: functions, versions, aliases,
their settings, their code, and the accepted asynchronous events.

SQLite in the data directory (WAL; durable once a write returns, against a killed
process), module bytes under ``code/<sha256>.wasm``. Records are JSON documents:
the front end owns their fields, the registry only keeps them.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS functions (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (name TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS aliases (name TEXT NOT NULL, alias TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (name, alias));
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, function TEXT NOT NULL,
    qualifier TEXT, payload BLOB NOT NULL, request_id TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL, created_at REAL NOT NULL, last_error TEXT);
CREATE INDEX IF NOT EXISTS events_due ON events (next_at);
CREATE TABLE IF NOT EXISTS dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, function TEXT NOT NULL,
    qualifier TEXT, payload BLOB NOT NULL, request_id TEXT NOT NULL, attempts INTEGER NOT NULL,
    error TEXT NOT NULL, failed_at REAL NOT NULL);
"""


class Registry:
    def __init__(self, data_dir: Path | str) -> None:
        self.dir = Path(data_dir)
        (self.dir / "code").mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.dir / "registry.sqlite"), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._functions: dict[str, dict] | None = None

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

    # -- functions, versions, aliases -----------------------------------------------
    # Function records are read on every invocation, so they are also kept in memory
    # (this process is the only writer). Treat what ``get_function`` returns as
    # read-only: copy before changing, then ``put_function``.
    def _function_cache(self) -> dict[str, dict]:
        if self._functions is None:
            rows = self._db.execute("SELECT name, doc FROM functions").fetchall()
            self._functions = {name: json.loads(doc) for name, doc in rows}
        return self._functions

    def put_function(self, name: str, doc: dict) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO functions VALUES (?, ?)", (name, json.dumps(doc)))
            self._function_cache()[name] = doc

    def get_function(self, name: str) -> dict | None:
        with self._lock:
            return self._function_cache().get(name)

    def list_functions(self) -> list[dict]:
        with self._lock:
            cache = self._function_cache()
            return [cache[k] for k in sorted(cache)]

    def delete_function(self, name: str) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            for table in ("functions", "versions", "aliases"):
                self._db.execute(f"DELETE FROM {table} WHERE name = ?", (name,))
            self._db.execute("COMMIT")
            self._function_cache().pop(name, None)

    def put_version(self, name: str, version: int, doc: dict) -> None:
        self._q("INSERT OR REPLACE INTO versions VALUES (?, ?, ?)", (name, version, json.dumps(doc)))

    def get_version(self, name: str, version: int) -> dict | None:
        rows = self._q("SELECT doc FROM versions WHERE name = ? AND version = ?", (name, version))
        return json.loads(rows[0][0]) if rows else None

    def list_versions(self, name: str) -> list[dict]:
        return [json.loads(r[0]) for r in self._q("SELECT doc FROM versions WHERE name = ? ORDER BY version", (name,))]

    def delete_version(self, name: str, version: int) -> None:
        self._q("DELETE FROM versions WHERE name = ? AND version = ?", (name, version))

    def put_alias(self, name: str, alias: str, doc: dict) -> None:
        self._q("INSERT OR REPLACE INTO aliases VALUES (?, ?, ?)", (name, alias, json.dumps(doc)))

    def get_alias(self, name: str, alias: str) -> dict | None:
        rows = self._q("SELECT doc FROM aliases WHERE name = ? AND alias = ?", (name, alias))
        return json.loads(rows[0][0]) if rows else None

    def list_aliases(self, name: str) -> list[dict]:
        return [json.loads(r[0]) for r in self._q("SELECT doc FROM aliases WHERE name = ? ORDER BY alias", (name,))]

    def delete_alias(self, name: str, alias: str) -> None:
        self._q("DELETE FROM aliases WHERE name = ? AND alias = ?", (name, alias))

    # -- asynchronous events --------------------------------------------------------
    def enqueue(self, function: str, qualifier: str | None, payload: bytes, request_id: str,
                delay_s: float = 0.0) -> int:
        """Durable once this returns: only then may the caller answer 202."""
        now = time.time()
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO events (function, qualifier, payload, request_id, next_at, created_at) VALUES (?,?,?,?,?,?)",
                (function, qualifier, payload, request_id, now + delay_s, now))
            return int(cur.lastrowid)

    def due_events(self, limit: int = 64) -> list[dict[str, Any]]:
        rows = self._q("SELECT id, function, qualifier, payload, request_id, attempts, created_at FROM events"
                       " WHERE next_at <= ? ORDER BY next_at LIMIT ?", (time.time(), limit))
        keys = ("id", "function", "qualifier", "payload", "request_id", "attempts", "created_at")
        return [dict(zip(keys, r)) for r in rows]

    def next_event_at(self) -> float | None:
        rows = self._q("SELECT MIN(next_at) FROM events")
        return rows[0][0] if rows and rows[0][0] is not None else None

    def retry_event(self, event_id: int, attempts: int, delay_s: float, error: str) -> None:
        self._q("UPDATE events SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?",
                (attempts, time.time() + delay_s, error, event_id))

    def finish_event(self, event_id: int) -> None:
        self._q("DELETE FROM events WHERE id = ?", (event_id,))

    def dead_letter(self, event: dict, attempts: int, error: str) -> int:
        with self._lock:
            self._db.execute("BEGIN")
            cur = self._db.execute(
                "INSERT INTO dead_letters (function, qualifier, payload, request_id, attempts, error, failed_at)"
                " VALUES (?,?,?,?,?,?,?)", (event["function"], event["qualifier"], event["payload"],
                                            event["request_id"], attempts, error, time.time()))
            self._db.execute("DELETE FROM events WHERE id = ?", (event["id"],))
            self._db.execute("COMMIT")
            return int(cur.lastrowid)

    def dead_letters(self, function: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, function, qualifier, payload, request_id, attempts, error, failed_at FROM dead_letters"
        rows = self._q(sql + (" WHERE function = ?" if function else "") + " ORDER BY id", (function,) if function else ())
        keys = ("id", "function", "qualifier", "payload", "request_id", "attempts", "error", "failed_at")
        return [dict(zip(keys, r)) for r in rows]

    def replay_dead_letter(self, dl_id: int) -> int | None:
        """Move a dead letter back onto the event queue; returns the new event id."""
        with self._lock:
            rows = self._db.execute("SELECT function, qualifier, payload, request_id FROM dead_letters WHERE id = ?",
                                    (dl_id,)).fetchall()
            if not rows:
                return None
            fn, qual, payload, rid = rows[0]
            now = time.time()
            self._db.execute("BEGIN")
            cur = self._db.execute("INSERT INTO events (function, qualifier, payload, request_id, next_at, created_at)"
                                   " VALUES (?,?,?,?,?,?)", (fn, qual, payload, rid, now, now))
            self._db.execute("DELETE FROM dead_letters WHERE id = ?", (dl_id,))
            self._db.execute("COMMIT")
            return int(cur.lastrowid)

    def pending_events(self) -> int:
        return self._q("SELECT COUNT(*) FROM events")[0][0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def iter_pages(items: list, marker: str | None, max_items: int) -> tuple[list, str | None]:
    """One page of ``items`` after the opaque ``marker`` (an index), and the next marker."""
    start = int(marker) if marker and marker.isdigit() else 0
    page = items[start:start + max_items]
    nxt = str(start + max_items) if start + max_items < len(items) else None
    return page, nxt

