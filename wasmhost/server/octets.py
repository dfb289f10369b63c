"""Header values read alike on both paths a request can take.

HTTP gives header values no character set. botocore and browsers send UTF-8; other
clients send a str's characters up to U+00FF as single bytes; SigV4 signs the
characters UTF-8 encoded. The fast path (``server/http/exchange.py``'s ``text``) reads a
value as UTF-8 where it is, else as Latin-1. aiohttp reads values as UTF-8 and turns
bytes that are not into lone surrogates, which SQLite and ``str.encode()`` refuse (a
500) and which sign differently from what the client signed: ``as_text`` gives
aiohttp's values the fast path's reading, so both paths store and verify alike.
"""

from __future__ import annotations

from typing import Any


def _escaped(v: str) -> bool:
    return not v.isascii() and any("\udc80" <= c <= "\udcff" for c in v)


def as_text(headers: Any) -> Any:
    """``headers`` (aiohttp's), a value that was no UTF-8 read as Latin-1."""
    if not any(_escaped(v) for v in headers.values()):
        return headers
    from multidict import CIMultiDict
    return CIMultiDict((k, v.encode("utf-8", "surrogateescape").decode("latin-1") if _escaped(v) else v)
                       for k, v in headers.items())
