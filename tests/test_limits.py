"""Every limit stops its guest with its own error, discards the instance, and
leaves every other invocation untouched."""

import time

import pytest

from guestlib import guest
from wasmhost import (FuelExhausted, FunctionConfig, GuestTrap, InvalidResult, InvocationError,
                      InvocationTimeout, MemoryLimitExceeded, WasmhostError)

N = lambda n: n.to_bytes(4, "little")  # noqa: E731


def test_timeout_stops_a_spinning_guest_near_its_deadline(host):
    # practically unlimited fuel: only the wall clock can stop it
    host.deploy("spin", guest("spin"), FunctionConfig(timeout_ms=100, fuel=2**62))
    t0 = time.perf_counter()
    with pytest.raises(InvocationTimeout) as e:
        host.invoke("spin", b"")
    elapsed = time.perf_counter() - t0
    assert 0.095 < elapsed < 0.6, elapsed
    err = e.value
    assert isinstance(err, InvocationError) and isinstance(err, WasmhostError)
    assert err.to_lambda() == {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 0.10 seconds"}
    r = err.report
    assert r.status == "timeout" and r.fuel_used is None  # fuel is not flushed on interrupt
    assert 95 <= r.duration_ms < 600
    assert "Status: timeout" in r.line()
    assert host.function("spin").warm == 0  # the interrupted instance was discarded


def test_fuel_is_deterministic_and_exhaustion_is_typed(host):
    host.deploy("burn", guest("burn"), FunctionConfig(fuel=200_000))
    a = host.invoke("burn", N(1000)).report.fuel_used
    b = host.invoke("burn", N(1000)).report.fuel_used
    c = host.invoke("burn", N(2000)).report.fuel_used
    assert a == b and c > a
    assert host.invoke("burn", N(1000)).payload == N(sum(range(1001)))
    with pytest.raises(FuelExhausted) as e:
        host.invoke("burn", N(10_000_000))
    assert e.value.report.fuel_used == 200_000 and e.value.report.status == "fuel"
    assert e.value.error_type == "Sandbox.FuelExhausted"
    # the next invocation gets a fresh instance and its full budget again
    assert host.invoke("burn", N(1000)).report.fuel_used == a


def test_memory_cap(host):
    host.deploy("oom", guest("oom"), FunctionConfig(memory_mb=2))
    with pytest.raises(MemoryLimitExceeded) as e:
        host.invoke("oom", b"")
    assert e.value.report.max_memory_mb == 2 and e.value.report.status == "oom"
    assert e.value.error_type == "Runtime.OutOfMemory"


def test_event_larger_than_memory_cap(host):
    host.deploy("echo", guest("echo"), FunctionConfig(memory_mb=1))
    with pytest.raises(MemoryLimitExceeded):
        host.invoke("echo", b"x" * (2 << 20))
    assert host.invoke("echo", b"small").payload == b"small"


def test_trap_and_garbage_results(host):
    host.deploy("trap", guest("trap"))
    host.deploy("bad", guest("badresult"))
    with pytest.raises(GuestTrap, match="unreachable") as e:
        host.invoke("trap", b"")
    assert e.value.report.status == "trap" and e.value.error_type == "Runtime.Trap"
    with pytest.raises(InvalidResult, match="outside linear memory"):
        host.invoke("bad", b"")


def test_failures_never_harm_other_functions(host):
    host.deploy("echo", guest("echo"), FunctionConfig(min_warm=1))
    host.deploy("counter", guest("counter"))
    host.deploy("trap", guest("trap"))
    host.deploy("spin", guest("spin"), FunctionConfig(timeout_ms=20))
    host.deploy("oom", guest("oom"), FunctionConfig(memory_mb=2))
    assert host.invoke("counter", b"").payload == N(1)
    for name in ("trap", "spin", "oom"):
        with pytest.raises(InvocationError):
            host.invoke(name, b"")
        assert host.invoke("echo", name.encode()).payload == name.encode()
    # the counter's warm instance kept its state through all of it
    assert host.invoke("counter", b"").payload == N(2)


def test_init_failure_is_reported_as_a_cold_start_failure(host):
    host.deploy("inittrap", b"""(module (memory (export "memory") 1)
        (func (export "wasmhost_init") unreachable)
        (func (export "wasmhost_alloc") (param i32) (result i32) i32.const 0)
        (func (export "wasmhost_handle") (param i32 i32) (result i64) i64.const 0))""")
    with pytest.raises(GuestTrap, match="wasmhost_init") as e:
        host.invoke("inittrap", b"")
    assert host.function("inittrap").warm == 0 and host.function("inittrap").busy == 0
    assert e.value.report.status == "trap"


def test_init_is_bounded_by_the_timeout_not_by_the_fuel_budget(host):
    """A runtime's start-up (wasmhost_init) may cost more than a small per-invocation
    budget; it runs, and each invocation still gets exactly its budget."""
    host.deploy("heavyinit", b"""(module (memory (export "memory") 1)
        (global $g (mut i32) (i32.const 0))
        (func (export "wasmhost_init") (local $i i32)
            (local.set $i (i32.const 1000000))
            (loop $l (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br_if $l (local.get $i))))
        (func (export "wasmhost_alloc") (param i32) (result i32) i32.const 0)
        (func (export "wasmhost_handle") (param i32 i32) (result i64) i64.const 0))""",
                FunctionConfig(fuel=10_000))
    res = host.invoke("heavyinit", b"")
    assert res.report.cold and res.report.fuel_used < 10_000
