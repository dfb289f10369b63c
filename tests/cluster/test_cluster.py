"""A real cluster on 127.0.0.1: three ``nats-server`` with JetStream (R3), three
``wasmhost serve --cluster`` nodes and HAProxy with deploy/haproxy/haproxy.cfg, all
started here and stopped by pid. The tests run in order and the later ones break
things (a node killed, then NATS servers killed), so they share one cluster.

CI installs what they need (.ci/run: nats-server and haproxy from Debian; the
``cluster`` extra: nats-py)."""

from __future__ import annotations

import concurrent.futures
import http.client
import io
import json
import sqlite3
import subprocess
import sys
import time
import urllib.error
from unittest import mock
import urllib.request
import zipfile

import pytest
from loopback import NEEDS, ROOT, Cluster, get, start_node, wait_for

from live import create, free_port, lambda_client

pytestmark = NEEDS  # skips that say what CI installs
ACK_WAIT_S = 2.0  # an event claimed by a node killed mid-way runs elsewhere after this


def post(url: str, body: bytes, headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def ran_on(cluster, fn: str) -> list[int]:
    """Invocations of ``fn`` each node ran, by the cluster's log lines (asked of the
    first node: they answer for all)."""
    logs = get(f"{cluster.nodes[0].url}/wasmhost/logs?function={fn}&limit=1000")["logs"]
    return [sum(e["node"] == f"w{i}" for e in logs) for i in range(len(cluster.nodes))]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("cluster"), ack_wait_s=ACK_WAIT_S)
    try:
        yield c.start()
    finally:
        c.stop()


def test_deploy_on_one_node_invoke_through_the_balancer_on_another(cluster):
    c1 = lambda_client(cluster.nodes[0].url)
    names = [f"fn{i}" for i in range(8)]
    for name in names:
        create(c1, name, "log_event")
    landed = {}
    lb = lambda_client(cluster.lb)
    for name in names:  # boto3's path and wasmhost's own, through HAProxy: the same node for a name
        before = [0] * len(cluster.nodes)
        for _ in range(2):
            out = wait_for(lambda name=name: lb.invoke(FunctionName=name, Payload=b'{"via": "lambda"}'), name)
            assert out["StatusCode"] == 200 and out["Payload"].read() == b"ok"
            status, _, body = post(f"{cluster.lb}/invoke/{name}", b'{"via": "invoke"}')
            assert (status, body) == (200, b"ok")
            # both on one node (the others' log lines reach the stream within a publish interval)
            want = sum(before) + 2
            counts = wait_for(lambda name=name, n=want: c if sum(c := ran_on(cluster, name)) == n else None,
                              "the log lines")
            pair = [a - b for a, b in zip(counts, before)]
            if sorted(pair) == [0, 0, 2]:
                break
            # once, a pair may be split by HAProxy itself (a reused idle connection the node had just
            # closed is retried with redispatch, and observe layer4 marks the node down a moment):
            # the next pair must land on one node again
            said = [line for line in (cluster.root / "haproxy.log").read_text(errors="replace").splitlines()
                    if f"/{name}" in line or "erver wasmhost/" in line]  # its requests, servers' changes
            print(f"{name}: pair split {pair}, trying a second pair; HAProxy said:", *said[-12:], sep="\n  ")
            before = counts
        else:
            raise AssertionError((name, pair))
        landed[name] = pair.index(2)
    assert set(landed.values()) - {0}, f"every name hashed to the deploying node: {landed}"


def test_guest_log_lines_answer_for_the_whole_cluster_from_any_node(cluster):
    create(lambda_client(cluster.nodes[0].url), "logged", "log_event")
    for i in (1, 1, 2):  # run on the node asked, not through the balancer
        client = lambda_client(cluster.nodes[i].url)
        wait_for(lambda client=client, i=i: client.invoke(FunctionName="logged", Payload=f'{{"on": {i}}}'.encode()),
                 "logged")
    for node in cluster.nodes:
        logs = wait_for(lambda node=node: got if len(got := get(f"{node.url}/wasmhost/logs?function=logged")["logs"])
                        == 3 else None, "three runs' log lines")
        assert sorted((e["node"], e["text"].strip()) for e in logs) == [
            ("w1", '{"on": 1}'), ("w1", '{"on": 1}'), ("w2", '{"on": 2}')], logs
        assert all(e["function"] == "logged" for e in logs)
        assert logs[0]["started_ms"] >= logs[-1]["started_ms"]  # newest first


