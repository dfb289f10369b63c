"""HTTP/1.1 framing, table-driven, against ``serve`` (llhttp on the fast path) and
``serve --no-fast-path`` (aiohttp alone): each raw request is sent with a well-formed
``POST /invoke/echo`` pipelined behind it, and the answers must be exactly the
expected statuses, in order, with the connection closed where a server cannot know
where the next request starts. An extra answer is a smuggled request; a missing one,
or a connection left open, is a wedge."""

from __future__ import annotations

import json
import os
import socket
import time

import pytest
from botocore.exceptions import ClientError

from live import Server, create, lambda_client

NEXT = b"POST /invoke/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nnext"
OPEN, CLOSED, WEDGED = "open", "closed", "wedged"


def req(head: str, body: bytes = b"") -> bytes:
    return head.replace("\n", "\r\n").encode("latin-1") + b"\r\n" + body


# (id, raw bytes, expected statuses of the answers, then the connection: OPEN means the
# pipelined NEXT is answered 200 "next" after them; CLOSED means nothing more is answered)
# A tuple of statuses: either is right (the two parsers word the same refusal differently).
# Where aiohttp alone (--no-fast-path) frames differently, ALONE says how, and why.
CASES: list[tuple[str, bytes, list, str]] = [
    ("content-length", req("POST /invoke/echo HTTP/1.1\nHost: x\nContent-Length: 2\n", b"hi"), [200], OPEN),
    ("chunked", req("POST /invoke/echo HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n",
                    b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), [200], OPEN),
    ("chunk extension and trailer", req("POST /invoke/echo HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n",
                                        b"3;x=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"), [200], OPEN),
    ("lambda invoke", req("POST /2015-03-31/functions/echo/invocations HTTP/1.1\nHost: x\nContent-Length: 2\n",
                          b"{}"), [200], OPEN),
    ("lent to aiohttp", req("GET /healthz HTTP/1.1\nHost: x\n"), [200], OPEN),
    ("GET with a body", req("GET /healthz HTTP/1.1\nHost: x\nContent-Length: 4\n", b"abcd"), [200], OPEN),
    ("unknown route, body unread", req("POST /nowhere HTTP/1.1\nHost: x\nContent-Length: 3\n", b"abc"), [404], OPEN),
    ("HEAD on a trigger", req("HEAD /http/echo/x HTTP/1.1\nHost: x\n"), [200], OPEN),
    ("trigger 204", req("GET /http/status/s/204 HTTP/1.1\nHost: x\n"), [204], OPEN),
    ("trigger 304", req("GET /http/status/s/304 HTTP/1.1\nHost: x\n"), [304], OPEN),
    ("trigger 100", req("GET /http/status/s/100 HTTP/1.1\nHost: x\n"), [502], OPEN),
    ("trigger 101", req("GET /http/status/s/101 HTTP/1.1\nHost: x\n"), [502], OPEN),
    ("trigger 103", req("GET /http/status/s/103 HTTP/1.1\nHost: x\n"), [502], OPEN),
    ("1.0 trigger 204", req("GET /http/status1/s/204 HTTP/1.1\nHost: x\n"), [204], OPEN),
    ("Connection: close", req("POST /invoke/echo HTTP/1.1\nHost: x\nConnection: close\nContent-Length: 1\n", b"a"),
     [200], CLOSED),
    ("Connection: closex is not close", req("GET /healthz HTTP/1.1\nHost: x\nConnection: closex\n"), [200], OPEN),
    ("close among tokens", req("GET /healthz HTTP/1.1\nHost: x\nConnection: keep-alive, close\n"), [200], CLOSED),
    ("HTTP/1.0", req("POST /invoke/echo HTTP/1.0\nContent-Length: 1\n", b"a"), [200], CLOSED),
    ("HTTP/1.0 keep-alive", req("POST /invoke/echo HTTP/1.0\nConnection: keep-alive\nContent-Length: 1\n", b"a"),
     [200], OPEN),
    ("Expect: 100-continue", req("POST /invoke/echo HTTP/1.1\nHost: x\nExpect: 100-continue\nContent-Length: 2\n",
                                 b"hi"), [100, 200], OPEN),
    ("Expect: other", req("POST /invoke/echo HTTP/1.1\nHost: x\nExpect: 200-ok\nContent-Length: 2\n", b"hi"),
     [417], CLOSED),
    # refused: 400 and close
    ("no Host in HTTP/1.1", req("POST /invoke/echo HTTP/1.1\nContent-Length: 1\n", b"a"), [400], CLOSED),
    ("two Hosts", req("GET /healthz HTTP/1.1\nHost: a\nHost: b\n"), [400], CLOSED),
    ("CL and TE (CL.TE)", req("POST /invoke/echo HTTP/1.1\nHost: x\nContent-Length: 4\nTransfer-Encoding: chunked\n",
                              b"0\r\n\r\n"), [400], CLOSED),
    ("TE and CL (TE.CL)", req("POST /invoke/echo HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\nContent-Length: 3\n",
                              b"0\r\n\r\n"), [400], CLOSED),
    ("two Content-Lengths", req("POST /invoke/echo HTTP/1.1\nHost: x\nContent-Length: 1\nContent-Length: 2\n", b"ab"),
     [400], CLOSED),
    ("signed Content-Length", req("POST /invoke/echo HTTP/1.1\nHost: x\nContent-Length: +2\n", b"ab"), [400], CLOSED),
    ("Content-Length of 4,300 digits", req("POST /invoke/echo HTTP/1.1\nHost: x\nContent-Length: " + "9" * 4300 + "\n"),
     [400], CLOSED),
    ("TE: xchunked", req("POST /invoke/echo HTTP/1.1\nHost: x\nTransfer-Encoding: xchunked\n", b"0\r\n\r\n"),
     [400], CLOSED),
    ("TE: chunked, then identity", req("POST /invoke/echo HTTP/1.1\nHost: x\nTransfer-Encoding: chunked, identity\n",
                                       b"0\r\n\r\n"), [400], CLOSED),
    ("name with NUL: TE", req("POST /invoke/echo HTTP/1.1\nHost: x\nTransfer-Encoding\0: chunked\nContent-Length: 5\n",
                              b"0\r\n\r\n"), [400], CLOSED),
    ("name with VT: CL", req("POST /invoke/echo HTTP/1.1\nHost: x\nContent-Length\x0b: 5\n", b"abcde"), [400], CLOSED),
    ("name with slash: CL", req("POST /invoke/echo HTTP/1.1\nHost: x\nContent-Length/: 5\n", b"abcde"), [400], CLOSED),
    ("space before colon", req("POST /invoke/echo HTTP/1.1\nHost: x\nContent-Length : 2\n", b"ab"), [400], CLOSED),
    ("obs-fold", req("GET /healthz HTTP/1.1\nHost: x\nX-A: 1\n  folded\n"), [400], CLOSED),
    ("control byte in a value", req("GET /healthz HTTP/1.1\nHost: x\nX-A: a\x01b\n"), [400], CLOSED),
    ("control byte in the target", req("GET /he\x01althz HTTP/1.1\nHost: x\n"), [400], CLOSED),
    ("bare LF", b"GET /healthz HTTP/1.1\nHost: x\n\n", [400], CLOSED),
    ("unknown method", req("FOO /http/echo/ HTTP/1.1\nHost: x\n"), [400], CLOSED),
    ("HTTP/1.2", req("GET /healthz HTTP/1.2\nHost: x\n"), [(400, 505)], CLOSED),
    ("bad chunk size", req("POST /invoke/echo HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n", b"3x\r\nabc\r\n0\r\n\r\n"),
     [400], CLOSED),
    ("chunk size overflow", req("POST /invoke/echo HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n",
                                b"fffffffffffffffff1\r\nabc\r\n0\r\n\r\n"), [400], CLOSED),
    ("129 headers", req("GET /healthz HTTP/1.1\nHost: x\n" + "".join(f"X-{i}: {i}\n" for i in range(129))),
     [(400, 431)], CLOSED),
    ("header line over 8190", req("GET /healthz HTTP/1.1\nHost: x\nX-Big: " + "a" * 8200 + "\n"), [(400, 431)], CLOSED),
    ("target over 8190", req("GET /" + "a" * 8200 + " HTTP/1.1\nHost: x\n"), [(400, 414)], CLOSED),
    ("Upgrade not taken", req("GET /healthz HTTP/1.1\nHost: x\nUpgrade: websocket\nConnection: upgrade\n"),
     [200], CLOSED),
    ("Upgrade: h2c not taken", req("GET /healthz HTTP/1.1\nHost: x\nUpgrade: h2c\nConnection: Upgrade, HTTP2-Settings\n"
                                   "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\n"), [200], CLOSED),
    ("CONNECT", req("CONNECT x:443 HTTP/1.1\nHost: x\n"), [405], CLOSED),
    ("OPTIONS *", req("OPTIONS * HTTP/1.1\nHost: x\n"), [404], OPEN),
    ("absolute-form target", req("POST http://x/invoke/echo HTTP/1.1\nHost: x\nContent-Length: 2\n", b"ab"),
     [200], OPEN),
    ("pipelined, then garbage", req("POST /invoke/echo HTTP/1.1\nHost: x\nContent-Length: 1\n", b"a") * 3 + b"\x16\x03\x01",
     [200, 200, 200, 400], CLOSED),
]
ALONE = {
    # aiohttp refuses a pipelined request behind a Connection: close (or HTTP/1.0) one
    # with a 400 for the whole batch, instead of answering the first and closing
    "Connection: close": ([400], CLOSED), "close among tokens": ([400], CLOSED), "HTTP/1.0": ([400], CLOSED),
    # aiohttp reads the body of a request it answered 417 and keeps the connection; the
    # fast path closes, since a client that waits for 100 Continue never sends it
    "Expect: other": ([417], OPEN),
    # aiohttp's parser fails the whole segment: the good requests before the garbage go unanswered
    "pipelined, then garbage": ([400], CLOSED),
    # after a websocket Upgrade or a CONNECT (llhttp: the rest is not HTTP) aiohttp reads on as HTTP;
    # after an h2c one it neither answers the next request nor closes (a wedge, aiohttp's own)
    "Upgrade not taken": ([200], OPEN), "CONNECT": ([404], OPEN), "Upgrade: h2c not taken": ([200], WEDGED),
}
LAMBDA_ERRORS = {"bad JSON": req("POST /2015-03-31/functions/echo/invocations HTTP/1.1\nHost: x\nContent-Length: 3\n",
                                 b"{x}"),
                 "bad header": req("POST /2015-03-31/functions/echo/invocations HTTP/1.1\nHost: x\nX\x01: 1\n")}


