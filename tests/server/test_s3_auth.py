"""S3 under the Lambda API's auth rules (a server that asks for SigV4), including
streaming aws-chunked payloads whose every chunk is signed."""

import hashlib
import hmac
import http.client
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

from live import Server, create, lambda_client
from s3live import aws, s3_client

AK, SK = "AKIDEXAMPLE", "secret-key"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("s3auth") / "data", "--require-auth", "--access-key", f"{AK}:{SK}").start()
    yield s
    s.stop()


def test_signed_requests_pass_and_others_do_not(server):
    good = s3_client(server.url, AK, SK)
    good.create_bucket(Bucket="sec")
    good.put_object(Bucket="sec", Key="k", Body=b"v" * 100)
    assert good.get_object(Bucket="sec", Key="k")["Body"].read() == b"v" * 100
    with pytest.raises(ClientError) as e:
        s3_client(server.url, AK, "wrong").get_object(Bucket="sec", Key="k")
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as e:
        s3_client(server.url, "UNKNOWN", SK).list_buckets()
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    with pytest.raises(urllib.error.HTTPError) as h:
        urllib.request.urlopen(f"{server.url}/sec/k", timeout=10)
    assert h.value.code == 403 and b"<Code>AccessDenied</Code>" in h.value.read()
    # the Lambda API beside it keeps its own rules
    create(lambda_client(server.url, AK, SK), "echo", "echo")
    assert lambda_client(server.url, AK, SK).invoke(FunctionName="echo", Payload=b'"x"')["Payload"].read() == b'"x"'
    with pytest.raises(ClientError):
        lambda_client(server.url, AK, "wrong").list_functions()


def _chunked_put(server, path: str, chunks: list[bytes], *, tamper: bool = False, trailer: bool = False) -> tuple:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    total = sum(map(len, chunks))
    headers = {"x-amz-content-sha256": mode, "Content-Encoding": "aws-chunked",
               "x-amz-decoded-content-length": str(total)}
    if trailer:
        headers["x-amz-trailer"] = "x-amz-checksum-sha256"
    req = AWSRequest(method="PUT", url=server.url + path, headers=headers)
    SigV4Auth(Credentials(AK, SK), "s3", "us-east-1").add_auth(req)
    amz_date = req.headers["X-Amz-Date"]
    seed = req.headers["Authorization"].rsplit("Signature=", 1)[1]
    date = amz_date[:8]
    scope = f"{date}/us-east-1/s3/aws4_request"

    def h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()
    key = h(h(h(h(("AWS4" + SK).encode(), date), "us-east-1"), "s3"), "aws4_request")
    empty = hashlib.sha256(b"").hexdigest()
    body, prev = b"", seed
    for data in chunks + [b""]:
        sig = hmac.new(key, "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, empty,
                                       hashlib.sha256(data).hexdigest()]).encode(), hashlib.sha256).hexdigest()
        body += f"{len(data):x};chunk-signature={sig}\r\n".encode() + data + (b"\r\n" if data else b"")
        prev = sig
    if trailer:
        import base64
        line = "x-amz-checksum-sha256:" + base64.b64encode(hashlib.sha256(b"".join(chunks)).digest()).decode()
        tsig = hmac.new(key, "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev,
                                        hashlib.sha256((line + "\n").encode()).hexdigest()]).encode(),
                        hashlib.sha256).hexdigest()
        body += f"{line}\r\nx-amz-trailer-signature:{tsig}\r\n\r\n".encode()
    else:
        body += b"\r\n"
    if tamper:
        body = body.replace(chunks[0][:8], b"X" * 8, 1)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("PUT", path, body=body, headers={**dict(req.headers), "Content-Length": str(len(body))})
    resp = conn.getresponse()
    out = resp.status, resp.read()
    conn.close()
    return out


def test_aws_chunked_signed_payloads(server):
    s3 = s3_client(server.url, AK, SK)
    s3.create_bucket(Bucket="chunks")
    chunks = [b"a" * 65536, b"b" * 65536, b"tail"]
    status, _ = _chunked_put(server, "/chunks/streamed", chunks)
    assert status == 200
    got = s3.get_object(Bucket="chunks", Key="streamed")
    assert got["Body"].read() == b"".join(chunks)
    assert got["ETag"] == f'"{hashlib.md5(b"".join(chunks)).hexdigest()}"'  # of the decoded bytes
    status, _ = _chunked_put(server, "/chunks/trailer", chunks, trailer=True)
    assert status == 200
    status, body = _chunked_put(server, "/chunks/tampered", chunks, tamper=True)
    assert status == 403 and b"SignatureDoesNotMatch" in body
    with pytest.raises(ClientError):
        s3.head_object(Bucket="chunks", Key="tampered")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="chunks")["Contents"]] == ["streamed", "trailer"]


