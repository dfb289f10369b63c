"""New instances of a runtime function start in pool slots whose memory was reset in
place (``EngineSettings.keep_resident``): the memory image copied back, not faulted in
again. A reset slot must give a new instance exactly what a fresh one has: the
function's import runs again (its globals start over), its own /tmp, its own
environment and random state."""

from __future__ import annotations

import resource

import pytest

pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")

from wasmhost import FunctionConfig, Host  # noqa: E402

APP = """import os, random
COUNT = 0
SEED = random.random()
def handler(event, context):
    global COUNT
    COUNT += 1
    seen = os.path.exists("/tmp/mark")
    open("/tmp/mark", "w").write("x")
    return {"count": COUNT, "seed": SEED, "tmp_had_mark": seen, "stream": os.environ["AWS_LAMBDA_LOG_STREAM_NAME"],
            "env": os.environ.get("COLOUR")}
"""


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    code = tmp_path_factory.mktemp("fn")
    (code / "app.py").write_text(APP)
    with Host(tmp_path_factory.mktemp("data")) as h:
        h.code = code  # type: ignore[attr-defined]
        yield h


def fresh_instance(host, name):
    """Drop the function's warm instances, so the next invocation makes a new one."""
    pool = host._functions[name].pool
    while pool.free:
        pool.discard(pool.free.pop())


def test_a_new_instance_in_a_reused_slot_starts_over(host):
    host.deploy("reuse", host.code, FunctionConfig(env={"COLOUR": "blue"}))
    first = [host.invoke("reuse", {}).value for _ in range(2)]
    assert [a["count"] for a in first] == [1, 2] and [a["tmp_had_mark"] for a in first] == [False, True]
    answers = []
    for _ in range(4):  # each in a slot the last one freed
        fresh_instance(host, "reuse")
        answers.append(host.invoke("reuse", {}).value)
    assert all(a["count"] == 1 and a["tmp_had_mark"] is False and a["env"] == "blue" for a in answers)
    assert len({a["seed"] for a in first[:1] + answers}) == 5  # its own random state each time
    assert len({a["stream"] for a in first[:1] + answers}) == 5  # and its own log stream
    host.remove("reuse")
    host.deploy("other", host.code)  # another function in the freed slots: nothing of the first one
    assert host.invoke("other", {}).value["env"] is None


def test_a_new_instance_in_a_reused_slot_does_not_fault_its_memory_in_again(host):
    """~600 copy-on-write faults for a Python instance's init without keep_resident
    (0 is the engine setting that brings them back); a reset slot has its pages."""
    if not host.engine.pooling:
        pytest.skip("keep_resident is a setting of the pooling allocator, which could not reserve its address "
                    "space here (the on-demand allocator maps each instance's memory afresh)")
    host.deploy("faults", host.code)
    counts = []
    for _ in range(3):
        fresh_instance(host, "faults")
        pool = host._functions["faults"].pool
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        sb, _ = pool.grow()
        counts.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        pool.free.append(sb)
    assert min(counts) < 200, counts
    assert host.invoke("faults", {}).value["count"] == 1
