"""The raw Wasmtime C API, bound once for the hot path.

wasmtime-py's public call path rebuilds function types and converts values on every
call (~80 µs per warm echo here); calling the C API directly with prebuilt argument
buffers costs ~2 µs. Everything private to wasmtime-py that wasmhost touches is in
this one module, so a wasmtime upgrade is checked in one place (the version is
pinned in pyproject.toml, and tests/engine/test_ffi.py compares this path with the
public one).

The library is loaded through ``ctypes.CDLL``, so the GIL is released while guest
code runs: other Python threads (other invocations, the epoch ticker that enforces
wall-clock timeouts) keep running. ``PyDLL`` would save ~0.1 µs per call but would
freeze every other thread while a guest spins; see guest_sdk/ABI.md and
bench/bench_core.py for the measurement.
"""

from __future__ import annotations

import ctypes
import sys
import weakref
from ctypes import CFUNCTYPE, POINTER, c_int64, c_size_t, c_void_p, cast
from typing import Any

import wasmtime
from wasmtime import Trap, WasmtimeError
from wasmtime import _ffi as _wffi
from wasmtime import _func as _wfunc
from wasmtime import _value as _wvalue

# wasmtime.component (~20 ms of imports) loads with the first component guest (abi/component.py),
# not with ``import wasmhost``: this module reaches its ``_enter`` through sys.modules.
_ENTER = "wasmtime.component._enter"

WASMTIME_VERSION = "50.0.1"

lib = ctypes.CDLL(_wffi.dll._name)  # same library, GIL released during calls
glib = ctypes.PyDLL(_wffi.dll._name)  # GIL held: for calls that never run guest code


def _fn(name: str, restype, dll=lib):
    f = getattr(dll, name)
    f.restype = restype  # no argtypes: arguments are passed prebuilt as c_void_p / ints
    return f


# Guest code runs only inside these, so only they release the GIL.
func_call = _fn("wasmtime_func_call_unchecked", c_void_p)
instance_pre_instantiate = _fn("wasmtime_instance_pre_instantiate", c_void_p)
func_call_gil = _fn("wasmtime_func_call_unchecked", c_void_p, glib)  # for bench/ only
# Bookkeeping calls return in nanoseconds; keeping the GIL saves ~0.1 µs each.
set_fuel = _fn("wasmtime_context_set_fuel", c_void_p, glib)
get_fuel = _fn("wasmtime_context_get_fuel", c_void_p, glib)
set_epoch_deadline = _fn("wasmtime_context_set_epoch_deadline", None, glib)
memory_data = _fn("wasmtime_memory_data", c_void_p, glib)
memory_data_size = _fn("wasmtime_memory_data_size", c_size_t, glib)
store_new = _fn("wasmtime_store_new", c_void_p)
store_context = _fn("wasmtime_store_context", c_void_p)
store_delete = _fn("wasmtime_store_delete", None)
store_limiter = _fn("wasmtime_store_limiter", None)
instance_export_nth = _fn("wasmtime_instance_export_nth", ctypes.c_bool)
context_set_wasi = _fn("wasmtime_context_set_wasi", c_void_p)
engine_increment_epoch = _fn("wasmtime_engine_increment_epoch", None)

store_limiter.argtypes = [c_void_p, c_int64, c_int64, c_int64, c_int64, c_int64]

ValRaw = _wffi.wasmtime_val_raw
Func = _wffi.wasmtime_func
Memory = _wffi.wasmtime_memory
Extern = _wffi.wasmtime_extern
InstanceRaw = _wffi.wasmtime_instance
EXTERN_FUNC = _wffi.WASMTIME_EXTERN_FUNC.value
EXTERN_MEMORY = _wffi.WASMTIME_EXTERN_MEMORY.value


def ptr(obj) -> c_void_p:
    """A prebuilt pointer argument to a ctypes object that must be kept alive by the caller."""
    return c_void_p(ctypes.addressof(obj))


def addr(p) -> int:
    """The integer address behind a wasmtime-py pointer object."""
    return cast(p, c_void_p).value or 0


