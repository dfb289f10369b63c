"""A pure-Python stand-in for rpds-py's native module ``rpds.rpds``, loaded in its place
when a function's rpds-py has only its native form (wasmhost_runtime's _NativeFinder).

Why: rpds-py (Rust) is what ``referencing``, and so every jsonschema since 4.18, keeps
its registries in; it has no pure-Python form and no WebAssembly build, so without this
``import jsonschema`` fails, and jsonschema is among the packages Lambda functions
bring most. Its API is small (persistent map, set, list and queue), and those packages
use it for small registries, so a copy-on-write version over Python's own dict,
frozenset and tuple gives the same answers at a cost that does not show. pyrsistent,
the pure-Python library of the same kind, has a different API: a wrapper over it would
be as long as this and slower.

Names, methods, errors and reprs follow rpds-py's (``HashTrieMap({'a': 1})``); where rpds-py
refuses a plain set as an operand (``HashTrieSet() | {1}``) this one takes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from typing import Any, Iterator

__all__ = ["HashTrieMap", "HashTrieSet", "List", "Queue"]


def _pairs(value: Any) -> Iterable:
    return value.items() if isinstance(value, Mapping) else value


class HashTrieMap(Mapping):
    """An immutable mapping: every change returns a new map."""

    __slots__ = ("_d",)

    def __init__(self, value: Any = (), **kwds: Any) -> None:
        d = dict(_pairs(value))
        d.update(kwds)
        self._d = d

    @classmethod
    def _of(cls, d: dict) -> HashTrieMap:
        m = cls.__new__(cls)
        m._d = d
        return m

    @classmethod
    def convert(cls, value: Any) -> HashTrieMap:
        return value if isinstance(value, HashTrieMap) else cls(value)

    @classmethod
    def fromkeys(cls, keys: Iterable, value: Any = None) -> HashTrieMap:
        return cls._of(dict.fromkeys(keys, value))

    def __getitem__(self, key: Any) -> Any:
        return self._d[key]

    def __iter__(self) -> Iterator:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HashTrieMap) and self._d == other._d  # never equal to a dict, as rpds-py's

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(frozenset(self._d.items()))  # a TypeError for unhashable values, as rpds-py's

    def __repr__(self) -> str:
        return f"HashTrieMap({self._d!r})"

    def __reduce__(self) -> tuple:
        return (HashTrieMap, (self._d,))

    def insert(self, key: Any, val: Any) -> HashTrieMap:
        d = dict(self._d)
        d[key] = val
        return self._of(d)

    def remove(self, key: Any) -> HashTrieMap:
        if key not in self._d:
            raise KeyError(key)
        return self.discard(key)

    def discard(self, key: Any) -> HashTrieMap:
        if key not in self._d:
            return self
        d = dict(self._d)
        del d[key]
        return self._of(d)

    def update(self, *args: Any) -> HashTrieMap:
        d = dict(self._d)
        for arg in args:
            d.update(_pairs(arg))
        return self._of(d)


class HashTrieSet(Set):
    """An immutable set: every change returns a new set."""

    __slots__ = ("_s",)

    def __init__(self, value: Iterable = ()) -> None:
        self._s = frozenset(value)

    @classmethod
    def _from_iterable(cls, it: Iterable) -> HashTrieSet:  # what Set's operators build their answers with
        return cls(it)

    def __contains__(self, value: object) -> bool:
        return value in self._s

    def __iter__(self) -> Iterator:
        return iter(self._s)

    def __len__(self) -> int:
        return len(self._s)

    def __hash__(self) -> int:
        return hash(self._s)

    def __repr__(self) -> str:
        return f"HashTrieSet({set(self._s)!r})" if self._s else "HashTrieSet({})"

    def __reduce__(self) -> tuple:
        return (HashTrieSet, (list(self._s),))

    def insert(self, value: Any) -> HashTrieSet:
        return HashTrieSet(self._s | {value})

    def remove(self, value: Any) -> HashTrieSet:
        if value not in self._s:
            raise KeyError(value)
        return HashTrieSet(self._s - {value})

    def discard(self, value: Any) -> HashTrieSet:
        return HashTrieSet(self._s - {value}) if value in self._s else self

    def update(self, *args: Iterable) -> HashTrieSet:
        return HashTrieSet(self._s.union(*args))

    def union(self, other: Iterable) -> HashTrieSet:
        return HashTrieSet(self._s.union(other))

    def intersection(self, other: Iterable) -> HashTrieSet:
        return HashTrieSet(self._s.intersection(other))

    def difference(self, other: Iterable) -> HashTrieSet:
        return HashTrieSet(self._s.difference(other))

    def symmetric_difference(self, other: Iterable) -> HashTrieSet:
        return HashTrieSet(self._s.symmetric_difference(other))


class _Sequence:
    """What List and Queue share: a tuple inside, compared, hashed and shown as rpds-py's."""

    __slots__ = ("_t",)

    def __init__(self, value: Any = (), *more: Any) -> None:
        self._t = tuple((value, *more)) if more else tuple(value)

    @classmethod
    def _of(cls, t: tuple) -> Any:
        s = cls.__new__(cls)
        s._t = t
        return s

    def __iter__(self) -> Iterator:
        return iter(self._t)

    def __len__(self) -> int:
        return len(self._t)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._t == other._t  # type: ignore[attr-defined]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._t))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self._t)!r})"

    def __reduce__(self) -> tuple:
        return (type(self), (list(self._t),))


class List(_Sequence):
    """An immutable singly linked list: new items go to the front."""

    __slots__ = ()

    @property
    def first(self) -> Any:
        if not self._t:
            raise IndexError("empty list has no first element")
        return self._t[0]

    @property
    def rest(self) -> List:
        return self._of(self._t[1:])

    def push_front(self, value: Any) -> List:
        return self._of((value,) + self._t)

    def drop_first(self) -> List:
        if not self._t:
            raise IndexError("empty list has no first element")
        return self._of(self._t[1:])

    def __reversed__(self) -> Iterator:
        return reversed(self._t)


class Queue(_Sequence):
    """An immutable first-in first-out queue."""

    __slots__ = ()

    def is_empty(self) -> bool:  # a method, not a property, as rpds-py's own (its stub says otherwise)
        return not self._t

    def peek(self) -> Any:
        if not self._t:
            raise IndexError("peeked an empty queue")
        return self._t[0]

    def enqueue(self, value: Any) -> Queue:
        return self._of(self._t + (value,))

    def dequeue(self) -> Queue:
        if not self._t:
            raise IndexError("dequeued an empty queue")
        return self._of(self._t[1:])


for _cls in (HashTrieMap, HashTrieSet, List, Queue):
    _cls.__module__ = "rpds"  # where rpds-py's own classes say they are (pickles name them there)
