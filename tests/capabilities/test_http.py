"""Outbound HTTP under the allow-list, against a real local server as the internet:
Python functions with urllib.request, http.client and requests, and the core ABI."""

from __future__ import annotations

import json
import textwrap

import pytest

from wasmhost import DeployError, FunctionConfig, Host, InvocationTimeout
from wasmhost.capabilities import allowlist, http

APP = textwrap.dedent('''
    import http.client, json, urllib.error, urllib.request

    def handler(event, context):
        how, url = event["how"], event["url"]
        try:
            if how == "urllib":
                req = urllib.request.Request(url, data=event.get("body", "").encode() or None,
                                             headers={"X-Test": "1"}, method=event.get("method", "GET"))
                with urllib.request.urlopen(req) as r:
                    return {"status": r.status, "body": r.read().decode(), "url": r.url,
                            "served_by": r.headers.get("X-Served-By")}
            if how == "http.client":
                parts = urllib.parse.urlsplit(url)
                conn = http.client.HTTPConnection(parts.hostname, parts.port)
                conn.request("POST", parts.path, body=b"\\x00\\xffbinary", headers={"Content-Type": "x/y"})
                r = conn.getresponse()
                first = {"status": r.status, "body": r.read().decode()}
                conn.request("GET", "/hello")  # the same connection object again
                return {**first, "second": conn.getresponse().read().decode()}
        except urllib.error.URLError as e:
            return {"refused": type(e.reason).__name__, "message": str(e.reason)}
        except PermissionError as e:
            return {"refused": type(e).__name__, "message": str(e)}
''')


@pytest.fixture(scope="module")
def hosts(tmp_path_factory, internet, artifact_cache):
    """One host with the same function deployed under different allow-lists."""
    tmp = tmp_path_factory.mktemp("http")
    app = tmp / "app.py"
    app.write_text(APP)
    h = Host(tmp / "data", cache_dir=artifact_cache)
    port = internet.port
    h.deploy("allowed", app, FunctionConfig(allowed_hosts=(f"127.0.0.1:{port}",), timeout_ms=3000))
    h.deploy("denied", app)
    h.deploy("by_name", app, FunctionConfig(allowed_hosts=(f"localhost:{port}",)))
    h.deploy("short", app, FunctionConfig(allowed_hosts=(f"127.0.0.1:{port}",), timeout_ms=600))
    yield h
    h.close()


def call(h: Host, fn: str, **event):
    return h.invoke(fn, event)


def test_allowed_get_with_urllib(hosts, internet):
    res = call(hosts, "allowed", how="urllib", url=internet.url + "/hello")
    assert res.value == {"status": 200, "body": "hello from the internet", "url": internet.url + "/hello",
                         "served_by": "internet"}
    assert res.report.outbound_requests == 1
    assert res.report.outbound_bytes == len("hello from the internet")
    assert "Outbound Requests: 1" in res.report.line()


def test_post_with_urllib_carries_method_headers_and_body(hosts, internet):
    out = call(hosts, "allowed", how="urllib", url=internet.url + "/echo?q=1", method="PUT", body="payload").value
    doc = json.loads(out["body"])
    assert doc["method"] == "PUT" and doc["path"] == "/echo?q=1" and doc["body"] == "payload"
    assert doc["headers"]["X-Test"] == "1"


def test_http_client_binary_body_and_connection_reuse(hosts, internet):
    out = call(hosts, "allowed", how="http.client", url=internet.url + "/echo").value
    doc = json.loads(out["body"])
    assert out["status"] == 200 and doc["body"] == "\x00\xffbinary" and doc["headers"]["Content-Type"] == "x/y"
    assert out["second"] == "hello from the internet"


def test_refused_by_name_says_which_setting(hosts, internet):
    out = call(hosts, "denied", how="urllib", url=internet.url + "/hello").value
    assert out["refused"] == "OutboundRefused"
    assert f"127.0.0.1:{internet.port}" in out["message"] and "allowed_hosts" in out["message"]
    assert "wasmhost:allowed-hosts" in out["message"]


def test_refused_by_resolved_address(hosts, internet):
    """localhost is allowed by name, but it resolves to loopback, which only a literal entry opens."""
    out = call(hosts, "by_name", how="urllib", url=f"http://localhost:{internet.port}/hello").value
    assert out["refused"] == "OutboundRefused"
    assert "non-public address" in out["message"] and "127.0.0.1" in out["message"]


