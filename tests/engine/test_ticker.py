"""The epoch ticker: a native thread (the _ticker extension), a POSIX timer (C calls,
no GIL) or a Python thread, the best the platform has; whichever, a spinning guest
stops at its deadline, the ticks stop when nothing is running, and closing leaves
nothing ticking."""

import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
import wasmtime

from wasmhost.engine import Engine, EpochTicker, posix_timer
from wasmhost.engine.ticker import KINDS, available_kinds

SPIN = '(module (func (export "spin") (loop br 0)))'


def _spin_for(engine: Engine, ticks: int, module: wasmtime.Module | None = None) -> float:
    store = wasmtime.Store(engine.wasmtime)
    store.set_fuel(2**62)  # the engine meters fuel: only the epoch may stop this one
    module = module or wasmtime.Module(engine.wasmtime, SPIN)
    spin = wasmtime.Instance(store, module, []).exports(store)["spin"]
    store.set_epoch_deadline(ticks)  # after the compile: the ticks count from here
    t0 = time.perf_counter()
    with pytest.raises(wasmtime.Trap, match="interrupt"):
        spin(store)
    return time.perf_counter() - t0


def _needs(kind: str) -> None:
    if kind not in available_kinds():
        pytest.skip({"thread": "the _ticker C extension was not built (setup.py builds it where there is a C "
                               "compiler: scripts/setup's pip install -e does)",
                     "posix-timer": "no POSIX timers on this platform"}[kind])


@pytest.mark.parametrize("kind", KINDS)
def test_a_spinning_guest_stops_at_its_deadline(kind):
    _needs(kind)
    engine = Engine()
    ticker = EpochTicker(engine, tick_ms=1.0, kind=kind)
    try:
        assert ticker.kind == kind
        assert ticker.counted is (kind != "posix-timer")  # a POSIX timer's ticks are not counted
        ticker.extend(time.perf_counter_ns() + 5_000_000_000)
        e0 = ticker.clock.epoch
        took = _spin_for(engine, 50)
        assert 0.045 <= took < 2.0, took  # 50 ticks of 1 ms (a loaded machine may stretch it, never shorten it)
        if ticker.counted:
            assert ticker.clock.epoch - e0 >= 49  # every tick the guest saw was counted
    finally:
        ticker.close()


def test_the_best_ticker_here_is_the_native_thread_on_linux():
    """CI builds the extension (scripts/setup): a missing C ticker would silently cost
    ~7 µs of CPU a request (a thread per POSIX-timer tick), so say so here."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the C ticker is built on Linux only")
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler here to build wasmhost/engine/_ticker.c (CI has gcc)")
    assert available_kinds()[0] == "thread", "wasmhost/engine/_ticker.c was not built: run scripts/setup (pip install -e .)"
    before = _epoch_threads()
    ticker = EpochTicker(Engine(), tick_ms=1.0)
    try:
        assert ticker.kind == "thread" and ticker.counted
        t0 = time.perf_counter()
        ticker.extend(time.perf_counter_ns())  # ticks for 1 s
        time.sleep(0.2)
        assert _epoch_threads() == before + 1  # one thread, no thread per tick
        assert 1 <= ticker.clock.epoch <= (time.perf_counter() - t0) * 1000 + 1  # never a burst
    finally:
        ticker.close()
    assert not ticker.clock.running and _epoch_threads() == before


def _epoch_threads() -> int:
    """This process's native ticker threads (named by _ticker.c)."""
    n = 0
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        try:
            with open(f"/proc/{os.getpid()}/task/{task}/comm") as f:
                n += f.read().strip() == "wasmhost-epoch"
        except OSError:  # a thread that just ended
            pass
    return n


FORKED = """
import os, signal, time, wasmtime
from wasmhost.engine import Engine, EpochTicker
SPIN = '(module (func (export "spin") (loop br 0)))'
engine = Engine()
module = wasmtime.Module(engine.wasmtime, SPIN)  # compiled here: the compiler's threads do not survive a fork
ticker = EpochTicker(engine, tick_ms=1.0, kind="thread")
ticker.extend(time.perf_counter_ns())
pid = os.fork()
if pid == 0:  # the child: a deadline of 20 ticks stops a spinning guest
    signal.alarm(20)  # else SIGALRM ends it: a child whose ticker is gone would spin forever
    ticker.extend(time.perf_counter_ns() + 5_000_000_000)
    store = wasmtime.Store(engine.wasmtime)
    store.set_fuel(2**62)
    spin = wasmtime.Instance(store, module, []).exports(store)["spin"]
    store.set_epoch_deadline(20)
    t0 = time.perf_counter()
    try:
        spin(store)
    except wasmtime.Trap:
        os._exit(0 if time.perf_counter() - t0 >= 0.015 else 3)
    os._exit(2)
_, status = os.waitpid(pid, 0)
ticker.close()
print("child", os.waitstatus_to_exitcode(status))
"""


