"""Key-value state: per function, across invocations, instances, strict isolation and
restarts; named stores shared between the functions granted them; quotas."""

from __future__ import annotations

import sqlite3
import textwrap

import pytest

from wasmhost import DeployError, FunctionConfig, FunctionError, Host
from wasmhost.backends.kv import SQLiteKV
from wasmhost.capabilities import kv as kvcap

APP = textwrap.dedent('''
    from wasmhost_sdk import KVError, kv

    def handler(event, context):
        store = kv.store(event["store"]) if event.get("store") else kv
        op = event["op"]
        try:
            if op == "incr":
                n = int(store.get("n") or b"0") + 1
                store.set("n", str(n))
                return n
            if op == "set":
                store.set(event["key"], event["value"].encode("latin-1"))
                return None
            if op == "get":
                v = store.get(event["key"])
                return None if v is None else v.decode("latin-1")
            if op == "delete":
                return store.delete(event["key"])
            if op == "keys":
                return store.keys(event.get("prefix", ""))
            if op == "big_value":
                store.set("big", b"x" * (event["n"]))
            if op == "big_key":
                store.set("k" * event["n"], b"v")
            if op == "set_then_fail":
                store.set(event["key"], event["value"].encode("latin-1"))
                raise RuntimeError("after the set")
        except KVError as e:
            return {"error": e.kind, "message": str(e)}
''')


@pytest.fixture(scope="module")
def env(tmp_path_factory, artifact_cache):
    tmp = tmp_path_factory.mktemp("kv")
    app = tmp / "app.py"
    app.write_text(APP)
    return tmp, app, artifact_cache


@pytest.fixture(scope="module")
def kvhost(env):
    tmp, app, cache = env
    h = Host(tmp / "data", cache_dir=cache)
    h.deploy("counter", app)
    h.deploy("other", app)
    h.deploy("strict", app, FunctionConfig(isolation="strict"))
    h.deploy("writer", app, FunctionConfig(kv_stores=("sessions",)))
    h.deploy("reader", app, FunctionConfig(kv_stores=("sessions",)))
    yield h
    h.close()


def test_state_survives_invocations_and_instances(kvhost, env):
    assert [kvhost.invoke("counter", {"op": "incr"}).value for _ in range(3)] == [1, 2, 3]
    kvhost.deploy("counter", env[1])  # a redeploy: every old instance goes, new ones start
    assert kvhost.invoke("counter", {"op": "incr"}).value == 4


def test_functions_do_not_see_each_others_store(kvhost):
    kvhost.invoke("other", {"op": "set", "key": "secret", "value": "mine"})
    assert kvhost.invoke("counter", {"op": "get", "key": "secret"}).value is None
    assert kvhost.invoke("other", {"op": "get", "key": "secret"}).value == "mine"


def test_strict_isolation_function_keeps_its_kv(kvhost):
    """A fresh instance per invocation forgets its memory, not its store."""
    assert [kvhost.invoke("strict", {"op": "incr"}).value for _ in range(3)] == [1, 2, 3]


def test_binary_values_delete_and_prefix_keys(kvhost):
    value = "".join(map(chr, range(256)))
    kvhost.invoke("other", {"op": "set", "key": "bin", "value": value})
    assert kvhost.invoke("other", {"op": "get", "key": "bin"}).value == value
    for k in ("user:1", "user:2", "usr", "user:%"):
        kvhost.invoke("other", {"op": "set", "key": k, "value": "v"})
    assert kvhost.invoke("other", {"op": "keys", "prefix": "user:"}).value == ["user:%", "user:1", "user:2"]
    assert kvhost.invoke("other", {"op": "delete", "key": "usr"}).value is True
    assert kvhost.invoke("other", {"op": "delete", "key": "usr"}).value is False


