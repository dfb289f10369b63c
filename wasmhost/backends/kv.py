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
    def get(self, store: str, key: str) -> bytes | None: ...

    def set(self, store: str, key: str, value: bytes) -> None: ...

    def delete(self, store: str, key: str) -> bool: ...

    def keys(self, store: str, prefix: str = "", limit: int = 1000) -> list[str]: ...

    def close(self) -> None: ...


_SCHEMA = """CREATE TABLE IF NOT EXISTS kv (
    store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key)
) WITHOUT ROWID"""


class SQLiteKV:
    """Every store in one SQLite file (WAL), opened on first use (``path=None``: in
    memory). Each write is its own transaction, so a value set is there after a crash
    or restart (``synchronous=NORMAL``: durable against a process crash; a power
    loss can take the last moments). Several processes may share the file (worker
    processes on one data dir): SQLite serialises their writes, waiting up to 5 s."""

    def __init__(self, path: Path | str | None) -> None:
        self.path = str(path) if path is not None else ":memory:"
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

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
            db = self._db or self._open()
            row = db.execute("SELECT value FROM kv WHERE store = ? AND key = ?", (store, key)).fetchone()
        return row[0] if row is not None else None

    def set(self, store: str, key: str, value: bytes) -> None:
        with self._lock:
            db = self._db or self._open()
            db.execute("INSERT OR REPLACE INTO kv (store, key, value) VALUES (?, ?, ?)", (store, key, value))

    def delete(self, store: str, key: str) -> bool:
        with self._lock:
            db = self._db or self._open()
            return db.execute("DELETE FROM kv WHERE store = ? AND key = ?", (store, key)).rowcount > 0

    def keys(self, store: str, prefix: str = "", limit: int = 1000) -> list[str]:
        """Keys in order; ``prefix`` matched exactly (a range scan, no LIKE wildcards)."""
        with self._lock:
            db = self._db or self._open()
            if prefix:
                rows = db.execute("SELECT key FROM kv WHERE store = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?",
                                  (store, prefix, prefix + "\U0010ffff", limit))
            else:
                rows = db.execute("SELECT key FROM kv WHERE store = ? ORDER BY key LIMIT ?", (store, limit))
            return [r[0] for r in rows]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