@pytest.fixture(scope="module", params=["fast", "aiohttp"])
def server(request, tmp_path_factory):
    if request.param == "fast" and os.environ.get("WASMHOST_TEST_NO_FAST_PATH"):
        pytest.skip("WASMHOST_TEST_NO_FAST_PATH=1 serves without the fast path: the aiohttp half runs")
    s = Server(tmp_path_factory.mktemp(request.param) / "data", *(["--no-fast-path"] if request.param == "aiohttp" else []))
    s.start()
    client = lambda_client(s.url)
    create(client, "echo", "echo")
    create(client, "status", "status")
    one = {"wasmhost:http-payload-format": "1.0"}
    create(client, "status1", "status", Tags=one)
    create(client, "echo1", "echo", Tags=one)
    create(client, "wrap", "wrap")
    create(client, "wrap1", "wrap", Tags=one)
    yield s
    s.stop()


class Reader:
    """Responses off a raw socket: status, lower-case headers, body."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buf, self.eof = sock, b"", False

    def _fill(self, timeout: float) -> bool:
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            chunk = b""
        self.eof = not chunk
        self.buf += chunk
        return bool(chunk)

    def response(self, head_request: bool = False, timeout: float = 10) -> tuple[int, dict, bytes] | None:
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if self.eof or time.monotonic() > deadline or not self._fill(max(deadline - time.monotonic(), 0.01)):
                if self.eof or time.monotonic() > deadline:
                    return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        n = 0 if head_request or status < 200 or status in (204, 304) else int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            assert self._fill(timeout), "connection closed mid-body"
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body

    def closed(self, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self._fill(0.1)
        return self.eof and not self.buf


def exchange(server, data: bytes, *, head: bool = False) -> tuple[list, Reader]:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(data)
    reader = Reader(sock)
    answers = []
    while True:
        r = reader.response(head_request=head and not answers, timeout=3 if answers else 10)
        if r is None:
            break
        answers.append(r)
        if r[2] == b"next":
            break
    return answers, reader


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_framing(server, case):
    name, data, statuses, after = case
    if server.extra and name in ALONE:
        statuses, after = ALONE[name]
    answers, reader = exchange(server, data + NEXT, head=data.startswith(b"HEAD"))
    try:
        got = [a[0] for a in answers]
        expected = statuses + ([200] if after == OPEN else [])
        assert len(got) == len(expected), (got, expected)
        for g, e in zip(got, expected):
            assert g in e if isinstance(e, tuple) else g == e, (got, expected)
        if after == OPEN:
            assert answers[-1][2] == b"next"
            assert reader.response(timeout=0.1) is None and not reader.buf  # nothing smuggled behind it
        elif after == CLOSED:
            assert reader.closed(), "connection left open"
        else:
            assert not reader.closed(timeout=0.5)
    finally:
        reader.sock.close()


def test_refusals_are_aws_json(server):
    """A request the parser refuses gets a code botocore reads, not plain text."""
    for name, data in LAMBDA_ERRORS.items():
        answers, reader = exchange(server, data)
        reader.sock.close()
        status, headers, body = answers[0]
        assert status == 400 and headers["x-amzn-errortype"] == "InvalidRequestContentException", (name, body)
        assert json.loads(body)["message"]


def test_no_traceback_in_the_log(server):
    """Every refusal above is one line in the server's log, never a traceback."""
    text = server.log.read_text(errors="replace")
    assert "Traceback" not in text and "ERROR" not in text, text[-3000:]


