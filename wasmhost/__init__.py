"""wasmhost: serverless functions as WebAssembly modules, run by Wasmtime.

``import wasmhost`` is all an edge device needs: no server code is imported here,
and every public name is imported on first use (PEP 562 ``__getattr__``): an edge
device pays for what it touches (bench/bench_footprint.py measures it,
tests/test_footprint.py keeps it so), and a program that only runs a submodule
(``wasmhost serve``'s supervisor, which runs no Wasm) does not load Wasmtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backends.kv import KVBackend, SQLiteKV
    from .buckets import Buckets, LocalBuckets
    from .config import FunctionConfig
    from .engine import EngineSettings
    from .errors import (DeployError, FuelExhausted, FunctionError, FunctionNotFound, GuestTrap, InvalidResult,
                         InvocationError, InvocationTimeout, MemoryLimitExceeded, PayloadTooLarge, Throttled,
                         WasmhostError)
    from .function import FunctionInfo, InvokeResult
    from .host import Host
    from .metering import Ledger, Report
    from .request import Request
    from .response_stream import ResponseStream

__version__ = "0.1.0"

# public names imported on first use: name -> the module that defines it
_LAZY = {"Buckets": "buckets", "LocalBuckets": "buckets", "KVBackend": "backends.kv", "SQLiteKV": "backends.kv",
         "FunctionConfig": "config", "EngineSettings": "engine", "FunctionInfo": "function",
         "InvokeResult": "function", "Host": "host", "Ledger": "metering", "Report": "metering",
         "Request": "request", "ResponseStream": "response_stream",
         **{name: "errors" for name in ("DeployError", "FuelExhausted", "FunctionError", "FunctionNotFound",
                                        "GuestTrap", "InvalidResult", "InvocationError", "InvocationTimeout",
                                        "MemoryLimitExceeded", "PayloadTooLarge", "Throttled", "WasmhostError")}}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wasmhost' has no attribute {name!r}")
    from importlib import import_module
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Buckets", "DeployError", "EngineSettings", "FuelExhausted", "FunctionConfig", "FunctionError", "FunctionInfo",
    "FunctionNotFound", "GuestTrap", "Host", "InvalidResult", "InvocationError", "InvocationTimeout",
    "InvokeResult", "KVBackend", "Ledger", "LocalBuckets", "MemoryLimitExceeded", "PayloadTooLarge", "Report",
    "Request", "ResponseStream", "SQLiteKV", "Throttled", "WasmhostError",
]
