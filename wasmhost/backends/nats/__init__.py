"""The cluster backend: the registry, code, async events and ledger on NATS
JetStream (one replicated engine; ``wasmhost serve --cluster``). Needs the
``cluster`` extra (``nats-py``); ``import wasmhost`` never loads it.

``ClusterStore`` is what ``Service`` is given instead of the SQLite ``Registry``:
the registry (registry.py) and the event queue (queue.py) on one engine
connection (engine.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .engine import ClusterConfig, Engine
from .ledger import LedgerPublisher, StreamLedger
from .queue import WorkQueue
from .registry import KVRegistry

__all__ = ["ClusterConfig", "ClusterStore", "Engine", "LedgerPublisher", "StreamLedger"]


class ClusterStore(KVRegistry, WorkQueue):
    def __init__(self, engine: Engine, data_dir: Path | str, slots: int = 64) -> None:
        KVRegistry.__init__(self, engine, data_dir)
        WorkQueue.__init__(self, engine, slots)
        self.on_close: list[Callable[[], None]] = []  # run before the engine's connection closes

    def close(self) -> None:
        for f in self.on_close:
            f()
        self.engine.close()
