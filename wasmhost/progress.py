"""Progress for the steps a user waits on: building a runtime, compiling a large
module, installing requirements, restoring functions at start.

``with step("compiling the python runtime", expected_s=12):`` shows nothing for a
step that ends within a second. After that, on a terminal, a bar with the step's
name and its elapsed time redraws on stderr ten times a second; the bar fills
towards ``expected_s`` (an estimate, so it stops short of full until the step ends).
Off a terminal (a server's log, CI) the step is logged at INFO instead: once when
it has taken a second, once when it ends. ``WASMHOST_PROGRESS=0`` turns the bar off
(the log lines stay). Standard library only: ``import wasmhost`` stays light.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import IO

log = logging.getLogger("wasmhost.progress")
DELAY_S = 1.0
WIDTH = 24
_draw_lock = threading.Lock()  # two steps on two threads share one terminal line


class step:
    """A context manager around one slow step (see the module's docstring)."""

    def __init__(self, name: str, expected_s: float | None = None, stream: IO[str] | None = None,
                 delay_s: float = DELAY_S) -> None:
        self.name, self.expected_s, self.delay_s = name, expected_s, delay_s
        self.stream = stream if stream is not None else sys.stderr
        self._done = threading.Event()
        self._shown = False
        self._t0 = 0.0
        self._thread: threading.Thread | None = None

    def _tty(self) -> bool:
        try:
            return os.environ.get("WASMHOST_PROGRESS", "1") != "0" and self.stream.isatty()
        except (AttributeError, ValueError):
            return False

    def line(self, elapsed: float) -> str:
        if self.expected_s:
            frac = min(elapsed / self.expected_s, 0.95)
            bar = "#" * int(frac * WIDTH)
            return f"[{bar:<{WIDTH}}] {self.name}  {elapsed:.1f} s of ~{self.expected_s:.0f} s"
        spin = "|/-\\"[int(elapsed * 10) % 4]
        return f"[{spin}] {self.name}  {elapsed:.1f} s"

    def _run(self) -> None:
        if self._done.wait(self.delay_s):
            return
        self._shown = True
        if not self._tty():
            log.info("%s ...", self.name)
            return
        while not self._done.is_set():
            with _draw_lock:
                self.stream.write("\r" + self.line(time.monotonic() - self._t0) + "\x1b[K")
                self.stream.flush()
            self._done.wait(0.1)

    def __enter__(self) -> "step":
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="wasmhost-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        if not self._shown:
            return
        elapsed = time.monotonic() - self._t0
        outcome = "failed" if exc_type is not None else "done"
        if self._tty():
            with _draw_lock:
                self.stream.write(f"\r{self.name}: {outcome} in {elapsed:.1f} s\x1b[K\n")
                self.stream.flush()
        else:
            log.info("%s: %s in %.1f s", self.name, outcome, elapsed)
