"""The plain endpoints (/invoke, HTTP triggers, /metrics, /healthz, /wasmhost),
the aws CLI, and the wasmhost CLI against a live server."""

import base64
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import msgpack
import pytest

from live import create, zipped

AWS = [sys.executable, "-m", "awscli"]


def http(url, data=None, method=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_invoke_endpoint_bytes_json_msgpack_and_report_headers(client, server):
    create(client, "echo", "echo")
    status, h, body = http(server.url + "/invoke/echo", b"\x00\x01raw")
    assert status == 200 and body == b"\x00\x01raw"
    assert h["X-Wasmhost-Status"] == "ok" and h["X-Wasmhost-Cold"] == "true" and int(h["X-Wasmhost-Billed-Ms"]) >= 1
    assert len(h["X-Wasmhost-Request-Id"]) == 36 and int(h["X-Wasmhost-Fuel-Used"]) > 0
    packed = msgpack.packb({"a": [1, 2]})
    status, h, body = http(server.url + "/invoke/echo", packed, headers={"Content-Type": "application/msgpack"})
    assert msgpack.unpackb(body) == {"a": [1, 2]} and h["Content-Type"] == "application/msgpack"
    assert h["X-Wasmhost-Cold"] == "false"
    status, _, body = http(server.url + "/invoke/nope", b"{}")
    assert status == 404 and json.loads(body)["message"].startswith("Function not found")


def test_invoke_endpoint_failures(client, server):
    create(client, "trap", "trap")
    status, h, body = http(server.url + "/invoke/trap", b"{}")
    assert status == 500 and json.loads(body)["errorType"] == "Runtime.Trap"
    assert h["X-Wasmhost-Status"] == "trap"


def test_http_trigger_event_and_response_mapping(client, server):
    create(client, "echo", "echo")
    status, h, body = http(server.url + "/http/echo/items/42?a=1&a=2&b=x", b'{"k":1}', method="POST",
                           headers={"Content-Type": "application/json", "Cookie": "c1=v1; c2=v2"})
    assert status == 200 and h["Content-Type"].startswith("application/json")
    event = json.loads(body)
    assert event["version"] == "2.0" and event["rawPath"] == "/items/42"
    assert event["rawQueryString"] == "a=1&a=2&b=x"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x"}
    assert event["cookies"] == ["c1=v1", "c2=v2"] and "cookie" not in event["headers"]
    assert event["body"] == '{"k":1}' and event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["method"] == "POST"
    _, _, body = http(server.url + "/http/echo/bin", b"\xff\x00", method="PUT",
                      headers={"Content-Type": "application/octet-stream"})
    ev = json.loads(body)
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == b"\xff\x00"

    create(client, "web", "http_response")
    status, h, body = http(server.url + "/http/web/anything")
    assert status == 201 and body == b"hi there" and h["x-a"] == "b"
    assert h.get_all("Set-Cookie") == ["c=1", "d=2"]

    create(client, "trap", "trap")
    status, _, body = http(server.url + "/http/trap/x")
    assert status == 502 and json.loads(body) == {"message": "Internal Server Error"}


def test_metrics_and_health(client, server):
    create(client, "echo", "echo")
    for _ in range(3):
        client.invoke(FunctionName="echo", Payload=b"{}")
    status, h, body = http(server.url + "/metrics")
    text = body.decode()
    assert status == 200 and h["Content-Type"].startswith("text/plain")
    assert 'wasmhost_invocations_total{function="echo"} 3' in text
    assert 'wasmhost_cold_starts_total{function="echo"} 1' in text
    assert 'wasmhost_duration_milliseconds_count{function="echo"} 3' in text
    assert "# TYPE wasmhost_duration_milliseconds histogram" in text
    assert 'wasmhost_warm_instances{function="echo"} 1' in text
    runs = {on: int(re.search(rf'wasmhost_runs_total{{function="echo",on="{on}"}} (\d+)', text)[1])
            for on in ("inline", "thread")}
    assert runs["inline"] + runs["thread"] == 3 and runs["thread"] >= 1  # the cold start ran on a thread
    assert re.search(r'wasmhost_inline_overruns_total{function="echo"} \d+', text)
    status, _, body = http(server.url + "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"


def test_aws_cli(server, tmp_path):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1",
               AWS_MAX_ATTEMPTS="1")
    (tmp_path / "fn.zip").write_bytes(zipped("echo", "echo.wasm"))
    (tmp_path / "event.json").write_text('{"hello": "cli"}')
    ep = ["--endpoint-url", server.url]

    def aws(*args):
        proc = subprocess.run(AWS + ["lambda", *args, *ep], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    out = json.loads(aws("create-function", "--function-name", "echo", "--runtime", "wasm32", "--handler",
                         "echo.wasm", "--role", "arn:aws:iam::000000000000:role/any",
                         "--zip-file", "fileb://fn.zip"))
    assert out["FunctionName"] == "echo" and out["State"] == "Active"
    aws("wait", "function-active-v2", "--function-name", "echo")
    out = json.loads(aws("invoke", "--function-name", "echo", "--payload", "fileb://event.json",
                         "--log-type", "Tail", "out.json"))
    assert out["StatusCode"] == 200 and "FunctionError" not in out
    assert json.loads((tmp_path / "out.json").read_text()) == {"hello": "cli"}
    assert "REPORT RequestId" in base64.b64decode(out["LogResult"]).decode()
    names = json.loads(aws("list-functions"))["Functions"]
    assert [f["FunctionName"] for f in names] == ["echo"]
    aws("delete-function", "--function-name", "echo")
    proc = subprocess.run(AWS + ["lambda", "get-function", "--function-name", "echo", *ep],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0 and "ResourceNotFoundException" in proc.stderr


def test_wasmhost_cli_against_the_server(server, tmp_path):
    from guestlib import guest

    def cli(*args, ok=True):
        proc = subprocess.run([sys.executable, "-m", "wasmhost.cli", "--endpoint", server.url, *args],
                              capture_output=True, text=True, timeout=120)
        assert (proc.returncode == 0) == ok, proc.stderr
        return proc

    assert "deploying echo" in cli("deploy", "echo", str(guest("echo")), "--memory-mb", "256").stderr
    assert "echo" in cli("ls").stdout and "256MB" in cli("ls").stdout
    proc = cli("invoke", "echo", "hi there")
    assert proc.stdout == "hi there\n" and "Billed-Ms" in proc.stderr
    cli("deploy", "echo", str(guest("host_imports")))  # an update
    cli("invoke", "echo", "log")
    logs = cli("logs", "echo").stdout
    assert "first line\nsecond line\n" in logs and "REPORT RequestId:" in logs
    cli("rm", "echo")
    assert "not found" in cli("rm", "echo", ok=False).stderr.lower()
    # Python sources deploy directly (zipped, runtime python3.12)
    examples = guest("echo").parent.parent.parent / "examples"
    cli("deploy", "hello_py", str(examples / "python" / "hello.py"))
    assert cli("invoke", "hello_py", '{"name": "cli"}').stdout == '"Hello, cli!"\n'
    bad = subprocess.run([sys.executable, "-m", "wasmhost.cli", "--endpoint", "http://127.0.0.1:9", "ls"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "is `wasmhost serve` running?" in bad.stderr


def test_dead_letters_can_be_listed_and_replayed(client, server):
    create(client, "flaky", "trap")
    client.put_function_event_invoke_config(FunctionName="flaky", MaximumRetryAttempts=0)
    client.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"id": 9}')
    from test_async_and_restart import wait_for

    def dead():
        return json.loads(http(server.url + "/wasmhost/dead-letters")[2])["deadLetters"]
    assert wait_for(lambda: len(dead()) == 1)
    (dl,) = dead()
    assert base64.b64decode(dl["payload"]) == b'{"id": 9}'
    client.update_function_code(FunctionName="flaky", ZipFile=zipped("echo", "trap.wasm"))  # fixed
    status, _, _ = http(server.url + f"/wasmhost/dead-letters/{dl['id']}/replay", b"", method="POST")
    assert status == 202
    assert wait_for(lambda: server.metric('wasmhost_invocations_total{function="flaky"}') == 2)
    assert dead() == []
    assert http(server.url + "/wasmhost/dead-letters/999/replay", b"", method="POST")[0] == 404


@pytest.mark.parametrize("path", ["/2015-03-31/functions/x/unknown", "/wasmhost/nothing/here"])  # (other paths: S3's)
def test_unknown_routes_are_json_errors(server, path):
    status, h, body = http(server.url + path)
    assert status in (404, 405) and h["x-amzn-ErrorType"] and "message" in json.loads(body)


def test_busy_port_is_a_clear_error(server, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "wasmhost.cli", "--data-dir", str(tmp_path / "other"), "serve",
                           "--port", str(server.port)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and f"cannot listen on 127.0.0.1:{server.port}" in proc.stderr
    assert "Traceback" not in proc.stderr
