"""WASI command modules: the event on stdin, the result on stdout, ``_start``.

Any language that targets wasm32-wasi works with no SDK. A command runs once and
exits, so every invocation gets a fresh instance (``isolation`` is always strict
here). stderr goes to the invocation's log; a non-zero exit status is a function
error (``Runtime.ExitError``) carrying stderr's last line.
"""

from __future__ import annotations

import wasmtime
from wasmtime import ExitTrap

from .. import capabilities
from ..capabilities import Grants
from ..engine import ffi
from ..errors import FunctionError, InvalidResult
from .imports import check_exports, check_imports, check_memory, link, module_capabilities
from .sandbox import Sandbox, Template

REQUIRED = {"memory": "memory", "_start": ((), ())}


def is_command(module: wasmtime.Module) -> bool:
    return any(e.name == "_start" for e in module.exports)


class CommandABI:
    kind = "wasi_command"
    pooled = False  # one fresh instance per invocation, through ``run``
    speculative = False
    uses_context = True

    def __init__(self, engine, module: wasmtime.Module, memory_mb: int, env: dict[str, str],
                 max_output: int, grants: Grants) -> None:
        self.engine = engine
        self.exports = check_exports(module, REQUIRED, {}, "WASI command module")
        check_imports(module)
        self.grants = grants
        self.capabilities = module_capabilities(module)
        check_memory(module, memory_mb)
        self.env = env
        self.max_output = max_output
        self.template = Template(engine, link(engine, module, uses_wasi=True), self.exports, memory_mb << 20)

    def run(self, payload: bytes, fuel: int, ticks: int, meta: dict, seq: int, t0: int,
            timeout_ns: int) -> tuple[Sandbox, bytes, int, int]:
        """Instantiate with ``payload`` as stdin and run ``_start``. Returns the spent
        sandbox (for its logs; the caller closes it), stdout, fuel used and memory size."""
        out = bytearray()
        overflow = []

        def stdout(data: bytes) -> None:
            if len(out) + len(data) > self.max_output:
                overflow.append(len(data))
            else:
                out.extend(data)

        def wasi(sb: Sandbox) -> wasmtime.WasiConfig:
            cfg = wasmtime.WasiConfig()
            cfg.env = list(self.env.items())
            cfg.argv = [meta.get("function_name", "function")]
            cfg.stdout_custom = stdout
            cfg.stderr_custom = sb.log_sink
            ffi.set_stdin_bytes(cfg, bytes(payload))
            return cfg

        sb = Sandbox(self.template, fuel=fuel, ticks=ticks, timeout_ns=timeout_ns, meta=meta,
                     caps=capabilities.new_states(self.capabilities, self.grants), wasi=wasi)
        sb.seq, sb.t0 = seq, t0
        try:
            args = (ffi.ValRaw * 1)()
            err = ffi.func_call(sb.ctx, ffi.ptr(sb.externs["_start"].of.func), ffi.ptr(args), 1, sb._trap_p)
            if err or sb._trap.value:
                obj = sb.adopt(err)
                if not (isinstance(obj, ExitTrap) and obj.code == 0):
                    exc = sb.failure(obj, "_start")
                    if isinstance(obj, ExitTrap):
                        last = (sb.take_logs().strip().splitlines() or [""])[-1]
                        exc = FunctionError("Runtime.ExitError", f"exit status {obj.code}" + (f": {last}" if last else ""))
                        exc.usage(sb.fuel_used(), sb.memory_size())
                    raise exc
            if overflow:
                raise InvalidResult(f"stdout exceeded the {self.max_output}-byte result limit").usage(
                    sb.fuel_used(), sb.memory_size())
            return sb, bytes(out), sb.fuel_used(), sb.memory_size()
        except BaseException as e:
            e.sandbox = sb  # type: ignore[attr-defined]  # the caller still wants its logs
            raise

    def instantiate(self, fuel: int, ticks: int, timeout_ns: int, meta: dict):
        raise TypeError("a WASI command is not pooled: it runs through CommandABI.run")

    def renew(self, sb, fuel: int, ticks: int) -> None:
        raise TypeError("a WASI command is not pooled")
