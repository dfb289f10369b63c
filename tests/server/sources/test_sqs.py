"""The SQS API against a live server, with boto3's own client (JSON protocol)."""

import hashlib
import threading
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from live import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("sqs") / "data").start()
    yield s
    s.stop()


def sqs_client(url):
    return boto3.client("sqs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 0}, read_timeout=30))


@pytest.fixture(scope="module")
def sqs(server):
    return sqs_client(server.url)


def test_botocore_speaks_json_to_sqs(sqs):
    assert sqs.meta.service_model.protocol == "json"


def test_create_get_list_delete(sqs, server):
    url = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
    assert url == f"http://127.0.0.1:{server.port}/000000000000/orders"
    assert sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "5"})["QueueUrl"] == url
    with pytest.raises(sqs.exceptions.QueueNameExists):
        sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "6"})
    assert sqs.get_queue_url(QueueName="orders")["QueueUrl"] == url
    sqs.create_queue(QueueName="other")
    assert sqs.list_queues(QueueNamePrefix="ord")["QueueUrls"] == [url]
    page = sqs.list_queues(MaxResults=1)
    assert len(page["QueueUrls"]) == 1 and "NextToken" in page
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "5" and attrs["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:orders"
    assert attrs["ApproximateNumberOfMessages"] == "0" and attrs["MessageRetentionPeriod"] == "345600"
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="other")["QueueUrl"])
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as e:
        sqs.get_queue_url(QueueName="other")
    assert e.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_bad_input_gets_clear_errors(sqs):
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName="bad name!")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName="q1", Attributes={"VisibilityTimeout": "99999"})
    assert e.value.response["Error"]["Code"] == "InvalidAttributeValue"
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName="q1", Attributes={"RedrivePolicy": '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:nope", "maxReceiveCount": 2}'})
    assert e.value.response["Error"]["Code"] == "InvalidAttributeValue"
    url = sqs.create_queue(QueueName="q1")["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}])
    assert e.value.response["Error"]["Code"] == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)])
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="bad \x01 char")
    assert e.value.response["Error"]["Code"] == "InvalidMessageContents"


def test_send_receive_delete_with_attributes(sqs):
    url = sqs.create_queue(QueueName="attrs")["QueueUrl"]
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "greeting"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        "n": {"DataType": "Number", "StringValue": "42"}})
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    # the digest of attributes as SQS computes it (the SDKs that check it agree)
    # the digest of attributes as SQS defines it (length-prefixed name, type, transport byte, value; by name)
    def enc(b):
        return len(b).to_bytes(4, "big") + b
    ref = b"".join(enc(n.encode()) + enc(t.encode()) + k + enc(v) for n, t, k, v in sorted([
        ("kind", "String", b"\x01", b"greeting"), ("blob", "Binary", b"\x02", b"\x00\x01"),
        ("n", "Number", b"\x01", b"42")]))
    assert sent["MD5OfMessageAttributes"] == hashlib.md5(ref).hexdigest()
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"])["Messages"]
    (m,) = got
    assert m["Body"] == "hello" and m["MessageId"] == sent["MessageId"]
    assert m["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01"
    assert m["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": "42"}
    assert m["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # in flight: invisible
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                    "ApproximateNumberOfMessagesNotVisible"])["Attributes"] == {
        "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def test_visibility_timeout_and_change(sqs):
    url = sqs.create_queue(QueueName="vis", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="again")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    time.sleep(1.2)
    second = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert second["MessageId"] == first["MessageId"] and second["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])  # stale handle: deletes nothing
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0)
    third = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"][0]
    assert third["MessageId"] == first["MessageId"]
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=5)
    assert e.value.response["Error"]["Code"] == "AWS.SimpleQueueService.MessageNotInflight"


def test_batches_delay_purge(sqs):
    url = sqs.create_queue(QueueName="batch")["QueueUrl"]
    res = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "now", "MessageBody": "a"}, {"Id": "later", "MessageBody": "b", "DelaySeconds": 1},
        {"Id": "bad", "MessageBody": "c", "DelaySeconds": 5000}])
    assert sorted(e["Id"] for e in res["Successful"]) == ["later", "now"]
    assert res["Failed"][0]["Id"] == "bad" and res["Failed"][0]["SenderFault"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["a"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
    got2 = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3)["Messages"]  # long poll until the delay ends
    assert [m["Body"] for m in got2] == ["b"]
    d = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "x", "ReceiptHandle": got[0]["ReceiptHandle"]},
                                                        {"Id": "y", "ReceiptHandle": "nonsense"}])
    assert d["Successful"] == [{"Id": "x"}] and d["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    sqs.send_message(QueueUrl=url, MessageBody="z")
    sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)


