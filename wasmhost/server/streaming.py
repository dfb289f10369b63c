"""Answers sent while the function still runs: a streaming handler's writes reach the
client as they are written (InvokeWithResponseStream's PayloadChunk events, a
RESPONSE_STREAM function URL's chunked body).

``LiveRun`` starts the invocation on a worker thread with a ResponseStream
(wasmhost/response_stream.py) and lets the event loop wait for its first write, read
its chunks as they come and learn how it ended. ``Streaming`` is the Reply such an
answer is: its body an async iterator of bytes, which the fast path (http/protocol.py)
writes as HTTP chunks and aiohttp's routes through a StreamResponse (``send``). Both
take the next chunk only once the last one left (the transport drained), so a slow
client holds the handler back (the stream's high-water mark) instead of the host's
memory filling. HTTP-free (aiohttp is imported in ``send`` only)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterable

from ..function import InvokeResult
from ..request import Request
from ..response_stream import ResponseStream
from .reply import Reply

if TYPE_CHECKING:
    from aiohttp import web

    from .lambda_model import Service
    from .lambda_model.routing import Resolved


class StreamCut(Exception):
    """Raised by a body's chunks when the run failed after the answer began: the
    connection is cut rather than ended, so the client cannot take the body for whole."""


class Streaming(Reply):
    """A Reply whose body is sent as it is made: ``chunks``, and ``closing``, called
    when they will not be read further (both set by ``streaming``)."""

    chunks: AsyncIterator[bytes]
    closing: Callable[[], None]

    async def close(self) -> None:
        """The body will not be read (further): its run's stream closes (its run goes on)."""
        self.closing()
        aclose = getattr(self.chunks, "aclose", None)
        if aclose is not None:
            await aclose()

    def with_headers(self, extra: Iterable[tuple[str, str]]) -> Streaming:
        return streaming(self.status, self.pairs() + list(extra), self.chunks, self.closing)

    async def send(self, request: web.Request) -> web.StreamResponse:
        """Through aiohttp (``serve --no-fast-path`` and the routes lent to it)."""
        from aiohttp import web
        resp = web.StreamResponse(status=self.status, headers=self.pairs())
        resp.enable_chunked_encoding()
        try:
            await resp.prepare(request)
            async for chunk in self.chunks:
                if chunk:
                    await resp.write(chunk)  # waits for the transport to drain
            await resp.write_eof()
        except ConnectionError:  # the client went away: the run goes on (and is metered)
            pass
        except StreamCut:
            if request.transport is not None:
                request.transport.abort()
        finally:
            await self.close()
        return resp


async def respond(out: Reply, request: web.Request) -> web.StreamResponse:
    """An answer through aiohttp, streamed or whole."""
    return await out.send(request) if isinstance(out, Streaming) else out.response()


def streaming(status: int, headers: list[tuple[str, str]], chunks: AsyncIterator[bytes],
              closing: Callable[[], None]) -> Streaming:
    out = Streaming(status, headers, b"")
    out.chunks, out.closing = chunks, closing
    return out


class LiveRun:
    """One invocation whose streamed writes are read while it runs."""

    def __init__(self, s: Service, r: Resolved, payload: bytes, request_id: str,
                 client_context: str | None = None) -> None:
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        wake = self._wake.set
        self.stream = ResponseStream(lambda: loop.call_soon_threadsafe(wake))
        self.task: asyncio.Task[InvokeResult] = asyncio.ensure_future(
            s.invoke(r, payload, request_id, inline=False, request=Request(client_context, stream=self.stream)))
        self.task.add_done_callback(lambda t: (wake(), t.cancelled() or t.exception()))  # (retrieved: a
        # client that left before the end leaves nobody to read the exception)

    async def begun(self) -> bool:
        """Wait until the handler starts streaming (True) or the run ends first (False:
        a handler that does not stream, or one that failed before it began)."""
        while self.stream.prelude is None and not self.task.done():
            self._wake.clear()
            if self.stream.prelude is None and not self.task.done():
                await self._wake.wait()
        return self.stream.prelude is not None

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it is written, until the run ends. Leaving early (the client went
        away) closes the stream: the handler's later writes are dropped."""
        try:
            while True:
                self._wake.clear()
                got = self.stream.take()
                for chunk in got:
                    yield chunk
                if not got:
                    if self.task.done():
                        for chunk in self.stream.take():  # written just before the end
                            yield chunk
                        return
                    await self._wake.wait()
        finally:
            self.stream.close()

    def outcome(self) -> tuple[InvokeResult | None, Any]:
        """How the run ended, once it has: (result, None) or (None, its exception)."""
        exc = self.task.exception()
        return (self.task.result(), None) if exc is None else (None, exc)


__all__ = ["LiveRun", "StreamCut", "Streaming", "respond", "streaming"]
