"""A core guest's warm call: the one-C-call path (engine/_warmcall.c) and the ctypes
fallback (abi/core.make_ctypes_invoke) give the same answers, fuel counts and errors,
with the same limits, on every outcome a guest can produce."""

import time

import pytest

from guestlib import guest
from wasmhost import FunctionConfig, GuestTrap, Host, InvalidResult, InvocationTimeout, MemoryLimitExceeded
from wasmhost.abi import core

N = lambda n: n.to_bytes(4, "little")  # noqa: E731


def mod(alloc: str, handle: str, pages: int = 1) -> bytes:
    return (f'(module (memory (export "memory") {pages}) '
            f'(func (export "wasmhost_alloc") (param $n i32) (result i32) {alloc}) '
            f'(func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64) {handle}))').encode()


@pytest.fixture(params=["c", "ctypes"])
def path(request, monkeypatch):
    if request.param == "c":
        if core._WarmCall is None:
            pytest.skip("the _warmcall C extension is not built here (pip install -e . builds it; CI does)")
    else:
        monkeypatch.setattr(core, "_WarmCall", None)
    return request.param


@pytest.fixture
def h(tmp_path, path):
    host = Host(tmp_path / "data", inline_budget_ms=1000)
    yield host
    host.close()


def sandbox_invoke(host: Host, name: str):
    fn = host._functions[name]
    return fn.pool.free[-1].invoke


def test_the_path_in_use_is_the_one_asked_for(h, path):
    h.deploy("echo", guest("echo"), FunctionConfig(min_warm=1))
    kind = type(sandbox_invoke(h, "echo")).__name__
    assert kind == ("builtin_function_or_method" if path == "c" else "function")


@pytest.mark.parametrize("payload", [b"", b"x", b"\x00" * 1000, bytes(range(256)) * 300])
def test_echo_and_its_metering(h, payload):
    h.deploy("echo", guest("echo"))
    for _ in range(3):  # the first run is cold; the rest warm
        res = h.invoke("echo", payload)
        assert res.payload == payload
    assert res.report.fuel_used > 0 and res.report.max_memory_mb >= 1 and not res.report.cold


def test_both_paths_count_the_same_fuel(tmp_path, monkeypatch):
    if core._WarmCall is None:
        pytest.skip("the _warmcall C extension is not built here (pip install -e . builds it; CI does)")
    used = []
    for c in (True, False):
        if not c:
            monkeypatch.setattr(core, "_WarmCall", None)
        host = Host(tmp_path / f"data{c}")
        try:
            host.deploy("burn", guest("burn"), FunctionConfig(fuel=10_000_000))
            host.invoke("burn", N(10))
            used.append([host.invoke("burn", N(n)).report.fuel_used for n in (1, 1000, 1000, 50_000)])
        finally:
            host.close()
    assert used[0] == used[1] and used[0][1] == used[0][2] < used[0][3]


def test_state_survives_warm_calls_and_strict_isolation_renews_it(h):
    h.deploy("warm", guest("counter"))
    h.deploy("strict", guest("counter"), FunctionConfig(isolation="strict"))
    assert [h.invoke("warm", b"").payload for _ in range(3)] == [N(1), N(2), N(3)]
    assert [h.invoke("strict", b"").payload for _ in range(3)] == [N(1)] * 3  # a fresh store in the same buffers


def test_a_trap_in_either_export_is_typed_and_the_instance_replaced(h):
    h.deploy("in_alloc", mod("unreachable", "i64.const 0"))
    h.deploy("in_handle", mod("i32.const 1024", "unreachable"))
    for name, where in (("in_alloc", "wasmhost_alloc"), ("in_handle", "wasmhost_handle")):
        for _ in range(2):  # a cold instance, then another after the first was discarded
            with pytest.raises(GuestTrap, match=f"{where} trapped: .*unreachable") as e:
                h.invoke(name, b"abc")
            assert e.value.report.status == "trap"
        assert h.function(name).warm == 0


def test_unusable_buffers_from_alloc(h):
    h.deploy("null", mod("i32.const 0", "i64.const 0"))
    h.deploy("past_end", mod("i32.const 65000", "i64.const 0"))
    h.deploy("huge", mod("i32.const 1024", "i64.const 0"), FunctionConfig(memory_mb=1))
    with pytest.raises(InvalidResult, match=r"wasmhost_alloc\(3\) returned an unusable buffer \(ptr 0"):
        h.invoke("null", b"abc")
    assert h.invoke("null", b"").payload == b""  # nothing to copy: a null buffer is fine
    with pytest.raises(InvalidResult, match=r"unusable buffer \(ptr 65000, memory 65536 bytes\)"):
        h.invoke("past_end", b"x" * 1000)
    with pytest.raises(MemoryLimitExceeded, match="at the memory limit"):
        h.invoke("huge", b"x" * (2 << 20))


def test_a_result_outside_memory(h):
    h.deploy("bad", guest("badresult"))
    with pytest.raises(InvalidResult, match=r"outside linear memory \(ptr 2147418112, len 256, memory 65536"):
        h.invoke("bad", b"")
    h.deploy("edge", mod("i32.const 1024", "i64.const 0xFFFF00000001"))  # ptr 65535, len 1: the last byte
    assert h.invoke("edge", b"").payload == b"\x00"


def test_a_result_in_memory_grown_by_the_call(h):
    # the handler grows memory by a page and answers from the new page
    h.deploy("grow", mod("i32.const 1024", "(drop (memory.grow (i32.const 1))) "
                         "(i32.store8 (i32.const 70000) (i32.const 55)) (i64.const 0x1117000000001)"))
    assert h.invoke("grow", b"").payload == b"\x37"


def test_each_run_gets_its_whole_timeout_however_long_since_the_last(h):
    # the deadline is set again only after a tick (abi/core.py): after 1.5 s of ticks, well past
    # the 300 ms timeout, a run must still get its full time, not trap on an old deadline
    h.deploy("burn", guest("burn"), FunctionConfig(timeout_ms=300, fuel=2**40))
    h.invoke("burn", N(10))
    h.invoke("burn", N(10))
    time.sleep(1.5)
    assert h.invoke("burn", N(1000)).payload == N(sum(range(1001)))
    assert h.invoke("burn", N(1000)).report.status == "ok"


def test_a_speculative_budget_stops_a_spinning_run(h):
    h.deploy("spin", guest("spin"), FunctionConfig(timeout_ms=5000, fuel=2**62, min_warm=1))
    invoke = sandbox_invoke(h, "spin")
    h.ticker.extend(time.perf_counter_ns() + 10**10)  # ticking, as an invocation through the host would have it
    t0 = time.perf_counter()
    with pytest.raises(InvocationTimeout):
        invoke(b"", 3)  # three ticks, not five seconds
    assert time.perf_counter() - t0 < 2.0
