"""serve's start-up order (server/run.py): invocations are answered as soon as the
socket listens, and the asynchronous worker starts only once the event sources
exist, so events left pending by a crash and run at the next start still reach
their SQS destination (before, the worker could finish one while the queues were
still loading, and its OnSuccess record was lost)."""

import boto3

from live import Server, create, lambda_client
from test_async_and_restart import wait_for


def test_events_pending_at_start_reach_their_sqs_destination(tmp_path):
    s = Server(tmp_path / "data").start()
    try:
        lam = lambda_client(s.url)
        sqs = boto3.client("sqs", endpoint_url=s.url, region_name="us-east-1", aws_access_key_id="x",
                           aws_secret_access_key="x")
        create(lam, "ok", "echo")
        url = sqs.create_queue(QueueName="done")["QueueUrl"]
        lam.put_function_event_invoke_config(FunctionName="ok", DestinationConfig={
            "OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:000000000000:done"}})
        n = 150
        for i in range(n):
            lam.invoke(FunctionName="ok", InvocationType="Event", Payload=b'{"n": %d}' % i)
        s.kill()  # right after the last 202: most events have not run yet
        s.start()
        assert wait_for(lambda: s.metric("wasmhost_async_pending_events") == 0, timeout=60)
        got = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                  ["Attributes"]["ApproximateNumberOfMessages"])
        assert got >= n  # every event's record (at least once: one may have run before the kill)
    finally:
        s.stop()