def test_revision_id_is_compare_and_swap_across_nodes(cluster):
    c1, c2 = lambda_client(cluster.nodes[0].url), lambda_client(cluster.nodes[1].url)
    create(c1, "cas", "log_event")
    rev = wait_for(lambda: c2.get_function(FunctionName="cas"), "propagation")["Configuration"]["RevisionId"]
    c1.update_function_configuration(FunctionName="cas", Timeout=5, RevisionId=rev)
    wait_for(lambda: c2.get_function(FunctionName="cas")["Configuration"]["Timeout"] == 5, "the update on node 2")
    with pytest.raises(c2.exceptions.PreconditionFailedException):
        c2.update_function_configuration(FunctionName="cas", Timeout=7, RevisionId=rev)


def test_a_layer_published_on_one_node_is_unpacked_on_the_others(cluster):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("python/shared.txt", "from the layer")
    arn = lambda_client(cluster.nodes[0].url).publish_layer_version(
        LayerName="shared", Content={"ZipFile": buf.getvalue()})["LayerVersionArn"]
    for node in cluster.nodes[1:]:
        got = wait_for(lambda node=node: lambda_client(node.url).get_layer_version_by_arn(Arn=arn), "the layer")
        assert got["Version"] == 1
        unpacked = node.data_dir / "layers" / "shared" / "1" / "python" / "shared.txt"
        assert wait_for(lambda unpacked=unpacked: unpacked.exists() and unpacked.read_text(), "the files") == \
            "from the layer"


def test_totals_answer_for_the_whole_cluster_from_any_node(cluster):
    c1 = lambda_client(cluster.nodes[0].url)
    create(c1, "counted", "log_event")
    for node in cluster.nodes:
        client = lambda_client(node.url)
        for _ in range(3):
            wait_for(lambda client=client: client.invoke(FunctionName="counted", Payload=b"{}"), "counted")
    for node in cluster.nodes:
        totals = wait_for(lambda node=node: (t := get(f"{node.url}/wasmhost/totals?function=counted"))
                          ["invocations"] == 9 and t, "totals")
        assert totals["errors"] == 0 and totals["billed_ms"] >= 9 and totals["gb_seconds"] > 0
    # a node restarted after publishing batches it had not noted as published (a crash
    # in between) publishes them again: they still count once
    node = cluster.nodes[1]
    node.stop()
    with sqlite3.connect(node.data_dir / "ledger.sqlite") as db:
        assert db.execute("UPDATE cluster_outbox SET published = 0").rowcount == 1
    start_node(node)
    assert get(f"{node.url}/wasmhost/totals?function=counted")["invocations"] == 9
    since = get(f"{cluster.nodes[1].url}/wasmhost/totals?function=counted&since={time.time() + 60:.0f}")
    assert since["invocations"] == 0
    with pytest.raises(urllib.error.HTTPError) as e:
        get(f"{cluster.nodes[1].url}/wasmhost/totals?function=counted&since=yesterday")
    assert e.value.code == 400 and b"since must be" in e.value.read()


def test_a_failing_event_is_retried_with_backoff_then_dead_lettered_and_replayed(cluster):
    c1 = lambda_client(cluster.nodes[0].url)
    create(c1, "fails", "trap")
    c1.put_function_event_invoke_config(FunctionName="fails", MaximumRetryAttempts=1)
    c2 = lambda_client(cluster.nodes[1].url)
    wait_for(lambda: c2.get_function_event_invoke_config(FunctionName="fails")["MaximumRetryAttempts"] == 1,
             "the config on node 2")
    rid = c2.invoke(FunctionName="fails", InvocationType="Event", Payload=b"{}")["ResponseMetadata"]["RequestId"]
    node = cluster.nodes[2]
    dead = wait_for(lambda: get(f"{node.url}/wasmhost/dead-letters?function=fails")["deadLetters"], "a dead letter")
    assert [(d["request_id"], d["attempts"]) for d in dead] == [(rid, 2)], dead  # (the error says why if not)
    assert "errorType" in json.loads(dead[0]["error"])
    # the first run and one retry (other nodes' ledgers reach the stream within a publish interval)
    wait_for(lambda: (lambda t: (t["invocations"], t["errors"]) == (2, 2))(
        get(f"{node.url}/wasmhost/totals?function=fails")), "both runs in the totals")
    time.sleep(0.5)
    assert get(f"{node.url}/wasmhost/totals?function=fails")["invocations"] == 2  # not three
    status, _, _ = post(f"{node.url}/wasmhost/dead-letters/{dead[0]['id']}/replay", b"")
    assert status == 202
    wait_for(lambda: get(f"{node.url}/wasmhost/totals?function=fails")["invocations"] == 4, "the replay's runs")
    wait_for(lambda: [d["request_id"] for d in get(f"{node.url}/wasmhost/dead-letters?function=fails")
                      ["deadLetters"]] == [rid], "dead again, once")


