"""``wasmhost serve --workers 2`` (issue 15, item 2): real processes on 127.0.0.1.

A deploy answered by one worker is invocable at once through fresh connections
that land on both workers; an async event runs exactly once although both
workers claim from the same queue, and a queue message through a mapping both
poll is handled once; an upload notifies once; a schedule fires once per server,
not once per worker; /metrics and /wasmhost/logs answer for both workers; a killed worker
is restarted and serves again; SIGINT stops every process of the server."""

import json
import os
import re
import signal
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest

from live import Server, create, lambda_client, zipped
from s3live import function_arn, logged_events, s3_client
from test_async_and_restart import wait_for

WORKER = re.compile(r'^wasmhost_worker_invocations_total\{worker="(\d+)",pid="(\d+)"\} (\d+)$', re.M)


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    """Until its parent reaps it: a killed process whose first thread is a zombie may
    still hold its listening socket while its other threads exit."""
    return Path(f"/proc/{pid}").exists()


def metrics(server) -> str:
    with urllib.request.urlopen(server.url + "/metrics", timeout=10) as r:
        return r.read().decode()


def workers(server) -> dict[int, tuple[int, int]]:
    """worker index -> (pid, invocations it ran), as /metrics reports them."""
    return {int(w): (int(pid), int(n)) for w, pid, n in WORKER.findall(metrics(server))}


