"""The operations tools call beyond the function lifecycle (tags, policies,
event invoke configs, provisioned concurrency, account settings, function URLs,
layers), the errors for bad input, and a short model-driven fuzz: boto3 and raw
HTTP against one live server for the whole module."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

import lambda_fuzz
from live import Server, create, lambda_client, zip_files

KEY, SECRET = "AKIDTEST", "s3cret"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("ops") / "data", "--access-key", f"{KEY}:{SECRET}").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(server):
    return lambda_client(server.url, KEY, SECRET)


def raw(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(server.url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def code(e: pytest.ExceptionInfo) -> tuple[str, int]:
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_tags(client):
    create(client, "tagged", "echo", Tags={"team": "a"})
    client.tag_resource(Resource=ARN + "tagged", Tags={"env": "dev", "team": "b"})
    assert client.list_tags(Resource=ARN + "tagged")["Tags"] == {"team": "b", "env": "dev"}
    client.untag_resource(Resource=ARN + "tagged", TagKeys=["team"])
    assert client.get_function(FunctionName="tagged")["Tags"] == {"env": "dev"}
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.tag_resource(Resource=ARN + "nobody", Tags={"a": "b"})


def test_permissions_and_policy(client):
    create(client, "guarded", "echo")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_policy(FunctionName="guarded")
    out = client.add_permission(FunctionName="guarded", StatementId="s3", Action="lambda:InvokeFunction",
                                Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::bucket")
    assert json.loads(out["Statement"])["Principal"] == {"Service": "s3.amazonaws.com"}
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.add_permission(FunctionName="guarded", StatementId="s3", Action="lambda:InvokeFunction",
                              Principal="*")
    policy = json.loads(client.get_policy(FunctionName="guarded")["Policy"])
    assert [st["Sid"] for st in policy["Statement"]] == ["s3"]
    assert policy["Statement"][0]["Condition"]["ArnLike"]["AWS:SourceArn"] == "arn:aws:s3:::bucket"
    client.remove_permission(FunctionName="guarded", StatementId="s3")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.remove_permission(FunctionName="guarded", StatementId="s3")


def test_event_invoke_configs(client):
    create(client, "asyncfn", "echo")
    client.publish_version(FunctionName="asyncfn")
    client.put_function_event_invoke_config(FunctionName="asyncfn", MaximumRetryAttempts=1)
    out = client.update_function_event_invoke_config(FunctionName="asyncfn", MaximumEventAgeInSeconds=120)
    assert out["MaximumRetryAttempts"] == 1 and out["MaximumEventAgeInSeconds"] == 120
    client.put_function_event_invoke_config(FunctionName="asyncfn", Qualifier="1", MaximumRetryAttempts=0)
    listed = client.list_function_event_invoke_configs(FunctionName="asyncfn")["FunctionEventInvokeConfigs"]
    assert sorted(c["FunctionArn"] for c in listed) == [ARN + "asyncfn", ARN + "asyncfn:1"]
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="destination"):
        client.put_function_event_invoke_config(
            FunctionName="asyncfn", DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:q"}})
    with pytest.raises(ClientError) as e:
        client.put_function_event_invoke_config(FunctionName="asyncfn", MaximumRetryAttempts=3)
    assert code(e) == ("ValidationException", 400)
    client.delete_function_event_invoke_config(FunctionName="asyncfn", Qualifier="1")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_event_invoke_config(FunctionName="asyncfn", Qualifier="1")


def test_provisioned_concurrency_and_account_settings(client):
    create(client, "warm", "echo")
    client.publish_version(FunctionName="warm")
    client.put_provisioned_concurrency_config(FunctionName="warm", Qualifier="1", ProvisionedConcurrentExecutions=2)
    got = client.get_provisioned_concurrency_config(FunctionName="warm", Qualifier="1")
    assert got["Status"] == "READY" and got["AllocatedProvisionedConcurrentExecutions"] == 2
    listed = client.list_provisioned_concurrency_configs(FunctionName="warm")["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"] for c in listed] == [ARN + "warm:1"]
    client.delete_provisioned_concurrency_config(FunctionName="warm", Qualifier="1")
    with pytest.raises(client.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        client.get_provisioned_concurrency_config(FunctionName="warm", Qualifier="1")
    client.put_function_concurrency(FunctionName="warm", ReservedConcurrentExecutions=10)
    settings = client.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] <= 990
    assert settings["AccountUsage"]["FunctionCount"] >= 1


def test_function_url_none_runs_the_function_with_payload_2(client, server):
    create(client, "web", "echo")
    cfg = client.create_function_url_config(FunctionName="web", AuthType="NONE",
                                            Cors={"AllowOrigins": ["https://a.example"], "AllowMethods": ["GET"]})
    url = cfg["FunctionUrl"]
    assert url.startswith(server.url + "/lambda-url/") and cfg["AuthType"] == "NONE"
    assert client.get_function_url_config(FunctionName="web")["FunctionUrl"] == url
    assert [c["FunctionUrl"] for c in client.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"]] == [url]
    with urllib.request.urlopen(url + "items/7?a=1&a=2", timeout=30) as r:
        event = json.loads(r.read())  # the echo guest answers with the event itself
    assert event["version"] == "2.0" and event["rawPath"] == "/items/7" and event["rawQueryString"] == "a=1&a=2"
    assert event["queryStringParameters"] == {"a": "1,2"} and event["requestContext"]["http"]["method"] == "GET"
    status, headers, _ = raw(server, "OPTIONS", url[len(server.url):], headers={
        "Origin": "https://a.example", "Access-Control-Request-Method": "GET"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://a.example"
    client.update_function_url_config(FunctionName="web", AuthType="AWS_IAM")
    assert raw(server, "GET", url[len(server.url):])[0] == 403  # unsigned
    client.delete_function_url_config(FunctionName="web")
    assert raw(server, "GET", url[len(server.url):])[0] == 403  # gone


def test_function_url_aws_iam_takes_a_sigv4_signature(client, server):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    create(client, "private", "echo")
    url = client.create_function_url_config(FunctionName="private", AuthType="AWS_IAM")["FunctionUrl"]

    def signed(secret: str) -> int:
        req = AWSRequest(method="POST", url=url + "x", data=b'{"k": 1}', headers={"Content-Type": "application/json"})
        SigV4Auth(Credentials(KEY, secret), "lambda", "us-east-1").add_auth(req)
        status, _, body = raw(server, "POST", url[len(server.url):] + "x", b'{"k": 1}', dict(req.headers.items()))
        if status == 200:
            event = json.loads(body)
            assert event["body"] == '{"k": 1}' and event["requestContext"]["authorizer"]["iam"]["accessKey"] == KEY
        return status
    assert signed(SECRET) == 200
    assert signed("wrong") == 403


def test_layers(client, server):
    v1 = client.publish_layer_version(LayerName="shared", Content={"ZipFile": zip_files({"python/shared.py": "X = 1\n"})},
                                      CompatibleRuntimes=["python3.12"])
    v2 = client.publish_layer_version(LayerName="shared", Content={"ZipFile": zip_files({"python/shared.py": "X = 2\n"})})
    assert (v1["Version"], v2["Version"]) == (1, 2) and v2["LayerVersionArn"].endswith(":layer:shared:2")
    assert client.get_layer_version(LayerName="shared", VersionNumber=1)["CompatibleRuntimes"] == ["python3.12"]
    assert client.get_layer_version_by_arn(Arn=v2["LayerVersionArn"])["Version"] == 2
    versions = client.list_layer_versions(LayerName="shared")["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    (layer,) = client.list_layers()["Layers"]
    assert layer["LayerName"] == "shared" and layer["LatestMatchingVersion"]["Version"] == 2
    assert [x["LayerName"] for x in client.list_layers(CompatibleRuntime="python3.12")["Layers"]] == ["shared"]
    create(client, "layered", "echo", Layers=[v1["LayerVersionArn"]])
    cfg = client.get_function_configuration(FunctionName="layered")
    assert [x["Arn"] for x in cfg["Layers"]] == [v1["LayerVersionArn"]]
    assert (server.data_dir / "layers/shared/1/python/shared.py").read_text() == "X = 1\n"
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="does not exist"):
        client.update_function_configuration(FunctionName="layered", Layers=[v1["LayerVersionArn"][:-1] + "9"])
    client.delete_layer_version(LayerName="shared", VersionNumber=2)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_layer_version(LayerName="shared", VersionNumber=2)
    v3 = client.publish_layer_version(LayerName="shared", Content={"ZipFile": zip_files({"a.txt": "a"})})
    assert v3["Version"] == 3  # numbers are never reused



def test_code_locations_give_back_the_uploaded_zip_with_no_credentials(client, server):
    """GetFunction's Code.Location and GetLayerVersion's Content.Location: a link to
    the zip as uploaded (``curl -o code.zip "$(aws lambda get-function ...)"``), valid
    while that code is the function's or the version's, needing no credentials (this
    server requires a signature on everything else)."""
    import base64
    import hashlib

    from live import zipped

    def fetch(url: str) -> tuple[int, bytes]:
        assert url.startswith(server.url + "/lambda-code/"), url
        status, _, body = raw(server, "GET", url[len(server.url):])
        return status, body

    first = zipped("echo")
    create(client, "located", "echo")
    got = client.get_function(FunctionName="located")
    assert got["Code"]["RepositoryType"] == "S3"
    status, body = fetch(got["Code"]["Location"])
    assert status == 200 and body == first
    assert base64.b64encode(hashlib.sha256(body).digest()).decode() == got["Configuration"]["CodeSha256"]
    v1 = client.publish_version(FunctionName="located")["Version"]
    second = zip_files({"echo.wasm": "not really wasm"})
    with pytest.raises(ClientError):
        client.update_function_code(FunctionName="located", ZipFile=second)  # refused at deploy: nothing changes
    assert fetch(client.get_function(FunctionName="located")["Code"]["Location"]) == (200, first)
    client.update_function_code(FunctionName="located", ZipFile=zipped("counter", "echo.wasm"))
    now = client.get_function(FunctionName="located")["Code"]["Location"]
    assert fetch(now) == (200, zipped("counter", "echo.wasm"))
    assert fetch(got["Code"]["Location"]) == (200, first)  # the same zip is still version 1's
    assert fetch(client.get_function(FunctionName="located", Qualifier=v1)["Code"]["Location"]) == (200, first)
    client.delete_function(FunctionName="located", Qualifier=v1)
    assert fetch(got["Code"]["Location"])[0] == 403  # that code is no function's any more
    assert fetch(now[:-3] + "abc")[0] == 403 and fetch(now.replace("/located/", "/nobody/"))[0] == 403

    layer = client.publish_layer_version(LayerName="zipped", Content={"ZipFile": zip_files({"python/z.py": "Z = 1"})})
    assert fetch(layer["Content"]["Location"]) == (200, zip_files({"python/z.py": "Z = 1"}))
    assert client.get_layer_version(LayerName="zipped", VersionNumber=1)["Content"] == layer["Content"]
    client.delete_layer_version(LayerName="zipped", VersionNumber=1)
    assert fetch(layer["Content"]["Location"])[0] == 403


def test_settings_are_honoured_or_refused(client):
    cfg = create(client, "arm", "echo", Architectures=["arm64"], TracingConfig={"Mode": "PassThrough"})
    assert cfg["Architectures"] == ["arm64"]  # a Wasm module runs on either
    for bad in ({"VpcConfig": {"SubnetIds": ["subnet-1"]}}, {"TracingConfig": {"Mode": "Active"}},
                {"DeadLetterConfig": {"TargetArn": "arn:aws:sqs:us-east-1:000000000000:q"}},
                {"KMSKeyArn": "arn:aws:kms:us-east-1:000000000000:key/k"},
                {"LoggingConfig": {"LogFormat": "Text", "LogGroup": "mine"}}):
        with pytest.raises(client.exceptions.InvalidParameterValueException, match="not supported"):
            client.update_function_configuration(FunctionName="arm", **bad)
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="Cannot change the runtime"):
        client.update_function_configuration(FunctionName="arm", Runtime="python3.12")


def test_settings_tools_read(client):
    create(client, "plain", "echo")
    assert client.get_function_code_signing_config(FunctionName="plain")["CodeSigningConfigArn"] == ""
    assert client.get_function_recursion_config(FunctionName="plain")["RecursiveLoop"] == "Allow"
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="recursive"):
        client.put_function_recursion_config(FunctionName="plain", RecursiveLoop="Terminate")
    assert client.get_runtime_management_config(FunctionName="plain")["UpdateRuntimeOn"] == "Auto"


def test_unimplemented_operations_name_themselves(client):
    with pytest.raises(ClientError) as e:
        client.get_code_signing_config(
            CodeSigningConfigArn="arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-0123456789abcdefg")
    assert code(e) == ("UnsupportedOperationException", 400) and "GetCodeSigningConfig" in str(e.value)


def test_paging_and_bad_markers(client):
    for i in range(3):
        create(client, f"page{i}", "echo")
    names = [f["FunctionName"] for p in client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 1})
             for f in p["Functions"]]
    assert {"page0", "page1", "page2"} <= set(names) and len(names) == len(set(names))
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="marker"):
        client.list_functions(Marker="garbage")


def test_throttles_carry_retry_after(client, server):
    create(client, "choked", "echo")
    client.put_function_concurrency(FunctionName="choked", ReservedConcurrentExecutions=0)
    status, headers, body = raw(server, "POST", "/2015-03-31/functions/choked/invocations", b"{}")
    assert status == 429 and headers["Retry-After"] == "1" and headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert json.loads(body)["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


@pytest.mark.parametrize("method, path, body, want", [
    ("POST", "/2015-03-31/functions", b'{"FunctionName": "x", "Role": "r", "Code": {}, "Description": Infinity}',
     "InvalidRequestContentException"),
    ("POST", "/2015-03-31/functions", b'{"FunctionName": ' + b"[" * 1000 + b"]" * 1000 + b"}",
     "InvalidRequestContentException"),
    ("POST", "/2015-03-31/functions", b'{"FunctionName": "x", "Role": "r", "Code": 5}', "SerializationException"),
    ("POST", "/2015-03-31/functions", b'{"FunctionName": "x", "Role": "r", "Code": {}, "Tags": 5}',
     "SerializationException"),
    ("PUT", "/2015-03-31/functions/target/configuration", b'{"Timeout": true}', "SerializationException"),
    ("PUT", "/2015-03-31/functions/target/configuration", b'{"Environment": "x"}', "SerializationException"),
    ("POST", "/2015-03-31/functions/target/aliases", b'{"Name": "\\ud800", "FunctionVersion": "$LATEST"}',
     "InvalidRequestContentException"),
    ("POST", "/2015-03-31/functions/target/aliases",
     b'{"Name": "a", "FunctionVersion": "$LATEST", "RoutingConfig": []}', "SerializationException"),
    ("GET", "/2015-03-31/functions/target?Qualifier=%C2%B9", None, "ValidationException"),
    ("POST", "/2015-03-31/functions/target/invocations?Qualifier=%C2%B9", b"{}", "ValidationException"),
    ("POST", "/2015-03-31/functions/target/invocations", b'{"a": NaN}', "InvalidRequestContentException"),
    ("POST", "/2015-03-31/functions/target/invocations", b"[" * 5000, "InvalidRequestContentException"),
    ("GET", "/2015-03-31/functions?MaxItems=%C2%B9", None, "SerializationException"),
    ("PUT", "/2015-03-31/functions/target/configuration", b'{"Description": "' + b"x" * 100_000 + b'"}',
     "ValidationException"),
])
def test_bad_input_is_a_400_in_aws_shape(client, server, method, path, body, want):
    try:
        client.get_function(FunctionName="target")
    except client.exceptions.ResourceNotFoundException:
        create(client, "target", "echo")
    status, headers, data = raw(server, method, path, body)
    assert (status, headers.get("x-amzn-ErrorType")) == (400, want), data[:300]
    assert json.loads(data)["message"]


def test_model_driven_fuzz_gives_no_5xx_and_invoke_still_works(client, server):
    out = lambda_fuzz.run("127.0.0.1", server.port, requests=1500, seed=7,
                          reseed=lambda: lambda_fuzz.ensure_function(client))
    assert out["sent"] == 1500 and out["failures"] == [], out["failures"][:10]
    assert sum(n for status, n in out["statuses"].items() if status < 300) > 50  # not only refusals
    boto = lambda_fuzz.run_boto3(lambda_client(server.url, validate=False), requests=600, seed=8,
                                 reseed=lambda: lambda_fuzz.ensure_function(client))
    assert boto["sent"] > 300 and boto["failures"] == [], boto["failures"][:10]
    lambda_fuzz.ensure_function(client)
    res = client.invoke(FunctionName=lambda_fuzz.FUNCTION, Payload=b'{"ok": 1}')
    assert res["Payload"].read() == b'{"ok": 1}'


def test_aws_cli_reaches_the_new_operations(server, tmp_path):
    import os
    import subprocess
    import sys
    env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1",
               AWS_MAX_ATTEMPTS="1")
    (tmp_path / "layer.zip").write_bytes(zip_files({"nodejs/node_modules/m/index.js": "module.exports = 1\n"}))

    def aws(*args):
        proc = subprocess.run([sys.executable, "-m", "awscli", "lambda", *args, "--endpoint-url", server.url],
                              capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout) if proc.stdout.strip() else None

    assert aws("get-account-settings")["AccountLimit"]["ConcurrentExecutions"] == 1000
    layer = aws("publish-layer-version", "--layer-name", "clilayer", "--zip-file", "fileb://layer.zip")
    assert layer["Version"] == 1
    assert aws("list-layer-versions", "--layer-name", "clilayer")["LayerVersions"][0]["Version"] == 1
    aws("delete-layer-version", "--layer-name", "clilayer", "--version-number", "1")
