"""List pages: at most 50 items, ``NextMarker`` an opaque token this server made.
A marker it did not make is a 400, not a silent restart from the first page."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..errors import invalid

MAX_PAGE = 50
_PREFIX = "wasmhost-page:"


def _marker(index: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{index}".encode()).decode()


def _start(marker: str) -> int:
    try:
        text = base64.urlsafe_b64decode(marker.encode("ascii")).decode("ascii")
    except (binascii.Error, ValueError, UnicodeError):
        text = ""
    digits = text[len(_PREFIX):] if text.startswith(_PREFIX) else ""
    if not (digits.isascii() and digits.isdigit() and len(digits) < 10):
        raise invalid(f"Invalid pagination marker: {marker[:100]}")
    return int(digits)


def page(items: list[Any], params: dict[str, Any], key: str, limit: int = MAX_PAGE) -> dict[str, Any]:
    start = _start(params["Marker"]) if params.get("Marker") else 0
    n = min(params.get("MaxItems") or limit, limit)
    out: dict[str, Any] = {key: items[start:start + n]}
    if start + n < len(items):
        out["NextMarker"] = _marker(start + n)
    return out
