"""The SQLite registry: records survive a reopen; deleting a function takes its
versions and aliases but not layers; events move to dead letters and back."""

import time

from wasmhost.server.lambda_model import Registry


def test_records_survive_a_reopen_and_delete_cascades(tmp_path):
    r = Registry(tmp_path)
    r.put_function("f", {"FunctionName": "f"})
    r.put_version("f", 1, {"Version": "1"})
    r.put_alias("f", "live", {"Name": "live"})
    r.put_layer("lib", 1, {"Version": 1})
    sha = r.put_code(b"\0asm")
    r.close()
    r = Registry(tmp_path)
    assert r.get_function("f") == {"FunctionName": "f"} and r.list_versions("f") == [{"Version": "1"}]
    assert r.code_path(sha).read_bytes() == b"\0asm"
    r.delete_function("f")
    assert r.get_function("f") is None and r.list_versions("f") == [] and r.list_aliases("f") == []
    assert r.list_layers() == [{"Version": 1}]
    r.close()


def test_events_dead_letters_and_replay(tmp_path):
    r = Registry(tmp_path)
    r.enqueue("f", None, b"{}", "rid")
    (event,) = r.due_events()
    dl = r.dead_letter(event, 3, "boom")
    assert r.pending_events() == 0 and r.dead_letters("f")[0]["error"] == "boom"
    assert r.replay_dead_letter(dl) is not None and r.pending_events() == 1 and r.dead_letters() == []
    r.close()


def test_a_claimed_event_is_leased_to_one_owner_until_released_or_expired(tmp_path):
    a, b = Registry(tmp_path), Registry(tmp_path)  # two processes' connections to one data dir
    for i in range(5):
        a.enqueue("f", None, b"{}", f"rid{i}")
    a.owner, b.owner = "srv/0", "srv/1"
    got_a = a.due_events(limit=3)
    got_b = b.due_events(limit=10)
    assert len(got_a) == 3 and len(got_b) == 2
    assert {e["id"] for e in got_a}.isdisjoint(e["id"] for e in got_b)
    assert a.due_events() == [] and b.due_events() == []  # leased: nobody's to take
    assert a.next_event_at() > time.time() + 20  # due again only when the lease runs out
    assert a.renew_leases("srv/0") == 3
    b.release_leases("srv/0", "srv/")  # worker 0 restarted: its predecessor's events are due at once
    assert sorted(e["id"] for e in b.due_events()) == sorted(e["id"] for e in got_a)
    b.release_leases("srv/1", "other/")  # a new server run: every old lease is released
    a.owner = "other/0"
    assert len(a.due_events(limit=10)) == 5
    a.close(), b.close()


def test_a_lapsed_lease_makes_the_event_due_again(tmp_path):
    r = Registry(tmp_path)
    r.enqueue("f", None, b"{}", "rid")
    r.owner = "w0"
    (first,) = r.due_events(lease_s=0.0)
    r.owner = "w1"
    (again,) = r.due_events()
    assert first["id"] == again["id"]
    r.retry_event(again["id"], 1, 0.0, "boom")  # a retry gives the lease up
    assert [e["id"] for e in r.due_events()] == [first["id"]]
    r.close()


def test_another_process_write_is_seen_before_the_next_read(tmp_path):
    a, b = Registry(tmp_path), Registry(tmp_path)
    assert b.get_function("f") is None and not b.changed()
    a.put_function("f", {"FunctionName": "f", "v": 1})
    assert b.get_function("f") is None  # the mirror answers until it is told
    assert b.changed() and b.get_function("f") == {"FunctionName": "f", "v": 1}
    assert not b.changed()
    a.delete_function("f")
    assert b.changed() and b.get_function("f") is None
    a.close(), b.close()