def test_1xx_and_204_bodies_never_reach_the_wire(server):
    """A function's 204 is sent without its body or length: the next answer parses."""
    answers, reader = exchange(server, req("GET /http/status/s/204 HTTP/1.1\nHost: x\n") + NEXT)
    reader.sock.close()
    assert [a[0] for a in answers] == [204, 200] and "content-length" not in answers[0][1]
    assert answers[1][2] == b"next"


def test_http_trigger_events_are_the_same_on_both_paths(server):
    """The fast path and aiohttp's route build the same API Gateway event (2.0 here)."""
    head = ("POST /http/echo/a%20b/c?x=1&x=2 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n"
            "Content-Type: application/json\r\nX-Twice: 1\r\nX-Twice: 2\r\nCookie: k=v; l=w\r\n")
    odd = "X-Utf8: Z\u00fcrich\r\n".encode() + b"X-Latin: caf\xe9\r\n"  # UTF-8 as botocore sends; Latin-1 bytes
    answers, reader = exchange(server, head.encode() + odd + b"Content-Length: 7\r\n\r\n{\"a\":1}")
    reader.sock.close()
    e = json.loads(answers[0][2])
    assert (e["rawPath"], e["rawQueryString"], e["queryStringParameters"]) == ("/a%20b/c", "x=1&x=2", {"x": "1,2"})
    assert e["headers"]["x-twice"] == "1,2" and e["cookies"] == ["k=v", "l=w"] and "cookie" not in e["headers"]
    assert e["headers"]["content-length"] == "7" and e["headers"]["host"] == "example.com"
    assert (e["headers"]["x-utf8"], e["headers"]["x-latin"]) == ("Z\u00fcrich", "caf\u00e9")
    assert e["requestContext"]["http"] == {"method": "POST", "path": "/a%20b/c", "protocol": "HTTP/1.1",
                                           "sourceIp": "127.0.0.1", "userAgent": "t"}
    assert e["body"] == '{"a":1}' and e["isBase64Encoded"] is False


