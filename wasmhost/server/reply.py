"""A response as plain data. The invoke handlers return one, so the aiohttp routes
and the fast path (fastpath.py) share every decision about what to answer and
differ only in how they write it.

This module and the other HTTP-free ones (errors, auth, invoke, lambda_invoke,
metrics, service, fastpath) do not import aiohttp: ``wasmhost serve`` answers
invocations on the fast path while aiohttp (~250 ms of imports) is still loading."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from aiohttp import web


class Reply(NamedTuple):
    status: int
    # Content-Type included; a list of pairs where a name repeats (an HTTP trigger's Set-Cookie)
    headers: dict[str, str] | list[tuple[str, str]]
    body: bytes = b""

    def response(self) -> web.Response:
        from aiohttp import web  # only aiohttp's routes call this, once aiohttp is loaded
        return web.Response(status=self.status, body=self.body, headers=self.headers)
