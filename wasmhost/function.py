"""A deployed function: its module, its pool, and the invocation path that meters it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Callable, cast

import msgpack

from . import capabilities
from .abi import ABI, CommandABI
from .config import FunctionConfig
from .errors import (FuelExhausted, FunctionError, GuestTrap, InvalidResult, InvocationError, InvocationTimeout,
                     MemoryLimitExceeded)
from .metering import Report
from .pool import Pool

perf_ns = time.perf_counter_ns
new_tuple = tuple.__new__

_STATUS = {
    FunctionError: "error", InvocationTimeout: "timeout", FuelExhausted: "fuel",
    MemoryLimitExceeded: "oom", GuestTrap: "trap", InvalidResult: "invalid",
}


class Overrun(Exception):
    """A speculative inline run went past its budget and was abandoned unrecorded;
    the invocation must run again, in full, on a worker thread."""


class InvokeResult(tuple):
    """``payload`` is the result bytes; ``value`` decodes them with the codec the event
    was encoded with (raw bytes stay bytes); ``logs`` is what the guest logged;
    ``report`` is the invocation's metering ``Report``. A tuple, so that building
    one on the hot path is a single step."""

    __slots__ = ()

    def __new__(cls, payload: bytes, report: Report, logs: str = "", codec: str = "raw") -> "InvokeResult":
        return tuple.__new__(cls, (payload, report, logs, codec))

    payload = property(itemgetter(0))
    report = property(itemgetter(1))
    logs = property(itemgetter(2))
    codec = property(itemgetter(3))

    @property
    def value(self) -> Any:
        if self[3] == "json":
            return json.loads(self[0])
        if self[3] == "msgpack":
            return msgpack.unpackb(self[0])
        return self[0]

    def json(self) -> Any:
        return json.loads(self[0])

    def __repr__(self) -> str:
        return f"InvokeResult(payload={self[0][:64]!r}, report={self[1]!r})"


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    version: str
    kind: str
    sha256: str
    size: int
    config: FunctionConfig
    warm: int
    busy: int
    from_cache: bool
    # Host.ainvoke: runs on the event loop, runs handed to a worker thread, and
    # speculative runs abandoned over the inline budget
    inline_runs: int = 0
    thread_runs: int = 0
    overruns: int = 0


class Function:
    def __init__(self, host, name: str, version: str, abi: ABI, config: FunctionConfig,
                 sha256: str, size: int, from_cache: bool) -> None:
        self.name, self.version, self.abi, self.config = name, version, abi, config
        self.sha256, self.size, self.from_cache = sha256, size, from_cache
        self.timeout_ns = config.timeout_ms * 1_000_000
        self.memory_mb = config.memory_mb
        self.ticks = host.ticker.ticks_for(config.timeout_ms)
        self.meta = {"function_name": name, "function_version": version,
                     "memory_limit_in_mb": config.memory_mb, "env": dict(config.env)}
        self._host = host
        strict = config.isolation == "strict" and abi.pooled
        self.pool = Pool(self._new_sandbox, max_concurrency=config.max_concurrency, min_warm=config.min_warm,
                         idle_ttl_s=config.idle_ttl_s, renew=self._renew_sandbox if strict else None)
        self.ending = capabilities.ending(abi.capabilities)  # told when each invocation ends (kv commits)
        self.invoke: Callable[..., InvokeResult] = make_warm_path(self) if abi.pooled else self._invoke_command
        # Speculative inline runs (Host.ainvoke) only where the ABI says an abandoned
        # run leaves no trace: no side-effecting capability, no runtime's warm state.
        self.speculate = abi.speculative
        self.skip_speculation = 0  # worker-thread runs left before trying inline again
        self.overruns = 0  # in a row
        self.inline_runs = self.thread_runs = self.overruns_total = 0

    def _arm_ticker(self) -> None:
        """Keep the epoch ticking for a run starting now (init has the same deadline
        as an invocation, or the longer one its ABI gives it: ``init_ns``)."""
        deadline = perf_ns() + max(self.timeout_ns, getattr(self.abi, "init_ns", 0))
        if deadline > self._host.ticker.until:
            self._host.ticker.extend(deadline)

    def _new_sandbox(self):
        self._arm_ticker()
        return self.abi.instantiate(self.config.fuel_budget, self.ticks, self.timeout_ns, self.meta)

    def overran(self) -> None:
        """Stop speculating for a while after the second overrun in a row, longer each
        time. A single overrun is forgiven: the loop's thread may have waited for the
        GIL (or the VM for its CPU) in the middle of a short run."""
        self.overruns += 1
        self.overruns_total += 1
        if self.overruns > 1:
            self.skip_speculation = min(100 * 2 ** min(self.overruns - 1, 7), 10_000)

    def _renew_sandbox(self, sb) -> None:
        self._arm_ticker()
        self.abi.renew(sb, self.config.fuel_budget, self.ticks)

    def info(self) -> FunctionInfo:
        return FunctionInfo(self.name, self.version, self.abi.kind, self.sha256, self.size, self.config,
                            len(self.pool.free), self.pool.busy, self.from_cache, self.inline_runs, self.thread_runs,
                            self.overruns_total)

    def _invoke_command(self, payload: bytes, seq: int, codec: str = "raw") -> InvokeResult:
        """A WASI command: a fresh instance per invocation, whose stdout (bounded by
        the response limit in the ABI) is the result."""
        host = self._host
        if len(payload) > host.max_payload:
            host.payload_too_large(payload)
        t0 = perf_ns()
        self._arm_ticker()
        self.pool.take_slot()
        sb = None
        try:
            sb, out, fuel_used, mem = cast(CommandABI, self.abi).run(payload, self.config.fuel_budget, self.ticks, self.meta,
                                                   seq, t0, self.timeout_ns)
            capabilities.end_invocation(sb.caps, self.ending)
            t1 = perf_ns()
            logs = sb.take_logs()
            report = Report(seq, self.name, self.version, t0, t1 - t0, None, fuel_used, mem, self.memory_mb, True,
                            "ok", None, *outbound(sb))
            if logs:
                host.ledger_record((seq, self.name, t0, logs))
            host.ledger_record(report)  # recorded before the slot frees (see Host.close)
            return InvokeResult(out, report, logs, codec)
        except InvocationError as e:
            sb = getattr(e, "sandbox", None)
            if sb is not None:
                capabilities.end_invocation(sb.caps, self.ending)
            logs = sb.take_logs() if sb is not None else ""
            raise self._failed(e, seq, t0, perf_ns() - t0, None, logs, outbound(sb)) from None
        finally:
            if sb is not None:
                sb.close()
            self.pool.give_slot()

    def _result_error(self, error: tuple[str, str] | None, size: int, report: Report,
                      logs: str) -> InvocationError:
        """The handler returned, but with its own error or an oversized result."""
        if error is not None:
            return self._fail_report(FunctionError(error[0], error[1], document=error[2] if len(error) > 2 else None),
                                     report, logs)
        exc = InvalidResult(f"Response payload size ({size} bytes) exceeded the maximum "
                            f"allowed payload size ({self._host.max_response} bytes)")
        exc.error_type = "Function.ResponseSizeTooLarge"
        return self._fail_report(exc, report, logs)

    def _failed(self, e: InvocationError, seq: int, t0: int, dur: int, init_ns: int | None,
                logs: str, usage: tuple[int, int, int, int] = (0, 0, 0, 0)) -> InvocationError:
        report = Report(seq, self.name, self.version, t0, dur, init_ns, e.fuel_used, e.memory_bytes,
                        self.memory_mb, init_ns is not None, "ok", None, *usage)
        detail = e.trap_detail
        if detail:  # the backtrace belongs in the log, as a runtime's stack trace would be
            logs += detail if detail.endswith("\n") else detail + "\n"
        if logs:
            self._host.ledger_record((seq, self.name, t0, logs))
        return self._fail_report(e, report, logs)

    def _fail_report(self, e: InvocationError, report: Report, logs: str) -> InvocationError:
        if isinstance(e, InvocationTimeout):
            e.error_message = f"Task timed out after {self.config.timeout_ms / 1000:.2f} seconds"
            e.args = (e.error_message,)
        elif isinstance(e, FunctionError) and e.out_of_memory():
            e.explain_memory(self.memory_mb)  # Python's MemoryError says nothing: name the limit
        report = report.failed(_STATUS.get(type(e), "error"), e.error_type)
        e.report, e.logs = report, logs
        self._host.ledger_record(report)
        return e


def outbound(sb) -> tuple[int, int, int, int]:
    """The outbound HTTP requests and bytes, and the bucket bytes read and written, of
    the invocation ``sb`` just ran (the http capability's counters, reset)."""
    state = sb.caps.get("http") if sb is not None else None
    return state.take_usage() if state is not None else (0, 0, 0, 0)


def make_warm_path(fn: Function):
    """The invocation path of a pooled function (core module or language runtime),
    as a closure over everything it reads (a local is cheaper than an attribute;
    ~1 µs per call here). It runs on every invocation: measure it
    (bench/bench_core.py) before and after any change."""
    host, pool = fn._host, fn.pool
    free, ticker = pool.free, host.ticker
    record, max_payload, max_response = host.ledger_record, host.max_payload, host.max_response
    name, version, memory_mb, timeout_ns = fn.name, fn.version, fn.memory_mb, fn.timeout_ns
    strict, tells_context = pool.strict, fn.abi.uses_context
    # only functions that can reach the network have outbound usage to report
    metered_io = any(cap.NAME == "http" for cap in fn.abi.capabilities)
    ending, end_invocation = fn.ending, capabilities.end_invocation

    def invoke(payload: bytes, seq: int, codec: str = "raw", budget: int | None = None) -> InvokeResult:
        if len(payload) > max_payload:
            host.payload_too_large(payload)
        t0 = perf_ns()
        if t0 + timeout_ns > ticker.until:
            ticker.extend(t0 + timeout_ns)
        try:
            sb = free.pop()
            init_ns = None
        except IndexError:
            if budget is not None:  # a speculative run never pays for a cold start
                raise Overrun from None
            try:
                sb, init_ns = pool.grow()
            except InvocationError as e:  # init failed: a cold start that never ran the handler
                raise fn._failed(e, seq, t0, perf_ns() - t0, None, "") from None
            t0 = perf_ns()
        if tells_context:  # only the context imports read these
            sb.seq = seq
            sb.t0 = t0
        try:
            out, fuel_used, mem = sb.invoke(payload, budget)
        except InvocationError as e:
            if budget is not None and type(e) is InvocationTimeout:  # over budget: not an invocation yet
                sb.take_logs()
                pool.discard(sb)
                raise Overrun from None
            if ending:  # what it did before failing stays done (kv: its writes are committed)
                end_invocation(sb.caps, ending)
            t1 = perf_ns()
            failed = fn._failed(e, seq, t0, t1 - t0, init_ns, sb.take_logs(),  # recorded before the
                                outbound(sb) if metered_io else (0, 0, 0, 0))
            pool.discard(sb)  # slot frees, so a draining Host.close never misses it
            raise failed from None
        if ending:
            end_invocation(sb.caps, ending)
        t1 = perf_ns()
        if metered_io:
            report = new_tuple(Report, (seq, name, version, t0, t1 - t0, init_ns, fuel_used, mem, memory_mb,
                                        init_ns is not None, "ok", None, *sb.caps["http"].take_usage()))
        else:
            report = new_tuple(Report, (seq, name, version, t0, t1 - t0, init_ns, fuel_used, mem, memory_mb,
                                        init_ns is not None, "ok", None, 0, 0, 0, 0))
        logs = ""
        if sb.logs is not None:
            logs = sb.take_logs()
            record((seq, name, t0, logs))
        error = sb.error
        exc: InvocationError | None = None
        if error is not None or len(out) > max_response:
            sb.error = None  # before the sandbox is free for another invocation
            exc = fn._result_error(error, len(out), report, logs)  # records the failed report
        else:
            record(report)  # before the release, so a draining Host.close never misses it
        if strict or pool.closed:
            pool.release(sb, t1)  # strict: a fresh instance replaces this one
        else:
            sb.last_used = t1
            free.append(sb)
        if exc is not None:
            raise exc
        return new_tuple(InvokeResult, (out, report, logs, codec))

    return invoke
