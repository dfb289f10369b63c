"""The capability contract: everything a guest can reach beyond its own memory.

In the spirit of Spin's "factors", each capability is one module here that

- **links its imports**: ``IMPORTS`` are the core-module imports it provides in the
  ``wasmhost`` import module, ``{name: (params, results, callback)}``;
  ``COMPONENT_IMPORTS`` are the functions it provides to the language runtimes'
  ``host`` interface (guest_sdk/wit/), ``{name: (results, callback)}`` (string and
  bool arguments, a tuple of ``results`` types back). A callback gets the
  calling guest (found from the caller's store: no process-wide table) and the
  guest's arguments;
- **creates its per-instance state**: ``new_state(grants)`` returns what one
  instance keeps (a connection counter, a pending reply), stored in ``guest.caps[NAME]``,
  or ``None`` when the capability keeps nothing;
- **declares its side effects**: ``SIDE_EFFECTS`` is true when a call can change
  something outside the instance (a request sent, a value stored). A function whose
  capabilities have side effects is never run speculatively, so never twice;
- optionally **ends invocations**: with ``ENDS_INVOCATIONS = True`` its state's
  ``end_invocation()`` runs when each invocation of the instance ends, failed or
  not (kv commits the writes it buffered). Functions without such a capability
  pay nothing for it on the warm path.

Adding a capability is adding a module to ``ALL``; the ABIs, the pool and the
function path need no change. What a function is *granted* (which hosts, which
named stores) comes from its ``FunctionConfig`` as a ``Grants``; a capability
refuses at call time what was not granted, with a message naming the setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Protocol

import wasmtime

from ..engine import ffi
from . import context, error, http, kv, log

if TYPE_CHECKING:
    from ..backends.kv import KVBackend

IMPORT_MODULE = "wasmhost"
# The runtimes' host interface (guest_sdk/wit/*.wit: ``interface host``).
COMPONENT_INTERFACE = "wasmhost:runtime/host@0.1.0"

CoreImport = tuple[tuple[str, ...], tuple[str, ...], Callable[..., Any]]


class Capability(Protocol):
    """What every module in ``ALL`` provides (a module satisfies a Protocol)."""

    NAME: str
    SIDE_EFFECTS: bool
    IMPORTS: Mapping[str, CoreImport]
    COMPONENT_IMPORTS: Mapping[str, tuple[tuple[str, ...], Callable[..., Any]]]

    def new_state(self, grants: "Grants") -> Any: ...


@dataclass(frozen=True)
class Grants:
    """What one function may use: built at deploy from its config and the host's
    services, handed to each capability's ``new_state``."""

    function: str
    allowed_hosts: tuple[str, ...] = ()
    kv_stores: tuple[str, ...] = ()
    kv: "KVBackend | None" = None


ALL: tuple[Capability, ...] = (log, context, error, http, kv)  # type: ignore[assignment]
_BY_IMPORT: dict[str, tuple[Capability, CoreImport]] = {
    name: (cap, entry) for cap in ALL for name, entry in cap.IMPORTS.items()}


def signature(name: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The type of the core import ``wasmhost.<name>``, or ``None`` if there is none."""
    found = _BY_IMPORT.get(name)
    return None if found is None else (found[1][0], found[1][1])


def import_names() -> list[str]:
    return sorted(_BY_IMPORT)


def used_by(import_names: Iterable[str]) -> tuple[Capability, ...]:
    """The capabilities a core module reaches, from the names it imports from ``wasmhost``."""
    used = {id(_BY_IMPORT[n][0]) for n in import_names if n in _BY_IMPORT}
    return tuple(cap for cap in ALL if id(cap) in used)


def side_effects(caps: Iterable[Capability]) -> bool:
    return any(cap.SIDE_EFFECTS for cap in caps)


def close_states(states: dict[str, Any]) -> None:
    """An instance is going: let each state release what it holds (connections).
    States stay usable (strict isolation renews the instance, not the grants)."""
    for state in states.values():
        close = getattr(state, "close", None)
        if close is not None:
            close()


def ending(caps: Iterable[Capability]) -> tuple[str, ...]:
    """The names of the capabilities whose state is told when an invocation ends."""
    return tuple(cap.NAME for cap in caps if getattr(cap, "ENDS_INVOCATIONS", False))


def end_invocation(states: dict[str, Any], names: tuple[str, ...]) -> None:
    """An invocation ended: tell the states of ``names`` (``ending``) that have one."""
    for name in names:
        state = states.get(name)
        if state is not None:
            state.end_invocation()


def new_states(caps: Iterable[Capability], grants: Grants) -> dict[str, Any]:
    """Each capability's per-instance state (the ones that keep some)."""
    states = {}
    for cap in caps:
        state = cap.new_state(grants)
        if state is not None:
            states[cap.NAME] = state
    return states


_VT = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64}


def _core_trampoline(callback: Callable[..., Any]) -> Callable[..., Any]:
    owner_of = ffi.owner_of

    def trampoline(caller: wasmtime.Caller, *args: int) -> Any:
        return callback(owner_of(caller), *args)
    return trampoline


def define_core(linker: wasmtime.Linker) -> None:
    """Add every capability's core imports to ``linker`` (shared by all functions of an
    engine: the callbacks find their guest through the store)."""
    for name, (_, (params, results, callback)) in _BY_IMPORT.items():
        ty = wasmtime.FuncType([_VT[p]() for p in params], [_VT[r]() for r in results])
        linker.define_func(IMPORT_MODULE, name, ty, _core_trampoline(callback), access_caller=True)


def define_component(linker: Any) -> None:
    """Add every capability's component imports to a component ``linker``, as the
    instance ``COMPONENT_INTERFACE`` the runtime worlds import."""
    host = linker.root().add_instance(COMPONENT_INTERFACE)
    for cap in ALL:
        for name, (results, callback) in cap.COMPONENT_IMPORTS.items():
            ffi.add_component_func(host, name, callback, results)


__all__ = ["ALL", "COMPONENT_INTERFACE", "Capability", "Grants", "IMPORT_MODULE", "close_states", "define_component",
           "define_core", "end_invocation", "ending", "import_names", "new_states", "side_effects", "signature",
           "used_by"]