def take_trap(address: int) -> Trap:
    """Adopt a raw ``wasm_trap_t*`` (wasmtime-py frees it)."""
    return Trap._from_ptr(cast(address, POINTER(_wffi.wasm_trap_t)))


def take_error(address: int) -> WasmtimeError:
    """Adopt a raw ``wasmtime_error_t*``; an exit status becomes ``wasmtime.ExitTrap``."""
    return WasmtimeError._from_ptr(cast(address, POINTER(_wffi.wasmtime_error_t)))


def engine_ptr(engine: wasmtime.Engine) -> c_void_p:
    return c_void_p(addr(engine.ptr()))


def instance_pre_ptr(pre: wasmtime.InstancePre) -> c_void_p:
    return c_void_p(addr(pre.ptr()))


def set_wasi(ctx: c_void_p, wasi: wasmtime.WasiConfig) -> None:
    err = context_set_wasi(ctx, c_void_p(addr(wasi._consume())))
    if err:
        raise take_error(err)


# -- a guest's host object, found from inside a host import ------------------------------
# A store's data pointer names the Python object that owns the store (a sandbox), so a
# host import finds its caller's per-instance state with no process-wide table. The
# slot holds a weak reference: the sandbox owns the store, never the other way round.
context_get_data = _fn("wasmtime_context_get_data", c_void_p, glib)
_slab = _wvalue.SLAB


def owner_handle(owner: object) -> int:
    """A handle naming ``owner`` for the stores it creates (``store_new_for``). Taken
    once per owner, not per store: a strict-isolation sandbox makes a store per
    invocation, and a per-store handle would cost a finalizer call from C back into
    Python at every ``store_delete``. Give it back with ``release_owner``."""
    return _wvalue._intern(weakref.ref(owner))


def release_owner(handle: int) -> None:
    _slab.deallocate(handle - 1)


def store_new_for(engine: c_void_p, handle: int) -> c_void_p:
    """A raw ``wasmtime_store_t*`` whose data is ``handle`` (``owner_handle``: core
    guests); the store does not own the handle."""
    return c_void_p(store_new(engine, c_void_p(handle), None))


def owner_of(storelike) -> Any:
    """The object a store was created for (``store_data_for``), from a host import's
    ``Caller`` or a component import's store context; ``None`` once it is gone."""
    idx = context_get_data(storelike._context())
    return _slab.get(idx - 1)() if idx else None


def new_store_for(engine: wasmtime.Engine, owner: object) -> wasmtime.Store:
    """A public ``wasmtime.Store`` whose data names ``owner`` (component guests)."""
    return wasmtime.Store(engine, data=weakref.ref(owner))


def take_host_exception() -> BaseException | None:
    """The exception a host import raised, if a trap came from one. wasmtime-py keeps it
    in module globals (one for core functions, one for components) for its own call
    path; left there it would resurface in some later, unrelated call."""
    exc, _wfunc.LAST_EXCEPTION = _wfunc.LAST_EXCEPTION, None
    enter: Any = sys.modules.get(_ENTER)  # None: no component guest yet, so no component exception
    comp = None
    if enter is not None:
        comp, enter.LAST_EXCEPTION = enter.LAST_EXCEPTION, None
    return exc or comp


# -- WASI and engine settings that wasmtime-py does not expose -----------------------------
def set_stdin_bytes(cfg: wasmtime.WasiConfig, data: bytes) -> None:
    vec = _wffi.wasm_byte_vec_t()
    buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if data else None
    _wffi.wasm_byte_vec_new(ctypes.byref(vec), len(data), buf)
    _wffi.wasi_config_set_stdin_bytes(cfg.ptr(), ctypes.byref(vec))


