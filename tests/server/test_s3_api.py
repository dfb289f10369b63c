"""The S3 API subset with boto3's s3 client and the aws CLI against one live server."""

import base64
import hashlib
import os
import urllib.request

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from live import Server
from s3live import aws, s3_client


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("s3api") / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def s3(server):
    return s3_client(server.url)


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_buckets(s3, server):
    s3.create_bucket(Bucket="alpha")
    s3.create_bucket(Bucket="beta", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert ["alpha", "beta"] == [n for n in names if n in ("alpha", "beta")]
    s3.head_bucket(Bucket="alpha")
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="alpha")
    assert code(e) == "BucketAlreadyOwnedByYou"
    for bad in ("A_B", "ab", "2015-03-31", "invoke", "192.168.0.1"):
        with pytest.raises(ClientError) as e:
            s3.create_bucket(Bucket=bad)
        assert code(e) == "InvalidBucketName", bad
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="nope")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    s3.put_object(Bucket="beta", Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket="beta")
    assert code(e) == "BucketNotEmpty"
    s3.delete_object(Bucket="beta", Key="k")
    s3.delete_bucket(Bucket="beta")
    assert "beta" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket="beta")
    assert code(e) == "NoSuchBucket"
    assert e.value.response["Error"]["BucketName"] == "beta"


def test_objects_round_trip(s3, server):
    s3.create_bucket(Bucket="objs")
    key = "a b/ü+~=&?.txt"
    body = b"hello world"
    put = s3.put_object(Bucket="objs", Key=key, Body=body, ContentType="text/plain", Metadata={"Owner": "ada"})
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket="objs", Key=key)
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"owner": "ada"}
    assert got["ETag"] == put["ETag"] and got["ContentLength"] == len(body)
    # the object is a plain file named by its key
    assert (server.data_dir / "buckets" / "objs" / "a b" / "ü+~=&?.txt").read_bytes() == body
    head = s3.head_object(Bucket="objs", Key=key)
    assert head["ContentLength"] == len(body) and head["Metadata"] == {"owner": "ada"}
    assert s3.get_object(Bucket="objs", Key=key, Range="bytes=6-")["Body"].read() == b"world"
    part = s3.get_object(Bucket="objs", Key=key, Range="bytes=0-4")
    assert part["Body"].read() == b"hello" and part["ContentRange"] == "bytes 0-4/11"
    assert s3.get_object(Bucket="objs", Key=key, Range="bytes=-3")["Body"].read() == b"rld"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="objs", Key=key, Range="bytes=20-30")
    assert code(e) == "InvalidRange"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="objs", Key=key, IfMatch='"nope"')
    assert code(e) == "PreconditionFailed"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="objs", Key=key, IfNoneMatch=put["ETag"])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="objs", Key="missing")
    assert code(e) == "NoSuchKey"
    s3.put_object(Bucket="objs", Key="empty", Body=b"")
    assert s3.get_object(Bucket="objs", Key="empty")["Body"].read() == b""
    s3.delete_object(Bucket="objs", Key=key)
    s3.delete_object(Bucket="objs", Key=key)  # S3 answers 204 either way
    assert not (server.data_dir / "buckets" / "objs" / "a b").exists()  # the emptied folder went with it


def test_keys_that_are_no_file_path_are_refused(s3):
    s3.create_bucket(Bucket="keys")
    for bad in ("a//b", "a/../b", "dir/", ".wasmhost/x", "x" * 300):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket="keys", Key=bad, Body=b"x")
        assert code(e) in ("InvalidArgument", "KeyTooLongError"), bad
    s3.put_object(Bucket="keys", Key="file", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="keys", Key="file/under", Body=b"x")
    assert code(e) == "InvalidArgument" and "collides" in e.value.response["Error"]["Message"]
    assert s3.list_objects_v2(Bucket="keys")["KeyCount"] == 1


