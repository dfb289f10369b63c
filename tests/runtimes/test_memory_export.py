"""The memory export appended to a built runtime component (runtimes/memory_export.py).
The end-to-end check (Max Memory Used grows when a handler allocates) is in
tests/test_python_functions.py and tests/test_js_functions.py."""

import pytest

from wasmhost.runtimes import memory_export
from wasmhost.runtimes.memory_export import EXPORT, ComponentFormatError, add_memory_export


def test_a_core_module_or_garbage_is_refused_with_a_clear_error():
    with pytest.raises(ComponentFormatError, match="not a WebAssembly component"):
        add_memory_export(b"\0asm\x01\0\0\0")
    with pytest.raises(ComponentFormatError):
        add_memory_export(b"junk")


def test_a_component_without_handle_is_refused():
    empty = b"\0asm\x0d\0\x01\0"
    with pytest.raises(ComponentFormatError, match="exports no function 'handle'"):
        add_memory_export(empty)


def test_the_built_runtime_carries_the_export_once(tmp_path):
    from wasmhost.runtimes import javascript
    try:
        path = javascript.runtime_path()
    except Exception as e:  # pragma: no cover - CI installs componentize-js
        pytest.skip(f"{e} (.ci/run installs it)")
    data = path.read_bytes()
    assert EXPORT.encode() in data[-4096:]
    assert add_memory_export(data) == data  # already there: unchanged
    scan = memory_export._scan(data)
    assert scan.exports[EXPORT][0] == memory_export.FUNC and "handle" in scan.exports


def test_the_pages_module_is_valid_wasm():
    import wasmtime
    module = wasmtime.Module(wasmtime.Engine(), memory_export.PAGES_MODULE)
    assert [e.name for e in module.exports] == ["pages"]
    assert [(i.module, i.name) for i in module.imports] == [("env", "memory")]