def test_long_poll_wakes_on_send(sqs, server):
    url = sqs.create_queue(QueueName="long")["QueueUrl"]
    other = sqs_client(server.url)
    threading.Timer(0.5, lambda: other.send_message(QueueUrl=url, MessageBody="late")).start()
    t0 = time.time()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]
    assert got[0]["Body"] == "late" and 0.4 < time.time() - t0 < 3


def test_redrive_to_dead_letter_queue(sqs):
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="src", Attributes={
        "RedrivePolicy": f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "2"}}'})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    for _ in range(2):
        m = sqs.receive_message(QueueUrl=url)["Messages"][0]
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # the third receive moves it
    (dead,) = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
    assert dead["Body"] == "poison"
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == "arn:aws:sqs:us-east-1:000000000000:src"


def test_aws_cli_works(server):
    import json
    import os
    import shutil
    import subprocess
    aws = shutil.which("aws") or os.path.join(os.path.dirname(os.sys.executable), "aws")
    if not os.path.exists(aws):
        pytest.skip("the aws CLI is not installed (CI installs awscli with the test extra)")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
    run = lambda *a: subprocess.run([aws, "--endpoint-url", server.url, "sqs", *a], env=env, check=True,
                                    capture_output=True, text=True).stdout
    url = json.loads(run("create-queue", "--queue-name", "cli"))["QueueUrl"]
    run("send-message", "--queue-url", url, "--message-body", "from the cli")
    got = json.loads(run("receive-message", "--queue-url", url))
    assert got["Messages"][0]["Body"] == "from the cli"


def test_lambda_destinations_may_be_queues(sqs, server):
    import json
    from live import create, lambda_client
    lam = lambda_client(server.url)
    create(lam, "ok", "echo")
    create(lam, "bad", "trap")
    good_url = sqs.create_queue(QueueName="on-success")["QueueUrl"]
    bad_url = sqs.create_queue(QueueName="on-failure")["QueueUrl"]
    arn = "arn:aws:sqs:us-east-1:000000000000:"
    lam.put_function_event_invoke_config(FunctionName="ok", DestinationConfig={
        "OnSuccess": {"Destination": arn + "on-success"}})
    lam.put_function_event_invoke_config(FunctionName="bad", MaximumRetryAttempts=0, DestinationConfig={
        "OnFailure": {"Destination": arn + "on-failure"}})
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_function_event_invoke_config(FunctionName="ok", DestinationConfig={
            "OnSuccess": {"Destination": arn + "missing"}})
    lam.invoke(FunctionName="ok", InvocationType="Event", Payload=b'{"n": 1}')
    lam.invoke(FunctionName="bad", InvocationType="Event", Payload=b'{"n": 2}')
    (ok,) = sqs.receive_message(QueueUrl=good_url, WaitTimeSeconds=10)["Messages"]
    record = json.loads(ok["Body"])
    assert record["requestContext"]["condition"] == "Success" and record["requestPayload"] == {"n": 1}
    assert record["responsePayload"] == {"n": 1} and record["version"] == "1.0"
    assert record["requestContext"]["functionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:ok"
    (bad,) = sqs.receive_message(QueueUrl=bad_url, WaitTimeSeconds=10)["Messages"]
    record = json.loads(bad["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responseContext"]["functionError"] == "Unhandled" and record["requestPayload"] == {"n": 2}


def test_messages_up_to_a_mebibyte_by_default(sqs):
    """SQS's default MaximumMessageSize is 1 MiB (botocore's SetQueueAttributes docs); a queue
    may set less, and a message over its limit is refused."""
    url = sqs.create_queue(QueueName="big")["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MaximumMessageSize"])["Attributes"] == {
        "MaximumMessageSize": "1048576"}
    body = "x" * (600 * 1024)  # over the 256 KiB of before
    sqs.send_message(QueueUrl=url, MessageBody=body)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == body
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * (1024 * 1024 + 1))
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "1024"})
    with pytest.raises(ClientError):
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
