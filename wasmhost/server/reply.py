"""A response as plain data. The invoke handlers return one, so the aiohttp routes
and the fast path (http/) share every decision about what to answer and
differ only in how they write it.

This module and the other HTTP-free ones (errors, auth, invoke, lambda_invoke,
metrics, service, http/) do not import aiohttp: ``wasmhost serve`` answers
invocations on the fast path while aiohttp (~250 ms of imports) is still loading."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, NamedTuple, Union

if TYPE_CHECKING:
    from aiohttp import web


class Lines(str):
    """Headers already written as ``Name: value\r\n`` lines, Content-Type among them:
    what an invocation's answer carries (invoke.py), made by one f-string rather than
    a dict the front end then walks (~5 µs a request less). Values never hold CR or LF."""

    __slots__ = ()

    def pairs(self) -> list[tuple[str, str]]:
        return [(name, value) for name, _, value in (line.partition(": ") for line in self.split("\r\n") if line)]


Headers = Union[dict[str, str], list[tuple[str, str]], Lines]


def pairs(headers: Headers) -> list[tuple[str, str]]:
    """Any form of headers as a list of pairs (to add to)."""
    if isinstance(headers, Lines):
        return headers.pairs()
    return list(headers.items()) if isinstance(headers, dict) else list(headers)


class Reply(NamedTuple):
    status: int
    # Content-Type included; a list of pairs where a name repeats (an HTTP trigger's Set-Cookie)
    headers: Headers
    body: bytes = b""

    def pairs(self) -> list[tuple[str, str]]:
        """The headers as a list of pairs (to add to)."""
        return pairs(self.headers)

    def final(self) -> Reply:
        """What can be sent as the answer: an interim (1xx) status cannot be one (the
        client would take the next answer as this one's), and 204/304 carry no body."""
        if self.status < 200:
            return BAD_GATEWAY
        return self._replace(body=b"") if self.status in (204, 304) and self.body else self

    def with_headers(self, extra: Iterable[tuple[str, str]]) -> Reply:
        """This reply with more headers, as pairs (a name may repeat)."""
        return self._replace(headers=self.pairs() + list(extra))

    def response(self) -> web.Response:
        from aiohttp import web  # only aiohttp's routes call this, once aiohttp is loaded
        from multidict import CIMultiDict
        status, headers, body = self.final()
        return web.Response(status=status, body=body,
                            headers=CIMultiDict(headers.pairs()) if isinstance(headers, Lines) else headers)


# API Gateway's answer when a function's result cannot be sent (headers as pairs: an HTTP trigger adds to them)
BAD_GATEWAY = Reply(502, [("Content-Type", "application/json")], b'{"message": "Internal Server Error"}')
