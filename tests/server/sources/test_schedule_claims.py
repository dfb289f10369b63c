"""A schedule's tick claimed by a process that died before it finished: delivered
by another once the claim's lease ends, never while it lasts (schedules.py), on
the SQLite backend in a temp dir (the cluster's run: tests/cluster/)."""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace

from wasmhost.server.sources.backends.sqlite import SqliteSources
from wasmhost.server.sources.schedules import RULE, TARGET, Schedules, iso
from wasmhost.server.sources.sqs import Queues


def _setup(tmp_path, lease_until: float):
    store = SqliteSources(tmp_path)
    queues = Queues(store, "us-east-1")
    store.create_queue("ticks", {}, {})
    service = SimpleNamespace(region="us-east-1", cluster=None, started_at=0.0)
    schedules = Schedules(service, store, queues)
    tick = time.time() - 30
    rule = {"Name": "r", "Arn": schedules.arn("r"), "ScheduleExpression": "rate(1 hour)", "State": "ENABLED",
            "EventBusName": "default", "_anchor": tick, "_last": tick, "_next": tick + 3600,
            "_pending": {"tick": tick, "by": "pid1", "until": lease_until}}
    store.put_record(RULE, "r", rule)
    store.put_record(TARGET, "r/q", {"Id": "q", "Arn": queues.arn("ticks"), "_rule": "r"})
    return store, schedules, tick


async def _received(store: SqliteSources) -> list[dict]:
    return [json.loads(m.body) for m in await store.receive("ticks", 10, 30, None, 3600)]


def test_an_unfinished_tick_is_delivered_once_its_lease_ends(tmp_path):
    store, schedules, tick = _setup(tmp_path, lease_until=time.time() - 1)

    async def run():
        nxt = await schedules._step(store.get_record(RULE, "r"), time.time())
        return nxt, await _received(store)
    nxt, got = asyncio.run(run())
    assert [e["time"] for e in got] == [iso(tick)] and got[0]["detail-type"] == "Scheduled Event"
    assert store.get_record(RULE, "r")["_pending"] is None  # done
    assert nxt == tick + 3600
    store.close()


def test_a_tick_under_a_live_lease_is_left_to_its_claimer(tmp_path):
    until = time.time() + 5
    store, schedules, _ = _setup(tmp_path, lease_until=until)

    async def run():
        nxt = await schedules._step(store.get_record(RULE, "r"), time.time())
        return nxt, await _received(store)
    assert asyncio.run(run()) == (until, [])
    assert store.get_record(RULE, "r")["_pending"]["by"] == "pid1"
    store.close()


def test_a_due_tick_is_claimed_delivered_and_marked_done(tmp_path):
    store, schedules, tick = _setup(tmp_path, lease_until=0)
    rule = dict(store.get_record(RULE, "r"), _pending=None, _next=tick)
    store.put_record(RULE, "r", rule)

    async def run():
        await schedules._step(rule, time.time())
        return await _received(store)
    got = asyncio.run(run())
    assert [e["time"] for e in got] == [iso(tick)]
    stored = store.get_record(RULE, "r")
    assert stored["_last"] == tick and stored["_next"] > time.time() and stored["_pending"] is None
    assert schedules.stats["r"] == {"fired": 1, "delivered": 1, "failed": 0}
    store.close()


def test_a_done_write_refused_by_a_stale_view_is_tried_again(tmp_path):
    """On a cluster two nodes can both win a tick's claim; the winner of the
    de-duplicated publish delivers, but its mirror may not have seen the other's
    claim yet, so its first done-write fails on the revision. It must try again
    once the view has caught up, or the rule waits a whole lease (CI saw one tick
    in five seconds)."""
    store, schedules, tick = _setup(tmp_path, lease_until=0)
    rule = dict(store.get_record(RULE, "r"), _pending=None, _next=tick)
    store.put_record(RULE, "r", rule)
    real, refused = store.compare_and_set, []

    def stale_once(kind, key, field, expected, doc):
        if field == "_pending" and doc.get("_pending") is None and not refused:
            refused.append(expected)
            return False  # the other node's write, not yet in this node's mirror
        return real(kind, key, field, expected, doc)
    store.compare_and_set = stale_once  # type: ignore[method-assign]

    async def run():
        await schedules._step(rule, time.time())
        return await _received(store)
    assert [e["time"] for e in asyncio.run(run())] == [iso(tick)]
    assert refused and store.get_record(RULE, "r")["_pending"] is None
    store.close()
