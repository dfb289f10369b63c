"""Asynchronous invocation (retries, dead letters, destinations) and state that
survives a restart, including a SIGKILL between accept and execution."""

import base64
import json
import time

from live import Server, create, lambda_client, zip_files


def wait_for(predicate, timeout=20.0, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def test_event_invocations_run(client, server):
    create(client, "echo", "echo")
    for i in range(5):
        res = client.invoke(FunctionName="echo", InvocationType="Event", Payload=json.dumps({"i": i}).encode())
        assert res["StatusCode"] == 202
    assert wait_for(lambda: server.metric('wasmhost_invocations_total{function="echo"}') == 5)
    assert wait_for(lambda: server.metric("wasmhost_async_pending_events") == 0)
    assert server.metric('wasmhost_async_events_total{outcome="accepted"}') == 5
    assert server.metric('wasmhost_async_events_total{outcome="succeeded"}') == 5


def test_failing_events_are_retried_then_dead_lettered(client, server):
    create(client, "trap", "trap")
    client.put_function_event_invoke_config(FunctionName="trap", MaximumRetryAttempts=1,
                                            MaximumEventAgeInSeconds=60)
    cfg = client.get_function_event_invoke_config(FunctionName="trap")
    assert cfg["MaximumRetryAttempts"] == 1
    client.invoke(FunctionName="trap", InvocationType="Event", Payload=b'{"job": 7}')
    # one attempt plus one retry, then the dead-letter store
    assert wait_for(lambda: server.metric('wasmhost_errors_total{function="trap",status="trap"}') == 2)
    from wasmhost.server.lambda_model import Registry
    assert wait_for(lambda: len(Registry(server.data_dir).dead_letters("trap")) == 1)
    (dl,) = Registry(server.data_dir).dead_letters("trap")
    assert dl["payload"] == b'{"job": 7}' and dl["attempts"] == 2 and "Runtime.Trap" in dl["error"]
    time.sleep(1.0)
    assert server.metric('wasmhost_errors_total{function="trap",status="trap"}') == 2  # no more retries
    assert server.metric('wasmhost_async_events_total{outcome="retried"}') == 1
    assert server.metric('wasmhost_async_events_total{outcome="failed"}') == 1


def test_on_failure_destination_gets_a_lambda_record(client, server):
    create(client, "trap2", "trap")
    create(client, "sink", "counter")
    client.put_function_event_invoke_config(
        FunctionName="trap2", MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:lambda:us-east-1:000000000000:function:sink"}})
    client.invoke(FunctionName="trap2", InvocationType="Event", Payload=b'{"job": 1}')
    assert wait_for(lambda: server.metric('wasmhost_invocations_total{function="sink"}') == 1)
    # the sink counted one record; no dead letter was needed
    from wasmhost.server.lambda_model import Registry
    assert Registry(server.data_dir).dead_letters("trap2") == []


def test_state_survives_a_restart(tmp_path):
    s = Server(tmp_path / "data").start()
    c = lambda_client(s.url)
    create(c, "echo", "echo", MemorySize=192)
    c.publish_version(FunctionName="echo")
    c.create_alias(FunctionName="echo", Name="prod", FunctionVersion="1")
    c.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=7)
    s.stop()
    s.start()
    c = lambda_client(s.url)
    try:
        assert c.get_function_configuration(FunctionName="echo")["MemorySize"] == 192
        assert c.get_alias(FunctionName="echo", Name="prod")["FunctionVersion"] == "1"
        assert c.get_function_concurrency(FunctionName="echo")["ReservedConcurrentExecutions"] == 7
        res = c.invoke(FunctionName="echo", Qualifier="prod", Payload=b'"back"')
        assert res["Payload"].read() == b'"back"' and res["ExecutedVersion"] == "1"
    finally:
        s.stop()


def test_accepted_events_survive_a_crash(tmp_path):
    """Events accepted (202) and then the server SIGKILLed before it could run them:
    after a restart every one of them runs."""
    s = Server(tmp_path / "data").start()
    c = lambda_client(s.url)
    create(c, "echo", "echo")
    c.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)  # hold them back
    for i in range(6):
        assert c.invoke(FunctionName="echo", InvocationType="Event", Payload=b'{"n": %d}' % i)["StatusCode"] == 202
    s.kill()
    s.start()
    try:
        c = lambda_client(s.url)
        assert s.metric('wasmhost_invocations_total{function="echo"}') == 0
        c.delete_function_concurrency(FunctionName="echo")
        assert wait_for(lambda: s.metric('wasmhost_invocations_total{function="echo"}') == 6)
        assert wait_for(lambda: s.metric("wasmhost_async_pending_events") == 0)
    finally:
        s.stop()


