"""Lambda's async identity and nothing lost in metering (issue 13, item 5): an
``Event`` invocation runs under the request id its 202 returned (its logs and its
report are found by it), and a ``kill -9`` right after the 202s loses no report:
every accepted event runs and is metered, under its own id."""

import json
import urllib.request

from live import Server, create, lambda_client
from test_async_and_restart import wait_for


def ledger(server, function):
    with urllib.request.urlopen(f"{server.url}/wasmhost/logs?function={function}&limit=100000", timeout=30) as r:
        return json.loads(r.read())


def test_events_run_under_their_202_ids_and_survive_kill_9(tmp_path):
    s = Server(tmp_path / "data").start()
    try:
        c = lambda_client(s.url)
        create(c, "logger", "host_imports")
        ids = [c.invoke(FunctionName="logger", InvocationType="Event", Payload=b'"log"')["ResponseMetadata"]
               ["RequestId"] for _ in range(300)]
        s.kill()  # right after the last 202: most events have not run yet
        s.start()
        assert wait_for(lambda: s.metric("wasmhost_async_pending_events") == 0, timeout=60)
        got = ledger(s, "logger")
        assert {r["request_id"] for r in got["reports"]} == set(ids)  # every one, under its own id
        logs = {x["request_id"]: x["text"] for x in got["logs"]}
        assert set(logs) == set(ids) and all("first line" in t for t in logs.values())
    finally:
        s.stop()