def test_metadata_address_is_refused_even_under_a_wildcard(tmp_path):
    state = http.HttpState(http.AllowList(("*",)))
    with pytest.raises(http.Refused, match="not in this function's allowed_hosts"):  # a literal address
        http.request(state, 2**62, "GET", "http://169.254.169.254/latest/meta-data/", [], b"", False)


def test_redirect_to_a_refused_host_is_refused(hosts, internet):
    target = f"http://10.1.2.3:{internet.port}/hello"
    out = call(hosts, "allowed", how="urllib", url=f"{internet.url}/redirect?to={target}").value
    assert out["refused"] == "OutboundRefused" and "10.1.2.3" in out["message"]


def test_redirect_inside_the_allow_list_is_followed(hosts, internet):
    out = call(hosts, "allowed", how="urllib", url=f"{internet.url}/redirect?to=/hello").value
    assert out["status"] == 200 and out["url"] == internet.url + "/hello"


def test_slow_server_hits_the_invocation_timeout(hosts, internet):
    with pytest.raises(InvocationTimeout) as e:
        call(hosts, "short", how="urllib", url=internet.url + "/slow?s=5")
    assert e.value.report.status == "timeout"
    assert 550 <= e.value.report.duration_ms < 1500
    assert call(hosts, "allowed", how="urllib", url=internet.url + "/hello").value["status"] == 200


def test_huge_response_hits_the_cap(hosts, internet):
    out = call(hosts, "allowed", how="urllib", url=internet.url + "/huge").value
    assert out["refused"] == "OutboundRefused" and f"{http.MAX_RESPONSE_BODY}-byte limit" in out["message"]


def test_side_effecting_functions_never_run_speculatively(hosts):
    fn = hosts._functions["allowed"]
    assert not fn.speculate and not fn.abi.speculative


def test_allow_list_rules():
    allow = allowlist.AllowList(("api.example.com", "*.example.org", "127.0.0.1:8080", "[::1]:9000", "any.test:*"))
    assert allow.rule_for("api.example.com", 443, 443) and allow.rule_for("api.example.com", 80, 80)
    assert not allow.rule_for("api.example.com", 8443, 443)  # a port must be named
    assert allow.rule_for("a.b.example.org", 443, 443) and not allow.rule_for("example.org", 443, 443)
    assert not allow.rule_for("evilexample.org", 443, 443)
    assert allow.rule_for("127.0.0.1", 8080, 80) and not allow.rule_for("127.0.0.1", 8081, 80)
    assert allow.rule_for("::1", 9000, 80) and allow.rule_for("any.test", 1234, 80)
    for bad in ("", "a b", "*.*.x", "host:0", "host:99999", "ex*ample.com"):
        with pytest.raises(DeployError):
            FunctionConfig(allowed_hosts=(bad,))
    assert FunctionConfig(allowed_hosts="a.com, b.com:81 .c.org").allowed_hosts == ("a.com", "b.com:81", ".c.org")
    assert allowlist.AllowList((".c.org",)).rule_for("x.c.org", 443, 443)


@pytest.mark.parametrize("addr", ["10.0.0.1", "192.168.1.1", "172.16.0.1", "169.254.169.254", "127.0.0.1",
                                  "::1", "fe80::1", "::ffff:127.0.0.1", "100.64.0.1", "0.0.0.0"])
def test_non_public_addresses(addr):
    import ipaddress
    assert not allowlist.public(ipaddress.ip_address(addr))


REQUESTS_APP = textwrap.dedent('''
    import requests

    def handler(event, context):
        try:
            if event.get("post"):
                r = requests.post(event["url"], json={"n": 1}, headers={"X-Test": "r"}, timeout=2)
            else:
                r = requests.get(event["url"], params={"a": "b"})
            return {"status": r.status_code, "text": r.text, "ctype": r.headers.get("content-type"),
                    "history": [h.status_code for h in r.history], "url": r.url}
        except requests.exceptions.ConnectionError as e:
            return {"refused": type(e).__name__, "message": str(e)}
''')


@pytest.fixture(scope="module")
def requests_host(tmp_path_factory, internet, artifact_cache):
    code = tmp_path_factory.mktemp("requests_fn")
    (code / "app.py").write_text(REQUESTS_APP)
    (code / "requirements.txt").write_text("requests\n")
    h = Host(tmp_path_factory.mktemp("rdata"), cache_dir=artifact_cache)
    try:
        h.deploy("req", code, FunctionConfig(allowed_hosts=(f"127.0.0.1:{internet.port}",)))
    except DeployError as e:
        h.close()
        pytest.skip(f"requests could not be installed for the function: {e} (CI needs a package index)")
    yield h
    h.close()


