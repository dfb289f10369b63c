"""The connection: llhttp (httptools) frames every request, the fast routes are
answered here, the rest is lent to aiohttp one request at a time.

Per connection (``Connection``): the parser, the queue of requests read but not yet
answered, flow control (flow.py), the clocks. Per request (``Request``, exchange.py): what the
parser's callbacks saw. The parser reads ahead as far as flow control lets it;
requests are answered strictly in order. A handler that finishes without waiting (a
warm guest run inline, see Host.ainvoke) is driven by hand and answered at once,
with no task and no trip through the event loop.

Limits, as aiohttp's own parser has them (``serve --no-fast-path``): 128 headers, 8190
bytes for the request line and for each header line; and a whole head of at most
64 KiB (431). A request must arrive whole within REQUEST_TIMEOUT_S of its first byte
(slowloris: 408, then close); an idle keep-alive connection closes after KEEPALIVE_S.
Anything llhttp refuses is answered 400 (AWS's JSON error) after the requests before
it, logged as one line at INFO, and the connection closes.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import types
from collections import deque
from email.utils import formatdate
from typing import TYPE_CHECKING, Callable

import httptools

from .. import auth as _auth
from ..errors import ApiError, internal
from ..reply import Reply
from ..lambda_model import Service
from ..streaming import StreamCut, Streaming
from .exchange import Refused, Request, bad_request, encode, encode_stream_head
from .flow import Flow
from .lease import Lease, lend
from .routes import MAX_BODY, Handler, route

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("wasmhost.server.http")

MAX_HEADERS = 128  # aiohttp's max_headers
MAX_LINE = 8190  # aiohttp's max_line_size and max_field_size
MAX_HEAD = 64 * 1024  # a whole head (aiohttp has no total: 128 lines of 8 KiB would be 1 MiB)
MAX_REQUEST = 70 * 1024 * 1024  # a request lent to aiohttp: a 50 MB zip is ~67 MB of base64 JSON (app.py)
STREAM_FROM = 1024 * 1024  # a lent request with a larger body (or chunks) streams on to aiohttp (S3 uploads)
# aiohttp's RequestHandler keeps an idle connection 3630 s by default (web.run_app passes 75 s);
# both paths here use 75 s, as run_app and nginx do (run.py passes it to aiohttp too)
KEEPALIVE_S = 75.0
REQUEST_TIMEOUT_S = 60.0  # from a request's first byte to its last
PIPELINE = 32  # requests read ahead of their answers before reading pauses (or their bodies past MAX_BODY)
SWEEP_S = 1.0
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_METHODS = {m.encode(): m for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")}  # no decode for these
TOO_LARGE = f"Request header fields too large (at most {MAX_HEADERS} headers, {MAX_LINE} bytes a line, {MAX_HEAD} in all)"


@types.coroutine
def _finish(coro, waiting_on):
    """The rest of a handler coroutine that suspended while driven by hand, inside a
    Task: what the Task sends or throws goes on to the coroutine."""
    while True:
        try:
            value, exc = (yield waiting_on), None
        except BaseException as e:  # the awaited future failed, or the task was cancelled
            value, exc = None, e
        try:
            waiting_on = coro.send(value) if exc is None else coro.throw(exc)
        except StopIteration as done:
            return done.value


def _too_large(raw: list[tuple[bytes, bytes]]) -> bool:
    """Whether a head is over the limits on its size or on one line's."""
    head = sum(len(k) + len(v) for k, v in raw)
    return head > MAX_LINE and (head > MAX_HEAD or max(len(k) + len(v) for k, v in raw) > MAX_LINE)


