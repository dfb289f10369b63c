"""``/metrics`` in the Prometheus text format, and the counters behind it."""

from __future__ import annotations

from bisect import bisect_left
from typing import Callable
from itertools import accumulate
from collections import defaultdict

from ..function import FunctionInfo
from ..metering import Report

BUCKETS_MS = (0.1, 0.5, 1, 5, 10, 50, 100, 500, 1000, 5000, 30000)


# a function's counters, one list per function (an index is cheaper than a dict per counter)
INVOCATIONS, COLD, FUEL, OUT_REQUESTS, OUT_BYTES, BUCKET_READ, BUCKET_WRITTEN, DURATION_SUM, FIRST_BUCKET = range(9)


class Metrics:
    """Updated and read on the event loop's thread only (Service.invoke runs there,
    whichever thread ran the guest), so no lock."""

    def __init__(self) -> None:
        # function -> [invocations, cold starts, fuel, outbound requests, outbound bytes, bucket bytes
        # read, bucket bytes written, duration sum (ms), then a count per duration bucket]
        self.rows: dict[str, list] = {}
        self.errors: dict[tuple[str, str], int] = defaultdict(int)
        self.throttles: dict[str, int] = defaultdict(int)
        self.extra: list[Callable[[], str]] = []  # more families, e.g. server/sources/status.py's

    @property
    def invocations(self) -> dict[str, int]:
        return {fn: row[INVOCATIONS] for fn, row in self.rows.items()}

    def observe(self, report: Report) -> None:
        # the raw fields at once: eight of Report's properties cost ~0.5 µs a request
        _, fn, _, _, dur, _, fuel, _, _, cold, status, _, out_requests, out_bytes, bucket_read, bucket_written = report
        ms = dur / 1e6
        row = self.rows.get(fn)
        if row is None:
            row = self.rows[fn] = [0, 0, 0, 0, 0, 0, 0, 0.0] + [0] * (len(BUCKETS_MS) + 1)
        row[INVOCATIONS] += 1
        row[FUEL] += fuel or 0
        row[DURATION_SUM] += ms
        row[FIRST_BUCKET + bisect_left(BUCKETS_MS, ms)] += 1  # per bucket; cumulated in render
        if cold or status != "ok" or out_requests or bucket_read or bucket_written:
            if status != "ok":
                self.errors[(fn, status)] += 1
            row[COLD] += cold
            row[OUT_REQUESTS] += out_requests
            row[OUT_BYTES] += out_bytes
            row[BUCKET_READ] += bucket_read
            row[BUCKET_WRITTEN] += bucket_written

    def throttle(self, fn: str) -> None:
        self.throttles[fn] += 1

    def forget(self, name: str) -> None:
        """Drop a deleted function's series (all its versions): a function created
        again under the same name starts from zero, as a restarted process would."""
        def gone(fn: str) -> bool:
            return fn == name or fn.startswith(name + ":")
        for table in (self.rows, self.throttles):
            for fn in [k for k in table if gone(k)]:
                del table[fn]
        for key in [k for k in self.errors if gone(k[0])]:
            del self.errors[key]

    def render(self, functions: dict[str, FunctionInfo], pending_events: int, async_stats: dict[str, int]) -> str:
        out = []

        def family(name: str, kind: str, help_: str) -> None:
            out.append(f"# HELP {name} {help_}\n# TYPE {name} {kind}")

        rows = sorted(self.rows.items())

        def counter(name: str, help_: str, index: int, shown=lambda row: True) -> None:
            family(name, "counter", help_)
            out.extend(f'{name}{{function="{f}"}} {row[index]}' for f, row in rows if shown(row))

        counter("wasmhost_invocations_total", "Invocations that ran, by function.", INVOCATIONS)
        family("wasmhost_errors_total", "counter", "Failed invocations, by function and status.")
        out += [f'wasmhost_errors_total{{function="{f}",status="{s}"}} {n}'
                for (f, s), n in sorted(self.errors.items())]
        family("wasmhost_throttles_total", "counter", "Invocations refused at the concurrency limit.")
        out += [f'wasmhost_throttles_total{{function="{f}"}} {n}' for f, n in sorted(self.throttles.items())]
        counter("wasmhost_cold_starts_total", "Invocations that had to create an instance.", COLD,
                lambda row: row[COLD])
        counter("wasmhost_fuel_used_total", "Wasmtime fuel used.", FUEL)
        # the I/O families list a function once it has done some (as their counters always did)
        counter("wasmhost_outbound_requests_total", "Outbound HTTP requests made by functions.", OUT_REQUESTS,
                lambda row: row[OUT_REQUESTS])
        counter("wasmhost_outbound_bytes_total", "Outbound HTTP body bytes sent and received.", OUT_BYTES,
                lambda row: row[OUT_REQUESTS])
        counter("wasmhost_bucket_bytes_read_total", "Object bytes functions read from buckets (S3 API).", BUCKET_READ,
                lambda row: row[BUCKET_READ] or row[BUCKET_WRITTEN])
        counter("wasmhost_bucket_bytes_written_total", "Object bytes functions wrote to buckets (S3 API).",
                BUCKET_WRITTEN, lambda row: row[BUCKET_READ] or row[BUCKET_WRITTEN])
        family("wasmhost_duration_milliseconds", "histogram", "Invocation duration.")
        for f, row in rows:
            cumulative = list(accumulate(row[FIRST_BUCKET:]))
            out += [f'wasmhost_duration_milliseconds_bucket{{function="{f}",le="{edge}"}} {cumulative[i]}'
                    for i, edge in enumerate(BUCKETS_MS)]
            out.append(f'wasmhost_duration_milliseconds_bucket{{function="{f}",le="+Inf"}} {cumulative[-1]}')
            out.append(f'wasmhost_duration_milliseconds_sum{{function="{f}"}} {row[DURATION_SUM]:.3f}')
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

