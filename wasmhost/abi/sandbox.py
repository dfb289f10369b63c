"""One guest instance in its own store: creation through the raw C API, memory
access, and turning traps into typed errors.

A sandbox is used by one invocation at a time. Its store carries the memory cap
(store limiter), the fuel budget and the epoch deadline; nothing in it is shared
with another sandbox, so a trap here never touches another invocation.
"""

from __future__ import annotations

import ctypes
import time
from ctypes import c_size_t, c_ubyte, c_uint64, c_void_p
from typing import Callable

import wasmtime
from wasmtime import ExitTrap, Trap, TrapCode

from .. import capabilities
from ..engine import ffi
from ..engine.engine import WASM_PAGE
from ..errors import cause, FuelExhausted, FunctionError, GuestTrap, InvalidResult, InvocationError, InvocationTimeout, MemoryLimitExceeded, Throttled

from .base import INIT_FUEL, GuestState


class Template:
    """What every sandbox of one module shares, worked out once at deploy: raw
    pointers to the engine and the pre-linked module, and where the exports are."""

    def __init__(self, engine, pre: wasmtime.InstancePre, exports: dict[str, int], memory_limit: int) -> None:
        self.engine, self.pre = engine, pre  # keep both alive as long as the raw pointers are used
        self.eptr = ffi.engine_ptr(engine.wasmtime)
        self.preptr = ffi.instance_pre_ptr(pre)
        self.exports = tuple(exports.items())
        self.extern_array = ffi.Extern * len(exports)
        self.memory_limit = memory_limit


_NAME_P, _NAME_LEN = c_void_p(), c_size_t()  # export_nth's name outputs, never read
_NAME_PP, _NAME_LEN_P = ffi.ptr(_NAME_P), ffi.ptr(_NAME_LEN)
_EXTERN_SIZE = ctypes.sizeof(ffi.Extern)


class Sandbox(GuestState):
    """A store, an instance in it, and the state host imports read and write."""

    _store = None
    _handle = 0  # names this sandbox in its stores' data (ffi.owner_handle)
    live = False  # an instance is in the store: its exports (memory) may be touched
    # the bound hot path (abi/core.py: make_invoke): payload, budget -> (result, fuel used, memory)
    invoke: "Callable[[bytes, int | None], tuple[bytes, int, int]]"

    def __init__(self, tpl: Template, *, fuel: int, ticks: int, timeout_ns: int, meta: dict, caps: dict,
                 wasi: "Callable[[Sandbox], wasmtime.WasiConfig] | None" = None) -> None:
        # The buffers the C API fills and the hot path reads are allocated once per
        # sandbox; ``renew`` puts a fresh store and instance into the same buffers,
        # so a hot path bound to them stays valid (strict isolation relies on it).
        self._tpl, self._wasi = tpl, wasi
        self.meta = meta
        self.caps = caps  # the capabilities' per-instance state (wasmhost/capabilities)
        self.timeout_ns = timeout_ns
        self.memory_limit = tpl.memory_limit
        self.ctx = c_void_p()
        self.fuel_out = c_uint64()
        self.fuel_out_p = ffi.ptr(self.fuel_out)
        self._instance = ffi.InstanceRaw()
        self._instance_p = ffi.ptr(self._instance)
        self._trap = c_void_p()
        self._trap_p = ffi.ptr(self._trap)
        self._externs = arr = tpl.extern_array()
        base = ctypes.addressof(arr)
        self._extern_ps = [c_void_p(base + i * _EXTERN_SIZE) for i in range(len(tpl.exports))]
        self.externs: dict[str, ffi.Extern] = {name: arr[i] for i, (name, _) in enumerate(tpl.exports)}
        self.memory_p = ffi.ptr(self.externs["memory"].of.memory)
        self.view = memoryview(b"")
        self._handle = ffi.owner_handle(self)  # every store of this sandbox names it (host imports find it)
        self._instantiate(fuel, ticks)

    def renew(self, fuel: int, ticks: int) -> None:
        """Drop this store and instantiate afresh: nothing of the old instance survives."""
        self._drop_store()
        self.logs, self.error = None, None
        self._instantiate(fuel, ticks)

    def _instantiate(self, fuel: int, ticks: int) -> None:
        tpl, ctx = self._tpl, self.ctx
        self.t0 = time.perf_counter_ns()  # the current invocation's start; init counts from creation
        self._store = store = ffi.store_new_for(tpl.eptr, self._handle)
        ctx.value = ffi.store_context(store)
        try:
            ffi.store_limiter(store, tpl.memory_limit, -1, -1, -1, -1)
            if self._wasi is not None:
                ffi.set_wasi(ctx, self._wasi(self))
            self.set_limits(INIT_FUEL, ticks)  # init is bounded by the timeout, not by fuel
            inst_p = self._instance_p
            err = ffi.instance_pre_instantiate(tpl.preptr, ctx, inst_p, self._trap_p)
            if err or self._trap.value:
                obj = self.adopt(err)
                if not isinstance(obj, Trap) and "concurrent limit" in str(obj):
                    raise Throttled(f"no free instance slot in this host: {cause(str(obj))} (EngineSettings.pool_slots)",
                                    reason="ConcurrentInvocationLimitExceeded")
                raise self.failure(obj, "instantiation")
            for (name, index), ext_p in zip(tpl.exports, self._extern_ps):
                if not ffi.instance_export_nth(ctx, inst_p, index, _NAME_PP, _NAME_LEN_P, ext_p):
                    raise RuntimeError(f"export {name} missing from instance")
            self.live = True
            self.refresh_view()
        except BaseException:
            self.close()
            raise

    # -- memory ---------------------------------------------------------------------
    def memory_size(self) -> int:
        return ffi.memory_data_size(self.ctx, self.memory_p)

    def refresh_view(self) -> memoryview:
        """Linear memory as a memoryview. The engine never moves memories
        (``memory_may_move=False``), so a view stays valid until the memory grows,
        and then only needs widening."""
        size = self.memory_size()
        base = ffi.memory_data(self.ctx, self.memory_p)
        self.view = memoryview((c_ubyte * size).from_address(base)).cast("B") if size else memoryview(b"")
        return self.view

    def read(self, ptr: int, n: int) -> bytes:
        view = self.view
        if ptr + n > len(view):
            view = self.refresh_view()
            if ptr < 0 or n < 0 or ptr + n > len(view):
                raise InvalidResult(f"guest passed an out-of-bounds buffer ({ptr}, {n})")
        return bytes(view[ptr:ptr + n])

    def write(self, ptr: int, data: bytes) -> None:
        view = self.view
        if ptr + len(data) > len(view):
            view = self.refresh_view()
            if ptr < 0 or ptr + len(data) > len(view):
                raise InvalidResult(f"guest passed an out-of-bounds buffer ({ptr}, {len(data)})")
        view[ptr:ptr + len(data)] = data

    # -- limits ---------------------------------------------------------------------
    def set_limits(self, fuel: int, ticks: int) -> None:
        err = ffi.set_fuel(self.ctx, c_uint64(fuel))
        if err:
            raise ffi.take_error(err)
        self.fuel_budget = fuel
        ffi.set_epoch_deadline(self.ctx, c_uint64(ticks + self._tpl.engine.due()))  # (engine/ticker.py)

    def fuel_used(self) -> int:
        ffi.get_fuel(self.ctx, self.fuel_out_p)
        return self.fuel_budget - self.fuel_out.value

    # -- calls ----------------------------------------------------------------------
    def call0(self, name: str, what: str) -> None:
        """Call an exported ``() -> ()`` function (init, _initialize, _start)."""
        args = (ffi.ValRaw * 1)()
        err = ffi.func_call(self.ctx, ffi.ptr(self.externs[name].of.func), ffi.ptr(args), 1, self._trap_p)
        if err or self._trap.value:
            raise self.failure(self.adopt(err), what)

    def adopt(self, err: int | None) -> Exception:
        """Take ownership of the trap (or error) the last call left, and clear the
        slot: the C API does not clear it on success, so a stale pointer would be
        freed twice."""
        obj = adopt(err, self._trap.value)
        self._trap.value = None
        return obj

    def failure(self, obj: Exception, what: str) -> InvocationError:
        """Turn a trap or error into the typed exception users see. The fuel used
        and the memory size travel with it for the report."""
        raised = ffi.take_host_exception()
        size = self.memory_size() if self.live else 0  # a stale export aborts the process
        if isinstance(raised, InvocationError):  # a host import refused the guest's arguments
            return raised.usage(self.fuel_used(), size)
        return classify(obj, what, self.fuel_used(), size, self.fuel_budget, self.memory_limit)

    def _drop_store(self) -> None:
        self.live = False
        if self._store:
            capabilities.close_states(self.caps)
            self.view = memoryview(b"")
            ffi.store_delete(self._store)
            self._store = None

    def close(self) -> None:
        self._drop_store()
        if self._handle:
            ffi.release_owner(self._handle)
            self._handle = 0

    def __del__(self) -> None:
        self.close()


