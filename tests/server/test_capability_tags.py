"""Capabilities granted through the Lambda API's tags, and their counters in /metrics."""

import io
import zipfile

import msgpack
import pytest
import wasmtime

from internet import http_guest
from live import Server, lambda_client


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("tags") / "data").start()
    yield s
    s.stop()


def _zip(wat: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("fetch.wasm", wasmtime.wat2wasm(wat))
    return buf.getvalue()


def test_allowed_hosts_tag_grants_outbound_http_and_metrics_count_it(server, internet):
    client = lambda_client(server.url)
    code = {"ZipFile": _zip(http_guest({"url": internet.url + "/hello"}))}
    common = dict(Runtime="wasm32", Role="arn:aws:iam::000000000000:role/any", Handler="fetch.wasm", Code=code)
    client.create_function(FunctionName="granted", Tags={"wasmhost:allowed-hosts": f"example.com .example.org 127.0.0.1:{internet.port}"},
                           **common)
    client.create_function(FunctionName="ungranted", **common)
    reply = msgpack.unpackb(client.invoke(FunctionName="granted")["Payload"].read())
    assert reply["status"] == 200 and reply["body"] == b"hello from the internet"
    reply = msgpack.unpackb(client.invoke(FunctionName="ungranted")["Payload"].read())
    assert reply["error"] == "Refused" and "wasmhost:allowed-hosts" in reply["message"]
    assert server.metric('wasmhost_outbound_requests_total{function="granted"}') == 1
    assert server.metric('wasmhost_outbound_bytes_total{function="granted"}') == len("hello from the internet")
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="allowed_hosts"):
        client.create_function(FunctionName="bad", Tags={"wasmhost:allowed-hosts": "example.com:99999"}, **common)


def test_invoke_endpoint_reports_outbound_usage_in_headers(server, internet):
    import urllib.request
    client = lambda_client(server.url)
    client.create_function(FunctionName="fetcher", Runtime="wasm32", Role="arn:aws:iam::000000000000:role/any",
                           Handler="fetch.wasm", Code={"ZipFile": _zip(http_guest({"url": internet.url + "/hello"}))},
                           Tags={"wasmhost:allowed-hosts": f"127.0.0.1:{internet.port}"})
    with urllib.request.urlopen(urllib.request.Request(server.url + "/invoke/fetcher", data=b"")) as r:
        assert r.headers["X-Wasmhost-Outbound-Requests"] == "1"
        assert r.headers["X-Wasmhost-Outbound-Bytes"] == str(len("hello from the internet"))