def test_the_native_ticker_ticks_again_in_a_forked_child():
    """Only the forking thread survives a fork: the child starts its ticker's thread again.
    (In a fresh interpreter: forking pytest's own threads could leave a lock held.)"""
    _needs("thread")
    out = subprocess.run([sys.executable, "-c", FORKED], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "child 0" in out.stdout, (out.stdout, out.stderr)


@pytest.mark.parametrize("kind", KINDS)
def test_ticks_stop_when_no_run_can_be_inside_its_deadline(kind):
    """An idle host does not tick: a deadline of one tick is never reached."""
    _needs(kind)
    engine = Engine()
    ticker = EpochTicker(engine, tick_ms=1.0, kind=kind)
    try:
        ticker.extend(time.perf_counter_ns() + 20_000_000)  # ticks for 1.02 s, then stops
        time.sleep(1.2)
        store = wasmtime.Store(engine.wasmtime)
        store.set_fuel(2**62)
        store.set_epoch_deadline(1)
        count = wasmtime.Instance(store, wasmtime.Module(engine.wasmtime, """(module (func (export "count")
            (param i32) (result i32) (local i32) (loop (local.set 1 (i32.add (local.get 1) (i32.const 1)))
            (br_if 0 (i32.lt_u (local.get 1) (local.get 0)))) (local.get 1)))"""), []).exports(store)["count"]
        t0 = time.perf_counter()
        assert count(store, 200_000_000) == 200_000_000  # runs ~0.1 s, many ticks' worth, uninterrupted
        assert time.perf_counter() - t0 > 0.003  # (long enough that a running ticker would have stopped it)
    finally:
        ticker.close()


def test_closed_ticker_leaves_no_timer_behind():
    _needs("posix-timer")
    before = len(posix_timer._LIVE)
    ticker = EpochTicker(Engine(), tick_ms=1.0, kind="posix-timer")
    ticker.extend(time.perf_counter_ns() + 1_000_000_000)
    assert len(posix_timer._LIVE) == before + 1
    ticker.close()
    assert len(posix_timer._LIVE) == before


def test_closed_native_ticker_leaves_no_thread_behind():
    _needs("thread")
    before = threading.active_count(), _epoch_threads()
    ticker = EpochTicker(Engine(), tick_ms=1.0, kind="thread")
    ticker.extend(time.perf_counter_ns() + 1_000_000_000)
    assert _epoch_threads() == before[1] + 1  # one native thread, no Python one
    assert threading.active_count() == before[0]
    ticker.close()
    assert _epoch_threads() == before[1]
    epoch = ticker.clock.epoch
    time.sleep(0.05)
    assert ticker.clock.epoch == epoch


def _frozen(seconds: float) -> None:
    """This whole process stopped for ``seconds`` by another (SIGSTOP, then SIGCONT):
    CPU starvation at its worst, every thread of ours (the ticker's too) off the CPU."""
    pid = os.getpid()
    subprocess.run(["sh", "-c", f"kill -STOP {pid}; sleep {seconds}; kill -CONT {pid}"], check=True)


@pytest.mark.parametrize("kind", ["thread", "python"])
def test_a_late_ticker_adds_every_period_that_went_by(kind):
    """Two cores under a load of 30 woke the ticker tens of milliseconds late, and a 2 s
    timeout took over 100 s when a wake-up counted one tick. Now the epoch, with the
    periods due to a deadline set now (``due``), keeps up with the wall clock however
    late the thread runs, and a spinning guest stops at its wall-clock deadline."""
    _needs(kind)
    engine = Engine()
    ticker = EpochTicker(engine, tick_ms=1.0, kind=kind)
    try:
        ticker.extend(time.perf_counter_ns() + 30_000_000_000)
        time.sleep(0.05)
        t0, e0 = time.perf_counter_ns(), ticker.clock.epoch + ticker.due()
        _frozen(0.4)
        t1, e1 = time.perf_counter_ns(), ticker.clock.epoch + ticker.due()
        assert e1 - e0 >= (t1 - t0) // 1_000_000 - 2, (e1 - e0, (t1 - t0) / 1e6)  # ms periods, all counted
        assert ticker.clock.epoch + ticker.due() <= e1 + (time.perf_counter_ns() - t1) // 1_000_000 + 2  # never ahead

        freeze = threading.Timer(0.1, _frozen, (0.8,))
        freeze.start()
        took = _spin_for(engine, 1000)  # 1 s, with a freeze of 0.8 s inside it
        freeze.join()
        assert 0.99 <= took < 1.4, took  # a tick a wake-up: 1.8 s and more
    finally:
        ticker.close()
