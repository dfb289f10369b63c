"""The cluster backend's pieces on a real three-server JetStream cluster (R3), with
no wasmhost node: engine connections, one per server.

Compare-and-set, with writers released together: exactly one wins, every round. Debian's nats-server 2.9.10 lets concurrent ``update(last=rev)``
calls all pass (nats-io/nats-server#4320); the mirror's writes carry a
de-duplication id that makes one of them the winner (backends/nats/mirror.py).

CI installs what this needs (.ci/run: nats-server from Debian; the ``cluster``
extra: nats-py)."""

from __future__ import annotations

import concurrent.futures
import threading
import time

import pytest
from loopback import NEEDS, Nats

from live import free_port

pytestmark = [NEEDS[0], NEEDS[2]]  # (no HAProxy here)
ROUNDS = 60


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    from wasmhost.backends.nats import ClusterConfig, Engine
    root = tmp_path_factory.mktemp("cas")
    ports = [(free_port(), free_port()) for _ in range(3)]
    servers = [Nats(root, i, ports).start() for i in range(3)]
    started: list[Engine] = []
    try:
        for i, s in enumerate(servers):  # each on its own server: the writes meet in the cluster
            e = Engine(ClusterConfig(servers=(f"nats://127.0.0.1:{s.port}",), node=f"t{i}", timeout_s=5.0))
            e.start()
            started.append(e)
        yield started
    finally:
        for e in started:
            e.close()
        for s in servers:
            s.kill()


def together(calls):
    """Run each call on a thread of its own, released at one moment; their results
    (an exception counts as a result)."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        except Exception as e:  # noqa: BLE001 - a loser's refusal is a result here
            return e
    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def settled(check, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def test_registry_writes_on_one_revision_have_exactly_one_winner(engines, tmp_path):
    from wasmhost.backends.nats import ClusterStore
    nodes = [ClusterStore(e, tmp_path / f"n{i}") for i, e in enumerate(engines)]
    for n in nodes:
        n.load()
    key = "fn.race"
    for r in range(ROUNDS):
        # each node writes on the revision its mirror held when it read the record: the same one
        # (0 in the first round: a create), as two UpdateFunctionConfiguration with one RevisionId
        base = nodes[0].records.revision(key)
        assert all(n.records.revision(key) == base for n in nodes)
        results = together([lambda n=n, doc={"FunctionName": "race", "by": i, "round": r}, last=base:
                            n.engine.call(n.records.update(key, doc, last=last)) for i, n in enumerate(nodes)])
        won = [i for i, out in enumerate(results) if out is not None]
        assert len(won) == 1, (r, base, results)
        want = {"FunctionName": "race", "by": won[0], "round": r}
        settled(lambda want=want: all(n.get_function("race") == want for n in nodes), "every mirror to hold the winner")


def test_a_write_fails_when_another_node_wrote_after_the_operation_read(engines, tmp_path):
    """An operation checks a RevisionId on what it read, may deploy for seconds, then
    writes: another node's write that landed meanwhile makes it fail, not undone."""
    from wasmhost.backends.nats import ClusterStore
    from wasmhost.backends.registry import Conflict
    a, b = ClusterStore(engines[0], tmp_path / "a"), ClusterStore(engines[1], tmp_path / "b")
    for n in (a, b):
        n.load()
    a.put_function("gap", {"FunctionName": "gap", "by": "a0"})
    settled(lambda: b.records.get("functions", ("gap",)) is not None, "the record on b")
    read = a.get_function("gap")  # an operation on a reads the record ...
    b.put_function("gap", dict(b.get_function("gap"), by="b"))  # ... and one on b writes it meanwhile
    settled(lambda: a.records.get("functions", ("gap",))["by"] == "b", "b's write seen on a")
    with pytest.raises(Conflict):
        a.put_function("gap", dict(read, by="a1"))
    # read again: the write goes through, and a second one in the same operation too
    a.put_function("gap", dict(a.get_function("gap"), by="a2"))
    a.put_function("gap", {"FunctionName": "gap", "by": "a3"})
    settled(lambda: b.records.get("functions", ("gap",))["by"] == "a3", "a's writes seen on b")


