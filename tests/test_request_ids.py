"""An invocation run under a given request id (an asynchronous event under the id
its 202 returned): the guest's context, the report, the logs and the ledger all
carry that id, also when a later process runs it; a refused run leaves nothing."""

import asyncio
import uuid

import msgpack

from guestlib import guest
from wasmhost import FunctionConfig, Host, Throttled
from wasmhost.clock import ALIASES, split_id


def test_split_id_round_trips_uuids():
    from wasmhost.clock import request_id
    rid = str(uuid.uuid4())
    head, seq = split_id(rid)
    assert request_id(seq, head) == rid
    assert split_id("not-a-uuid") is None
    assert split_id("0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D") is None  # (upper case; a random one's may have no letters)


def test_run_under_a_given_id(tmp_path):
    rid = str(uuid.uuid4())
    with Host(tmp_path) as h:
        h.deploy("ctx", guest("host_imports"))

        async def run():
            ctx = await h.ainvoke("ctx", b'"context"', request_id=rid)
            logged = await h.ainvoke("ctx", b'"log"', request_id=rid.replace(rid[-4:], "beef"))
            plain = await h.ainvoke("ctx", b'"log"')
            return ctx, logged, plain

        ctx, logged, plain = asyncio.run(run())
        assert msgpack.unpackb(ctx.payload)["request_id"] == rid  # what the guest sees
        assert ctx.report.request_id == rid and f"RequestId: {rid}\t" in ctx.report.line()
        h.ledger.flush()
        assert not ALIASES  # the ledger took them
        ids = {r["request_id"] for r in h.ledger.query("ctx", limit=10)}
        assert {rid, rid.replace(rid[-4:], "beef"), plain.report.request_id} == ids
        (log,) = [x for x in h.ledger.logs("ctx") if x["request_id"] == rid.replace(rid[-4:], "beef")]
        assert "first line" in log["text"]
    with Host(tmp_path) as later:  # another process's ledger reads the same ids
        assert rid in {r["request_id"] for r in later.ledger.query("ctx", limit=10)}


def test_a_refused_run_leaves_no_alias(tmp_path):
    with Host(tmp_path) as h:
        h.deploy("echo", guest("echo"), FunctionConfig(max_concurrency=1))
        h.deploy("spin", guest("spin"), FunctionConfig(max_concurrency=1, timeout_ms=300))

        async def run():
            slow = asyncio.ensure_future(h.ainvoke("spin", b"{}"))
            await asyncio.sleep(0.05)
            try:
                await h.ainvoke("spin", b"{}", request_id=str(uuid.uuid4()))
            except Throttled:
                pass
            else:
                raise AssertionError("expected a throttle")
            try:
                await slow
            except Exception:
                pass

        asyncio.run(run())
        assert not ALIASES
