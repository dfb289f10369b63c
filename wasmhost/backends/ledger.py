"""The ledger's read interface: what ``/wasmhost/totals`` and ``/wasmhost/logs``
ask of it. ``metering.Ledger`` (SQLite in the data dir) answers for one node; in a
cluster each node's flushed batches are also published to a JetStream stream
(``backends/nats/ledger.py``), which answers for all of them."""

from __future__ import annotations

from typing import Any, Protocol


class LedgerReader(Protocol):
    def totals(self, function: str | None = None, since: float | None = None,
               until: float | None = None) -> dict[str, Any]:
        """Invocations, errors, cold starts, billed ms, fuel and GB-seconds."""
    def query(self, function: str | None = None, since: float | None = None, until: float | None = None,
              limit: int = 1000) -> list[dict[str, Any]]:
        """Reports as dicts, newest first."""
