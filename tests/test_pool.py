"""Warm pools: pre-warming, reuse, growth to max_concurrency, throttling, idle
reaping, strict isolation, and discarding failed instances."""

import threading
import time

import pytest

from guestlib import guest
from wasmhost import FunctionConfig, Host, InvocationTimeout, Throttled

N = lambda n: n.to_bytes(4, "little")  # noqa: E731


def test_min_warm_instances_exist_before_the_first_request(host):
    host.deploy("init", guest("init"), FunctionConfig(min_warm=3))
    assert host.function("init").warm == 3
    res = host.invoke("init", b"")
    assert res.payload == bytes([42, 1])  # init ran exactly once in that instance
    assert not res.report.cold and res.report.init_ms is None  # provisioned: no cold start


def test_warm_reuse_keeps_module_state(host):
    host.deploy("counter", guest("counter"))
    assert [host.invoke("counter", b"").payload for _ in range(3)] == [N(1), N(2), N(3)]
    assert host.function("counter").warm == 1


def test_strict_isolation_gives_a_fresh_instance_each_time(host):
    host.deploy("counter", guest("counter"), FunctionConfig(isolation="strict"))
    results = [host.invoke("counter", b"") for _ in range(3)]
    assert [r.payload for r in results] == [N(1)] * 3  # no state ever carries over
    # the first had to instantiate; each later one found a fresh instance made ready
    # when the previous invocation finished
    assert [r.report.cold for r in results] == [True, False, False]
    assert host.function("counter").warm == 1 and host.function("counter").busy == 0


def test_strict_renewals_reach_host_imports_and_hold_no_handles(host):
    """Every renewed instance's host imports find their sandbox (the store's data names
    it), and renewing takes no new handle in wasmtime-py's table (one per sandbox)."""
    from wasmtime import _value
    host.deploy("log", guest("log_event"), FunctionConfig(isolation="strict"))
    host.invoke("log", b"warm")
    before = len(_value.SLAB.handles)
    for i in range(20):
        assert host.invoke("log", f"line {i}".encode()).logs == f"line {i}\n"
    assert len(_value.SLAB.handles) == before
    host.remove("log")
    assert len(_value.SLAB.handles) < before  # the sandbox gave its handle back


def test_strict_min_warm_and_init_per_instance(host):
    host.deploy("init", guest("init"), FunctionConfig(isolation="strict", min_warm=2))
    assert host.function("init").warm == 2
    for _ in range(4):
        res = host.invoke("init", b"")
        assert res.payload == bytes([42, 1]) and not res.report.cold  # init ran once, in a new instance
    assert host.function("init").warm == 2


def test_grows_on_demand_and_throttles_past_max_concurrency(host):
    host.deploy("spin", guest("spin"), FunctionConfig(timeout_ms=300, max_concurrency=2))
    results = []

    def run():
        try:
            host.invoke("spin", b"")
        except Exception as e:
            results.append(type(e))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.1)
    assert host.function("spin").busy == 2
    with pytest.raises(Throttled) as e:
        host.invoke("spin", b"")
    assert e.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    for t in threads:
        t.join()
    assert results == [InvocationTimeout, InvocationTimeout]
    # failed instances were discarded, so the slots are free again
    assert host.function("spin").busy == 0 and host.function("spin").warm == 0


def test_idle_instances_are_reaped_down_to_min_warm(tmp_path):
    with Host(tmp_path, flush_interval_s=0.05) as h:
        h.deploy("echo", guest("echo"), FunctionConfig(min_warm=1, idle_ttl_s=0.2, max_concurrency=4))
        fn = h._functions["echo"]
        extra = [fn.pool.grow()[0] for _ in range(2)]
        for sb in extra:
            fn.pool.release(sb, time.perf_counter_ns())
        assert h.function("echo").warm == 3
        deadline = time.time() + 5
        while h.function("echo").warm > 1 and time.time() < deadline:
            time.sleep(0.05)
        assert h.function("echo").warm == 1  # min_warm survives the TTL
        assert h.invoke("echo", b"x").payload == b"x"


def test_scale_to_zero(tmp_path):
    with Host(tmp_path, flush_interval_s=0.05) as h:
        h.deploy("echo", guest("echo"), FunctionConfig(idle_ttl_s=0.1))
        h.invoke("echo", b"x")
        assert h.function("echo").warm == 1
        deadline = time.time() + 5
        while h.function("echo").warm and time.time() < deadline:
            time.sleep(0.05)
        assert h.function("echo").warm == 0
        assert h.invoke("echo", b"y").report.cold


def test_replacing_a_function_lets_in_flight_invocations_finish(host):
    host.deploy("f", guest("spin"), FunctionConfig(timeout_ms=200))
    out = []
    t = threading.Thread(target=lambda: out.append(pytest.raises(InvocationTimeout, host.invoke, "f", b"")))
    t.start()
    time.sleep(0.05)
    host.deploy("f", guest("echo"))
    assert host.invoke("f", b"new").payload == b"new"
    t.join()
    assert out


def test_a_full_engine_evicts_the_least_recently_used_idle_instance(tmp_path):
    """The pooling allocator's slots are the process's: with every slot held by an idle
    instance of some function, a new function (or a cold start) evicts the oldest idle
    one instead of failing; provisioned instances (min_warm) are never evicted, and
    with nothing idle left the answer is Lambda's throttle, not an internal error."""
    from wasmhost import EngineSettings
    h = Host(tmp_path, engine=EngineSettings(allocator="pooling", pool_slots=3))
    try:
        for i in range(6):
            h.deploy(f"f{i}", guest("echo"), FunctionConfig())
            assert h.invoke(f"f{i}", b'"x"').payload == b'"x"'
        assert h.invoke("f0", b'"again"').payload == b'"again"'  # evicted earlier, started again
        for i in range(3):
            h.deploy(f"p{i}", guest("echo"), FunctionConfig(min_warm=1))  # provisioned: all three slots
        with pytest.raises(Throttled, match="no free instance slot"):
            h.invoke("f1", b'"x"')
    finally:
        h.close()