def last_seq(cluster, stream: str) -> int:
    """The sequence number of the last message ever published to ``stream``."""
    import asyncio

    import nats

    async def read() -> int:
        nc = await nats.connect(cluster.urls.split(","))
        try:
            return (await nc.jetstream().stream_info(stream)).state.last_seq
        finally:
            await nc.close()
    return asyncio.run(read())


def test_events_accepted_together_go_as_one_message_and_settle_one_by_one(cluster):
    """A node sends the events it accepts together as one message; each then runs
    and settles on its own: the good ones once, the failing ones dead-lettered once."""
    c1 = lambda_client(cluster.nodes[0].url)
    create(c1, "grouped", "log_event")
    create(c1, "grouped_fails", "trap")
    c1.put_function_event_invoke_config(FunctionName="grouped_fails", MaximumRetryAttempts=0)
    for n in cluster.nodes:
        wait_for(lambda n=n: {"grouped", "grouped_fails"} <= set(get(f"{n.url}/wasmhost/cluster")["functions"]),
                 "both on every node")
    before = last_seq(cluster, "WH_INVOKE")
    sent: dict[str, list[str]] = {"grouped": [], "grouped_fails": []}

    def send(i: int) -> None:
        fn = ("grouped", "grouped_fails")[i % 2]
        status, headers, _ = post(f"{cluster.nodes[0].url}/2015-03-31/functions/{fn}/invocations",
                                  f'{{"i": {i}}}'.encode(), {"X-Amz-Invocation-Type": "Event"})
        assert status == 202
        sent[fn].append(headers["x-amzn-RequestId"])
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(send, range(64)))
    assert last_seq(cluster, "WH_INVOKE") - before < 64  # some went together
    big = b'"' + b"x" * (1024 * 1024 - 2) + b'"'  # Lambda's largest Event payload: a message of its own
    status, headers, _ = post(f"{cluster.nodes[0].url}/2015-03-31/functions/grouped/invocations", big,
                              {"X-Amz-Invocation-Type": "Event"})
    assert status == 202
    sent["grouped"].append(headers["x-amzn-RequestId"])
    node = cluster.nodes[1]
    wait_for(lambda: sorted(r["request_id"] for r in get(f"{node.url}/wasmhost/logs?function=grouped&limit=100")
                            ["reports"]) == sorted(sent["grouped"]), "each good event run once")
    wait_for(lambda: sorted(d["request_id"] for d in get(f"{node.url}/wasmhost/dead-letters?function=grouped_fails")
                            ["deadLetters"]) == sorted(sent["grouped_fails"]), "each failing one dead-lettered once")


