"""Queues draining into functions through event source mappings, against a live
server with boto3's sqs and lambda clients: Lambda's SQS event, partial batch
failures, redrive to a dead-letter queue, throttling, a restart with messages in
flight and a kill -9 mid-batch. One server for the module (restarted in place by
the last two tests); the Python handler compiles once into its data dir."""

import hashlib
import io
import json
import sqlite3
import time
import urllib.request
import zipfile

import pytest

from live import Server, create, lambda_client
from test_sqs import sqs_client

HANDLER = """
import json, time
def lambda_handler(event, context):
    failures = []
    if any(r["body"].startswith("slow") for r in event["Records"]):
        t = time.time()
        while time.time() - t < 1.0:
            pass
    for r in event["Records"]:
        print("BODY", r["body"])
        if r["body"] == "shape":
            print("EVENT", json.dumps(r))
        if r["body"].startswith("fail"):
            failures.append({"itemIdentifier": r["messageId"]})
    return {"batchItemFailures": failures}
"""


def wait_for(predicate, timeout=30.0, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")
    s = Server(tmp_path_factory.mktemp("esm") / "data").start()
    try:
        _create_handler(s)
        yield s
    finally:
        s.stop()


def _create_handler(s):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("lambda_function.py", HANDLER)
    import boto3
    from botocore.config import Config
    slow = boto3.client("lambda", endpoint_url=s.url, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 0}, read_timeout=600))
    # a cold build of the Python runtime can take minutes on a busy machine
    slow.create_function(FunctionName="py", Runtime="python3.12", Role="r", Handler="lambda_function.lambda_handler",
                         Code={"ZipFile": buf.getvalue()}, Timeout=2)


@pytest.fixture
def lam(server):
    return lambda_client(server.url)


@pytest.fixture
def sqs(server):
    return sqs_client(server.url)


def queue(sqs, name, **attrs):
    url = sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attrs.items()})["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def depth(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"]) \
        + int(a["ApproximateNumberOfMessagesDelayed"])


def logged(server, function="py", prefix="BODY "):
    with urllib.request.urlopen(f"{server.url}/wasmhost/logs?function={function}&limit=10000") as r:
        logs = json.loads(r.read())["logs"]
    return [line[len(prefix):] for entry in logs for line in entry["text"].splitlines() if line.startswith(prefix)]


def test_validation(lam, sqs):
    _, arn = queue(sqs, "v", VisibilityTimeout=1)
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="visibility timeout"):
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="py")  # 1 s < the function's 2 s
    _, arn = queue(sqs, "v2", VisibilityTimeout=5)
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="batch window"):
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="py", BatchSize=100)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="nope")
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="NonExistentQueue"):
        lam.create_event_source_mapping(EventSourceArn=arn + "x", FunctionName="py")
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError):
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="py", BatchSize=20000)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_event_source_mapping(UUID="8c3f1b2e-0000-0000-0000-000000000000")


def test_listing_pages_with_the_servers_own_markers(lam, sqs):
    made = [lam.create_event_source_mapping(EventSourceArn=queue(sqs, f"pg{i}", VisibilityTimeout=5)[1],
                                            FunctionName="py", Enabled=False)["UUID"] for i in range(3)]
    try:
        first = lam.list_event_source_mappings(FunctionName="py", MaxItems=2)
        assert len(first["EventSourceMappings"]) == 2 and first["NextMarker"]
        rest = lam.list_event_source_mappings(FunctionName="py", MaxItems=2, Marker=first["NextMarker"])
        seen = {m["UUID"] for m in first["EventSourceMappings"] + rest["EventSourceMappings"]}
        assert set(made) <= seen and "NextMarker" not in rest
        for marker in ("\u00b9", "7", "d2FzbWhvc3QtcGFnZTrCuQ=="):  # a Unicode digit, a bare index, base64 of one
            with pytest.raises(lam.exceptions.InvalidParameterValueException, match="pagination marker"):
                lam.list_event_source_mappings(Marker=marker)
    finally:
        for uuid in made:
            lam.delete_event_source_mapping(UUID=uuid)


