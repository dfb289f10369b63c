"""``SchemaValidator`` in pure Python (part of the stand-in, see ``wasmhost_pydantic_core``).

A core schema (the dicts pydantic generates) is built once into a tree of small validator
objects, each with ``v(input, state)``; validation walks that tree. Coercions, strict/lax
rules and error types follow pydantic-core's (its Rust sources and tests, read, not copied).
A schema type not covered here fails at build with a ``SchemaError`` naming the sandbox, so
nothing validates wrongly.
"""

from __future__ import annotations

import collections.abc
import copy
import datetime
import decimal
import enum
import math
import re
import uuid

import wasmhost_pydantic_core_temporal as T
from wasmhost_pydantic_core_errors import (Line, PydanticCustomError, PydanticKnownError, PydanticOmit,
                                           PydanticUseDefault, SchemaError, ValError, ValidationError, fail,
                                           own_frames_removed)
from wasmhost_pydantic_core_types import (CORE, OLD_WORDS, OLDEST, JsonError, MultiHostUrl, PydanticUndefined,
                                          Some, Url, UrlError, loads, parse_url)

MISSING = PydanticUndefined
LAX, STRICT, EXACT = 0, 1, 2
OLD_TITLES = CORE < (2, 30)  # pydantic-core 2.27 (pydantic 2.10) titled a TypedDict's errors "typed-dict"
UNSUPPORTED = "is not supported by wasmhost's pure-Python pydantic-core stand-in (the WebAssembly sandbox cannot load pydantic-core's native module)"


class State:
    __slots__ = ("strict", "from_attributes", "context", "json", "self_instance", "by_alias", "by_name", "extra",
                 "data", "field_name", "config", "strings", "exact", "fset")

    def __init__(self, strict=None, from_attributes=None, context=None, json=False, self_instance=None,
                 by_alias=None, by_name=None, extra=None, config=None):
        self.strict = strict
        self.from_attributes = from_attributes
        self.context = context
        self.json = json
        self.self_instance = self_instance
        self.by_alias = by_alias
        self.by_name = by_name
        self.extra = extra
        self.data = None
        self.field_name = None
        self.config = config
        self.strings = False
        # how exactly the input matched (EXACT, STRICT, LAX) and how many model fields it set:
        # what a smart union picks its best member by, as pydantic-core does
        self.exact = EXACT
        self.fset = None


class ValidationInfo:
    """What a ``with-info`` validator function gets (pydantic's ``ValidationInfo``)."""

    __slots__ = ("context", "config", "mode", "data", "field_name")

    def __init__(self, st, field_name=None):
        self.context = st.context
        self.config = st.config
        self.mode = "json" if st.json else "python"
        self.data = st.data
        self.field_name = field_name if field_name is not None else st.field_name

    def __repr__(self):
        return (f"ValidationInfo(config={self.config!r}, context={self.context!r}, data={self.data!r}, "
                f"field_name={self.field_name!r})")


class V:
    """A validator; ``name`` labels it in union error locations."""

    name = "any"
    has_default = False
    strict = False

    def v(self, x, st):
        return x

    def is_strict(self, st):
        return self.strict if st.strict is None else st.strict


def _bad(what):
    raise SchemaError(f"{what} {UNSUPPORTED}")


def _constraints(self, schema, keys=("gt", "ge", "lt", "le", "multiple_of"), kind=None):
    """The schema's bounds, as the validator's type (an error's context shows them so)."""
    self.checks = [(k, schema[k] if kind is None else kind(schema[k])) for k in keys if schema.get(k) is not None]


def _check_numbers(x, checks, input):
    """``x`` (the validated value) within its bounds; errors name the ``input`` given."""
    for k, bound in checks:
        if k == "gt":
            if not x > bound:
                fail("greater_than", input, {"gt": bound})
        elif k == "ge":
            if not x >= bound:
                fail("greater_than_equal", input, {"ge": bound})
        elif k == "lt":
            if not x < bound:
                fail("less_than", input, {"lt": bound})
        elif k == "le":
            if not x <= bound:
                fail("less_than_equal", input, {"le": bound})
        elif k == "multiple_of":
            if isinstance(x, int) and isinstance(bound, int):
                ok = x % bound == 0
            elif isinstance(x, decimal.Decimal):
                ok = x % decimal.Decimal(str(bound)) == 0
            else:
                r = math.fmod(x, bound)
                ok = abs(r) < 1e-9 or abs(abs(r) - abs(bound)) < 1e-9
            if not ok:
                fail("multiple_of", input, {"multiple_of": bound})


# -- scalars -----------------------------------------------------------------------------
class AnyV(V):
    name = "any"

    def v(self, x, st):
        if st.exact > STRICT:
            st.exact = STRICT
        return x


class NoneV(V):
    name = "none"

    def v(self, x, st):
        if x is None:
            return x
        fail("none_required", x)


_INT_RE = re.compile(r"\s*[+-]?\d+(_\d+)*\s*\Z", re.ASCII)  # ASCII digits only, as pydantic-core
_INT_DOT_RE = re.compile(r"\s*([+-]?\d+(?:_\d+)*)\.0+\s*\Z", re.ASCII)
_FLOAT_RE = re.compile(r"[+-]?(\d+(_\d+)*(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z|[+-]?(inf|infinity|nan)\Z", re.I | re.ASCII)
_I64 = 2 ** 63


class IntV(V):
    name = "int"

    def __init__(self, schema, cfg):
        self.strict = schema.get("strict", cfg.get("strict", False))
        _constraints(self, schema)

    def v(self, x, st):
        input = x
        t = type(x)
        if t is int:
            pass
        elif t is bool:
            if self.is_strict(st):
                fail("int_type", x)
            st.exact = LAX
            x = int(x)
        elif isinstance(x, int):
            if st.exact > STRICT:
                st.exact = STRICT
            x = x.value if isinstance(x, enum.Enum) and not st.json else int(x)
            if self.is_strict(st) and not isinstance(x, int):
                fail("int_type", x)
        else:
            x = self.lax(x, st)
        if self.checks:
            _check_numbers(x, self.checks, input)
        return x

    def lax(self, x, st):
        strict = self.is_strict(st)
        st.exact = LAX
        if isinstance(x, float):
            if strict and not st.json:
                fail("int_type", x)
            if math.isnan(x) or math.isinf(x):
                fail("finite_number", x)
            if x != int(x):
                fail("int_from_float", x)
            if not -_I64 <= x < _I64:
                fail("int_parsing_size", x)
            return int(x)
        if strict:
            fail("int_type", x)
        if isinstance(x, (str, bytes, bytearray)):
            s = x.decode("latin-1") if not isinstance(x, str) else x  # bytes are read as bytes: not UTF-8 just fails
            if _INT_RE.match(s):
                return int(s)
            m = _INT_DOT_RE.match(s)
            if m:
                return int(m[1])
            fail("int_parsing", x)
        if isinstance(x, decimal.Decimal):
            if not x.is_finite():
                fail("finite_number", x)
            if x != x.to_integral_value():
                fail("int_from_float", x)
            return int(x)
        if isinstance(x, enum.Enum) and isinstance(x.value, int):
            return x.value
        fail("int_type", x)


class FloatV(V):
    name = "float"

    def __init__(self, schema, cfg):
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.allow_inf_nan = schema.get("allow_inf_nan", cfg.get("allow_inf_nan", True))
        _constraints(self, schema, kind=float)

    def v(self, x, st):
        input = x
        t = type(x)
        if t is float:
            pass
        elif t is int or isinstance(x, float) or isinstance(x, int) and t is not bool:
            if st.exact > STRICT:
                st.exact = STRICT
            x = float(x)
        elif t is bool:
            if self.is_strict(st):
                fail("float_type", x)
            st.exact = LAX
            x = float(x)
        elif self.is_strict(st):
            fail("float_type", x)
        elif isinstance(x, (str, bytes, bytearray)):
            st.exact = LAX
            s = (x.decode("latin-1") if not isinstance(x, str) else x).strip()
            try:
                if not _FLOAT_RE.match(s):
                    raise ValueError
                x = float(s)
            except ValueError:
                fail("float_parsing", x)
        elif isinstance(x, decimal.Decimal):
            st.exact = LAX
            x = float(x)
        else:
            fail("float_type", x)
        if not self.allow_inf_nan and not math.isfinite(x):
            fail("finite_number", input)
        if self.checks:
            _check_numbers(x, self.checks, input)
        return x


