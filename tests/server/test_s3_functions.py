"""Functions reading and writing objects with boto3 (issue 14 item 4) and the
thumbnail example of the README (item 5), on one live server: a Python handler
triggered by an upload reads its object and writes a derived one to a second
bucket, the bytes show in its reports; what the function may reach is only S3,
and only its granted buckets.

The functions pip-install boto3 (and pypng) at deploy, once per content hash, as a
user's would: these tests need the package index (CI has it)."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from live import Server, lambda_client, zip_files
from s3live import function_arn, s3_client, wait_for

ROOT = Path(__file__).resolve().parents[2]

DERIVE = '''
import os
from urllib.parse import unquote_plus

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    if "transfer" in event:  # s3transfer's managed download and upload, with its defaults
        s3.download_file("src", event["transfer"], "/tmp/object")
        s3.upload_file("/tmp/object", "dst", event["transfer"] + ".copy")
        return os.path.getsize("/tmp/object")
    done = []
    for record in event["Records"]:
        bucket, key = record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"])
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.put_object(Bucket=os.environ.get("DST", "dst"), Key=key + ".upper", Body=body.upper())
        done.append(key)
    return done
'''

PROBE = '''
import os
import urllib.request


def handler(event, context):
    try:
        urllib.request.urlopen(event["url"] + "/2015-03-31/functions/", timeout=5).read()
        main = "reached"
    except Exception as e:  # refused by the allow-list
        main = f"{type(e).__name__}: {e}"
    return {"endpoint": os.environ.get("AWS_ENDPOINT_URL_S3"), "main": main,
            "has_key": bool(os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"))}
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("s3fn") / "data").start()
    api = lambda_client(s.url)
    api.create_function(FunctionName="derive", Runtime="python3.12", Role="r", Handler="app.handler", Timeout=60,
                        MemorySize=512, Code={"ZipFile": zip_files({"app.py": DERIVE, "requirements.txt": "boto3\n"})},
                        Tags={"wasmhost:buckets": "src dst"})
    api.create_function(FunctionName="probe", Runtime="python3.12", Role="r", Handler="app.handler", Timeout=30,
                        Code={"ZipFile": zip_files({"app.py": PROBE})})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def s3(server):
    return s3_client(server.url)


def reports(url: str, function: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/wasmhost/logs?function={function}&limit=1000", timeout=10) as r:
        return json.load(r)["reports"]


def test_an_upload_runs_a_handler_that_reads_it_and_writes_a_derived_object(server, s3):
    s3.create_bucket(Bucket="src")
    s3.create_bucket(Bucket="dst")
    s3.put_bucket_notification_configuration(Bucket="src", NotificationConfiguration={"LambdaFunctionConfigurations": [
        {"LambdaFunctionArn": function_arn("derive"), "Events": ["s3:ObjectCreated:*"]}]})
    bodies = {"notes/a b.txt": b"hello world " * 10, "big.bin": bytes(range(256)) * 4096}  # 1 MiB
    for key, body in bodies.items():
        s3.put_object(Bucket="src", Key=key, Body=body)
    assert wait_for(lambda: len(s3.list_objects_v2(Bucket="dst").get("Contents", [])) == 2, timeout=120)
    for key, body in bodies.items():
        assert s3.get_object(Bucket="dst", Key=key + ".upper")["Body"].read() == body.upper()
    done = [r for r in reports(server.url, "derive") if r["status"] == "ok"]
    assert len(done) == 2
    # each invocation read its object and wrote one as long: both counted as bucket bytes, not as
    # outbound traffic, in the ledger's reports, the REPORT lines and /metrics
    sizes = sorted(len(b) for b in bodies.values())
    assert sorted(r["bucket_bytes_read"] for r in done) == sizes
    assert sorted(r["bucket_bytes_written"] for r in done) == sizes
    assert all(r["outbound_requests"] == 0 and r["outbound_bytes"] == 0 for r in done)
    assert "Bucket Bytes Read: 1048576\tBucket Bytes Written: 1048576" in "".join(r["report_line"] for r in done)
    with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as r:
        metrics = r.read().decode()
    assert f'wasmhost_bucket_bytes_read_total{{function="derive"}} {sum(sizes)}' in metrics
    assert f'wasmhost_bucket_bytes_written_total{{function="derive"}} {sum(sizes)}' in metrics


def test_managed_transfers_work_with_their_defaults(server, s3):
    """``download_file`` / ``upload_file`` of an object over the 8 MB multipart threshold:
    no threads in the sandbox, parts within the outbound body cap (wasmhost_botocore)."""
    body = os.urandom(12 * 1024 * 1024)
    s3.put_object(Bucket="src", Key="large.bin", Body=body)
    out = lambda_client(server.url).invoke(FunctionName="derive", Payload=json.dumps({"transfer": "large.bin"}).encode())
    assert "FunctionError" not in out, out["Payload"].read()
    assert json.loads(out["Payload"].read()) == len(body)
    head = s3.head_object(Bucket="dst", Key="large.bin.copy")
    assert head["ContentLength"] == len(body) and head["ETag"].strip('"').endswith("-3")  # 5 MB parts
    assert s3.get_object(Bucket="dst", Key="large.bin.copy")["Body"].read() == body


def test_a_function_opens_only_the_buckets_its_tag_names(server, s3):
    s3.create_bucket(Bucket="private")
    s3.put_object(Bucket="private", Key="secret.txt", Body=b"no")
    api = lambda_client(server.url)
    event = {"Records": [{"s3": {"bucket": {"name": "private"}, "object": {"key": "secret.txt"}}}]}
    out = api.invoke(FunctionName="derive", Payload=json.dumps(event).encode())
    err = json.loads(out["Payload"].read())
    assert out.get("FunctionError") == "Unhandled"  # botocore raises its ClientError
    assert "AccessDenied" in err["errorMessage"] and "wasmhost:buckets" in err["errorMessage"]
    # granting the bucket (a tag change redeploys) lets it through
    arn = api.get_function(FunctionName="derive")["Configuration"]["FunctionArn"]
    api.tag_resource(Resource=arn, Tags={"wasmhost:buckets": "src dst private"})
    try:
        event["Records"][0]["s3"]["bucket"]["name"] = "private"
        out = api.invoke(FunctionName="derive", Payload=json.dumps(event).encode())
        assert "FunctionError" not in out, out["Payload"].read()
        assert s3.get_object(Bucket="dst", Key="secret.txt.upper")["Body"].read() == b"NO"
    finally:
        api.tag_resource(Resource=arn, Tags={"wasmhost:buckets": "src dst"})
    with pytest.raises(ClientError, match="not a bucket name"):
        api.tag_resource(Resource=arn, Tags={"wasmhost:buckets": "src Bad_Name"})


def test_a_function_reaches_s3_and_nothing_else_of_the_server(server):
    api = lambda_client(server.url)
    out = json.loads(api.invoke(FunctionName="probe", Payload=json.dumps({"url": server.url}).encode())["Payload"]
                     .read())
    assert out["has_key"] and out["endpoint"].startswith("http://127.0.0.1:")
    assert out["endpoint"] != server.url
    assert "allowed_hosts" in out["main"], out["main"]  # the server's own address is not granted
    # the functions' endpoint answers S3 only, and only to a function's signature
    for path in ("/", "/src/notes/a%20b.txt", "/2015-03-31/functions/"):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(out["endpoint"] + path, timeout=5)
        assert e.value.code == 403 and b"<Code>AccessDenied</Code>" in e.value.read()
    someone = s3_client(out["endpoint"], key="x", secret="x")  # a key the server's users sign with
    with pytest.raises(ClientError) as ce:
        someone.get_object(Bucket="src", Key="notes/a b.txt")
    assert ce.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_readme_thumbnail_example_runs_as_written(server, tmp_path):
    readme = (ROOT / "README.md").read_text()
    block = next(b for b in re.findall(r"```sh\n(.*?)```", readme, re.S) if "examples/thumbnail" in b)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    venv_bin = Path(os.environ.get("VIRTUAL_ENV") or ROOT / ".venv") / "bin"
    env = dict(os.environ, PATH=f"{venv_bin}:{os.environ['PATH']}", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    script = "set -e\n" + block.replace("http://127.0.0.1:9000", server.url)
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    thumb = (tmp_path / "beach-thumb.png").read_bytes()
    assert _png_size((ROOT / "examples/thumbnail/beach.png").read_bytes()) == (320, 240)
    assert _png_size(thumb) == (128, 96)
    head = s3_client(server.url).head_object(Bucket="thumbs", Key="holiday/beach.png")
    assert head["ContentType"] == "image/png" and head["Metadata"] == {"source": "photos/holiday/beach.png"}


NO_SERVER = '''
import boto3

s3 = boto3.client("s3", region_name="us-east-1")  # no credentials, no endpoint: as outside AWS


def handler(event, context):
    keyed = boto3.client("s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    keyed.get_object(Bucket="b", Key="k")
'''


def test_boto3_without_a_server_deploys_and_names_the_allow_list(tmp_path):
    """An embedded Host grants no S3 endpoint: creating the client still works (the
    credential providers' probe of instance metadata is refused like an unreachable
    service), and a call says why it cannot go out."""
    from wasmhost import FunctionConfig, Host
    from wasmhost.errors import FunctionError
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text(NO_SERVER)
    (tmp_path / "fn" / "requirements.txt").write_text("boto3\n")
    with Host(tmp_path / "data") as host:
        host.deploy("alone", tmp_path / "fn", FunctionConfig(handler="app.handler", timeout_ms=60000))
        with pytest.raises(FunctionError) as e:
            host.invoke("alone", {})
    assert e.value.error_type == "Unreachable" and "allowed_hosts" in e.value.error_message