def test_presigned_urls(server):
    good = s3_client(server.url, AK, SK)
    good.create_bucket(Bucket="shared")
    good.put_object(Bucket="shared", Key="photo 1.jpg", Body=b"jpeg")
    v2 = good.generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "photo 1.jpg"}, ExpiresIn=60)
    assert "AWSAccessKeyId=" in v2  # boto3's default for S3: the older query signing
    with urllib.request.urlopen(v2, timeout=10) as r:  # no key at the client: the URL carries the signature
        assert r.read() == b"jpeg"
    with pytest.raises(urllib.error.HTTPError) as h:
        urllib.request.urlopen(v2.replace("photo%201.jpg", "other.jpg"), timeout=10)
    assert h.value.code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in h.value.read()
    good = s3_client(server.url, AK, SK, signature_version="s3v4")
    url = good.generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "photo 1.jpg"}, ExpiresIn=60)
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"jpeg"
    cli = aws(server.url, "s3", "presign", "s3://shared/photo 1.jpg", key=AK, secret=SK).stdout.strip()
    with urllib.request.urlopen(cli, timeout=10) as r:
        assert r.read() == b"jpeg"
    put = good.generate_presigned_url("put_object", Params={"Bucket": "shared", "Key": "up.txt"}, ExpiresIn=60)
    with urllib.request.urlopen(urllib.request.Request(put, data=b"uploaded", method="PUT",
                                                       headers={"Content-Type": "text/plain"}), timeout=10) as r:
        assert r.status == 200
    assert good.get_object(Bucket="shared", Key="up.txt")["Body"].read() == b"uploaded"
    for bad, status, error in ((url.replace("photo%201.jpg", "up.txt"), 403, "SignatureDoesNotMatch"),  # other key
                               (url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), 403, "SignatureDoesNotMatch"),
                               (s3_client(server.url, AK, "wrong", signature_version="s3v4").generate_presigned_url(
                                   "get_object", Params={"Bucket": "shared", "Key": "up.txt"}), 403,
                                "SignatureDoesNotMatch")):
        with pytest.raises(urllib.error.HTTPError) as h:
            urllib.request.urlopen(bad, timeout=10)
        assert h.value.code == status and f"<Code>{error}</Code>".encode() in h.value.read()
    with pytest.raises(urllib.error.HTTPError) as h:  # a GET URL does not sign a PUT
        urllib.request.urlopen(urllib.request.Request(url, data=b"x", method="PUT"), timeout=10)
    assert h.value.code == 403
    expired = good.generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "up.txt"}, ExpiresIn=1)
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as h:
        urllib.request.urlopen(expired, timeout=10)
    assert h.value.code == 403 and b"Request has expired" in h.value.read()


def test_header_values_past_ascii_sign_as_the_client_signed(server):
    """botocore signs a header's characters UTF-8 encoded and http.client sends them as
    Latin-1 bytes: both paths (the fast path, and aiohttp's for a large body or a copy)
    read them as sent, so the signature matches."""
    from wasmhost.server.sources.s3_fast import STREAM_FROM
    good = s3_client(server.url, AK, SK)
    good.create_bucket(Bucket="octet-signs")
    disposition = 'attachment; filename="Zürich.txt"'
    for key, size in (("fast", 1), ("streamed", STREAM_FROM + 1)):
        good.put_object(Bucket="octet-signs", Key=key, Body=b"x" * size, ContentDisposition=disposition)
        got = good.head_object(Bucket="octet-signs", Key=key)
        # S3 answers the bytes it was sent (botocore's UTF-8); http.client reads them as Latin-1
        assert got["ContentLength"] == size and got["ContentDisposition"].encode("latin-1").decode() == disposition
    good.copy_object(Bucket="octet-signs", Key="copied", CopySource="octet-signs/fast",
                     MetadataDirective="REPLACE", ContentDisposition="inline", CacheControl="max-age=60")
    got = good.get_object(Bucket="octet-signs", Key="copied")
    assert (got["ContentDisposition"], got["CacheControl"]) == ("inline", "max-age=60")
    for value in ("\xb9", "Zürich"):  # a byte no UTF-8 decoder takes (aiohttp's lone surrogate: once a 500)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/2015-03-31/functions", headers={
            "X-Odd": value, "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
            "Authorization": f"AWS4-HMAC-SHA256 Credential={AK}/{time.strftime('%Y%m%d', time.gmtime())}/us-east-1/"
                             f"lambda/aws4_request, SignedHeaders=host;x-amz-date;x-odd, Signature={'0' * 64}"})
        resp = conn.getresponse()
        assert resp.status == 403 and resp.getheader("x-amzn-ErrorType", "").startswith("InvalidSignatureException")
        resp.read()
        conn.close()
