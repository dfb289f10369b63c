"""The HTTP front end (wasmhost/server/http/), driven over raw sockets against a live
server: what it answers itself, what it lends to aiohttp and takes back, and that
answers keep their order. Framing against both paths: test_conformance.py."""

from __future__ import annotations

import os
import socket
import struct
import time

import pytest

from live import Server, create, lambda_client

pytestmark = pytest.mark.skipif(bool(os.environ.get("WASMHOST_TEST_NO_FAST_PATH")),
                                reason="tests the fast path itself; WASMHOST_TEST_NO_FAST_PATH=1 serves without it")
ECHO = "/invoke/echo"
LAMBDA = "/2015-03-31/functions/echo/invocations"


def post(path: str, body: bytes, *extra: str, version: str = "HTTP/1.1") -> bytes:
    head = [f"POST {path} {version}", "Host: x", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def get(path: str, *extra: str) -> bytes:
    return ("\r\n".join([f"GET {path} HTTP/1.1", "Host: x", *extra]) + "\r\n\r\n").encode()


class Conn:
    def __init__(self, server) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def response(self) -> tuple[int, dict[str, str], bytes]:
        """One response: status, headers (lower-case names), body (Content-Length framed)."""
        while b"\r\n\r\n" not in self.buf:
            assert self._fill(), f"connection closed mid-response: {self.buf!r}"
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        n = int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            assert self._fill(), "connection closed mid-body"
        body, self.buf = self.buf[:n], self.buf[n:]
        return int(lines[0].split()[1]), headers, body

    def closed(self) -> bool:
        """True when the server closed the connection (after what was read)."""
        try:
            return not self._fill() and not self.buf
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


class FakeTransport:
    """What a connection writes, in process."""

    def __init__(self) -> None:
        self.written, self.closed = b"", False

    def get_extra_info(self, name, default=None):
        return default

    def write(self, data) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def echo_service(tmp_path):
    """A Service in process with the echo function, for driving connections by hand."""
    import base64

    from wasmhost import Host
    from wasmhost.server.lambda_model import Registry, Service
    from live import wasm

    service = Service(Host(tmp_path), Registry(tmp_path))
    service.create_function({"FunctionName": "echo", "Runtime": "wasm32", "Role": "r", "Handler": "echo.wasm",
                             "Code": {"ZipFile": base64.b64encode(wasm("echo")).decode()}})
    return service


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("fastpath") / "data").start()
    client = lambda_client(s.url)
    create(client, "echo", "echo")
    create(client, "burn", "burn")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(server):
    return lambda_client(server.url)


@pytest.fixture
def conn(server):
    c = Conn(server)
    yield c
    c.close()


def test_answers_invocations_itself(conn):
    conn.send(post(ECHO, b"hi", "Content-Type: text/plain"))
    status, h, body = conn.response()
    assert (status, body, h["server"], h["content-type"]) == (200, b"hi", "wasmhost", "text/plain")
    assert h["x-wasmhost-status"] == "ok" and int(h["x-wasmhost-fuel-used"]) > 0
    conn.send(post(LAMBDA, b'{"a": 1}'))
    status, h, body = conn.response()
    assert (status, body, h["x-amz-executed-version"]) == (200, b'{"a": 1}', "$LATEST")
    assert h["server"] == "wasmhost"


def test_dry_run_and_event_answers(conn):
    conn.send(post(LAMBDA, b"{}", "X-Amz-Invocation-Type: DryRun") + post(LAMBDA, b"{}", "X-Amz-Invocation-Type: Event")
              + post(LAMBDA, b"not json"))
    status, h, body = conn.response()
    assert status == 204 and "content-length" not in h and body == b""
    status, h, body = conn.response()
    assert status == 202 and h["x-amzn-requestid"]
    status, h, body = conn.response()
    assert status == 400 and h["x-amzn-errortype"] == "InvalidRequestContentException"