class FrontDoor:
    """The protocol factory ``loop.create_server`` gets, and the connections it made."""

    def __init__(self, service: Service, auth: _auth.AuthConfig) -> None:
        self.aio_server: Callable[[], web.RequestHandler] | None = None  # set once aiohttp is loaded
        # the event sources' own fast routes (S3's PutObject: sources/s3_fast.py), asked after
        # routes.route; a handler with ``checks_auth`` authenticates its requests itself
        self.claims: list[Callable[[Request], Handler | None]] = []
        self.waiting: list[Connection] = []  # with a request for aiohttp before it was loaded
        self.service = service
        self.auth = auth
        self.connections: set[Connection] = set()
        self._date = (0, "")
        self._sweeper: asyncio.TimerHandle | None = None

    def __call__(self) -> Connection:
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().call_later(SWEEP_S, self._sweep)
        return Connection(self)

    def ready(self, aio_server: Callable[[], web.RequestHandler]) -> None:
        self.aio_server = aio_server
        waiting, self.waiting = self.waiting, []
        for c in waiting:
            c.busy = False
            c.serve()

    def date(self) -> str:
        """The Date and Server lines of an answer, made once a second."""
        now = int(time.time())
        if now != self._date[0]:
            self._date = (now, f"Date: {formatdate(now, usegmt=True)}\r\nServer: wasmhost\r\n")
        return self._date[1]

    def _sweep(self) -> None:
        """Once a second, not once a request: close what has outlived its limit."""
        now = time.monotonic()
        for c in list(self.connections):
            c.expire(now)
        self._sweeper = asyncio.get_running_loop().call_later(SWEEP_S, self._sweep)

    def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for c in list(self.connections):
            c.close()


