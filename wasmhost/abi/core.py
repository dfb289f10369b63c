"""The wasmhost core ABI v1 (guest_sdk/ABI.md): bytes in, bytes out.

The guest exports ``memory``, ``wasmhost_alloc(len) -> ptr`` and
``wasmhost_handle(ptr, len) -> i64`` (``out_ptr << 32 | out_len``), and optionally
``wasmhost_init()``. ``make_invoke`` is the hot path: per call it sets fuel and the
epoch deadline, calls alloc, copies the event in, calls handle, copies the result
out and reads the fuel counter, with no wasmtime-py objects on the way: in one C
call (engine/_warmcall.c) where that extension was built, else through prebuilt
ctypes buffers and a cached view of linear memory.
"""

from __future__ import annotations

import wasmtime
from ctypes import addressof, c_int32, c_uint32, c_uint64
from typing import NoReturn

from .. import capabilities
from ..capabilities import Grants
from ..engine import ffi
from ..errors import InvalidResult, InvocationError, MemoryLimitExceeded
from .imports import check_exports, check_imports, check_memory, link, module_capabilities
from .sandbox import Sandbox, Template

try:
    from ..engine._warmcall import WarmCall as _WarmCall
except ImportError:  # built without a C compiler: the ctypes path (make_ctypes_invoke)
    _WarmCall = None  # type: ignore[assignment,misc]
# the C API entry points _warmcall.c calls, in the order it takes them
_API = tuple(ffi.addr(f) for f in (ffi.func_call, ffi.set_fuel, ffi.get_fuel, ffi.set_epoch_deadline,
                                   ffi.memory_data, ffi.memory_data_size))

I32, I64 = "i32", "i64"
REQUIRED = {
    "memory": "memory",
    "wasmhost_alloc": ((I32,), (I32,)),
    "wasmhost_handle": ((I32, I32), (I64,)),
}
OPTIONAL = {
    "_initialize": ((), ()),  # WASI reactors (C/Rust/Go with libc) must run it first
    "wasmhost_init": ((), ()),
}


def is_core(module: wasmtime.Module) -> bool:
    names = {e.name for e in module.exports}
    return "wasmhost_handle" in names or "wasmhost_alloc" in names


class CoreABI:
    """A deployed core module: checked, linked, ready to instantiate."""

    kind = "core"
    pooled = True

    def __init__(self, engine, module: wasmtime.Module, memory_mb: int, env: dict[str, str], ticker,
                 grants: Grants) -> None:
        self.engine = engine
        self.ticker = ticker
        self.exports = check_exports(module, REQUIRED, OPTIONAL, "wasmhost core module")
        self.uses_wasi = check_imports(module)
        self.uses_context = any(i.module == "wasmhost" and i.name in ("context", "remaining_ms")
                                for i in module.imports)
        self.grants = grants
        self.capabilities = module_capabilities(module)
        # an abandoned run must leave no trace outside its instance
        self.speculative = not capabilities.side_effects(self.capabilities)
        check_memory(module, memory_mb)
        self.env = env
        self.template = Template(engine, link(engine, module, self.uses_wasi), self.exports, memory_mb << 20)

    def instantiate(self, fuel: int, ticks: int, timeout_ns: int, meta: dict) -> Sandbox:
        """A new sandbox, initialised (``_initialize``, ``wasmhost_init``), with its
        ``invoke`` bound. Raises the typed invocation errors if init fails."""
        sb = Sandbox(self.template, fuel=fuel, ticks=ticks, timeout_ns=timeout_ns, meta=meta,
                     caps=capabilities.new_states(self.capabilities, self.grants),
                     wasi=self._wasi if self.uses_wasi else None)
        self._init(sb, fuel)
        sb.invoke = make_invoke(sb, fuel, ticks, self.ticker)
        return sb

    def renew(self, sb: Sandbox, fuel: int, ticks: int) -> None:
        """A fresh instance in an existing sandbox (strict isolation); its bound
        ``invoke`` stays valid."""
        sb.renew(fuel, ticks)
        self._init(sb, fuel)

    @staticmethod
    def _init(sb: Sandbox, fuel: int) -> None:
        """Run the module's initialisers (with init's own fuel), then give the sandbox
        the per-invocation budget."""
        try:
            for name in ("_initialize", "wasmhost_init"):
                if name in sb.externs:
                    sb.call0(name, name)
        except BaseException:
            sb.close()
            raise
        sb.fuel_budget = fuel

    def _wasi(self, sb: Sandbox) -> wasmtime.WasiConfig:
        """WASI for a core module: its environment, and stdout/stderr into the log."""
        wasi = wasmtime.WasiConfig()
        wasi.env = list(self.env.items())
        wasi.stdout_custom = sb.log_sink
        wasi.stderr_custom = sb.log_sink
        return wasi


