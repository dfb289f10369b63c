"""Bucket notifications on a live server: S3's configuration API, filters, the
event documents handlers receive, files written into a watched directory by
other processes, and nothing lost across a restart or a kill -9."""

import hashlib
import subprocess
import sys
import time

import pytest
from botocore.exceptions import ClientError

from live import Server, create, lambda_client
from s3live import function_arn, logged_events, s3_client, wait_for


@pytest.fixture(scope="module")
def camera(tmp_path_factory):
    d = tmp_path_factory.mktemp("camera")
    (d / "before.jpg").write_bytes(b"taken before the server started")
    return d


@pytest.fixture(scope="module")
def server(tmp_path_factory, camera):
    s = Server(tmp_path_factory.mktemp("s3notify") / "data", "--bucket", f"cam={camera}",
               "--bucket-settle-s", "0.5").start()
    c = lambda_client(s.url)
    for name in ("created", "removed", "dropped", "held"):
        create(c, name, "log_event")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def s3(server):
    return s3_client(server.url)


def keys_of(events: list[dict]) -> list[str]:
    return [r["s3"]["object"]["key"] for e in events for r in e["Records"]]


def test_configuration_round_trip_and_validation(s3):
    s3.create_bucket(Bucket="conf")
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket="conf")
    cfg = {"LambdaFunctionConfigurations": [
        {"Id": "thumbs", "LambdaFunctionArn": function_arn("created"), "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".jpg"}]}}}]}
    s3.put_bucket_notification_configuration(Bucket="conf", NotificationConfiguration=cfg)
    got = s3.get_bucket_notification_configuration(Bucket="conf")["LambdaFunctionConfigurations"]
    assert got[0]["Id"] == "thumbs" and got[0]["LambdaFunctionArn"] == function_arn("created")
    assert got[0]["Events"] == ["s3:ObjectCreated:*"]
    assert {(r["Name"].lower(), r["Value"]) for r in got[0]["Filter"]["Key"]["FilterRules"]} == \
        {("prefix", "in/"), ("suffix", ".jpg")}
    bad = [
        {"LambdaFunctionArn": function_arn("nope"), "Events": ["s3:ObjectCreated:*"]},  # no such function
        {"LambdaFunctionArn": function_arn("created"), "Events": ["s3:ObjectCreated:Rename"]},
        {"LambdaFunctionArn": function_arn("created"), "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}}},
    ]
    for b in bad:
        with pytest.raises(ClientError) as e:
            s3.put_bucket_notification_configuration(Bucket="conf",
                                                     NotificationConfiguration={"LambdaFunctionConfigurations": [b]})
        assert e.value.response["Error"]["Code"] == "InvalidArgument", b
    overlapping = {"LambdaFunctionConfigurations": [
        {"LambdaFunctionArn": function_arn("created"), "Events": ["s3:ObjectCreated:*"]},
        {"LambdaFunctionArn": function_arn("removed"), "Events": ["s3:ObjectCreated:Put"]}]}
    with pytest.raises(ClientError, match="overlapping"):
        s3.put_bucket_notification_configuration(Bucket="conf", NotificationConfiguration=overlapping)
    # the earlier configuration stands; an empty one clears it
    assert s3.get_bucket_notification_configuration(Bucket="conf")["LambdaFunctionConfigurations"][0]["Id"] == "thumbs"
    s3.put_bucket_notification_configuration(Bucket="conf", NotificationConfiguration={})
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket="conf")


def test_events_with_filters(s3, server):
    s3.create_bucket(Bucket="photos")
    s3.put_bucket_notification_configuration(Bucket="photos", NotificationConfiguration={
        "LambdaFunctionConfigurations": [
            {"Id": "new-jpegs", "LambdaFunctionArn": function_arn("created"), "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                                {"Name": "suffix", "Value": ".jpg"}]}}},
            {"Id": "gone", "LambdaFunctionArn": function_arn("removed"), "Events": ["s3:ObjectRemoved:*"]}]})
    s3.put_object(Bucket="photos", Key="in/red flower=1.jpg", Body=b"jpeg bytes")
    s3.put_object(Bucket="photos", Key="in/notes.txt", Body=b"no")  # suffix does not match
    s3.put_object(Bucket="photos", Key="out/x.jpg", Body=b"no")  # prefix does not match
    s3.copy_object(Bucket="photos", Key="in/copy.jpg", CopySource="photos/in/red flower=1.jpg")
    up = s3.create_multipart_upload(Bucket="photos", Key="in/multi.jpg")
    etag = s3.upload_part(Bucket="photos", Key="in/multi.jpg", UploadId=up["UploadId"], PartNumber=1,
                          Body=b"m" * 1000)["ETag"]
    s3.complete_multipart_upload(Bucket="photos", Key="in/multi.jpg", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    s3.delete_object(Bucket="photos", Key="out/x.jpg")
    created = wait_for(lambda: len(logged_events(server.url, "created")) >= 3 and logged_events(server.url, "created"))
    assert sorted(keys_of(created)) == ["in/copy.jpg", "in/multi.jpg", "in/red+flower%3D1.jpg"]
    by_key = {r["s3"]["object"]["key"]: r for e in created for r in e["Records"]}
    put = by_key["in/red+flower%3D1.jpg"]
    assert put["eventSource"] == "aws:s3" and put["eventName"] == "ObjectCreated:Put"
    assert put["eventVersion"] == "2.1" and put["awsRegion"] == "us-east-1"
    assert put["s3"]["bucket"] == {"name": "photos", "ownerIdentity": {"principalId": "wasmhost"},
                                   "arn": "arn:aws:s3:::photos"}
    assert put["s3"]["object"]["size"] == 10 and put["s3"]["object"]["eTag"] == hashlib.md5(b"jpeg bytes").hexdigest()
    assert put["s3"]["configurationId"] == "new-jpegs"
    assert put["eventTime"].endswith("Z") and len(put["eventTime"]) == 24
    assert by_key["in/copy.jpg"]["eventName"] == "ObjectCreated:Copy"
    assert by_key["in/multi.jpg"]["eventName"] == "ObjectCreated:CompleteMultipartUpload"
    assert by_key["in/multi.jpg"]["s3"]["object"]["eTag"].endswith("-1")
    removed = wait_for(lambda: logged_events(server.url, "removed"))
    assert keys_of(removed) == ["out/x.jpg"] and removed[0]["Records"][0]["eventName"] == "ObjectRemoved:Delete"
    assert "size" not in removed[0]["Records"][0]["s3"]["object"]
    time.sleep(0.5)
    assert len(logged_events(server.url, "created")) == 3  # nothing else fired


def test_files_written_by_other_processes(s3, server, camera, tmp_path):
    s3.put_bucket_notification_configuration(Bucket="cam", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "cam", "LambdaFunctionArn": function_arn("dropped"),
                                          "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}]})
    # the file that was there before the server started is an object (reconciled at start)
    assert s3.get_object(Bucket="cam", Key="before.jpg")["Body"].read() == b"taken before the server started"
    src = tmp_path / "shot.jpg"
    src.write_bytes(b"j" * 300_000)
    # a new folder is watched too: made before the copy, its inotify event is read before the
    # copy's, so once shot.jpg is delivered the watch on 2026/ is in place (a slow writer that
    # started before it could write unseen, and be taken by the settle rule, as polling would)
    (camera / "2026").mkdir()
    subprocess.run(["cp", str(src), str(camera / "shot.jpg")], check=True)
    assert wait_for(lambda: "shot.jpg" in keys_of(logged_events(server.url, "dropped")))
    # a slow writer: half the file, a pause longer than the settle time, then the rest
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "f = open(sys.argv[1], 'wb'); f.write(b'a' * 50000); f.flush(); time.sleep(1.5)\n"
        "f.write(b'b' * 50000); f.close()\n"), str(camera / "2026" / "slow.jpg")])
    writer.wait(20)
    events = wait_for(lambda: len(keys_of(logged_events(server.url, "dropped"))) >= 2
                      and logged_events(server.url, "dropped"))
    records = {r["s3"]["object"]["key"]: r for e in events for r in e["Records"]}
    assert records["shot.jpg"]["s3"]["object"]["size"] == 300_000
    assert records["shot.jpg"]["s3"]["object"]["eTag"] == hashlib.md5(b"j" * 300_000).hexdigest()
    assert records["2026/slow.jpg"]["s3"]["object"]["size"] == 100_000  # never delivered half written
    assert keys_of(events).count("2026/slow.jpg") == 1
    assert s3.head_object(Bucket="cam", Key="2026/slow.jpg")["ContentLength"] == 100_000
    (camera / "shot.jpg").unlink()
    removed = wait_for(lambda: [r for e in logged_events(server.url, "dropped") for r in e["Records"]
                                if r["eventName"] == "ObjectRemoved:Delete"])
    assert [r["s3"]["object"]["key"] for r in removed] == ["shot.jpg"]
    with pytest.raises(ClientError):
        s3.head_object(Bucket="cam", Key="shot.jpg")


def test_uploads_while_the_server_was_down_are_delivered(s3, server, camera):
    before = len(logged_events(server.url, "dropped"))
    server.stop()
    (camera / "offline-1.jpg").write_bytes(b"one")
    (camera / "2026" / "offline-2.jpg").write_bytes(b"two")
    server.start()
    events = wait_for(lambda: len(logged_events(server.url, "dropped")) >= before + 2
                      and logged_events(server.url, "dropped")[before:])
    assert sorted(keys_of(events)) == ["2026/offline-2.jpg", "offline-1.jpg"]


def test_kill_9_mid_delivery_loses_nothing(server):
    s3 = s3_client(server.url)
    lam = lambda_client(server.url)
    s3.create_bucket(Bucket="crash")
    s3.put_bucket_notification_configuration(Bucket="crash", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": function_arn("held"),
                                          "Events": ["s3:ObjectCreated:*"]}]})
    lam.put_function_concurrency(FunctionName="held", ReservedConcurrentExecutions=0)  # deliveries wait (throttled)
    keys = [f"k{i}" for i in range(20)]
    for k in keys:
        s3.put_object(Bucket="crash", Key=k, Body=k.encode())
    server.kill()
    server.start()
    lambda_client(server.url).delete_function_concurrency(FunctionName="held")
    delivered = wait_for(lambda: set(keys) <= set(keys_of(logged_events(server.url, "held")))
                         and keys_of(logged_events(server.url, "held")), timeout=60)
    assert delivered and set(keys) <= set(delivered)