def test_pipelined_requests_are_answered_in_order(conn):
    conn.send(b"".join(post(ECHO, str(i).encode()) for i in range(20)))
    assert [conn.response()[2] for _ in range(20)] == [str(i).encode() for i in range(20)]


def test_a_slow_invocation_keeps_its_place_in_line(conn):
    """An invocation too long for the event loop runs on a thread (Host.ainvoke); the
    request pipelined behind it is answered after it."""
    n = 20_000_000
    conn.send(post("/invoke/burn", struct.pack("<I", n)) + post(ECHO, b"after"))
    status, h, body = conn.response()
    assert status == 200 and h["x-wasmhost-status"] == "ok"
    assert float(h["x-wasmhost-duration-ms"]) > 2  # past the inline budget: it went to a thread
    assert conn.response()[2] == b"after"


def test_body_arriving_byte_by_byte(conn):
    for b in post(ECHO, b"slowly"):
        conn.send(bytes([b]))
    assert conn.response()[2] == b"slowly"


def test_other_requests_are_lent_to_aiohttp_and_the_connection_comes_back(conn):
    conn.send(post(ECHO, b"1") + get("/healthz") + post(ECHO, b"2") + get("/2015-03-31/functions/echo")
              + post(ECHO, b"3"))
    first = conn.response()
    health = conn.response()
    second = conn.response()
    fn = conn.response()
    third = conn.response()
    assert (first[2], second[2], third[2]) == (b"1", b"2", b"3")
    assert third[1]["server"] == "wasmhost"  # the fast path answers again after each loan
    assert health[0] == 200 and b'"ok"' in health[2] and "aiohttp" in health[1]["server"]
    assert fn[0] == 200 and b'"FunctionName": "echo"' in fn[2]


def test_aiohttp_errors_on_a_lent_request_keep_the_connection(conn):
    conn.send(get("/wasmhost/no/such/route") + post(ECHO, b"still here"))  # the server's own path, not S3's
    status, h, body = conn.response()
    assert status == 404 and h["x-amzn-errortype"] == "ResourceNotFoundException"
    assert conn.response()[2] == b"still here"


def test_chunked_request_is_read_on_the_fast_path(conn):
    conn.send(b"POST /invoke/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n" + post(ECHO, b"next"))
    status, h, body = conn.response()
    assert (status, body, h["server"]) == (200, b"abcde", "wasmhost")
    assert conn.response()[2] == b"next"