def test_queue_drains_through_a_mapping_with_lambdas_event(lam, sqs, server):
    url, arn = queue(sqs, "drain", VisibilityTimeout=5)
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="py", BatchSize=10, Enabled=False)
    assert m["State"] == "Creating" and m["BatchSize"] == 10
    assert lam.get_event_source_mapping(UUID=m["UUID"])["State"] == "Disabled"
    sqs.send_message(QueueUrl=url, MessageBody="shape",
                     MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    for i in range(5):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(j), "MessageBody": f"d{i}.{j}"} for j in range(10)])
    time.sleep(0.3)
    assert depth(sqs, url) == 51  # disabled: nothing taken
    lam.update_event_source_mapping(UUID=m["UUID"], Enabled=True)
    assert wait_for(lambda: depth(sqs, url) == 0)
    bodies = [b for b in logged(server) if b.startswith("d") or b == "shape"]
    assert sorted(bodies) == sorted(["shape"] + [f"d{i}.{j}" for i in range(5) for j in range(10)])
    (event,) = [json.loads(e) for e in logged(server, prefix="EVENT ")]
    assert event["eventSource"] == "aws:sqs" and event["eventSourceARN"] == arn and event["awsRegion"] == "us-east-1"
    assert event["body"] == "shape" and event["md5OfBody"] == hashlib.md5(b"shape").hexdigest()
    assert set(event) >= {"messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody"}
    assert event["attributes"]["ApproximateReceiveCount"] == "1" and "SentTimestamp" in event["attributes"]
    assert event["messageAttributes"] == {"k": {"stringValue": "v", "stringListValues": [], "binaryListValues": [],
                                                "dataType": "String"}}
    listed = lam.list_event_source_mappings(FunctionName="py")["EventSourceMappings"]
    assert [x["UUID"] for x in listed if x["EventSourceArn"] == arn] == [m["UUID"]]
    assert lam.get_event_source_mapping(UUID=m["UUID"])["LastProcessingResult"] == "OK"
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="py")
    assert lam.delete_event_source_mapping(UUID=m["UUID"])["State"] == "Deleting"
    sqs.send_message(QueueUrl=url, MessageBody="after delete")
    time.sleep(0.5)
    assert depth(sqs, url) == 1


def test_partial_batch_failure_and_redrive(lam, sqs, server):
    _, dlq_arn = queue(sqs, "partial-dlq")
    dlq_url = sqs.get_queue_url(QueueName="partial-dlq")["QueueUrl"]
    url, arn = queue(sqs, "partial", VisibilityTimeout=2,
                     RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}))
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": f"o{i}", "MessageBody": f"ok{i}"} for i in range(4)]
                           + [{"Id": f"f{i}", "MessageBody": f"fail{i}"} for i in range(2)])
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="py", BatchSize=10,
                                        MaximumBatchingWindowInSeconds=1,
                                        FunctionResponseTypes=["ReportBatchItemFailures"])
    assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert wait_for(lambda: depth(sqs, dlq_url) == 2, timeout=30)
    assert depth(sqs, url) == 0
    bodies = logged(server)
    assert sorted(b for b in bodies if b.startswith("ok")) == ["ok0", "ok1", "ok2", "ok3"]  # once each
    assert sorted(b for b in bodies if b.startswith("fail")) == ["fail0", "fail0", "fail1", "fail1"]  # maxReceiveCount
    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert sorted(d["Body"] for d in dead) == ["fail0", "fail1"]
    assert all(d["Attributes"]["DeadLetterQueueSourceArn"] == arn for d in dead)
    lam.delete_event_source_mapping(UUID=m["UUID"])