def test_requests_get_post_and_redirects(requests_host, internet):
    out = requests_host.invoke("req", {"url": internet.url + "/hello"}).value
    assert out["status"] == 200 and out["text"] == "hello from the internet"
    out = requests_host.invoke("req", {"url": internet.url + "/echo", "post": True}).value
    doc = json.loads(out["text"])
    assert doc["method"] == "POST" and json.loads(doc["body"]) == {"n": 1} and doc["headers"]["X-Test"] == "r"
    out = requests_host.invoke("req", {"url": f"{internet.url}/redirect?to=/hello"}).value
    assert out["history"] == [302] and out["text"] == "hello from the internet"


def test_requests_refusal_is_a_connection_error_naming_the_host(requests_host):
    out = requests_host.invoke("req", {"url": "https://example.com/"}).value
    assert out["refused"] == "ConnectionError"
    assert "example.com" in out["message"] and "allowed_hosts" in out["message"]


def test_core_module_import(tmp_path, internet):
    import msgpack

    from internet import http_guest
    with Host(tmp_path / "data") as h:
        wat = http_guest({"method": "POST", "url": internet.url + "/echo", "headers": [["X-Core", "yes"]],
                          "body": b"\x01\x02"})
        h.deploy("core", wat.encode(), FunctionConfig(allowed_hosts=(f"127.0.0.1:{internet.port}",)))
        h.deploy("core_denied", wat.encode())
        assert not h._functions["core"].speculate  # it imports a side-effecting capability
        res = h.invoke("core", b"")
        reply = msgpack.unpackb(res.payload)
        doc = json.loads(reply["body"])
        assert reply["status"] == 200 and doc["body"] == "\x01\x02" and doc["headers"]["X-Core"] == "yes"
        assert res.report.outbound_requests == 1 and res.report.outbound_bytes == 2 + len(reply["body"])
        reply = msgpack.unpackb(h.invoke("core_denied", b"").payload)
        assert reply["error"] == "Refused" and "allowed_hosts" in reply["message"]
        h.ledger.flush()
        assert h.ledger.totals("core")["outbound_requests"] == 1


def test_https_checks_certificates(tls_internet, monkeypatch):
    server, cert = tls_internet
    allowed = http.HttpState(http.AllowList((f"127.0.0.1:{server.port}",)))
    url = f"https://127.0.0.1:{server.port}/hello"
    with pytest.raises(http.Failed, match="certificate"):  # a CA this host does not trust
        http.request(allowed, 2**62, "GET", url, [], b"", False)
    import ssl
    trusting = ssl.create_default_context(cafile=str(cert))
    from wasmhost.capabilities import http_connection
    monkeypatch.setattr(http_connection, "_TLS", trusting)
    status, _, _, body, _ = http.request(allowed, 2**62, "GET", url, [], b"", False)
    assert status == 200 and body == b"hello from the internet"


# -- name resolution: bounded by the deadline, every address tried and checked -------------------
@pytest.fixture
def resolver(monkeypatch):
    """A resolver the test controls, put where the capability looks one up: a name maps to
    its addresses (in order), or to an Event the lookup hangs on until the test ends."""
    import socket
    import threading
    names: dict[str, list[str] | threading.Event] = {}
    from wasmhost.capabilities import http_connection
    real = http_connection._getaddrinfo

    def getaddrinfo(host, port, type=0):
        found = names.get(host)
        if found is None:
            return real(host, port, type=type)
        if isinstance(found, threading.Event):
            found.wait(30)
            raise socket.gaierror(socket.EAI_AGAIN, "the test's resolver hung")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in found]

    monkeypatch.setattr(http_connection, "_getaddrinfo", getaddrinfo)
    yield names
    for v in names.values():
        if isinstance(v, threading.Event):
            v.set()


def _state(*allowed: str) -> http.HttpState:
    return http.HttpState(http.AllowList(allowed))


def _soon(ms: int = 3000) -> int:
    import time
    return time.perf_counter_ns() + ms * 1_000_000


