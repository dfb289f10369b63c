"""Lambda's invoke features beyond the event, through a real server and real clients:
true response streaming (a Node.js ``awslambda.streamifyResponse`` handler's writes
reach boto3's InvokeWithResponseStream and a RESPONSE_STREAM function URL while the
handler still runs) and Invoke's ClientContext for Node.js and Python.

"While the handler still runs" is shown without clocks: the handler writes, then waits
on a gate (an HTTP request to a server of this module) that the test opens only after
it has read the first chunk; a server that held the answer back would never send it
(the client's read timeout fails the test instead of hanging it)."""

import base64
import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest

from live import Server, lambda_client, zip_files

STREAMER = """
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const mode = event.mode || (event.queryStringParameters || {}).mode;  // Invoke's event, or a URL's
  if (mode === "plain") {  // no prelude: the stream's own content type
    responseStream.setContentType("text/plain");
  } else {
    responseStream = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 201, headers: { "content-type": "text/plain", "x-streamed": "yes" }, cookies: ["a=1"] });
  }
  responseStream.write("first\\n");
  if (event.gate) await fetch(event.gate);  // held until the test has read "first"
  responseStream.write(`second ${JSON.stringify(context.clientContext ?? null)}\\n`);
  if (mode === "fail") throw new TypeError("broke mid-stream");
  if (mode === "spin") for (;;) {}
  responseStream.end("last");
});
"""
PLAIN = """
exports.handler = async (event, context) => ({ clientContext: context.clientContext ?? null,
                                              identity: context.identity ?? null, event });
"""
PY = """
def handler(event, context):
    cc = context.client_context
    if cc is None:
        return None
    return {"custom": cc.custom, "env": cc.env, "client": cc.client and {
        "installation_id": cc.client.installation_id, "app_title": cc.client.app_title,
        "app_version_name": cc.client.app_version_name, "app_version_code": cc.client.app_version_code,
        "app_package_name": cc.client.app_package_name}}
"""
ROLE = "arn:aws:iam::000000000000:role/r"


class Gates:
    """An HTTP server whose ``/gate/<n>`` answers only once the test opens gate n."""

    def __init__(self) -> None:
        self.events: dict[str, threading.Event] = {}
        self.arrived: dict[str, threading.Event] = {}
        gates = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                gates.arrived_at(name).set()
                gates.gate(name).wait(120)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.count = 0

    def gate(self, name: str) -> threading.Event:
        return self.events.setdefault(name, threading.Event())

    def arrived_at(self, name: str) -> threading.Event:
        return self.arrived.setdefault(name, threading.Event())

    def new(self) -> tuple[str, threading.Event]:
        self.count += 1
        name = str(self.count)
        return f"http://127.0.0.1:{self.port}/gate/{name}", self.gate(name)

    def close(self) -> None:
        for e in self.events.values():
            e.set()
        self.server.shutdown()


@pytest.fixture(scope="module")
def gates():
    g = Gates()
    yield g
    g.close()


def share_cache(data_dir, cache):
    """``data_dir`` (made) with its artifact cache a link to the session's (runtime_cache)."""
    data_dir.mkdir(parents=True)
    (data_dir / "cache").symlink_to(cache, target_is_directory=True)
    return data_dir


def _compile_runtimes(root, cache):
    """The runtimes are compiled into the server's artifact cache first, in-process (as
    tests/server/test_real_handlers.py does), or found there: the session's shared one."""
    from wasmhost import FunctionConfig, Host
    (root / "warm.py").write_text("def handler(e, c):\n    return 1\n")
    (root / "warm.js").write_text("exports.handler = async () => 1;\n")
    with Host(share_cache(root / "data", cache)) as h:
        for src in ("warm.js", "warm.py"):
            try:
                h.deploy("warm", root / src, FunctionConfig(timeout_ms=60_000))
            except Exception:  # a missing toolchain: its test says so and skips
                pass


