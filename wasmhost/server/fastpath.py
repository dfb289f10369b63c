"""The hot path of ``wasmhost serve``: a lean HTTP/1.1 protocol in front of aiohttp.

On this machine aiohttp spends ~95 µs of Python on each request (a raw uvloop
protocol echoing the same request: ~30 µs), twenty times the warm invocation it
carries. So every connection is read here first. An invocation (``POST
/invoke/{name}``, Lambda's ``POST /2015-03-31/functions/{name}/invocations``, any
method under an HTTP trigger's ``/http/{name}/``) whose head this strict parser
accepts and whose body has a Content-Length is run and answered here, by the same
handler code as aiohttp's routes (invoke.reply, lambda_invoke.invoke_reply,
http_trigger.reply). Anything else is aiohttp's: a request with a Content-Length
body (or none) is lent to aiohttp's own protocol for exactly that request, and the
connection comes back afterwards; any other (Transfer-Encoding, a head this parser
does not accept) gets the rest of the connection, so aiohttp's strict parser
answers whatever is odd.

Requests on a connection are answered in order. A handler that finishes without
waiting (a warm guest run inline, see Host.ainvoke) is answered without a task.
"""

from __future__ import annotations

import asyncio
import socket
import time
import types
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote

from . import auth as _auth
from .errors import ApiError, internal
from .invoke import reply as invoke_reply
from .http_trigger import reply as trigger_reply
from .lambda_invoke import invoke_reply as lambda_invoke_reply
from .reply import Reply
from .service import Service

if TYPE_CHECKING:
    from aiohttp import web

