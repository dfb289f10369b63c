"""The capability contract: each capability declares its imports, state and side
effects, and speculation follows the declaration."""

import pytest

from guestlib import guest
from wasmhost import capabilities

KV_MODULE = b"""(module
  (import "wasmhost" "kv_get" (func $get (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "k")
  (func (export "wasmhost_alloc") (param i32) (result i32) i32.const 1024)
  (func (export "wasmhost_handle") (param i32 i32) (result i64)
    (drop (call $get (i32.const 0) (i32.const 0) (i32.const 64) (i32.const 1))) (i64.const 0)))"""


def test_every_capability_declares_the_contract():
    names = set()
    for cap in capabilities.ALL:
        assert isinstance(cap.NAME, str) and isinstance(cap.SIDE_EFFECTS, bool) and callable(cap.new_state)
        for name, (_params, _results, callback) in cap.IMPORTS.items():
            assert name not in names and callable(callback)  # one owner per import
            names.add(name)
        for results, callback in cap.COMPONENT_IMPORTS.values():
            assert set(results) <= {"string", "s32", "u16"} and callable(callback)
    assert {c.NAME for c in capabilities.ALL if c.SIDE_EFFECTS} == {"http", "kv"}
    assert [c.NAME for c in capabilities.used_by(["log", "kv_get", "nonsense"])] == ["log", "kv"]


def test_speculation_follows_the_capabilities(host):
    host.deploy("pure", guest("host_imports"))  # log, context, error: no side effects
    host.deploy("stateful", KV_MODULE)
    assert host._functions["pure"].speculate
    assert not host._functions["stateful"].speculate
    assert host.invoke("stateful", b"").payload == b""


def test_a_side_effecting_function_runs_exactly_once_under_ainvoke(host):
    import asyncio
    host.deploy("stateful", KV_MODULE)
    asyncio.run(host.ainvoke("stateful", b""))
    info = host.function("stateful")
    assert info.inline_runs == 0 and info.thread_runs == 1 and info.overruns == 0


@pytest.mark.parametrize("bad", ["kv_get", "http_request"])
def test_mistyped_capability_import_fails_the_deploy(host, bad):
    from wasmhost import DeployError
    with pytest.raises(DeployError, match=f"wasmhost.{bad} with the wrong type"):
        host.deploy("bad", f'(module (import "wasmhost" "{bad}" (func)) (memory (export "memory") 1)'
                           f'(func (export "wasmhost_alloc") (param i32) (result i32) i32.const 0)'
                           f'(func (export "wasmhost_handle") (param i32 i32) (result i64) i64.const 0))'.encode())
