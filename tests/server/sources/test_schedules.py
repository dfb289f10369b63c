"""EventBridge schedules against a live server, with boto3's events client. The
server runs with the non-AWS setting WASMHOST_SCHEDULE_SECONDS=1 so that
``rate(N seconds)`` ticks fast enough for a test."""

import calendar
import json
import os
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from live import Server, create, lambda_client
from test_sqs import sqs_client


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    os.environ["WASMHOST_SCHEDULE_SECONDS"] = "1"
    try:
        s = Server(tmp_path_factory.mktemp("events") / "data").start()
    finally:
        del os.environ["WASMHOST_SCHEDULE_SECONDS"]
    yield s
    s.stop()


def events_client(url):
    return boto3.client("events", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 0}))


@pytest.fixture
def events(server):
    return events_client(server.url)


def drain(sqs, url, wait=0):
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get("Messages", [])
        if not got:
            return out
        wait = 0
        for m in got:
            out.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_rules_api(events):
    arn = events.put_rule(Name="nightly", ScheduleExpression="cron(0 3 ? * MON-FRI *)",
                          Description="weekdays")["RuleArn"]
    assert arn == "arn:aws:events:us-east-1:000000000000:rule/nightly"
    d = events.describe_rule(Name="nightly")
    assert d["State"] == "ENABLED" and d["ScheduleExpression"] == "cron(0 3 ? * MON-FRI *)"
    assert d["EventBusName"] == "default" and d["Description"] == "weekdays"
    events.disable_rule(Name="nightly")
    assert events.describe_rule(Name="nightly")["State"] == "DISABLED"
    events.enable_rule(Name="nightly")
    events.put_rule(Name="hourly", ScheduleExpression="rate(1 hour)", State="DISABLED")
    assert [r["Name"] for r in events.list_rules(NamePrefix="n")["Rules"]] == ["nightly"]
    page = events.list_rules(Limit=1)
    assert len(page["Rules"]) == 1 and page["NextToken"]
    fn = "arn:aws:lambda:us-east-1:000000000000:function:f"
    res = events.put_targets(Rule="nightly", Targets=[
        {"Id": "a", "Arn": fn, "Input": '{"k": 1}'}, {"Id": "b", "Arn": "arn:aws:sns:us-east-1:000000000000:t"},
        {"Id": "c", "Arn": fn, "Input": "not json"}])
    assert res["FailedEntryCount"] == 2 and {e["TargetId"] for e in res["FailedEntries"]} == {"b", "c"}
    assert events.list_targets_by_rule(Rule="nightly")["Targets"] == [{"Id": "a", "Arn": fn, "Input": '{"k": 1}'}]
    assert events.list_rule_names_by_target(TargetArn=fn)["RuleNames"] == ["nightly"]
    with pytest.raises(ClientError, match="has targets"):
        events.delete_rule(Name="nightly")
    assert events.remove_targets(Rule="nightly", Ids=["a", "zz"])["FailedEntryCount"] == 1
    events.delete_rule(Name="nightly")
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_rule(Name="nightly")
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.put_targets(Rule="nightly", Targets=[{"Id": "a", "Arn": fn}])


@pytest.mark.parametrize("expr", ["rate(1 minutes)", "rate(5 weeks)", "cron(0 0 * * * *)", "cron(0 8 LW * ? *)",
                                  "every day"])
def test_bad_expressions(events, expr):
    with pytest.raises(ClientError) as e:
        events.put_rule(Name="bad", ScheduleExpression=expr)
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_schedule_fires_scheduled_events_once_per_tick(events, server):
    sqs = sqs_client(server.url)
    url = sqs.create_queue(QueueName="ticks")["QueueUrl"]
    qarn = "arn:aws:sqs:us-east-1:000000000000:ticks"
    t0 = time.time()
    events.put_rule(Name="every-second", ScheduleExpression="rate(1 second)")
    events.put_targets(Rule="every-second", Targets=[{"Id": "q", "Arn": qarn}])
    time.sleep(3.5)
    events.disable_rule(Name="every-second")
    got = [json.loads(m["Body"]) for m in drain(sqs, url, wait=1)]
    assert 2 <= len(got) <= 4
    e = got[0]
    assert e["source"] == "aws.events" and e["detail-type"] == "Scheduled Event" and e["detail"] == {}
    assert e["resources"] == ["arn:aws:events:us-east-1:000000000000:rule/every-second"]
    assert e["account"] == "000000000000" and e["region"] == "us-east-1" and e["version"] == "0"
    times = [x["time"] for x in got]
    assert len(set(times)) == len(times) and len({x["id"] for x in got}) == len(got)  # never twice
    assert all(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0)) <= t for t in times)
    time.sleep(1.5)
    assert drain(sqs, url) == []  # disabled: no more ticks


