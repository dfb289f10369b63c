"""The cluster backend's own encodings, without a server: registry keys, event
messages and ledger messages (tests/cluster/ runs them against real servers)."""

import msgpack
import pytest

pytest.importorskip("nats", reason="the cluster backend needs nats-py: pip install 'wasmhost[cluster]'")

from wasmhost.backends.nats import ledger, queue, registry  # noqa: E402


@pytest.mark.parametrize("table,key", [("functions", ("fn-1",)), ("versions", ("fn_1", 12)),
                                       ("aliases", ("fn", "live")), ("layers", ("shared", 3))])
def test_registry_keys_round_trip(table, key):
    assert registry._parse(registry._kv_key(table, key)) == (table, key)


@pytest.mark.parametrize("kv_key", ["fn", "nope.x", "ver.fn", "ver.fn.x", "layer.a.1.2", ""])
def test_keys_of_no_table_are_ignored(kv_key):
    assert registry._parse(kv_key) is None


def test_an_event_survives_the_wire_and_garbage_does_not_pass_for_one():
    event = {"function": "f", "qualifier": "3", "payload": b'{"a": 1}', "request_id": "r-1", "attempts": 2,
             "created_at": 1.5}
    back = queue._events(queue._body(event, not_before=9.0))
    assert back == [dict(event, not_before=9.0, error=None, failed_at=None)]
    for junk in (msgpack.packb([1, 2]), msgpack.packb(["f", None, "r", 0, 0.0, 0.0, None, None, "not bytes"]),
                 msgpack.packb([]), msgpack.packb({"function": "f"}), msgpack.packb([[1, 2]])):
        with pytest.raises((ValueError, TypeError)):
            queue._events(junk)


def test_a_group_of_events_is_one_message_of_each_event_in_order():
    events = [{"function": f"f{i}", "qualifier": None, "payload": b"%d" % i, "request_id": f"r-{i}", "attempts": 0,
               "created_at": 1.0} for i in range(3)]
    back = queue._events(msgpack.packb([queue._fields(e) for e in events]))
    assert back == [dict(e, not_before=0.0, error=None, failed_at=None) for e in events]


def test_ledger_messages_stay_under_the_size_limit_and_keep_every_report(monkeypatch):
    monkeypatch.setattr(ledger, "MAX_MESSAGE", 1000)
    reports = [[i, "f", "$LATEST", i, 1000, None, 5, 65536, 128, False, "ok", None, 0, 0] for i in range(200)]
    chunks = ledger._split(msgpack.packb(reports))
    assert len(chunks) > 1 and all(len(c) <= 1000 for c in chunks)
    assert [r for c in chunks for r in msgpack.unpackb(c)] == reports
    items = [[row, part, 0, 0, "h", 0, c] for row, c in enumerate(chunks) for part in (0,)]
    messages = list(ledger._messages(items))
    assert [i for m in messages for i in m] == items
    assert all(sum(len(i[-1]) for i in m) <= 1000 or len(m) == 1 for m in messages)