def test_function_errors_return_the_whole_batch(lam, sqs, server):
    create(lam, "trap", "trap", Timeout=1)
    _, dlq_arn = queue(sqs, "trap-dlq")
    dlq_url = sqs.get_queue_url(QueueName="trap-dlq")["QueueUrl"]
    url, arn = queue(sqs, "trapq", VisibilityTimeout=1,
                     RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}))
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"t{i}"} for i in range(3)])
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="trap", BatchSize=10)
    assert wait_for(lambda: depth(sqs, dlq_url) == 3, timeout=20)
    assert server.metric('wasmhost_errors_total{function="trap",status="trap"}') == 2  # one batch, twice
    assert lam.get_event_source_mapping(UUID=m["UUID"])["LastProcessingResult"].startswith("PROBLEM")
    lam.delete_event_source_mapping(UUID=m["UUID"])


def test_throttling_slows_the_poller_and_loses_nothing(lam, sqs, server):
    create(lam, "echo", "echo", Timeout=1)
    lam.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
    _, dlq_arn = queue(sqs, "thr-dlq")
    url, arn = queue(sqs, "thr", VisibilityTimeout=1,
                     RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}))
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"x{i}"} for i in range(10)])
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="echo", BatchSize=5,
                                        ScalingConfig={"MaximumConcurrency": 2})
    assert m["ScalingConfig"] == {"MaximumConcurrency": 2}
    time.sleep(2.5)
    throttles = server.metric('wasmhost_throttles_total{function="echo"}')
    assert 2 <= throttles < 60  # backing off, not spinning
    assert depth(sqs, url) == 10 and depth(sqs, sqs.get_queue_url(QueueName="thr-dlq")["QueueUrl"]) == 0
    lam.delete_function_concurrency(FunctionName="echo")
    assert wait_for(lambda: depth(sqs, url) == 0, timeout=15)
    assert server.metric('wasmhost_invocations_total{function="echo"}') >= 2
    lam.delete_event_source_mapping(UUID=m["UUID"])


def _left(server, queue_name):
    db = sqlite3.connect(str(server.data_dir / "sources.sqlite"))
    try:
        return sorted(r[0] for r in db.execute("SELECT body FROM messages WHERE queue = ?", (queue_name,)))
    finally:
        db.close()


def test_restart_with_messages_in_flight(lam, sqs, server):
    url, arn = queue(sqs, "restart", VisibilityTimeout=2)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"r{i}"} for i in range(6)])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=4)["Messages"]  # in flight for 2 s
    deleted = {g["Body"] for g in got[:2]}
    for g in got[:2]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=g["ReceiptHandle"])
    server.stop()
    server.start()
    lam, sqs = lambda_client(server.url), sqs_client(server.url)
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="py")
    assert wait_for(lambda: depth(sqs, url) == 0, timeout=20)
    delivered = [b for b in logged(server) if b.startswith("r")]
    assert sorted(delivered) == sorted({f"r{i}" for i in range(6)} - deleted)  # each once, none deleted
    lam.delete_event_source_mapping(UUID=m["UUID"])


def test_kill_9_mid_batch_redelivers_everything_unacknowledged(lam, sqs, server):
    url, arn = queue(sqs, "crash", VisibilityTimeout=3)
    bodies = [f"slow{i}" for i in range(4)] + [f"k{i}" for i in range(6)]
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="py", BatchSize=2)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)])
    time.sleep(0.8)  # the slow batches are running
    server.kill()
    left = _left(server, "crash")
    assert left  # the kill came mid-batch: unacknowledged messages are still stored
    server.start()
    lam, sqs = lambda_client(server.url), sqs_client(server.url)
    assert wait_for(lambda: depth(sqs, url) == 0, timeout=40)
    after = [b for b in logged(server) if b in bodies]
    assert set(left) <= set(after)  # every unacknowledged message delivered again
    lam.delete_event_source_mapping(UUID=m["UUID"])
