"""Event sources on a real cluster on 127.0.0.1 (three ``nats-server`` with
JetStream, three ``wasmhost serve --cluster`` nodes, HAProxy; loopback.py): one SQS
queue across the nodes, a schedule that fires once per tick, mappings that deliver
each message once and lose none when a node is killed, key-value stores shared by
the nodes. One cluster for the module; the node kill comes last.

CI installs what they need (.ci/run: nats-server and haproxy from Debian; the
``cluster`` extra: nats-py)."""

from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import threading
import time
import urllib.request
import zipfile

import boto3
import pytest
import wasmtime
from botocore.config import Config
from loopback import NEEDS, Cluster, get, wait_for

from live import create, lambda_client

pytestmark = NEEDS  # skips that say what CI installs

# ``s<value>`` sets the function's key "k" to <value>; anything else answers its value
KV_WAT = """(module
  (import "wasmhost" "kv_get" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "wasmhost" "kv_set" (func $set (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasmhost" "kv_reply" (func $reply (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "k")
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (local $len i32)
    (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 115))
      (then
        (drop (call $set (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1)
                         (i32.add (local.get $p) (i32.const 1)) (i32.sub (local.get $n) (i32.const 1))))
        (return (i64.const 0))))
    (local.set $len (call $get (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1)))
    (if (i32.lt_s (local.get $len) (i32.const 0)) (then (return (i64.const 0))))
    (drop (call $reply (i32.const 4096) (local.get $len)))
    (i64.or (i64.shl (i64.const 4096) (i64.const 32)) (i64.extend_i32_u (local.get $len)))))"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    os.environ["WASMHOST_SCHEDULE_SECONDS"] = "1"  # rate(N seconds): ticks fast enough for a test
    c = Cluster(tmp_path_factory.mktemp("sources"))
    try:
        yield c.start()
    finally:
        del os.environ["WASMHOST_SCHEDULE_SECONDS"]
        c.stop()


def client(service: str, url: str):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 0}, read_timeout=60))


def queue_everywhere(cluster, name: str, **attributes: str) -> tuple[str, str]:
    """Create ``name`` on the first node; wait until every node knows it. (url, arn)"""
    sqs = client("sqs", cluster.nodes[0].url)
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    for n in cluster.nodes:
        wait_for(lambda n=n: client("sqs", n.url).get_queue_url(QueueName=name), f"{name} on {n.url}")
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def function_everywhere(cluster, name: str) -> None:
    for n in cluster.nodes:
        wait_for(lambda n=n: name in get(f"{n.url}/wasmhost/cluster")["functions"], f"{name} on {n.url}")


def test_one_queue_across_the_nodes(cluster):
    url, _ = queue_everywhere(cluster, "shared", VisibilityTimeout="1")
    a, b, c = (client("sqs", n.url) for n in cluster.nodes)
    polled: dict = {}
    poll = threading.Thread(target=lambda: polled.update(b.receive_message(
        QueueUrl=url, WaitTimeSeconds=10, AttributeNames=["All"], MessageAttributeNames=["All"])))
    poll.start()  # a long poll on node 2 ...
    time.sleep(0.3)
    t0 = time.time()
    sent = a.send_message(QueueUrl=url, MessageBody="hello",  # ... answered by a send on node 1
                          MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    poll.join()
    assert time.time() - t0 < 5
    (m,) = polled["Messages"]
    assert (m["MessageId"], m["Body"], m["MD5OfBody"]) == (sent["MessageId"], "hello", hashlib.md5(b"hello").hexdigest())
    assert m["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}
    assert m["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    assert "Messages" not in a.receive_message(QueueUrl=url)  # in flight: invisible on every node
    # not deleted: back after its visibility timeout, on another node, received a second time
    again = c.receive_message(QueueUrl=url, WaitTimeSeconds=5, AttributeNames=["ApproximateReceiveCount"])
    assert [(x["MessageId"], x["Attributes"]["ApproximateReceiveCount"]) for x in again["Messages"]] == \
        [(sent["MessageId"], "2")]
    # a receipt from one node works on another: visible again at once, then deleted elsewhere
    a.change_message_visibility(QueueUrl=url, ReceiptHandle=again["Messages"][0]["ReceiptHandle"],
                                VisibilityTimeout=0)
    third = b.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    c.delete_message(QueueUrl=url, ReceiptHandle=third[0]["ReceiptHandle"])
    assert "Messages" not in a.receive_message(QueueUrl=url, WaitTimeSeconds=2)  # past the timeout: gone
    counts = b.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    with pytest.raises(a.exceptions.ClientError) as e:
        a.delete_message(QueueUrl=url, ReceiptHandle="1.not-a-receipt")
    assert e.value.response["Error"]["Code"] == "ReceiptHandleIsInvalid"


def test_redrive_to_the_dead_letter_queue_across_nodes(cluster):
    _, dlq_arn = queue_everywhere(cluster, "dead")
    url, src_arn = queue_everywhere(cluster, "source", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}))
    a, b, c = (client("sqs", n.url) for n in cluster.nodes)
    sent = a.send_message(QueueUrl=url, MessageBody="poison")["MessageId"]
    for node in (b, c):  # received twice, never deleted
        got = node.receive_message(QueueUrl=url, WaitTimeSeconds=5, VisibilityTimeout=0)["Messages"]
        assert got[0]["MessageId"] == sent
    assert "Messages" not in a.receive_message(QueueUrl=url, WaitTimeSeconds=1)  # moved, not handed out
    dead_url = b.get_queue_url(QueueName="dead")["QueueUrl"]
    (m,) = b.receive_message(QueueUrl=dead_url, WaitTimeSeconds=5, AttributeNames=["All"])["Messages"]
    assert (m["MessageId"], m["Body"]) == (sent, "poison")
    assert m["Attributes"]["DeadLetterQueueSourceArn"] == src_arn


def test_a_schedule_fires_once_per_tick_on_three_nodes(cluster):
    url, arn = queue_everywhere(cluster, "ticks")
    events = client("events", cluster.nodes[1].url)
    events.put_rule(Name="every.second", ScheduleExpression="rate(1 second)")  # a dot: KV keys are encoded
    events.put_targets(Rule="every.second", Targets=[{"Id": "ticks", "Arn": arn}])
    for n in cluster.nodes:  # every node's scheduler has the rule: all three race for each tick
        wait_for(lambda n=n: any(r["name"] == "every.second" for r in get(f"{n.url}/wasmhost/sources")["schedules"]),
                 f"the rule on {n.url}")
    time.sleep(5)
    client("events", cluster.nodes[2].url).disable_rule(Name="every.second")
    time.sleep(1.5)  # a tick claimed just before the disable is delivered
    sqs = client("sqs", cluster.nodes[0].url)
    bodies = []
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages"):
        bodies += [json.loads(m["Body"]) for m in got]
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(got)])
    ticks = [b["time"] for b in bodies]
    assert len(ticks) >= 4, ticks
    assert len(set(ticks)) == len(ticks), f"a tick delivered twice: {sorted(ticks)}"
    assert len({b["id"] for b in bodies}) == len(bodies)
    fired = [next(r for r in get(f"{n.url}/wasmhost/sources")["schedules"] if r["name"] == "every.second")
             .get("fired", 0) for n in cluster.nodes]
    assert sum(fired) == len(ticks), (fired, len(ticks))  # each claimed by one node
    print(f"{len(ticks)} ticks, claimed per node: {fired}")


def test_key_value_written_on_one_node_is_read_on_another(cluster):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("kv.wasm", wasmtime.wat2wasm(KV_WAT))
    lambda_client(cluster.nodes[0].url).create_function(
        FunctionName="kvfn", Runtime="wasm32", Role="r", Handler="kv.wasm", Code={"ZipFile": buf.getvalue()})
    function_everywhere(cluster, "kvfn")

    def invoke(i: int, payload: bytes) -> bytes:
        req = urllib.request.Request(f"{cluster.nodes[i].url}/invoke/kvfn", data=payload, method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()
    assert invoke(0, b"g") == b""
    invoke(0, b"shello")
    assert invoke(1, b"g") == b"hello"  # the write was published when its invocation ended
    invoke(2, b"sworld")
    assert [invoke(i, b"g") for i in range(3)] == [b"world"] * 3


def _processed(cluster, fn: str, nodes=None) -> collections.Counter:
    """Message ids in the SQS events ``fn`` logged (log_event logs its whole event), from
    the cluster's log lines (the first of ``nodes`` answers for every node)."""
    seen: collections.Counter = collections.Counter()
    n = (nodes or cluster.nodes)[0]
    for entry in get(f"{n.url}/wasmhost/logs?function={fn}&limit=100000")["logs"]:
        seen.update(r["messageId"] for r in json.loads(entry["text"])["Records"])
    return seen


