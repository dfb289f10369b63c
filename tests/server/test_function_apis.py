"""Functions calling the server's own SQS and Lambda Invoke (server/sources/function_apis.py),
on one live server, with the SDKs Lambda's runtimes include and no configuration: boto3 in
Python, the JS SDK v3 in an ES module. Each function reaches only the queues and
functions its tags grant (AccessDenied in each protocol's shape otherwise), never the
server's main address, and the calls are metered."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from live import Server, lambda_client, zip_files
from s3live import wait_for

PY_SQS = '''
import os

import boto3
from botocore.exceptions import ClientError

sqs = boto3.client("sqs")


def handler(event, context):
    try:
        url = event.get("url") or sqs.get_queue_url(QueueName=event["queue"])["QueueUrl"]
        sent = sqs.send_message(QueueUrl=url, MessageBody=event["body"])
        batch = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": event["body"] + "-a"}])
        return {"sent": sent["MessageId"], "batch": len(batch["Successful"]), "url": url}
    except ClientError as e:
        return {"error": e.response["Error"]["Code"], "message": e.response["Error"]["Message"],
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
'''

PY_INVOKE = '''
import json

import boto3
from botocore.exceptions import ClientError

lam = boto3.client("lambda")


def handler(event, context):
    out = {}
    r = lam.invoke(FunctionName=event["target"], Payload=json.dumps({"from": context.function_name}))
    out["sync"] = json.loads(r["Payload"].read())
    out["event"] = lam.invoke(FunctionName=event["target"], InvocationType="Event",
                              Payload=json.dumps({"from": "event"}))["StatusCode"]
    try:
        lam.invoke(FunctionName="secret")
    except ClientError as e:
        out["denied"] = [e.response["Error"]["Code"], e.response["Error"]["Message"],
                         e.response["ResponseMetadata"]["HTTPStatusCode"]]
    try:
        lam.list_functions()
    except ClientError as e:
        out["listing"] = e.response["Error"]["Code"]
    return out
'''

CALLEE = '''
def handler(event, context):
    print("callee ran for", event.get("from"))
    return {"echo": event, "fn": context.function_name}
'''

NODE_ESM = '''\
import { SQSClient, GetQueueUrlCommand, SendMessageCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { LambdaClient, InvokeCommand } from "@aws-sdk/client-lambda";

const sqs = new SQSClient({});
const lambda = new LambdaClient({});

export const handler = async (event) => {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: "orders" }));
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: event.body }));
  const out = await lambda.send(new InvokeCommand({ FunctionName: "callee", Payload: JSON.stringify({ from: "node" }) }));
  const answer = JSON.parse(Buffer.from(out.Payload).toString());
  const denied = {};
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl: QueueUrl.replace(/orders$/, "audit"), MessageBody: "x" }));
  } catch (e) {
    denied.queue = { name: e.name, status: e.$metadata.httpStatusCode };
  }
  try {
    await sqs.send(new ListQueuesCommand({}));
  } catch (e) {
    denied.list = e.name;
  }
  try {
    await lambda.send(new InvokeCommand({ FunctionName: "secret" }));
  } catch (e) {
    denied.invoke = { name: e.name, status: e.$metadata.httpStatusCode };
  }
  return { sent: sent.MessageId, answer, denied };
};
'''

PROBE = '''
import os
import urllib.request


def handler(event, context):
    try:
        urllib.request.urlopen(event["main"] + "/2015-03-31/functions/", timeout=5).read()
        main = "reached"
    except Exception as e:  # refused by the allow-list
        main = f"{type(e).__name__}: {e}"
    return {"env": {k: v for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL")}, "main": main}
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("fnapis") / "data").start()
    api = lambda_client(s.url)

    def py(name: str, code: str, **kw) -> None:
        api.create_function(FunctionName=name, Runtime="python3.12", Role="r", Handler="app.handler", Timeout=60,
                            Code={"ZipFile": zip_files({"app.py": code})}, **kw)
    py("sender", PY_SQS, Tags={"wasmhost:queues": "orders arn:aws:sqs:us-east-1:000000000000:invoices"})
    py("caller", PY_INVOKE, Tags={"wasmhost:functions": "callee"})
    py("callee", CALLEE)
    py("secret", CALLEE)
    py("probe", PROBE)
    api.create_function(FunctionName="node-esm", Runtime="nodejs20.x", Role="r", Handler="index.handler", Timeout=60,
                        Code={"ZipFile": zip_files({"index.mjs": NODE_ESM})},
                        Tags={"wasmhost:queues": "orders", "wasmhost:functions": "callee"})
    sqs = sqs_client(s.url)
    for q in ("orders", "invoices", "audit"):
        sqs.create_queue(QueueName=q)
    yield s
    s.stop()


def sqs_client(url: str, key: str = "x", secret: str = "x"):
    return boto3.client("sqs", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 0}))


def invoke(url: str, name: str, event: dict) -> tuple[dict, dict]:
    r = lambda_client(url).invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return r, json.loads(r["Payload"].read())


def bodies(url: str, queue: str) -> list[str]:
    sqs = sqs_client(url)
    q = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return sorted(out)
        for m in got:
            out.append(m["Body"])
            sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])


def reports(url: str, function: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/wasmhost/logs?function={function}&limit=1000", timeout=10) as r:
        return json.load(r)["reports"]


def test_boto3_in_a_function_sends_to_the_queues_its_tag_grants(server):
    r, out = invoke(server.url, "sender", {"queue": "orders", "body": "tea"})
    assert "FunctionError" not in r, out
    assert out["batch"] == 1 and out["url"].endswith("/000000000000/orders")
    assert bodies(server.url, "orders") == ["tea", "tea-a"]
    # a queue granted by its ARN; a QueueUrl naming the server's main address (as the operator's
    # `aws sqs create-queue` printed it) works too: boto3 sends to its endpoint, the body names the queue
    main_url = f"{server.url}/000000000000/invoices"
    r, out = invoke(server.url, "sender", {"url": main_url, "body": "bill"})
    assert "sent" in out, out
    assert bodies(server.url, "invoices") == ["bill", "bill-a"]
    # the caller's report counts its calls as outbound requests, never as bucket bytes
    done = reports(server.url, "sender")
    assert sorted(r["outbound_requests"] for r in done) == [2, 3]  # GetQueueUrl, SendMessage(Batch)
    assert all(r["outbound_bytes"] > 0 and r["bucket_bytes_written"] == r["bucket_bytes_read"] == 0 for r in done)


def test_a_queue_not_granted_is_access_denied_naming_the_tag(server):
    r, out = invoke(server.url, "sender", {"queue": "audit", "body": "x"})
    assert out["error"] == "AccessDenied" and out["status"] == 403, out
    assert "sqs:GetQueueUrl" in out["message"] and "wasmhost:queues" in out["message"]
    assert bodies(server.url, "audit") == []


def test_a_function_invokes_another_sync_and_event_but_no_other(server):
    r, out = invoke(server.url, "caller", {"target": "callee"})
    assert "FunctionError" not in r, out
    assert out["sync"] == {"echo": {"from": "caller"}, "fn": "callee"}
    assert out["event"] == 202
    code, message, status = out["denied"]
    assert (code, status) == ("AccessDeniedException", 403)
    assert "lambda:InvokeFunction" in message and "function:secret" in message and "wasmhost:functions" in message
    assert out["listing"] == "AccessDeniedException"
    # the Event invocation ran; each invocation is metered as the callee's own
    assert wait_for(lambda: len(reports(server.url, "callee")) >= 2, timeout=60)
    assert reports(server.url, "secret") == []
    assert [r["outbound_requests"] for r in reports(server.url, "caller")] == [4]  # 2 invokes, 2 refused


def test_the_js_sdk_v3_in_an_es_module_reaches_sqs_and_lambda(server):
    r, out = invoke(server.url, "node-esm", {"body": "from-node"})
    assert "FunctionError" not in r, out
    assert out["answer"] == {"echo": {"from": "node"}, "fn": "callee"}
    assert out["denied"] == {"queue": {"name": "AccessDenied", "status": 403}, "list": "AccessDenied",
                             "invoke": {"name": "AccessDeniedException", "status": 403}}
    assert bodies(server.url, "orders") == ["from-node"]


def test_the_endpoint_answers_only_function_keys_and_the_main_address_stays_closed(server):
    r, out = invoke(server.url, "probe", {"main": server.url})
    env = out["env"]
    assert env["AWS_ENDPOINT_URL_SQS"] == env["AWS_ENDPOINT_URL_LAMBDA"] != env["AWS_ENDPOINT_URL_S3"]
    assert "not in this function's allowed_hosts" in out["main"]
    # the operator's own key (valid on the main address) is no function's key here
    with pytest.raises(ClientError) as e:
        sqs_client(env["AWS_ENDPOINT_URL_SQS"]).get_queue_url(QueueName="orders")
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as e:
        lambda_client(env["AWS_ENDPOINT_URL_LAMBDA"]).invoke(FunctionName="callee")
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_bad_grants_are_refused_at_deploy(server):
    api = lambda_client(server.url)
    arn = api.get_function(FunctionName="sender")["Configuration"]["FunctionArn"]
    for tags, words in (({"wasmhost:queues": "orders bad.name"}, "not a queue name"),
                        ({"wasmhost:functions": "no/such"}, "not a function name")):
        with pytest.raises(ClientError, match=words):
            api.tag_resource(Resource=arn, Tags=tags)


def test_nested_synchronous_invocations_are_throttled_before_they_take_every_thread():
    """A chain of synchronous calls (a function calling itself) holds a thread per level:
    past ``max_nested`` the endpoint answers Lambda's 429 instead of waiting."""
    from wasmhost.server.errors import ApiError
    from wasmhost.server.sources.function_apis import ApiEndpoint
    from wasmhost.server.sources.function_grants import FunctionKeys, Grant

    endpoint = ApiEndpoint(FunctionKeys())
    try:
        endpoint.service = object()  # type: ignore[assignment]  # refused before it is used
        endpoint.max_nested = endpoint.nested = 2
        with pytest.raises(ApiError) as e:
            asyncio.run(endpoint._invoke(Grant("loop", functions=frozenset({"loop"})), "loop", None, {}, b"{}"))
        assert e.value.status == 429 and e.value.extra["Reason"] == "ConcurrentInvocationLimitExceeded"
    finally:
        asyncio.run(endpoint.stop())
