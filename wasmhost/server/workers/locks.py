"""Locks between the worker processes of one server: ``flock`` on files in the
data dir. The kernel drops a dead process's lock, so nothing is left stale."""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path


class FileLock:
    """Exclusive across processes; ``acquire`` waits without blocking the event loop.

    Within one process it is only ever held between two awaits (a control-plane
    write runs without awaiting), so coroutines of one worker never overlap in it."""

    def __init__(self, path: Path, max_poll_s: float = 0.05) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.max_poll_s = path, max_poll_s
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self.held = False

    def try_acquire(self) -> bool:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.held = True
        return True

    async def acquire(self) -> None:
        pause = 0.001  # a write is usually done in a millisecond; a deploy that compiles takes minutes
        while not self.try_acquire():
            await asyncio.sleep(pause)
            pause = min(self.max_poll_s, pause * 2)

    def release(self) -> None:
        self.held = False
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)  # releases it, if held
