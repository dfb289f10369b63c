"""What a guest may import from the host, one module per capability (Spin's "factors").

Each capability module has ``IMPORTS``: ``{name: (params, results, callback)}`` in the
``wasmhost`` import module. A callback gets the calling sandbox, found from the
caller's store, and the guest's arguments. A new capability is a new module listed
in ``CAPABILITIES``; nothing else changes.

The sandbox protocol the callbacks use (see ``wasmhost.abi.core.Sandbox``):
``read(ptr, n)``, ``write(ptr, data)``, ``log(text)``, ``error``, ``context()``,
``deadline_ns``.
"""

from __future__ import annotations

import ctypes
from typing import Any, Callable

import wasmtime

from . import context, error, log

IMPORT_MODULE = "wasmhost"
CAPABILITIES = (log, context, error)

# store context address -> the sandbox living in that store
LIVE: dict[int, Any] = {}

_VT = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64}


def host_imports() -> dict[str, tuple[tuple[str, ...], tuple[str, ...], Callable]]:
    out: dict[str, tuple[tuple[str, ...], tuple[str, ...], Callable]] = {}
    for cap in CAPABILITIES:
        out.update(cap.IMPORTS)
    return out


def _bind(callback: Callable) -> Callable:
    def trampoline(caller: wasmtime.Caller, *args: int) -> Any:
        sandbox = LIVE[ctypes.cast(caller._context(), ctypes.c_void_p).value]
        return callback(sandbox, *args)
    return trampoline


def define(linker: wasmtime.Linker) -> None:
    """Add every capability's imports to ``linker``."""
    for name, (params, results, callback) in host_imports().items():
        ty = wasmtime.FuncType([_VT[p]() for p in params], [_VT[r]() for r in results])
        linker.define_func(IMPORT_MODULE, name, ty, _bind(callback), access_caller=True)


def signature(name: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    entry = host_imports().get(name)
    return None if entry is None else (entry[0], entry[1])