def test_a_mapping_delivers_each_message_once_across_the_nodes(cluster):
    create(lambda_client(cluster.nodes[0].url), "consume", "log_event")
    function_everywhere(cluster, "consume")
    url, arn = queue_everywhere(cluster, "jobs", VisibilityTimeout="5")
    uuid = lambda_client(cluster.nodes[1].url).create_event_source_mapping(
        EventSourceArn=arn, FunctionName="consume", BatchSize=5)["UUID"]
    for n in cluster.nodes:  # every node polls it
        wait_for(lambda n=n: any(m["uuid"] == uuid for m in get(f"{n.url}/wasmhost/sources")["mappings"]),
                 f"the mapping on {n.url}")
    sqs = client("sqs", cluster.nodes[2].url)
    sent = set()
    for i in range(6):
        out = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(j), "MessageBody": f"job {i}.{j}"}
                                                            for j in range(10)])
        sent |= {s["MessageId"] for s in out["Successful"]}
    wait_for(lambda: set(_processed(cluster, "consume")) >= sent, "every message processed")
    time.sleep(1)
    seen = _processed(cluster, "consume")
    assert set(seen) == sent and set(seen.values()) == {1}, [k for k, v in seen.items() if v > 1]


def test_a_node_killed_mid_delivery_loses_no_message(cluster):
    """(Runs after the mapping test: its queue "jobs", VisibilityTimeout 5 s, and
    function.) Messages the victim received but had not deleted come back after the
    visibility timeout and run elsewhere; what it finished it deleted only after its
    log was on disk, where its restart finds it."""
    url = client("sqs", cluster.nodes[0].url).get_queue_url(QueueName="jobs")["QueueUrl"]
    sqs = client("sqs", cluster.nodes[0].url)
    before = set(_processed(cluster, "consume"))
    sent: set[str] = set()
    victim = cluster.nodes[2]
    for i in range(30):
        out = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(j), "MessageBody": f"more {i}.{j}"}
                                                            for j in range(10)])
        sent |= {s["MessageId"] for s in out["Successful"]}
        if i == 10:
            victim.kill()
    assert len(sent) == 300
    wait_for(lambda: set(_processed(cluster, "consume", cluster.nodes[:2])) | before >= sent - set(
        _processed_on_disk(victim)), "every message processed by the survivors or the victim", timeout=60)
    print(f"the victim ran {len(_processed_on_disk(victim) & sent)} of {len(sent)} messages before it was killed")
    victim.start()  # its log lines, written before it deleted those messages, published as it starts
    # (at once, or by its publisher's loop when the engine had no quorum for that first try)
    wait_for(lambda: set(_processed(cluster, "consume")) >= sent, "every message's log line in the cluster",
             timeout=30)

    def drained() -> bool:  # (the last deletes go out a moment after their runs)
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return attrs["ApproximateNumberOfMessages"] == attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    wait_for(drained, "the queue empty")


def _processed_on_disk(node) -> set[str]:
    """The message ids in a stopped node's own ledger (its log lines)."""
    import sqlite3
    path = node.data_dir / "ledger.sqlite"
    if not path.exists():
        return set()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT text FROM logs WHERE function = 'consume'").fetchall()
    return {r["messageId"] for (text,) in rows for r in json.loads(text)["Records"]}
