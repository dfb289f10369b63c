"""Drives the engine's epoch, which is how wall-clock timeouts stop a guest.

Each invocation sets its store's epoch deadline to ``ceil(timeout / tick) + 1``
ticks; this thread advances the epoch by one per tick. It never catches up after a
late wake-up (a Python thread can wait up to the 5 ms GIL switch interval): a
burst of increments would cut short runs with tight deadlines (the speculative
inline runs of Host.ainvoke) that had used a fraction of their time. A late tick
stretches a timeout instead, and only while other Python threads hog the GIL: a
spinning guest itself runs with the GIL released. The thread only runs while an
invocation could still be inside its deadline, so an idle host (an edge device on
battery) does not wake up a thousand times a second.

Where the platform has POSIX timers (Linux), the ticks come from one
(posix_timer.py) that calls the engine's increment from C, never taking the GIL;
the thread here then only starts and stops it (about once a second under load).
Python cannot count those ticks, so ``counted`` is False and ``epoch`` stays put:
the hot path then sets every run's deadline afresh.
"""

from __future__ import annotations

import threading
import time
from ctypes import c_void_p, cast

from . import posix_timer
from .ffi import engine_increment_epoch, engine_ptr

# engines a native tick already under way may still reach for a moment (RETIRE_S after their timer
# stopped); at most a few, as each holds its pooling allocator's address space (~4 TiB)
_retired: list[tuple[float, object]] = []
RETIRED_MAX = 4


class EpochTicker:
    def __init__(self, engine, tick_ms: float = 1.0, *, native: bool = True) -> None:
        if tick_ms <= 0:
            raise ValueError("tick_ms must be positive")
        self.tick_ns = int(tick_ms * 1_000_000)
        self.until = 0  # perf_counter ns; the hot path reads it without the lock
        # How many times this ticker advanced the engine's epoch. A store whose
        # deadline was set while ``epoch`` had the same value still has its whole
        # budget, so the hot path can skip setting it again (see abi/core.py).
        self.epoch = 0
        self._engine = engine  # keep the engine alive as long as we tick it
        self._eptr = engine_ptr(engine.wasmtime)
        self._cond = threading.Condition()
        self._stopped = False
        self._timer: posix_timer.PeriodicTimer | None = None
        if native and posix_timer.available():
            try:
                self._timer = posix_timer.PeriodicTimer(cast(engine_increment_epoch, c_void_p).value or 0,
                                                        self._eptr.value or 0, self.tick_ns)
            except OSError:
                pass
        self.counted = self._timer is None  # whether ``epoch`` counts every tick the engine saw
        self._thread = threading.Thread(target=self._run if self._timer is None else self._run_native,
                                        name="wasmhost-epoch", daemon=True)
        self._thread.start()

    def ticks_for(self, timeout_ms: float) -> int:
        """Ticks for a timeout: rounded up, plus one for the tick already under way
        (and for a deadline set against an ``epoch`` reading one tick stale)."""
        return -(-int(timeout_ms * 1_000_000) // self.tick_ns) + 1

    def extend(self, deadline_ns: int) -> None:
        """Keep ticking until ``deadline_ns`` (perf_counter). Called at most about once per
        second under steady load: it extends one second past what was asked."""
        with self._cond:
            if deadline_ns > self.until:
                self.until = deadline_ns + 1_000_000_000
                self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=2)
        if self._timer is not None:
            self._timer.delete()
            now = time.monotonic()
            _retired[:] = [r for r in _retired if now - r[0] < posix_timer.RETIRE_S][-(RETIRED_MAX - 1):] + [
                (now, self._engine)]

    def _run_native(self) -> None:
        """Start the timer while an invocation may be inside its deadline, stop it after."""
        cond, timer = self._cond, self._timer
        assert timer is not None
        with cond:
            while not self._stopped:
                if time.perf_counter_ns() >= self.until:
                    cond.wait()
                    continue
                timer.start()
                while not self._stopped and (now := time.perf_counter_ns()) < self.until:
                    cond.wait((self.until - now) / 1e9)
                timer.stop()

    def _run(self) -> None:
        inc, eptr, tick = engine_increment_epoch, self._eptr, self.tick_ns
        cond = self._cond
        while True:
            with cond:
                while not self._stopped and time.perf_counter_ns() >= self.until:
                    cond.wait()
                if self._stopped:
                    return
            next_tick = time.perf_counter_ns() + tick
            while not self._stopped:
                time.sleep(max(0, next_tick - time.perf_counter_ns()) / 1e9)
                self.epoch += 1  # first: a reader may then be one tick early, never late
                inc(eptr)
                now = time.perf_counter_ns()
                next_tick = max(next_tick + tick, now + tick // 2)  # keep the period; never burst
                if now >= self.until:
                    break