def test_named_store_shared_by_granted_functions_only(kvhost):
    kvhost.invoke("writer", {"op": "set", "store": "sessions", "key": "s1", "value": "alice"})
    assert kvhost.invoke("reader", {"op": "get", "store": "sessions", "key": "s1"}).value == "alice"
    assert kvhost.invoke("reader", {"op": "get", "key": "s1"}).value is None  # its own store is another
    out = kvhost.invoke("counter", {"op": "get", "store": "sessions", "key": "s1"}).value
    assert out["error"] == "StoreNotGranted" and "kv_stores" in out["message"] and "sessions" in out["message"]


def test_quotas_are_clear_errors(kvhost):
    out = kvhost.invoke("other", {"op": "big_value", "n": kvcap.MAX_VALUE + 1}).value
    assert out["error"] == "ValueTooLarge" and str(kvcap.MAX_VALUE) in out["message"]
    out = kvhost.invoke("other", {"op": "big_key", "n": kvcap.MAX_KEY + 1}).value
    assert out["error"] == "KeyTooLarge"
    assert kvhost.invoke("other", {"op": "big_value", "n": kvcap.MAX_VALUE}).value is None  # at the limit: fine


def test_kv_survives_a_restart(env):
    tmp, app, cache = env
    with Host(tmp / "restart", cache_dir=cache) as h:
        h.deploy("c", app)
        assert h.invoke("c", {"op": "incr"}).value == 1
    with Host(tmp / "restart", cache_dir=cache) as h:
        h.deploy("c", app)
        assert h.invoke("c", {"op": "incr"}).value == 2
    rows = sqlite3.connect(tmp / "restart" / "kv.sqlite").execute("SELECT store, key, value FROM kv").fetchall()
    assert rows == [("fn/c", "n", b"2")]


def test_store_names_are_checked_at_deploy():
    with pytest.raises(DeployError, match="kv_stores"):
        FunctionConfig(kv_stores=("no spaces",))
    assert FunctionConfig(kv_stores="a, b").kv_stores == ("a", "b")


def test_sqlite_backend(tmp_path):
    db = SQLiteKV(tmp_path / "kv.sqlite")
    assert db.get("s", "k") is None
    db.set("s", "k", b"1")
    db.set("t", "k", b"2")
    assert db.get("s", "k") == b"1" and db.keys("s") == ["k"] and db.keys("s", "x") == []
    assert db.delete("s", "k") and not db.delete("s", "k")
    db.close()
    assert SQLiteKV(tmp_path / "kv.sqlite").get("t", "k") == b"2"


def test_sqlite_backend_group_commits(tmp_path):
    """A set is seen in this process at once and by another connection (another worker
    process) once flushed; keys and delete see pending writes."""
    db, other = SQLiteKV(tmp_path / "kv.sqlite"), SQLiteKV(tmp_path / "kv.sqlite")
    db.set("s", "k", b"1")
    assert db.get("s", "k") == b"1"
    assert other.get("s", "k") is None  # not committed yet
    db.flush()
    assert other.get("s", "k") == b"1"
    db.set("s", "k", b"2")
    db.set("s", "j", b"3")
    assert db.keys("s") == ["j", "k"]  # keys commits what is pending first
    assert other.get("s", "j") == b"3" and other.get("s", "k") == b"2"
    db.set("s", "p", b"4")
    assert db.delete("s", "p") and db.get("s", "p") is None and not db.delete("s", "p")
    db.set("s", "late", b"5")
    db.close()  # commits
    assert other.get("s", "late") == b"5"
    other.close()


def test_writes_are_committed_when_their_invocation_ends(env):
    """Durable when the answer leaves, failed or not, with the janitor's flush out of the way."""
    tmp, app, cache = env
    with Host(tmp / "ends", cache_dir=cache, flush_interval_s=3600) as h:
        h.deploy("w", app)
        h.invoke("w", {"op": "set", "key": "a", "value": "1"})
        with pytest.raises(FunctionError, match="after the set"):
            h.invoke("w", {"op": "set_then_fail", "key": "b", "value": "2"})
        rows = sqlite3.connect(tmp / "ends" / "kv.sqlite").execute("SELECT key, value FROM kv ORDER BY key").fetchall()
        assert rows == [("a", b"1"), ("b", b"2")]
