"""A stand-in for orjson's native module (``orjson.orjson``, which the package's
``__init__`` re-exports): its API over the standard library's JSON, giving the same
bytes (checked beside orjson 3.x).

orjson writes compact UTF-8 bytes; dataclasses, ``datetime``/``date``/``time`` (RFC
3339, as ``isoformat`` gives them), ``uuid.UUID`` and enums natively, subclasses of
``str``/``int``/``dict``/``list`` as their base; NaN and infinities as ``null``; an
integer beyond 64 bits (53 with ``OPT_STRICT_INTEGER``), a non-str key (without
``OPT_NON_STR_KEYS``) or an unknown type (after ``default``) fail with
``JSONEncodeError``, a ``TypeError``. ``loads`` takes str, bytes, bytearray or
memoryview and rejects NaN and Infinity, as orjson does. numpy arrays
(``OPT_SERIALIZE_NUMPY``) are not handled: numpy itself is native. Written here, not
taken from a package, because none reproduces orjson's output in pure Python; it is
for code written against orjson to run, not to be fast.
"""

import dataclasses
import datetime
import enum
import json
import json.encoder
import uuid

from wasmhost_ujson import float_text

__version__ = "3.10.0"
__all__ = ["__version__", "dumps", "loads", "Fragment", "JSONDecodeError", "JSONEncodeError", "OPT_APPEND_NEWLINE",
           "OPT_INDENT_2", "OPT_NAIVE_UTC", "OPT_NON_STR_KEYS", "OPT_OMIT_MICROSECONDS", "OPT_PASSTHROUGH_DATACLASS",
           "OPT_PASSTHROUGH_DATETIME", "OPT_PASSTHROUGH_SUBCLASS", "OPT_SERIALIZE_DATACLASS", "OPT_SERIALIZE_NUMPY",
           "OPT_SERIALIZE_UUID", "OPT_SORT_KEYS", "OPT_STRICT_INTEGER", "OPT_UTC_Z"]
OPT_INDENT_2, OPT_NAIVE_UTC, OPT_NON_STR_KEYS, OPT_OMIT_MICROSECONDS = 1, 2, 4, 8
OPT_SERIALIZE_NUMPY, OPT_SORT_KEYS, OPT_STRICT_INTEGER, OPT_UTC_Z = 16, 32, 64, 128
OPT_PASSTHROUGH_SUBCLASS, OPT_PASSTHROUGH_DATETIME, OPT_APPEND_NEWLINE, OPT_PASSTHROUGH_DATACLASS = 256, 512, 1024, 2048
OPT_SERIALIZE_DATACLASS = OPT_SERIALIZE_UUID = 0  # the default since orjson 3


class JSONDecodeError(json.JSONDecodeError):
    pass


JSONEncodeError = TypeError  # orjson's is TypeError itself


class Fragment:
    """Already-serialized JSON, written as it is."""

    __slots__ = ("contents",)

    def __init__(self, contents):
        self.contents = contents


_BASES = (str, int, float, dict, list, tuple)


