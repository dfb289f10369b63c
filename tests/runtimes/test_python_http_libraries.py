"""Outbound HTTP libraries inside the Python sandbox, against the local "internet"
(tests/internet.py) over HTTP and HTTPS: ``ssl`` and the libraries that import it
themselves (httpx, slack_sdk, crhelper), aiohttp, and urllib3's errors.

The sandbox has no ``_ssl``: ``wasmhost_ssl`` stands in for it under the standard
library's ``ssl.py``; TLS is the host's. These tests check that contexts are made and
configured as libraries make them, that HTTPS given a context goes through the host
(under the allow-list, with the host's certificate checks), that TLS over a socket fails
saying why, that httpx (sync and async), aiohttp and slack_sdk send through the host and
report a refusal with their own kind of error, and that urllib3 (bundled with boto3, as
on Lambda) reports a request the host refused as a connection it could not make."""

from __future__ import annotations

import ssl
import textwrap

import pytest

from wasmhost import DeployError, FunctionConfig, Host

pytest.importorskip("wasmtime.component")

SSL_APP = textwrap.dedent('''
    import http.client, smtplib, socket, ssl, urllib.error, urllib.request

    def handler(event, context):
        out = {}
        ctx = ssl.create_default_context()
        out["default"] = [ctx.verify_mode == ssl.CERT_REQUIRED, ctx.check_hostname,
                          ctx.minimum_version == ssl.TLSVersion.TLSv1_2, ctx.protocol == ssl.PROTOCOL_TLS_CLIENT,
                          bool(ctx.options & ssl.OP_NO_SSLv3), ssl.OPENSSL_VERSION.startswith("OpenSSL 3")]
        ctx.load_default_certs()
        ctx.load_verify_locations(cafile=__file__)
        ctx.set_ciphers("ECDHE+AESGCM")
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        out["tls13"] = ctx.minimum_version == ssl.TLSVersion.TLSv1_3
        try:
            ctx.verify_mode = ssl.CERT_NONE
        except ValueError as e:
            out["cert_none"] = str(e)
        try:
            ctx.load_verify_locations("/var/task/missing.pem")
        except FileNotFoundError:
            out["missing_ca"] = "FileNotFoundError"
        unverified = ssl._create_unverified_context()
        out["unverified"] = [unverified.verify_mode == ssl.CERT_NONE, unverified.check_hostname]
        out["errors"] = [issubclass(ssl.SSLCertVerificationError, ssl.SSLError), issubclass(ssl.SSLError, OSError),
                         ssl.SSLError.__module__]
        try:
            ctx.wrap_socket(socket.socket(), server_hostname="example.com")
        except ssl.SSLError as e:
            out["wrap_socket"] = str(e)
        try:
            smtplib.SMTP_SSL("smtp.example.com", 465, context=ctx)
        except OSError as e:
            out["smtp"] = str(e)
        with urllib.request.urlopen(event["https"] + "/hello", context=ctx) as r:
            out["urlopen"] = [r.status, r.read().decode()]
        host, port = event["https"].removeprefix("https://").split(":")
        conn = http.client.HTTPSConnection(host, int(port), context=ctx)
        conn.request("GET", "/hello")
        out["http.client"] = conn.getresponse().read().decode()
        try:
            urllib.request.urlopen("https://example.com/", context=ctx)
        except urllib.error.URLError as e:
            out["refused"] = str(e.reason)
        return out
''')

HTTPX_APP = textwrap.dedent('''
    import asyncio, httpx

    def handler(event, context):
        url, out = event["url"], {}
        r = httpx.get(event["https"] + "/hello")
        out["https"] = [r.status_code, r.text, r.headers["x-served-by"], r.http_version]
        with httpx.Client(base_url=url, headers={"X-Test": "c"}, follow_redirects=True) as client:
            doc = client.post("/echo?q=1", json={"n": 1}).json()
            out["post"] = [doc["method"], doc["path"], doc["body"], doc["headers"]["X-Test"]]
            r = client.get("/redirect", params={"to": "/hello"})
            out["redirect"] = [r.text, [h.status_code for h in r.history]]
            with client.stream("GET", "/hello") as s:
                out["stream"] = b"".join(s.iter_bytes()).decode()

        async def main():
            async with httpx.AsyncClient() as client:
                a, b = await asyncio.gather(client.get(url + "/hello"), client.put(url + "/echo", content=b"abc"))
                return [a.text, b.json()["body"]]
        out["async"] = asyncio.run(main())
        try:
            httpx.get("https://example.com/")
        except httpx.ConnectError as e:
            out["refused"] = str(e)
        return out
''')