def use_pooling_allocator(cfg: wasmtime.Config, slots: int, max_memory: int, max_instance: int,
                          keep_resident: int = 0) -> None:
    """Wasmtime's pooling allocator (reachable only through the C API). ``keep_resident``
    bytes of each memory and table of a freed slot are reset in place and stay mapped
    (see EngineSettings)."""
    pc = _wffi.wasmtime_pooling_allocation_config_new()
    try:
        _wffi.wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(pc, keep_resident)
        _wffi.wasmtime_pooling_allocation_config_table_keep_resident_set(pc, keep_resident)
        _wffi.wasmtime_pooling_allocation_config_total_core_instances_set(pc, slots)
        _wffi.wasmtime_pooling_allocation_config_total_memories_set(pc, slots)
        _wffi.wasmtime_pooling_allocation_config_total_tables_set(pc, slots)
        _wffi.wasmtime_pooling_allocation_config_max_memory_size_set(pc, max_memory)
        _wffi.wasmtime_pooling_allocation_config_max_core_instance_size_set(pc, max_instance)
        _wffi.wasmtime_pooling_allocation_strategy_set(cfg.ptr(), pc)
    finally:
        _wffi.wasmtime_pooling_allocation_config_delete(pc)


# -- component host functions without per-call type reflection ------------------------------------
# wasmtime-py's ``LinkerInstance.add_func`` reflects the function's type on every call (a
# dozen ctypes calls, ~100 µs per host call here): a KV get from Python cost 140 µs.
# The capabilities' component imports take strings and bools and return a tuple of
# integers and strings, so their trampoline reads the arguments by their kind tag and
# writes results from the types the capability declares.
_C_STRING = _wffi.WASMTIME_COMPONENT_STRING.value
_C_BOOL = _wffi.WASMTIME_COMPONENT_BOOL.value
_C_TUPLE = _wffi.WASMTIME_COMPONENT_TUPLE.value
_RESULT_KINDS = {"string": _C_STRING, "s32": _wffi.WASMTIME_COMPONENT_S32.value,
                 "u16": _wffi.WASMTIME_COMPONENT_U16.value}
_COMPONENT_FUNCS: list[tuple[Any, tuple[str, ...]]] = []
_byte_vec_delete = _wffi.wasm_byte_vec_delete
_byte_vec_new = _wffi.wasm_byte_vec_new
_valtuple_new_uninit = _wffi.wasmtime_component_valtuple_new_uninit


@_wffi.wasmtime_component_func_callback_t
def _component_trampoline(env, context, ty, args, nargs, results, nresults):
    try:
        callback, kinds = _COMPONENT_FUNCS[env or 0]
        pyargs: list[Any] = []
        for i in range(nargs):
            val = args[i]
            if val.kind == _C_STRING:
                vec = val.of.string
                pyargs.append(ctypes.string_at(vec.data, vec.size).decode("utf-8") if vec.size else "")
                _byte_vec_delete(ctypes.byref(vec))
            elif val.kind == _C_BOOL:
                pyargs.append(bool(val.of.boolean))
            else:
                raise TypeError(f"unsupported component argument kind {val.kind}")
        idx = context_get_data(context)
        owner = _slab.get(idx - 1)() if idx else None
        out = callback(owner, *pyargs)
        tup = _wffi.wasmtime_component_valtuple_t()
        _valtuple_new_uninit(ctypes.byref(tup), len(kinds))
        for i, (kind, value) in enumerate(zip(kinds, out)):
            slot = tup.data[i]
            slot.kind = _RESULT_KINDS[kind]
            if kind == "string":
                data = value.encode("utf-8")
                buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if data else None
                _byte_vec_new(ctypes.byref(slot.of.string), len(data), buf)
            elif kind == "s32":
                slot.of.s32 = value
            else:
                slot.of.u16 = value
        results[0].kind = _C_TUPLE
        results[0].of.tuple = tup
        return 0
    except BaseException as e:  # the guest traps; the call that entered it re-raises this
        sys.modules[_ENTER].LAST_EXCEPTION = e  # loaded: only a component guest calls this
        return ctypes.cast(WasmtimeError("python exception")._consume(), c_void_p).value


@CFUNCTYPE(None, c_void_p)
def _no_finalizer(env):
    return None


def add_component_func(instance: Any, name: str, callback: Any, results: tuple[str, ...]) -> None:
    """Define ``name`` in a component linker instance: ``callback(owner, *args)`` with string
    and bool arguments, returning a tuple of ``results`` (``string``, ``s32``, ``u16``)."""
    _COMPONENT_FUNCS.append((callback, results))
    raw = name.encode()
    err = _wffi.wasmtime_component_linker_instance_add_func(
        instance.ptr(), ctypes.create_string_buffer(raw), len(raw), _component_trampoline,
        len(_COMPONENT_FUNCS) - 1, _no_finalizer)
    if err:
        raise WasmtimeError._from_ptr(err)