class Connection(asyncio.Protocol):
    """One client connection."""

    def __init__(self, front: FrontDoor) -> None:
        self.front = front
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.pending: deque[Request | Refused] = deque()  # read, not yet answered
        self.busy = False  # a request is being answered (by a task, or by aiohttp)
        self.lent: web.RequestHandler | None = None  # aiohttp's protocol, while it has a request
        self.lease: Lease | None = None
        self.current: Request | None = None  # the request being answered
        self.peer = ""  # the client's address, for HTTP trigger events
        self.flow: Flow  # made with the transport, in connection_made
        self.done = False  # the parser stopped (an error, an upgrade, EOF): no more requests
        self.started = 0.0  # when the request being read began, 0 between requests
        self.last = time.monotonic()  # the last request begun or answer that waited (or the connection made)
        # the request being read
        self._url = b""
        self._raw: list[tuple[bytes, bytes]] = []
        self._in_head = False  # between a request's first byte and the end of its head
        # the head being framed lies whole in one chunk of at most MAX_LINE bytes, so no line
        # of it and not the whole of it can be over a limit: nothing to count (most requests)
        self._small = True
        self._segments = 0  # the bytes of the segments that neither began nor ended the head
        self._req: Request | None = None
        self._body: list[bytes] = []
        self._size = 0
        self._queued = 0  # the bodies of the requests read but not yet answered
        self._limit = MAX_BODY
        self._streaming = 0  # 1: the body goes on to aiohttp as it arrives; 2: re-chunked as it goes
        self._sending: asyncio.Task | None = None  # a streamed answer going out (send_stream)
        self._drained: asyncio.Future | None = None  # what send_stream waits on while writing is paused

    # -- asyncio.Protocol ------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.flow = Flow(transport)
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
        if self._sending is not None:  # a streamed answer: its run goes on, its later writes are dropped
            self._sending.cancel()
        if self._drained is not None and not self._drained.done():
            self._drained.cancel()
        if self.lent is not None:
            lent, self.lent = self.lent, None
            if self.lease is not None:
                self.lease.release()
            lent.connection_lost(exc)
        self.transport = None
        self.pending.clear()

    def data_received(self, data: bytes) -> None:
        if self.done:
            return
        in_head = self._in_head
        self._small = not in_head and len(data) <= MAX_LINE
        try:
            self.parser.feed_data(data)
            if in_head and self._in_head:  # llhttp holds a header's bytes until its end: bound them here
                self._segments += len(data)
                if self._segments > MAX_HEAD:
                    raise Refused(431, "InvalidRequestContentException", TOO_LARGE)
        except httptools.HttpParserUpgrade:
            # CONNECT, or an Upgrade the server does not take: the request is answered
            # (Upgrade ignored, RFC 9110 7.8), and what follows it is not HTTP to us
            last = self.pending[-1] if self.pending else None
            if isinstance(last, Request):
                last.keep_alive = False
                if last.method == "CONNECT":
                    self.pending[-1] = Refused(405, "MethodNotAllowed", "CONNECT is not supported")
            self.stop(None)
        except httptools.HttpParserCallbackError as e:  # one of our limits, raised in a callback
            cause = e.__context__
            self.stop(cause if isinstance(cause, Refused) else bad_request(f"{type(cause).__name__}: {cause}"))
        except httptools.HttpParserError as e:
            self.stop(bad_request(str(e) or type(e).__name__))
        except Refused as e:
            self.stop(e)
        if self.pending and not self.busy:
            self.serve()
        if len(self.pending) >= PIPELINE or (self.pending and self._size + self._queued > MAX_BODY):
            self.flow.pause_reading()  # the client is ahead of its answers: wait for them to leave

    def pause_writing(self) -> None:
        self.flow.writing_paused = True
        if self.lent is not None:
            self.lent.pause_writing()

    def resume_writing(self) -> None:
        self.flow.writing_paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        if self.lent is not None:
            self.lent.resume_writing()
        if not self.busy:
            self.serve()

    def eof_received(self):
        if self.lent is not None:
            self.lent.eof_received()  # its answer still goes out (we close after it)
        self.done = True  # a request cut off by EOF is dropped
        self.started = 0.0
        return True if self.busy or self.pending else None  # answers still go out; then close

    # -- parser callbacks (httptools) ---------------------------------------------
    def on_message_begin(self) -> None:
        self.started = self.last = time.monotonic()
        self._in_head = True
        self._url = b""
        self._raw = []
        self._segments = self._size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > MAX_LINE:
            raise Refused(414, "InvalidRequestContentException", f"Request-target longer than {MAX_LINE} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw.append((name, value))  # the limits are checked once, at the head's end

    def on_headers_complete(self) -> None:
        self._in_head = False
        raw = self._raw
        if len(raw) > MAX_HEADERS or not self._small and _too_large(raw):
            raise Refused(431, "InvalidRequestContentException", TOO_LARGE)
        p = self.parser
        try:
            target = self._url.decode("ascii")
        except UnicodeDecodeError:
            raise bad_request("non-ASCII request-target") from None  # llhttp lets obs-text through
        method = p.get_method()
        keep_alive = p.should_keep_alive()
        req = self._req = Request(_METHODS.get(method) or method.decode("ascii"), target, "1.1", raw, keep_alive)
        h = req.headers
        if not keep_alive or "connection" in h:  # else llhttp saw HTTP/1.1 (1.0, 0.9, 2.0 default to close) and
            req.version = p.get_http_version()  # its version string (~0.6 µs) need not be made
        if req.version == "1.1" and "host" not in h or "," in h.get("host", ""):
            raise bad_request("an HTTP/1.1 request needs exactly one Host header")
        req.handler = route(req.method, req.path)
        if req.handler is None:
            for claim in self.front.claims:
                if (handler := claim(req)) is not None:
                    req.handler = handler
                    break
        self._limit = MAX_BODY if req.handler is not None else MAX_REQUEST
        cl = h.get("content-length")
        if req.handler is None and (int(cl) > STREAM_FROM if cl is not None else "transfer-encoding" in h) \
                and not self.busy and not self.pending and self.front.aio_server is not None:
            return self._lend_streaming(req, cl)
        if cl is not None and int(cl) > self._limit:
            raise Refused(413, "RequestEntityTooLargeException", f"Request must be smaller than {self._limit} bytes")
        expect = h.get("expect")
        if expect is not None:
            if expect.lower() != "100-continue":
                raise Refused(417, "InvalidRequestContentException", f"Unsupported Expect: {expect}")
            if (cl not in (None, "0") or "transfer-encoding" in h) and not self.busy and not self.pending:
                self.flow.transport.write(CONTINUE)  # only when nothing is ahead of it: answers stay in order

    def on_body(self, body: bytes) -> None:
        if self._streaming:
            if self.lent is not None:  # else aiohttp answered early: the rest of the body is dropped
                self.lent.data_received(body if self._streaming == 1 else b"%x\r\n%s\r\n" % (len(body), body))
            return
        self._size += len(body)
        if self._size > self._limit:
            raise Refused(413, "RequestEntityTooLargeException", f"Request must be smaller than {self._limit} bytes")
        self._body.append(body)

    def on_message_complete(self) -> None:
        req, self._req = self._req, None
        if self._streaming:
            if self._streaming == 2 and self.lent is not None:
                self.lent.data_received(b"0\r\n\r\n")
            self._streaming = 0
            self.started = 0.0
            return
        if req is None:
            return
        if self._body:
            req.body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
            self._body = []
            self._queued += len(req.body)
        self.started = 0.0
        self.pending.append(req)

    # -- answering -----------------------------------------------------------------
    def stop(self, refusal: Refused | None) -> None:
        """No more requests on this connection; ``refusal``, if any, is answered after
        the requests before it."""
        self.done = True
        self.started = 0.0
        if refusal is not None:
            log.info("refused a request from %s: %d %s", self.peer or "?", refusal.reply.status, refusal)
            self.pending.append(refusal)
        if self.transport is not None:
            self.flow.pause_reading()

    def serve(self) -> None:
        """Answer the requests read so far, in order, until one has to wait."""
        flow = self.flow
        while self.pending and not self.busy and self.transport is not None and not flow.writing_paused:
            req = self.pending.popleft()
            if isinstance(req, Refused):
                self.transport.write(encode(req.reply, self.front.date(), keep_alive=False))
                return self.close()
            self.current = req
            self._queued -= len(req.body)
            if req.handler is None:
                return self.lend(req)
            self.run(req)
        if self.transport is None or self.busy:
            return
        if not self.pending and self.done:
            return self.close()
        if flow.reading_paused and not self.done and len(self.pending) < PIPELINE // 2 and not flow.writing_paused:
            flow.resume_reading()

    def run(self, req: Request) -> None:
        """Call the handler (after the server's auth rules) and drive what it returns
        by hand: a warm guest run inline answers at once, with no coroutine, task or
        trip through the event loop; a coroutine runs to its first wait here. A
        handler may also finish with a future of its answer (``finished`` writes it)."""
        coro = None
        try:
            if self.front.auth.required and not getattr(req.handler, "checks_auth", False):
                _auth.check(self.front.auth, req.method, req.target, req.headers, req.body)
            assert req.handler is not None
            out = req.handler(self.front, req, self.peer)
            if type(out) is Reply:
                return self.write(out)
            coro = out
            waiting_on = coro.send(None)
        except StopIteration as done:
            if isinstance(done.value, asyncio.Future):  # an answer that comes later (S3's group commit):
                self.busy = True  # no task to drive, a callback when it is there
                return done.value.add_done_callback(self.finished)
            return self.write(done.value)
        except ApiError as e:
            if coro is not None:
                coro.close()
            return self.write(e.reply())
        except Exception as e:
            if coro is not None:
                coro.close()
            return self.write(internal(e).reply())
        self.busy = True
        task = asyncio.get_running_loop().create_task(_finish(coro, waiting_on))
        task.add_done_callback(self.finished)

    def finished(self, task: asyncio.Future) -> None:
        self.busy = False
        self.last = time.monotonic()
        if task.cancelled():
            return self.close()
        exc = task.exception()
        if exc is None:
            self.write(task.result())
        else:
            self.write(exc.reply() if isinstance(exc, ApiError) else internal(exc).reply())
        self.serve()

    def write(self, reply: Reply) -> None:
        req = self.current
        if self.transport is None or req is None or self.transport.is_closing():
            if type(reply) is Streaming:
                asyncio.ensure_future(reply.close())  # nobody reads it: its stream closes
            return  # the client went away; the invocation still ran and was metered
        if type(reply) is Streaming:
            self.busy = True
            self._sending = asyncio.get_running_loop().create_task(self.send_stream(req, reply))
            self._sending.add_done_callback(self.sent_stream)
            return
        self.transport.write(encode(reply, self.front.date(), keep_alive=req.keep_alive, version=req.version,
                                    head_only=req.method == "HEAD"))
        if not req.keep_alive:
            self.stop(None)
            self.close()

    async def send_stream(self, req: Request, reply: Streaming) -> None:
        """A streamed answer (server/streaming.py): its head, then each chunk once the
        last has left (the transport's buffer below its high-water mark), so a client
        that reads slowly slows the handler, not the host's memory."""
        transport = self.transport
        assert transport is not None
        chunked = req.version != "1.0"
        transport.write(encode_stream_head(reply, self.front.date(), keep_alive=req.keep_alive, version=req.version))
        whole = False
        try:
            if req.method != "HEAD":
                async for chunk in reply.chunks:
                    if not chunk:
                        continue
                    if self.flow.writing_paused:
                        self._drained = asyncio.get_running_loop().create_future()
                        await self._drained
                    if transport.is_closing():
                        return
                    transport.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked and not transport.is_closing():
                transport.write(b"0\r\n\r\n")
                whole = True
        except ConnectionError:
            pass
        finally:
            self._drained = None
            await reply.close()
            if not whole:  # cut short (or HTTP/1.0): the connection closes, so the client sees where it ended
                req.keep_alive = False

    def sent_stream(self, task: asyncio.Future) -> None:
        self._sending = None
        self.busy = False
        self.last = time.monotonic()
        exc = None if task.cancelled() else task.exception()
        if exc is not None:  # the run failed mid-answer (or the sending did)
            if not isinstance(exc, StreamCut):
                log.warning("a streamed answer failed: %s", exc)
            if self.transport is not None:
                self.transport.abort()  # the client must not take a cut body for a whole one
            return None
        if task.cancelled() or self.current is None or not self.current.keep_alive:
            return self.close()
        self.serve()

    # -- what aiohttp answers ----------------------------------------------------
    def lend(self, req: Request) -> None:
        self.busy = True
        if self.front.aio_server is None:
            self.pending.appendleft(req)
            return self.front.waiting.append(self)  # served again once aiohttp is loaded
        assert self.transport is not None
        self.lent, self.lease = lend(self.front.aio_server, self.transport, req.serialized(), self.lease_answered)

    def _lend_streaming(self, req: Request, length: str | None) -> None:
        """A body too large to hold (an S3 upload) goes on to aiohttp as it arrives:
        aiohttp gets the head now and the body bytes as llhttp frames them (re-chunked
        when the client sent chunks), and may pause our reading while its handler
        catches up. Only when nothing is ahead of it on the connection (answers stay
        in order); aiohttp's own timeouts and limits apply from here."""
        self._streaming = 1 if length is not None else 2
        self.started = 0.0
        self.busy = True
        self.current = req
        drop = (b"content-length", b"transfer-encoding", b"expect", b"upgrade", b"connection")
        lines = [f"{req.method} {req.target} HTTP/{req.version}\r\n".encode("latin-1")]
        lines += [b"%s: %s\r\n" % (k, v) for k, v in req.raw if k.lower() not in drop]
        lines.append(b"Connection: %s\r\n" % (b"keep-alive" if req.keep_alive else b"close"))
        lines.append(b"Content-Length: %s\r\n\r\n" % length.encode() if length is not None
                     else b"Transfer-Encoding: chunked\r\n\r\n")
        assert self.transport is not None and self.front.aio_server is not None
        self.lent, self.lease = lend(self.front.aio_server, self.transport, b"".join(lines), self.lease_answered)
        self.lease.pause_reading = self.flow.pause_reading  # type: ignore[method-assign]
        self.lease.resume_reading = self.flow.resume_reading  # type: ignore[method-assign]
        if req.headers.get("expect", "").lower() == "100-continue":
            self.transport.write(CONTINUE)

    def lease_answered(self, lease: Lease) -> None:
        asyncio.get_running_loop().call_soon(self.take_back, lease)  # after aiohttp's own bookkeeping

    def take_back(self, lease: Lease) -> None:
        if lease is not self.lease or self.lent is None:
            return
        lent, self.lent, self.lease = self.lent, None, None
        lease.release()
        lent.connection_lost(None)
        self.busy = False
        self.last = time.monotonic()
        if self.current is not None and not self.current.keep_alive:
            return self.close()
        self.serve()

    # -- lifetime ----------------------------------------------------------------
    def expire(self, now: float) -> None:
        """Called by the sweep: a request still arriving REQUEST_TIMEOUT_S after its first
        byte gets a 408; a connection with nothing to do (or whose client reads no answers)
        for KEEPALIVE_S closes."""
        if self.transport is None or self.busy:
            return
        if self.started and now - self.started > REQUEST_TIMEOUT_S:
            self.stop(Refused(408, "RequestTimeoutException", f"Request not complete {REQUEST_TIMEOUT_S:.0f} s after it began"))
            self.serve()
        elif not self.started and now - self.last > KEEPALIVE_S:
            if self.flow.writing_paused:
                self.transport.abort()  # answers are waiting for a client that does not read them
            else:
                self.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
