"""What lets the worker processes of one server share a data dir's SQLite stores
(``wasmhost serve --workers N``): a change signal, and a lock.

``ChangeSignal``: eight bytes in a memory-mapped file. A process that committed a write to a shared SQLite store stores a new random token
there; every process compares the token with the one it saw last before it
answers from its in-memory mirror. Reading it is one compare of shared memory
(~0.2 µs), where asking SQLite (``PRAGMA data_version``) costs ~10 µs here: too
much for every invocation. The token is written after the commit and before the
writer answers its client, so any request that arrives after that answer, at any
worker, sees it. A torn read can only look like another change (a needless
re-read), never like no change."""

from __future__ import annotations

import os
import threading
from pathlib import Path

SIZE = 8


class ChangeSignal:
    def __init__(self, path: Path | str) -> None:
        import mmap  # here, not with ``import wasmhost`` (tests/test_footprint.py)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size < SIZE:
                os.ftruncate(fd, SIZE)  # two processes doing this at once both leave 8 zero bytes
            self._map = mmap.mmap(fd, SIZE)
        finally:
            os.close(fd)
        self._seen = self._map[:SIZE]

    def moved(self) -> bool:
        """Whether a token was stored since the last call (or since this was opened)."""
        now = self._map[:SIZE]
        if now == self._seen:
            return False
        self._seen = now
        return True

    def bump(self) -> None:
        """Store a new token. This process sees it too (``moved``): it may have missed
        another process's token overwritten by this one."""
        self._map[:SIZE] = os.urandom(SIZE)


class ProcessLock:
    """A re-entrant lock held across threads and processes: a ``threading.RLock``
    plus ``flock`` on a file, taken by the outermost ``with`` of a thread. For
    short critical sections that a file system change and its index row must
    share (another process's watcher must not see the one without the other)."""

    def __init__(self, path: Path | str) -> None:
        self._rlock = threading.RLock()
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self._depth = 0

    def __enter__(self) -> "ProcessLock":
        self._rlock.acquire()
        if self._depth == 0 and self._fd >= 0:  # (closed: a thread lock only)
            try:
                _flock(self._fd, True)
            except BaseException:
                self._rlock.release()
                raise
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd >= 0:
            _flock(self._fd, False)
        self._rlock.release()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _flock(fd: int, exclusive: bool) -> None:
    import fcntl
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_UN)