def test_expect_continue(conn):
    conn.send(b"POST /invoke/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
    while b"\r\n\r\n" not in conn.buf:
        assert conn._fill()
    assert conn.buf.startswith(b"HTTP/1.1 100 Continue")
    conn.buf = conn.buf.split(b"\r\n\r\n", 1)[1]
    conn.send(b"body")
    assert conn.response()[:3:2] == (200, b"body")


def test_oversized_head_is_refused(conn):
    conn.send(b"POST /invoke/echo HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n")
    assert conn.response()[0] in (400, 431)


def test_oversized_body_gets_413_and_server_keeps_serving(server, conn):
    big = b"x" * (7 * 1024 * 1024)
    conn.send(post(LAMBDA, big))
    status, h, body = conn.response()
    assert status == 413 and h["x-amzn-errortype"] == "RequestEntityTooLargeException"
    other = Conn(server)
    other.send(post(ECHO, b"ok"))
    assert other.response()[2] == b"ok"
    other.close()


def test_a_body_over_the_front_ends_own_limit_gets_lambdas_413(server):
    """Over 8 MB the protocol refuses before the service sees it: the same code as Lambda's
    6 MB refusal, whether the size is announced or found while reading chunks."""
    for head, body in ((b"Content-Length: %d\r\n" % (9 * 1024 * 1024), b"x" * 65536),
                       (b"Transfer-Encoding: chunked\r\n", b"%x\r\n%s\r\n" % (9 * 1024 * 1024, b"x" * (9 * 1024 * 1024)))):
        c = Conn(server)
        try:
            c.send(b"POST " + LAMBDA.encode() + b" HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n" + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading it all
        status, h, _ = c.response()
        assert status == 413 and h["x-amzn-errortype"] == "RequestEntityTooLargeException"
        c.close()


def test_connection_close_and_http10(server, conn):
    conn.send(post(ECHO, b"bye", "Connection: close"))
    status, h, body = conn.response()
    assert body == b"bye" and h["connection"] == "close" and conn.closed()
    old = Conn(server)
    old.send(post(ECHO, b"old", version="HTTP/1.0"))
    assert old.response()[2] == b"old" and old.closed()
    old.close()
    kept = Conn(server)
    kept.send(post(ECHO, b"a", "Connection: keep-alive", version="HTTP/1.0") + post(ECHO, b"b"))
    status, h, body = kept.response()
    assert body == b"a" and h["connection"] == "keep-alive"  # an HTTP/1.0 client closes without it
    assert kept.response()[2] == b"b"
    kept.close()


def test_a_lent_request_is_read_whole_and_the_connection_resumes(conn):
    """A 600 KB request aiohttp answers without reading it (an unknown route's 404) is
    read to its end first: the next request on the connection is answered."""
    conn.send(b"POST /wasmhost/nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 600000\r\n\r\n" + b"x" * 600000
              + post(ECHO, b"after"))
    assert conn.response()[0] == 404
    assert conn.response()[2] == b"after"


def test_url_encoded_names_and_qualifiers(client, conn):
    client.publish_version(FunctionName="echo")
    conn.send(post("/invoke/echo?qualifier=1", b"v1"))
    status, h, body = conn.response()
    assert (status, body, h["x-wasmhost-version"]) == (200, b"v1", "1")
    arn = "arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aecho"
    conn.send(post(f"/2015-03-31/functions/{arn}/invocations?Qualifier=1", b"{}"))
    status, h, body = conn.response()
    assert (status, h["x-amz-executed-version"]) == (200, "1")


def test_a_client_that_vanishes_does_not_hurt_the_next(server, conn):
    conn.send(post(ECHO, b"x")[:-1])  # half a request, then gone
    conn.close()
    other = Conn(server)
    other.send(post(ECHO, b"fine"))
    assert other.response()[2] == b"fine"
    other.close()


def test_invocations_are_answered_while_aiohttp_loads(tmp_path):
    """``serve`` listens before aiohttp is loaded: invocations are answered at once,
    and a request for aiohttp waits until it is there, then gets its answer."""
    import asyncio

    from wasmhost.server.app import make_app, protocol_factory
    from wasmhost.server.auth import AuthConfig
    from wasmhost.server.http import FrontDoor
    from aiohttp import web

    async def read_response(reader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        n = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        return head + await reader.readexactly(n)

    async def main() -> None:
        service = echo_service(tmp_path)
        host = service.host
        front = FrontDoor(service, AuthConfig())
        listener = await asyncio.get_running_loop().create_server(front, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        r1, w1 = await asyncio.open_connection("127.0.0.1", port)
        w1.write(get("/healthz") + post(ECHO, b"queued behind healthz"))
        r2, w2 = await asyncio.open_connection("127.0.0.1", port)
        w2.write(post(ECHO, b"now"))
        assert (await asyncio.wait_for(read_response(r2), 10)).endswith(b"\r\n\r\nnow")
        await asyncio.sleep(0.2)
        assert not r1._buffer  # /healthz waits for aiohttp
        runner = web.AppRunner(make_app(service), access_log=None)
        await runner.setup()
        front.ready(protocol_factory(runner.server))
        health = await asyncio.wait_for(read_response(r1), 10)
        assert health.startswith(b"HTTP/1.1 200") and b'"status": "ok"' in health
        assert (await asyncio.wait_for(read_response(r1), 10)).endswith(b"queued behind healthz")
        for w in (w1, w2):
            w.close()
        listener.close()
        front.close()
        await runner.cleanup()
        host.close()
        service.registry.close()

    asyncio.run(main())


def test_a_request_that_never_completes_is_cut_off(monkeypatch):
    """A client trickling a request (slowloris) gets a 408 REQUEST_TIMEOUT_S after the
    request began, however often bytes arrive; an idle keep-alive one is closed after
    KEEPALIVE_S."""
    from wasmhost.server.http import protocol

    clock = [1000.0]
    monkeypatch.setattr(protocol.time, "monotonic", lambda: clock[0])
    front = protocol.FrontDoor(service=None, auth=None)
    slow = protocol.Connection(front)
    slow.connection_made(FakeTransport())
    request = b"POST /invoke/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
    for i in range(int(protocol.REQUEST_TIMEOUT_S // 10) + 2):
        clock[0] += 10
        slow.data_received(request[i:i + 1])  # never the whole request
        slow.expire(clock[0])  # what FrontDoor's sweep calls every second
    assert slow.transport.closed and slow.transport.written.startswith(b"HTTP/1.1 408 ")
    idle = protocol.Connection(front)
    idle.connection_made(FakeTransport())
    clock[0] += protocol.KEEPALIVE_S - 1
    idle.expire(clock[0])
    assert not idle.transport.closed
    clock[0] += 2
    idle.expire(clock[0])
    assert idle.transport.closed


def test_http_trigger_head_has_length_but_no_body(conn):
    conn.send(b"HEAD /http/echo/x HTTP/1.1\r\nHost: x\r\n\r\n" + post(ECHO, b"next"))
    while b"\r\n\r\n" not in conn.buf:
        assert conn._fill()
    head, conn.buf = conn.buf.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200") and b"Content-Length: " in head
    assert int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0]) > 0
    assert conn.response()[2] == b"next"  # no body came between: the next answer parses


def test_a_header_trickled_past_the_head_limit_is_refused(conn):
    """llhttp holds an unfinished header's bytes: the head's total is bounded anyway (431)."""
    conn.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: ")
    for _ in range(80):
        try:
            conn.send(b"a" * 1024)
        except OSError:
            break  # refused and closed under us
        time.sleep(0.002)
    assert conn.response()[0] == 431 and conn.closed()


def test_no_bytes_raise_out_of_data_received(tmp_path):
    """Mutated requests (bytes flipped, dropped, repeated, cut anywhere) fed to a connection
    in process: data_received never raises, and every connection ends answered or closed."""
    import asyncio
    import random

    from wasmhost.server.auth import AuthConfig
    from wasmhost.server.http.protocol import Connection, FrontDoor
    from test_conformance import CASES

    async def main() -> None:
        service = echo_service(tmp_path)
        host = service.host
        front = FrontDoor(service, AuthConfig())
        rnd = random.Random(9)
        seeds = [c[1] for c in CASES]
        for _ in range(3000):
            data = bytearray(rnd.choice(seeds))
            for _ in range(rnd.randrange(1, 4)):
                i = rnd.randrange(len(data))
                op = rnd.randrange(3)
                if op == 0:
                    data[i] = rnd.randrange(256)
                elif op == 1:
                    del data[i]
                else:
                    data[i:i] = data[i:i + rnd.randrange(1, 20)]
            conn = Connection(front)
            t = FakeTransport()
            conn.connection_made(t)
            cut = rnd.randrange(len(data) + 1)
            conn.data_received(bytes(data[:cut]))
            conn.data_received(bytes(data[cut:]))
            keep_open = conn.eof_received()  # None: asyncio closes the transport
            await asyncio.sleep(0)
            assert t.written or t.closed or keep_open is None or conn.busy or conn in front.waiting, bytes(data)
            conn.connection_lost(None)
        front.close()
        host.close()
        service.registry.close()

    asyncio.run(main())


def test_function_urls_are_answered_on_the_fast_path(client, conn, server):
    """A function URL is one of the fast routes (routes.py), not lent to aiohttp:
    payload format 2.0, pipelined in order with the other routes, its own AuthType
    (an unknown or IAM URL without a signature: 403, and the connection goes on),
    and a body past the fast path's limit refused with a 413 before it is read."""
    import json as _json
    create(client, "urlfn", "echo")
    path = client.create_function_url_config(FunctionName="urlfn", AuthType="NONE")["FunctionUrl"][len(server.url):]
    conn.send(post(path + "items/7?a=1&a=2", b'{"k": 1}', "Content-Type: application/json", "Cookie: c=1")
              + post(ECHO, b"after") + get("/lambda-url/nosuchid/x"))
    status, h, body = conn.response()
    assert status == 200 and h["server"] == "wasmhost"  # aiohttp's answers name aiohttp
    event = _json.loads(body)
    assert event["version"] == "2.0" and event["rawPath"] == "/items/7" and event["rawQueryString"] == "a=1&a=2"
    assert event["body"] == '{"k": 1}' and event["cookies"] == ["c=1"]
    assert event["requestContext"]["http"]["method"] == "POST" and event["requestContext"]["http"]["sourceIp"]
    assert conn.response()[2] == b"after"
    status, h, body = conn.response()
    assert status == 403 and h["x-amzn-errortype"] == "AccessDeniedException" and h["server"] == "wasmhost"
    client.update_function_url_config(FunctionName="urlfn", AuthType="AWS_IAM")
    conn.send(get(path))
    assert conn.response()[0] == 403  # unsigned
    conn.send(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {9 * 1024 * 1024}\r\n\r\n".encode())
    status, h, body = conn.response()
    assert status == 413 and "TooLarge" in h["x-amzn-errortype"] and b"smaller than" in body
    assert conn.closed()


def _feed(tmp_path, chunks: list[bytes]) -> bytes:
    """What a connection in process answers to ``chunks``, fed one at a time."""
    import asyncio

    from wasmhost.server.auth import AuthConfig
    from wasmhost.server.http.protocol import Connection, FrontDoor

    async def main() -> bytes:
        service = echo_service(tmp_path)
        front = FrontDoor(service, AuthConfig())
        conn = Connection(front)
        t = FakeTransport()
        conn.connection_made(t)
        for chunk in chunks:
            conn.data_received(chunk)
        for _ in range(200):  # the first run is a cold start, on a thread
            if t.written.count(b"HTTP/1.1") >= 1 and not conn.busy:
                break
            await asyncio.sleep(0.01)
        front.close()
        service.host.close()
        service.registry.close()
        return t.written

    return asyncio.run(main())


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("chunk", [1 << 20, 8190, 1000])
def test_head_limits_hold_however_the_head_arrives(tmp_path, chunk):
    """The head's limits are only counted when a head spans chunks or arrives in one
    larger than a line's limit (protocol.py): every way of sending it is held to them."""
    body = b"hi"
    many_lines = [f"X-H{i}: {'v' * 1000}" for i in range(70)]  # ~70 KiB, every line well under 8190
    too_many = [f"X-{i}: v" for i in range(129)]
    ok_big = [f"X-H{i}: {'v' * 1000}" for i in range(9)]  # ~9 KiB: more than a line's limit, under the head's
    for extra, status in ((many_lines, 431), (too_many, 431), ([f"X-Long: {'a' * 8200}"], 431), (ok_big, 200)):
        written = _feed(tmp_path / f"{len(extra)}-{status}", _chunks(post(ECHO, body, *extra), chunk))
        assert written.startswith(f"HTTP/1.1 {status} ".encode()), (len(extra), chunk, written[:80])
        if status == 200:
            assert written.endswith(b"\r\n\r\nhi")


def test_repeated_header_names_are_joined_in_order():
    from wasmhost.server.http.exchange import Request
    req = Request("POST", "/invoke/f?q=1", "1.1", [(b"Accept", b"a"), (b"X-One", b"1"), (b"accept", b"b")], True)
    assert req.headers == {"accept": "a,b", "x-one": "1"} and (req.path, req.query) == ("/invoke/f", "q=1")
    assert Request("GET", "/", "1.1", [(b"Host", b"x")], True).headers == {"host": "x"}
    # UTF-8 where a value is, else Latin-1 (exchange.text), with or without a repeated name
    utf8, latin1 = "caf\u00e9".encode(), "caf\u00e9".encode("latin-1")
    assert Request("GET", "/", "1.1", [(b"A", utf8), (b"B", latin1)], True).headers == {"a": "caf\u00e9",
                                                                                          "b": "caf\u00e9"}
    assert Request("GET", "/", "1.1", [(b"A", latin1), (b"a", utf8)], True).headers == {"a": "caf\u00e9,caf\u00e9"}


@pytest.mark.parametrize("status, keep_alive, version, head_only", [
    (200, True, "1.1", False), (201, True, "1.1", False), (200, False, "1.1", False), (200, True, "1.0", False),
    (200, True, "1.1", True), (204, True, "1.1", False), (500, True, "1.1", False), (100, True, "1.1", False),
    (299, True, "1.1", False)])  # a code HTTP does not name: its line still ends (the one-step form lost its \r\n)
def test_an_invocations_answer_is_framed_as_every_other(status, keep_alive, version, head_only):
    """encode's one-step form for an invocation's answer gives the bytes the general form does."""
    from wasmhost.server.http.exchange import encode
    from wasmhost.server.reply import Lines, Reply
    date = "Date: Mon, 30 Nov 2026 17:00:00 GMT\r\nServer: wasmhost\r\n"
    lines = "X-Wasmhost-Status: ok\r\nContent-Type: application/json\r\n"
    got = encode(Reply(status, Lines(lines), b"{}"), date, keep_alive=keep_alive, version=version, head_only=head_only)
    as_pairs = encode(Reply(status, [("X-Wasmhost-Status", "ok"), ("Content-Type", "application/json")], b"{}"),
                      date, keep_alive=keep_alive, version=version, head_only=head_only)
    assert got == as_pairs
    if status == 200 and keep_alive and version == "1.1" and not head_only:
        assert got == f"HTTP/1.1 200 OK\r\n{date}Content-Length: 2\r\n{lines}\r\n{{}}".encode()


@pytest.mark.parametrize("version, extra, status, connection", [
    ("HTTP/1.1", (), 200, None), ("HTTP/1.1", ("Connection: keep-alive",), 200, None),
    ("HTTP/1.1", ("Connection: close",), 200, "close"), ("HTTP/1.0", (), 200, "close"),
    ("HTTP/1.0", ("Connection: keep-alive",), 200, "keep-alive")])
def test_the_version_a_request_came_in_decides_its_framing(tmp_path, version, extra, status, connection):
    written = _feed(tmp_path, [post(ECHO, b"v", *extra, version=version)])
    head = written.split(b"\r\n\r\n")[0].decode()
    assert head.startswith(f"HTTP/1.1 {status} ") and written.endswith(b"\r\n\r\nv")
    got = [line.split(": ")[1] for line in head.split("\r\n") if line.lower().startswith("connection:")]
    assert got == ([connection] if connection else [])


def test_only_http11_needs_a_host(tmp_path):
    assert _feed(tmp_path / "a", [b"POST /invoke/echo HTTP/1.0\r\nContent-Length: 1\r\n\r\nv"]).startswith(b"HTTP/1.1 200")
    assert _feed(tmp_path / "b", [b"POST /invoke/echo HTTP/1.1\r\nContent-Length: 1\r\n\r\nv"]).startswith(b"HTTP/1.1 400")
