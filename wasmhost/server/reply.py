"""A response as plain data. The invoke handlers return one, so the aiohttp routes
and the fast path (fastpath.py) share every decision about what to answer and
differ only in how they write it."""

from __future__ import annotations

from typing import NamedTuple

from aiohttp import web


class Reply(NamedTuple):
    status: int
    headers: dict[str, str]  # Content-Type included
    body: bytes = b""

    def response(self) -> web.Response:
        return web.Response(status=self.status, body=self.body, headers=self.headers)
