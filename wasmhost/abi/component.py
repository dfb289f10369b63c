"""Functions that run inside a language runtime component: Python (componentize-py)
and JavaScript (componentize-js).

A runtime exports ``init(...)`` and ``handle(event, context) -> result<string, string>``
(guest_sdk/wit/); Python's ``init(handler)`` imports the user's code from a read-only
directory preopened at ``/code``, JavaScript's ``init(source, handler)`` evaluates it. Payloads cross as strings: wasmtime-py 50 marshals ``list<u8>``
one byte at a time. Calls go through wasmtime-py's component API (~0.3 ms per call for
CPython anyway, so the raw fast path of core modules would not show).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import wasmtime
from wasmtime import component as wc

from .. import capabilities
from ..capabilities import Grants
from ..clock import request_id, wall_ms
from ..engine import ffi
from ..errors import FunctionError, InvalidResult, InvocationError
from .base import INIT_FUEL, GuestState
from .imports import linker_for
from .sandbox import classify


def _linker(engine) -> wc.Linker:
    def build() -> wc.Linker:
        linker = wc.Linker(engine.wasmtime)
        linker.add_wasip2()
        capabilities.define_component(linker)
        return linker
    return linker_for(engine, "component-wasip2", build)


class ComponentSandbox(GuestState):
    """One instance of the runtime component in its own store, with the user's code loaded."""

    live = False
    store: wasmtime.Store

    def __init__(self, abi: "RuntimeABI", fuel: int, ticks: int, timeout_ns: int, meta: dict) -> None:
        self.abi, self.meta, self.timeout_ns = abi, meta, timeout_ns
        self.memory_limit = abi.memory_limit
        self.caps = capabilities.new_states(abi.capabilities, abi.grants)
        self._instantiate(fuel, ticks)

    def _instantiate(self, fuel: int, ticks: int) -> None:
        abi = self.abi
        self.t0 = time.perf_counter_ns()
        self.store = store = ffi.new_store_for(abi.engine.wasmtime, self)  # host imports find us from it
        store.set_limits(memory_size=abi.memory_limit)
        wasi = wasmtime.WasiConfig()
        wasi.env = list(abi.env.items())
        wasi.stdout_custom = self.log_sink
        wasi.stderr_custom = self.log_sink
        if abi.code_dir is not None:
            wasi.preopen_dir(str(abi.code_dir), "/code", fs_mutable=False)
        store.set_wasi(wasi)
        self.fuel_budget, self.ticks = INIT_FUEL, ticks
        self._limits(ticks)
        try:
            inst = _linker(abi.engine).instantiate(store, abi.component)
            self._init, self._handle = inst.get_func(store, "init"), inst.get_func(store, "handle")
            err = self._call(self._init, *abi.init_args)
            self.fuel_budget = fuel
        except InvocationError:
            self.close()
            raise
        if err is not None:  # the user's code failed to load: a function error, as in Lambda
            self.close()
            doc = json.loads(err)
            module = abi.handler.rpartition(".")[0]
            etype = "Runtime.UserCodeSyntaxError" if doc.get("errorType") == "SyntaxError" else (
                "Runtime.ImportModuleError" if abi.kind == "python" else "Runtime.HandlerNotFound")
            exc = FunctionError(etype, f"Unable to import module '{module}': "
                                f"{doc.get('errorType')}: {doc.get('errorMessage')}")
            raise exc.usage(None, 0, "".join(doc.get("stackTrace", [])))
        self.live = True

    def _limits(self, ticks: int) -> None:
        self.store.set_fuel(self.fuel_budget)
        self.store.set_epoch_deadline(ticks)

    def _call(self, func, *args):
        try:
            out = func(self.store, *args)
            func.post_return(self.store)
            return out
        except InvocationError as e:  # a host import ended the invocation (its deadline passed)
            raise e.usage(self.fuel_used(), 0) from None
        except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
            ffi.take_host_exception()
            raise classify(e, f"the {self.abi.kind} runtime", self.fuel_used(), 0, self.fuel_budget,
                           self.memory_limit) from None

    def fuel_used(self) -> int:
        return self.fuel_budget - self.store.get_fuel()

    def invoke(self, payload: bytes, budget: int | None = None) -> tuple[bytes, int, int]:
        self._limits(budget if budget is not None else self.ticks)
        try:
            event = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidResult(f"a {self.abi.kind} function's event must be UTF-8 (JSON) text").usage(None, 0) \
                from None
        ctx = json.dumps({"request_id": request_id(self.seq), "deadline_ms": wall_ms(self.deadline_ns), **self.meta})
        out = self._call(self._handle, event, ctx)
        if out.tag == "err":
            doc = json.loads(out.payload)
            self.error = (doc.get("errorType", "Error"), doc.get("errorMessage", ""))
            trace = doc.get("stackTrace")
            if trace:
                self.log(self.abi.format_trace(doc, trace))
            return b"", self.fuel_used(), 0
        return out.payload.encode(), self.fuel_used(), 0

    def renew(self, fuel: int, ticks: int) -> None:
        self.close()
        self.logs, self.error = None, None
        self._instantiate(fuel, ticks)

    def close(self) -> None:
        self.live = False
        capabilities.close_states(self.caps)
        self.store = None  # type: ignore[assignment]  # dropped: nothing may call into it again
        self._init = self._handle = None


class RuntimeABI:
    """A deployed function of a language runtime: the shared runtime component, the
    user's code (a directory for Python, source text for JavaScript) and its handler.

    A runtime links every capability's host interface (the WIT world imports them
    all), and is never run speculatively: an abandoned run would throw away a warm
    interpreter (10-16 ms to start again) and could have had side effects."""

    uses_context = True
    pooled = True
    speculative = False
    capabilities = capabilities.ALL

    def __init__(self, kind: str, engine, component, handler: str, memory_mb: int, env: dict[str, str], *,
                 grants: Grants, code_dir: Path | None = None, source: str | None = None) -> None:
        self.grants = grants
        self.kind, self.engine, self.component, self.handler = kind, engine, component, handler
        self.code_dir = code_dir
        self.init_args = (handler,) if kind == "python" else (source or "", handler.rpartition(".")[2])
        self.memory_limit = memory_mb << 20
        self.env = env

    def format_trace(self, doc: dict, trace: list[str]) -> str:
        if self.kind == "python":
            return "Traceback (most recent call last):\n" + "".join(trace)
        return f"{doc.get('errorType')}: {doc.get('errorMessage')}\n" + "".join(f"    at {t}\n" for t in trace)

    def instantiate(self, fuel: int, ticks: int, timeout_ns: int, meta: dict) -> ComponentSandbox:
        return ComponentSandbox(self, fuel, ticks, timeout_ns, meta)

    def renew(self, sb: ComponentSandbox, fuel: int, ticks: int) -> None:
        sb.renew(fuel, ticks)
