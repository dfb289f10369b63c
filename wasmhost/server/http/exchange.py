"""One request and its answer: the slotted value the parser's callbacks fill in, and
the bytes a ``Reply`` becomes on the wire. Framing rules live here, once: a 1xx is
never a final answer, 204 and 304 carry neither a body nor its length, HEAD gets
the length but no body, and the ``Connection`` header says what the server does."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Callable

from ..errors import ApiError
from ..reply import Lines, Reply

class _StatusLines(dict):
    """Each status's line, ``HTTP/1.1 <code> Unknown`` for a code HTTP does not name
    (a function may answer any): one lookup on the hot path, as a plain dict's."""

    def __missing__(self, status: int) -> str:
        return f"HTTP/1.1 {status} Unknown\r\n"


_STATUS = _StatusLines({s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n" for s in HTTPStatus})
_NO_BODY = (204, 304)
_NAMES: dict[bytes, str] = {}  # header names seen, lower-cased: most requests repeat them


def _name(raw: bytes) -> str:
    name = raw.decode("latin-1").lower()
    if len(_NAMES) < 512:  # bounded: a client inventing names does not grow it
        _NAMES[raw] = name
    return name


def text(raw: bytes) -> str:
    """A header value's text: UTF-8 where it is (what botocore and browsers send), else
    Latin-1 (a client sending a str's characters as single bytes). aiohttp's reading is
    brought to the same by ``server/octets.py``."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class Request:
    """A request as llhttp framed it. ``headers``: lower-case names, repeated ones
    joined with commas (as aiohttp's routes see them); ``raw``: the pairs as sent,
    for a request lent to aiohttp."""

    __slots__ = ("method", "target", "path", "query", "version", "headers", "raw", "body", "keep_alive", "handler")

    def __init__(self, method: str, target: str, version: str, raw: list[tuple[bytes, bytes]],
                 keep_alive: bool) -> None:
        self.method, self.target, self.version, self.raw, self.keep_alive = method, target, version, raw, keep_alive
        self.path, _, self.query = target.partition("?")
        lower = _NAMES.get
        try:  # the values as UTF-8 (``text``): one comprehension when every value is UTF-8 and no name repeats
            headers = {lower(name) or _name(name): value.decode() for name, value in raw}
        except UnicodeDecodeError:
            headers = {}
        if len(headers) < len(raw):  # a name repeats (its values joined, in order), or a value is no UTF-8
            headers = {}
            for name, value in raw:
                key, v = lower(name) or _name(name), text(value)
                headers[key] = f"{headers[key]},{v}" if key in headers else v
        self.headers = headers
        self.body = b""
        self.handler: Callable[..., Any] | None = None  # the fast route's handler (routes.py), or None: lent to aiohttp

    def serialized(self) -> bytes:
        """The request again, as one plain Content-Length message (for aiohttp's parser):
        llhttp already framed it, so there is nothing left for another parser to read
        differently. Expect was answered here; Upgrade is not offered; and where this
        connection closes after the answer, aiohttp's answer says so."""
        drop = (b"content-length", b"transfer-encoding", b"expect", b"upgrade", b"connection")
        lines = [f"{self.method} {self.target} HTTP/{self.version}\r\n".encode("latin-1")]
        lines += [b"%s: %s\r\n" % (k, v) for k, v in self.raw if k.lower() not in drop]
        lines.append(b"Connection: %s\r\nContent-Length: %d\r\n\r\n"
                     % (b"keep-alive" if self.keep_alive else b"close", len(self.body)))
        return b"".join(lines) + self.body


def encode(reply: Reply, date: str, *, keep_alive: bool, version: str = "1.1", head_only: bool = False) -> bytes:
    """The bytes of ``reply``, sent as the answer to a request. ``date``: the Date
    and Server lines (FrontDoor.date)."""
    status, headers, body = reply
    if type(headers) is Lines and keep_alive and not head_only and version != "1.0" and 200 <= status < 300 \
            and status != 204:  # an invocation's answer: what follows, in one step
        return (f"{_STATUS[status]}{date}Content-Length: {len(body)}\r\n"
                f"{headers}\r\n").encode("utf-8", "replace") + body
    if status < 200 or status in _NO_BODY:
        status, headers, body = reply.final()
    fields: str
    if isinstance(headers, Lines):
        fields = headers
    elif isinstance(headers, dict):
        fields = "".join([f"{k}: {v}\r\n" for k, v in headers.items()])
        if "Content-Type" not in headers and status not in _NO_BODY:
            fields += "Content-Type: application/octet-stream\r\n"
    else:
        fields = "".join([f"{k}: {v}\r\n" for k, v in headers])
    length = f"Content-Length: {len(body)}\r\n" if status not in _NO_BODY else ""
    if head_only:
        body = b""
    connection = ("" if version != "1.0" else "Connection: keep-alive\r\n") if keep_alive else "Connection: close\r\n"
    # a function's header may hold any text
    return f"{_STATUS[status]}{date}{length}{fields}{connection}\r\n".encode("utf-8", "replace") + body


def encode_stream_head(reply: Reply, date: str, *, keep_alive: bool, version: str = "1.1") -> bytes:
    """The head of an answer whose body follows as it is made (server/streaming.py):
    chunked for HTTP/1.1; an HTTP/1.0 client reads to the connection's close instead."""
    fields = "".join([f"{k}: {v}\r\n" for k, v in reply.pairs()
                      if k.lower() not in ("content-length", "transfer-encoding", "connection")])
    framing = "Transfer-Encoding: chunked\r\n" if version != "1.0" else ""
    connection = "" if keep_alive and version != "1.0" else "Connection: close\r\n"
    return f"{_STATUS[reply.status]}{date}{framing}{fields}{connection}\r\n".encode("utf-8", "replace")


def one_line(text: object) -> str:
    """A parser's message for a log line or an error body (aiohttp's span several lines)."""
    return " | ".join(line.strip() for line in str(text).splitlines() if line.strip())


class Refused(Exception):
    """A request the server will not read to its end: answered, then the connection closes."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.reply = ApiError(status, code, message).reply()


def bad_request(message: str) -> Refused:
    return Refused(400, "InvalidRequestContentException", f"Malformed HTTP request: {message}")