SLACK_APP = textwrap.dedent('''
    import json
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError
    from slack_sdk.webhook import WebhookClient

    def handler(event, context):
        out = {}
        try:  # the echo answers without "ok": true, which WebClient reports as an API error
            WebClient(token="xoxb-test", base_url=event["https"] + "/").api_call("echo", json={"channel": "C1"})
        except SlackApiError as e:
            doc = e.response.data
            out["web"] = [e.response.status_code, doc["path"], doc["body"], doc["headers"]["Authorization"]]
        r = WebhookClient(event["url"] + "/echo").send(text="hello")
        out["hook"] = [r.status_code, json.loads(r.body)["body"]]
        try:
            WebClient(token="x").auth_test()
        except Exception as e:
            out["refused"] = [type(e).__name__, str(e)]
        return out
''')


@pytest.fixture(scope="module")
def shost(tmp_path_factory, internet, tls_internet):
    """A host whose outbound TLS trusts the test certificate (as it trusts public CAs)."""
    from wasmhost.capabilities import http_connection
    server, cert = tls_internet
    trusted = http_connection._TLS
    http_connection._TLS = ssl.create_default_context(cafile=str(cert))
    h = Host(tmp_path_factory.mktemp("sslhost"))
    yield h
    h.close()
    http_connection._TLS = trusted


def _deploy(h, tmp_path, name, source, requirements, internet, tls_internet):
    code = tmp_path / name
    code.mkdir()
    (code / "app.py").write_text(source)
    if requirements:
        (code / "requirements.txt").write_text(requirements)
    allowed = (f"127.0.0.1:{internet.port}", f"127.0.0.1:{tls_internet[0].port}")
    try:
        h.deploy(name, code, FunctionConfig(allowed_hosts=allowed, timeout_ms=10_000))
    except DeployError as e:
        if requirements and "pip" in str(e):
            pytest.skip(f"{requirements.strip()} could not be installed for the function: {e} (needs a package index)")
        raise
    return {"url": internet.url, "https": f"https://127.0.0.1:{tls_internet[0].port}"}


def test_ssl_contexts_are_made_and_https_goes_through_the_host(shost, tmp_path, internet, tls_internet):
    event = _deploy(shost, tmp_path, "ssl_fn", SSL_APP, "", internet, tls_internet)
    out = shost.invoke("ssl_fn", event).value
    assert out["default"] == [True, True, True, True, True, True]
    assert out["tls13"] is True and out["missing_ca"] == "FileNotFoundError"
    assert "check_hostname is enabled" in out["cert_none"]
    assert out["unverified"] == [True, False]
    assert out["errors"] == [True, True, "ssl"]
    assert "no sockets" in out["wrap_socket"] and "HTTPS goes through the host" in out["wrap_socket"]
    assert "sockets are not available" in out["smtp"]
    assert out["urlopen"] == [200, "hello from the internet"]
    assert out["http.client"] == "hello from the internet"
    assert "example.com" in out["refused"] and "allowed_hosts" in out["refused"]


def test_a_function_that_never_imports_ssl_does_not_load_it_at_invoke(shost, tmp_path, internet, tls_internet):
    """ssl is in the runtime's snapshot (urllib3, botocore, asyncio import it): present
    before the handler runs, not read from the standard library then."""
    source = "import sys\ndef handler(event, context):\n    return [m in sys.modules for m in ('ssl', '_ssl')]\n"
    event = _deploy(shost, tmp_path, "no_ssl", source, "", internet, tls_internet)
    assert shost.invoke("no_ssl", event).value == [True, True]


def test_httpx_sync_and_async_send_through_the_host(shost, tmp_path, internet, tls_internet):
    event = _deploy(shost, tmp_path, "httpx_fn", HTTPX_APP, "httpx\n", internet, tls_internet)
    out = shost.invoke("httpx_fn", event).value
    assert out["https"] == [200, "hello from the internet", "internet", "HTTP/1.1"]
    assert out["post"] == ["POST", "/echo?q=1", '{"n":1}', "c"]
    assert out["redirect"] == ["hello from the internet", [302]]
    assert out["stream"] == "hello from the internet"
    assert out["async"] == ["hello from the internet", "abc"]
    assert "example.com" in out["refused"] and "allowed_hosts" in out["refused"]


def test_slack_sdk_clients_send_through_the_host(shost, tmp_path, internet, tls_internet):
    event = _deploy(shost, tmp_path, "slack_fn", SLACK_APP, "slack_sdk\n", internet, tls_internet)
    out = shost.invoke("slack_fn", event).value
    assert out["web"] == [200, "/echo", '{"channel": "C1"}', "Bearer xoxb-test"]
    assert out["hook"] == [200, '{"text": "hello"}']
    assert out["refused"][0] == "URLError" and "slack.com" in out["refused"][1]


