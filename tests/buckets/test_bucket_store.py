"""The bucket store on its own: names, keys as file paths, S3's ETags, listing,
notification matching and the event document, files written by others."""

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from wasmhost.buckets import BucketError, Buckets
from wasmhost.buckets import events
from wasmhost.buckets.names import check_bucket_name, check_key


@pytest.fixture
def store(tmp_path):
    s = Buckets(tmp_path / "data")
    s.create_bucket("bkt")
    yield s
    s.close()


def put(store, key, data=b"x", **kw):
    w = store.writer("bkt", key)
    w.write(data)
    return store.commit(w, **kw)


def test_names():
    for good in ("photos", "my.bucket-1", "a1b"):
        assert check_bucket_name(good) == good
    for bad in ("ab", "Photos", "a_b", "-ab", "a..b", "1.2.3.4", "x" * 64, "2015-03-31", "metrics", "lambda-url", "xn--ab"):
        with pytest.raises(BucketError) as e:
            check_bucket_name(bad)
        assert e.value.code == "InvalidBucketName"
    assert check_key("a/b c/ü.jpg") == "a/b c/ü.jpg"
    for bad in ("", "a//b", "./a", "a/..", "a/", ".wasmhost/tmp/x", "a\0b", "x" * 256):
        with pytest.raises(BucketError):
            check_key(bad)
    with pytest.raises(BucketError) as e:
        check_key("a/" * 600)
    assert e.value.code in ("KeyTooLongError", "InvalidArgument")


def test_objects_are_files_and_survive_reopening(store, tmp_path):
    info = put(store, "dir/k.txt", b"hello", content_type="text/plain", metadata={"m": "1"})
    assert info.etag == hashlib.md5(b"hello").hexdigest()
    assert (tmp_path / "data" / "buckets" / "bkt" / "dir" / "k.txt").read_bytes() == b"hello"
    assert not any((tmp_path / "data" / "buckets" / ".scratch" / "bkt" / "tmp").iterdir())  # nothing left over
    store.close()
    again = Buckets(tmp_path / "data")
    head = again.head("bkt", "dir/k.txt")
    assert (head.size, head.content_type, head.metadata) == (5, "text/plain", {"m": "1"})
    again.close()


def test_multipart_etag_is_s3s(store):
    up = store.create_upload("bkt", "big", None, {})
    parts = [b"a" * (5 * 1024 * 1024), b"b" * 10]
    tags = []
    for n, data in enumerate(parts, 1):
        w = store.part_writer("bkt", "big", up, n)
        w.write(data)
        tags.append((n, store.commit_part(w, up, n)))
    info = store.complete_upload("bkt", "big", up, tags)
    assert info.etag == hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-2"
    assert Path(info.path).read_bytes() == b"".join(parts)
    with pytest.raises(BucketError) as e:
        store.upload("bkt", "big", up)
    assert e.value.code == "NoSuchUpload"


def test_listing_with_delimiter_and_resumption(store):
    for k in ["a/1", "a/2", "b", "c/x/1", "c/y", "d"]:
        put(store, k)
    assert [k for k, _ in store.list_objects("bkt")] == ["a/1", "a/2", "b", "c/x/1", "c/y", "d"]
    assert [(k, i is None) for k, i in store.list_objects("bkt", delimiter="/")] == \
        [("a/", True), ("b", False), ("c/", True), ("d", False)]
    assert [k for k, _ in store.list_objects("bkt", prefix="c/", delimiter="/")] == ["c/x/", "c/y"]
    assert [k for k, _ in store.list_objects("bkt", delimiter="/", after="a/", skip_prefix="a/")] == ["b", "c/", "d"]
    assert [k for k, _ in store.list_objects("bkt", after="b")] == ["c/x/1", "c/y", "d"]


