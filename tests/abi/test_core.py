"""Deploy-time checks: anything that cannot run fails at deploy with a clear error."""

import pytest

from guestlib import guest
from wasmhost import DeployError, FunctionConfig

ALLOC = '(func (export "wasmhost_alloc") (param i32) (result i32) i32.const 0)'
HANDLE = '(func (export "wasmhost_handle") (param i32 i32) (result i64) i64.const 0)'
MEM = '(memory (export "memory") 1)'


def mod(*parts: str) -> bytes:
    return ("(module " + " ".join(parts) + ")").encode()


@pytest.mark.parametrize("source, message", [
    (b"hello world", "not a WebAssembly module"),
    (b"\0asm\x01\x00\x00\x00garbage", "invalid WebAssembly module"),
    (b"\0asm\x0d\x00\x01\x00", "components are not supported"),
    (b"(module (func (bogus)))", "invalid WebAssembly text"),
    (b"(module (func $f (result i32)))", "invalid WebAssembly module: .*type mismatch"),
    (mod(MEM, HANDLE), "missing export 'wasmhost_alloc'"),
    (mod(ALLOC, HANDLE), "missing export 'memory'"),
    (mod(MEM, ALLOC), "missing export 'wasmhost_handle'"),
    (mod(MEM, ALLOC, '(func (export "wasmhost_handle") (param i32 i32) (result i32) i32.const 0)'),
     r"'wasmhost_handle' has the wrong type: the wasmhost ABI wants \(i32, i32\) -> \(i64\)"),
    (mod(MEM, '(global (export "wasmhost_alloc") i32 (i32.const 0))', HANDLE), "'wasmhost_alloc' has the wrong type"),
    (mod('(func (export "memory"))', ALLOC, HANDLE), "'memory' must be a linear memory"),
    (mod(MEM, ALLOC, HANDLE, '(func (export "wasmhost_init") (param i32))'), "'wasmhost_init' has the wrong type"),
    (mod('(import "env" "abort" (func))', MEM, ALLOC, HANDLE), "imports env.abort: only the 'wasmhost'"),
    (mod('(import "wasmhost" "sockets" (func))', MEM, ALLOC, HANDLE), "wasmhost.sockets, which wasmhost does not provide"),
    (mod('(import "wasmhost" "log" (func (param i64)))', MEM, ALLOC, HANDLE),
     r"wasmhost.log with the wrong type: wasmhost provides \(i32, i32\) -> \(\)"),
    (mod('(import "wasi_snapshot_preview1" "no_such_call" (func))', MEM, ALLOC, HANDLE), "cannot be linked"),
    (mod('(func (export "other"))'), "neither a wasmhost core module"),
])
def test_bad_modules_fail_at_deploy(host, source, message):
    with pytest.raises(DeployError, match=message):
        host.deploy("bad", source)
    assert host.functions() == []


def test_initial_memory_over_the_cap_fails_at_deploy(host):
    with pytest.raises(DeployError, match="needs 4 MB of initial memory, more than its memory_mb=2"):
        host.deploy("big", mod('(memory (export "memory") 64)', ALLOC, HANDLE), FunctionConfig(memory_mb=2))


def test_failing_prewarm_fails_the_deploy(host):
    src = mod(MEM, ALLOC, HANDLE, '(func (export "wasmhost_init") unreachable)')
    with pytest.raises(DeployError, match="pre-warming 2 instance"):
        host.deploy("f", src, FunctionConfig(min_warm=2))
    assert host.functions() == []


def test_binary_and_text_modules(host, tmp_path):
    import wasmtime
    wasm = wasmtime.wat2wasm(guest("echo").read_text())
    (tmp_path / "echo.wasm").write_bytes(wasm)
    assert host.deploy("a", tmp_path / "echo.wasm").sha256 == host.deploy("b", wasm).sha256
    assert host.invoke("a", b"1").payload == b"1"


def test_wasi_reactor_initialize_runs_first(host):
    """_initialize (WASI reactors) runs before wasmhost_init, once per instance."""
    src = mod(MEM, '(global $g (mut i32) (i32.const 0))',
              '(func (export "_initialize") (global.set $g (i32.const 7)))',
              '(func (export "wasmhost_init") (global.set $g (i32.mul (global.get $g) (i32.const 6))))',
              ALLOC,
              '(func (export "wasmhost_handle") (param i32 i32) (result i64)'
              ' (i32.store (i32.const 0) (global.get $g)) (i64.const 4))')
    host.deploy("r", src)
    assert host.invoke("r", b"").payload == (42).to_bytes(4, "little")


def test_wasi_stdout_of_a_core_module_goes_to_the_log(host):
    host.deploy("w", guest("wasi_core"))
    res = host.invoke("w", b"payload")
    assert res.payload == b"payload"
    assert res.logs == "hello from wasi stdout\n"
