"""The Lambda REST API with unmodified boto3 against a live server."""

import base64
import json

import pytest
from botocore.exceptions import ClientError

from live import create, lambda_client, zipped


def test_lifecycle_create_invoke_update_publish_alias_delete(client):
    cfg = create(client, "echo", "echo", MemorySize=256, Timeout=5, Environment={"Variables": {"AB": "1"}})
    assert cfg["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:echo"
    assert cfg["State"] == "Active" and cfg["MemorySize"] == 256 and cfg["Version"] == "$LATEST"
    client.get_waiter("function_active_v2").wait(FunctionName="echo")

    res = client.invoke(FunctionName="echo", Payload=b'{"n": 1}')
    assert res["StatusCode"] == 200 and "FunctionError" not in res
    assert json.loads(res["Payload"].read()) == {"n": 1}
    assert res["ExecutedVersion"] == "$LATEST"

    got = client.get_function(FunctionName="echo")
    assert got["Configuration"]["Environment"] == {"Variables": {"AB": "1"}}
    assert client.get_function_configuration(FunctionName="echo")["Timeout"] == 5

    v1 = client.publish_version(FunctionName="echo")
    assert v1["Version"] == "1" and v1["FunctionArn"].endswith(":echo:1")
    assert client.publish_version(FunctionName="echo")["Version"] == "1"  # unchanged: the same version

    updated = client.update_function_code(FunctionName="echo", ZipFile=zipped("counter", "echo.wasm"))
    assert updated["CodeSha256"] != v1["CodeSha256"] and updated["RevisionId"] != v1["RevisionId"]
    assert client.invoke(FunctionName="echo", Payload=b"{}")["Payload"].read() == (1).to_bytes(4, "little")
    # version 1 still runs the old code
    res = client.invoke(FunctionName="echo", Qualifier="1", Payload=b'"old"')
    assert res["Payload"].read() == b'"old"' and res["ExecutedVersion"] == "1"
    v2 = client.publish_version(FunctionName="echo", Description="counter")
    assert v2["Version"] == "2"

    alias = client.create_alias(FunctionName="echo", Name="live", FunctionVersion="1",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    assert alias["AliasArn"].endswith(":echo:live")
    seen = {client.invoke(FunctionName="echo", Qualifier="live", Payload=b'"x"')["ExecutedVersion"]
            for _ in range(60)}
    assert seen == {"1", "2"}  # weighted routing reaches both
    client.update_alias(FunctionName="echo", Name="live", FunctionVersion="2", RoutingConfig={})
    assert client.invoke(FunctionName="echo:live", Payload=b"{}")["ExecutedVersion"] == "2"
    assert [a["Name"] for a in client.list_aliases(FunctionName="echo")["Aliases"]] == ["live"]
    versions = client.list_versions_by_function(FunctionName="echo")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]

    client.update_function_configuration(FunctionName="echo", Timeout=9)
    assert client.get_function_configuration(FunctionName="echo")["Timeout"] == 9

    client.delete_alias(FunctionName="echo", Name="live")
    client.delete_function(FunctionName="echo", Qualifier="1")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="echo", Qualifier="1", Payload=b"{}")
    client.delete_function(FunctionName="echo")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName="echo")


def test_list_functions_paginates(client):
    for i in range(5):
        create(client, f"f{i}", "echo")
    pages = list(client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["Functions"]) for p in pages] == [2, 2, 1]
    assert sorted(f["FunctionName"] for p in pages for f in p["Functions"]) == [f"f{i}" for i in range(5)]


def test_function_errors_are_200_with_function_error(client):
    create(client, "trap", "trap")
    res = client.invoke(FunctionName="trap", Payload=b"{}", LogType="Tail")
    assert res["StatusCode"] == 200 and res["FunctionError"] == "Unhandled"
    err = json.loads(res["Payload"].read())
    assert err["errorType"] == "Runtime.Trap" and "unreachable" in err["errorMessage"]
    tail = base64.b64decode(res["LogResult"]).decode()
    assert tail.startswith("START RequestId: ") and "REPORT RequestId: " in tail and "Status: trap" in tail


