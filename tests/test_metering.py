"""Reports, the REPORT line, and the SQLite ledger."""

import time

import pytest

from guestlib import guest
from wasmhost import FunctionConfig, Host, InvocationError, Ledger, Report


def test_report_line_format():
    r = Report(7, "fn", "$LATEST", time.perf_counter_ns(), 24_670_000, 181_920_000, 1234, 75 << 20, 128, True)
    line = r.line()
    assert line.startswith(f"REPORT RequestId: {r.request_id}\tDuration: 24.67 ms\t")
    assert "\tBilled Duration: 207 ms\tMemory Size: 128 MB\tMax Memory Used: 75 MB\tInit Duration: 181.92 ms\t" in line
    assert line.endswith("\t") and "Fuel Used: 1234" in line
    warm = Report(8, "fn", "1", 0, 1_000, None, 1, 1, 128, False)
    assert warm.billed_ms == 1 and "Init Duration" not in warm.line()
    assert Report(9, "f", "1", 0, 2_000_001, None, 1, 1, 128, False).billed_ms == 3


def test_flush_in_chunks_writes_everything_once(tmp_path):
    """A flush packs FLUSH_CHUNK entries per hold of the GIL; all of them land, and
    what is recorded during a flush waits for the next one."""
    from wasmhost.metering import FLUSH_CHUNK
    ledger = Ledger(tmp_path / "l.sqlite")
    n = FLUSH_CHUNK * 3 + 7
    t = time.perf_counter_ns()
    for i in range(n):
        ledger.record(Report(i, "a" if i % 3 else "b", "$LATEST", t + i, 1_000, None, 1, 1, 128, False))
    assert ledger.flush() == n and ledger.flush() == 0
    assert ledger.totals("a")["invocations"] + ledger.totals("b")["invocations"] == n
    assert len({r["request_id"] for r in ledger.query("a", limit=n)}) == ledger.totals("a")["invocations"]
    ledger.close()


def test_ledger_query_and_totals(tmp_path):
    with Host(tmp_path) as h:
        h.deploy("echo", guest("echo"), FunctionConfig(memory_mb=256))
        h.deploy("trap", guest("trap"))
        results = [h.invoke("echo", b"x" * 64) for _ in range(50)]
        with pytest.raises(InvocationError):
            h.invoke("trap", b"")
        h.ledger.flush()
        rows = h.ledger.query("echo")
        assert len(rows) == 50
        assert {r["request_id"] for r in rows} == {r.report.request_id for r in results}
        newest = results[-1].report
        assert rows[0]["request_id"] == newest.request_id
        assert rows[0]["duration_ms"] == newest.duration_ms and rows[0]["fuel_used"] == newest.fuel_used
        t = h.ledger.totals("echo")
        assert t["invocations"] == 50 and t["errors"] == 0 and t["cold_starts"] == 1
        billed = sum(r.report.billed_ms for r in results)
        assert t["billed_ms"] == billed
        assert t["gb_seconds"] == pytest.approx(billed / 1000 * 256 / 1024)
        assert t["fuel_used"] == sum(r.report.fuel_used for r in results)
        all_t = h.ledger.totals()
        assert all_t["invocations"] == 51 and all_t["errors"] == 1
        trap_row = h.ledger.query("trap")[0]
        assert trap_row["status"] == "trap" and trap_row["error_type"] == "Runtime.Trap"
        # the trap's backtrace is in its log
        assert "unreachable" in h.ledger.logs("trap")[0]["text"]


def test_ledger_time_ranges_and_persistence(tmp_path):
    with Host(tmp_path) as h:
        h.deploy("echo", guest("echo"))
        h.invoke("echo", b"a")
        h.ledger.flush()
        mid = time.time() + 0.001
        time.sleep(0.02)
        h.invoke("echo", b"b")
        h.invoke("echo", b"c")
    # a new process-lifetime (new Host) reads what the old one wrote at close
    led = Ledger(tmp_path / "ledger.sqlite")
    assert led.totals("echo")["invocations"] == 3
    assert led.totals("echo", since=mid)["invocations"] == 2
    assert led.totals("echo", until=mid)["invocations"] == 1
    assert led.totals("nope")["invocations"] == 0
    assert len(led.query(since=mid)) == 2
    led.close()


def test_ledger_is_written_in_the_background(tmp_path):
    with Host(tmp_path, flush_interval_s=0.05) as h:
        h.deploy("h", guest("host_imports"))
        res = h.invoke("h", b"log")
        deadline = time.time() + 5
        while not h.ledger.logs("h") and time.time() < deadline:
            time.sleep(0.02)
        (entry,) = h.ledger.logs("h")
        assert entry["request_id"] == res.report.request_id and entry["text"] == "first line\nsecond line\n"
        assert h.ledger.totals("h")["invocations"] == 1


@pytest.mark.parametrize("functions", [("a",), ("a", "b", "c")])
def test_a_flush_keeps_every_report_log_and_alias_in_its_place(tmp_path, functions):
    """One function's batch, several functions', logs among them and reports that run
    under a given id: each is written once, under its own function and id."""
    from wasmhost.clock import ALIASES, RID_HEAD, request_id
    ledger = Ledger(tmp_path / "ledger.db")
    given = "0123abcd-0000-4000-8000-00000000beef"
    for seq in range(1, 601):
        fn = functions[seq % len(functions)]
        if seq == 300:
            ALIASES[seq] = given
        if seq % 100 == 0:  # a run's log goes in before its report (function.py)
            ledger.record((seq, fn, seq * 1000, f"log {seq}\n"))
        ledger.record(Report(seq, fn, "$LATEST", seq * 1000, 5000, None, 7, 65536, 128, False, "ok", None, 0, 0, 0, 0))
    try:
        assert ledger.flush() == 600
        rows = ledger.query(limit=10_000)
        assert len(rows) == 600 and {r["function"] for r in rows} == set(functions)
        ids = {r["request_id"] for r in rows}
        assert given in ids and request_id(300) not in ids and request_id(301) in ids
        assert all(i.startswith(RID_HEAD) for i in ids - {given})
        for fn in functions:
            assert ledger.totals(fn)["invocations"] == sum(1 for s in range(1, 601) if functions[s % len(functions)] == fn)
        logs = {entry["request_id"]: entry["text"] for entry in ledger.logs(limit=100)}
        assert logs[given] == "log 300\n" and logs[request_id(100)] == "log 100\n" and len(logs) == 6
        assert 300 not in ALIASES  # the report took its alias with it
    finally:
        ALIASES.pop(300, None)
        ledger.close()