def post(url: str, body: bytes, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request on a fresh connection (urllib closes it): the kernel picks the worker."""
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, dict(r.headers), r.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    os.environ["WASMHOST_SCHEDULE_SECONDS"] = "1"  # rate(1 second), for the schedule test
    try:
        s = Server(tmp_path_factory.mktemp("workers") / "data", "--workers", "2", "--hung-after-s", "5").start()
    finally:
        del os.environ["WASMHOST_SCHEDULE_SECONDS"]
    assert wait_for(lambda: len(workers(s)) == 2, timeout=120), metrics(s)  # worker 1 starts after worker 0
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(server):
    return lambda_client(server.url)


def test_a_deploy_on_one_worker_is_invocable_at_once_on_both(client, server):
    create(client, "hello", "echo")  # answered by one worker (boto3 keeps its connection)
    before = workers(server)
    for i in range(40):
        status, _, body = post(f"{server.url}/invoke/hello", f"ping {i}".encode())
        assert status == 200 and body == f"ping {i}".encode()
    after = workers(server)
    ran = {w: after[w][1] - before[w][1] for w in after}
    assert set(ran) == {0, 1} and all(n > 0 for n in ran.values()), ran  # both pids served
    assert sum(ran.values()) == 40
    assert len({pid for pid, _ in after.values()}) == 2
    assert server.metric('wasmhost_invocations_total{function="hello"}') == 40  # summed over both


def test_an_update_and_a_delete_are_seen_by_the_next_request_anywhere(client, server):
    create(client, "changing", "echo")
    client.update_function_code(FunctionName="changing", ZipFile=zipped("counter", "echo.wasm"))
    counts = [post(f"{server.url}/invoke/changing", b"x")[2] for _ in range(20)]
    assert all(len(c) == 4 for c in counts)  # the counter's answer, from every worker, none the echo's "x"
    client.delete_function(FunctionName="changing")
    for _ in range(10):
        with pytest.raises(urllib.error.HTTPError) as e:
            post(f"{server.url}/invoke/changing", b"x")
        assert e.value.code == 404


def test_control_plane_writes_on_both_workers_keep_version_numbers_exact(server):
    c = lambda_client(server.url)
    create(c, "versioned", "echo")

    def publish(i: int) -> tuple[str, int]:  # a new client per call: new connections, either worker
        cl = lambda_client(server.url)
        cl.update_function_configuration(FunctionName="versioned", Timeout=10 + i)
        v = cl.publish_version(FunctionName="versioned")
        return v["Version"], v["Timeout"]

    with ThreadPoolExecutor(6) as pool:
        published = list(pool.map(publish, range(12)))
    stored = {v["Version"]: v["Timeout"] for v in c.list_versions_by_function(FunctionName="versioned")["Versions"]}
    numbers = sorted(int(v) for v in stored if v != "$LATEST")
    assert numbers == list(range(1, len(numbers) + 1))  # no gap, no number given twice
    assert all(stored[v] == timeout for v, timeout in published)  # no publish overwrote another's version
    assert len({stored[str(n)] for n in numbers}) == len(numbers)  # one version per configuration published


def test_no_async_event_runs_twice(client, server):
    create(client, "logev", "log_event")
    url = f"{server.url}/2015-03-31/functions/logev/invocations"

    def event(i: int) -> str:
        status, headers, _ = post(url, json.dumps({"i": i}).encode(), {"X-Amz-Invocation-Type": "Event"})
        assert status == 202
        return headers["x-amzn-RequestId"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(event, range(200)))
    assert len(set(ids)) == 200
    assert wait_for(lambda: server.metric("wasmhost_async_pending_events") == 0, timeout=60)
    with urllib.request.urlopen(f"{server.url}/wasmhost/logs?function=logev&limit=1000", timeout=30) as r:
        got = json.loads(r.read())
    reports = [x["request_id"] for x in got["reports"]]
    assert len(reports) == 200 and set(reports) == set(ids)  # each ran once, under its 202's id
    assert sorted(json.loads(x["text"])["i"] for x in got["logs"]) == list(range(200))
    assert server.metric('wasmhost_async_events_total{outcome="succeeded"}') == 200  # summed over both workers
    text = metrics(server)
    assert re.search(r'^wasmhost_worker_up\{worker="0",pid="\d+"\} 1$', text, re.M)
    assert re.search(r'^wasmhost_worker_up\{worker="1",pid="\d+"\} 1$', text, re.M)


def test_a_schedule_fires_once_per_server_not_once_per_worker(client, server):
    sqs = boto3.client("sqs", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="x",
                       aws_secret_access_key="x")
    events = boto3.client("events", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    url = sqs.create_queue(QueueName="ticks")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="every-second", ScheduleExpression="rate(1 second)")
    events.put_targets(Rule="every-second", Targets=[{"Id": "q", "Arn": arn}])
    time.sleep(4.5)
    events.disable_rule(Name="every-second")
    time.sleep(1.2)  # a tick being delivered lands
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    ticks = int(attrs["ApproximateNumberOfMessages"])
    assert 3 <= ticks <= 6, ticks  # ~4.5 s of one tick a second; two workers each firing would give ~9


def test_buckets_and_uploads_through_either_worker_notify_once(client, server):
    create(client, "uploaded", "log_event")
    s3_client(server.url).create_bucket(Bucket="shared")  # a client per call: a new connection, either worker
    cfg = {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": function_arn("uploaded"),
                                             "Events": ["s3:ObjectCreated:*"]}]}
    s3_client(server.url).put_bucket_notification_configuration(Bucket="shared", NotificationConfiguration=cfg)
    for i in range(20):
        s3_client(server.url).put_object(Bucket="shared", Key=f"k{i}", Body=b"x" * i)
    assert wait_for(lambda: len(logged_events(server.url, "uploaded")) >= 20, timeout=60)
    time.sleep(1.5)  # a duplicate (another worker's watcher, a second drain of the outbox) would land by now
    keys = sorted(r["s3"]["object"]["key"] for e in logged_events(server.url, "uploaded") for r in e["Records"])
    assert keys == sorted(f"k{i}" for i in range(20))
    assert sorted(o["Key"] for o in s3_client(server.url).list_objects_v2(Bucket="shared")["Contents"]) == \
        sorted(f"k{i}" for i in range(20))


def test_queue_messages_through_a_mapping_are_each_handled_by_one_worker(client, server):
    create(client, "consumer", "log_event")
    sqs = boto3.client("sqs", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="x",
                       aws_secret_access_key="x")
    url = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client.create_event_source_mapping(EventSourceArn=arn, FunctionName="consumer", BatchSize=5)
    time.sleep(1.5)  # the other worker starts polling the mapping too
    for i in range(0, 100, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(j), "MessageBody": f"m{j}"} for j in range(i, i + 10)])

    def bodies() -> list[str]:
        return [r["body"] for e in logged_events(server.url, "consumer") for r in e["Records"]]
    assert wait_for(lambda: len(bodies()) >= 100, timeout=60)
    time.sleep(1.0)  # a second delivery of any message would land by now
    assert sorted(bodies()) == sorted(f"m{j}" for j in range(100))  # each message once, both workers polling
    # /wasmhost/sources answers for the whole server, from either worker: every delivery counted once
    for _ in range(4):
        with urllib.request.urlopen(server.url + "/wasmhost/sources", timeout=10) as r:
            state = json.loads(r.read())
        assert state["workers"] == 2 and [q["name"] for q in state["queues"]].count("work") == 1
        (mapping,) = state["mappings"]
        assert mapping["succeeded"] == 100 and mapping["failed"] == 0, mapping


def test_a_killed_worker_is_restarted_and_serves_again(client, server):
    create(client, "survivor", "echo")
    old = workers(server)
    victim = old[1][0]
    assert victim in children(server.proc.pid)
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: not alive(victim), timeout=10)  # reaped by the supervisor: its socket is gone
    assert wait_for(lambda: set(workers(server)) == {0, 1} and workers(server)[1][0] != victim, timeout=120)
    new = workers(server)
    assert new[0][0] == old[0][0] and new[1][0] in children(server.proc.pid)
    before = new[1][1]
    for _ in range(30):
        assert post(f"{server.url}/invoke/survivor", b"again")[2] == b"again"
    assert workers(server)[1][1] > before  # the new worker 1 answers invocations too


def test_a_hung_worker_is_killed_and_restarted_but_a_long_invocation_is_no_hang(client, server):
    create(client, "steady", "echo")
    client.create_function(FunctionName="long", Runtime="wasm32", Role="arn:aws:iam::000000000000:role/any",
                           Handler="spin.wasm", Code={"ZipFile": zipped("spin")}, Timeout=8)
    before = workers(server)
    with ThreadPoolExecutor(4) as pool:  # 8 s of guest time on each worker, past --hung-after-s 5
        runs = list(pool.map(lambda _: _status(f"{server.url}/invoke/long"), range(4)))
    assert runs == [504] * 4  # each timed out as the function's own answer
    assert {w: pid for w, (pid, _) in workers(server).items()} == {w: pid for w, (pid, _) in before.items()}
    victim = before[1][0]
    os.kill(victim, signal.SIGSTOP)  # alive, but answers nothing: no heartbeat
    try:
        assert wait_for(lambda: not alive(victim), timeout=30)  # killed (SIGKILL) and reaped by the supervisor
    finally:
        if alive(victim):
            os.kill(victim, signal.SIGCONT)
    assert wait_for(lambda: set(workers(server)) == {0, 1} and workers(server)[1][0] != victim, timeout=120)
    for _ in range(10):
        assert post(f"{server.url}/invoke/steady", b"again")[2] == b"again"


def _status(url: str) -> int:
    try:
        return post(url, b"")[0]
    except urllib.error.HTTPError as e:
        return e.code


def test_bucket_notifications_go_on_when_the_worker_delivering_them_dies(client, server):
    create(client, "after", "log_event")
    s3_client(server.url).create_bucket(Bucket="handover")
    cfg = {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": function_arn("after"),
                                             "Events": ["s3:ObjectCreated:*"]}]}
    s3_client(server.url).put_bucket_notification_configuration(Bucket="handover", NotificationConfiguration=cfg)
    leader = int(re.findall(r"this worker \(pid (\d+)\) now runs BucketSource", server.log.read_text())[-1])
    os.kill(leader, signal.SIGKILL)
    assert wait_for(lambda: not alive(leader), timeout=10)
    for i in range(5):
        s3_client(server.url).put_object(Bucket="handover", Key=f"h{i}", Body=b"x")
    assert wait_for(lambda: len(logged_events(server.url, "after")) == 5, timeout=60)  # the other worker took over
    assert wait_for(lambda: len(workers(server)) == 2, timeout=120)  # and the dead one is back


def test_sigint_stops_every_process_of_the_server(tmp_path):
    s = Server(tmp_path / "data", "--workers", "2").start()
    try:
        assert wait_for(lambda: len(workers(s)) == 2, timeout=120)
        pids = children(s.proc.pid)
        assert len(pids) == 2
    finally:
        s.stop()
    assert s.proc.returncode == 0
    assert wait_for(lambda: not any(alive(p) for p in pids), timeout=10)


def test_a_worker_that_cannot_start_stops_the_server_instead_of_restarting_forever(tmp_path):
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "broken.wat").write_text("(module (func")
    s = Server(tmp_path / "data", "--workers", "2", "--examples", str(examples))
    with pytest.raises(RuntimeError, match="server exited"):
        s.start()
    assert s.proc.wait(30) == 1
    assert "worker 0 exited with status 1 before it was ready" in s.log.read_text()