def test_a_node_of_two_workers_sees_a_deploy_on_both_at_once_and_runs_each_event_once(cluster, tmp_path):
    """``serve --cluster --workers 2``: a deploy or an update answered by one worker is
    seen by the next request at the other (no waiting for the watch); events accepted
    through both run once each in the cluster."""
    from test_workers import workers

    from live import Server, zipped
    node = start_node(Server(tmp_path / "multi", "--cluster", cluster.urls, "--node", "wm", "--workers", "2",
                             "--ack-wait-s", str(ACK_WAIT_S)))
    try:
        wait_for(lambda: len(workers(node)) == 2, "both workers", timeout=120)
        client = lambda_client(node.url)  # one connection: one worker
        create(client, "two", "echo")
        before = workers(node)
        for i in range(30):  # fresh connections: the kernel spreads them over both workers
            assert post(f"{node.url}/invoke/two", b"ping %d" % i) == (200, mock.ANY, b"ping %d" % i)
        for r in range(10):  # updates, each followed at once by requests on connections opened before it
            guest = ("counter", "echo")[r % 2]
            waiting = [http.client.HTTPConnection("127.0.0.1", node.port, timeout=30) for _ in range(4)]
            for conn in waiting:
                conn.connect()  # (the kernel has picked its worker)
            client.update_function_code(FunctionName="two", ZipFile=zipped(guest, "echo.wasm"))
            for conn in waiting:
                conn.request("POST", "/invoke/two", body=b"x")
            for conn in waiting:  # the counter's four bytes, or the echo's "x": never the code before
                body = conn.getresponse().read()
                assert len(body) == (4 if guest == "counter" else 1), (r, guest, body)
                conn.close()
        after = workers(node)
        assert all(after[w][1] > before[w][1] for w in (0, 1)), (before, after)  # both served

        def publish(i: int) -> tuple[str, int]:  # a new client per call: new connections, either worker
            c = lambda_client(node.url)
            c.update_function_configuration(FunctionName="two", Timeout=10 + i)
            v = c.publish_version(FunctionName="two")
            return v["Version"], v["Timeout"]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            published = list(pool.map(publish, range(8)))
        stored = {v["Version"]: v["Timeout"] for v in client.list_versions_by_function(FunctionName="two")["Versions"]}
        numbers = sorted(int(v) for v in stored if v != "$LATEST")
        assert numbers == list(range(1, len(numbers) + 1))  # no gap, no number given twice
        assert all(stored[v] == timeout for v, timeout in published)  # no publish overwrote another's
        assert len({stored[str(n)] for n in numbers}) == len(numbers)  # one version per configuration
        create(client, "twice", "log_event")
        for n in cluster.nodes:  # (events accepted here may run on any node)
            wait_for(lambda n=n: "twice" in get(f"{n.url}/wasmhost/cluster")["functions"], "twice everywhere")

        def send(i: int) -> str:
            for _ in range(30):  # a 503 (the engine slow to answer on a loaded machine) is retried, as clients do
                status, headers, _ = post(f"{node.url}/2015-03-31/functions/twice/invocations", b'{"i": %d}' % i,
                                          {"X-Amz-Invocation-Type": "Event"})
                if status != 503:
                    break
                time.sleep(float(headers.get("Retry-After", 1)))
            assert status == 202
            return headers["x-amzn-RequestId"]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            sent = sorted(pool.map(send, range(100)))

        def reports() -> list[str]:
            return sorted(r["request_id"] for r in get(f"{node.url}/wasmhost/logs?function=twice&limit=1000")
                          ["reports"])
        wait_for(lambda: set(reports()) == set(sent), "every event run", timeout=120)
        time.sleep(0.5)
        assert reports() == sent  # once each
    finally:
        node.stop()


def test_async_events_all_run_when_a_node_is_killed_mid_way(cluster):
    """Every accepted event runs (at least once) though a node dies with events in
    flight; the node then restarts warm: code and artifacts from its own cache."""
    c1 = lambda_client(cluster.nodes[0].url)
    c1.create_function(FunctionName="work", Runtime="wasm32", Role="r", Handler="sum_to.wasm",
                       Code={"ZipFile": __import__("wasmtime").wat2wasm((ROOT / "examples/sum_to.wat").read_text())})
    for n in cluster.nodes:
        wait_for(lambda n=n: "work" in get(f"{n.url}/wasmhost/cluster")["functions"], "work on every node")
    victim = cluster.nodes[2]
    accepted: list[str] = []

    def send(i: int) -> None:
        node = cluster.nodes[i % 3]
        try:
            status, headers, _ = post(f"{node.url}/2015-03-31/functions/work/invocations", b"300000",
                                      {"X-Amz-Invocation-Type": "Event"})
        except OSError:  # the victim is gone: not accepted
            return
        if status == 202:
            accepted.append(headers["x-amzn-RequestId"])

    n = 1000
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for i in range(n):
            pool.submit(send, i)
            if i == n // 2:
                victim.kill()  # SIGKILL: events it claimed are neither run nor acked
    assert len(accepted) >= n * 2 // 3 - 10, len(accepted)
    start_node(victim)  # the same data dir: publishes what it ran but had not published
    functions = get(f"{victim.url}/wasmhost/cluster")["functions"]
    assert functions["work"] == {"fromCache": True}  # no recompile
    want = set(accepted)

    def all_ran() -> bool:
        reports = get(f"{cluster.nodes[0].url}/wasmhost/logs?function=work&limit=100000")["reports"]
        return want <= {r["request_id"] for r in reports}
    wait_for(all_ran, "every accepted event in the cluster's ledger", timeout=60 + ACK_WAIT_S)