def test_event_source_records_compare_and_set_has_exactly_one_winner(engines):
    from wasmhost.server.sources.backends.jetstream import JetStreamSources
    stores = [JetStreamSources(e) for e in engines]
    stores[0].put_record("rule", "tick", {"Name": "tick", "_next": 0})
    settled(lambda: all(s.get_record("rule", "tick") == {"Name": "tick", "_next": 0} for s in stores),
            "the rule everywhere")
    for r in range(ROUNDS):
        results = together([lambda s=s, r=r, doc={"Name": "tick", "_next": r + 1, "by": i}:
                            s.compare_and_set("rule", "tick", "_next", r, doc) for i, s in enumerate(stores)])
        assert sorted(results) == [False, False, True], (r, results)
        settled(lambda r=r: all(s.get_record("rule", "tick")["_next"] == r + 1 for s in stores), "the claim everywhere")
    # one queue created on three nodes at once: one creates it, the others are told it exists
    results = together([lambda s=s: s.create_queue("q", {}, {}) for s in stores])
    assert sum(out is None for out in results) == 1, results



def test_the_newest_log_lines_come_from_the_streams_tail(engines):
    """``/wasmhost/logs`` reads the last messages of the stream first, more only when
    they hold too few lines: the newest lines, whatever the stream's length."""
    import msgpack

    from wasmhost.backends.nats import StreamLedger
    from wasmhost.backends.nats.engine import LOGS_SUBJECT
    from wasmhost.backends.nats.ledger import TAIL_WINDOW
    engine = engines[0]
    n = TAIL_WINDOW * 2 + 50

    async def publish():
        for i in range(n):  # one line a message, and as many of another function in between
            for fn in ("busy", "other"):
                item = [i, 0, fn, f"{fn}-{i}", 1000 + i, b"line %d" % i]
                await engine.js.publish(f"{LOGS_SUBJECT}.{fn}", msgpack.packb(["w0", f"e-{fn}", [item]]),
                                        headers={"Nats-Msg-Id": f"test:{fn}:{i}"})
    engine.call(publish(), timeout=60)
    ledger = StreamLedger(engine)
    for limit in (1, 5, TAIL_WINDOW + 10, n, n + 10):
        got = ledger.logs("busy", limit=limit)
        assert [e["request_id"] for e in got] == [f"busy-{i}" for i in range(n - 1, max(-1, n - 1 - limit), -1)]
        assert {e["node"] for e in got} == {"w0"}
    assert sorted(e["request_id"] for e in ledger.logs(None, limit=2)) == [f"busy-{n - 1}", f"other-{n - 1}"]
    assert ledger.logs("nothing-here", limit=5) == []
    assert len(ledger.logs("busy", since=(1000 + n - 3) / 1000, limit=100)) == 3


def _reports(ledger, function: str, n: int, start: int) -> None:
    import time as _time

    from wasmhost.metering import Report
    now = _time.perf_counter_ns()
    for i in range(start, start + n):
        ledger.record(Report(i, function, "$LATEST", now + i, 1_500_000, None, 10, 65536, 128, i == start,
                             "ok" if i % 4 else "error", None if i % 4 else "Boom"))
    ledger.flush()


