"""The counters behind /metrics: a warm run's quick path and the rarer fields
(cold starts, errors, outbound and bucket I/O) land in the same families."""

from wasmhost.metering import Report
from wasmhost.server.metrics import Metrics


def report(seq, fn, dur_ns, *, fuel=10, cold=False, status="ok", out=(0, 0), buckets=(0, 0)) -> Report:
    return Report(seq, fn, "$LATEST", 0, dur_ns, 1000 if cold else None, fuel, 65536, 128, cold, status, None,
                  *out, *buckets)


def lines(m: Metrics) -> set[str]:
    return set(m.render({}, 0, {}).splitlines())


def test_warm_runs_and_the_rarer_fields():
    m = Metrics()
    m.observe(report(1, "a", 300_000))  # 0.3 ms
    m.observe(report(2, "a", 2_000_000, cold=True, fuel=None))
    m.observe(report(3, "b", 70_000_000, status="timeout", out=(2, 300)))
    m.observe(report(4, "c", 1_000, buckets=(0, 9)))
    m.throttle("a")
    got = lines(m)
    assert {'wasmhost_invocations_total{function="a"} 2', 'wasmhost_invocations_total{function="b"} 1',
            'wasmhost_fuel_used_total{function="a"} 10', 'wasmhost_cold_starts_total{function="a"} 1',
            'wasmhost_errors_total{function="b",status="timeout"} 1', 'wasmhost_throttles_total{function="a"} 1',
            'wasmhost_outbound_requests_total{function="b"} 2', 'wasmhost_outbound_bytes_total{function="b"} 300',
            'wasmhost_bucket_bytes_read_total{function="c"} 0', 'wasmhost_bucket_bytes_written_total{function="c"} 9',
            'wasmhost_duration_milliseconds_bucket{function="a",le="0.5"} 1',
            'wasmhost_duration_milliseconds_bucket{function="a",le="5"} 2',
            'wasmhost_duration_milliseconds_sum{function="a"} 2.300',
            'wasmhost_duration_milliseconds_count{function="b"} 1',
            'wasmhost_duration_milliseconds_bucket{function="b",le="50"} 0',
            'wasmhost_duration_milliseconds_bucket{function="b",le="100"} 1'} <= got
    # a family lists a function only once it has something to count there
    assert not any(line.startswith(("wasmhost_cold_starts_total{function=\"b\"", "wasmhost_outbound_requests_total"
                                    "{function=\"a\"", "wasmhost_bucket_bytes_read_total{function=\"a\""))
                   for line in got)
    assert m.invocations == {"a": 2, "b": 1, "c": 1}


def test_forget_drops_every_series_of_a_function_and_its_versions():
    m = Metrics()
    for seq, fn in enumerate(("f", "f:1", "fx", "g")):
        m.observe(report(seq, fn, 1_000, status="error"))
        m.throttle(fn)
    m.forget("f")
    assert m.invocations == {"fx": 1, "g": 1}
    assert not any('function="f"' in line or 'function="f:1"' in line for line in lines(m))
