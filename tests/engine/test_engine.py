"""Engine settings and the pooling-allocator fallback."""

import pytest

from conftest import guest
from wasmhost import EngineSettings, FunctionConfig, Host
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
