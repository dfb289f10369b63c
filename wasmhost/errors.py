"""Every error wasmhost raises derives from ``WasmhostError``.

Invocation failures carry the invocation's ``report`` (it was metered and billed
like any other) and render as Lambda's ``{"errorType", "errorMessage"}`` document,
so a front end can answer with them without knowing each kind.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .metering import Report


def cause(message: str) -> str:
    """The innermost cause of a Wasmtime error, without its backtrace."""
    if "Caused by:" not in message:
        lines = message.strip().splitlines()
        return lines[0] if lines else message
    lines = [ln.strip() for ln in message.split("Caused by:")[-1].splitlines() if ln.strip()]
    return re.sub(r"^\d+: ", "", lines[-1]) if lines else message.strip()


class WasmhostError(Exception):
    """Base class of every wasmhost error."""


class DeployError(WasmhostError, ValueError):
    """The module or its configuration cannot run here; raised by ``deploy``, never at invoke."""


class FunctionNotFound(WasmhostError, LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"function not found: {name!r}")
        self.name = name


class PayloadTooLarge(WasmhostError):
    """The event is larger than the host accepts (Lambda: 6 MB synchronous)."""


class Throttled(WasmhostError):
    """The function is at its ``max_concurrency`` (or the host is out of instance slots)."""

    def __init__(self, message: str, reason: str = "ReservedFunctionConcurrentInvocationLimitExceeded") -> None:
        super().__init__(message)
        self.reason = reason


class InvocationError(WasmhostError):
    """An invocation ran and failed. ``report`` is its metering report.

    The sandbox that raised it fills ``fuel_used`` and ``memory_bytes`` (for the
    report) and ``trap_detail`` (a backtrace, for the log) with ``usage``."""

    error_type = "Runtime.Error"
    fuel_used: "int | None" = None
    memory_bytes = 0
    trap_detail = ""

    def __init__(self, message: str, report: "Report | None" = None, logs: str = "") -> None:
        super().__init__(message)
        self.error_message = message
        self.report = report
        self.logs = logs

    def usage(self, fuel_used: "int | None", memory_bytes: int, trap_detail: str = "") -> "InvocationError":
        self.fuel_used, self.memory_bytes, self.trap_detail = fuel_used, memory_bytes, trap_detail
        return self

    def to_lambda(self) -> dict[str, Any]:
        return {"errorType": self.error_type, "errorMessage": self.error_message}

    @property
    def payload(self) -> bytes:
        """The Lambda-style error document as the response body."""
        return json.dumps(self.to_lambda()).encode()


class FunctionError(InvocationError):
    """The guest reported an error of its own (``wasmhost.error`` import or a WASI exit status).

    ``document``: the error exactly as a language runtime reported it (Lambda's
    ``{"errorType", "errorMessage", "stackTrace"}`` for Python, ``"trace"`` for
    Node.js), returned as it is."""

    def __init__(self, error_type: str, message: str, report: "Report | None" = None, logs: str = "", *,
                 document: "dict[str, Any] | None" = None) -> None:
        super().__init__(message, report, logs)
        self.error_type = error_type
        self.document = document

    def to_lambda(self) -> dict[str, Any]:
        return dict(self.document) if self.document else super().to_lambda()

    def out_of_memory(self) -> bool:
        """A language runtime ran out of memory: Python's ``MemoryError()`` (no
        message), or the string StarlingMonkey (JavaScript) throws."""
        return ((self.error_type == "MemoryError" and not self.error_message.strip())
                or (self.error_type == "string" and self.error_message == "out of memory"))

    def explain_memory(self, memory_mb: int) -> None:
        """Say which limit an out-of-memory error hit and how to raise it."""
        if self.error_type == "string":  # JavaScript's is no Error object: named as Lambda names an OOM
            self.error_type = "Runtime.OutOfMemory"
        self.error_message = (f"the function ran out of memory at its {memory_mb} MB limit; raise it with "
                              f"MemorySize (aws lambda update-function-configuration --memory-size, "
                              f"wasmhost deploy --memory-mb) or FunctionConfig(memory_mb=...)")
        self.args = (self.error_message,)
        if self.document is not None:
            self.document = dict(self.document, errorType=self.error_type, errorMessage=self.error_message)


class InvocationTimeout(InvocationError):
    """Wall-clock ``timeout_ms`` passed; the guest was interrupted and its instance discarded."""

    error_type = "Sandbox.Timedout"


class FuelExhausted(InvocationError):
    """The invocation used its whole ``fuel`` budget."""

    error_type = "Sandbox.FuelExhausted"


class MemoryLimitExceeded(InvocationError):
    """The guest failed while its linear memory was at ``memory_mb``."""

    error_type = "Runtime.OutOfMemory"


class GuestTrap(InvocationError):
    """The guest trapped (unreachable, out-of-bounds access, stack overflow, ...)."""

    error_type = "Runtime.Trap"


class InvalidResult(InvocationError):
    """The guest returned something the host cannot use (a bad pointer, an oversized result)."""

    error_type = "Runtime.InvalidResult"