def test_payload_formats_on_both_paths(server):
    """HTTP triggers speak API Gateway 2.0 by default and 1.0 (REST API proxy events) for
    a function tagged wasmhost:http-payload-format=1.0; ``wrap`` answers with its event."""
    def event(name: str) -> dict:
        answers, reader = exchange(server, req(
            f"POST /http/{name}/items/42?a=1&a=2 HTTP/1.1\nHost: api.example.com\nX-T: 1\nX-T: 2\n"
            "Content-Type: application/json\nCookie: k=v\nContent-Length: 2\n", b"{}"))
        reader.sock.close()
        assert answers[0][0] == 200, answers[0]
        return json.loads(answers[0][2])
    v2, v1 = event("wrap"), event("wrap1")
    assert v2["version"] == "2.0" and v2["headers"]["x-t"] == "1,2" and v2["cookies"] == ["k=v"]
    assert v1["version"] == "1.0" and (v1["httpMethod"], v1["path"], v1["resource"]) == ("POST", "/items/42",
                                                                                        "/{proxy+}")
    assert v1["headers"]["X-T"] == "2" and v1["multiValueHeaders"]["X-T"] == ["1", "2"]
    assert v1["headers"]["Cookie"] == "k=v" and v1["headers"]["Host"] == "api.example.com"
    assert v1["multiValueQueryStringParameters"] == {"a": ["1", "2"]} and v1["queryStringParameters"] == {"a": "2"}
    assert v1["requestContext"]["identity"]["sourceIp"] == "127.0.0.1" and v1["body"] == "{}"
    assert v1["pathParameters"] == {"proxy": "items/42"}


