"""``SchemaSerializer``, ``to_json`` and ``to_jsonable_python`` in pure Python (part of the stand-in,
see ``wasmhost_pydantic_core``). Models, typed dicts and dataclasses serialize by their schema
(aliases, include/exclude, exclude_unset/defaults/none, computed fields, field and model
serializers); every other value by its type, as pydantic-core infers it (datetimes in ISO 8601
with ``Z``, durations as ``P1DT2H``, bytes as UTF-8, Decimals and UUIDs as strings ...).
"""

from __future__ import annotations

import base64
import collections.abc
import copy
import dataclasses
import datetime
import decimal
import enum
import ipaddress
import json
import math
import pathlib
import re
import uuid

from wasmhost_pydantic_core_errors import PydanticSerializationError, PydanticSerializationUnexpectedValue
from wasmhost_pydantic_core_types import OLDEST, MultiHostUrl, PydanticUndefined, Url

MISSING = PydanticUndefined


class Opts:
    __slots__ = ("json", "by_alias", "exclude_unset", "exclude_defaults", "exclude_none", "round_trip",
                 "fallback", "context", "timedelta", "bytes", "inf_nan", "temporal", "serialize_unknown",
                 "exclude_computed", "warnings", "serialize_as_any", "model", "field", "warns", "text")

    def __init__(self, json=False, by_alias=None, exclude_unset=False, exclude_defaults=False, exclude_none=False,
                 round_trip=False, fallback=None, context=None, timedelta="iso8601", bytes="utf8", inf_nan="null",
                 temporal="iso8601", serialize_unknown=False, exclude_computed=False, warnings=True,
                 serialize_as_any=False):
        self.json = json
        self.by_alias = by_alias
        self.exclude_unset = exclude_unset
        self.exclude_defaults = exclude_defaults
        self.exclude_none = exclude_none
        self.round_trip = round_trip
        self.fallback = fallback
        self.context = context
        self.timedelta = timedelta
        self.bytes = bytes
        self.inf_nan = inf_nan
        self.temporal = temporal
        self.serialize_unknown = serialize_unknown
        self.exclude_computed = exclude_computed
        self.warnings = warnings
        self.serialize_as_any = serialize_as_any
        self.model = None  # the model whose fields are being serialized (a field serializer's ``self``)
        self.field = None  # and the field's name, for warnings
        self.warns: list[str] = []  # values not of their schema's type (serialized by inference)
        self.text = False  # JSON text is made of these values (else they are mode="json" Python values)

    def unexpected(self, expected, x):
        from wasmhost_pydantic_core_errors import _repr, truncate  # noqa: PLC0415
        where = f"field_name='{self.field}', " if self.field is not None else ""
        self.warns.append(f"PydanticSerializationUnexpectedValue(Expected `{expected}` - serialized value may not be "
                          f"as expected [{where}input_value={truncate(_repr(x))}, input_type={type(x).__name__}])")


class SerializationInfo:
    __slots__ = ("include", "exclude", "context", "mode", "by_alias", "exclude_unset", "exclude_defaults",
                 "exclude_none", "exclude_computed_fields", "round_trip", "field_name", "serialize_as_any")

    def __init__(self, o, include=None, exclude=None, field_name=None):
        self.include = include
        self.exclude = exclude
        self.context = o.context
        self.mode = "json" if o.json else "python"
        self.by_alias = bool(o.by_alias)
        self.exclude_unset = o.exclude_unset
        self.exclude_defaults = o.exclude_defaults
        self.exclude_none = o.exclude_none
        self.exclude_computed_fields = o.exclude_computed
        self.round_trip = o.round_trip
        self.field_name = field_name
        self.serialize_as_any = o.serialize_as_any

    def mode_is_json(self):
        return self.mode == "json"

    def __repr__(self):
        return (f"SerializationInfo(include={self.include}, exclude={self.exclude}, context={self.context}, "
                f"mode='{self.mode}', by_alias={self.by_alias}, exclude_unset={self.exclude_unset}, "
                f"exclude_defaults={self.exclude_defaults}, exclude_none={self.exclude_none}, "
                f"exclude_computed_fields={self.exclude_computed_fields}, round_trip={self.round_trip}, "
                f"serialize_as_any={self.serialize_as_any})")


