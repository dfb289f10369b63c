"""The SQLite registry: records survive a reopen; deleting a function takes its
versions and aliases but not layers; events move to dead letters and back."""

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