def test_all_time_totals_outlive_the_ledger_streams_retention(engines, tmp_path):
    """Reports leave the ledger stream after its retention (engine.py's limits; here a
    purge stands for them): all-time totals come from every node's running totals
    and stay exact; a window's totals read what the stream still holds."""
    from wasmhost.backends.nats import StreamLedger
    from wasmhost.backends.nats.engine import DAY_S, LEDGER_STREAM, LEDGER_SUBJECT, LOGS_STREAM, MB
    from wasmhost.backends.nats.ledger import LedgerPublisher
    from wasmhost.metering import Ledger
    engine = engines[0]
    info = engine.call(engine.js.stream_info(LEDGER_STREAM))
    assert (info.config.max_age, info.config.max_bytes) == (30 * DAY_S, 512 * MB)
    info = engine.call(engine.js.stream_info(LOGS_STREAM))
    assert (info.config.max_age, info.config.max_bytes) == (7 * DAY_S, 256 * MB)

    path = tmp_path / "ledger.sqlite"
    local = Ledger(path)
    _reports(local, "kept", 40, 0)
    publisher = LedgerPublisher(engine, path)
    publisher.publish_now()
    ledger = StreamLedger(engines[1])  # another node reads
    first = ledger.totals("kept")
    assert (first["invocations"], first["errors"], first["cold_starts"], first["billed_ms"]) == (40, 10, 1, 80)
    engine.call(engine.js.purge_stream(LEDGER_STREAM, subject=f"{LEDGER_SUBJECT}.kept"))  # aged out
    assert ledger.totals("kept") == first
    assert ledger.totals("kept", since=0)["invocations"] == 0  # the window reads the stream
    _reports(local, "kept", 10, 40)
    publisher.close()
    assert ledger.totals("kept")["invocations"] == 50
    # the node restarted on the same file, its outbox rewound (a crash between publishing
    # and noting it): batches are published again, its totals put again, nothing added twice
    import sqlite3
    with sqlite3.connect(path) as db:
        assert db.execute("UPDATE cluster_outbox SET published = 0").rowcount == 1
    publisher = LedgerPublisher(engine, path)
    publisher.start()
    publisher.close()
    assert ledger.totals("kept")["invocations"] == 50
    assert ledger.totals("never-ran")["invocations"] == 0
    assert ledger.totals(None)["invocations"] >= 50
    local.close()


def test_a_node_with_other_retention_limits_sets_them(engines):
    from wasmhost.backends.nats import ClusterConfig, Engine
    from wasmhost.backends.nats.engine import DAY_S, LOGS_STREAM, MB
    url = engines[0].config.servers[0]
    for age, size in ((3600.0, 64 * MB), (7 * DAY_S, 256 * MB)):  # and back to the defaults the others use
        e = Engine(ClusterConfig(servers=(url,), node="limits", timeout_s=5.0, logs_max_age_s=age,
                                 logs_max_bytes=size))
        e.start()
        try:
            info = e.call(e.js.stream_info(LOGS_STREAM))
            assert (info.config.max_age, info.config.max_bytes) == (age, size)
        finally:
            e.close()


def test_a_whole_bucket_read_has_every_current_value_every_time(engines):
    """``kv_scan.current`` is the read behind all-time totals and a store's keys: the
    watch it replaced could say "no more values" before handing over any (nats-py
    decides so from the consumer's pending count, which is zero once the server has
    pushed them), and a read came back empty. Read many times, from each server,
    just after the writes: every read has exactly the live keys and their values."""
    from wasmhost.backends.nats.buckets import key_value
    from wasmhost.backends.nats.kv_scan import current
    engine = engines[0]
    kv = engine.call(key_value(engine.js, "T_SCAN", 3))
    want = {}
    for i in range(300):
        engine.call(kv.put(f"fn{i % 3}.k{i}", str(i).encode()))
        want[f"fn{i % 3}.k{i}"] = str(i).encode()
    for i in range(0, 300, 7):
        engine.call(kv.delete(f"fn{i % 3}.k{i}"))
        want.pop(f"fn{i % 3}.k{i}")
    engine.call(kv.purge("fn1.k1"))
    want.pop("fn1.k1")
    engine.call(kv.put("fn0.k0", b"again"))  # deleted, then written again
    want["fn0.k0"] = b"again"
    fn2 = {k: v for k, v in want.items() if k.startswith("fn2.")}
    for round_ in range(20):
        reader = engines[round_ % 3]
        assert reader.call(current(reader.js, "T_SCAN")) == want
        assert reader.call(current(reader.js, "T_SCAN", "fn2.>")) == fn2
        assert reader.call(current(reader.js, "T_SCAN", "fn2.>", meta_only=True)) == dict.fromkeys(fn2, b"")
    assert engine.call(current(engine.js, "T_SCAN", "nothing.>")) == {}
