"""A streaming handler's response on its way out while the handler still runs: the
guest's writes (a host call on the invocation's worker thread) go into this pipe, and
a reader (the server's event loop, or any thread) takes them as they come.

- **Back-pressure**: a write waits while more than ``high_water`` bytes are unread,
  so a slow client slows the handler rather than filling the host's memory; the wait
  is bounded by the invocation's deadline (a host call burns no fuel and the epoch
  cannot interrupt it), past which the invocation times out as any other.
- **A client that goes away** (``close``): later writes are dropped and answered 0,
  and a waiting write returns at once; the run goes on to its end and is metered.
- **The size limit** (``limit``, Lambda's maximum streamed response): bytes past it
  are dropped and ``too_large`` is set; the caller ends the response with Lambda's
  ``Function.ResponseSizeTooLarge`` once the run is over.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

from .errors import InvocationTimeout

# Lambda's maximum streamed response (200 MB since July 2025; it was 20 MB)
STREAM_LIMIT = 200 * 1024 * 1024
HIGH_WATER = 1024 * 1024  # unread bytes a write may leave before it waits for the reader


class ResponseStream:
    """The producer side runs on the invocation's thread (``start``, ``write``), the
    reader anywhere (``take``, ``close``); ``notify`` is called (on the producer's
    thread) whenever there is something new to take, e.g. ``loop.call_soon_threadsafe``
    of an event's ``set``."""

    def __init__(self, notify: Callable[[], object] = lambda: None, *, limit: int = STREAM_LIMIT,
                 high_water: int = HIGH_WATER) -> None:
        self.notify, self.limit, self.high_water = notify, limit, high_water
        self.prelude: tuple[str, str] | None = None  # (prelude JSON or "", content type) once started
        self.closed = False  # the reader went away
        self.too_large = False
        self.sent = 0  # body bytes accepted
        self._chunks: deque[bytes] = deque()
        self._unread = 0
        self._cond = threading.Condition()

    # -- the producer: the guest's host calls ----------------------------------------
    def start(self, prelude: str, content_type: str) -> int:
        if self.prelude is None:
            self.prelude = (prelude, content_type)
            self.notify()
        return 0 if self.closed else 1

    def write(self, data: bytes, deadline_ns: int) -> int:
        if self.prelude is None:
            self.start("", "application/octet-stream")
        if self.closed or self.too_large:
            return 0
        if self.sent + len(data) > self.limit:
            self.too_large = True
            self.notify()
            return 0
        with self._cond:
            while self._unread > self.high_water and not self.closed:
                left = (deadline_ns - time.perf_counter_ns()) / 1e9
                if left <= 0:
                    raise InvocationTimeout("the invocation's timeout passed while its client read the "
                                            "streamed response")
                self._cond.wait(left)
            if self.closed:
                return 0
            self._chunks.append(data)
            self._unread += len(data)
            self.sent += len(data)
        self.notify()
        return 1

    # -- the reader ------------------------------------------------------------------
    def take(self) -> list[bytes]:
        """Every chunk written since the last take (and lets waiting writes go on)."""
        with self._cond:
            out = list(self._chunks)
            self._chunks.clear()
            self._unread = 0
            self._cond.notify_all()
        return out

    def close(self) -> None:
        """The reader is gone: writes from now on are dropped."""
        with self._cond:
            self.closed = True
            self._chunks.clear()
            self._unread = 0
            self._cond.notify_all()


__all__ = ["HIGH_WATER", "STREAM_LIMIT", "ResponseStream"]