def test_async_payload_limit(client):
    from botocore.exceptions import ClientError
    import pytest
    create(client, "echo", "echo")
    with pytest.raises(ClientError) as e:
        client.invoke(FunctionName="echo", InvocationType="Event", Payload=b'"' + b"x" * (1024 * 1024) + b'"')
    assert e.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert e.value.response["Error"]["Message"] == ("1048578 byte payload is too large for the Event invocation type "
                                                    "(limit 1048576 bytes)")  # Lambda's limit since October 2025
    assert client.invoke(FunctionName="echo", InvocationType="Event", Payload=b'"small"')["StatusCode"] == 202
    big = b'"' + b"x" * (512 * 1024) + b'"'  # over the 256 KiB of before
    assert client.invoke(FunctionName="echo", InvocationType="Event", Payload=big)["StatusCode"] == 202


def test_concurrency_settings_of_versions_survive_a_restart(tmp_path):
    s = Server(tmp_path / "data").start()
    c = lambda_client(s.url)
    create(c, "echo", "echo")
    c.publish_version(FunctionName="echo")
    c.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=5)
    c.put_provisioned_concurrency_config(FunctionName="echo", Qualifier="1", ProvisionedConcurrentExecutions=2)
    s.stop()
    s.start()
    try:
        assert s.metric('wasmhost_warm_instances{function="echo:1"}') == 2
        c = lambda_client(s.url)
        c.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
        import pytest
        with pytest.raises(c.exceptions.TooManyRequestsException):
            c.invoke(FunctionName="echo", Qualifier="1", Payload=b"{}")
    finally:
        s.stop()


def test_a_restart_loads_code_on_first_use_not_before_it_listens(tmp_path):
    """Restoring runs no function's imports (a restart of 40 functions importing
    ``requests`` listened after 4 s, now 0.7 s: bench_startup.py --python); the first
    invocation after it loads the code, as a cold start (Lambda's ``Init Duration``)."""
    s = Server(tmp_path / "data").start()
    c = lambda_client(s.url)
    importing = zip_files({"app.py": "import json\nSTAMP = []\ndef handler(event, context):\n"
                                     "    STAMP.append(1)\n    return {'calls': len(STAMP), 'event': event}\n"})
    c.create_function(FunctionName="py", Runtime="python3.12", Role="r", Handler="app.handler",
                      Code={"ZipFile": importing})
    assert s.metric('wasmhost_warm_instances{function="py"}') == 1  # a deploy loads and checks the code
    s.stop()
    s.start()
    try:
        c = lambda_client(s.url)
        assert s.metric('wasmhost_warm_instances{function="py"}') == 0
        res = c.invoke(FunctionName="py", Payload=b'{"a": 1}', LogType="Tail")
        assert json.loads(res["Payload"].read()) == {"calls": 1, "event": {"a": 1}}
        assert "Init Duration: " in base64.b64decode(res["LogResult"]).decode()
        res = c.invoke(FunctionName="py", Payload=b"{}", LogType="Tail")
        assert json.loads(res["Payload"].read())["calls"] == 2  # warm from then on
        assert "Init Duration" not in base64.b64decode(res["LogResult"]).decode()
    finally:
        s.stop()
