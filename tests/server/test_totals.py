"""``GET /wasmhost/totals`` on one node (tests/cluster/ checks it across a cluster)."""

import json
import time
import urllib.error
import urllib.request

import pytest

from live import create


def totals(server, query: str) -> dict:
    with urllib.request.urlopen(f"{server.url}/wasmhost/totals?{query}", timeout=10) as r:
        return json.loads(r.read())


def test_totals_of_a_function_and_a_time_range(server, client):
    create(client, "tot", "log_event")
    t0 = time.time()
    for _ in range(3):
        client.invoke(FunctionName="tot", Payload=b"{}")
    got = totals(server, "function=tot")
    assert (got["function"], got["invocations"], got["errors"]) == ("tot", 3, 0)
    assert got["billed_ms"] >= 3 and got["gb_seconds"] > 0 and got["fuel_used"] > 0
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 - 60))
    assert totals(server, f"function=tot&since={since}")["invocations"] == 3
    assert totals(server, f"function=tot&since={t0 + 3600}")["invocations"] == 0
    assert totals(server, f"function=tot&until={t0 - 60}")["invocations"] == 0
    assert totals(server, "")["invocations"] >= 3  # every function's
    assert totals(server, "function=a.%3E")["invocations"] == 0  # no such function


@pytest.mark.parametrize("query", ["since=yesterday", "until=1e400x", "since=2026-13-45",
                                   "since=99999999999999999999999", "until=0001-01-01T00:00:00"])
def test_a_bad_time_is_a_clear_400(server, query):
    with pytest.raises(urllib.error.HTTPError) as e:
        totals(server, query)
    assert e.value.code == 400
    assert e.value.headers["x-amzn-ErrorType"] == "InvalidParameterValueException"