def make_invoke(sb: Sandbox, fuel: int, ticks: int, ticker):
    """The per-sandbox hot path: ``invoke(payload, budget=None) -> (result bytes, fuel
    used, memory bytes)``; a trap, timeout or out-of-fuel raises the typed error (the
    sandbox must then be discarded). One C call (engine/_warmcall.c) where the
    extension was built, else the same steps through ctypes (``make_ctypes_invoke``)."""
    if _WarmCall is None:
        return make_ctypes_invoke(sb, fuel, ticks, ticker)
    clock = ticker.clock
    epoch = clock.epoch_address if ticker.counted and hasattr(clock, "epoch_address") else 0

    def fail(code: int, a: int, b: int) -> NoReturn:
        if code == 3:
            raise _bad_alloc(sb, a, b, sb.memory_limit)
        if code == 4:
            size = sb.memory_size()
            raise InvalidResult(f"wasmhost_handle returned a result outside linear memory "
                                f"(ptr {a}, len {b}, memory {size} bytes)").usage(None, size)
        raise sb.failure(sb.adopt(a or None), "wasmhost_alloc" if code == 1 else "wasmhost_handle")

    call = _WarmCall(_API, addressof(sb.ctx), addressof(sb.externs["wasmhost_alloc"].of.func),
                     addressof(sb.externs["wasmhost_handle"].of.func), sb.memory_p.value or 0, sb._trap_p.value or 0,
                     fuel, ticks, epoch, fail, clock)
    return call.call


def make_ctypes_invoke(sb: Sandbox, fuel: int, ticks: int, ticker):
    """``make_invoke`` through ctypes, as a closure over everything it touches (where
    the C extension was not built)."""
    ctx = sb.ctx
    args = (ffi.ValRaw * 2)()
    args_p = ffi.ptr(args)
    a0 = c_int32.from_buffer(args)  # from_buffer keeps ``args`` alive; args_p alone would not
    a1 = c_int32.from_buffer(args, 16)
    a0u = c_uint32.from_buffer(args)
    r64 = c_uint64.from_buffer(args)
    trap, trap_p = sb._trap, sb._trap_p
    f_alloc = ffi.ptr(sb.externs["wasmhost_alloc"].of.func)
    f_handle = ffi.ptr(sb.externs["wasmhost_handle"].of.func)
    mem_p = sb.memory_p
    fuel_c, ticks_c = c_uint64(fuel), c_uint64(ticks)
    fuel_out, fuel_out_p = sb.fuel_out, sb.fuel_out_p
    call, set_fuel, set_deadline = ffi.func_call, ffi.set_fuel, ffi.set_epoch_deadline
    get_fuel, mem_size = ffi.get_fuel, ffi.memory_data_size
    limit = sb.memory_limit
    deadline_epoch = -1  # ticker.epoch when this store's deadline was last set
    counted, clock, due = ticker.counted, ticker.clock, ticker.due  # not counted (a POSIX timer's): every run
    # sets its deadline

    def fail(err, what):
        raise sb.failure(sb.adopt(err), what)

    def invoke(payload, budget=None):
        """``budget``: a shorter deadline, in ticks, for a speculative run (see
        Host.ainvoke); running past it raises InvocationTimeout like a timeout."""
        nonlocal deadline_epoch
        n = len(payload)
        set_fuel(ctx, fuel_c)
        if budget is not None:
            set_deadline(ctx, budget + due())  # (periods a late ticker has yet to add are not the run's to lose)
            deadline_epoch = -1  # the next normal run sets the full deadline again
        elif not counted:
            set_deadline(ctx, ticks_c)
        elif (now := clock.epoch + (late := due())) != deadline_epoch:  # else the deadline set before still
            deadline_epoch = now                                          # gives the full timeout
            set_deadline(ctx, ticks + late)
        a0.value = n
        err = call(ctx, f_alloc, args_p, 2, trap_p)
        if err or trap.value:
            fail(err, "wasmhost_alloc")
        p = a0u.value
        view = sb.view
        if p + n > len(view):
            view = sb.refresh_view()
            if p + n > len(view):
                raise _bad_alloc(sb, p, n, limit)
        if not p and n:
            raise _bad_alloc(sb, p, n, limit)
        view[p:p + n] = payload
        a0.value = p
        a1.value = n
        err = call(ctx, f_handle, args_p, 2, trap_p)
        if err or trap.value:
            fail(err, "wasmhost_handle")
        r = r64.value
        size = mem_size(ctx, mem_p)
        if size != len(view):
            view = sb.refresh_view()
        op = r >> 32
        end = op + (r & 0xFFFFFFFF)
        if end > size:
            raise InvalidResult(f"wasmhost_handle returned a result outside linear memory "
                                f"(ptr {op}, len {r & 0xFFFFFFFF}, memory {size} bytes)").usage(None, size)
        get_fuel(ctx, fuel_out_p)
        return bytes(view[op:end]), fuel - fuel_out.value, size

    return invoke


def _bad_alloc(sb: Sandbox, p: int, n: int, limit: int) -> InvocationError:
    size = sb.memory_size()
    if size + n > limit or size + 65536 > limit:
        exc: InvocationError = MemoryLimitExceeded(f"wasmhost_alloc({n}) failed at the memory limit ({limit >> 20} MB)")
    else:
        exc = InvalidResult(f"wasmhost_alloc({n}) returned an unusable buffer (ptr {p}, memory {size} bytes)")
    return exc.usage(sb.fuel_used(), size)