def classify(obj: Exception, what: str, fuel_used: int | None, size: int, fuel_budget: int,
             memory_limit: int) -> InvocationError:
    """The typed error for a trap or error from any guest kind."""
    try:
        code = obj.trap_code if isinstance(obj, Trap) else None
        message = str(obj) if not isinstance(obj, ExitTrap) else f"exit status {obj.code}"
    except Exception as e:  # never let a broken trap object take the host down
        code, message = None, f"unknown failure: {e}"
    if code is None:  # the component API wraps traps in errors: read the cause
        if "wasm trap: interrupt" in message:
            code = TrapCode.INTERRUPT
        elif "all fuel consumed" in message:
            code = TrapCode.OUT_OF_FUEL
    if isinstance(obj, ExitTrap):
        exc: InvocationError = _exit_error(obj.code)
    elif code == TrapCode.INTERRUPT:
        exc = InvocationTimeout(f"{what} timed out")
        fuel_used = None  # not flushed on an epoch interrupt; see metering.Report
    elif code == TrapCode.OUT_OF_FUEL:
        exc = FuelExhausted(f"{what} ran out of fuel ({fuel_budget} units)")
        fuel_used = fuel_budget
    elif size + WASM_PAGE > memory_limit:
        exc = MemoryLimitExceeded(f"{what} failed at its memory limit ({memory_limit >> 20} MB): {cause(message)}")
    else:
        exc = GuestTrap(f"{what} trapped: {cause(message)}")
    return exc.usage(fuel_used, size, message)


def adopt(err: int | None, trap: int | None) -> Exception:
    """The wasmtime-py object for a raw ``wasm_trap_t*`` or ``wasmtime_error_t*``."""
    return ffi.take_trap(trap) if trap else ffi.take_error(err or 0)


def _exit_error(code: int) -> InvocationError:
    """Lambda's words for a runtime that exited (the Lambda API puts ``RequestId: ... Error:``
    before them). A component's exit carries only success or failure (wasi:cli/exit), so a
    Python ``sys.exit(3)`` reads as status 1 here."""
    reason = f"with error: exit status {code}" if code else "without providing a reason"
    return FunctionError("Runtime.ExitError", f"Runtime exited {reason}")