_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


class BoolV(V):
    name = "bool"

    def __init__(self, schema, cfg):
        self.strict = schema.get("strict", cfg.get("strict", False))

    def v(self, x, st):
        if x is True or x is False:
            return x
        if self.is_strict(st):
            fail("bool_type", x)
        st.exact = LAX
        if isinstance(x, (str, bytes, bytearray)):
            s = (x.decode(errors="replace") if not isinstance(x, str) else x).strip().lower()
            if s in _TRUE:
                return True
            if s in _FALSE:
                return False
            fail("bool_parsing", x)
        if isinstance(x, (int, float, decimal.Decimal)):
            if x == 1:
                return True
            if x == 0:
                return False
            fail("bool_parsing", x)
        fail("bool_type", x)


class StrV(V):
    name = "str"

    def __init__(self, schema, cfg):
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.strip = schema.get("strip_whitespace", cfg.get("str_strip_whitespace", False))
        self.lower = schema.get("to_lower", cfg.get("str_to_lower", False))
        self.upper = schema.get("to_upper", cfg.get("str_to_upper", False))
        self.min = schema.get("min_length", cfg.get("str_min_length"))
        self.max = schema.get("max_length", cfg.get("str_max_length"))
        self.coerce_numbers = schema.get("coerce_numbers_to_str", cfg.get("coerce_numbers_to_str", False))
        pattern = schema.get("pattern")
        self.pattern_text = pattern if isinstance(pattern, str) or pattern is None else pattern.pattern
        self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        self.plain = not (self.strip or self.lower or self.upper or self.min is not None or self.max is not None
                          or pattern is not None)

    def v(self, x, st):
        input = x
        if type(x) is not str:
            x = self.coerce(x, st)
        if self.plain:
            return x
        if self.strip:
            x = x.strip()
        if self.min is not None and len(x) < self.min:
            fail("string_too_short", input, {"min_length": self.min})
        if self.max is not None and len(x) > self.max:
            fail("string_too_long", input, {"max_length": self.max})
        if self.pattern is not None and not self.pattern.search(x):
            fail("string_pattern_mismatch", input, {"pattern": self.pattern_text})
        if self.lower:
            x = x.lower()
        elif self.upper:
            x = x.upper()
        return x

    def coerce(self, x, st):
        if isinstance(x, str):
            if st.exact > STRICT:
                st.exact = STRICT
            if isinstance(x, enum.Enum):
                return x.value if isinstance(x.value, str) else str(x)
            return x
        if self.is_strict(st):
            fail("string_type", x)
        st.exact = LAX
        if isinstance(x, (bytes, bytearray)):
            try:
                return bytes(x).decode("utf-8")
            except UnicodeDecodeError:
                fail("string_unicode", x)
        if isinstance(x, enum.Enum) and isinstance(x.value, str):
            return x.value
        if self.coerce_numbers and isinstance(x, (int, float, decimal.Decimal)) and not isinstance(x, bool):
            return str(x)
        fail("string_type", x)


class BytesV(V):
    name = "bytes"

    def __init__(self, schema, cfg):
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.min = schema.get("min_length")
        self.max = schema.get("max_length")
        self.mode = cfg.get("val_json_bytes", "utf8")

    def v(self, x, st):
        input = x
        if type(x) is bytes:
            pass
        elif isinstance(x, str) and (st.json or not self.is_strict(st)):
            if not st.json:
                st.exact = LAX
            elif st.exact > STRICT:
                st.exact = STRICT
            if st.json and self.mode == "base64":
                import base64  # noqa: PLC0415
                try:
                    x = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
                except ValueError as e:
                    fail("bytes_invalid_encoding", x, {"encoding": "base64", "encoding_error": str(e)})
            elif st.json and self.mode == "hex":
                try:
                    x = bytes.fromhex(x)
                except ValueError as e:
                    fail("bytes_invalid_encoding", x, {"encoding": "hex", "encoding_error": str(e)})
            else:
                x = x.encode()
        elif isinstance(x, bytes):
            x = bytes(x)
        elif isinstance(x, bytearray) and not self.is_strict(st):
            st.exact = LAX
            x = bytes(x)
        else:
            fail("bytes_type", x)
        if self.min is not None and len(x) < self.min:
            fail("bytes_too_short", input, {"min_length": self.min})
        if self.max is not None and len(x) > self.max:
            fail("bytes_too_long", input, {"max_length": self.max})
        return x


