"""JSON as Lambda reads it: request bodies and Invoke payloads that are not
strict JSON (``NaN``, ``Infinity``, ``1e999``, invalid UTF-8, nesting deeper
than a parser should follow) are refused with ``InvalidRequestContentException``
instead of being stored and later echoed as invalid JSON, or crashing a parser."""

from __future__ import annotations

import json
from typing import Any

from ..errors import ApiError

MAX_DEPTH = 64  # API documents; AWS's own shapes nest a handful deep


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def bad_content(message: str) -> ApiError:
    return ApiError(400, "InvalidRequestContentException", f"Could not parse request body into json: {message}")


def loads(raw: bytes) -> Any:
    """Strict JSON from UTF-8 bytes. Built once: ``json.loads(..., parse_float=...)``
    would build a decoder per call, and this runs on every Invoke."""
    try:
        return _DECODER.decode(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad_content("the body is not valid UTF-8") from None
    except RecursionError:
        raise bad_content("the document is nested too deeply") from None
    except ValueError as e:
        raise bad_content(str(e)) from None


def check_payload(raw: bytes) -> None:
    """An Invoke payload: strict JSON; the function still gets the bytes as sent."""
    loads(raw)


def document(raw: bytes) -> dict[str, Any]:
    """A request body: a JSON object, at most ``MAX_DEPTH`` deep, every string
    (keys included) encodable as UTF-8 (a lone surrogate from a ``\\ud800`` escape
    is not, and would fail later, in SQLite or in a reply)."""
    data = loads(raw)
    if not isinstance(data, dict):
        raise bad_content("the body must be a JSON object")
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise bad_content(f"the document is nested more than {MAX_DEPTH} deep")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            for s in (k, v):
                if isinstance(s, str) and not s.isascii():
                    try:
                        s.encode("utf-8")
                    except UnicodeEncodeError:
                        raise bad_content("a string holds a lone surrogate") from None
            if isinstance(v, (dict, list)):
                stack.append((v, depth + 1))
    return data
