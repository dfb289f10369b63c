"""wasmhost: serverless functions as WebAssembly modules, run by Wasmtime.

``import wasmhost`` is all an edge device needs: no server code is imported here.
"""

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

__version__ = "0.1.0"

__all__ = [
    "Buckets", "DeployError", "EngineSettings", "FuelExhausted", "FunctionConfig", "FunctionError", "FunctionInfo",
    "FunctionNotFound", "GuestTrap", "Host", "InvalidResult", "InvocationError", "InvocationTimeout",
    "InvokeResult", "KVBackend", "Ledger", "LocalBuckets", "MemoryLimitExceeded", "PayloadTooLarge", "Report",
    "SQLiteKV", "Throttled", "WasmhostError",
]
