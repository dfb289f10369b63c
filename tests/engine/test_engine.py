"""Engine settings and the pooling-allocator fallback."""

import pytest

from guestlib import guest
from wasmhost import EngineSettings, FunctionConfig, Host, Throttled
from wasmhost.engine.engine import Engine, _pool_fits


def test_auto_allocator_and_ondemand_both_run_guests(tmp_path):
    for alloc in ("auto", "ondemand"):
        with Host(tmp_path / alloc, engine=EngineSettings(allocator=alloc)) as h:
            assert h.engine.pooling == (alloc == "auto" and _pool_fits(1000))
            h.deploy("c", guest("counter"), FunctionConfig(isolation="strict"))
            assert h.invoke("c", b"").payload == (1).to_bytes(4, "little")


def test_pool_too_large_for_the_address_space_falls_back_instead_of_aborting():
    # 100k slots of 4 GiB would need 400 TiB: Wasmtime would abort the process
    assert not _pool_fits(100_000)
    e = Engine(EngineSettings(allocator="auto", pool_slots=100_000))
    assert not e.pooling
    with pytest.raises(RuntimeError, match="address space"):
        Engine(EngineSettings(allocator="pooling", pool_slots=100_000))


def test_bad_settings():
    with pytest.raises(ValueError):
        EngineSettings(allocator="magic")
    with pytest.raises(ValueError):
        EngineSettings(pool_slots=0)


def test_exhausted_instance_slots_throttle_instead_of_crashing(tmp_path):
    with Host(tmp_path, engine=EngineSettings(allocator="pooling", pool_slots=2)) as h:
        h.deploy("a", guest("echo"), FunctionConfig(min_warm=2))
        h.deploy("b", guest("echo"))
        with pytest.raises(Throttled, match="pool_slots") as e:
            h.invoke("b", b"x")
        assert e.value.reason == "ConcurrentInvocationLimitExceeded"
        assert h.function("b").busy == 0
        assert h.invoke("a", b"still fine").payload == b"still fine"
        h.remove("a")  # frees both slots
        assert h.invoke("b", b"now").payload == b"now"
