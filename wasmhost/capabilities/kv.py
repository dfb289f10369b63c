"""Key-value state that outlives instances and restarts.

Every function has its own store (shared by its versions; nobody else can open it).
Named stores are shared by the functions granted them (``FunctionConfig.kv_stores``,
the Lambda tag ``wasmhost:kv-stores``). Values are bytes, keys are non-empty UTF-8
strings; quotas: keys up to ``MAX_KEY`` bytes, values up to ``MAX_VALUE`` bytes, and a
``keys()`` listing returns at most ``MAX_LIST`` keys. A refused call is an error in the
guest that says which quota or setting. The data sit in the host's KV backend
(SQLite in the data dir: wasmhost/backends/kv.py).

Guest interfaces (guest_sdk/ABI.md): core modules import ``kv_get``, ``kv_set``,
``kv_delete``, ``kv_keys`` and ``kv_reply`` from ``wasmhost`` (an empty store name is
the function's own store); the runtimes' WIT ``host`` interface has ``kv-get``,
``kv-set``, ``kv-delete``, ``kv-keys``, values carried as latin-1 strings.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgpack

NAME = "kv"
SIDE_EFFECTS = True  # a set or delete changes state other invocations see
ENDS_INVOCATIONS = True  # its state's end_invocation() runs when each invocation ends

MAX_KEY = 1024
MAX_VALUE = 1024 * 1024
MAX_LIST = 10_000
STORE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SETTING = "FunctionConfig.kv_stores / Lambda tag wasmhost:kv-stores"


class KVError(Exception):
    """A refused KV call (sent to the guest as an error)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def parse_store_names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # commas or spaces (a Lambda tag value allows no commas)
        value = tuple(p for p in re.split(r"[,\s]+", value) if p)
    names = tuple(value)
    for n in names:
        if not isinstance(n, str) or not STORE_RE.match(n):
            from ..errors import DeployError
            raise DeployError(f"kv_stores entries must match [A-Za-z0-9_.-]{{1,64}}, not {n!r}")
    return names


class KVState:
    """One instance's view of the KV backend: which stores it may open, the core
    ABI's pending reply, and whether the current invocation wrote (its writes are
    made durable when it ends: ``end_invocation``)."""

    def __init__(self, backend, function: str, granted: tuple[str, ...]) -> None:
        self.backend = backend
        self.own = "fn/" + function
        self.granted = frozenset(granted)
        self.reply = b""
        self.wrote = False
        self._flush = getattr(backend, "flush", None)  # a backend that group-commits (backends/kv.py)

    def end_invocation(self) -> None:
        if self.wrote:
            self.wrote = False
            if self._flush is not None:
                try:
                    self._flush()
                except Exception:  # the writes stay pending, visible here; the janitor tries again
                    import logging
                    logging.getLogger("wasmhost").exception("committing key-value writes failed")

    def store(self, name: str) -> str:
        """The backend's store id for the guest's store ``name`` ("": its own)."""
        if self.backend is None:
            raise KVError("Unavailable", "this host has no key-value backend")
        if not name:
            return self.own
        if name not in self.granted:
            raise KVError("StoreNotGranted", f"key-value store {name!r} is not granted to this function; "
                                             f"add it to {SETTING}")
        return "store/" + name

    @staticmethod
    def key(key: str) -> str:
        n = len(key.encode("utf-8", "surrogatepass"))
        if not n:
            raise KVError("InvalidKey", "a key must not be empty")
        if n > MAX_KEY:
            raise KVError("KeyTooLarge", f"key of {n} bytes exceeds the {MAX_KEY}-byte key limit")
        return key

    def get(self, store: str, key: str) -> bytes | None:
        return self.backend.get(self.store(store), self.key(key))

    def set(self, store: str, key: str, value: bytes) -> None:
        sid, k = self.store(store), self.key(key)
        if len(value) > MAX_VALUE:
            raise KVError("ValueTooLarge", f"value of {len(value)} bytes exceeds the {MAX_VALUE}-byte value limit")
        self.backend.set(sid, k, value)
        self.wrote = True

    def delete(self, store: str, key: str) -> bool:
        return self.backend.delete(self.store(store), self.key(key))

    def keys(self, store: str, prefix: str) -> list[str]:
        return self.backend.keys(self.store(store), prefix, MAX_LIST)


