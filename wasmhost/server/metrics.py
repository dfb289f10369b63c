"""``/metrics`` in the Prometheus text format, and the counters behind it."""

from __future__ import annotations

from bisect import bisect_left
from typing import Callable
from itertools import accumulate
from collections import defaultdict

from ..function import FunctionInfo
from ..metering import Report

BUCKETS_MS = (0.1, 0.5, 1, 5, 10, 50, 100, 500, 1000, 5000, 30000)


class Metrics:
    """Updated and read on the event loop's thread only (Service.invoke runs there,
    whichever thread ran the guest), so no lock."""

    def __init__(self) -> None:
        self.invocations: dict[str, int] = defaultdict(int)
        self.errors: dict[tuple[str, str], int] = defaultdict(int)
        self.throttles: dict[str, int] = defaultdict(int)
        self.cold: dict[str, int] = defaultdict(int)
        self.fuel: dict[str, int] = defaultdict(int)
        self.outbound_requests: dict[str, int] = defaultdict(int)
        self.outbound_bytes: dict[str, int] = defaultdict(int)
        self.bucket_read: dict[str, int] = defaultdict(int)
        self.bucket_written: dict[str, int] = defaultdict(int)
        self.duration_sum: dict[str, float] = defaultdict(float)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS_MS) + 1))
        self.extra: list[Callable[[], str]] = []  # more families, e.g. server/sources/status.py's

    def observe(self, report: Report) -> None:
        # the raw fields at once: eight of Report's properties cost ~0.5 µs a request
        _, fn, _, _, dur, _, fuel, _, _, cold, status, _, out_requests, out_bytes, bucket_read, bucket_written = report
        ms = dur / 1e6
        self.invocations[fn] += 1
        if status != "ok":
            self.errors[(fn, status)] += 1
        if cold:
            self.cold[fn] += 1
        self.fuel[fn] += fuel or 0
        if out_requests:
            self.outbound_requests[fn] += out_requests
            self.outbound_bytes[fn] += out_bytes
        if bucket_read or bucket_written:
            self.bucket_read[fn] += bucket_read
            self.bucket_written[fn] += bucket_written
        self.duration_sum[fn] += ms
        self.buckets[fn][bisect_left(BUCKETS_MS, ms)] += 1  # per bucket; cumulated in render

    def throttle(self, fn: str) -> None:
        self.throttles[fn] += 1

    def forget(self, name: str) -> None:
        """Drop a deleted function's series (all its versions): a function created
        again under the same name starts from zero, as a restarted process would."""
        def gone(fn: str) -> bool:
            return fn == name or fn.startswith(name + ":")
        for table in (self.invocations, self.throttles, self.cold, self.fuel, self.duration_sum, self.buckets,
                      self.outbound_requests, self.outbound_bytes, self.bucket_read, self.bucket_written):
            for fn in [k for k in table if gone(k)]:
                del table[fn]
        for key in [k for k in self.errors if gone(k[0])]:
            del self.errors[key]

    def render(self, functions: dict[str, FunctionInfo], pending_events: int, async_stats: dict[str, int]) -> str:
        out = []

        def family(name: str, kind: str, help_: str) -> None:
            out.append(f"# HELP {name} {help_}\n# TYPE {name} {kind}")

        family("wasmhost_invocations_total", "counter", "Invocations that ran, by function.")
        out += [f'wasmhost_invocations_total{{function="{f}"}} {n}' for f, n in sorted(self.invocations.items())]
        family("wasmhost_errors_total", "counter", "Failed invocations, by function and status.")
        out += [f'wasmhost_errors_total{{function="{f}",status="{s}"}} {n}'
                for (f, s), n in sorted(self.errors.items())]
        family("wasmhost_throttles_total", "counter", "Invocations refused at the concurrency limit.")
        out += [f'wasmhost_throttles_total{{function="{f}"}} {n}' for f, n in sorted(self.throttles.items())]
        family("wasmhost_cold_starts_total", "counter", "Invocations that had to create an instance.")
        out += [f'wasmhost_cold_starts_total{{function="{f}"}} {n}' for f, n in sorted(self.cold.items())]
        family("wasmhost_fuel_used_total", "counter", "Wasmtime fuel used.")
        out += [f'wasmhost_fuel_used_total{{function="{f}"}} {n}' for f, n in sorted(self.fuel.items())]
        family("wasmhost_outbound_requests_total", "counter", "Outbound HTTP requests made by functions.")
        out += [f'wasmhost_outbound_requests_total{{function="{f}"}} {n}'
                for f, n in sorted(self.outbound_requests.items())]
        family("wasmhost_outbound_bytes_total", "counter", "Outbound HTTP body bytes sent and received.")
        out += [f'wasmhost_outbound_bytes_total{{function="{f}"}} {n}' for f, n in sorted(self.outbound_bytes.items())]
        family("wasmhost_bucket_bytes_read_total", "counter", "Object bytes functions read from buckets (S3 API).")
        out += [f'wasmhost_bucket_bytes_read_total{{function="{f}"}} {n}' for f, n in sorted(self.bucket_read.items())]
        family("wasmhost_bucket_bytes_written_total", "counter", "Object bytes functions wrote to buckets (S3 API).")
        out += [f'wasmhost_bucket_bytes_written_total{{function="{f}"}} {n}'
                for f, n in sorted(self.bucket_written.items())]
        family("wasmhost_duration_milliseconds", "histogram", "Invocation duration.")
        for f, b in sorted(self.buckets.items()):
            cumulative = list(accumulate(b))
            out += [f'wasmhost_duration_milliseconds_bucket{{function="{f}",le="{edge}"}} {cumulative[i]}'
                    for i, edge in enumerate(BUCKETS_MS)]
            out.append(f'wasmhost_duration_milliseconds_bucket{{function="{f}",le="+Inf"}} {cumulative[-1]}')
            out.append(f'wasmhost_duration_milliseconds_sum{{function="{f}"}} {self.duration_sum[f]:.3f}')
            out.append(f'wasmhost_duration_milliseconds_count{{function="{f}"}} {cumulative[-1]}')
        family("wasmhost_warm_instances", "gauge", "Instances ready for an invocation.")
        fns = sorted(functions.items())
        out += [f'wasmhost_warm_instances{{function="{f}"}} {i.warm}' for f, i in fns]
        family("wasmhost_busy_instances", "gauge", "Instances running an invocation.")
        out += [f'wasmhost_busy_instances{{function="{f}"}} {i.busy}' for f, i in fns]
        family("wasmhost_runs_total", "counter", "Invocations by where they ran: on the event loop (inline) "
               "or handed to a worker thread.")
        out += [f'wasmhost_runs_total{{function="{f}",on="{on}"}} {n}' for f, i in fns
                for on, n in (("inline", i.inline_runs), ("thread", i.thread_runs))]
        family("wasmhost_inline_overruns_total", "counter", "Inline runs abandoned over the inline budget "
               "(then run on a thread).")
        out += [f'wasmhost_inline_overruns_total{{function="{f}"}} {i.overruns}' for f, i in fns]
        family("wasmhost_async_pending_events", "gauge", "Accepted asynchronous events not yet finished.")
        out.append(f"wasmhost_async_pending_events {pending_events}")
        family("wasmhost_async_events_total", "counter", "Asynchronous events by outcome since start.")
        out += [f'wasmhost_async_events_total{{outcome="{k}"}} {v}' for k, v in sorted(async_stats.items())]
        return "\n".join(out) + "\n" + "".join(render() for render in self.extra)

