"""A stand-in for ujson (UltraJSON), whose only form is a native extension: its API
over the standard library's JSON, giving the same text (checked beside ujson 5.x/6.x).

ujson's output is compact (``{"a":[1,2]}``), escapes ``/`` as ``\\/`` unless told not
to, writes floats in their shortest form with a bare exponent (``1e-7``), ``NaN`` and
``Infinity`` unless ``allow_nan=False``, converts keys with ``str()`` (``None`` is
``"null"``), ``Decimal`` as a float, and asks an object it does not know for
``toDict()`` or ``__json__()`` (raw JSON text) before ``default``. Decoding is
``json.loads`` (NaN and Infinity accepted, as ujson does) raising ujson's
``JSONDecodeError``. A pure-Python encoder is ~10x slower than ujson's C; this one
exists so code written for ujson runs, not to be fast.
"""

import decimal
import json
import json.encoder
import re

__version__ = "5.10.0"


class JSONDecodeError(ValueError):
    pass


_EXPONENT = re.compile(r"e([+-])0+(?=\d)")
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def float_text(value, allow_nan=True, nan="NaN", inf="Infinity"):
    """A float as ujson and orjson write it: Python's shortest repr, a bare exponent."""
    if value != value or value in (float("inf"), float("-inf")):
        if not allow_nan:
            raise OverflowError("Invalid value when encoding double")
        return nan if value != value else (inf if value > 0 else "-" + inf)
    return _EXPONENT.sub(r"e\1", repr(float(value)))


def dumps(obj, ensure_ascii=True, double_precision=None, encode_html_chars=False, escape_forward_slashes=True,
          sort_keys=False, indent=0, allow_nan=True, reject_bytes=True, default=None, separators=None):
    quote = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    item_sep, key_sep = separators or ((",", ": ") if indent else (",", ":"))

    def string(s):
        text = quote(s)
        if escape_forward_slashes:
            text = text.replace("/", "\\/")
        if encode_html_chars:
            text = re.sub("[<>&]", lambda m: _HTML[m.group()], text)
        return text

    def key(k):
        if isinstance(k, str):
            return k
        return "null" if k is None else ("true" if k is True else "false" if k is False else str(k))

    def encode(o, level):
        if o is None:
            return "null"
        if o is True or o is False:
            return "true" if o else "false"
        if isinstance(o, str):
            return string(o)
        if isinstance(o, int):
            return int.__repr__(o)
        if isinstance(o, (float, decimal.Decimal)):
            return float_text(float(o), allow_nan)
        if isinstance(o, bytes) and not reject_bytes:
            return string(o.decode())
        inner = "\n" + " " * (indent * (level + 1)) if indent else ""
        outer = "\n" + " " * (indent * level) if indent else ""
        if isinstance(o, dict):
            items = [(key(k), v) for k, v in o.items()]
            if sort_keys:
                items.sort()
            if not items:
                return "{}"
            body = (item_sep + inner).join(string(k) + key_sep + encode(v, level + 1) for k, v in items)
            return "{" + inner + body + outer + "}"
        if isinstance(o, (list, tuple)):
            if not o:
                return "[]"
            return "[" + inner + (item_sep + inner).join(encode(v, level + 1) for v in o) + outer + "]"
        if callable(getattr(o, "toDict", None)):
            return encode(o.toDict(), level)
        if callable(getattr(o, "__json__", None)):
            return o.__json__()
        if default is not None:
            return encode(default(o), level)
        raise TypeError(f"{o!r} is not JSON serializable")

    return encode(obj, 0)


def dump(obj, fp, **kwargs):
    fp.write(dumps(obj, **kwargs))


def loads(s, **kwargs):
    try:
        return json.loads(s)
    except json.JSONDecodeError as e:
        raise JSONDecodeError(e.msg) from None


def load(fp, **kwargs):
    return loads(fp.read(), **kwargs)


encode, decode = dumps, loads