def test_listing(s3):
    s3.create_bucket(Bucket="lists")
    keys = sorted([f"photos/2026/{i:02d}.jpg" for i in range(7)] + ["photos/a.txt", "docs/x", "docs/y", "top"])
    for k in keys:
        s3.put_object(Bucket="lists", Key=k, Body=k.encode())
    r = s3.list_objects_v2(Bucket="lists")
    assert [o["Key"] for o in r["Contents"]] == keys and r["KeyCount"] == len(keys)
    r = s3.list_objects_v2(Bucket="lists", Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["top"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["docs/", "photos/"]
    r = s3.list_objects_v2(Bucket="lists", Prefix="photos/", Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["photos/a.txt"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["photos/2026/"]
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="lists", PaginationConfig={"PageSize": 3}))
    assert [o["Key"] for p in pages for o in p.get("Contents", [])] == keys and len(pages) == 4
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="lists", Delimiter="/",
                                                               PaginationConfig={"PageSize": 1}))
    seen = [o["Key"] for p in pages for o in p.get("Contents", [])] + \
        [c["Prefix"] for p in pages for c in p.get("CommonPrefixes", [])]
    assert sorted(seen) == ["docs/", "photos/", "top"]
    r = s3.list_objects_v2(Bucket="lists", StartAfter="photos/2026/05.jpg")
    assert r["Contents"][0]["Key"] == "photos/2026/06.jpg"
    r = s3.list_objects(Bucket="lists", Prefix="docs/")  # v1
    assert [o["Key"] for o in r["Contents"]] == ["docs/x", "docs/y"]
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket="lists", ContinuationToken="!!not-a-token")
    assert code(e) == "InvalidArgument"


