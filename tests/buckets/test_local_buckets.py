"""The edge trigger with no server: an embedded Host runs a function for every
complete file another process writes into a watched directory."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path


from guestlib import guest
from wasmhost import Host, LocalBuckets

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def received(host: Host, name: str) -> list[dict]:
    host.ledger.flush()
    return [json.loads(e["text"])["Records"][0] for e in reversed(host.ledger.logs(name, limit=1000))]


def test_watched_directory_with_filters(tmp_path):
    cam = tmp_path / "camera"
    cam.mkdir()
    with Host(tmp_path / "data") as host:
        host.deploy("ev", guest("log_event"))
        with LocalBuckets(host, {"cam": cam}, settle_s=0.3) as b:
            b.notify("cam", "ev", events=["s3:ObjectCreated:*"], prefix="img/", suffix=".jpg")
            (cam / "img").mkdir()
            src = tmp_path / "p.jpg"
            src.write_bytes(b"p" * 4096)
            subprocess.run(["cp", str(src), str(cam / "img" / "p.jpg")], check=True)
            subprocess.run(["cp", str(src), str(cam / "img" / "p.png")], check=True)  # filtered out
            subprocess.run(["cp", str(src), str(cam / "other.jpg")], check=True)  # filtered out
            (tmp_path / "moved.jpg").write_bytes(b"moved")
            os.rename(tmp_path / "moved.jpg", cam / "img" / "moved.jpg")  # a rename into the directory
            assert wait_for(lambda: b.invoked >= 2)
            time.sleep(0.5)
            recs = received(host, "ev")
            assert sorted(r["s3"]["object"]["key"] for r in recs) == ["img/moved.jpg", "img/p.jpg"]
            assert {r["s3"]["bucket"]["name"] for r in recs} == {"cam"}
            # every file is an object, notified or not
            assert b.store.head("cam", "other.jpg").size == 4096


def test_partial_files_wait_for_their_writer(tmp_path):
    cam = tmp_path / "camera"
    cam.mkdir()
    with Host(tmp_path / "data") as host:
        host.deploy("ev", guest("log_event"))
        with LocalBuckets(host, {"cam": cam}, settle_s=0.2) as b:
            b.notify("cam", "ev")
            with open(cam / "slow.bin", "wb") as f:
                f.write(b"a" * 10000)
                f.flush()
                time.sleep(1.0)  # five settle times: still open, so still not complete
                assert b.invoked == 0
                f.write(b"b" * 10000)
            assert wait_for(lambda: b.invoked == 1)
            (rec,) = received(host, "ev")
            assert rec["s3"]["object"]["size"] == 20000


def test_uploads_while_stopped_are_delivered_at_start(tmp_path):
    cam = tmp_path / "camera"
    cam.mkdir()
    (cam / "gone.txt").write_text("x")
    with Host(tmp_path / "data") as host:
        host.deploy("ev", guest("log_event"))
        b = LocalBuckets(host, {"cam": cam}, settle_s=0.2)
        b.notify("cam", "ev", events=["s3:ObjectCreated:*", "s3:ObjectRemoved:*"])  # before it starts watching
        with b:
            assert wait_for(lambda: b.invoked == 1)  # gone.txt, found at start
        (cam / "new.txt").write_text("arrived while nothing watched")
        (cam / "gone.txt").unlink()
        os.utime(cam / "new.txt", (time.time() - 60, time.time() - 60))  # settled long ago
        with LocalBuckets(host, settle_s=0.2) as b:  # the store remembers the directory
            b.watcher.watch("cam")
            assert wait_for(lambda: b.invoked >= 2)
        names = sorted((r["eventName"], r["s3"]["object"]["key"]) for r in received(host, "ev"))
        assert names == [("ObjectCreated:Put", "gone.txt"), ("ObjectCreated:Put", "new.txt"),
                         ("ObjectRemoved:Delete", "gone.txt")]


def test_kill_9_mid_delivery_delivers_again(tmp_path):
    cam = tmp_path / "camera"
    cam.mkdir()
    data = tmp_path / "data"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from wasmhost import FunctionConfig, Host, LocalBuckets
        host = Host({str(data)!r})
        host.deploy("ev", {str(guest("spin"))!r}, FunctionConfig(timeout_ms=60000))
        b = LocalBuckets(host, {{"cam": {str(cam)!r}}}, settle_s=0.2)
        b.notify("cam", "ev")
        b.start()
        print("ready", flush=True)
        time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        (cam / "photo.jpg").write_bytes(b"jpeg")
        from wasmhost import Buckets
        probe = Buckets(data)  # a second reader of the same SQLite file
        assert wait_for(lambda: probe.pending_count() == 1)  # the upload is written down...
        probe.close()
        time.sleep(0.5)  # ...and the dispatcher is inside the (endless) invocation
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    with Host(data) as host:
        host.deploy("ev", guest("log_event"))
        b = LocalBuckets(host, settle_s=0.2)
        assert b.store.pending_count() == 1  # never acknowledged: still owed
        with b:
            assert wait_for(lambda: b.invoked == 1)
        assert [r["s3"]["object"]["key"] for r in received(host, "ev")] == ["photo.jpg"]


UPPER = '''
from urllib.parse import unquote_plus

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    for record in event.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])
        body = s3.get_object(Bucket=record["s3"]["bucket"]["name"], Key=key)["Body"].read()
        s3.put_object(Bucket="out", Key=key + ".upper", Body=body.upper())
    if "probe" not in event:
        return "done"
    try:
        s3.get_object(Bucket="private", Key="secret.txt")
        return "read a bucket it was not granted"
    except s3.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
'''


def test_an_embedded_function_reads_and_writes_objects_with_boto3(tmp_path):
    """No server: ``grant`` gives the function the S3 endpoint boto3 finds by itself
    (the edge use case: a camera's file in, a derived file out, both plain files).
    pip-installs boto3 into the function at deploy, once per content (needs the package index)."""
    from wasmhost import FunctionConfig
    cam, out, private = tmp_path / "camera", tmp_path / "out", tmp_path / "private"
    for d in (cam, out, private):
        d.mkdir()
    (private / "secret.txt").write_text("not for you")
    code = tmp_path / "upper"
    code.mkdir()
    (code / "app.py").write_text(UPPER)
    (code / "requirements.txt").write_text("boto3\n")
    with Host(tmp_path / "data") as host:
        with LocalBuckets(host, {"cam": cam, "out": out, "private": private}, settle_s=0.2) as b:
            config = b.grant("upper", ["cam", "out"], FunctionConfig(handler="app.handler", timeout_ms=60_000,
                                                                       memory_mb=512))
            assert config.env["AWS_ENDPOINT_URL_S3"].startswith("http://127.0.0.1:")
            host.deploy("upper", code, config)
            b.notify("cam", "upper")
            (cam / "note 1.txt").write_bytes(b"hello edge " * 100)
            assert wait_for(lambda: (out / "note 1.txt.upper").exists(), timeout=120)
            assert (out / "note 1.txt.upper").read_bytes() == b"HELLO EDGE " * 100
            assert wait_for(lambda: b.invoked == 1)
            host.ledger.flush()
            (report,) = host.ledger.query("upper")
            assert (report["status"], report["bucket_bytes_read"], report["bucket_bytes_written"]) == ("ok", 1100, 1100)
            assert report["outbound_bytes"] == 0
            assert "Bucket Bytes Read: 1100\tBucket Bytes Written: 1100" in report["report_line"]
            assert json.loads(host.invoke("upper", b'{"probe": 1}').payload) == "AccessDenied"  # only its buckets