def new_state(grants) -> KVState:
    return KVState(grants.kv, grants.function, grants.kv_stores)


# -- the core ABI: a negative result is -1 "absent" or -2 "error, message in the reply" --------
def _text(guest, ptr: int, length: int) -> str:
    return guest.read(ptr, length).decode("utf-8")


def _refused(state: KVState, e: Exception) -> int:
    kind = e.kind if isinstance(e, KVError) else "InvalidKey"
    state.reply = f"{kind}: {e}".encode()
    return -2


def _kv_get(guest, sp: int, sl: int, kp: int, kl: int) -> int:
    state: KVState = guest.caps[NAME]
    try:
        value = state.get(_text(guest, sp, sl), _text(guest, kp, kl))
    except (KVError, UnicodeDecodeError) as e:
        return _refused(state, e)
    if value is None:
        return -1
    state.reply = value
    return len(value)


def _kv_set(guest, sp: int, sl: int, kp: int, kl: int, vp: int, vl: int) -> int:
    state: KVState = guest.caps[NAME]
    try:
        if vl > MAX_VALUE:  # before reading it: the quota, not an out-of-bounds read
            raise KVError("ValueTooLarge", f"value of {vl} bytes exceeds the {MAX_VALUE}-byte value limit")
        state.set(_text(guest, sp, sl), _text(guest, kp, kl), guest.read(vp, vl))
    except (KVError, UnicodeDecodeError) as e:
        return _refused(state, e)
    return 0


def _kv_delete(guest, sp: int, sl: int, kp: int, kl: int) -> int:
    state: KVState = guest.caps[NAME]
    try:
        return int(state.delete(_text(guest, sp, sl), _text(guest, kp, kl)))
    except (KVError, UnicodeDecodeError) as e:
        return _refused(state, e)


def _kv_keys(guest, sp: int, sl: int, pp: int, pl: int) -> int:
    state: KVState = guest.caps[NAME]
    try:
        state.reply = msgpack.packb(state.keys(_text(guest, sp, sl), _text(guest, pp, pl)))
    except (KVError, UnicodeDecodeError) as e:
        return _refused(state, e)
    return len(state.reply)


def _kv_reply(guest, ptr: int, cap: int) -> int:
    reply = guest.caps[NAME].reply
    if len(reply) <= cap:
        guest.write(ptr, reply)
    return len(reply)


IMPORTS = {
    "kv_get": (("i32", "i32", "i32", "i32"), ("i32",), _kv_get),
    "kv_set": (("i32", "i32", "i32", "i32", "i32", "i32"), ("i32",), _kv_set),
    "kv_delete": (("i32", "i32", "i32", "i32"), ("i32",), _kv_delete),
    "kv_keys": (("i32", "i32", "i32", "i32"), ("i32",), _kv_keys),
    "kv_reply": (("i32", "i32"), ("i32",), _kv_reply),
}


# -- the runtimes' host interface: (1, value) found, (0, "") absent, (-2, "Kind: message") refused ----
def _refusals(call):
    def run(guest, *args):
        try:
            return call(guest.caps[NAME], *args)
        except KVError as e:
            return -2, f"{e.kind}: {e}"
    return run


@_refusals
def _get(state: KVState, store: str, key: str) -> tuple[int, str]:
    value = state.get(store, key)
    return (0, "") if value is None else (1, value.decode("latin-1"))


@_refusals
def _set(state: KVState, store: str, key: str, value: str) -> tuple[int, str]:
    state.set(store, key, value.encode("latin-1"))
    return 0, ""


@_refusals
def _delete(state: KVState, store: str, key: str) -> tuple[int, str]:
    return int(state.delete(store, key)), ""


@_refusals
def _keys(state: KVState, store: str, prefix: str) -> tuple[int, str]:
    return 0, json.dumps(state.keys(store, prefix))


_RESULT = ("s32", "string")
COMPONENT_IMPORTS = {"kv-get": (_RESULT, _get), "kv-set": (_RESULT, _set), "kv-delete": (_RESULT, _delete),
                     "kv-keys": (_RESULT, _keys)}