def test_guest_error_and_logs(client):
    create(client, "h", "host_imports")
    res = client.invoke(FunctionName="h", Payload=b'"log"', LogType="Tail")
    assert res["Payload"].read() == b"ok"
    tail = base64.b64decode(res["LogResult"]).decode()
    assert "first line\nsecond line\n" in tail
    res = client.invoke(FunctionName="h", Payload=b'"fail"')
    assert res["FunctionError"] == "Unhandled"
    err = json.loads(res["Payload"].read())
    assert err["errorType"] == "ValidationError" and err["errorMessage"].endswith("event was rejected")


def test_invoke_with_response_stream(client):
    """boto3 reads the event stream: the answer as a PayloadChunk, then InvokeComplete
    (the error there for a failed run, LogResult for Tail); DryRun is a 204."""
    create(client, "echo_stream", "echo")
    res = client.invoke_with_response_stream(FunctionName="echo_stream", Payload=b'{"n": 1}', LogType="Tail")
    assert (res["StatusCode"], res["ExecutedVersion"]) == (200, "$LATEST")
    events = list(res["EventStream"])
    assert events[0] == {"PayloadChunk": {"Payload": b'{"n": 1}'}} and list(events[1]) == ["InvokeComplete"]
    assert base64.b64decode(events[1]["InvokeComplete"]["LogResult"]).decode().startswith("START RequestId: ")
    create(client, "trap_stream", "trap")
    events = list(client.invoke_with_response_stream(FunctionName="trap_stream", Payload=b"{}")["EventStream"])
    assert len(events) == 1 and events[0]["InvokeComplete"]["ErrorCode"] == "Runtime.Trap"
    assert "unreachable" in events[0]["InvokeComplete"]["ErrorDetails"]
    assert client.invoke_with_response_stream(FunctionName="echo_stream", InvocationType="DryRun",
                                              Payload=b"{}")["StatusCode"] == 204
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke_with_response_stream(FunctionName="nope", Payload=b"{}")


def test_error_paths(client):
    create(client, "echo", "echo")
    with pytest.raises(client.exceptions.ResourceConflictException):
        create(client, "echo", "echo")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="missing", Payload=b"{}")
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="unzip"):
        client.create_function(FunctionName="badzip", Runtime="wasm32", Role="r", Handler="x.wasm",
                               Code={"ZipFile": b"PK\x03\x04 not really"})
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="runtime"):
        client.create_function(FunctionName="java", Runtime="java21", Role="r", Handler="x.wasm",
                               Code={"ZipFile": zipped("echo", "x.wasm")})
    with pytest.raises(ClientError) as e:
        client.create_function(FunctionName="slow", Runtime="wasm32", Role="r", Handler="x.wasm", Timeout=1000,
                               Code={"ZipFile": zipped("echo", "x.wasm")})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="neither a wasmhost core module"):
        client.create_function(FunctionName="notabi", Runtime="wasm32", Role="r", Handler="m.wasm",
                               Code={"ZipFile": b"\0asm\x01\0\0\0"})
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="reserved keys"):
        create(client, "envbad", "echo", Environment={"Variables": {"AWS_REGION": "x"}})
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="AWS_LAMBDA_RUNTIME_API"):
        create(client, "envbad", "echo", Environment={"Variables": {"AWS_LAMBDA_RUNTIME_API": "evil:1"}})
    with pytest.raises(client.exceptions.InvalidRequestContentException):
        client.invoke(FunctionName="echo", Payload=b"{not json")
    with pytest.raises(ClientError) as e:
        client.invoke(FunctionName="echo", Payload=b'"' + b"x" * (6 * 1024 * 1024) + b'"')
    assert e.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    with pytest.raises(client.exceptions.PreconditionFailedException):
        client.update_function_configuration(FunctionName="echo", Timeout=4, RevisionId="stale")
    assert client.invoke(FunctionName="echo", InvocationType="DryRun")["StatusCode"] == 204
    # a failed create leaves nothing behind
    assert {f["FunctionName"] for f in client.list_functions()["Functions"]} == {"echo"}