def test_copy_and_delete_objects(s3):
    s3.create_bucket(Bucket="copies")
    s3.put_object(Bucket="copies", Key="src", Body=b"payload", Metadata={"a": "1"}, ContentType="text/x")
    r = s3.copy_object(Bucket="copies", Key="dst", CopySource={"Bucket": "copies", "Key": "src"})
    assert r["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"payload").hexdigest()}"'
    got = s3.get_object(Bucket="copies", Key="dst")
    assert got["Body"].read() == b"payload" and got["Metadata"] == {"a": "1"} and got["ContentType"] == "text/x"
    s3.copy_object(Bucket="copies", Key="dst2", CopySource="copies/src", MetadataDirective="REPLACE",
                   Metadata={"b": "2"}, ContentType="text/y")
    assert s3.head_object(Bucket="copies", Key="dst2")["Metadata"] == {"b": "2"}
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket="copies", Key="src", CopySource="copies/src")
    assert code(e) == "InvalidRequest"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket="copies", Key="x", CopySource="copies/missing")
    assert code(e) == "NoSuchKey"
    r = s3.delete_objects(Bucket="copies", Delete={"Objects": [{"Key": "dst"}, {"Key": "dst2"}, {"Key": "never"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["dst", "dst2", "never"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="copies")["Contents"]] == ["src"]


def test_multipart_upload_and_etag(s3):
    s3.create_bucket(Bucket="multi")
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(5 * 1024 * 1024), b"tail"]
    up = s3.create_multipart_upload(Bucket="multi", Key="big.bin", Metadata={"kind": "test"})
    done = []
    for n, data in enumerate(parts, 1):
        etag = s3.upload_part(Bucket="multi", Key="big.bin", UploadId=up["UploadId"], PartNumber=n, Body=data)["ETag"]
        assert etag == f'"{hashlib.md5(data).hexdigest()}"'
        done.append({"PartNumber": n, "ETag": etag})
    listed = s3.list_parts(Bucket="multi", Key="big.bin", UploadId=up["UploadId"])
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3]
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket="multi")["Uploads"]] == [up["UploadId"]]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket="multi", Key="big.bin", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": done[::-1]})
    assert code(e) == "InvalidPartOrder"
    r = s3.complete_multipart_upload(Bucket="multi", Key="big.bin", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": done})
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-3"
    assert r["ETag"] == f'"{expected}"'
    head = s3.head_object(Bucket="multi", Key="big.bin")
    assert head["ETag"] == f'"{expected}"' and head["ContentLength"] == sum(map(len, parts))
    assert head["Metadata"] == {"kind": "test"}
    assert s3.get_object(Bucket="multi", Key="big.bin", Range="bytes=5242878-5242881")["Body"].read() == \
        parts[0][-2:] + parts[1][:2]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket="multi", Key="big.bin", UploadId=up["UploadId"], PartNumber=1, Body=b"x")
    assert code(e) == "NoSuchUpload"
    small = s3.create_multipart_upload(Bucket="multi", Key="small")
    tags = [{"PartNumber": n, "ETag": s3.upload_part(Bucket="multi", Key="small", UploadId=small["UploadId"],
                                                     PartNumber=n, Body=b"tiny")["ETag"]} for n in (1, 2)]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket="multi", Key="small", UploadId=small["UploadId"],
                                     MultipartUpload={"Parts": tags})
    assert code(e) == "EntityTooSmall"
    s3.abort_multipart_upload(Bucket="multi", Key="small", UploadId=small["UploadId"])
    assert "Uploads" not in s3.list_multipart_uploads(Bucket="multi")
    # UploadPartCopy: parts taken from an existing object (aws s3 cp s3:// s3:// of a large object)
    cp = s3.create_multipart_upload(Bucket="multi", Key="copied.bin")
    first = s3.upload_part_copy(Bucket="multi", Key="copied.bin", UploadId=cp["UploadId"], PartNumber=1,
                                CopySource="multi/big.bin", CopySourceRange="bytes=0-5242879")
    second = s3.upload_part_copy(Bucket="multi", Key="copied.bin", UploadId=cp["UploadId"], PartNumber=2,
                                 CopySource="multi/big.bin", CopySourceRange="bytes=5242880-5242889")
    s3.complete_multipart_upload(Bucket="multi", Key="copied.bin", UploadId=cp["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]},
                  {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket="multi", Key="copied.bin")["Body"].read() == parts[0] + parts[1][:10]
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket="multi", Key="copied.bin", UploadId="gone", PartNumber=1,
                            CopySource="multi/big.bin", CopySourceRange="bytes=0-5")
    assert code(e) == "NoSuchUpload"


def test_payload_checks(s3, server):
    s3.create_bucket(Bucket="checks")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="checks", Key="k", Body=b"abc", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg==")
    assert code(e) == "BadDigest"
    # a body that does not match its signed x-amz-content-sha256
    req = urllib.request.Request(f"{server.url}/checks/k2", data=b"abc", method="PUT",
                                 headers={"x-amz-content-sha256": "0" * 64})
    with pytest.raises(urllib.error.HTTPError) as h:
        urllib.request.urlopen(req, timeout=10)
    assert h.value.code == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in h.value.read()
    with pytest.raises(ClientError):
        s3.head_object(Bucket="checks", Key="k2")  # nothing was committed


def test_errors_are_s3_xml_and_lambda_routes_still_answer(server):
    s3_client(server.url).create_bucket(Bucket="plain")
    with pytest.raises(urllib.error.HTTPError) as h:  # unsigned, as curl: an existing bucket is S3's
        urllib.request.urlopen(f"{server.url}/plain/missing", timeout=10)
    body = h.value.read()
    assert h.value.code == 404 and body.startswith(b"<?xml") and b"<Code>NoSuchKey</Code>" in body
    assert h.value.headers["x-amz-request-id"]
    for path, status, error in (("/no-such-bucket/key", 404, "NoSuchBucket"), ("/no-such-bucket", 404, "NoSuchBucket"),
                                ("/bad!name/key", 400, "InvalidBucketName")):
        with pytest.raises(urllib.error.HTTPError) as h:  # unsigned, about no bucket: S3's answer all the same
            urllib.request.urlopen(f"{server.url}{path}", timeout=10)
        body = h.value.read()
        assert h.value.code == status and f"<Code>{error}</Code>".encode() in body, (path, body)
    for path in ("/2015-03-31/no-such-operation", "/wasmhost/no-such-page", "/2099-01-01/x"):
        with pytest.raises(urllib.error.HTTPError) as h:  # the server's own paths keep their JSON errors
            urllib.request.urlopen(f"{server.url}{path}", timeout=10)
        assert h.value.code in (400, 404) and h.value.headers["Content-Type"].startswith("application/json"), path
    with pytest.raises(ClientError) as e:  # signed
        s3_client(server.url).get_object(Bucket="no-such-bucket", Key="key")
    assert code(e) == "NoSuchBucket"
    anonymous = boto3.client("s3", endpoint_url=server.url, region_name="us-east-1",
                             config=Config(signature_version=UNSIGNED, s3={"addressing_style": "path"}))
    with pytest.raises(ClientError) as e:
        anonymous.get_object(Bucket="no-such-bucket", Key="key")
    assert code(e) == "NoSuchBucket" and e.value.response["Error"]["BucketName"] == "no-such-bucket"
    with pytest.raises(ClientError) as e:
        anonymous.head_bucket(Bucket="no-such-bucket")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404 and code(e) == "404"  # HEAD: no body
    with pytest.raises(ClientError) as e:
        anonymous.list_objects_v2(Bucket="No_Such_Legacy_Bucket")  # S3's older rules allowed it: it is missing
    assert code(e) == "NoSuchBucket"
    assert anonymous.list_objects_v2(Bucket="plain")["KeyCount"] == 0
    failed = aws(server.url, "s3", "ls", "s3://no-such-bucket", check=False)
    assert failed.returncode != 0 and "NoSuchBucket" in failed.stderr
    with urllib.request.urlopen(f"{server.url}/", timeout=10) as r:  # unsigned ListBuckets
        assert b"<Name>plain</Name>" in r.read()
    with urllib.request.urlopen(f"{server.url}/2015-03-31/functions/", timeout=10) as r:  # Lambda's ListFunctions
        assert r.headers["Content-Type"].startswith("application/json")
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as r:
        assert r.status == 200
    req = urllib.request.Request(f"{server.url}/plain?tagging", data=b"<Tagging/>", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as h:
        urllib.request.urlopen(req, timeout=10)
    assert h.value.code == 501 and b"NotImplemented" in h.value.read()


def test_settings_never_set_read_as_s3_answers_for_them(s3, server):
    """Tools read a bucket's settings before they act (Terraform, s3api): wasmhost keeps
    none of these, so it answers what S3 answers for a bucket that never set them."""
    s3.create_bucket(Bucket="plainsettings")
    s3.put_object(Bucket="plainsettings", Key="k", Body=b"x")
    assert "Status" not in s3.get_bucket_versioning(Bucket="plainsettings")
    acl = s3.get_bucket_acl(Bucket="plainsettings")
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"] and acl["Owner"]["ID"] == "wasmhost"
    assert s3.get_object_acl(Bucket="plainsettings", Key="k")["Grants"][0]["Grantee"]["Type"] == "CanonicalUser"
    assert s3.get_object_tagging(Bucket="plainsettings", Key="k")["TagSet"] == []
    assert s3.get_bucket_request_payment(Bucket="plainsettings")["Payer"] == "BucketOwner"
    for call, expected in ((s3.get_bucket_tagging, "NoSuchTagSet"), (s3.get_bucket_policy, "NoSuchBucketPolicy"),
                           (s3.get_bucket_cors, "NoSuchCORSConfiguration"),
                           (s3.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration")):
        with pytest.raises(ClientError) as e:
            call(Bucket="plainsettings")
        assert code(e) == expected and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as e:
        s3.get_bucket_versioning(Bucket="no-such-settings")
    assert code(e) == "NoSuchBucket"
    with pytest.raises(ClientError) as e:
        s3.get_object_tagging(Bucket="plainsettings", Key="missing")
    assert code(e) == "NoSuchKey"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket="plainsettings", VersioningConfiguration={"Status": "Enabled"})
    assert code(e) == "NotImplemented"
    out = aws(server.url, "s3api", "get-bucket-versioning", "--bucket", "plainsettings")
    assert out.returncode == 0, out.stderr


def test_functions_and_layers_deploy_from_the_servers_own_buckets(server, s3):
    """Code.S3Bucket/S3Key (as SAM, the Serverless Framework, CDK and Terraform deploy):
    read from this server's buckets, with Lambda's words when the object is missing."""
    from live import lambda_client, zipped
    lam = lambda_client(server.url)
    s3.create_bucket(Bucket="deploys")
    echo_zip = zipped("echo")  # once: a zip carries the time it was written
    s3.put_object(Bucket="deploys", Key="fn/echo.zip", Body=echo_zip)
    s3.put_object(Bucket="deploys", Key="fn/trap.zip", Body=zipped("trap", "echo.wasm"))
    made = lam.create_function(FunctionName="from_s3", Runtime="wasm32", Role="arn:aws:iam::000000000000:role/r",
                               Handler="echo.wasm", Code={"S3Bucket": "deploys", "S3Key": "fn/echo.zip"})
    assert made["CodeSha256"] == base64.b64encode(hashlib.sha256(echo_zip).digest()).decode()
    assert lam.invoke(FunctionName="from_s3", Payload=b'"hi"')["Payload"].read() == b'"hi"'
    lam.update_function_code(FunctionName="from_s3", S3Bucket="deploys", S3Key="fn/trap.zip")
    assert lam.invoke(FunctionName="from_s3", Payload=b"{}").get("FunctionError") == "Unhandled"
    layer = lam.publish_layer_version(LayerName="from_s3", Content={"S3Bucket": "deploys", "S3Key": "fn/echo.zip"})
    assert layer["Version"] == 1 and layer["Content"]["CodeSize"] == len(echo_zip)
    refused = [({"S3Bucket": "deploys", "S3Key": "fn/none.zip"}, "S3 Error Code: NoSuchKey"),
               ({"S3Bucket": "no-such-deploys", "S3Key": "k"}, "S3 Error Code: NoSuchBucket"),
               ({"S3Bucket": "deploys", "S3Key": "fn/echo.zip", "S3ObjectVersion": "3"}, "S3 Error Code: NoSuchVersion"),
               ({"S3Bucket": "deploys"}, "go together"),
               ({"S3Bucket": "deploys", "S3Key": "fn/echo.zip", "ZipFile": zipped("echo")}, "not both")]
    for code, words in refused:
        with pytest.raises(lam.exceptions.InvalidParameterValueException, match=words):
            lam.create_function(FunctionName="from_s3_bad", Runtime="wasm32", Role="arn:aws:iam::000000000000:role/r",
                                Handler="echo.wasm", Code=code)


def test_aws_cli(server, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(20 * 1024 * 1024))  # over the CLI's 8 MB threshold: a multipart upload
    aws(server.url, "s3", "mb", "s3://cli")
    aws(server.url, "s3", "cp", str(big), "s3://cli/dir/big.bin")
    head = s3_client(server.url).head_object(Bucket="cli", Key="dir/big.bin")
    assert head["ETag"].endswith('-3"')  # 8 MB parts: S3's multipart ETag
    out = tmp_path / "back.bin"
    aws(server.url, "s3", "cp", "s3://cli/dir/big.bin", str(out))
    assert out.read_bytes() == big.read_bytes()
    assert "big.bin" in aws(server.url, "s3", "ls", "s3://cli/dir/").stdout
    aws(server.url, "s3api", "put-object", "--bucket", "cli", "--key", "note.txt", "--body", str(out),
        "--metadata", "who=cli")
    assert '"who": "cli"' in aws(server.url, "s3api", "head-object", "--bucket", "cli", "--key", "note.txt").stdout
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("a")
    (src / "sub" / "b.txt").write_text("b")
    aws(server.url, "s3", "sync", str(src), "s3://cli/tree")
    listing = aws(server.url, "s3", "ls", "--recursive", "s3://cli/tree/").stdout
    assert "tree/a.txt" in listing and "tree/sub/b.txt" in listing
    aws(server.url, "s3", "rm", "--recursive", "s3://cli/")
    assert aws(server.url, "s3", "ls", "--recursive", "s3://cli/").stdout.strip() == ""
    aws(server.url, "s3", "rb", "s3://cli")
    failed = aws(server.url, "s3api", "get-object", "--bucket", "cli", "--key", "x", str(out), check=False)
    assert failed.returncode != 0 and "NoSuchBucket" in failed.stderr


def test_bad_input_gets_s3_errors_never_a_500(server, s3):
    s3.create_bucket(Bucket="hostile")
    s3.put_object(Bucket="hostile", Key="k", Body=b"0123456789")
    cases = [
        ("GET", "/hostile?list-type=2&max-keys=abc", b"", {}),
        ("GET", "/hostile?list-type=2&encoding-type=base64", b"", {}),
        ("GET", "/hostile/k", b"", {"Range": "bytes=abc"}),  # ignored, as S3: the whole object
        ("POST", "/hostile?delete", b"<Delete><Object><Key>k", {}),
        ("POST", "/hostile?delete", b"<!DOCTYPE x [<!ENTITY a 'b'>]><Delete/>", {}),
        ("POST", "/hostile/k?uploadId=nope", b"<CompleteMultipartUpload/>", {}),
        ("POST", "/hostile/k?uploadId=nope", b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber>"
                                            b"</Part></CompleteMultipartUpload>", {}),
        ("PUT", "/hostile/k?partNumber=0&uploadId=nope", b"x", {}),
        ("PUT", "/hostile/k2", b"x", {"x-amz-copy-source": "hostile"}),
        ("PUT", "/hostile/k2", b"x", {"Content-MD5": "not base64!"}),
        ("PUT", "/hostile/k2", b"x", {"x-amz-meta-big": "v" * 3000}),
        ("PUT", "/hostile/k2", b"zz\r\n", {"Content-Encoding": "aws-chunked"}),
        ("PUT", "/hostile?notification", b"<NotificationConfiguration><CloudFunctionConfiguration>"
                                         b"<CloudFunction>arn:aws:lambda:us-east-1:0:function:none</CloudFunction>"
                                         b"<Event>s3:ObjectCreated:*</Event></CloudFunctionConfiguration>"
                                         b"</NotificationConfiguration>", {}),
        ("PUT", "/hostile?notification", b"<Nope/>", {}),
        ("DELETE", "/hostile/", b"", {}),
        ("PATCH", "/hostile/k", b"", {}),
        ("GET", "/hostile/%ZZ/..%2F..%2Fetc%2Fpasswd", b"", {}),
        ("PUT", "/hostile/a%00b", b"x", {}),
        ("PUT", "/hostile/%FF%FE", b"x", {}),  # no UTF-8: InvalidURI, not a key of replacement characters
        ("GET", "/hostile/k?response-content-type=text/plain%0d%0aX-Evil:%201", b"", {}),  # no header injection
        ("PUT", "/hostile/k3", b"3\r\nabc\r\n", {"Content-Encoding": "aws-chunked"}),  # cut short, fast path
        ("PUT", "/hostile/k3", b"x", {"x-amz-decoded-content-length": "9"}),
    ]
    for method, path, body, headers in cases:
        req = urllib.request.Request(server.url + path, data=body or None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        assert status < 500 or status == 501, (method, path, status, text)
        if status >= 400:
            assert text.startswith(b"<?xml") and b"<Code>" in text, (method, path, text)
    assert s3.get_object(Bucket="hostile", Key="k")["Body"].read() == b"0123456789"  # still serving
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="hostile")["Contents"]] == ["k"]
    assert os.listdir(server.data_dir / "buckets" / ".scratch" / "hostile" / "tmp") == []  # refused uploads leave nothing


def test_objects_keep_the_headers_s3_keeps(s3):
    """S3 stores Cache-Control, Content-Disposition, Content-Encoding, Content-Language,
    Expires and the website redirect with an object and answers them on GET and HEAD
    (static sites and gzip'd assets rely on it); aws-chunked is the upload's, not the object's."""
    import datetime
    s3.create_bucket(Bucket="kept-headers")
    expires = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    kept = {"CacheControl": "max-age=31536000, immutable", "ContentDisposition": 'attachment; filename="a.txt"',
            "ContentEncoding": "gzip", "ContentLanguage": "de-CH", "Expires": expires, "WebsiteRedirectLocation": "/b"}
    s3.put_object(Bucket="kept-headers", Key="a", Body=b"x", **kept)
    for got in (s3.head_object(Bucket="kept-headers", Key="a"), s3.get_object(Bucket="kept-headers", Key="a")):
        assert {k: got.get(k) for k in kept} == kept, got
    s3.copy_object(Bucket="kept-headers", Key="b", CopySource="kept-headers/a")  # COPY: they travel with it
    assert s3.head_object(Bucket="kept-headers", Key="b")["CacheControl"] == kept["CacheControl"]
    upload = s3.create_multipart_upload(Bucket="kept-headers", Key="c", ContentEncoding="gzip")["UploadId"]
    part = s3.upload_part(Bucket="kept-headers", Key="c", UploadId=upload, PartNumber=1, Body=b"x")
    s3.complete_multipart_upload(Bucket="kept-headers", Key="c", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert s3.head_object(Bucket="kept-headers", Key="c")["ContentEncoding"] == "gzip"
    req = urllib.request.Request(f"{s3.meta.endpoint_url}/kept-headers/d", method="PUT", data=b"1\r\nx\r\n0\r\n\r\n",
                                 headers={"Content-Encoding": "aws-chunked,gzip", "x-amz-decoded-content-length": "1"})
    urllib.request.urlopen(req, timeout=10).close()
    got = s3.get_object(Bucket="kept-headers", Key="d")
    assert (got["Body"].read(), got["ContentEncoding"]) == (b"x", "gzip")


def test_header_octets_and_digits_that_are_not_ascii_get_no_500(server, s3):
    """``"\u00b9".isdigit()`` is true and ``int("\u00b9")`` fails; a header byte that is no UTF-8
    reached SQLite as a lone surrogate (found by fuzzing: both were 500s)."""
    s3.create_bucket(Bucket="octets")
    presigned = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x%2F20250101%2Fus-east-1%2Fs3%2Faws4_request"
                 "&X-Amz-Date=20250101T000000Z&X-Amz-Expires=%C2%B9&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
    cases = [
        ("PUT", "/octets/a?x-id=PutObject", {"Content-Type": "\xb9", "x-amz-meta-m": "caf\xe9"}),  # aiohttp's path
        ("PUT", "/octets/b", {"Content-Type": "\xb9"}),  # the fast path
        ("PUT", "/octets/c", {"x-amz-decoded-content-length": "\xb9"}),
        ("PUT", "/octets/d?x-id=PutObject", {"x-amz-decoded-content-length": "\xb9"}),
        ("GET", "/octets/a?" + presigned, {}),
        ("GET", "/octets/a?AWSAccessKeyId=x&Expires=%C2%B9&Signature=x", {}),
    ]
    for method, path, headers in cases:
        req = urllib.request.Request(server.url + path, data=b"x" if method == "PUT" else None, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        assert status < 500, (method, path, status)
    for key in ("a", "b"):  # stored, and read back
        assert s3.get_object(Bucket="octets", Key=key)["Body"].read() == b"x"


def test_uploads_stream_through_the_front_door(server, s3):
    """Past the size the front door holds for aiohttp (70 MB), an upload streams: the
    server's peak memory grows far less than the object."""
    s3.create_bucket(Bucket="stream")

    def peak_kb() -> int:
        for line in open(f"/proc/{server.proc.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM")
    s3.put_object(Bucket="stream", Key="warm", Body=os.urandom(2 * 1024 * 1024))  # first use of every code path
    before = peak_kb()
    body = os.urandom(1024 * 1024) * 72
    s3.put_object(Bucket="stream", Key="big", Body=body)
    assert peak_kb() - before < 40 * 1024
    head = s3.head_object(Bucket="stream", Key="big")
    assert head["ContentLength"] == len(body) and head["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert s3.get_object(Bucket="stream", Key="big", Range="bytes=75497000-75497471")["Body"].read() == body[-472:]


def test_concurrent_small_uploads_each_get_their_answer(server, s3):
    """Small PutObjects are answered by the front door and committed in groups when
    they arrive together (sources/s3.py GroupCommit): 16 clients at once, each upload
    acknowledged with its own ETag and listed, a colliding key refused alone."""
    import concurrent.futures
    import http.client
    s3.create_bucket(Bucket="many")
    s3.put_object(Bucket="many", Key="taken", Body=b"a file")

    def client(n: int) -> list[tuple[str, int, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        out = []
        for i in range(20):
            key = f"c{n}/k{i}" if (n, i) != (3, 7) else "taken/under"
            body = f"{n}-{i}".encode() * 50
            conn.request("PUT", f"/many/{key}", body=body, headers={"x-amz-meta-n": str(n)})
            r = conn.getresponse()
            r.read()
            out.append((key, r.status, r.getheader("ETag", "") == f'"{hashlib.md5(body).hexdigest()}"'))
        conn.close()
        return out
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = [r for rs in pool.map(client, range(16)) for r in rs]
    assert [r for r in results if r[1] != 200] == [("taken/under", 400, False)]
    assert all(ok for _, status, ok in results if status == 200)
    listed = {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="many")
              for o in page.get("Contents", [])}
    assert listed == {k for k, status, _ in results if status == 200} | {"taken"}
    assert s3.head_object(Bucket="many", Key="c5/k19")["Metadata"] == {"n": "5"}
