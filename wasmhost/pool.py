"""Instances of one deployed function, kept warm between invocations.

The free list is a plain list used as a stack: ``pop()`` and ``append()`` are atomic
under the GIL, so the warm path takes no lock, and the most recently used instance
(the one with hot caches) is reused first. Growing, discarding and reaping take
the lock, because they change the count that ``max_concurrency`` bounds.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Callable

from .abi import Sandbox
from .errors import Throttled

# Every pool in the process: the pooling allocator's instance slots belong to the one
# engine they all share (engine/shared.py), so a full engine is relieved by evicting
# the least recently used idle instance of any function, not only of the one growing.
_POOLS: weakref.WeakSet[Pool] = weakref.WeakSet()
MAX_EVICTIONS = 64  # a component takes several core instance slots


def _out_of_slots(e: BaseException) -> bool:
    """The engine's pooling allocator is full (a core module's instantiation says so as
    Throttled, a component's as Wasmtime's own words)."""
    return "concurrent limit" in str(e)


def evict_idle() -> bool:
    """Drop the least recently used free instance of any pool; False if none is free."""
    oldest: tuple[int, Pool, Sandbox] | None = None
    for pool in list(_POOLS):
        free = pool.free
        if free and pool.total > pool.min_warm:
            try:
                sb = free[0]  # a stack: the bottom is the least recently used
            except IndexError:
                continue
            if oldest is None or sb.last_used < oldest[0]:
                oldest = (sb.last_used, pool, sb)
    if oldest is None:
        return False
    _, pool, sb = oldest
    try:
        pool.free.remove(sb)
    except ValueError:  # an invocation took it meanwhile: the caller tries again
        return True
    pool.discard(sb)
    return True


class Pool:
    def __init__(self, factory: Callable[[], Sandbox], *, max_concurrency: int, min_warm: int,
                 idle_ttl_s: float, renew: Callable[[Sandbox], None] | None = None) -> None:
        """``renew`` set means strict isolation: a used sandbox gets a fresh
        instance before it goes back on the free list, so no instance ever serves
        two invocations, and the next one still finds an instance ready."""
        self.factory = factory
        self.renew = renew
        self.strict = renew is not None
        self.max_concurrency = max_concurrency
        self.min_warm = min_warm
        self.idle_ttl_ns = int(idle_ttl_s * 1e9)
        self.free: list[Sandbox] = []
        self.total = 0  # live sandboxes, busy or free
        self.closed = False
        self._lock = threading.Lock()
        _POOLS.add(self)

    @property
    def busy(self) -> int:
        return self.total - len(self.free)

    def take_slot(self) -> None:
        """Count one more live instance, or throttle at ``max_concurrency``."""
        with self._lock:
            if self.closed:
                raise Throttled("function is being replaced or removed", reason="FunctionRemoved")
            if self.total >= self.max_concurrency:
                raise Throttled(f"Rate Exceeded: {self.max_concurrency} concurrent invocations is this function's limit")
            self.total += 1

    def give_slot(self) -> None:
        with self._lock:
            self.total -= 1

    def grow(self) -> tuple[Sandbox, int]:
        """A new sandbox for an invocation that found none free (a cold start);
        returns it with the nanoseconds its creation and init took."""
        self.take_slot()
        t = time.perf_counter_ns()
        evictions = 0
        while True:
            try:
                sb = self.factory()
                break
            except BaseException as e:
                if _out_of_slots(e) and evictions < MAX_EVICTIONS and evict_idle():
                    evictions += 1
                    continue
                self.give_slot()
                if _out_of_slots(e) and not isinstance(e, Throttled):
                    raise Throttled(f"no free instance slot in this host: {e} (EngineSettings.pool_slots)",
                                    reason="ConcurrentInvocationLimitExceeded") from e
                raise
        return sb, time.perf_counter_ns() - t

    def release(self, sb: Sandbox, now_ns: int) -> None:
        if self.closed:
            self.discard(sb)
            return
        if self.renew is not None:
            try:
                self.renew(sb)
            except Exception:  # its init failed: the next invocation grows and reports it
                self.give_slot()
                return
        sb.last_used = now_ns
        self.free.append(sb)

    def discard(self, sb: Sandbox) -> None:
        sb.close()
        self.give_slot()

    def prewarm(self, n: int | None = None) -> None:
        """Create instances ahead of requests (Lambda's provisioned concurrency)."""
        want = self.min_warm if n is None else n
        while len(self.free) < want:
            sb, _ = self.grow()
            sb.last_used = time.perf_counter_ns()
            self.free.append(sb)

    def reap(self, now_ns: int) -> int:
        """Drop free instances idle longer than the TTL, keeping ``min_warm``."""
        dropped = 0
        for sb in list(self.free):  # oldest first
            if self.total <= self.min_warm or now_ns - sb.last_used < self.idle_ttl_ns:
                break
            try:
                self.free.remove(sb)
            except ValueError:  # an invocation took it meanwhile
                continue
            self.discard(sb)
            dropped += 1
        return dropped

    def close(self) -> None:
        with self._lock:
            self.closed = True
        while self.free:
            try:
                sb = self.free.pop()
            except IndexError:
                break
            self.discard(sb)
