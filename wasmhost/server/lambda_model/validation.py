"""One small engine that checks a request against its operation's input shape
(types, required members, lengths, ranges, patterns, enums: model.py's table,
with this host's stricter limits in ``OVERRIDES``) and answers as AWS does:

* a missing member or a broken constraint: 400 ``ValidationException``,
  ``N validation errors detected: Value 'x' at 'timeout' failed to satisfy
  constraint: Member must have value less than or equal to 900; ...``
* a value of the wrong JSON type (``true`` for an integer, ``5`` for a
  structure): 400 ``SerializationException``, as AWS's deserializer does.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..errors import ApiError

# Where this host is stricter than the model (or the model's enum is AWS's, not ours).
OVERRIDES: dict[str, dict[str, Any]] = {
    "Timeout": {"max": 900},  # Lambda's limit for a function; the model allows 5400 for durable functions
    "MemorySize": {"max": 4096},  # 32-bit WebAssembly: more could not be honoured (Lambda's own range ends at 10240)
    "Runtime": {"enum": None},  # functions.py checks this host's runtimes with Lambda's own message
    "RoleArn": {"pattern": None},  # no IAM here: any role is accepted (and shown back)
}
_MAX_SHOWN = 100  # characters of a value quoted back in a message


def _compile(pattern: str) -> re.Pattern[str] | None:
    """Java regexes: ``\\p{L}`` etc. become Unicode classes; ``\\d`` means ASCII digits."""
    flags = re.ASCII
    if "\\p{" in pattern:
        pattern = pattern.replace("\\p{L}", "\\w").replace("\\p{N}", "\\d").replace("\\p{Z}", "\\s")
        flags = re.NOFLAG
    try:
        return re.compile(pattern, flags)
    except re.error:  # not expressible in Python: not checked (tests list which)
        return None


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "..."


class Validator:
    def __init__(self, shapes: dict[str, dict[str, Any]]) -> None:
        self.shapes = {name: {k: v for k, v in {**shape, **OVERRIDES.get(name, {})}.items() if v is not None}
                       for name, shape in shapes.items()}
        self._patterns: dict[str, re.Pattern[str] | None] = {}

    def pattern(self, pattern: str) -> re.Pattern[str] | None:
        if pattern not in self._patterns:
            self._patterns[pattern] = _compile(pattern)
        return self._patterns[pattern]

    def check(self, shape_name: str, params: dict[str, Any]) -> None:
        """Raise the first kind of error found, with every message of that kind."""
        errors: list[str] = []
        self._value(shape_name, params, "", errors)
        if errors:
            n = len(errors)
            raise ApiError(400, "ValidationException",
                           f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(errors[:10]))

    def _type_error(self, path: str, expected: str) -> ApiError:
        return ApiError(400, "SerializationException",
                        f"Expected {expected} at '{path or 'body'}'")

    def _value(self, shape_name: str, value: Any, path: str, errors: list[str]) -> None:
        shape = self.shapes[shape_name]
        kind = shape["type"]

        def fail(constraint: str) -> None:
            errors.append(f"Value '{_shown(value)}' at '{path}' failed to satisfy constraint: {constraint}")

        if kind == "structure":
            if not isinstance(value, dict):
                raise self._type_error(path, "a structure")
            for member in shape.get("required", ()):
                if value.get(member) is None:
                    errors.append(f"Value null at '{self._join(path, member)}' failed to satisfy constraint: "
                                  "Member must not be null")
            for member, ref in shape.get("members", {}).items():
                if value.get(member) is not None:
                    self._value(ref["shape"], value[member], self._join(path, member), errors)
            return
        if kind == "list":
            if not isinstance(value, list):
                raise self._type_error(path, "a list")
            self._size(shape, len(value), fail, "length")
            for i, item in enumerate(value):
                if item is None:
                    raise self._type_error(f"{path}.{i + 1}", "a value, not null")
                self._value(shape["member"]["shape"], item, f"{path}.{i + 1}.member", errors)
            return
        if kind == "map":
            if not isinstance(value, dict):
                raise self._type_error(path, "a map")
            self._size(shape, len(value), fail, "length")
            for k, v in value.items():
                self._value(shape["key"]["shape"], k, f"{path}.key", errors)
                if v is None:
                    raise self._type_error(f"{path}.{k}", "a value, not null")
                self._value(shape["value"]["shape"], v, f"{path}.{_shown(k)}", errors)
            return
        if kind == "string":
            if not isinstance(value, str):
                raise self._type_error(path, "a string")
            self._size(shape, len(value), fail, "length")
            if shape.get("enum") and value not in shape["enum"]:
                fail(f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]")
            elif "pattern" in shape and len(value) <= 100_000:
                rx = self.pattern(shape["pattern"])
                if rx is not None and rx.fullmatch(value) is None:
                    fail(f"Member must satisfy regular expression pattern: {shape['pattern']}")
            return
        if kind in ("integer", "long"):
            if type(value) is not int:  # bool is an int subclass: true is not 1 here
                raise self._type_error(path, "an integer")
            self._size(shape, value, fail, "value")
            return
        if kind in ("double", "float"):
            if type(value) not in (int, float) or not math.isfinite(value):
                raise self._type_error(path, "a number")
            self._size(shape, value, fail, "value")
            return
        if kind == "boolean":
            if type(value) is not bool:
                raise self._type_error(path, "a boolean")
            return
        if kind == "blob":
            if not isinstance(value, (str, bytes)):
                raise self._type_error(path, "base64-encoded bytes")
            return
        if kind == "timestamp":
            if type(value) not in (int, float, str) or (isinstance(value, float) and not math.isfinite(value)):
                raise self._type_error(path, "a timestamp")
            return
        raise self._type_error(path, kind)

    @staticmethod
    def _join(path: str, member: str) -> str:
        return f"{path}.{_camel(member)}" if path else _camel(member)

    @staticmethod
    def _size(shape: dict[str, Any], n: float, fail: Any, what: str) -> None:
        lo, hi = shape.get("min"), shape.get("max")
        if lo is not None and n < lo:
            fail(f"Member must have {what} greater than or equal to {lo}")
        elif hi is not None and n > hi:
            fail(f"Member must have {what} less than or equal to {hi}")