def test_notification_matching_and_record():
    cfg = events.validate({"LambdaFunctionConfigurations": [
        {"Id": "i", "LambdaFunctionArn": "f", "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"}, {"Name": "Suffix", "Value": ".jpg"}]}}},
        {"LambdaFunctionArn": "g", "Events": ["s3:ObjectRemoved:Delete"]}]}, lambda arn: True)
    ch = events.Change("b", "in/a b+c.jpg", "ObjectCreated:Copy", 3, "e")
    assert events.matches(cfg, ch) == [("i", "f")]
    assert events.matches(cfg, events.Change("b", "in/a.png", "ObjectCreated:Put")) == []
    assert events.matches(cfg, events.Change("b", "x", "ObjectRemoved:Delete")) == [("g-2", "g")]
    doc = json.loads(events.record(ch, "i", "eu-west-1", 0.0, events.sequencer()))
    obj = doc["Records"][0]["s3"]["object"]
    assert obj["key"] == "in/a+b%2Bc.jpg" and obj["size"] == 3 and obj["eTag"] == "e"
    assert doc["Records"][0]["eventTime"] == "1970-01-01T00:00:00.000Z"
    assert events.sequencer() < events.sequencer()
    with pytest.raises(BucketError, match="overlapping"):
        events.validate({"LambdaFunctionConfigurations": [
            {"LambdaFunctionArn": "f", "Events": ["s3:ObjectCreated:Put"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a/"}]}}},
            {"LambdaFunctionArn": "g", "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a/b"}]}}}]}, lambda arn: True)
    # disjoint prefixes may share an event type
    events.validate({"LambdaFunctionConfigurations": [
        {"LambdaFunctionArn": "f", "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a/"}]}}},
        {"LambdaFunctionArn": "g", "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "b/"}]}}}]}, lambda arn: True)


def test_changes_are_written_down_with_the_object(store):
    store.put_notification("bkt", {"LambdaFunctionConfigurations": [
        {"LambdaFunctionArn": "fn", "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}]})
    put(store, "k", b"v")
    store.delete("bkt", "k")
    store.delete("bkt", "never-existed")  # no event for a key that was not there
    rows = store.pending()
    assert [json.loads(p)["Records"][0]["eventName"] for _, _, p in rows] == ["ObjectCreated:Put",
                                                                             "ObjectRemoved:Delete"]
    store.delivered([rows[0][0]])
    assert store.pending_count() == 1


def test_files_written_by_others(store, tmp_path):
    root = store.bucket_dir("bkt")
    store.put_notification("bkt", {"LambdaFunctionConfigurations": [
        {"LambdaFunctionArn": "fn", "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}]})
    ours = put(store, "ours", b"1")
    (root / "sub").mkdir()
    (root / "sub" / "theirs.jpg").write_bytes(b"photo")
    changed, vanished = store.differences("bkt")
    assert [p.name for p, _ in changed] == ["theirs.jpg"] and vanished == []
    assert store.seen("bkt", root / "sub" / "theirs.jpg") is True
    assert store.seen("bkt", root / "sub" / "theirs.jpg") is None  # unchanged: nothing new
    assert store.seen("bkt", Path(ours.path)) is None  # our own upload is not a second one
    head = store.head("bkt", "sub/theirs.jpg")
    assert head.etag == hashlib.md5(b"photo").hexdigest() and head.content_type == "image/jpeg"
    time.sleep(0.01)
    (root / "sub" / "theirs.jpg").write_bytes(b"photo v2")
    os.utime(root / "sub" / "theirs.jpg")
    assert store.seen("bkt", root / "sub" / "theirs.jpg") is True  # rewritten: a new upload
    (root / "sub" / "theirs.jpg").unlink()
    store.gone("bkt", root / "sub" / "theirs.jpg")
    names = [json.loads(p)["Records"][0]["eventName"] for _, _, p in store.pending()]
    assert names == ["ObjectCreated:Put"] * 3 + ["ObjectRemoved:Delete"]
    assert store.differences("bkt") == ([], [])


def test_symlinks_do_not_lead_outside_the_bucket(store, tmp_path):
    root = store.bucket_dir("bkt")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("no")
    (root / "link").symlink_to(outside / "secret")
    (root / "dirlink").symlink_to(outside)
    assert store.seen("bkt", root / "link") is None  # a symlink is no object
    assert store.differences("bkt") == ([], [])
    with pytest.raises(BucketError) as e:
        put(store, "dirlink/planted", b"x")
    assert e.value.code == "AccessDenied"
    assert not (outside / "planted").exists()
    assert not any((store.root / ".scratch" / "bkt" / "tmp").iterdir())


def test_group_commit_keeps_each_upload_apart(store):
    """commit_many (the server's PutObjects of one loop turn): one transaction, but a
    writer that cannot be placed fails alone, and notifications are written for each."""
    store.put_notification("bkt", {"LambdaFunctionConfigurations": [
        {"LambdaFunctionArn": "fn", "Events": ["s3:ObjectCreated:*"]}]})
    put(store, "file", b"a file")
    batch = []
    for key, data in (("one", b"1"), ("file/under", b"collides"), ("two/deep", b"22")):
        w = store.writer("bkt", key)
        w.write(data)
        batch.append((w, {"content_type": "text/plain", "metadata": {"k": key}, "request_id": key}))
    one, bad, two = store.commit_many(batch)
    assert isinstance(bad, BucketError) and bad.code == "InvalidArgument"
    assert (one.etag, two.etag) == (hashlib.md5(b"1").hexdigest(), hashlib.md5(b"22").hexdigest())
    assert store.head("bkt", "two/deep").metadata == {"k": "two/deep"}
    assert store.head("bkt", "one").content_type == "text/plain"
    assert [r[1] for r in store.pending()] == ["fn"] * 3  # "file", "one", "two/deep"
    scratch = store.root / ".scratch" / "bkt" / "tmp"
    assert os.listdir(scratch) == []  # the refused writer's file is gone too
    assert store.own(one.path) is True and store.own(one.path) is False  # the watcher's echo, once


def test_uploads_land_in_the_folders_there_are_now(store, tmp_path):
    """The store keeps its bucket's folders open for the rename that puts an upload in place;
    folders removed and made again under it (another program, another worker) are followed."""
    import shutil
    put(store, "a.txt", b"one")
    root = tmp_path / "data/buckets/bkt"
    shutil.rmtree(root)
    shutil.rmtree(tmp_path / "data/buckets/.scratch/bkt")
    root.mkdir()
    put(store, "b.txt", b"two")
    assert (root / "b.txt").read_bytes() == b"two" and store.head("bkt", "b.txt").size == 3
    other = Buckets(tmp_path / "data")  # another worker deletes the bucket and creates it again
    for key in ("a.txt", "b.txt"):
        other.delete("bkt", key)
    other.delete_bucket("bkt")
    other.create_bucket("bkt")
    put(store, "c/d.txt", b"three")
    assert (root / "c/d.txt").read_bytes() == b"three"
    assert [k for k, _ in other.list_objects("bkt")] == ["c/d.txt"]
    other.close()