def test_a_1_0_function_answers_in_1_0s_shape(server):
    """``status1`` returns a 1.0 response; ``echo1`` returns its event, which is not one: 502."""
    answers, reader = exchange(server, req("GET /http/status1/s/201 HTTP/1.1\nHost: x\n")
                               + req("GET /http/echo1/x HTTP/1.1\nHost: x\n"))
    reader.sock.close()
    assert answers[0][:3:2] == (201, b"forged") and answers[0][1]["content-type"] == "text/plain"
    assert answers[1][0] == 502


def test_the_format_follows_the_functions_tag(server):
    """TagResource switches a function's trigger to 1.0, for its published versions too."""
    client = lambda_client(server.url)
    create(client, "wrapt", "wrap")
    client.publish_version(FunctionName="wrapt")
    arn = client.get_function(FunctionName="wrapt")["Configuration"]["FunctionArn"]

    def version(target: str) -> str:
        answers, reader = exchange(server, req(f"GET /http/{target}/x HTTP/1.1\nHost: x\n"))
        reader.sock.close()
        return json.loads(answers[0][2])["version"]
    assert version("wrapt") == version("wrapt:1") == "2.0"
    client.tag_resource(Resource=arn, Tags={"wasmhost:http-payload-format": "1.0"})
    assert version("wrapt") == version("wrapt:1") == "1.0"
    with pytest.raises(ClientError) as e:  # refused when it is set, not found at the first HTTP request
        client.tag_resource(Resource=arn, Tags={"wasmhost:http-payload-format": "3.0"})
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "1.0, 2.0" in e.value.response["Error"]["Message"]
    assert client.list_tags(Resource=arn)["Tags"]["wasmhost:http-payload-format"] == "1.0"
    assert version("wrapt") == "1.0"
    with pytest.raises(ClientError) as e:
        create(client, "wrap3", "wrap", Tags={"wasmhost:http-payload-format": "v1"})
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError):
        client.get_function(FunctionName="wrap3")
