"""Drives the engine's epoch, which is how wall-clock timeouts stop a guest.

Each invocation sets its store's epoch deadline to ``ceil(timeout / tick) + 1``
ticks; the ticker advances the epoch by one per tick. When it wakes up late (a
starved CPU: two cores under a load of 30 delayed it by tens of milliseconds a
wake-up, and a 2 s timeout took over 100 s when each wake-up counted one tick) it
adds every period that went by, so a timeout stays wall-clock time. A run that sets
its deadline before such a late wake-up adds the periods already due (``due()``):
the catch-up then takes nothing from it (runs with tight deadlines, such as the
speculative inline runs of Host.ainvoke, would be cut short otherwise). The
POSIX timer's ticks are not counted: there, a late tick stretches a timeout. The
ticker only runs while an invocation
could still be inside its deadline (``extend``), so an idle host (an edge device on
battery) does not wake up a thousand times a second.

Three ways to tick, the first the platform has (``kind``):

- ``thread``: one native thread (the ``_ticker`` C extension setup.py builds) calls
  the engine's increment from C every tick, never taking the GIL, and counts its
  ticks where the hot path reads them (``clock.epoch``). The cheapest by far.
- ``posix-timer``: a POSIX timer calls the increment from C (posix_timer.py), where
  the extension was not built (no C compiler). glibc starts a thread per tick (~7 µs
  of CPU per request under load), and Python cannot count those ticks: ``counted``
  is False and the hot path sets every run's deadline afresh. A Python thread here
  only starts and stops the timer (about once a second under load).
- ``python``: a Python thread (macOS, Windows). Each tick takes the GIL from the
  event loop, and may come up to the 5 ms GIL switch interval late while other
  threads hog it (a spinning guest itself runs with the GIL released).
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from ctypes import c_void_p, cast

from . import posix_timer
from .ffi import engine_increment_epoch, engine_ptr

_NativeTicker: type[_ticker.Ticker] | None
try:
    from . import _ticker
    _NativeTicker = _ticker.Ticker
except ImportError:  # built without a C compiler, or not on Linux
    _NativeTicker = None

KINDS = ("thread", "posix-timer", "python")

# engines a POSIX timer's tick already under way may still reach for a moment (RETIRE_S after their
# timer stopped); at most a few, as each holds its pooling allocator's address space (~4 TiB)
_retired: list[tuple[float, object]] = []
RETIRED_MAX = 4
_native_live: weakref.WeakSet[EpochTicker] = weakref.WeakSet()


def available_kinds() -> list[str]:
    """The kinds of ticker this platform and install can run, best first."""
    return [k for k in KINDS if k == "python" or (k == "thread" and _NativeTicker is not None)
            or (k == "posix-timer" and posix_timer.available())]


class EpochTicker:
    def __init__(self, engine, tick_ms: float = 1.0, *, kind: str | None = None) -> None:
        """``kind``: one of KINDS, or None for the best one here (``available_kinds``)."""
        if tick_ms <= 0:
            raise ValueError("tick_ms must be positive")
        if kind is not None and kind not in available_kinds():
            raise ValueError(f"no {kind!r} ticker here (available: {', '.join(available_kinds())})")
        self.tick_ns = int(tick_ms * 1_000_000)
        self.until = 0  # perf_counter ns (CLOCK_MONOTONIC); the hot path reads it without the lock
        # How many times the engine's epoch was advanced (``clock.epoch``). A store whose
        # deadline was set while it had the same value still has its whole budget, so the
        # hot path can skip setting it again (see abi/core.py). ``counted`` False: unknown.
        self.epoch = 0
        self._last_ns: int | None = None  # the time ``epoch`` stands for (the Python thread's); None: idle
        self.clock: object = self
        self._engine = engine  # keep the engine alive as long as we tick it
        self._eptr = engine_ptr(engine.wasmtime)
        self._cond = threading.Condition()
        self._stopped = False
        self._timer: posix_timer.PeriodicTimer | None = None
        self._native: _ticker.Ticker | None = None
        self._thread: threading.Thread | None = None
        increment = cast(engine_increment_epoch, c_void_p).value or 0
        for k in [kind] if kind is not None else available_kinds():
            if k == "thread" and _NativeTicker is not None:
                self._native = self.clock = _NativeTicker(increment, self._eptr.value or 0, self.tick_ns, engine)
                _native_live.add(self)
                break
            if k == "posix-timer":
                try:
                    self._timer = posix_timer.PeriodicTimer(increment, self._eptr.value or 0, self.tick_ns)
                    break
                except OSError:
                    if kind is not None:
                        raise
        self.kind = "thread" if self._native is not None else "posix-timer" if self._timer is not None else "python"
        self.counted = self._timer is None  # whether ``clock.epoch`` counts every tick the engine saw
        if self._native is not None:
            self.due = self._native.due  # type: ignore[method-assign]  # (the C clock's own, without a Python frame)
        if self._native is None:
            self._thread = threading.Thread(target=self._run if self._timer is None else self._run_native,
                                            name="wasmhost-epoch", daemon=True)
            self._thread.start()

    def ticks_for(self, timeout_ms: float) -> int:
        """Ticks for a timeout: rounded up, plus one for the tick already under way
        (and for a deadline set against an ``epoch`` reading one tick stale)."""
        return -(-int(timeout_ms * 1_000_000) // self.tick_ns) + 1

    def due(self) -> int:
        """Periods gone by that the ticker has yet to add to the epoch (it woke up
        late): a deadline set now adds them. 0 for a POSIX timer (not counted)."""
        last = self._last_ns
        return 0 if last is None else max(0, (time.perf_counter_ns() - last) // self.tick_ns)

    def extend(self, deadline_ns: int) -> None:
        """Keep ticking until ``deadline_ns`` (perf_counter). Called at most about once per
        second under steady load: it extends one second past what was asked."""
        if self._native is not None:
            if deadline_ns > self.until:
                self.until = deadline_ns + 1_000_000_000
                self._native.extend(self.until)  # (the thread keeps the later of two racing calls)
            return
        with self._cond:
            if deadline_ns > self.until:
                self.until = deadline_ns + 1_000_000_000
                self._cond.notify()

    def close(self) -> None:
        if self._native is not None:
            self._native.close()  # joins the thread: nothing ticks the engine after this
            _native_live.discard(self)
            return
        with self._cond:
            self._stopped = True
            self._cond.notify()
        assert self._thread is not None
        self._thread.join(timeout=2)
        if self._timer is not None:
            self._timer.delete()
            now = time.monotonic()
            _retired[:] = [r for r in _retired if now - r[0] < posix_timer.RETIRE_S][-(RETIRED_MAX - 1):] + [
                (now, self._engine)]

    def _run_native(self) -> None:
        """Start the POSIX timer while an invocation may be inside its deadline, stop it after."""
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
            last = self._last_ns = time.perf_counter_ns()
            while not self._stopped:
                time.sleep(max(0, last + tick - time.perf_counter_ns()) / 1e9)
                now = time.perf_counter_ns()
                n = (now - last) // tick  # every period gone by (see the module's docstring)
                if n > 0:
                    self.epoch += n  # first: a reader may then be early, never late
                    for _ in range(n):
                        inc(eptr)
                    last = self._last_ns = last + n * tick
                if now >= self.until:
                    break
            self._last_ns = None


def _after_fork_in_child() -> None:
    """A forked child has none of its parent's threads: start the native ones again
    (a POSIX timer is not inherited either: the child of a fork gets no ticks from it,
    as before; wasmhost's workers are spawned, not forked)."""
    for ticker in list(_native_live):
        ticker._native.after_fork()  # type: ignore[union-attr]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