def test_a_hanging_dns_lookup_ends_with_the_invocation(resolver, internet, tmp_path):
    """The lookup runs off the guest's thread and is waited for only until the deadline: the
    invocation times out (a timeout, not a connection error) and the host serves on."""
    import threading

    from internet import http_guest
    resolver["hang.test"] = threading.Event()
    with pytest.raises(InvocationTimeout, match="resolving hang.test"):
        http.request(_state(f"hang.test:{internet.port}"), _soon(200), "GET",
                     f"http://hang.test:{internet.port}/hello", [], b"", False)
    with Host(tmp_path / "data") as h:
        h.deploy("hangs", http_guest({"url": f"http://hang.test:{internet.port}/hello"}).encode(),
                 FunctionConfig(allowed_hosts=(f"hang.test:{internet.port}",), timeout_ms=300))
        h.deploy("fine", http_guest({"url": internet.url + "/hello"}).encode(),
                 FunctionConfig(allowed_hosts=(f"127.0.0.1:{internet.port}",)))
        with pytest.raises(InvocationTimeout) as e:
            h.invoke("hangs", b"")
        assert e.value.report.status == "timeout"
        import msgpack
        assert msgpack.unpackb(h.invoke("fine", b"").payload)["status"] == 200  # while the lookup still hangs


def test_every_resolved_address_is_tried_in_turn(resolver, internet):
    """The first address refuses the connection (nothing listens on 127.0.0.2), the second answers."""
    resolver["multi.test"] = ["127.0.0.2", "127.0.0.1"]
    p = internet.port
    state = _state(f"multi.test:{p}", f"127.0.0.2:{p}", f"127.0.0.1:{p}")
    status, _, _, body, _ = http.request(state, _soon(), "GET", f"http://multi.test:{p}/hello", [], b"", False)
    assert status == 200 and body == b"hello from the internet"


def test_a_connection_failing_at_every_address_names_each(resolver, internet):
    resolver["dead.test"] = ["127.0.0.2", "127.0.0.3"]
    p = internet.port
    with pytest.raises(http.Failed, match=r"dead.test.*127\.0\.0\.2: .*127\.0\.0\.3: "):
        http.request(_state(f"dead.test:{p}", f"127.0.0.2:{p}", f"127.0.0.3:{p}"), _soon(), "GET",
                     f"http://dead.test:{p}/hello", [], b"", False)


def test_each_resolved_address_is_checked(resolver, internet):
    """A name is refused when any address it resolves to is non-public and not named
    literally, even when an earlier one would have been allowed (DNS rebinding)."""
    resolver["mixed.test"] = ["127.0.0.1", "10.9.8.7"]
    p = internet.port
    with pytest.raises(http.Refused, match=r"resolves to 10\.9\.8\.7.*\"10\.9\.8\.7:\d+\""):
        http.request(_state(f"mixed.test:{p}", f"127.0.0.1:{p}"), _soon(), "GET", f"http://mixed.test:{p}/hello",
                     [], b"", False)
    resolver["v6.test"] = ["::1"]
    with pytest.raises(http.Refused, match=r"\"\[::1\]:\d+\""):
        http.request(_state(f"v6.test:{p}"), _soon(), "GET", f"http://v6.test:{p}/hello", [], b"", False)


URLLIB3_APP = textwrap.dedent('''
    import json
    import urllib3

    http = urllib3.PoolManager()  # at module level, as the Slack/SNS notifier examples do

    def handler(event, context):
        try:
            r = http.request("POST", event["url"], body=json.dumps({"text": "disk full"}).encode(),
                             headers={"Content-Type": "application/json"})
            again = http.request("GET", event["url"])  # the pool's connection, reused
            return {"status": r.status, "echo": json.loads(r.data), "again": again.status,
                    "urllib3": urllib3.__file__}
        except urllib3.exceptions.HTTPError as e:
            return {"refused": type(e).__name__, "message": str(e)}
''')


def test_urllib3_without_packaging_it_goes_through_the_host(tmp_path, internet, artifact_cache):
    """urllib3 comes with boto3 on Lambda (handlers use it unpackaged); its sockets are the host's."""
    (tmp_path / "app.py").write_text(URLLIB3_APP)
    with Host(tmp_path / "data", cache_dir=artifact_cache) as h:
        h.deploy("u3", tmp_path / "app.py", FunctionConfig(allowed_hosts=(f"127.0.0.1:{internet.port}",),
                                                           timeout_ms=10_000))
        out = h.invoke("u3", {"url": internet.url + "/echo"}).value
        assert out["status"] == 200 and out["again"] == 200
        assert out["echo"]["method"] == "POST" and json.loads(out["echo"]["body"]) == {"text": "disk full"}
        assert out["urllib3"].startswith("/var/lang/lib/python3.12/site-packages/")
        h.deploy("u3_denied", tmp_path / "app.py", FunctionConfig(timeout_ms=10_000))
        out = h.invoke("u3_denied", {"url": "https://example.com/"}).value
        # the host refuses as the request is sent: urllib3 reports a failed exchange, naming why
        assert out["refused"] in ("ProtocolError", "MaxRetryError") and "allowed_hosts" in out["message"]
