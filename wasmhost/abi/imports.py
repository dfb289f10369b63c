"""Deploy-time checks shared by every guest kind: what a module may import, what it
must export, and whether its memory fits the function's cap. A module that fails
here never reaches an invocation."""

from __future__ import annotations

import threading
import weakref
from typing import Callable

import wasmtime

from .. import capabilities
from ..engine.engine import WASM_PAGE
from ..errors import DeployError, cause

WASI_MODULE = "wasi_snapshot_preview1"


def _sig(ty: wasmtime.FuncType) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(str(p) for p in ty.params), tuple(str(r) for r in ty.results)


def _fmt(sig: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
    return f"({', '.join(sig[0])}) -> ({', '.join(sig[1])})"


def check_imports(module: wasmtime.Module) -> bool:
    """Raise ``DeployError`` for an import the host does not provide; return whether
    the module imports WASI preview 1."""
    uses_wasi = False
    for imp in module.imports:
        where = f"{imp.module}.{imp.name}"
        ty = imp.type
        if imp.module == capabilities.IMPORT_MODULE:
            want = capabilities.signature(imp.name or "")
            if want is None:
                have = ", ".join(capabilities.import_names())
                raise DeployError(f"module imports {where}, which wasmhost does not provide (it provides: {have})")
            if not isinstance(ty, wasmtime.FuncType) or _sig(ty) != want:
                raise DeployError(f"module imports {where} with the wrong type: wasmhost provides {_fmt(want)}")
        elif imp.module == WASI_MODULE:
            if not isinstance(ty, wasmtime.FuncType):
                raise DeployError(f"module imports {where}, which is not a WASI function")
            uses_wasi = True
        else:
            raise DeployError(f"module imports {where}: only the '{capabilities.IMPORT_MODULE}' and "
                              f"'{WASI_MODULE}' import modules are provided")
    return uses_wasi


def module_capabilities(module: wasmtime.Module) -> tuple:
    """The capabilities a core module reaches: those whose imports it names."""
    return capabilities.used_by(i.name or "" for i in module.imports if i.module == capabilities.IMPORT_MODULE)


def check_exports(module: wasmtime.Module, required: dict, optional: dict, kind: str) -> dict[str, int]:
    """Check export types; return ``{name: export index}`` for the ones present."""
    found = {e.name: (i, e.type) for i, e in enumerate(module.exports)}
    out: dict[str, int] = {}
    for name, want in {**required, **optional}.items():
        if name not in found:
            if name in required:
                raise DeployError(f"not a {kind}: missing export '{name}'"
                                  + (f" {_fmt(want)}" if want != "memory" else " (linear memory)"))
            continue
        index, ty = found[name]
        if want == "memory":
            if not isinstance(ty, wasmtime.MemoryType):
                raise DeployError(f"export '{name}' must be a linear memory")
            if ty.is_64 or ty.is_shared:
                raise DeployError(f"export '{name}' must be a 32-bit, unshared memory")
        elif not isinstance(ty, wasmtime.FuncType) or _sig(ty) != want:
            raise DeployError(f"export '{name}' has the wrong type: the wasmhost ABI wants {_fmt(want)}")
        out[name] = index
    return out


def check_memory(module: wasmtime.Module, memory_mb: int) -> None:
    for e in list(module.exports) + [i for i in module.imports]:
        ty = e.type
        if isinstance(ty, wasmtime.MemoryType) and ty.limits.min * WASM_PAGE > memory_mb << 20:
            raise DeployError(f"module needs {ty.limits.min * WASM_PAGE >> 20} MB of initial memory, "
                              f"more than its memory_mb={memory_mb}")


_LINKERS: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()
_LINKERS_LOCK = threading.Lock()


def linker_for(engine, kind: str, build: "Callable[[], object]"):
    """One linker per engine and kind, built on first use and dropped with the
    engine: defining the host imports costs ~0.3 ms, a third of a small function's
    deploy."""
    with _LINKERS_LOCK:
        per_engine = _LINKERS.setdefault(engine, {})
        if kind not in per_engine:
            per_engine[kind] = build()
        return per_engine[kind]


def _core_linker(engine, uses_wasi: bool) -> wasmtime.Linker:
    linker = wasmtime.Linker(engine.wasmtime)
    capabilities.define_core(linker)
    if uses_wasi:
        linker.define_wasi()
    return linker


def link(engine, module: wasmtime.Module, uses_wasi: bool) -> wasmtime.InstancePre:
    linker = linker_for(engine, f"core-wasi={uses_wasi}", lambda: _core_linker(engine, uses_wasi))
    try:
        return linker.instantiate_pre(module)
    except wasmtime.WasmtimeError as e:
        raise DeployError(f"module cannot be linked: {cause(str(e))}") from None