def test_lambda_targets_are_async_invocations(events, server):
    lam = lambda_client(server.url)
    create(lam, "tick", "counter")
    events.put_rule(Name="to-lambda", ScheduleExpression="rate(1 second)")
    events.put_targets(Rule="to-lambda", Targets=[
        {"Id": "fn", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:tick", "Input": '{"custom": true}'}])
    deadline = time.time() + 10
    while time.time() < deadline and server.metric('wasmhost_invocations_total{function="tick"}') < 2:
        time.sleep(0.1)
    events.remove_targets(Rule="to-lambda", Ids=["fn"])
    assert server.metric('wasmhost_invocations_total{function="tick"}') >= 2
    assert server.metric('wasmhost_async_events_total{outcome="accepted"}') >= 2  # the async path


def test_schedules_survive_a_restart_without_replaying_missed_ticks(events, server):
    sqs = sqs_client(server.url)
    url = sqs.create_queue(QueueName="restart-ticks")["QueueUrl"]
    events.put_rule(Name="slow", ScheduleExpression="rate(2 seconds)")
    events.put_targets(Rule="slow", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:restart-ticks"}])
    server.stop()
    stopped = time.time()
    time.sleep(4.5)  # two ticks pass while the server is down
    restarted = time.time()
    server.start()
    events, sqs = events_client(server.url), sqs_client(server.url)
    assert events.describe_rule(Name="slow")["State"] == "ENABLED"
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="slow")["Targets"]] == ["q"]
    got = drain(sqs, url, wait=3)
    waited = time.time() - restarted
    # an event's time is its tick's: those of the downtime are not replayed, the next ones
    # fire (a loaded machine may take seconds to start, so no count is exact)
    ticks = [calendar.timegm(time.strptime(json.loads(m["Body"])["time"], "%Y-%m-%dT%H:%M:%SZ")) for m in got]
    after = [t for t in ticks if t > stopped]
    assert after and all(t >= int(restarted) for t in after), (stopped, restarted, ticks)
    assert len(after) <= waited / 2 + 1, (waited, ticks)
    events.remove_targets(Rule="slow", Ids=["q"])


def test_aws_cli_puts_a_rule(server):
    import shutil
    import subprocess
    aws = shutil.which("aws") or os.path.join(os.path.dirname(os.sys.executable), "aws")
    if not os.path.exists(aws):
        pytest.skip("the aws CLI is not installed (CI installs awscli with the test extra)")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
    out = subprocess.run([aws, "--endpoint-url", server.url, "events", "put-rule", "--name", "cli",
                          "--schedule-expression", "rate(5 minutes)"], env=env, check=True, capture_output=True,
                         text=True).stdout
    assert json.loads(out)["RuleArn"].endswith(":rule/cli")


def test_cli_and_metrics_show_the_sources(events, server):
    import subprocess
    import sys
    import urllib.request
    sqs = sqs_client(server.url)
    dlq = sqs.create_queue(QueueName="cli-dlq")["QueueUrl"]
    url = sqs.create_queue(QueueName="cli-q", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:cli-dlq", "maxReceiveCount": 3})})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message(QueueUrl=dlq, MessageBody="dead")
    events.put_rule(Name="cli-rule", ScheduleExpression="cron(0 12 * * ? *)")
    out = subprocess.run([sys.executable, "-m", "wasmhost.cli", "--endpoint", server.url, "sources"],
                         capture_output=True, text=True, check=True).stdout
    (line,) = [ln.split() for ln in out.splitlines() if ln.strip().startswith("cli-q ")]
    assert line[:6] == ["cli-q", "1", "0", "0", "cli-dlq", "1"]
    (rule,) = [ln for ln in out.splitlines() if ln.strip().startswith("cli-rule ")]
    assert "cron(0 12 * * ? *)" in rule and "ENABLED" in rule and ":00:00 (in " in rule
    with urllib.request.urlopen(server.url + "/metrics") as r:
        text = r.read().decode()
    assert 'wasmhost_queue_messages{queue="cli-q",state="visible"} 1' in text
    assert 'wasmhost_queue_dead_letter_messages{queue="cli-q",dlq="cli-dlq"} 1' in text
    assert 'wasmhost_schedule_next_fire_timestamp_seconds{rule="cli-rule"}' in text