def _type_name(value):
    """The type as orjson names it (CPython's ``tp_name``): a class's own name, a C type's
    with its module (``decimal.Decimal``, C on Lambda), a builtin's bare."""
    t = type(value)
    heap = t.__flags__ & (1 << 9) and t.__module__ != "decimal"
    return t.__name__ if heap or t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _time_text(value, option):
    if option & OPT_OMIT_MICROSECONDS and not type(value) is datetime.date:
        value = value.replace(microsecond=0)
    if isinstance(value, datetime.datetime) and value.tzinfo is None and option & OPT_NAIVE_UTC:
        value = value.replace(tzinfo=datetime.timezone.utc)
    text = value.isoformat()
    if option & OPT_UTC_Z and text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def dumps(obj, default=None, option=None):
    option = option or 0
    strict = option & OPT_STRICT_INTEGER
    indent = 2 if option & OPT_INDENT_2 else 0

    def key(k):
        if isinstance(k, str):
            return k
        if not option & OPT_NON_STR_KEYS:
            raise JSONEncodeError("Dict key must be str")
        if k is None or isinstance(k, bool):
            return {None: "null", True: "true", False: "false"}[k]
        if isinstance(k, (datetime.date, datetime.time)):
            return _time_text(k, option)
        if isinstance(k, float):
            return float_text(k, nan="null", inf="null")
        return str(k.value if isinstance(k, enum.Enum) else k)

    def encode(o, level, depth=0):
        if o is None:
            return "null"
        if o is True or o is False:
            return "true" if o else "false"
        subclass = type(o) not in _BASES and isinstance(o, _BASES) and not isinstance(o, (bool, enum.Enum))
        if subclass and option & OPT_PASSTHROUGH_SUBCLASS:
            return fallback(o, level, depth)
        if isinstance(o, str):
            return json.encoder.encode_basestring(o)
        if isinstance(o, int) and not isinstance(o, enum.Enum):
            if not -(1 << 63) <= o < (1 << 64):
                raise JSONEncodeError("Integer exceeds 64-bit range")
            if strict and not -(1 << 53) < o < (1 << 53):
                raise JSONEncodeError("Integer exceeds 53-bit range")
            return int.__repr__(o)
        if isinstance(o, float):
            return float_text(o, nan="null", inf="null")
        inner = "\n" + " " * (indent * (level + 1)) if indent else ""
        outer = "\n" + " " * (indent * level) if indent else ""
        sep = ": " if indent else ":"
        if isinstance(o, dict):
            items = [(key(k), v) for k, v in o.items()]
            if option & OPT_SORT_KEYS:
                items.sort(key=lambda kv: kv[0])
            if not items:
                return "{}"
            return "{" + inner + ("," + inner).join(json.encoder.encode_basestring(k) + sep + encode(v, level + 1)
                                                    for k, v in items) + outer + "}"
        if isinstance(o, (list, tuple)):
            if not o:
                return "[]"
            return "[" + inner + ("," + inner).join(encode(v, level + 1) for v in o) + outer + "]"
        if isinstance(o, (datetime.datetime, datetime.date, datetime.time)) and not option & OPT_PASSTHROUGH_DATETIME:
            return '"' + _time_text(o, option) + '"'
        if isinstance(o, uuid.UUID):
            return f'"{o}"'
        if isinstance(o, enum.Enum):
            return encode(o.value, level)
        if isinstance(o, Fragment):
            contents = o.contents
            return contents.decode() if isinstance(contents, (bytes, bytearray)) else contents
        if dataclasses.is_dataclass(o) and not isinstance(o, type) and not option & OPT_PASSTHROUGH_DATACLASS:
            names = [f.name for f in dataclasses.fields(o)]
            return encode({n: getattr(o, n) for n in names}, level)
        return fallback(o, level, depth)

    def fallback(o, level, depth):
        if default is None:
            raise JSONEncodeError(f"Type is not JSON serializable: {_type_name(o)}")
        if depth >= 254:
            raise JSONEncodeError("default serializer exceeds recursion limit")
        try:
            value = default(o)
        except Exception as e:  # noqa: BLE001 - orjson chains the default's failure
            raise JSONEncodeError(f"Type is not JSON serializable: {_type_name(o)}") from e
        return encode(value, level, depth + 1)

    text = encode(obj, 0)
    if option & OPT_APPEND_NEWLINE:
        text += "\n"
    return text.encode("utf-8", "surrogatepass")


def _no_constant(name):
    raise ValueError(name)


def _integer(text):
    """orjson reads an integer beyond 64 bits as a float."""
    value = int(text)
    return value if -(1 << 63) <= value < (1 << 64) else float(text)


def loads(obj):
    if isinstance(obj, (bytes, bytearray, memoryview)):
        obj = bytes(obj).decode("utf-8")
    elif not isinstance(obj, str):
        raise JSONDecodeError("Input must be bytes, bytearray, memoryview, or str: line 1 column 1 (char 0)", "", 0)
    try:
        return json.loads(obj, parse_constant=_no_constant, parse_int=_integer)
    except json.JSONDecodeError as e:
        raise JSONDecodeError(e.msg, e.doc, e.pos) from None
    except ValueError:
        raise JSONDecodeError("unexpected character, expected a JSON value", obj, 0) from None