# -- component exports called without per-call type reflection ------------------------------------
# ``wasmtime.component.Func.__call__`` reflects the function's type and converts every value
# through it on each call (~100 µs for a runtime's ``handle`` here). A runtime's exports take
# strings and u64s and return a u32 or result<string, string>: ``ComponentFunc`` keeps one
# argument array per export, points its strings at the caller's bytes (the C API only
# reads arguments) and reads the result by its kind tag.
class _Name(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("data", ctypes.c_char_p)]


class _Of(ctypes.Union):
    _fields_ = [("u32", ctypes.c_uint32), ("u64", ctypes.c_uint64), ("string", _Name),
                ("_size", ctypes.c_uint8 * ctypes.sizeof(_wffi.wasmtime_component_valunion))]


class _Val(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_uint8), ("of", _Of)]


_VAL_SIZE = ctypes.sizeof(_wffi.wasmtime_component_val_t)
assert ctypes.sizeof(_Val) == _VAL_SIZE
_C_U32 = _wffi.WASMTIME_COMPONENT_U32.value
_C_U64 = _wffi.WASMTIME_COMPONENT_U64.value
_C_RESULT = _wffi.WASMTIME_COMPONENT_RESULT.value
_component_call = _fn("wasmtime_component_func_call", c_void_p)  # runs guest code: GIL released
_component_post_return = _fn("wasmtime_component_func_post_return", c_void_p)
_component_val_delete = _fn("wasmtime_component_val_delete", None, glib)
_ValPtr = POINTER(_wffi.wasmtime_component_val_t)


class ComponentFunc:
    """A component export of a known signature, called with prebuilt buffers.

    ``params`` is a string of kinds: ``s`` a string (passed as UTF-8 ``bytes``), ``U`` a
    u64. The result is read as a u32 (an ``int``), or as result<string, string>
    (``(ok, UTF-8 bytes)``). A trap or a host import's exception is raised as the public call
    path raises it."""

    def __init__(self, func: Any, store: wasmtime.Store, params: str) -> None:
        self._func = func  # the wrapper owns the raw handle: keep it alive
        self._fp = ctypes.byref(func._func)
        self._ctx = store._context()
        self._args = (_Val * max(1, len(params)))()
        self._argp = cast(self._args, _ValPtr)
        self._n = len(params)
        for slot, kind in zip(self._args, params):
            slot.kind = _C_STRING if kind == "s" else _C_U64
        self._params = params
        self._result = _wffi.wasmtime_component_val_t()
        self._resp = ctypes.byref(self._result)

    def _enter(self, err: int | None) -> None:
        if err:
            error = take_error(err)
            exc = take_host_exception()
            raise exc if exc is not None else error

    def call(self, *args: Any) -> Any:
        for slot, kind, value in zip(self._args, self._params, args):
            if kind == "s":
                slot.of.string.size = len(value)
                slot.of.string.data = value
            else:
                slot.of.u64 = value
        try:
            self._enter(_component_call(self._fp, self._ctx, self._argp, self._n, self._resp, 1))
        finally:
            for slot, kind in zip(self._args, self._params):
                if kind == "s":
                    slot.of.string.data = None  # drop the reference to the caller's bytes
        res = self._result
        try:
            if res.kind == _C_U32:
                return res.of.u32
            if res.kind != _C_RESULT:
                raise TypeError(f"unsupported component result kind {res.kind}")
            inner = res.of.result.val
            text = ctypes.string_at(inner[0].of.string.data, inner[0].of.string.size) if inner else b""
            return res.of.result.is_ok, text
        finally:
            _component_val_delete(self._resp)
            ctypes.memset(self._resp, 0, _VAL_SIZE)  # the next call assigns over it: nothing left to drop
            self._enter(_component_post_return(self._fp, self._ctx))
