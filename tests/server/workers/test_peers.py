"""Merging the workers' metrics texts into the server's: counters and histograms
add up, gauges of per-worker things add up, gauges of shared state are taken
once, and per-worker series keep their labels."""

from wasmhost.server.workers.peers import merge

A = """# HELP wasmhost_invocations_total Invocations that ran, by function.
# TYPE wasmhost_invocations_total counter
wasmhost_invocations_total{function="f"} 3
wasmhost_invocations_total{function="g"} 1
# HELP wasmhost_duration_milliseconds Invocation duration.
# TYPE wasmhost_duration_milliseconds histogram
wasmhost_duration_milliseconds_bucket{function="f",le="1"} 2
wasmhost_duration_milliseconds_sum{function="f"} 1.25
# HELP wasmhost_warm_instances Instances ready for an invocation.
# TYPE wasmhost_warm_instances gauge
wasmhost_warm_instances{function="f"} 1
# HELP wasmhost_async_pending_events Accepted asynchronous events not yet finished.
# TYPE wasmhost_async_pending_events gauge
wasmhost_async_pending_events 7
# HELP wasmhost_worker_up A worker process that answered this scrape.
# TYPE wasmhost_worker_up gauge
wasmhost_worker_up{worker="0",pid="10"} 1
"""
B = (A.replace('function="f"} 3', 'function="f"} 4').replace('wasmhost_invocations_total{function="g"} 1\n', "")
     .replace("1.25", "0.5").replace("pending_events 7", "pending_events 6").replace('"0",pid="10"', '"1",pid="11"'))


def test_counters_and_per_worker_gauges_add_up_shared_gauges_are_taken_once():
    lines = merge([A, B]).splitlines()
    assert 'wasmhost_invocations_total{function="f"} 7' in lines
    assert 'wasmhost_invocations_total{function="g"} 1' in lines
    assert 'wasmhost_duration_milliseconds_bucket{function="f",le="1"} 4' in lines
    assert 'wasmhost_duration_milliseconds_sum{function="f"} 1.75' in lines
    assert 'wasmhost_warm_instances{function="f"} 2' in lines
    assert "wasmhost_async_pending_events 7" in lines  # read by both from the same file: once
    assert 'wasmhost_worker_up{worker="0",pid="10"} 1' in lines and 'wasmhost_worker_up{worker="1",pid="11"} 1' in lines
    assert lines.count("# TYPE wasmhost_invocations_total counter") == 1
    assert lines.index("# TYPE wasmhost_invocations_total counter") < lines.index(
        'wasmhost_invocations_total{function="f"} 7')


def test_one_worker_alone_is_unchanged():
    assert merge([A]) == A


def test_sources_of_several_workers_share_definitions_and_sum_counters():
    from wasmhost.server.workers.peers import merge_sources
    queue = {"name": "work", "visible": 3, "inFlight": 1, "delayed": 0}
    a = {"queues": [queue], "schedules": [{"name": "tick", "state": "ENABLED", "fired": 2, "delivered": 2, "failed": 0}],
         "mappings": [{"uuid": "u1", "batchSize": 5, "lastResult": "OK", "inFlight": 1, "batches": 4, "succeeded": 18,
                       "failed": 2, "throttled": 0, "unavailable": 0}]}
    b = {"queues": [queue], "schedules": [{"name": "tick", "state": "ENABLED", "fired": 1, "delivered": 0, "failed": 1}],
         "mappings": [{"uuid": "u1", "batchSize": 5, "lastResult": "OK", "inFlight": 0, "batches": 3, "succeeded": 15,
                       "failed": 0, "throttled": 1, "unavailable": 0},
                      {"uuid": "u2", "batchSize": 1, "lastResult": None, "inFlight": 0}]}
    got = merge_sources([a, b])
    assert got["queues"] == [queue] and got["workers"] == 2  # shared files: once, not doubled
    m = {x["uuid"]: x for x in got["mappings"]}
    assert m["u1"] == {"uuid": "u1", "batchSize": 5, "lastResult": "OK", "inFlight": 1, "batches": 7, "succeeded": 33,
                       "failed": 2, "throttled": 1, "unavailable": 0}
    assert m["u2"]["batchSize"] == 1  # seen by one worker only: as it is
    assert got["schedules"] == [{"name": "tick", "state": "ENABLED", "fired": 3, "delivered": 2, "failed": 1}]
