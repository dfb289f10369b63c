"""Every SQS, EventBridge and event source mapping operation, with each of its
parameters replaced by values of the wrong type: a clear 4xx every time, never a
500, and the server still serving."""

import http.client
import json

import pytest

from live import Server

WRONG = [None, 0, -1, 10**20, 1.5, True, "", "x" * 300, "\u0000", [], [1], {}, {"a": 1},
         "\u00b9", "\u0661\u0662", "\u00b9.0123456789abcdef"]  # digits int() refuses or reads; a receipt of one

SQS = {
    "CreateQueue": {"QueueName": "hq", "Attributes": {"VisibilityTimeout": "5"}, "tags": {"a": "b"}},
    "GetQueueUrl": {"QueueName": "hq"},
    "ListQueues": {"QueueNamePrefix": "h", "MaxResults": 5, "NextToken": "a"},
    "GetQueueAttributes": {"QueueUrl": "QURL", "AttributeNames": ["All"]},
    "SetQueueAttributes": {"QueueUrl": "QURL", "Attributes": {"DelaySeconds": "0"}},
    "SendMessage": {"QueueUrl": "QURL", "MessageBody": "b", "DelaySeconds": 0,
                    "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
    "SendMessageBatch": {"QueueUrl": "QURL", "Entries": [{"Id": "a", "MessageBody": "b"}]},
    "ReceiveMessage": {"QueueUrl": "QURL", "MaxNumberOfMessages": 1, "VisibilityTimeout": 0, "WaitTimeSeconds": 0,
                       "AttributeNames": ["All"], "MessageAttributeNames": ["All"],
                       "MessageSystemAttributeNames": ["All"]},
    "DeleteMessage": {"QueueUrl": "QURL", "ReceiptHandle": "1.0123456789abcdef"},
    "DeleteMessageBatch": {"QueueUrl": "QURL", "Entries": [{"Id": "a", "ReceiptHandle": "1.0123456789abcdef"}]},
    "ChangeMessageVisibility": {"QueueUrl": "QURL", "ReceiptHandle": "1.0123456789abcdef", "VisibilityTimeout": 0},
    "ChangeMessageVisibilityBatch": {"QueueUrl": "QURL", "Entries": [
        {"Id": "a", "ReceiptHandle": "1.0123456789abcdef", "VisibilityTimeout": 0}]},
    "ListQueueTags": {"QueueUrl": "QURL"},
    "TagQueue": {"QueueUrl": "QURL", "Tags": {"a": "b"}},
    "UntagQueue": {"QueueUrl": "QURL", "TagKeys": ["a"]},
    "PurgeQueue": {"QueueUrl": "QURL"},
}
EVENTS = {
    "PutRule": {"Name": "hr", "ScheduleExpression": "rate(5 minutes)", "State": "ENABLED", "Description": "d"},
    "DescribeRule": {"Name": "hr"},
    "ListRules": {"NamePrefix": "h", "Limit": 5, "NextToken": "1"},
    "EnableRule": {"Name": "hr"},
    "DisableRule": {"Name": "hr"},
    "PutTargets": {"Rule": "hr", "Targets": [{"Id": "t", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:f",
                                              "Input": "{}"}]},
    "ListTargetsByRule": {"Rule": "hr", "Limit": 5},
    "ListRuleNamesByTarget": {"TargetArn": "arn:aws:lambda:us-east-1:000000000000:function:f"},
    "RemoveTargets": {"Rule": "hr", "Ids": ["t"]},
    "DeleteRule": {"Name": "hr"},
}
ESM = {"EventSourceArn": "arn:aws:sqs:us-east-1:000000000000:hq", "FunctionName": "f", "BatchSize": 10,
       "MaximumBatchingWindowInSeconds": 0, "FunctionResponseTypes": ["ReportBatchItemFailures"],
       "ScalingConfig": {"MaximumConcurrency": 2}, "Enabled": True}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("hostile") / "data").start()
    yield s
    s.stop()


def call(server, method, path, body, headers):
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    c.request(method, path, body, headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def variants(good: dict):
    yield good
    for key in good:
        for value in WRONG:
            yield {**good, key: value}
        yield {k: v for k, v in good.items() if k != key}
    for key, value in good.items():  # one level down: lists of entries, attribute maps
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for inner in value[0]:
                for w in WRONG:
                    yield {**good, key: [{**value[0], inner: w}]}
        if isinstance(value, dict):
            for inner in value:
                for w in WRONG:
                    yield {**good, key: {**value, inner: w}}


@pytest.mark.parametrize("service, ops, prefix, ctype", [
    ("sqs", SQS, "AmazonSQS", "application/x-amz-json-1.0"),
    ("events", EVENTS, "AWSEvents", "application/x-amz-json-1.1")])
def test_json_protocol_operations_never_fail_with_500(server, service, ops, prefix, ctype):
    qurl = f"http://127.0.0.1:{server.port}/000000000000/hq"
    n = 0
    for op, good in ops.items():
        for body in variants(json.loads(json.dumps(good).replace("QURL", qurl))):
            status, data = call(server, "POST", "/", json.dumps(body), {"X-Amz-Target": f"{prefix}.{op}",
                                                                     "Content-Type": ctype})
            assert status < 500, (op, body, data)
            n += 1
        for raw in (b"", b"[]", b"not json", b"\xff\xfe", b"null", b'"s"'):
            status, data = call(server, "POST", "/", raw, {"X-Amz-Target": f"{prefix}.{op}", "Content-Type": ctype})
            assert status < 500, (op, raw, data)
    assert n > 300
    status, _ = call(server, "POST", "/", "{}", {"X-Amz-Target": f"{prefix}.NoSuchOperation"})
    assert status == 400
    status, _ = call(server, "POST", "/", "{}", {"X-Amz-Target": "Nobody.Nothing"})
    assert status == 400


def test_event_source_mapping_operations_never_fail_with_500(server):
    from live import create, lambda_client
    create(lambda_client(server.url), "f", "echo")
    call(server, "POST", "/", json.dumps({"QueueName": "hq"}), {"X-Amz-Target": "AmazonSQS.CreateQueue"})
    created = []
    for body in variants(ESM):
        status, data = call(server, "POST", "/2015-03-31/event-source-mappings", json.dumps(body),
                            {"Content-Type": "application/json"})
        assert status < 500, (body, data)
        if status == 202:
            created.append(json.loads(data)["UUID"])
            for update in variants({k: v for k, v in ESM.items() if k != "EventSourceArn"}):
                status, data = call(server, "PUT", f"/2015-03-31/event-source-mappings/{created[-1]}",
                                    json.dumps(update), {"Content-Type": "application/json"})
                assert status < 500, (update, data)
            call(server, "DELETE", f"/2015-03-31/event-source-mappings/{created[-1]}", "", {})
    assert created
    for query in ("", "?FunctionName=f", "?FunctionName=%00", "?MaxItems=x", "?MaxItems=0", "?Marker=zz",
                  "?EventSourceArn=x"):
        status, data = call(server, "GET", "/2015-03-31/event-source-mappings" + query, None, {})
        assert status < 500, (query, data)
    status, _ = call(server, "GET", "/2015-03-31/event-source-mappings/not-a-uuid", None, {})
    assert status == 400  # the model's pattern for a UUID
    status, _ = call(server, "GET", "/2015-03-31/event-source-mappings/8c3f1b2e-0000-4000-8000-000000000000", None, {})
    assert status == 404
    status, _ = call(server, "GET", "/healthz", None, {})
    assert status == 200