URLLIB3_APP = textwrap.dedent('''
    import urllib3

    http = urllib3.PoolManager()

    def handler(event, context):
        out = {"hello": http.request("GET", event["https"] + "/hello").data.decode()}
        try:
            http.request("POST", "https://hooks.slack.com/services/x", body=b"{}", retries=urllib3.Retry(2))
        except urllib3.exceptions.MaxRetryError as e:
            out["refused"] = [type(e.reason).__name__, str(e.reason)]
        return out
''')


def test_urllib3_reports_a_refused_request_as_a_connection_it_could_not_make(shost, tmp_path, internet,
                                                                           tls_internet):
    """As on Lambda when a host cannot be reached: NewConnectionError, retried, then
    MaxRetryError (not a ProtocolError, "Connection aborted", from a request cut off)."""
    event = _deploy(shost, tmp_path, "urllib3_fn", URLLIB3_APP, "", internet, tls_internet)
    out = shost.invoke("urllib3_fn", event).value
    assert out["hello"] == "hello from the internet"
    assert out["refused"][0] == "NewConnectionError"
    assert "hooks.slack.com" in out["refused"][1] and "allowed_hosts" in out["refused"][1]


CRHELPER_APP = textwrap.dedent('''
    import time
    from crhelper import CfnResource

    helper = CfnResource(log_level="INFO", sleep_on_delete=0)

    @helper.create
    def create(event, context):
        helper.Data["Answer"] = 42
        return "resource-1"

    def handler(event, context):
        t0 = time.monotonic()
        helper(event, context)
        return {"took": time.monotonic() - t0}
''')


def test_a_crhelper_custom_resource_answers_cloudformation(shost, tmp_path, internet, tls_internet):
    """crhelper (CloudFormation custom resources): it imports ssl, sends its answer with
    http.client's HTTPSConnection and a context, and guards the deadline with a
    threading.Timer it cancels (which used to hold the handler up until the deadline)."""
    event = _deploy(shost, tmp_path, "crhelper_fn", CRHELPER_APP, "crhelper\n", internet, tls_internet)
    cfn = {"RequestType": "Create", "ResponseURL": event["https"] + "/echo", "RequestId": "r1",
           "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1", "LogicalResourceId": "X",
           "ResourceType": "Custom::X", "ResourceProperties": {}}
    res = shost.invoke("crhelper_fn", cfn)
    assert res.value["took"] < 5  # the invocation's deadline is 10 s
    assert "CloudFormation returned status code: OK" in res.logs
    assert "Execution is about to time out" not in res.logs


AIOHTTP_APP = textwrap.dedent('''
    import asyncio, aiohttp

    async def main(url, https):
        out = {}
        async with aiohttp.ClientSession() as session:
            async with session.get(https + "/hello") as r:
                out["https"] = [r.status, await r.text(), r.headers["X-Served-By"]]
            async with session.post(url + "/echo?q=1", json={"n": 1}) as r:
                doc = await r.json()
                out["post"] = [doc["method"], doc["path"], doc["body"]]
            async with session.get(url + "/redirect", params={"to": "/hello"}) as r:
                out["redirect"] = [await r.text(), [h.status for h in r.history]]
            answers = await asyncio.gather(*(session.get(url + "/hello") for _ in range(3)))
            out["gather"] = [await r.text() for r in answers]
            try:
                await session.get("https://example.com/")
            except aiohttp.ClientConnectionError as e:
                out["refused"] = str(e)
        try:  # not HTTP: nothing can carry it
            reader, writer = await asyncio.open_connection("127.0.0.1", 6379)
            writer.write(b"PING\\r\\n")
        except PermissionError as e:
            out["not_http"] = str(e)
        return out

    def handler(event, context):
        return asyncio.run(main(event["url"], event["https"]))
''')


def test_aiohttp_sends_through_the_host(shost, tmp_path, internet, tls_internet):
    """aiohttp's client connects with asyncio's create_connection: its connections are
    the host's (names resolved there, TLS done there); a refusal is aiohttp's own
    connection error; a protocol that is not HTTP fails saying why."""
    event = _deploy(shost, tmp_path, "aiohttp_fn", AIOHTTP_APP, "aiohttp\n", internet, tls_internet)
    out = shost.invoke("aiohttp_fn", event).value
    assert out["https"] == [200, "hello from the internet", "internet"]
    assert out["post"] == ["POST", "/echo?q=1", '{"n": 1}']
    assert out["redirect"] == ["hello from the internet", [302]]
    assert out["gather"] == ["hello from the internet"] * 3
    assert "example.com" in out["refused"] and "allowed_hosts" in out["refused"]
    assert "only HTTP goes out" in out["not_http"]
