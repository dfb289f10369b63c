"""The ledger's read interface: what ``/wasmhost/totals`` and ``/wasmhost/logs``
ask of it. ``metering.Ledger`` (SQLite in the data dir) answers for one node; in a
cluster each node's flushed batches and log lines are also published to JetStream
streams (``backends/nats/ledger.py``), which answer for all of them."""

from __future__ import annotations

from typing import Any, Protocol


class LedgerReader(Protocol):
    def totals(self, function: str | None = None, since: float | None = None,
               until: float | None = None) -> dict[str, Any]:
        """Invocations, errors, cold starts, billed ms, fuel and GB-seconds."""
    def query(self, function: str | None = None, since: float | None = None, until: float | None = None,
              limit: int = 1000) -> list[dict[str, Any]]:
        """Reports as dicts, newest first."""
    def logs(self, function: str | None = None, since: float | None = None, until: float | None = None,
             limit: int = 100) -> list[dict[str, Any]]:
        """Guest log lines per request (``request_id``, ``function``, ``started_ms``,
        ``text``; a cluster's add the ``node``), newest first."""
