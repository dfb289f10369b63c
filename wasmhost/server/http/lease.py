"""Lending one request to aiohttp's protocol: the control plane, ``/metrics``,
``/healthz`` and anything no fast route matches.

The request was framed by llhttp and read to its end here, so aiohttp gets it again
as one plain Content-Length message (``Request.serialized``) over a ``Lease``, a
stand-in transport: aiohttp writes through it, cannot pause or resume our reading
(the connection's flow control owns that), and the app's errors middleware calls
``answered`` once the response is written; the connection then takes the transport
back. If aiohttp closes the lease instead, the connection closes: nothing is left
waiting on a connection nobody reads."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from aiohttp import web


class Lease:
    def __init__(self, transport: asyncio.Transport, on_answered: Callable[[Lease], None]) -> None:
        self._transport: asyncio.Transport | None = transport
        self._on_answered = on_answered

    def get_extra_info(self, name: str, default=None):
        return self._transport.get_extra_info(name, default) if self._transport is not None else default

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() if self._transport is not None else 0

    def pause_reading(self) -> None:  # our flow control reads; aiohttp holds one whole request
        pass

    def resume_reading(self) -> None:
        pass

    def is_reading(self) -> bool:
        return True

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        pass

    def write(self, data) -> None:
        if self._transport is not None:
            self._transport.write(data)

    def writelines(self, lines) -> None:
        if self._transport is not None:
            self._transport.writelines(lines)

    def can_write_eof(self) -> bool:
        return False

    def is_closing(self) -> bool:
        return self._transport is None or self._transport.is_closing()

    def answered(self) -> None:
        if self._transport is not None:
            self._on_answered(self)

    def close(self) -> None:
        if self._transport is not None:  # once returned, aiohttp's teardown must not close our connection
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def release(self) -> None:
        self._transport = None


def lend(aio_server: Callable[[], web.RequestHandler], transport: asyncio.Transport, data: bytes,
         on_answered: Callable[[Lease], None]) -> tuple[web.RequestHandler, Lease]:
    """Start aiohttp's protocol on a lease of ``transport`` with one request's bytes."""
    lease = Lease(transport, on_answered)
    proto = aio_server()
    proto.connection_made(lease)  # type: ignore[arg-type]
    proto.data_received(data)
    return proto, lease