# -- include / exclude ---------------------------------------------------------------------
def _as_filter(spec):
    if spec is None:
        return None
    if isinstance(spec, (set, frozenset, list, tuple)):
        return {k: True for k in spec}
    if isinstance(spec, dict):
        return spec
    raise TypeError(f"`include` and `exclude` must be of type `dict[str | int, <recursive> | bool]`, "
                    f"`set[str | int]` or `None`, got `{type(spec).__name__}`")


def _child(include, exclude, key):
    """(skip, child include, child exclude) for ``key``."""
    if exclude is not None:
        sub = exclude.get(key, exclude.get("__all__", MISSING))
        if sub is True or sub is Ellipsis:
            return True, None, None
        child_ex = _as_filter(sub) if sub is not MISSING and sub not in (False, None) else None
    else:
        child_ex = None
    if include is not None:
        sub = include.get(key, include.get("__all__", MISSING))
        if sub is MISSING or sub is False:
            return True, None, None
        child_in = _as_filter(sub) if sub is not True and sub is not Ellipsis else None
    else:
        child_in = None
    return False, child_in, child_ex


# -- inference ---------------------------------------------------------------------------------
def _duration(td: datetime.timedelta) -> str:
    if OLDEST:
        return _old_duration(td)
    days, seconds, micro = td.days, td.seconds, td.microseconds
    sign = ""
    if days < 0:
        sign = "-"
        total = -td
        days, seconds, micro = total.days, total.seconds, total.microseconds
    out = f"{sign}P"
    if days:
        out += f"{days}D"
    if seconds or micro or not days:
        out += "T"
        h, rest = divmod(seconds, 3600)
        m, s = divmod(rest, 60)
        if h:
            out += f"{h}H"
        if m:
            out += f"{m}M"
        if s or micro or not (h or m):
            out += f"{s}.{micro:06d}".rstrip("0").rstrip(".") + "S" if micro else f"{s}S"
    return out


def _old_duration(td: datetime.timedelta) -> str:
    """pydantic-core 2.14's form: days, then all the rest in seconds."""
    sign = "-" if td.days < 0 else ""
    if td.days < 0:
        td = -td
    seconds = f"{td.seconds}.{td.microseconds:06d}".rstrip("0").rstrip(".") if td.microseconds else str(td.seconds)
    out = f"{sign}P{td.days}D" if td.days else f"{sign}P"
    return out + (f"T{seconds}S" if td.seconds or td.microseconds or not td.days else "")


def _iso_datetime(dt: datetime.datetime) -> str:
    text = dt.isoformat()
    if dt.tzinfo is not None and dt.utcoffset() == datetime.timedelta(0) and text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def _iso_time(t: datetime.time) -> str:
    text = t.isoformat()
    if t.tzinfo is not None and text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def _float_json(x, o, typed=False):
    if math.isfinite(x):
        return x
    mode = o.inf_nan
    if not o.text:  # mode="json" Python values: pydantic-core keeps a float field's inf/nan, an untyped one's too
        return None if mode == "null" and not typed else x  # unless its JSON would be null
    if mode == "null":
        return None
    if mode == "strings":
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    return x


def _bytes_json(b, o):
    if o.bytes == "base64":
        return base64.urlsafe_b64encode(b).decode()
    if o.bytes == "hex":
        return b.hex()
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError as e:
        if not o.text:  # mode="json" Python values: pydantic-core lets the decoding error out
            raise UnicodeDecodeError("utf-8", e.object, e.start, e.start + 1, "invalid utf-8") from None
        raise PydanticSerializationError("Error serializing to JSON: invalid utf-8 sequence of 1 bytes from index "
                                         f"{e.start}") from None


