"""One Wasmtime engine, epoch ticker and set of compiled runtimes per process.

Every ``Host`` used to make its own engine: a pooling allocator reserving address
space for a thousand instances (terabytes of it, which a process runs out of after a
few hosts and then falls back to slower on-demand allocation), its own ticker thread,
and its own deserialized copy of each language runtime (4 ms and 18 MB for Python).
Hosts in one process with the same settings now share them: a new Host answers its
first Python request about as fast as a running one (bench/bench_runtimes.py). The
ticker is never stopped (it sleeps while no invocation has a deadline to keep), so
closing one Host cannot stop another's timeouts. Two hosts with different tick
lengths cannot drive one engine's epoch, so the tick is part of the key.
"""

from __future__ import annotations

import threading

from .engine import Engine, EngineSettings
from .ticker import EpochTicker

_lock = threading.Lock()
_shared: dict[tuple[EngineSettings, float], tuple[Engine, EpochTicker]] = {}


def shared_engine(settings: EngineSettings | None, tick_ms: float) -> tuple[Engine, EpochTicker]:
    """The process's engine and ticker for these settings, made on first use."""
    key = (settings or EngineSettings(), float(tick_ms))
    with _lock:
        found = _shared.get(key)
        if found is None:
            engine = Engine(key[0])
            found = _shared[key] = (engine, EpochTicker(engine, tick_ms))
            engine.due = found[1].due  # deadlines set outside the hot path add what a late ticker owes
        return found