MAX_HEAD = 16 * 1024  # larger heads go to aiohttp, which answers 431 or 400
MAX_BODY = 8 * 1024 * 1024  # above Lambda's 6 MB: larger bodies go to aiohttp's size checks
KEEPALIVE_S = 75.0  # aiohttp's default
REQUEST_TIMEOUT_S = 60.0  # from a request's first byte to its last
LAMBDA_PREFIX, LAMBDA_SUFFIX = "/2015-03-31/functions/", "/invocations"
_STATUS = {s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n" for s in HTTPStatus}
_ODD = object()  # a head the fast path leaves to aiohttp's parser


def _unquoted(name: str) -> str:
    return unquote(name) if "%" in name else name


def _param(query: str, key: str) -> str | None:
    return dict(parse_qsl(query)).get(key) if query else None


@types.coroutine
def _finish(coro, waiting_on):
    """The rest of a handler coroutine that suspended while driven by hand, inside a
    Task: what the Task sends or throws goes on to the coroutine (``yield from``,
    for a coroutine already started)."""
    while True:
        try:
            value, exc = (yield waiting_on), None
        except BaseException as e:  # the awaited future failed, or the task was cancelled
            value, exc = None, e
        try:
            waiting_on = coro.send(value) if exc is None else coro.throw(exc)
        except StopIteration as done:
            return done.value


def parse_head(head: str):
    """(method, target, version, headers) with lower-case header names, or _ODD for
    anything a strict HTTP/1.1 parser would question: aiohttp then decides."""
    if head.count("\n") != head.count("\r\n") or head.count("\r") != head.count("\n"):
        return _ODD  # a bare CR or LF
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[2] not in ("HTTP/1.1", "HTTP/1.0") or not parts[1].startswith("/"):
        return _ODD
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        key = name.lower()
        if not sep or not name or not name.isascii() or " " in name or "\t" in name or (
                key in headers and key in ("content-length", "transfer-encoding", "host")):
            return _ODD
        value = value.strip(" \t")
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return parts[0], parts[1], parts[2], headers


class FastPath:
    """The protocol factory ``loop.create_server`` gets, and the connections it made."""

    def __init__(self, service: Service, auth: _auth.AuthConfig) -> None:
        self.aio_server: web.Server | None = None  # makes aiohttp's protocol; set once aiohttp is loaded
        self.waiting: list[Connection] = []  # with a request for aiohttp before it was loaded
        self.service = service
        self.auth = auth
        self.connections: set[Connection] = set()
        self._date = (0, "")
        self._sweeper: asyncio.TimerHandle | None = None

    def __call__(self) -> Connection:
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().call_later(5, self._sweep)
        return Connection(self)

    def ready(self, aio_server: web.Server) -> None:
        self.aio_server = aio_server
        waiting, self.waiting = self.waiting, []
        for c in waiting:
            c.busy = False
            c.serve()

    def date(self) -> str:
        now = int(time.time())
        if now != self._date[0]:
            self._date = (now, formatdate(now, usegmt=True))
        return self._date[1]

    def _sweep(self) -> None:
        """Close connections idle past the keep-alive timeout, or holding a request begun
        more than REQUEST_TIMEOUT_S ago."""
        now = time.monotonic()
        for c in list(self.connections):
            c.expire(now)
        self._sweeper = asyncio.get_running_loop().call_later(5, self._sweep)

    def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for c in list(self.connections):
            c.close()


class Lease:
    """The connection, lent to aiohttp's protocol for one request. aiohttp writes
    through it; the app's errors middleware calls ``answered`` once the response is
    written, and the connection takes the transport back."""

    def __init__(self, conn: Connection) -> None:
        self._conn: Connection | None = conn
        self._transport = conn.transport

    def __getattr__(self, name: str):
        return getattr(self._transport, name)  # get_extra_info, pause_reading, get_write_buffer_size...

    def write(self, data) -> None:
        if self._conn is not None:
            self._transport.write(data)

    def writelines(self, lines) -> None:
        if self._conn is not None:
            self._transport.writelines(lines)

    def is_closing(self) -> bool:
        return self._conn is None or self._transport.is_closing()

    def answered(self) -> None:
        if self._conn is not None:
            self._conn.lease_answered(self)

    def close(self) -> None:
        if self._conn is not None:  # once returned, aiohttp's teardown must not close our connection
            self._transport.close()

    def abort(self) -> None:
        if self._conn is not None:
            self._transport.abort()

    def release(self) -> None:
        self._conn = None


class Connection(asyncio.Protocol):
    """One client connection: its unparsed bytes, and who answers its current request."""

    def __init__(self, front: FastPath) -> None:
        self.front = front
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.busy = False  # a request is being answered (by a task, or by aiohttp)
        self.lent: web.RequestHandler | None = None  # aiohttp's protocol, while it has a request
        self.lease: Lease | None = None
        self.lent_left = 0  # bytes of the lent request still to pass on
        self.keep_alive = True
        self.head_only = False  # the request being answered is a HEAD
        self.peer = ""  # the client's address, for HTTP trigger events
        self.paused = False  # our transport's buffer is full: no new requests until it drains
        self.reading_paused = False
        self.eof = False
        self.since = time.monotonic()  # when the connection last had nothing pending

    # -- asyncio.Protocol ------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if isinstance(peer, tuple) else ""
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # answers leave at once
            except OSError:
                pass
        self.front.connections.add(self)

    def connection_lost(self, exc) -> None:
        self.front.connections.discard(self)
        if self.lent is not None:
            lent, self.lent = self.lent, None
            self.lease.release()
            lent.connection_lost(exc)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        if self.lent_left:
            take = data[:self.lent_left]
            self.lent_left -= len(take)
            if self.lent is not None:
                self.lent.data_received(take)  # else aiohttp answered early: the rest of its body is dropped
            data = data[len(take):]
            if not data:
                return
        if not self.buf and not self.busy:
            self.since = time.monotonic()  # a request begins: its clock starts
        self.buf += data
        if not self.busy:
            self.serve()
        if len(self.buf) > MAX_HEAD + MAX_BODY and not self.reading_paused and self.transport is not None:
            self.reading_paused = True  # requests keep coming while answers cannot leave: wait
            self.transport.pause_reading()

    def pause_writing(self) -> None:
        self.paused = True
        if self.lent is not None:
            self.lent.pause_writing()

    def resume_writing(self) -> None:
        self.paused = False
        if self.lent is not None:
            self.lent.resume_writing()
        if not self.busy and self.buf:
            self.serve()

    def eof_received(self):
        if self.lent is not None:
            return self.lent.eof_received()
        self.eof = True
        return True if self.busy else None  # a pending answer still goes out; then close

    # -- requests ----------------------------------------------------------------
    def serve(self) -> None:
        """Answer the complete requests in the buffer, in order, until one has to wait."""
        while self.buf and not self.busy and not self.paused and self.transport is not None:
            end = self.buf.find(b"\r\n\r\n", 0, MAX_HEAD + 4)
            if end < 0:
                if len(self.buf) > MAX_HEAD or b"\n\n" in self.buf:  # too long, or bare LFs
                    self.hand_over()
                return
            parsed = parse_head(self.buf[:end].decode("latin-1"))
            if parsed is _ODD or "transfer-encoding" in parsed[3]:
                return self.hand_over()
            method, target, version, headers = parsed
            cl = headers.get("content-length", "0")
            if not (cl.isascii() and cl.isdigit()):
                return self.hand_over()
            size = end + 4 + int(cl)
            conn = headers.get("connection", "").lower()
            self.keep_alive = "close" not in conn if version == "HTTP/1.1" else "keep-alive" in conn
            path, _, query = target.partition("?")
            route = self.route(method, path, headers) if size - end - 4 <= MAX_BODY else None
            if route is None:
                return self.lend(size)
            if len(self.buf) < size:
                return  # the body is still arriving
            body = bytes(self.buf[end + 4:size])
            del self.buf[:size]
            self.since = time.monotonic()  # what is left is the next request, begun no earlier
            self.head_only = method == "HEAD"
            self.run(route(method, path, query, headers, body, version), method, target, headers, body)
        if self.reading_paused and len(self.buf) <= MAX_BODY and self.transport is not None:
            self.reading_paused = False
            self.transport.resume_reading()

    def route(self, method: str, path: str, headers: dict):
        """The handler for an invocation route, or None: aiohttp answers the rest."""
        if "expect" in headers or "upgrade" in headers:
            return None
        if method == "POST":
            if path.startswith("/invoke/") and path.count("/") == 2:
                return self.plain
            if path.startswith(LAMBDA_PREFIX) and path.endswith(LAMBDA_SUFFIX) and path.count("/") == 4:
                return self.lambda_invoke
        if path.startswith("/http/") and len(path) > 6 and path[6] != "/":
            return self.trigger
        return None

    def plain(self, method: str, path: str, query: str, headers: dict, body: bytes, version: str):
        ctype = headers.get("content-type", "application/octet-stream")
        return invoke_reply(self.front.service, _unquoted(path[8:]), _param(query, "qualifier"), body,
                            ctype if ctype.isprintable() else "application/octet-stream")

    def lambda_invoke(self, method: str, path: str, query: str, headers: dict, body: bytes, version: str):
        name = path[len(LAMBDA_PREFIX):-len(LAMBDA_SUFFIX)]
        return lambda_invoke_reply(self.front.service, _unquoted(name), _param(query, "Qualifier"), headers, body)

    def trigger(self, method: str, path: str, query: str, headers: dict, body: bytes, version: str):
        name, _, sub = path[6:].partition("/")
        return trigger_reply(self.front.service, _unquoted(name), "/" + sub, method, query, headers, body,
                             protocol=version, source_ip=self.peer)

    def run(self, coro, method: str, target: str, headers: dict, body: bytes) -> None:
        """Drive the handler by hand: a warm guest run inline finishes at the first
        step, with no task and no trip through the event loop."""
        try:
            if self.front.auth.required:
                _auth.check(self.front.auth, method, target, headers, body)
            waiting_on = coro.send(None)
        except StopIteration as done:
            return self.write(done.value)
        except ApiError as e:
            coro.close()
            return self.write(e.reply())
        except Exception as e:
            coro.close()
            return self.write(internal(e).reply())
        self.busy = True
        task = asyncio.get_running_loop().create_task(_finish(coro, waiting_on))
        task.add_done_callback(self.finished)

    def finished(self, task: asyncio.Task) -> None:
        self.busy = False
        if task.cancelled():
            return self.close()
        exc = task.exception()
        if exc is None:
            self.write(task.result())
        else:
            self.write(exc.reply() if isinstance(exc, ApiError) else internal(exc).reply())
        self.since = time.monotonic()
        self.serve()

    def write(self, reply: Reply) -> None:
        if self.transport is None or self.transport.is_closing():
            return  # the client went away; the invocation still ran and was metered
        status, headers, body = reply
        head = [_STATUS.get(status) or f"HTTP/1.1 {status} Unknown\r\n",
                f"Date: {self.front.date()}\r\nServer: wasmhost\r\n"]
        if status == 204:  # neither a body nor its length
            body = b""
        else:
            head.append(f"Content-Length: {len(body)}\r\n")
            if type(headers) is dict and "Content-Type" not in headers:
                head.append("Content-Type: application/octet-stream\r\n")
            if self.head_only:
                body = b""
        head += [f"{k}: {v}\r\n" for k, v in (headers.items() if type(headers) is dict else headers)]
        head.append("\r\n" if self.keep_alive else "Connection: close\r\n\r\n")
        self.transport.write("".join(head).encode() + body)
        if not self.keep_alive or self.eof:
            self.close()

    # -- what aiohttp answers ----------------------------------------------------
    def lend(self, size: int) -> None:
        """Pass the next request (``size`` bytes with its body) to aiohttp's protocol."""
        self.busy = True
        if self.front.aio_server is None:
            return self.front.waiting.append(self)  # served again once aiohttp is loaded
        self.lease = Lease(self)
        self.lent = self.front.aio_server()
        self.lent.connection_made(self.lease)
        chunk = bytes(self.buf[:size])
        del self.buf[:size]
        self.lent_left = size - len(chunk)
        self.lent.data_received(chunk)

    def lease_answered(self, lease: Lease) -> None:
        asyncio.get_running_loop().call_soon(self.take_back, lease)  # after aiohttp's own bookkeeping

    def take_back(self, lease: Lease) -> None:
        if lease is not self.lease or self.lent is None:
            return
        lent, self.lent, self.lease = self.lent, None, None
        lease.release()
        lent.connection_lost(None)
        self.busy = False
        if not self.keep_alive or self.eof or self.lent_left or self.transport is None or self.transport.is_closing():
            return self.close()  # lent_left: answered before its body arrived, so the framing is lost
        self.since = time.monotonic()
        self.serve()

    def hand_over(self) -> None:
        """aiohttp's protocol gets the rest of the connection."""
        if self.front.aio_server is None:
            self.busy = True
            return self.front.waiting.append(self)
        self.front.connections.discard(self)
        proto = self.front.aio_server()
        transport, self.transport = self.transport, None
        transport.set_protocol(proto)
        proto.connection_made(transport)
        if self.buf:
            proto.data_received(bytes(self.buf))
        self.buf.clear()

    # -- lifetime ----------------------------------------------------------------
    def expire(self, now: float) -> None:
        if self.busy or self.transport is None:
            return
        if now - self.since > (REQUEST_TIMEOUT_S if self.buf else KEEPALIVE_S):
            self.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