def test_throttling(client):
    create(client, "echo", "echo")
    client.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
    assert client.get_function(FunctionName="echo")["Concurrency"] == {"ReservedConcurrentExecutions": 0}
    with pytest.raises(client.exceptions.TooManyRequestsException) as e:
        client.invoke(FunctionName="echo", Payload=b"{}")
    assert e.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    client.delete_function_concurrency(FunctionName="echo")
    assert client.invoke(FunctionName="echo", Payload=b"{}")["StatusCode"] == 200


def test_provisioned_concurrency_keeps_instances_warm(client, server):
    create(client, "echo", "echo")
    client.publish_version(FunctionName="echo")
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.put_provisioned_concurrency_config(FunctionName="echo", Qualifier="$LATEST",
                                                  ProvisionedConcurrentExecutions=2)
    out = client.put_provisioned_concurrency_config(FunctionName="echo", Qualifier="1",
                                                    ProvisionedConcurrentExecutions=3)
    assert out["Status"] == "READY" and out["AllocatedProvisionedConcurrentExecutions"] == 3
    assert server.metric('wasmhost_warm_instances{function="echo:1"}') == 3
    res = client.invoke(FunctionName="echo", Qualifier="1", Payload=b"{}")
    assert res["StatusCode"] == 200


def test_bound_beyond_loopback_every_request_must_authenticate(tmp_path):
    """Bound to 0.0.0.0 (requests still sent only to 127.0.0.1): unsigned or wrongly
    signed requests are refused; boto3 and a Bearer key with configured keys work."""
    from live import Server
    import urllib.error
    import urllib.request
    s = Server(tmp_path / "d", "--access-key", "AKIDTEST:s3cret", "--api-key", "tok", bind="0.0.0.0").start()
    try:
        good = lambda_client(s.url, "AKIDTEST", "s3cret")
        create(good, "echo", "echo")
        assert good.invoke(FunctionName="echo", Payload=b'{"a": 1}')["Payload"].read() == b'{"a": 1}'
        assert good.list_functions(MaxItems=1)["Functions"]
        bad = lambda_client(s.url, "AKIDTEST", "wrong")
        with pytest.raises(ClientError) as e:
            bad.list_functions()
        assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
        req = urllib.request.Request(s.url + "/invoke/echo", data=b"x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as he:
            urllib.request.urlopen(req)
        assert he.value.code == 403
        req.add_header("Authorization", "Bearer tok")
        assert urllib.request.urlopen(req).read() == b"x"
        wrong = urllib.request.Request(s.url + "/invoke/echo", data=b"x", method="POST",
                                       headers={"Authorization": "Bearer nope"})
        with pytest.raises(urllib.error.HTTPError) as he:
            urllib.request.urlopen(wrong)
        assert he.value.code == 403
        # healthz stays open for load balancers
        assert urllib.request.urlopen(s.url + "/healthz").status == 200
    finally:
        s.stop()


def test_refuses_to_serve_beyond_loopback_without_credentials(tmp_path):
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "wasmhost.cli", "--data-dir", str(tmp_path), "serve",
                           "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "without credentials" in proc.stderr


@pytest.mark.parametrize("runtime", ["nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x"])
def test_every_current_nodejs_runtime_deploys_and_runs_as_itself(client, runtime):
    """SAM's own templates deploy nodejs24.x (botocore's enum has it): each Node.js
    runtime Lambda offers is accepted and tells the handler which it is."""
    from live import zip_files
    name = "rt-" + runtime.replace(".", "-")
    client.create_function(FunctionName=name, Runtime=runtime, Role="arn:aws:iam::000000000000:role/r",
                           Handler="index.handler", Code={"ZipFile": zip_files({"index.mjs": (
                               "export const handler = async () => process.env.AWS_EXECUTION_ENV;\n")})})
    out = client.invoke(FunctionName=name, Payload=b"{}")
    assert json.loads(out["Payload"].read()) == f"AWS_Lambda_{runtime}"
    client.delete_function(FunctionName=name)
