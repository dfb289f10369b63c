"""The epoch ticker: from a POSIX timer (C calls, no GIL) where there is one, else
a Python thread; either way a spinning guest stops at its deadline, the ticks stop
when nothing is running, and closing leaves nothing ticking."""

import time

import pytest
import wasmtime

from wasmhost.engine import Engine, EpochTicker, posix_timer

SPIN = '(module (func (export "spin") (loop br 0)))'


def _spin_for(engine: Engine, ticks: int) -> float:
    store = wasmtime.Store(engine.wasmtime)
    store.set_fuel(2**62)  # the engine meters fuel: only the epoch may stop this one
    store.set_epoch_deadline(ticks)
    spin = wasmtime.Instance(store, wasmtime.Module(engine.wasmtime, SPIN), []).exports(store)["spin"]
    t0 = time.perf_counter()
    with pytest.raises(wasmtime.Trap, match="interrupt"):
        spin(store)
    return time.perf_counter() - t0


@pytest.mark.parametrize("native", [True, False], ids=["posix-timer", "python-thread"])
def test_a_spinning_guest_stops_at_its_deadline(native):
    if native and not posix_timer.available():
        pytest.skip("no POSIX timers on this platform (the ticker is a Python thread there)")
    engine = Engine()
    ticker = EpochTicker(engine, tick_ms=1.0, native=native)
    try:
        assert ticker.counted is not native  # native ticks are not counted in Python
        ticker.extend(time.perf_counter_ns() + 5_000_000_000)
        took = _spin_for(engine, 50)
        assert 0.045 <= took < 2.0, took  # 50 ticks of 1 ms (a loaded machine may stretch it, never shorten it)
    finally:
        ticker.close()


def test_ticks_stop_when_no_run_can_be_inside_its_deadline():
    """An idle host does not tick: a deadline of one tick is never reached."""
    engine = Engine()
    ticker = EpochTicker(engine, tick_ms=1.0)
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
    if not posix_timer.available():
        pytest.skip("no POSIX timers on this platform")
    before = len(posix_timer._LIVE)
    ticker = EpochTicker(Engine(), tick_ms=1.0)
    ticker.extend(time.perf_counter_ns() + 1_000_000_000)
    assert len(posix_timer._LIVE) == before + 1
    ticker.close()
    assert len(posix_timer._LIVE) == before
