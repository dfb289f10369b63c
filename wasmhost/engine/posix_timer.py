"""A periodic POSIX timer that calls a C function in a thread of its own, never
Python: ``timer_create`` with ``SIGEV_THREAD`` (glibc, musl), bound with ctypes.

Why: the epoch ticker advances the engine's epoch a thousand times a second while
invocations run. As a Python thread, each tick has to take the GIL from the event
loop's thread, which gives it up at every guest call: under load the two hand it
back and forth several times a tick (futex calls and context switches on both),
measured at ~25 µs of CPU per request in a ``serve`` worker at 10k requests/s,
a fifth of its whole cost. Called from C, the tick needs no GIL at all. glibc runs
each expiry in a new thread (~50 µs of CPU a tick on this machine, ~5 % of a core
while ticking) — still far cheaper than the hand-offs, and the same whatever the
load. Where there is no ``timer_create`` (macOS) ``available()`` says so and the
ticker stays a Python thread.

The function is called as ``fn(arg)`` with ``arg`` a pointer (a ``union sigval``
is passed as one: x86-64 and AArch64 alike). Whatever ``arg`` points to must
outlive the last call: ``delete`` stops new expiries, but one already under way
may still run for a moment (``RETIRE_S``).
"""

from __future__ import annotations

import atexit
import ctypes
import sys
import time

CLOCK_MONOTONIC = 1
SIGEV_THREAD = 2
RETIRE_S = 1.0  # how long after ``delete`` what ``arg`` points to must still live


class _SigEvent(ctypes.Structure):  # Linux's struct sigevent, 64 bytes on 64-bit platforms
    _fields_ = [("value", ctypes.c_void_p), ("signo", ctypes.c_int), ("notify", ctypes.c_int),
                ("function", ctypes.c_void_p), ("attributes", ctypes.c_void_p), ("pad", ctypes.c_int * 8)]


class _TimeSpec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]


class _ITimerSpec(ctypes.Structure):
    _fields_ = [("interval", _TimeSpec), ("value", _TimeSpec)]


def _libc():
    if not sys.platform.startswith("linux") or ctypes.sizeof(ctypes.c_void_p) != 8:
        return None
    for name in (None, "librt.so.1"):  # glibc before 2.34 keeps timers in librt
        try:
            lib = ctypes.PyDLL(name, use_errno=True)  # each call returns at once: no GIL hand-off
            lib.timer_create, lib.timer_settime, lib.timer_delete  # noqa: B018 (present or AttributeError)
            return lib
        except (OSError, AttributeError):
            continue
    return None


_LIB = _libc()


def available() -> bool:
    return _LIB is not None


class PeriodicTimer:
    """``fn(arg)`` every ``period_ns`` while started, each call in a thread that is not Python's."""

    def __init__(self, fn: int, arg: int, period_ns: int) -> None:
        if _LIB is None:
            raise OSError("no POSIX timers here")
        self._event = _SigEvent(value=arg, notify=SIGEV_THREAD, function=fn)
        self._id = ctypes.c_void_p()
        if _LIB.timer_create(CLOCK_MONOTONIC, ctypes.byref(self._event), ctypes.byref(self._id)) != 0:
            raise OSError(ctypes.get_errno(), "timer_create failed")
        every = _TimeSpec(period_ns // 1_000_000_000, period_ns % 1_000_000_000)
        self._on = _ITimerSpec(every, every)
        self._off = _ITimerSpec()
        _LIVE.add(self)

    def start(self) -> None:
        _LIB.timer_settime(self._id, 0, ctypes.byref(self._on), None)

    def stop(self) -> None:
        _LIB.timer_settime(self._id, 0, ctypes.byref(self._off), None)

    def delete(self) -> None:
        if self._id is not None:
            _LIB.timer_delete(self._id)
            self._id = None  # type: ignore[assignment]
        _LIVE.discard(self)


_LIVE: set[PeriodicTimer] = set()


@atexit.register
def _delete_all() -> None:
    """Before the interpreter frees what the timers point to (an engine)."""
    if _LIVE:
        for timer in list(_LIVE):
            timer.delete()
        time.sleep(0.005)  # an expiry already under way finishes