def _json_float_text(x):
    """A JSON number as pydantic-core makes a Decimal of it: the float's digits, written out
    without exponent or a trailing '.0' (Rust's formatting: 1.0 -> 1, 1e3 -> 1000)."""
    if not math.isfinite(x):
        return str(x)
    text = format(decimal.Decimal(repr(x)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class DecimalV(V):
    name = "decimal"

    def __init__(self, schema, cfg):
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.allow_inf_nan = schema.get("allow_inf_nan", False)
        self.max_digits = schema.get("max_digits")
        self.decimal_places = schema.get("decimal_places")
        _constraints(self, schema, kind=lambda b: decimal.Decimal(str(b)))

    def v(self, x, st):
        if isinstance(x, decimal.Decimal):
            d = x
        elif self.is_strict(st) and not st.json:
            fail("is_instance_of", x, {"class": "Decimal"})
        elif isinstance(x, bool):
            fail("decimal_type", x)
        elif isinstance(x, int):
            d = decimal.Decimal(x)
        elif isinstance(x, float):
            d = decimal.Decimal(_json_float_text(x) if st.json else str(x))
        elif isinstance(x, str) and not (self.is_strict(st) and not st.json):  # not bytes, as pydantic-core
            s = x.strip()
            try:
                d = decimal.Decimal(s)
            except decimal.InvalidOperation:
                fail("decimal_parsing", x)
        else:
            fail("decimal_type", x)
        if type(x) is not decimal.Decimal:
            _lax(st)
        if not d.is_finite():
            if not self.allow_inf_nan:
                fail("finite_number", x)
            return d
        if self.max_digits is not None or self.decimal_places is not None:
            _, digits, exp = d.normalize().as_tuple()
            if exp >= 0:
                places, total = 0, len(digits) + exp
            else:
                places = -exp
                total = max(len(digits), places)
            if self.max_digits is not None and total > self.max_digits:
                fail("decimal_max_digits", x, {"max_digits": self.max_digits})
            if self.decimal_places is not None and places > self.decimal_places:
                fail("decimal_max_places", x, {"decimal_places": self.decimal_places})
            if self.max_digits is not None and self.decimal_places is not None:
                whole = self.max_digits - self.decimal_places
                if total - places > whole:
                    fail("decimal_whole_digits", x, {"whole_digits": whole})
        if self.checks:
            _check_numbers(d, self.checks, x)
        return d


# -- dates and times --------------------------------------------------------------------
class DateV(V):
    name = "date"

    def __init__(self, schema, cfg):
        self.strict = schema.get("strict", cfg.get("strict", False))
        _constraints(self, schema, ("gt", "ge", "lt", "le"))
        self.now_op = schema.get("now_op")
        self.now_offset = schema.get("now_utc_offset")

    def v(self, x, st):
        t = type(x)
        if t is datetime.date:
            d = x
        elif isinstance(x, datetime.datetime):
            if self.is_strict(st):
                fail("date_type", x)
            if x.time() != datetime.time():
                fail("date_from_datetime_inexact", x)
            d = x.date()
        elif isinstance(x, datetime.date):
            d = x
        elif isinstance(x, (str, bytes)) and (st.json or not self.is_strict(st)):
            s = x if isinstance(x, str) else x.decode("latin-1")
            try:
                d, inexact = T.parse_date(s)
            except T.ParseError as e:
                fail("date_from_datetime_parsing", x, {"error": str(e)})
            if inexact:
                fail("date_from_datetime_inexact", x)
        elif isinstance(x, (int, float)) and not isinstance(x, bool) and not self.is_strict(st):
            try:
                d = T.date_from_number(x)
            except T.ParseError as e:
                fail("date_from_datetime_parsing", x, {"error": str(e)})
            if d is None:
                fail("date_from_datetime_inexact", x)
        else:
            fail("date_type", x)
        if type(x) is not datetime.date:
            _lax(st)
        if self.checks:
            _check_numbers(d, self.checks, x)
        if self.now_op is not None:
            today = _now(self.now_offset).date()
            if self.now_op == "past" and not d < today:
                fail("date_past", x)
            if self.now_op == "future" and not d > today:
                fail("date_future", x)
        return d


class DatetimeV(V):
    name = "datetime"

    def __init__(self, schema, cfg):
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.tz = schema.get("tz_constraint")
        _constraints(self, schema, ("gt", "ge", "lt", "le"))
        self.now_op = schema.get("now_op")
        self.now_offset = schema.get("now_utc_offset")

    def v(self, x, st):
        if isinstance(x, datetime.datetime):
            d = x
        elif isinstance(x, (str, bytes)) and (st.json or not self.is_strict(st)):
            s = x if isinstance(x, str) else x.decode("latin-1")
            try:
                d = T.parse_datetime(s)
            except (ValueError, OverflowError) as e:
                fail("datetime_parsing" if OLDEST else "datetime_from_date_parsing", x, {"error": str(e)})
        elif self.is_strict(st):
            fail("datetime_type", x)
        elif isinstance(x, datetime.date):
            d = datetime.datetime(x.year, x.month, x.day)
        elif isinstance(x, (int, float, decimal.Decimal)) and not isinstance(x, bool):
            try:
                d = T.datetime_from_number(x)
            except T.ParseError as e:
                fail("datetime_parsing", x, {"error": str(e)})
        else:
            fail("datetime_type", x)
        if not isinstance(x, datetime.datetime):
            _lax(st)
        if self.tz is not None:
            offset = d.utcoffset()
            if self.tz == "naive":
                if offset is not None:
                    fail("timezone_naive", x)
            elif offset is None:
                fail("timezone_aware", x)
            elif self.tz != "aware" and offset.total_seconds() != self.tz:
                fail("timezone_offset", x, {"tz_expected": self.tz, "tz_actual": int(offset.total_seconds())})
        if self.checks:
            _check_numbers(d, self.checks, x)
        if self.now_op is not None:
            now = _now(self.now_offset)
            if d.utcoffset() is None:
                now = now.replace(tzinfo=None)
            if self.now_op == "past" and not d < now:
                fail("datetime_past", x)
            if self.now_op == "future" and not d > now:
                fail("datetime_future", x)
        return d


def _now(offset):
    """Now, in the schema's UTC offset (seconds) or the local time zone."""
    if offset is None:
        return datetime.datetime.now().astimezone()
    return datetime.datetime.now(datetime.timezone(datetime.timedelta(seconds=offset)))


class TimeV(V):
    name = "time"

    def __init__(self, schema, cfg):
        self.strict = schema.get("strict", cfg.get("strict", False))
        _constraints(self, schema, ("gt", "ge", "lt", "le"))

    def v(self, x, st):
        if isinstance(x, datetime.time):
            d = x
        elif isinstance(x, (str, bytes)) and (st.json or not self.is_strict(st)):
            try:
                d = T.parse_time(x if isinstance(x, str) else x.decode("latin-1"))
            except T.ParseError as e:
                fail("time_parsing", x, {"error": str(e)})
        elif isinstance(x, (int, float)) and not isinstance(x, bool) and not self.is_strict(st):
            try:
                d = T.time_from_number(x)
            except T.ParseError as e:
                fail("time_parsing", x, {"error": str(e)})
        else:
            fail("time_type", x)
        if not isinstance(x, datetime.time):
            _lax(st)
        if self.checks:
            _check_numbers(d, self.checks, x)
        return d


class TimedeltaV(V):
    name = "timedelta"

    def __init__(self, schema, cfg):
        self.strict = schema.get("strict", cfg.get("strict", False))
        _constraints(self, schema, ("gt", "ge", "lt", "le"))

    def v(self, x, st):
        if isinstance(x, datetime.timedelta):
            d = x
        elif isinstance(x, (str, bytes)) and (st.json or not self.is_strict(st)):
            try:
                d = T.parse_duration(x if isinstance(x, str) else x.decode("latin-1"))
            except (T.ParseError, OverflowError) as e:
                fail("time_delta_parsing", x, {"error": str(e)})
        elif isinstance(x, (int, float)) and not isinstance(x, bool) and (st.json or not self.is_strict(st)):
            try:
                d = datetime.timedelta(seconds=x)
            except OverflowError:
                fail("time_delta_parsing", x, {"error": "durations may not exceed 999,999,999 days"})
        else:
            fail("time_delta_type", x)
        if not isinstance(x, datetime.timedelta):
            _lax(st)
        if self.checks:
            _check_numbers(d, self.checks, x)
        return d


class UuidV(V):
    name = "uuid"

    def __init__(self, schema, cfg):
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.version = schema.get("version")

    def v(self, x, st):
        if isinstance(x, uuid.UUID):
            u = x
        elif self.is_strict(st) and not st.json:
            fail("is_instance_of", x, {"class": "UUID"})
        elif isinstance(x, str):
            u = self.parse(x)
        elif isinstance(x, (bytes, bytearray)):
            if len(x) == 16:
                u = uuid.UUID(bytes=bytes(x))
            else:
                u = self.parse(bytes(x).decode("latin-1"))
        else:
            fail("uuid_type", x)
        if not isinstance(x, uuid.UUID):
            _lax(st)
        if self.version is not None and u.version != self.version and u.int != 0:
            fail("uuid_version", x, {"expected_version": self.version})
        return u

    @staticmethod
    def parse(s):
        text = s[9:] if s.lower().startswith("urn:uuid:") else s
        if text.startswith("{") and text.endswith("}"):
            text = text[1:-1]
        for i, c in enumerate(text):
            if c not in "0123456789abcdefABCDEF-":
                if OLD_WORDS:
                    fail("uuid_parsing", s, {"error": "invalid character: expected an optional prefix of `urn:uuid:` "
                                                      f"followed by [0-9a-fA-F-], found `{c}` at {i + 1}"})
                fail("uuid_parsing", s, {"error": f"invalid character: found `{c}` at {i}"})
        groups = text.split("-")
        if len(groups) == 1:
            if len(text) != 32:
                fail("uuid_parsing", s, {"error": f"invalid length: found {len(text)}"})
        elif len(groups) != 5:
            fail("uuid_parsing", s, {"error": f"invalid group count: expected 5, found {len(groups)}"})
        else:
            for n, (g, want) in enumerate(zip(groups, (8, 4, 4, 4, 12))):
                if len(g) != want:
                    fail("uuid_parsing", s, {"error": f"invalid group length in group {n}: expected {want}, found {len(g)}"})
        return uuid.UUID(text)


class UrlV(V):
    name = "url"

    def __init__(self, schema, cfg, multi=False):
        self.cls = MultiHostUrl if multi else Url
        self.name = "multi-host-url" if multi else "url"
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.max_length = schema.get("max_length")
        self.schemes = schema.get("allowed_schemes")
        self.host_required = schema.get("host_required", False)
        self.default_host = schema.get("default_host")
        self.default_port = schema.get("default_port")
        self.default_path = schema.get("default_path")
        self.multi = multi

    def v(self, x, st):
        if isinstance(x, (Url, MultiHostUrl)):
            text = str(x)
            if type(x) is self.cls and not self.schemes and not self.max_length:
                return x
        elif isinstance(x, str):
            text = x
        else:
            fail("url_type", x)
        _lax(st)
        if self.max_length is not None and len(text) > self.max_length:
            fail("url_too_long", x, {"max_length": self.max_length})
        try:
            parts = parse_url(text, self.multi)
        except UrlError as e:
            fail("url_parsing", x, {"error": str(e)})
        if self.schemes and parts.scheme not in self.schemes:
            fail("url_scheme", x, {"expected_schemes": _expected_text(self.schemes)})
        if self.host_required and not any(h[2] for h in parts.hosts):
            if self.default_host:
                parts = parse_url(f"{parts.scheme}://{self.default_host}{parts.path if parts.path != '/' else ''}", self.multi)
            else:
                fail("url_parsing", x, {"error": "empty host"})
        return self.cls._from(parts)


# -- containers ---------------------------------------------------------------------------
def _lax(st):
    """The input was coerced: a lax match (from JSON, where it is the only form, a strict one)."""
    if not st.json:
        st.exact = LAX
    elif st.exact > STRICT:
        st.exact = STRICT


def _items(x, st, exact, strict, kind):
    """The items of a list/tuple/set input (lax: any sequence, set, view or iterator but a
    string or mapping), or the error ``kind``."""
    if type(x) is exact:
        return x
    if st.json:
        if isinstance(x, list):
            return x
        fail(kind, x)
    if strict or isinstance(x, (str, bytes, bytearray, collections.abc.Mapping)):
        fail(kind, x)
    if isinstance(x, (list, tuple, set, frozenset, collections.deque, collections.abc.KeysView,
                      collections.abc.ValuesView, collections.abc.ItemsView)):
        st.exact = LAX
        return list(x)
    if isinstance(x, collections.abc.Iterator):  # read item by item: a bound stops an endless one
        st.exact = LAX
        return x
    fail(kind, x)


def _length(x, n, lo, hi, field_type):
    if lo is not None and n < lo:
        fail("too_short", x, {"field_type": field_type, "min_length": lo, "actual_length": n})
    if hi is not None and n > hi:
        fail("too_long", x, {"field_type": field_type, "max_length": hi, "actual_length": n})


def _too_long(x, field_type, hi, actual=None):
    fail("too_long", x, {"field_type": field_type, "max_length": hi, "actual_length": actual})


def _each(items, item_v, st, hi=None, field_type="List", whole=None):
    """The items validated. With ``hi``, pydantic-core's bound on a list's or tuple's: the
    item after the ``hi``-th ends it (too_long, the errors so far dropped), naming the
    input's length when it has one."""
    out = []
    errors = []
    iv = item_v.v if item_v is not None else None
    for i, item in enumerate(items):
        if hi is not None and i >= hi:
            _too_long(whole, field_type, hi, len(items) if isinstance(items, collections.abc.Sized) else None)
        try:
            out.append(iv(item, st) if iv is not None else item)
        except ValError as e:
            errors.extend(e.at(i).lines)
        except PydanticOmit:
            pass
    if errors:
        raise ValError(errors)
    return out


class ListV(V):
    def __init__(self, schema, cfg, b):
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.item = b.build(schema["items_schema"]) if schema.get("items_schema") else None
        self.min = schema.get("min_length")
        self.max = schema.get("max_length")
        self.name = f"list[{self.item.name if self.item else 'any'}]"
        self.fail_fast = schema.get("fail_fast", False)

    def v(self, x, st):
        items = _items(x, st, list, self.is_strict(st), "list_type")
        if self.item is None and self.max is None and type(items) is list:
            out = list(items)
        else:
            out = _each(items, self.item, st, self.max, "List", x)
        _length(x, len(out), self.min, self.max, "List")
        return out


class TupleV(V):
    def __init__(self, schema, cfg, b):
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.items = [b.build(s) for s in schema.get("items_schema", [])]
        self.variadic = schema.get("variadic_item_index")
        self.min = schema.get("min_length")
        self.max = schema.get("max_length")
        if self.variadic is None:
            inner = ", ".join(i.name for i in self.items) if self.items else ""
        else:
            inner = ", ".join(i.name for i in self.items) + ", ..."
        self.name = f"tuple[{inner}]"

    def v(self, x, st):
        items = _items(x, st, tuple, self.is_strict(st), "tuple_type")
        sized = isinstance(items, collections.abc.Sized)
        if not isinstance(items, (list, tuple)):
            items = list(items)
        n = len(items)
        out, errors = [], []
        if self.variadic is None:
            for i, item in enumerate(items):
                if i >= len(self.items):
                    break
                try:
                    out.append(self.items[i].v(item, st))
                except ValError as e:
                    errors.extend(e.at(i).lines)
            for i in range(n, len(self.items)):
                if self.items[i].has_default:
                    out.append(self.items[i].default_value(st))
                else:
                    errors.append(Line("missing", items, None, (i,)))
            if errors:
                raise ValError(errors)
            if n > len(self.items):
                fail("too_long", x, {"field_type": "Tuple", "max_length": len(self.items), "actual_length": n})
            return tuple(out)
        head = self.items[:self.variadic]
        tail = self.items[self.variadic + 1:]
        var = self.items[self.variadic]
        for i, item in enumerate(items):
            if i < len(head):
                v = head[i]
            elif i >= n - len(tail) and n - len(tail) >= len(head):
                v = tail[i - (n - len(tail))]
            else:
                v = var
            try:
                out.append(v.v(item, st))
            except ValError as e:
                errors.extend(e.at(i).lines)
            except PydanticOmit:
                pass
            if self.max is not None and len(out) > self.max:  # as pydantic-core's: once it outgrows it
                _too_long(x, "Tuple", self.max, n if sized else None)
        for i in range(n, len(head) + len(tail)):
            errors.append(Line("missing", items, None, (i,)))
        if errors:
            raise ValError(errors)
        _length(x, len(out), self.min, self.max, "Tuple")
        return tuple(out)


class SetV(V):
    def __init__(self, schema, cfg, b, frozen=False):
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.item = b.build(schema["items_schema"]) if schema.get("items_schema") else None
        self.min = schema.get("min_length")
        self.max = schema.get("max_length")
        self.frozen = frozen
        self.name = f"{'frozenset' if frozen else 'set'}[{self.item.name if self.item else 'any'}]"

    def v(self, x, st):
        exact = frozenset if self.frozen else set
        kind = "frozen_set_type" if self.frozen else "set_type"
        if not st.json and isinstance(x, (set, frozenset)) and (type(x) is exact or not self.is_strict(st)):
            if type(x) is not exact:
                st.exact = LAX
            items = x
        else:
            items = _items(x, st, exact, self.is_strict(st), kind)
        field_type = "Frozenset" if self.frozen else "Set"
        result, errors = set(), []
        iv = self.item.v if self.item is not None else None
        for i, item in enumerate(items):
            try:
                value = iv(item, st) if iv is not None else item
            except ValError as e:
                errors.extend(e.at(i).lines)
                continue
            except PydanticOmit:
                continue
            try:
                result.add(value)
            except TypeError:
                fail("set_item_not_hashable", x)
            if self.max is not None and len(result) > self.max:  # as pydantic-core's: once the set outgrows it
                _too_long(x, field_type, self.max)
        if errors:
            raise ValError(errors)
        _length(x, len(result), self.min, None, field_type)
        return exact(result) if self.frozen else result


class DictV(V):
    def __init__(self, schema, cfg, b):
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.keys = b.build(schema["keys_schema"]) if schema.get("keys_schema") else None
        self.values = b.build(schema["values_schema"]) if schema.get("values_schema") else None
        self.min = schema.get("min_length")
        self.max = schema.get("max_length")
        self.name = f"dict[{self.keys.name if self.keys else 'any'},{self.values.name if self.values else 'any'}]"

    def v(self, x, st):
        if type(x) is not dict:
            st.exact = LAX
            if isinstance(x, dict) or (not self.is_strict(st) and not st.json
                                       and isinstance(x, collections.abc.Mapping)):
                try:
                    x = dict(x)
                except Exception as e:  # noqa: BLE001
                    fail("mapping_type", x, {"error": str(e)})
            else:
                fail("dict_type", x)
        out, errors = {}, []
        kv = self.keys.v if self.keys else None
        vv = self.values.v if self.values else None
        key_st = st
        if st.json and kv is not None and st.strict:  # JSON's keys are strings: read as the keys' type even when strict
            key_st = copy.copy(st)
            key_st.strict = False
        for k, val in x.items():
            try:
                nk = kv(k, key_st) if kv else k
            except ValError as e:
                errors.extend(e.at("[key]").at(k).lines)
                nk = MISSING
            except PydanticOmit:
                continue
            try:
                nv = vv(val, st) if vv else val
            except ValError as e:
                errors.extend(e.at(k).lines)
                continue
            except PydanticOmit:
                continue
            if nk is not MISSING:
                out[nk] = nv
                if _DICT_BOUND_WHILE_READ and self.max is not None and len(out) > self.max:  # once it outgrows it
                    _too_long(x, "Dictionary", self.max)
        if errors:
            raise ValError(errors)
        _length(x, len(out), self.min, self.max, "Dictionary")
        return out


class GeneratorV(V):
    def __init__(self, schema, cfg, b):
        self.item = b.build(schema["items_schema"]) if schema.get("items_schema") else None
        self.min = schema.get("min_length")
        self.max = schema.get("max_length")
        self.name = f"generator[{self.item.name if self.item else 'any'}]"

    def v(self, x, st):
        if isinstance(x, (str, bytes, dict)) or not isinstance(x, collections.abc.Iterable):
            fail("iterable_type", x)
        return self._gen(iter(x), st)

    def _gen(self, it, st):
        i = 0
        for item in it:
            if self.max is not None and i >= self.max:
                _raise_top("ValidatorIterator", Line("too_long", item, {"field_type": "Generator",
                                                                           "max_length": self.max,
                                                                           "actual_length": None}))
            if self.item is not None:
                try:
                    item = self.item.v(item, st)
                except ValError as e:
                    raise ValidationError("ValidatorIterator", e.at(i).lines) from None
            yield item
            i += 1
        if self.min is not None and i < self.min:
            _raise_top("ValidatorIterator", Line("too_short", "...", {"field_type": "Generator",
                                                                       "min_length": self.min, "actual_length": i}))


def _raise_top(title, line):
    raise ValidationError(title, [line])


# -- choices --------------------------------------------------------------------------------
_LAX_LITERALS = CORE >= (2, 27)
_DICT_BOUND_WHILE_READ = CORE >= (2, 41)  # pydantic 2.12+: 'not more'; before, the whole dict's length


def _expected_text(values) -> str:
    reprs = [repr(v) for v in values]
    if len(reprs) <= 1:
        return "".join(reprs)
    return ", ".join(reprs[:-1]) + " or " + reprs[-1]


class LiteralV(V):
    def __init__(self, schema, cfg):
        self.expected = list(schema["expected"])
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.text = _expected_text(self.expected)
        self.name = f"literal[{','.join(repr(e) for e in self.expected)}]"
        self.hashed = {}
        for e in self.expected:
            try:
                self.hashed.setdefault((type(e) if type(e) in (bool, int, str) else object, e), e)
            except TypeError:
                pass

    def v(self, x, st):
        key = (type(x) if type(x) in (bool, int, str) else object, x)
        try:
            hit = self.hashed.get(key, MISSING)
        except TypeError:
            hit = MISSING
        if hit is not MISSING:
            return hit
        st.exact = LAX
        for e in self.expected:  # then by Python's equality, as pydantic-core's last lookups (2.27+, pydantic 2.10):
            try:                 # True and 1.0 are 1, 'a' is a str enum's member, but '1' is not 1
                if x == e and (_LAX_LITERALS or type(e) not in (int, str) or type(x) is type(e)):
                    return e
            except Exception:  # noqa: BLE001, S112 - an input whose == fails is no match
                continue
            if type(e) is bytes and isinstance(x, str) and not self.is_strict(st) and x.encode() == e:
                return e
        fail("literal_error", x, {"expected": self.text})


class EnumV(V):
    def __init__(self, schema, cfg):
        self.cls = schema["cls"]
        self.members = list(schema["members"])
        self.sub_type = schema.get("sub_type")
        self.missing = schema.get("missing")
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.by_value = {}
        for m in self.members:
            try:
                self.by_value.setdefault(m.value, m)
            except TypeError:
                pass
        self.text = _expected_text([m.value for m in self.members])
        kind = {"str": "str-enum", "int": "int-enum", "float": "float-enum"}.get(self.sub_type, "enum")
        self.name = f"{kind}[{self.cls.__name__}]"

    def v(self, x, st):
        if type(x) is self.cls or isinstance(x, self.cls):
            return x
        if self.is_strict(st) and not st.json:
            fail("is_instance_of", x, {"class": self.cls.__name__})
        value = x
        st.exact = LAX
        if self.sub_type == "int" and isinstance(x, (str, float)) and not isinstance(x, bool):
            try:
                value = IntV({}, {}).v(x, st)
            except ValError:
                fail("enum", x, {"expected": self.text})
        elif self.sub_type == "float" and isinstance(x, str):
            try:
                value = float(x)
            except ValueError:
                fail("enum", x, {"expected": self.text})
        if isinstance(value, bool) and self.sub_type in ("int", "float"):
            fail("enum", x, {"expected": self.text})
        try:
            hit = self.by_value.get(value)
        except TypeError:
            hit = None
        if hit is not None:
            return hit
        if self.missing is not None:
            found = self.missing(x)
            if found is not None:
                if isinstance(found, self.cls):
                    return found
                raise TypeError(f"error in {self.cls.__name__}._missing_: returned {found!r} instead of None or a valid member")
        fail("enum", x, {"expected": self.text})


class NullableV(V):
    def __init__(self, schema, cfg, b):
        self.inner = b.build(schema["schema"])
        self.name = f"nullable[{self.inner.name}]"

    def v(self, x, st):
        if x is None:
            return None
        return self.inner.v(x, st)


class UnionV(V):
    def __init__(self, schema, cfg, b):
        self.choices = []
        for c in schema["choices"]:
            if isinstance(c, tuple):
                v, label = b.build(c[0]), c[1]
            else:
                v, label = b.build(c), None  # named when it fails: a definition's name is known by then
            self.choices.append((v, label))
        self.mode = schema.get("mode", "smart")
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.custom = (schema.get("custom_error_type"), schema.get("custom_error_message"),
                       schema.get("custom_error_context"))
        self.name = f"union[{','.join(v.name if label is None else label for v, label in self.choices)}]"

    def v(self, x, st):
        if self.mode == "left_to_right":
            return self._first(x, st)
        old_exact, old_fset, old_strict = st.exact, st.fset, st.strict
        if self.strict and st.strict is None:
            st.strict = True
        errors = []
        best = None
        try:
            for v, label in self.choices:
                st.exact, st.fset = EXACT, None
                try:
                    out = v.v(x, st)
                except ValError as e:
                    if best is None:
                        errors.extend(e.at(v.name if label is None else label).lines)
                    continue
                exact, fset = st.exact, st.fset
                if exact == EXACT and fset is None:
                    st.exact, st.fset = old_exact, old_fset
                    return out
                if best is None:
                    best = (out, exact, fset)
                else:
                    cur_fset = best[2]
                    if cur_fset is not None and fset is not None and cur_fset != fset:
                        better = cur_fset < fset
                    else:
                        better = best[1] < exact
                    if better:
                        best = (out, exact, fset)
        finally:
            st.strict = old_strict
        st.exact, st.fset = old_exact, old_fset
        if best is not None:
            if st.exact > best[1]:
                st.exact = best[1]
            if best[2] is not None:
                st.fset = (st.fset or 0) + best[2]
            return best[0]
        self._raise(x, errors)

    def _first(self, x, st):
        errors = []
        for v, label in self.choices:
            try:
                return v.v(x, st)
            except ValError as e:
                errors.extend(e.at(v.name if label is None else label).lines)
        self._raise(x, errors)

    def _raise(self, x, errors):
        kind, message, context = self.custom
        if kind is not None:
            if message is None:
                raise ValError([Line(kind, x, context)])
            raise ValError([Line(kind, x, context, custom=message)])
        raise ValError(errors)


class TaggedUnionV(V):
    def __init__(self, schema, cfg, b):
        self.choices = {}
        for tag, s in schema["choices"].items():
            self.choices[tag] = s if not isinstance(s, dict) else b.build(s)
        for tag, s in list(self.choices.items()):
            while not hasattr(s, "v"):
                s = self.choices[s]
            self.choices[tag] = s
        self.disc = schema["discriminator"]
        self.custom = (schema.get("custom_error_type"), schema.get("custom_error_message"),
                       schema.get("custom_error_context"))
        self.from_attributes = schema.get("from_attributes", True)
        self.strict = schema.get("strict", cfg.get("strict", False))
        if isinstance(self.disc, str):
            self.paths = [[self.disc]]
            self.disc_text = repr(self.disc)
        elif callable(self.disc):
            self.paths = None
            self.disc_text = f"{getattr(self.disc, '__name__', 'function')}()"
        else:
            self.paths = self.disc if self.disc and isinstance(self.disc[0], list) else [self.disc]
            self.disc_text = " | ".join(".".join(repr(p) for p in path) for path in self.paths)
        self.name = f"tagged-union[{','.join(v.name for v in self.choices.values())}]"
        self.tags_text = ", ".join(repr(t) if not isinstance(t, enum.Enum) else repr(t.value) for t in self.choices)

    def _tag(self, x):
        if self.paths is None:
            return self.disc(x)
        for path in self.paths:
            cur = x
            for p in path:
                if isinstance(cur, dict):
                    cur = cur.get(p, MISSING)
                elif isinstance(cur, (list, tuple)) and isinstance(p, int):
                    cur = cur[p] if -len(cur) <= p < len(cur) else MISSING
                elif not isinstance(cur, (str, bytes, list, tuple)) and isinstance(p, str):
                    cur = getattr(cur, p, MISSING)
                else:
                    cur = MISSING
                if cur is MISSING:
                    break
            if cur is not MISSING:
                return cur
        return MISSING

    def v(self, x, st):
        if not isinstance(x, (dict, collections.abc.Mapping)) and self.paths is not None and (
                st.json or isinstance(x, (str, bytes, int, float, list, tuple)) or x is None):
            if self.custom[0]:
                self._custom(x)
            fail("model_attributes_type", x)
        tag = self._tag(x)
        if tag is MISSING or tag is None:
            if self.custom[0]:
                self._custom(x)
            fail("union_tag_not_found", x, {"discriminator": self.disc_text})
        v = self._lookup(tag)
        if v is None:
            if self.custom[0]:
                self._custom(x)
            fail("union_tag_invalid", x, {"discriminator": self.disc_text, "tag": str(tag.value if isinstance(tag, enum.Enum) else tag),
                                          "expected_tags": self.tags_text})
        try:
            return v.v(x, st)
        except ValError as e:
            if self.custom[0]:
                self._custom(x)
            raise e.at(str(tag.value if isinstance(tag, enum.Enum) else tag)) from None

    def _lookup(self, tag):
        try:
            v = self.choices.get(tag)
        except TypeError:
            return None
        if v is None and isinstance(tag, enum.Enum):
            v = self.choices.get(tag.value)
        if v is None and isinstance(tag, str):
            for k, cand in self.choices.items():
                if isinstance(k, enum.Enum) and k.value == tag:
                    return cand
        return v

    def _custom(self, x):
        kind, message, context = self.custom
        raise ValError([Line(kind, x, context, custom=message)])


# -- functions ------------------------------------------------------------------------------
def call_user(fn, *args, input=MISSING):
    """Call a validator function, turning what it raises into validation errors (about
    ``input``: the validator's own input, by default the function's first argument)."""
    if input is MISSING:
        input = args[0]
    try:
        return fn(*args)
    except ValError:
        raise
    except ValidationError as e:
        raise ValError([Line(line.kind, line.input, line.ctx, line.loc, line.custom) for line in e._lines]) from None
    except PydanticCustomError as e:
        raise ValError([Line(e.type, input, e.context, custom=e.message_template)]) from None
    except PydanticKnownError as e:
        raise ValError([Line(e.type, input, e.context)]) from None
    except AssertionError as e:
        raise ValError([Line("assertion_error", input, {"error": e})]) from None
    except (PydanticOmit, PydanticUseDefault):
        raise
    except ValueError as e:
        raise ValError([Line("value_error", input, {"error": e})]) from None


def _fn_label(fn):
    name = getattr(fn, "__name__", None)
    if name is None:
        name = getattr(getattr(fn, "__func__", None), "__name__", None) or type(fn).__name__
    return name


class FunctionV(V):
    def __init__(self, schema, cfg, b, kind):
        f = schema["function"]
        self.fn = f["function"]
        self.info = f.get("type") == "with-info"
        self.field_name = f.get("field_name")
        self.kind = kind
        self.inner = b.build(schema["schema"]) if kind != "plain" else None
        self.cfg = cfg
        if kind in ("plain", "wrap"):  # pydantic-core names a wrap function without its inner schema
            self.name = f"function-{kind}[{_fn_label(self.fn)}()]"
        else:
            self.name = f"function-{kind}[{_fn_label(self.fn)}(), {self.inner.name}]"

    def _info(self, st):
        return ValidationInfo(st, self.field_name)

    def v(self, x, st):
        k = self.kind
        if k == "before":
            x = call_user(self.fn, x, self._info(st)) if self.info else call_user(self.fn, x)
            return self.inner.v(x, st)
        if k == "after":
            y = self.inner.v(x, st)
            return call_user(self.fn, y, self._info(st), input=x) if self.info else call_user(self.fn, y, input=x)
        if k == "plain":
            return call_user(self.fn, x, self._info(st)) if self.info else call_user(self.fn, x)
        handler = Handler(self.inner, st)
        return call_user(self.fn, x, handler, self._info(st)) if self.info else call_user(self.fn, x, handler)

    def assign(self, obj, name, value, st):
        """``validate_assignment`` through this function, as pydantic-core's: a before one is
        given the object (a model's fields, as a dict) and the field keeps its new value
        after it, an after one the object assigned to, a wrap one a handler that assigns."""
        k = self.kind
        if k == "plain":
            raise TypeError(f"validate_assignment is not supported for {self.name}")
        info = (self._info(st),) if self.info else ()
        if k == "before":
            x = call_user(self.fn, obj, *info)
            if isinstance(x, dict):
                x = {**x, name: value}
            return assign(self.inner, x, name, value, st)
        if k == "after":
            return call_user(self.fn, assign(self.inner, obj, name, value, st), *info, input=obj)
        return call_user(self.fn, obj, _AssignHandler(self.inner, st, (name, value)), *info)

    @property
    def has_default(self):
        return self.inner is not None and self.inner.has_default

    def default_value(self, st):
        return self.inner.default_value(st)


def assign(v, obj, name, value, st):
    """``v``'s ``validate_assignment`` of ``value`` to field ``name`` of ``obj``."""
    while isinstance(v, RefV):
        v = v.b.resolve(v.ref)
    if not hasattr(v, "assign"):
        raise TypeError(f"validate_assignment is not supported for {v.name}")
    return v.assign(obj, name, value, st)


class Handler:
    """The ``handler`` a wrap validator calls (pydantic's ``ValidatorFunctionWrapHandler``)."""

    __slots__ = ("_v", "_st")

    def __init__(self, v, st):
        self._v = v
        self._st = st

    def __call__(self, x, outer_location=None):
        try:
            return self._run(x)
        except ValError as e:
            if outer_location is not None:
                e.at(outer_location)
            raise ValidationError("ValidatorCallable", e.lines, "json" if self._st.json else "python") from None

    def _run(self, x):
        return self._v.v(x, self._st)

    def __repr__(self):
        return f"ValidatorCallable({self._v.name})"


class _AssignHandler(Handler):
    """A wrap validator's handler during ``validate_assignment``: assigns to what it is given."""

    __slots__ = ("_field",)

    def __init__(self, v, st, field):
        super().__init__(v, st)
        self._field = field

    def _run(self, x):
        return assign(self._v, x, *self._field, self._st)


class ChainV(V):
    def __init__(self, schema, cfg, b):
        self.steps = [b.build(s) for s in schema["steps"]]
        self.name = "chain[" + ",".join(s.name for s in self.steps) + "]"

    def v(self, x, st):
        for s in self.steps:
            x = s.v(x, st)
        return x


class LaxOrStrictV(V):
    def __init__(self, schema, cfg, b):
        self.lax = b.build(schema["lax_schema"])
        self.strict_v = b.build(schema["strict_schema"])
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.name = f"lax-or-strict[lax={self.lax.name},strict={self.strict_v.name}]"

    def v(self, x, st):
        if self.is_strict(st):
            return self.strict_v.v(x, st)
        try:
            return self.strict_v.v(x, st)
        except ValError:
            st.exact = LAX
            return self.lax.v(x, st)


class JsonOrPythonV(V):
    def __init__(self, schema, cfg, b):
        self.js = b.build(schema["json_schema"])
        self.py = b.build(schema["python_schema"])
        self.name = f"json-or-python[json={self.js.name},python={self.py.name}]"

    def v(self, x, st):
        return (self.js if st.json else self.py).v(x, st)


class JsonV(V):
    name = "json"

    def __init__(self, schema, cfg, b):
        self.inner = b.build(schema["schema"]) if schema.get("schema") else None
        if self.inner:
            self.name = f"json[{self.inner.name}]"

    def v(self, x, st):
        if not isinstance(x, (str, bytes, bytearray)):
            fail("json_type", x)
        try:
            data = loads(x)
        except JsonError as e:
            fail("json_invalid", x, {"error": str(e)})
        if self.inner is None:
            return data
        was = st.json
        st.json = True
        try:
            return self.inner.v(data, st)
        finally:
            st.json = was


class IsInstanceV(V):
    def __init__(self, schema, cfg):
        self.cls = schema["cls"]
        self.name = f"is-instance[{getattr(self.cls, '__name__', repr(self.cls))}]"
        self.cls_repr = schema.get("cls_repr") or getattr(self.cls, "__name__", repr(self.cls))

    def v(self, x, st):
        if st.json:
            fail("needs_python_object", x, {"method_name": "isinstance"})
        if isinstance(x, self.cls):
            return x
        fail("is_instance_of", x, {"class": self.cls_repr})


class IsSubclassV(V):
    def __init__(self, schema, cfg):
        self.cls = schema["cls"]
        self.cls_repr = schema.get("cls_repr") or getattr(self.cls, "__name__", repr(self.cls))
        self.name = f"is-subclass[{self.cls_repr}]"

    def v(self, x, st):
        if isinstance(x, type) and issubclass(x, self.cls):
            return x
        fail("is_subclass_of", x, {"class": self.cls_repr})


class CallableV(V):
    name = "callable"

    def v(self, x, st):
        if callable(x):
            st.exact = LAX
            return x
        fail("callable_type", x)


class CustomErrorV(V):
    def __init__(self, schema, cfg, b):
        self.inner = b.build(schema["schema"])
        self.kind = schema["custom_error_type"]
        self.message = schema.get("custom_error_message")
        self.context = schema.get("custom_error_context")
        self.name = self.kind

    def v(self, x, st):
        try:
            return self.inner.v(x, st)
        except ValError:
            if self.message is None:
                raise ValError([Line(self.kind, x, self.context)]) from None
            raise ValError([Line(self.kind, x, self.context, custom=self.message)]) from None


class WithDefaultV(V):
    has_default = True

    def __init__(self, schema, cfg, b):
        self.inner = b.build(schema["schema"])
        self.name = self.inner.name
        self.default = schema.get("default", MISSING)
        self.factory = schema.get("default_factory")
        self.factory_data = schema.get("default_factory_takes_data", False)
        self.on_error = schema.get("on_error", "raise")
        self.validate_default = schema.get("validate_default", cfg.get("validate_default", False))
        self.copy = schema.get("copy_default", True)
        if self.default is MISSING and self.factory is None:
            self.has_default = False
        self.mutable = self.default is not MISSING and not isinstance(
            self.default, (int, float, str, bytes, bool, type(None), tuple, frozenset, decimal.Decimal, enum.Enum,
                           datetime.date, datetime.time, datetime.timedelta, uuid.UUID))

    def default_value(self, st):
        if self.factory is not None:
            value = self.factory(st.data) if self.factory_data else self.factory()
        else:
            value = self.default
            if value is MISSING:
                return MISSING
            if self.copy and self.mutable:
                value = copy.deepcopy(value)
        if self.validate_default:
            value = self.inner.v(value, st)
        return value

    def v(self, x, st):
        if x is MISSING:
            return self.default_value(st)
        try:
            return self.inner.v(x, st)
        except ValError:
            if self.on_error == "default":
                return self.default_value(st)
            if self.on_error == "omit":
                raise PydanticOmit() from None
            raise
        except PydanticUseDefault:
            if not self.has_default:
                raise SchemaError("Uncaught `PydanticUseDefault` exception: the error was raised in a field "
                                  "validator and no default value is available for that field.") from None
            return self.default_value(st)


class RefV(V):
    """A ``definition-ref``: the definition's validator, found after the whole tree is built."""

    def __init__(self, ref, b):
        self.ref = ref
        self.b = b
        self.target = None

    @property
    def name(self):
        """The definition's name once it is built; ``...`` before (a recursive schema's own
        name, as pydantic-core's: union errors, named at error time, show the model's)."""
        return "..." if self.target is None else self.target.name

    def v(self, x, st):
        t = self.target
        if t is None:
            t = self.target = self.b.resolve(self.ref)
        return t.v(x, st)

    @property
    def has_default(self):
        t = self.target or self.b.resolve(self.ref)
        return t.has_default

    def default_value(self, st):
        return (self.target or self.b.resolve(self.ref)).default_value(st)


from wasmhost_pydantic_core_models import (ArgumentsV, CallV, DataclassArgsV, DataclassV,  # noqa: E402
                                           ModelFieldsV, ModelV, TypedDictV)

_SIMPLE = {"int": IntV, "float": FloatV, "bool": BoolV, "str": StrV, "bytes": BytesV, "decimal": DecimalV,
           "date": DateV, "datetime": DatetimeV, "time": TimeV, "timedelta": TimedeltaV, "uuid": UuidV,
           "literal": LiteralV, "enum": EnumV, "is-instance": IsInstanceV, "is-subclass": IsSubclassV}
_NESTED = {"list": ListV, "tuple": TupleV, "dict": DictV, "generator": GeneratorV, "nullable": NullableV,
           "union": UnionV, "tagged-union": TaggedUnionV, "chain": ChainV, "lax-or-strict": LaxOrStrictV,
           "json-or-python": JsonOrPythonV, "json": JsonV, "custom-error": CustomErrorV, "default": WithDefaultV,
           "model": ModelV, "model-fields": ModelFieldsV, "typed-dict": TypedDictV, "dataclass": DataclassV,
           "dataclass-args": DataclassArgsV, "arguments": ArgumentsV, "call": CallV}


def tuple_schema(schema):
    """pydantic-core < 2.16's two tuple schemas (pydantic 2.5) as the ``tuple`` schema that replaced them."""
    out = {k: v for k, v in schema.items() if k not in ("items_schema", "extras_schema", "type")}
    out["type"] = "tuple"
    if schema["type"] == "tuple-variable":
        out["items_schema"] = [schema.get("items_schema") or {"type": "any"}]
        out["variadic_item_index"] = 0
    else:
        items = list(schema.get("items_schema", []))
        if schema.get("extras_schema"):
            out["variadic_item_index"] = len(items)
            items.append(schema["extras_schema"])
        out["items_schema"] = items
    return out


class Builder:
    """Builds a schema's validator tree; ``definitions`` by ref, resolved lazily (recursion)."""

    def __init__(self, config):
        self.cfg = config or {}
        self.defs = {}
        self.built = {}

    def resolve(self, ref):
        v = self.built.get(ref)
        if v is None:
            schema = self.defs.get(ref)
            if schema is None:
                raise SchemaError(f"Definitions error: definition `{ref}` was never filled")
            v = self.build(schema)
        return v

    def build(self, schema):
        if not isinstance(schema, dict) or "type" not in schema:
            raise SchemaError(f"Invalid Schema:\n  Input should be a valid dictionary [type=dict_type, input_value={schema!r}]")
        t = schema["type"]
        ref = schema.get("ref")
        if t == "definitions":
            for d in schema["definitions"]:
                self.defs[d["ref"]] = d
            return self.build(schema["schema"])
        if t == "definition-ref":
            ref = schema["schema_ref"]
            if ref in self.built:
                return self.built[ref]
            return RefV(ref, self)
        if ref is not None and ref in self.built:
            return self.built[ref]
        if t in ("tuple-positional", "tuple-variable"):
            schema = tuple_schema(schema)
            t = "tuple"
        cfg = self.cfg
        if t in _SIMPLE:
            v = _SIMPLE[t](schema, cfg)
        elif t in _NESTED:
            if ref is not None:
                self.defs.setdefault(ref, schema)
            v = _NESTED[t](schema, cfg, self)
        elif t == "any":
            v = AnyV()
        elif t == "none":
            v = NoneV()
        elif t == "callable":
            v = CallableV()
        elif t == "set":
            v = SetV(schema, cfg, self)
        elif t == "frozenset":
            v = SetV(schema, cfg, self, frozen=True)
        elif t == "url":
            v = UrlV(schema, cfg)
        elif t == "multi-host-url":
            v = UrlV(schema, cfg, multi=True)
        elif t in ("function-before", "function-after", "function-wrap", "function-plain"):
            v = FunctionV(schema, cfg, self, t.split("-")[1])
        else:
            _bad(f"the core schema type {t!r}")
        if ref is not None:
            self.built[ref] = v
        return v


class SchemaValidator:
    __module__ = "pydantic_core._pydantic_core"

    def __init__(self, schema, config=None, _use_prebuilt=True):
        self._schema = schema
        self._config = config
        b = Builder(config)
        self._v = b.build(schema)
        self._title = (config or {}).get("title") or _title(schema, self._v)

    def __reduce__(self):
        return SchemaValidator, (self._schema, self._config)

    @property
    def title(self):
        return self._title

    def __repr__(self):
        return f"SchemaValidator(title={self._title!r}, validator={self._v.name})"

    def _error(self, e, x, st):
        """What a validation that raised ``e`` raises: a ``ValidationError``, or the user's own
        exception without this module's frames in its traceback (as pydantic-core's are not)."""
        if isinstance(e, ValError):
            return ValidationError(self._title, e.lines, "json" if st.json else "python")
        if isinstance(e, PydanticOmit):
            return SchemaError("Uncaught Omit error, please check your usage of `default` validators.")
        if isinstance(e, RecursionError):
            return ValidationError(self._title, [Line("recursion_loop", x)], "python")
        return own_frames_removed(e)

    def _run(self, x, st):
        """Validate; on failure, the exception to raise (raised by the caller, one frame deep)."""
        try:
            return self._v.v(x, st), None
        except BaseException as e:  # noqa: BLE001 - each is answered as pydantic-core does
            return None, self._error(e, x, st)

    def validate_python(self, input, *, strict=None, extra=None, from_attributes=None, context=None,
                        self_instance=None, allow_partial=False, by_alias=None, by_name=None):
        if allow_partial not in (False, "off"):
            raise NotImplementedError(f"allow_partial {UNSUPPORTED}")
        out, error = self._run(input, State(strict, from_attributes, context, False, self_instance, by_alias,
                                            by_name, extra, self._config))
        if error is not None:
            raise error
        return out

    def isinstance_python(self, input, **kw):
        try:
            self.validate_python(input, **kw)
            return True
        except ValidationError:
            return False

    def validate_json(self, input, *, strict=None, extra=None, context=None, self_instance=None,
                      allow_partial=False, by_alias=None, by_name=None):
        if allow_partial not in (False, "off"):
            raise NotImplementedError(f"allow_partial {UNSUPPORTED}")
        if not isinstance(input, (str, bytes, bytearray)):
            raise ValidationError(self._title, [Line("json_type", input)], "json")
        try:
            data = loads(input, (self._config or {}).get("allow_inf_nan", True))
        except JsonError as e:
            raise ValidationError(self._title, [Line("json_invalid", input, {"error": str(e)})], "json") from None
        out, error = self._run(data, State(strict, None, context, True, self_instance, by_alias, by_name, extra,
                                           self._config))
        if error is not None:
            raise error
        return out

    def validate_strings(self, input, *, strict=None, extra=None, context=None, allow_partial=False,
                         by_alias=None, by_name=None):
        st = State(strict, None, context, True, None, by_alias, by_name, extra, self._config)
        st.strings = True
        out, error = self._run(input, st)
        if error is not None:
            raise error
        return out

    def validate_assignment(self, obj, field_name, field_value, *, strict=None, extra=None, from_attributes=None,
                            context=None, by_alias=None, by_name=None):
        st = State(strict, from_attributes, context, False, None, by_alias, by_name, extra, self._config)
        target = self._v
        while isinstance(target, RefV):
            target = target.b.resolve(target.ref)
        if not hasattr(target, "assign"):
            raise TypeError(f"validate_assignment is not supported for {target.name}")
        try:
            return target.assign(obj, field_name, field_value, st)
        except BaseException as e:  # noqa: BLE001
            error = self._error(e, field_value, st)
        raise error

    def get_default_value(self, *, strict=None, context=None):
        if not self._v.has_default:
            return None
        st = State(strict, None, context, False, None, None, None, None, self._config)
        try:
            return Some(self._v.default_value(st))
        except ValError as e:
            raise ValidationError(self._title, e.lines, "python") from None


def _title(schema, v):
    t = schema.get("type")
    if t == "definitions":
        return _title(schema["schema"], v)
    if t in ("model", "dataclass"):
        return schema["cls"].__name__
    if t == "model-fields" or t == "typed-dict":
        if t == "model-fields":
            return schema.get("model_name") or "model-fields"
        return schema["cls"].__name__ if schema.get("cls") and not OLD_TITLES else "typed-dict"
    if t == "call":
        fn = schema["function"]
        return getattr(fn, "__name__", "call")
    if t == "arguments":
        return "arguments"
    if t == "dataclass-args":
        return schema.get("dataclass_name", "dataclass-args")
    if t == "function-plain":
        return v.name
    if t in ("function-after", "function-before", "function-wrap"):
        return v.name
    return v.name