def infer(x, o, include=None, exclude=None):
    """Any value by its type."""
    t = type(x)
    if t is str or t is int or x is None or t is bool:
        return x
    if t is float:
        return _float_json(x, o) if o.json else x
    if t is dict or isinstance(x, dict):
        return _dict(x, o, include, exclude)
    if t is list or t is tuple or isinstance(x, (list, tuple)):
        return _seq(x, o, include, exclude, t is tuple and not o.json)
    ser = getattr(t, "__pydantic_serializer__", None)
    if ser is not None and isinstance(ser, SchemaSerializer) and ser._of_instances and not isinstance(x, type):
        return ser._root.ser(x, o, include, exclude)
    if isinstance(x, enum.Enum):
        return infer(x.value, o) if o.json else x
    if isinstance(x, (str, int)):
        return x if not o.json else (str(x) if isinstance(x, str) else int(x))
    if isinstance(x, float):
        return _float_json(float(x), o) if o.json else x
    if not o.json:
        if isinstance(x, (set, frozenset)):
            return type(x)(infer(i, o) for i in x) if t in (set, frozenset) else x
        if dataclasses.is_dataclass(x) and not isinstance(x, type):
            return _dataclass(x, o, include, exclude)
        if isinstance(x, collections.abc.Generator):
            return [infer(i, o) for i in x]
        return x
    if isinstance(x, datetime.datetime):
        return _iso_datetime(x) if o.temporal == "iso8601" else _epoch(x, o)
    if isinstance(x, datetime.date):
        return x.isoformat()
    if isinstance(x, datetime.time):
        return _iso_time(x)
    if isinstance(x, datetime.timedelta):
        if o.temporal == "milliseconds":
            return x.total_seconds() * 1000
        return _duration(x) if o.timedelta == "iso8601" and o.temporal == "iso8601" else x.total_seconds()
    if isinstance(x, (bytes, bytearray)):
        return _bytes_json(bytes(x), o)
    if isinstance(x, decimal.Decimal):
        return str(x)
    if isinstance(x, uuid.UUID):
        return str(x)
    if isinstance(x, (Url, MultiHostUrl)):
        return str(x)
    if isinstance(x, (set, frozenset)):
        return [infer(i, o) for i in x]
    if isinstance(x, (pathlib.PurePath, ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network,
                      ipaddress.IPv6Network, ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
        return str(x)
    if isinstance(x, re.Pattern):
        return x.pattern
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return _dataclass(x, o, include, exclude)
    if isinstance(x, (collections.abc.Generator, collections.abc.Iterator, collections.deque)):
        return [infer(i, o) for i in x]
    if isinstance(x, complex):
        return str(x).strip("()")
    if isinstance(x, collections.abc.Mapping):
        return _dict(dict(x), o, include, exclude)
    if o.fallback is not None:
        return infer(o.fallback(x), o)
    if o.serialize_unknown:
        return str(x)
    raise PydanticSerializationError(f"Unable to serialize unknown type: {type(x)!r}")


def _epoch(dt, o):
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    s = dt.timestamp()
    return s * 1000 if o.temporal == "milliseconds" else s


def _key(k, o):
    if not o.json:
        return k
    if isinstance(k, str):
        return k if type(k) is str else (k.value if isinstance(k, enum.Enum) else str(k))
    if isinstance(k, bool):
        return "true" if k else "false"
    if k is None:
        return "None"
    if isinstance(k, enum.Enum):
        return _key(k.value, o)
    v = infer(k, o)
    if isinstance(v, (str, int, float)):
        return str(v)
    raise PydanticSerializationError("Error serializing to JSON: key must be a string")


def _dict(x, o, include, exclude, value_ser=None, key_ser=None):
    include, exclude = _as_filter(include), _as_filter(exclude)
    out = {}
    for k, v in x.items():
        if include is not None or exclude is not None:
            skip, ci, ce = _child(include, exclude, k)
            if skip:
                continue
        else:
            ci = ce = None
        nk = key_ser.ser(k, o, None, None) if key_ser else k
        out[_key(nk, o)] = value_ser.ser(v, o, ci, ce) if value_ser else infer(v, o, ci, ce)
    return out


def _from_end(spec, n):
    """A sequence's filter with its negative indexes counted from the end, as pydantic-core's."""
    if spec is None or not any(type(k) is int and k < 0 for k in spec):
        return spec
    return {k + n if type(k) is int and k < 0 else k: v for k, v in spec.items()}


def _seq(x, o, include, exclude, as_tuple=False, item_ser=None):
    include, exclude = _as_filter(include), _as_filter(exclude)
    if (include or exclude) and hasattr(x, "__len__"):
        include, exclude = _from_end(include, len(x)), _from_end(exclude, len(x))
    out = []
    for i, v in enumerate(x):
        if include is not None or exclude is not None:
            skip, ci, ce = _child(include, exclude, i)
            if skip:
                continue
        else:
            ci = ce = None
        out.append(item_ser.ser(v, o, ci, ce) if item_ser else infer(v, o, ci, ce))
    return tuple(out) if as_tuple else out


def _dataclass(x, o, include, exclude):
    include, exclude = _as_filter(include), _as_filter(exclude)
    out = {}
    for f in dataclasses.fields(x):
        skip, ci, ce = _child(include, exclude, f.name) if (include or exclude) else (False, None, None)
        if skip:
            continue
        out[f.name] = infer(getattr(x, f.name), o, ci, ce)
    return out


def jsonable(x, lax=False):
    """``x`` as JSON values (``ValidationError.json()``'s inputs: unknown types by ``str``)."""
    o = Opts(json=True, serialize_unknown=lax, inf_nan="constants")
    o.text = True
    try:
        return infer(x, o)
    except PydanticSerializationError as e:  # bytes that are not UTF-8
        message = str(e)
    # raised here, not in the except block: its context is the error being handled, as pydantic-core's
    raise ValueError(message.replace("Error serializing", "Error serializing ValidationError", 1))


# -- schema-driven serializers --------------------------------------------------------------
class S:
    """Serializes one schema's values; the default infers by type."""

    def ser(self, x, o, include=None, exclude=None):
        return infer(x, o, include, exclude)


class TypedS(S):
    """A scalar schema's values: of its type, or warned about and inferred."""

    def __init__(self, name, types, exclude=()):
        self.name = name
        self.types = types
        self.exclude = exclude

    def ser(self, x, o, include=None, exclude=None):
        if not isinstance(x, self.types) or isinstance(x, self.exclude):
            o.unexpected(self.name, x)
        return infer(x, o, include, exclude)


class FloatS(S):
    name = "float"

    def ser(self, x, o, include=None, exclude=None):
        if not isinstance(x, (float, int)):
            o.unexpected("float", x)
        if o.json and type(x) is int:
            x = float(x)
        if o.json and type(x) is float:
            return _float_json(x, o, typed=True)
        return infer(x, o, include, exclude)


class ListS(S):
    def __init__(self, item, as_tuple=False, kind="list"):
        self.item = item
        self.as_tuple = as_tuple
        self.name = f"{kind}[{getattr(item, 'name', 'any')}]"
        self.types = {"list": list, "set": (set, frozenset), "frozenset": (frozenset, set), "tuple": tuple}.get(
            kind, (list, tuple, set, frozenset, collections.deque, collections.abc.Iterator))

    def ser(self, x, o, include=None, exclude=None):
        if not isinstance(x, self.types):
            o.unexpected(self.name, x)
            return infer(x, o, include, exclude)
        if isinstance(x, (set, frozenset)) and not o.json:
            return type(x)(self.item.ser(i, o) for i in x)
        return _seq(x, o, include, exclude, self.as_tuple and not o.json, self.item)


class DictS(S):
    def __init__(self, keys, values):
        self.keys = keys
        self.values = values

    def ser(self, x, o, include=None, exclude=None):
        if not isinstance(x, dict):
            o.unexpected(f"dict[{getattr(self.keys, 'name', 'any')}, {getattr(self.values, 'name', 'any')}]", x)
            return infer(x, o, include, exclude)
        return _dict(x, o, include, exclude, self.values, self.keys)


class NullableS(S):
    def __init__(self, inner):
        self.inner = inner

    def ser(self, x, o, include=None, exclude=None):
        return None if x is None else self.inner.ser(x, o, include, exclude)


class FunctionS(S):
    """A field's or type's ``serialization`` function (plain or wrap)."""

    def __init__(self, spec, inner, field_name, cfg, defs):
        self.fn = spec["function"]
        self.info = spec.get("info_arg", False)
        self.wrap = spec["type"] == "function-wrap"
        self.when = spec.get("when_used", "always")
        self.ret = _build(spec["return_schema"], cfg, defs=defs) if spec.get("return_schema") else None
        self.inner = inner
        # a wrap function's handler: the spec's own schema when it has one (SerializeAsAny's: any)
        self.handler = _build(spec["schema"], cfg, defs=defs) if self.wrap and spec.get("schema") else inner
        self.field_name = field_name
        self.field_serializer = spec.get("is_field_serializer", False)

    def ser(self, x, o, include=None, exclude=None):
        when = self.when
        if when == "json" and not o.json or when == "unless-none" and x is None or \
                when == "json-unless-none" and (not o.json or x is None):
            return self.inner.ser(x, o, include, exclude)
        args = [o.model, x] if self.field_serializer else [x]
        if self.wrap:
            handler = self.handler
            args.append(lambda v, *_: handler.ser(v, o, include, exclude))
        if self.info:
            args.append(SerializationInfo(o, include, exclude, self.field_name))
        try:
            result = self.fn(*args)
        except PydanticSerializationError:
            raise
        except PydanticSerializationUnexpectedValue:
            raise
        return self.ret.ser(result, o) if self.ret is not None else infer(result, o)


class ModelS(S):
    def __init__(self, schema, cfg, defs):
        self.fields = []  # (name, key by alias, serializer, exclude?, default or MISSING, exclude_if)
        self.computed = []
        self.extra = False
        self.root = False
        self.kind = schema["type"]
        fields = schema.get("fields", {})
        items = fields.items() if isinstance(fields, dict) else [(f["name"], f) for f in fields]
        for name, f in items:
            if f.get("init_only"):
                continue
            fs = f["schema"]
            default = fs.get("default", MISSING) if fs.get("type") == "default" else MISSING
            self.fields.append((name, f.get("serialization_alias") or name, _build(fs, cfg, name, defs),
                                f.get("serialization_exclude", False), default, f.get("serialization_exclude_if")))
        for c in schema.get("computed_fields") or []:
            self.computed.append((c["property_name"], c.get("alias") or c["property_name"],
                                  _build(c["return_schema"], cfg, defs=defs)))
        self.extra = (schema.get("extra_behavior") or cfg.get("extra_fields_behavior")) == "allow"

    def ser(self, x, o, include=None, exclude=None):
        include, exclude = _as_filter(include), _as_filter(exclude)
        if self.kind == "model-fields":
            d = x.__dict__
            fields_set = getattr(x, "__pydantic_fields_set__", None)
            extra = getattr(x, "__pydantic_extra__", None)
        elif self.kind == "typed-dict":
            d, fields_set, extra = x, None, None
            if not isinstance(x, dict):
                return infer(x, o, include, exclude)
        else:
            d = {name: getattr(x, name) for name, *_ in self.fields if hasattr(x, name)}
            fields_set, extra = None, None
        by_alias = o.by_alias
        out = {}
        parent, o.model = o.model, x
        parent_field = o.field
        filtered = include is not None or exclude is not None
        for name, alias, s, ex, default, exclude_if in self.fields:
            if ex:
                continue
            if name not in d:
                continue
            v = d[name]
            if filtered:
                skip, ci, ce = _child(include, exclude, name)
                if skip:
                    continue
            else:
                ci = ce = None
            if o.exclude_unset and fields_set is not None and name not in fields_set:
                continue
            if o.exclude_none and v is None:
                continue
            if o.exclude_defaults and default is not MISSING:
                try:
                    if v == default:
                        continue
                except Exception:  # noqa: BLE001
                    pass
            if exclude_if is not None and exclude_if(v):
                continue
            o.field = name
            out[alias if by_alias else name] = s.ser(v, o, ci, ce)
        o.field = parent_field
        if extra:
            for k, v in extra.items():
                if filtered:
                    skip, ci, ce = _child(include, exclude, k)
                    if skip:
                        continue
                else:
                    ci = ce = None
                if o.exclude_none and v is None:
                    continue
                out[k] = infer(v, o, ci, ce)
        if self.computed and not o.exclude_computed and not o.round_trip:
            for name, alias, s in self.computed:
                if filtered:
                    skip, ci, ce = _child(include, exclude, name)
                    if skip:
                        continue
                else:
                    ci = ce = None
                v = getattr(x, name)
                if o.exclude_none and v is None:
                    continue
                out[alias if by_alias else name] = s.ser(v, o, ci, ce)
        o.model = parent
        return out


class ModelWrapS(S):
    """A model (or dataclass) instance: its fields' serializer, or inferred when it is not one."""

    def __init__(self, cls, inner, root=False):
        self.cls = cls
        self.inner = inner
        self.root = root

    def ser(self, x, o, include=None, exclude=None):
        if not isinstance(x, self.cls):
            return infer(x, o, include, exclude)
        if self.root:
            return self.inner.ser(x.__dict__["root"], o, include, exclude)
        if type(x) is not self.cls and o.serialize_as_any:
            ser = getattr(type(x), "__pydantic_serializer__", None)
            if ser is not None:
                return ser._root.ser(x, o, include, exclude)
        return self.inner.ser(x, o, include, exclude)


class UnionS(S):
    def __init__(self, choices):
        self.choices = choices

    def ser(self, x, o, include=None, exclude=None):
        for cls_or_type, s in self.choices:
            if cls_or_type is not None and isinstance(x, cls_or_type):
                return s.ser(x, o, include, exclude)
        return infer(x, o, include, exclude)


_TYPES = {"int": int, "str": str, "bool": bool, "bytes": bytes, "float": (float, int), "list": list, "dict": dict,
          "tuple": tuple, "set": set, "frozenset": frozenset, "none": type(None), "datetime": datetime.datetime,
          "date": datetime.date, "time": datetime.time, "timedelta": datetime.timedelta, "decimal": decimal.Decimal,
          "uuid": uuid.UUID}


def _match_type(schema):
    t = schema.get("type")
    if t in ("model", "dataclass"):
        return schema["cls"]
    if t == "enum":
        return schema["cls"]
    if t == "nullable":
        return _match_type(schema["schema"])
    return _TYPES.get(t)


_SCALARS = {"int": ((int,), (bool,)), "str": ((str,),), "bool": ((bool,),), "bytes": ((bytes, bytearray),),
            "none": ((type(None),),), "datetime": ((datetime.datetime,),),
            "date": ((datetime.date,),), "time": ((datetime.time,),), "timedelta": ((datetime.timedelta,),),
            "decimal": ((decimal.Decimal,),), "uuid": ((uuid.UUID,),)}


class RefS(S):
    def __init__(self, ref, defs, cfg):
        self.ref = ref
        self.defs = defs
        self.cfg = cfg
        self.target = None

    def ser(self, x, o, include=None, exclude=None):
        if self.target is None:
            self.target = _build(self.defs[self.ref], self.cfg, defs=self.defs)
        return self.target.ser(x, o, include, exclude)


def _build(schema, cfg, field_name=None, defs=None):
    if defs is None:
        defs = {}
    if schema.get("ref"):
        defs.setdefault(schema["ref"], schema)
    inner = _build_type(schema, cfg, defs)
    spec = schema.get("serialization")
    if spec and spec.get("type") in ("function-plain", "function-wrap"):
        return FunctionS(spec, inner, field_name, cfg, defs)
    if spec and spec.get("type") == "to-string":
        return _ToString(spec.get("when_used", "json-unless-none"), inner)
    if spec and spec.get("type") == "any":  # SerializeAsAny: by the value's own type (a subclass's fields too)
        return S()
    return inner


class _ToString(S):
    def __init__(self, when, inner):
        self.when = when
        self.inner = inner

    def ser(self, x, o, include=None, exclude=None):
        if self.when == "always" or (self.when in ("json", "json-unless-none") and o.json) or \
                (self.when == "unless-none" and x is not None):
            return str(x) if x is not None or self.when == "always" else None
        return self.inner.ser(x, o, include, exclude)


def _build_type(schema, cfg, defs):
    t = schema.get("type")
    if t == "definitions":
        for d in schema["definitions"]:
            defs[d["ref"]] = d
        return _build(schema["schema"], cfg, defs=defs)
    if t == "definition-ref":
        return RefS(schema["schema_ref"], defs, cfg)
    if t == "float":
        return FloatS()
    scalar = _SCALARS.get(t)
    if scalar is not None:
        return TypedS(t, *scalar)
    if t in ("list", "set", "frozenset", "generator"):
        item = _build(schema["items_schema"], cfg, defs=defs) if schema.get("items_schema") else S()
        return ListS(item, kind=t)
    if t in ("tuple-positional", "tuple-variable"):
        from wasmhost_pydantic_core_validators import tuple_schema  # noqa: PLC0415
        schema, t = tuple_schema(schema), "tuple"
    if t == "tuple":
        items = schema.get("items_schema", [])
        if len(items) == 1 and schema.get("variadic_item_index") == 0:
            return ListS(_build(items[0], cfg, defs=defs), as_tuple=True, kind="tuple")
        return ListS(S(), as_tuple=True, kind="tuple")
    if t == "dict":
        k = _build(schema["keys_schema"], cfg, defs=defs) if schema.get("keys_schema") else S()
        v = _build(schema["values_schema"], cfg, defs=defs) if schema.get("values_schema") else S()
        return DictS(k, v)
    if t == "nullable":
        return NullableS(_build(schema["schema"], cfg, defs=defs))
    if t in ("default", "function-before", "function-after", "function-wrap", "custom-error", "json-or-python",
             "lax-or-strict", "chain"):
        if t == "json-or-python":
            return _build(schema["python_schema"], cfg, defs=defs)
        if t == "lax-or-strict":
            return _build(schema["strict_schema"], cfg, defs=defs)
        if t == "chain":
            return _build(schema["steps"][-1], cfg, defs=defs)
        return _build(schema["schema"], cfg, defs=defs) if schema.get("schema") else S()
    if t in ("union", "tagged-union"):
        choices = schema["choices"]
        items = choices.values() if isinstance(choices, dict) else [c[0] if isinstance(c, tuple) else c for c in choices]
        return UnionS([(_match_type(c), _build(c, cfg, defs=defs)) for c in items if isinstance(c, dict)])
    if t == "model":
        c = {**cfg, **(schema.get("config") or {})}
        inner = _build(schema["schema"], c, defs=defs)
        return ModelWrapS(schema["cls"], inner, schema.get("root_model", False))
    if t == "dataclass":
        c = {**cfg, **(schema.get("config") or {})}
        return ModelWrapS(schema["cls"], _build(schema["schema"], c, defs=defs))
    if t in ("model-fields", "typed-dict", "dataclass-args"):
        return ModelS(schema, cfg, defs)
    if t == "json":
        return JsonS(_build(schema["schema"], cfg, defs=defs) if schema.get("schema") else S())
    return S()


class JsonS(S):
    """A ``Json[...]`` field's: its value, or with ``round_trip`` the JSON text it came as,
    so that validating the dump reads it again (pydantic-core's)."""

    def __init__(self, inner):
        self.inner = inner

    def ser(self, x, o, include=None, exclude=None):
        if not o.round_trip:
            return self.inner.ser(x, o, include, exclude)
        text = copy.copy(o)
        text.json = text.text = True
        return dumps(self.inner.ser(x, text, include, exclude)).decode()


class SchemaSerializer:
    __module__ = "pydantic_core._pydantic_core"

    def __init__(self, schema, config=None, _use_prebuilt=True):
        self._schema = schema
        self._config = config or {}
        self._root = _build(schema, self._config)
        c = self._config
        self._defaults = dict(timedelta=c.get("ser_json_timedelta", "iso8601"), bytes=c.get("ser_json_bytes", "utf8"),
                              inf_nan=c.get("ser_json_inf_nan", "null"), temporal=c.get("ser_json_temporal", "iso8601"))
        self._by_alias = c.get("serialize_by_alias", False)
        self._of_instances = _kind(schema) in ("model", "dataclass")  # a model's own: its instances infer by it

    def __reduce__(self):
        return SchemaSerializer, (self._schema, self._config)

    def _opts(self, json_mode, by_alias, exclude_unset, exclude_defaults, exclude_none, round_trip, fallback,
              context, exclude_computed_fields=False, warnings=True, serialize_as_any=False):
        return Opts(json_mode, self._by_alias if by_alias is None else by_alias, exclude_unset, exclude_defaults,
                    exclude_none, round_trip, fallback, context, exclude_computed=exclude_computed_fields,
                    warnings=warnings, serialize_as_any=serialize_as_any, **self._defaults)

    def to_python(self, value, *, mode=None, include=None, exclude=None, by_alias=None, exclude_unset=False,
                  exclude_defaults=False, exclude_none=False, exclude_computed_fields=False, round_trip=False,
                  warnings=True, fallback=None, serialize_as_any=False, polymorphic_serialization=None,
                  context=None):
        if mode not in (None, "python", "json"):
            raise ValueError(f"Invalid mode: {mode!r}")
        o = self._opts(mode == "json", by_alias, exclude_unset, exclude_defaults, exclude_none, round_trip, fallback,
                       context, exclude_computed_fields, warnings, serialize_as_any)
        out = self._root.ser(value, o, include, exclude)
        _warn(o)
        return out

    def to_json(self, value, *, indent=None, ensure_ascii=False, include=None, exclude=None, by_alias=None,
                exclude_unset=False, exclude_defaults=False, exclude_none=False, exclude_computed_fields=False,
                round_trip=False, warnings=True, fallback=None, serialize_as_any=False,
                polymorphic_serialization=None, context=None):
        o = self._opts(True, by_alias, exclude_unset, exclude_defaults, exclude_none, round_trip, fallback, context,
                       exclude_computed_fields, warnings, serialize_as_any)
        o.text = True
        out = self._root.ser(value, o, include, exclude)
        _warn(o)
        return dumps(out, indent, ensure_ascii)

    def __repr__(self):
        return "SchemaSerializer(...)"


def _kind(schema):
    """The type of the schema a serializer's is, through definitions and the validators
    around it (a model's ``model_validator(mode="after")`` or ``"wrap"``)."""
    defs = {}
    while schema.get("type") in ("definitions", "definition-ref", "function-before", "function-after", "function-wrap"):
        if schema["type"] == "definitions":
            defs.update((d["ref"], d) for d in schema["definitions"])
            schema = schema["schema"]
        elif schema["type"] == "definition-ref":
            schema = defs.get(schema["schema_ref"], {})
        else:
            schema = schema["schema"]
    return schema.get("type")


def _warn(o):
    if not o.warns or o.warnings in (False, "none"):
        return
    text = "Pydantic serializer warnings:\n  " + "\n  ".join(o.warns)
    if o.warnings == "error":
        raise PydanticSerializationError(text)
    import warnings  # noqa: PLC0415
    warnings.warn(text, UserWarning, stacklevel=3)


def dumps(data, indent=None, ensure_ascii=False) -> bytes:
    try:
        if indent is None:
            text = json.dumps(data, separators=(",", ":"), ensure_ascii=ensure_ascii, allow_nan=True)
        else:
            text = json.dumps(data, indent=indent, ensure_ascii=ensure_ascii, allow_nan=True)
    except ValueError as e:
        if "Circular" in str(e):
            raise ValueError("Circular reference detected (id repeated)") from None
        raise
    return text.encode("utf-8")


def to_json(value, *, indent=None, ensure_ascii=False, include=None, exclude=None, by_alias=True, exclude_none=False,
            round_trip=False, timedelta_mode="iso8601", temporal_mode="iso8601", bytes_mode="utf8",
            inf_nan_mode="constants", serialize_unknown=False, fallback=None, serialize_as_any=False,
            polymorphic_serialization=None, context=None):
    o = Opts(True, by_alias, False, False, exclude_none, round_trip, fallback, context, timedelta_mode, bytes_mode,
             inf_nan_mode, temporal_mode, serialize_unknown, serialize_as_any=serialize_as_any)
    o.text = True
    return dumps(infer(value, o, include, exclude), indent, ensure_ascii)


def to_jsonable_python(value, *, include=None, exclude=None, by_alias=True, exclude_none=False, round_trip=False,
                       timedelta_mode="iso8601", temporal_mode="iso8601", bytes_mode="utf8", inf_nan_mode="constants",
                       serialize_unknown=False, fallback=None, serialize_as_any=False,
                       polymorphic_serialization=None, context=None):
    o = Opts(True, by_alias, False, False, exclude_none, round_trip, fallback, context, timedelta_mode, bytes_mode,
             inf_nan_mode, temporal_mode, serialize_unknown, serialize_as_any=serialize_as_any)
    return infer(value, o, include, exclude)
