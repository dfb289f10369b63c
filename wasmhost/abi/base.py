"""What every guest kind has in common: one typed protocol for the three ABIs (core
module, WASI command, language-runtime component), and the invocation record
every live guest carries.

The invocation record (request sequence number, start, deadline, the function's
metadata, the log and a reported function error) is the ABI's own: every guest kind
has an invocation, writes a log (WASI stdout, a log import) and can fail as a
function, whatever capabilities it uses. What a capability keeps per instance is
the capability's: it lives in ``caps``, created by the capability
(wasmhost/capabilities/__init__.py).
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from ..clock import request_id, wall_ms

MAX_LOG_BYTES = 256 * 1024  # per invocation; more is cut with a marker
# Instantiation and init (Lambda's INIT phase) are not charged to an invocation's fuel
# budget: a language runtime's start-up would exhaust small budgets. The timeout bounds them.
INIT_FUEL = 2**63 - 1


class GuestState:
    """One live guest's invocation record, and its capabilities' state."""

    logs: "list[str] | None" = None
    _log_bytes = 0
    error: "tuple[str, str] | None" = None
    seq = 0  # the current invocation's request sequence number
    t0 = 0  # ... and its start (perf_counter_ns)
    timeout_ns = 0
    last_used = 0
    meta: dict = {}
    caps: dict[str, Any] = {}  # capability name -> its per-instance state

    def log(self, text: str) -> None:
        if self.logs is None:
            self.logs = []
            self._log_bytes = 0
        if self._log_bytes >= MAX_LOG_BYTES:
            return
        self._log_bytes += len(text)
        if self._log_bytes >= MAX_LOG_BYTES:
            text = text[:max(0, len(text) - (self._log_bytes - MAX_LOG_BYTES))] + "\n[log truncated at 256 KiB]"
        self.logs.append(text)

    def log_sink(self, data: bytes) -> None:
        """WASI stdout/stderr callback."""
        self.log(data.decode("utf-8", "replace"))

    def take_logs(self) -> str:
        """The invocation's log text (WASI output arrives in arbitrary pieces:
        joined as written, with a final newline)."""
        logs, self.logs = self.logs, None
        if not logs:
            return ""
        text = "".join(logs)
        return text if text.endswith("\n") else text + "\n"

    def context(self) -> dict:
        """The invocation context (the msgpack map of capabilities/context.py)."""
        return {"request_id": request_id(self.seq), "deadline_ms": wall_ms(self.deadline_ns), **self.meta}

    @property
    def deadline_ns(self) -> int:
        return self.t0 + self.timeout_ns


class Guest(Protocol):
    """A live instance of a pooled guest kind (core module or runtime component)."""

    logs: "list[str] | None"
    error: "tuple[str, str] | None"
    seq: int
    t0: int
    last_used: int
    caps: dict[str, Any]
    # run one invocation: (payload, budget) -> (result, fuel used, memory bytes), or raise the typed error
    invoke: Callable[[bytes, "int | None"], tuple[bytes, int, int]]

    def take_logs(self) -> str: ...

    def close(self) -> None: ...


class ABI(Protocol):
    """A deployed function's module, checked and linked: how the host runs it.

    ``capabilities`` are the ones its guests reach (wasmhost/capabilities); ``pooled``
    is false for a kind that runs a fresh instance per invocation (WASI commands, run
    through ``run``); ``speculative`` says whether a run may be abandoned half-way
    and repeated (Host.ainvoke runs such guests on the event loop first): only a
    guest with no side-effecting capability, and never a language runtime, whose warm
    state (a 10-16 ms start) would be lost with the abandoned instance."""

    kind: str
    uses_context: bool
    capabilities: tuple
    pooled: bool
    speculative: bool

    def instantiate(self, fuel: int, ticks: int, timeout_ns: int, meta: dict) -> Guest: ...

    def renew(self, sb: Any, fuel: int, ticks: int) -> None: ...


__all__ = ["ABI", "Guest", "GuestState", "INIT_FUEL", "MAX_LOG_BYTES"]
