"""The key-value backend interface, and its embedded implementation on SQLite.

A backend stores opaque byte values under string keys, grouped in stores (a
function's own store, or a named store shared by the functions granted it; the
capability (wasmhost/capabilities/kv.py) decides which store a guest may use and
checks the quotas). A cluster backend (the cluster issue's JetStream KV) implements
the same five methods.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import sqlite3


class KVBackend(Protocol):
    """A backend that buffers writes also defines ``flush()``, which makes the writes
    made so far durable: the kv capability calls it when an invocation that wrote
    ends, the host's janitor now and then (a backend whose writes are durable at once
    needs none)."""

    def get(self, store: str, key: str) -> bytes | None: ...

    def set(self, store: str, key: str, value: bytes) -> None: ...

    def delete(self, store: str, key: str) -> bool: ...

    def keys(self, store: str, prefix: str = "", limit: int = 1000) -> list[str]: ...

    def close(self) -> None: ...


_SCHEMA = """CREATE TABLE IF NOT EXISTS kv (
    store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key)
) WITHOUT ROWID"""
_PUT = "INSERT OR REPLACE INTO kv (store, key, value) VALUES (?, ?, ?)"
FLUSH_BYTES = 4 * 1024 * 1024  # pending writes past this are committed by the set that adds them


class SQLiteKV:
    """Every store in one SQLite file (WAL), opened on first use (``path=None``: in
    memory). Several processes may share the file (worker processes on one data dir):
    SQLite serialises their writes, waiting up to 5 s.

    Writes are group-committed: a ``set`` goes into a table of pending writes that
    every reader in this process sees at once, and ``flush`` commits them all in one
    transaction. The kv capability flushes when an invocation that wrote ends, and
    the host's janitor every quarter second, so a value set is durable by the time
    its invocation's answer leaves (``synchronous=NORMAL``: against a process crash;
    a power loss can take the last moments). One commit per invocation instead of
    one per ``set`` (~20 µs each here), and no write lock held while a guest runs.
    Another process sees a write once it is committed. ``delete`` commits at once;
    ``keys`` commits what is pending first."""

    def __init__(self, path: Path | str | None) -> None:
        self.path = str(path) if path is not None else ":memory:"
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], bytes] = {}
        self._pending_bytes = 0

    def _open(self) -> sqlite3.Connection:
        import sqlite3  # with the first key-value call, not with ``import wasmhost``
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5.0)
        if self.path != ":memory:":
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
        self._db = db
        return db

    def get(self, store: str, key: str) -> bytes | None:
        with self._lock:
            value = self._pending.get((store, key))
            if value is not None:
                return value
            db = self._db or self._open()
            row = db.execute("SELECT value FROM kv WHERE store = ? AND key = ?", (store, key)).fetchone()
        return row[0] if row is not None else None

    def set(self, store: str, key: str, value: bytes) -> None:
        with self._lock:
            self._pending[(store, key)] = value
            self._pending_bytes += len(key) + len(value)
            if self._pending_bytes > FLUSH_BYTES:
                self._commit()

    def delete(self, store: str, key: str) -> bool:
        with self._lock:
            pending = self._pending.pop((store, key), None)
            db = self._db or self._open()
            return db.execute("DELETE FROM kv WHERE store = ? AND key = ?", (store, key)).rowcount > 0 \
                or pending is not None

    def keys(self, store: str, prefix: str = "", limit: int = 1000) -> list[str]:
        """Keys in order; ``prefix`` matched exactly (a range scan, no LIKE wildcards)."""
        with self._lock:
            self._commit()
            db = self._db or self._open()
            if prefix:
                rows = db.execute("SELECT key FROM kv WHERE store = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?",
                                  (store, prefix, prefix + "\U0010ffff", limit))
            else:
                rows = db.execute("SELECT key FROM kv WHERE store = ? ORDER BY key LIMIT ?", (store, limit))
            return [r[0] for r in rows]

    def flush(self) -> None:
        if self._pending:
            with self._lock:
                self._commit()

    def _commit(self) -> None:
        """Write the pending table in one transaction (the lock held). On failure (a full
        disk, another process holding the write lock past the timeout) the writes stay
        pending, visible here, for the next flush."""
        if not self._pending:
            return
        db = self._db or self._open()
        pending, self._pending, self._pending_bytes = self._pending, {}, 0
        try:
            if len(pending) == 1:  # most invocations write one key: one statement, its own transaction
                ((s, k), v), = pending.items()
                db.execute(_PUT, (s, k, v))
            else:  # BEGIN, not BEGIN IMMEDIATE: it writes before it reads, and costs ~15 µs less here
                db.execute("BEGIN")
                try:
                    db.executemany(_PUT, [(s, k, v) for (s, k), v in pending.items()])
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        except BaseException:
            self._pending = pending  # nothing was set meanwhile: the lock is held
            self._pending_bytes = sum(len(k) + len(v) for (_, k), v in pending.items())
            raise

    def close(self) -> None:
        with self._lock:
            try:
                self._commit()
            finally:
                if self._db is not None:
                    self._db.close()
                    self._db = None