@pytest.fixture(scope="module")
def server(tmp_path_factory, runtime_cache):
    root = tmp_path_factory.mktemp("streaming")
    _compile_runtimes(root, runtime_cache)
    s = Server(root / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def api(server, gates):
    client = lambda_client(server.url)
    tags = {"wasmhost:allowed-hosts": f"127.0.0.1:{gates.port}"}
    client.create_function(FunctionName="streamer", Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                           Code={"ZipFile": zip_files({"index.mjs": STREAMER})}, Timeout=30, Tags=tags)
    client.create_function(FunctionName="plain", Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                           Code={"ZipFile": zip_files({"index.js": PLAIN})}, Timeout=30)
    return client


def _context(doc) -> str:
    return base64.b64encode(json.dumps(doc).encode()).decode()


def test_invoke_with_response_stream_sends_each_write_as_it_is_written(api, gates):
    """boto3 reads the first PayloadChunk while the handler still waits at its gate; a
    prelude (HttpResponseStream.from) comes first as Lambda sends it (its JSON and eight
    zero bytes); the ClientContext reaches the handler; InvokeComplete ends it."""
    url, gate = gates.new()
    try:
        res = api.invoke_with_response_stream(FunctionName="streamer", LogType="Tail",
                                              Payload=json.dumps({"gate": url}).encode(),
                                              ClientContext=_context({"custom": {"k": "v"}}))
        assert res["StatusCode"] == 200 and res["ExecutedVersion"] == "$LATEST"
        assert res["ResponseStreamContentType"] == "application/vnd.awslambda.http-integration-response"
        events = iter(res["EventStream"])
        prelude = next(events)["PayloadChunk"]["Payload"]
        head, _, rest = prelude.partition(b"\0" * 8)
        assert json.loads(head) == {"statusCode": 201, "headers": {"content-type": "text/plain", "x-streamed": "yes"},
                                    "cookies": ["a=1"]}
        got = rest or next(events)["PayloadChunk"]["Payload"]
        assert got == b"first\n" and not gate.is_set()  # read while the handler waits at the gate
    finally:
        gate.set()
    rest = list(events)
    body = b"".join(e["PayloadChunk"]["Payload"] for e in rest[:-1])
    assert body == b'second {"custom":{"k":"v"}}\nlast'
    complete = rest[-1]["InvokeComplete"]
    assert "ErrorCode" not in complete and "START RequestId: " in base64.b64decode(complete["LogResult"]).decode()


def test_a_stream_that_fails_or_times_out_midway_ends_with_the_error(api, gates):
    """What was written stays sent; InvokeComplete carries Lambda's error."""
    events = list(api.invoke_with_response_stream(FunctionName="streamer", Payload=b'{"mode": "fail"}')["EventStream"])
    chunks = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
    assert chunks.endswith(b"first\nsecond null\n")
    assert events[-1]["InvokeComplete"]["ErrorCode"] == "TypeError"
    assert events[-1]["InvokeComplete"]["ErrorDetails"] == "broke mid-stream"
    api.create_function(FunctionName="short", Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                        Code={"ZipFile": zip_files({"index.mjs": STREAMER})}, Timeout=1)
    events = list(api.invoke_with_response_stream(FunctionName="short", Payload=b'{"mode": "spin"}')["EventStream"])
    assert b"first\n" in b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
    assert events[-1]["InvokeComplete"]["ErrorCode"] == "Sandbox.Timedout"
    assert "timed out after 1.00 seconds" in events[-1]["InvokeComplete"]["ErrorDetails"]
    # the timed-out instance is gone; the function answers the next call
    assert api.invoke(FunctionName="short", Payload=b'{"mode": "plain"}')["StatusCode"] == 200


def test_a_handler_that_does_not_stream_answers_in_one_chunk_and_invoke_stays_buffered(api):
    events = list(api.invoke_with_response_stream(FunctionName="plain", Payload=b'{"a": 1}')["EventStream"])
    assert json.loads(events[0]["PayloadChunk"]["Payload"])["event"] == {"a": 1}
    assert events[1] == {"InvokeComplete": {}}
    # buffered Invoke of the streaming handler keeps its answer: the whole HTTP response
    out = json.loads(api.invoke(FunctionName="streamer", Payload=b"{}")["Payload"].read())
    assert out["statusCode"] == 201 and out["body"] == "first\nsecond null\nlast"


def _open(url: str, path: str = "/") -> http.client.HTTPResponse:
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    conn.request("GET", u.path.rstrip("/") + path)
    return conn.getresponse()


def _until(resp: http.client.HTTPResponse, marker: bytes) -> bytes:
    got = b""
    while marker not in got:
        piece = resp.read1(65536)
        assert piece, f"the body ended before {marker!r}: {got!r}"
        got += piece
    return got


@pytest.fixture(scope="module")
def stream_url(api):
    cfg = api.create_function_url_config(FunctionName="streamer", AuthType="NONE", InvokeMode="RESPONSE_STREAM")
    assert cfg["InvokeMode"] == "RESPONSE_STREAM"
    assert api.get_function_url_config(FunctionName="streamer")["InvokeMode"] == "RESPONSE_STREAM"
    return cfg["FunctionUrl"]


def _read_url_stream(url: str, gates) -> None:
    gate_url, gate = gates.new()
    resp = _open(url, "/?gate=" + gate_url)
    try:
        assert resp.status == 201 and resp.getheader("x-streamed") == "yes"
        assert resp.getheader("Transfer-Encoding") == "chunked" and resp.getheader("Set-Cookie") == "a=1"
        assert _until(resp, b"first\n") == b"first\n" and not gate.is_set()  # the handler is at its gate
    finally:
        gate.set()
    assert resp.read() == b"second null\nlast"


GATED = """
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const gate = event.queryStringParameters && event.queryStringParameters.gate;
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201, headers: { "content-type": "text/plain", "x-streamed": "yes" }, cookies: ["a=1"] });
  stream.write("first\\n");
  if (gate) await fetch(gate);
  if (event.rawPath === "/fail") { stream.write("x"); throw new Error("cut"); }
  stream.write("second null\\n");
  stream.end("last");
});
"""


def _gated(api, gates) -> str:
    api.create_function(FunctionName="gated", Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                        Code={"ZipFile": zip_files({"index.mjs": GATED})}, Timeout=30,
                        Tags={"wasmhost:allowed-hosts": f"127.0.0.1:{gates.port}"})
    return api.create_function_url_config(FunctionName="gated", AuthType="NONE",
                                          InvokeMode="RESPONSE_STREAM")["FunctionUrl"]


@pytest.fixture(scope="module")
def gated_url(api, gates):
    return _gated(api, gates)


def test_a_response_stream_function_url_sends_chunks_while_the_handler_runs(gated_url, gates, api):
    _read_url_stream(gated_url, gates)
    resp = _open(gated_url, "/fail")  # fails after its answer began: the body is cut, not ended
    assert resp.status == 201
    with pytest.raises(http.client.IncompleteRead):
        resp.read()
    # a client that leaves mid-stream: the run goes on to its end; the function serves the next one
    gate_url, gate = gates.new()
    resp = _open(gated_url, "/?gate=" + gate_url)
    _until(resp, b"first\n")
    resp.close()
    gate.set()
    _read_url_stream(gated_url, gates)


def test_a_response_stream_url_through_aiohttp_alone(gates, tmp_path, runtime_cache):
    """``serve --no-fast-path``: the same answer through aiohttp's StreamResponse."""
    other = Server(share_cache(tmp_path / "data", runtime_cache), "--no-fast-path").start()
    try:
        _read_url_stream(_gated(lambda_client(other.url), gates), gates)
    finally:
        other.stop()


def test_url_modes_and_a_handler_that_does_not_stream(api, stream_url):
    """RESPONSE_STREAM with a handler that does not stream sends its result as it is
    (Lambda calls it through InvokeWithResponseStream); the mode can be switched back."""
    api.create_function_url_config(FunctionName="plain", AuthType="NONE", InvokeMode="RESPONSE_STREAM")
    url = api.get_function_url_config(FunctionName="plain")["FunctionUrl"]
    resp = _open(url, "/x")
    assert resp.status == 200 and json.loads(resp.read())["event"]["rawPath"] == "/x"
    resp = _open(stream_url, "/?mode=plain")
    assert resp.status == 200 and resp.getheader("Content-Type") == "text/plain"
    assert resp.read() == b"first\nsecond null\nlast"
    assert api.update_function_url_config(FunctionName="streamer", InvokeMode="BUFFERED")["InvokeMode"] == "BUFFERED"
    resp = _open(stream_url)
    assert resp.status == 201 and resp.getheader("Content-Length") and resp.read() == b"first\nsecond null\nlast"
    api.update_function_url_config(FunctionName="streamer", InvokeMode="RESPONSE_STREAM")


def test_client_context_reaches_node_and_python_handlers(api, server):
    doc = {"client": {"installation_id": "i-1", "app_title": "t", "app_version_name": "1.0",
                      "app_version_code": "7", "app_package_name": "p"},
           "custom": {"k": "v"}, "env": {"platform": "linux"}}
    out = json.loads(api.invoke(FunctionName="plain", ClientContext=_context(doc), Payload=b"{}")["Payload"].read())
    assert out["clientContext"] == doc and out["identity"] is None
    out = json.loads(api.invoke(FunctionName="plain", Payload=b"{}")["Payload"].read())
    assert out["clientContext"] is None
    pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")
    api.create_function(FunctionName="py_context", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_files({"app.py": PY})}, Timeout=30)
    out = json.loads(api.invoke(FunctionName="py_context", ClientContext=_context(doc), Payload=b"{}")["Payload"].read())
    assert out == doc
    assert json.loads(api.invoke(FunctionName="py_context", Payload=b"{}")["Payload"].read()) is None
    partial = {"custom": {"only": 1}}
    out = json.loads(api.invoke(FunctionName="py_context", ClientContext=_context(partial),
                                Payload=b"{}")["Payload"].read())
    assert out == {"custom": {"only": 1}, "env": None, "client": None}


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"not json").decode(),
                                   base64.b64encode(b"[1, 2]").decode(), base64.b64encode(b"\xff\xfe").decode(),
                                   _context({"custom": {"big": "x" * 3000}})])
def test_a_bad_client_context_is_refused(api, value):
    with pytest.raises(api.exceptions.InvalidRequestContentException, match="Client context"):
        api.invoke(FunctionName="plain", ClientContext=value, Payload=b"{}")
    with pytest.raises(api.exceptions.InvalidRequestContentException, match="Client context"):
        list(api.invoke_with_response_stream(FunctionName="plain", ClientContext=value, Payload=b"{}")["EventStream"])
