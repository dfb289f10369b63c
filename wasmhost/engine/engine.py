"""One Wasmtime engine per Host, configured for metering and limits.

Fuel and epoch interruption are always on: every invocation is metered and every
invocation can be stopped. The settings that change generated code are part of
``fingerprint`` so compiled artifacts are never loaded into an engine they were not
built for.
"""

from __future__ import annotations

import platform
from typing import Callable
from dataclasses import dataclass

import wasmtime
from .ffi import WASMTIME_VERSION, use_pooling_allocator

GiB = 1 << 30
MiB = 1 << 20
WASM_PAGE = 64 * 1024

MEMORY_RESERVATION = 4 * GiB  # every 32-bit memory fits: its base never moves
MEMORY_GUARD = 32 * MiB
# Per-instance metadata (the VMContext) grows with a module's functions; Wasmtime's
# default 1 MiB cap refuses modules of ~40k functions (a 5 MB module has 190k).
MAX_INSTANCE_SIZE = 16 * MiB


@dataclass(frozen=True)
class EngineSettings:
    """How the engine allocates instances.

    ``allocator``: ``"pooling"`` pre-reserves ``pool_slots`` instance slots (fastest
    fresh instantiation), ``"ondemand"`` maps memory per instance, ``"auto"`` takes
    pooling when the address space for it can be reserved here.

    ``keep_resident``: bytes of each memory (and table) of a freed pool slot that are
    reset in place (the memory image copied back, the rest zeroed) and stay mapped, so
    the next instance in that slot starts without page faults. A Python runtime
    instance touched ~600 pages of its 21 MB memory while loading a handler, each
    a copy-on-write fault: 60-75 % of its init. The price: freeing a slot copies up to
    that many bytes (~2 ms for Python, off the response path), and memory freed by
    instances is not given back to the system but kept for the next ones (the process's
    resident size stays near its high-water mark of live instances). 0: pages are given
    back on free, and every new instance faults its pages in again.
    """

    allocator: str = "auto"
    pool_slots: int = 1000
    keep_resident: int = 32 * MiB
    max_wasm_stack: int = 512 * 1024
    wasm_exceptions: bool = True

    def __post_init__(self) -> None:
        if self.allocator not in ("auto", "pooling", "ondemand"):
            raise ValueError(f"allocator must be 'auto', 'pooling' or 'ondemand', not {self.allocator!r}")
        if self.pool_slots < 1:
            raise ValueError("pool_slots must be at least 1")


def _pool_fits(slots: int) -> bool:
    """Can the pooling allocator reserve its address space? Wasmtime aborts the whole
    process when it cannot, so ask the kernel first with a reservation of the same size."""
    size = slots * (MEMORY_RESERVATION + MEMORY_GUARD + MAX_INSTANCE_SIZE) + MEMORY_GUARD
    size += size // 4  # tables, stacks, slack
    try:
        import mmap
        m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_NORESERVE", 0),
                      prot=0)
    except (OSError, OverflowError, ValueError):
        return False
    m.close()
    return True


class Engine:
    """A configured ``wasmtime.Engine`` and the facts about it the host needs."""

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings()
        # periods the epoch ticker woke up too late to have added yet: a deadline set now adds them
        # (engine/ticker.py; shared_engine gives the engine its ticker's)
        self.due: Callable[[], int] = lambda: 0
        s = self.settings
        self.pooling = s.allocator == "pooling" or (s.allocator == "auto" and _pool_fits(s.pool_slots))
        if s.allocator == "pooling" and not _pool_fits(s.pool_slots):
            raise RuntimeError(f"cannot reserve address space for a pool of {s.pool_slots} instances; "
                               "use allocator='ondemand' or fewer pool_slots")
        cfg = wasmtime.Config()
        cfg.consume_fuel = True
        cfg.epoch_interruption = True
        cfg.memory_may_move = False  # the hot path caches a view of linear memory
        cfg.memory_reservation = MEMORY_RESERVATION
        cfg.memory_guard_size = MEMORY_GUARD
        cfg.max_wasm_stack = s.max_wasm_stack
        cfg.wasm_exceptions = s.wasm_exceptions
        cfg.parallel_compilation = True
        if self.pooling:
            use_pooling_allocator(cfg, s.pool_slots, MEMORY_RESERVATION, MAX_INSTANCE_SIZE, s.keep_resident)
        self.wasmtime = wasmtime.Engine(cfg)
        parts = [
            f"wasmtime={WASMTIME_VERSION}", f"arch={platform.machine()}", "fuel=1", "epoch=1",
            f"reservation={MEMORY_RESERVATION}", f"guard={MEMORY_GUARD}", "may_move=0",
            f"stack={s.max_wasm_stack}", f"exceptions={int(s.wasm_exceptions)}",
            f"allocator={'pooling' if self.pooling else 'ondemand'}",
        ]
        self.description = ";".join(parts)
        import hashlib
        self.fingerprint = hashlib.sha256(self.description.encode()).hexdigest()[:16]
        # runtime components compiled or loaded for this engine, by file (shared by the hosts on it)
        self.components: dict = {}

    def increment_epoch(self) -> None:
        self.wasmtime.increment_epoch()