def test_one_nats_server_lost_everything_continues(cluster):
    """R3 keeps a quorum. Streams whose leader was on the lost server elect another
    (a few seconds); writes meanwhile answer 503, which clients retry."""
    cluster.nats[0].kill()
    t0 = time.time()
    c2 = lambda_client(cluster.nodes[1].url)
    wait_for(lambda: _retrying(lambda: create(c2, "after1", "log_event"), c2), "a write after failover", 20)
    failover_s = time.time() - t0
    c3 = lambda_client(cluster.nodes[2].url)
    out = wait_for(lambda: c3.invoke(FunctionName="after1", Payload=b"{}"), "after1 on node 3")
    assert out["Payload"].read() == b"ok"
    status, headers, _ = wait_for(lambda: (r := post(f"{cluster.nodes[0].url}/2015-03-31/functions/after1/invocations",
                                                     b'{"e": 1}', {"X-Amz-Invocation-Type": "Event"}))[0] == 202 and r,
                                  "an accepted event")
    rid = headers["x-amzn-RequestId"]
    wait_for(lambda: rid in {r["request_id"] for r in get(f"{cluster.nodes[1].url}/wasmhost/logs?function=after1")
                             ["reports"]}, "the event to run")
    print(f"writes resumed {failover_s:.1f} s after a NATS server was killed")


def _retrying(call, client):
    try:
        return call() or True
    except client.exceptions.ServiceException:
        return False
    except client.exceptions.ResourceConflictException:  # a timed-out write did land: it exists
        return True


def test_quorum_lost_writes_fail_cleanly_warm_invokes_continue(cluster):
    cluster.nats[1].kill()  # one of three left: no quorum
    c3 = lambda_client(cluster.nodes[2].url)
    out = c3.invoke(FunctionName="after1", Payload=b"{}")  # warm, on a node without its engine
    assert out["StatusCode"] == 200 and out["Payload"].read() == b"ok"
    with pytest.raises(c3.exceptions.ServiceException) as e:
        create(c3, "nope", "log_event")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    status, headers, body = post(f"{cluster.nodes[2].url}/2015-03-31/functions/after1/invocations", b"{}",
                                 {"X-Amz-Invocation-Type": "Event"})
    assert status == 503 and headers["x-amzn-ErrorType"] == "ServiceException", body
    assert headers.get("Retry-After") == "1"
    assert get(f"{cluster.nodes[2].url}/healthz")["status"] == "ok"  # the node still serves
    t0 = time.time()
    for _ in range(20):  # while the engine is down, a write is refused at once, never holding the loop
        with pytest.raises(c3.exceptions.ServiceException):
            c3.update_function_configuration(FunctionName="after1", Timeout=9)
    assert time.time() - t0 < 5
    cluster.nats[1].start()  # the quorum is back: so are writes
    wait_for(lambda: _retrying(lambda: c3.update_function_configuration(FunctionName="after1", Timeout=9), c3),
             "writes after the quorum returned", 30)
    # each stream elects its leader on its own: the events' may come a moment after the registry's
    wait_for(lambda: post(f"{cluster.nodes[2].url}/2015-03-31/functions/after1/invocations", b"{}",
                          {"X-Amz-Invocation-Type": "Event"})[0] == 202, "an accepted event", 20)


def test_serve_cluster_refuses_bad_addresses_and_unreachable_engines(tmp_path):
    for args, said in ((["--cluster", "http://127.0.0.1:4222"], "--cluster wants nats://"),
                       (["--cluster", f"nats://127.0.0.1:{free_port()}"], "cannot reach the cluster")):
        out = subprocess.run([sys.executable, "-m", "wasmhost.cli", "--data-dir", str(tmp_path), "serve",
                              "--port", str(free_port()), *args], capture_output=True, text=True, timeout=60)
        assert out.returncode != 0 and said in out.stderr, out.stderr
