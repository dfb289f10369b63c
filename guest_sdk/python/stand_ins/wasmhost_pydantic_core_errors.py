"""Errors of ``pydantic_core._pydantic_core`` (part of the stand-in, see ``wasmhost_pydantic_core``):
``ValidationError`` worded exactly as pydantic-core words it (handlers return those texts:
``str(e)``, ``errors()``, ``json()``), the user-raised errors (``PydanticCustomError``,
``PydanticKnownError``, ``PydanticOmit``, ``PydanticUseDefault``), the serialization errors,
``SchemaError`` and ``list_all_errors``.

Inside validation an error is a ``ValError`` (a list of ``Line``s, each with its location
built outward as it propagates); ``ValidationError`` is made once, at the top.
"""

from __future__ import annotations

import json
import os
import sys

# type: (message template, its JSON-input wording when different, an example context):
# the table of pydantic-core 2.50's ``list_all_errors()``, which the tests compare with the real one
ERRORS = {
    'no_such_attribute': ("Object has no attribute '{attribute}'", None, {'attribute': ''}),
    'json_invalid': ('Invalid JSON: {error}', None, {'error': ''}),
    'json_type': ('JSON input should be string, bytes or bytearray', None, None),
    'needs_python_object': ('Cannot check `{method_name}` when validating from json, use a JsonOrPython validator instead', None, {'method_name': ''}),
    'recursion_loop': ('Recursion error - cyclic reference detected', None, None),
    'recursion_depth_exceeded': ('Recursion error - maximum validation depth exceeded', None, None),
    'missing': ('Field required', None, None),
    'frozen_field': ('Field is frozen', None, None),
    'frozen_instance': ('Instance is frozen', None, None),
    'extra_forbidden': ('Extra inputs are not permitted', None, None),
    'invalid_key': ('Keys should be strings', None, None),
    'get_attribute_error': ('Error extracting attribute: {error}', None, {'error': ''}),
    'model_type': ('Input should be a valid dictionary or instance of {class_name}', 'Input should be an object', {'class_name': ''}),
    'model_attributes_type': ('Input should be a valid dictionary or object to extract fields from', 'Input should be an object', None),
    'dataclass_type': ('Input should be a dictionary or an instance of {class_name}', 'Input should be an object', {'class_name': ''}),
    'dataclass_exact_type': ('Input should be an instance of {class_name}', None, {'class_name': ''}),
    'named_tuple_type': ('Input should be a tuple, list, dictionary or an instance of {class_name}', 'Input should be an array or an object', {'class_name': ''}),
    'default_factory_not_called': ('The default factory uses validated data, but at least one validation error occurred', None, None),
    'none_required': ('Input should be None', 'Input should be null', None),
    'greater_than': ('Input should be greater than {gt}', None, {'gt': 0}),
    'greater_than_equal': ('Input should be greater than or equal to {ge}', None, {'ge': 0}),
    'less_than': ('Input should be less than {lt}', None, {'lt': 0}),
    'less_than_equal': ('Input should be less than or equal to {le}', None, {'le': 0}),
    'multiple_of': ('Input should be a multiple of {multiple_of}', None, {'multiple_of': 0}),
    'finite_number': ('Input should be a finite number', None, None),
    'too_short': ('{field_type} should have at least {min_length} item{expected_plural} after validation, not {actual_length}', None, {'field_type': '', 'min_length': 0, 'actual_length': 0}),
    'too_long': ('{field_type} should have at most {max_length} item{expected_plural} after validation, not {actual_length}', None, {'field_type': '', 'max_length': 0, 'actual_length': None}),
    'iterable_type': ('Input should be iterable', 'Input should be a valid array', None),
    'iteration_error': ('Error iterating over object, error: {error}', None, {'error': ''}),
    'string_type': ('Input should be a valid string', None, None),
    'string_unicode': ('Input should be a valid string, unable to parse raw data as a unicode string', None, None),
    'string_too_short': ('String should have at least {min_length} character{expected_plural}', None, {'min_length': 0}),
    'string_too_long': ('String should have at most {max_length} character{expected_plural}', None, {'max_length': 0}),
    'string_pattern_mismatch': ("String should match pattern '{pattern}'", None, {'pattern': ''}),
    'string_not_ascii': ('String should contain only ASCII characters', None, None),
    'enum': ('Input should be {expected}', None, {'expected': ''}),
    'dict_type': ('Input should be a valid dictionary', 'Input should be an object', None),
    'frozen_dict_type': ('Input should be a valid frozendict', 'Input should be an object', None),
    'ordered_dict_type': ('Input should be a valid OrderedDict', 'Input should be an object', None),
    'counter_type': ('Input should be a valid Counter', 'Input should be an object', None),
    'mapping_type': ('Input should be a valid mapping, error: {error}', None, {'error': ''}),
    'list_type': ('Input should be a valid list', 'Input should be a valid array', None),
    'deque_type': ('Input should be a valid deque', 'Input should be a valid array', None),
    'tuple_type': ('Input should be a valid tuple', 'Input should be a valid array', None),
    'set_type': ('Input should be a valid set', 'Input should be a valid array', None),
    'set_item_not_hashable': ('Set items should be hashable', None, None),
    'bool_type': ('Input should be a valid boolean', None, None),
    'bool_parsing': ('Input should be a valid boolean, unable to interpret input', None, None),
    'int_type': ('Input should be a valid integer', None, None),
    'int_parsing': ('Input should be a valid integer, unable to parse string as an integer', None, None),
    'int_parsing_size': ('Unable to parse input string as an integer, exceeded maximum size', None, None),
    'int_from_float': ('Input should be a valid integer, got a number with a fractional part', None, None),
    'float_type': ('Input should be a valid number', None, None),
    'float_parsing': ('Input should be a valid number, unable to parse string as a number', None, None),
    'bytes_type': ('Input should be a valid bytes', None, None),
    'bytes_too_short': ('Data should have at least {min_length} byte{expected_plural}', None, {'min_length': 0}),
    'bytes_too_long': ('Data should have at most {max_length} byte{expected_plural}', None, {'max_length': 0}),
    'bytes_invalid_encoding': ('Data should be valid {encoding}: {encoding_error}', None, {'encoding': '', 'encoding_error': ''}),
    'value_error': ('Value error, {error}', None, {'error': None}),
    'assertion_error': ('Assertion failed, {error}', None, {'error': None}),
    'literal_error': ('Input should be {expected}', None, {'expected': ''}),
    'missing_sentinel_error': ("Input should be the 'MISSING' sentinel", None, None),
    'ellipsis_error': ("Input should be the 'Ellipsis' literal", None, None),
    'date_type': ('Input should be a valid date', None, None),
    'date_parsing': ('Input should be a valid date in the format YYYY-MM-DD, {error}', None, {'error': ''}),
    'date_from_datetime_parsing': ('Input should be a valid date or datetime, {error}', None, {'error': ''}),
    'date_from_datetime_inexact': ('Datetimes provided to dates should have zero time - e.g. be exact dates', None, None),
    'date_past': ('Date should be in the past', None, None),
    'date_future': ('Date should be in the future', None, None),
    'time_type': ('Input should be a valid time', None, None),
    'time_parsing': ('Input should be in a valid time format, {error}', None, {'error': ''}),
    'datetime_type': ('Input should be a valid datetime', None, None),
    'datetime_parsing': ('Input should be a valid datetime, {error}', None, {'error': ''}),
    'datetime_object_invalid': ('Invalid datetime object, got {error}', None, {'error': ''}),
    'datetime_from_date_parsing': ('Input should be a valid datetime or date, {error}', None, {'error': ''}),
    'datetime_past': ('Input should be in the past', None, None),
    'datetime_future': ('Input should be in the future', None, None),
    'timezone_naive': ('Input should not have timezone info', None, None),
    'timezone_aware': ('Input should have timezone info', None, None),
    'timezone_offset': ('Timezone offset of {tz_expected} required, got {tz_actual}', None, {'tz_expected': 0, 'tz_actual': 0}),
    'time_delta_type': ('Input should be a valid timedelta', 'Input should be a valid duration', None),
    'time_delta_parsing': ('Input should be a valid timedelta, {error}', 'Input should be a valid duration, {error}', {'error': ''}),
    'frozen_set_type': ('Input should be a valid frozenset', 'Input should be a valid array', None),
    'is_instance_of': ('Input should be an instance of {class}', None, {'class': ''}),
    'is_subclass_of': ('Input should be a subclass of {class}', None, {'class': ''}),
    'callable_type': ('Input should be callable', None, None),
    'union_tag_invalid': ("Input tag '{tag}' found using {discriminator} does not match any of the expected tags: {expected_tags}", None, {'discriminator': '', 'tag': '', 'expected_tags': ''}),
    'union_tag_not_found': ('Unable to extract tag using discriminator {discriminator}', None, {'discriminator': ''}),
    'arguments_type': ('Arguments must be a tuple, list or a dictionary', 'Arguments must be an array or an object', None),
    'missing_argument': ('Missing required argument', None, None),
    'unexpected_keyword_argument': ('Unexpected keyword argument', None, None),
    'missing_keyword_only_argument': ('Missing required keyword only argument', None, None),
    'unexpected_positional_argument': ('Unexpected positional argument', None, None),
    'missing_positional_only_argument': ('Missing required positional only argument', None, None),
    'multiple_argument_values': ('Got multiple values for argument', None, None),
    'url_type': ('URL input should be a string or URL', None, None),
    'url_parsing': ('Input should be a valid URL, {error}', None, {'error': ''}),
    'url_syntax_violation': ('Input violated strict URL syntax rules, {error}', None, {'error': ''}),
    'url_too_long': ('URL should have at most {max_length} character{expected_plural}', None, {'max_length': 0}),
    'url_scheme': ('URL scheme should be {expected_schemes}', None, {'expected_schemes': ''}),
    'uuid_type': ('UUID input should be a string, bytes or UUID object', None, None),
    'uuid_parsing': ('Input should be a valid UUID, {error}', None, {'error': ''}),
    'uuid_version': ('UUID version {expected_version} expected', None, {'expected_version': 0}),
    'decimal_type': ('Decimal input should be an integer, float, string or Decimal object', None, None),
    'decimal_parsing': ('Input should be a valid decimal', None, None),
    'decimal_max_digits': ('Decimal input should have no more than {max_digits} digit{expected_plural} in total', None, {'max_digits': 0}),
    'decimal_max_places': ('Decimal input should have no more than {decimal_places} decimal place{expected_plural}', None, {'decimal_places': 0}),
    'decimal_whole_digits': ('Decimal input should have no more than {whole_digits} digit{expected_plural} before the decimal point', None, {'whole_digits': 0}),
    'fraction_type': ('Fraction input should be an integer, float, string or Fraction object', None, None),
    'fraction_parsing': ('Input is not a valid fraction', None, None),
    'complex_type': ('Input should be a valid python complex object, a number, or a valid complex string following the rules at https://docs.python.org/3/library/functions.html#complex', None, None),
    'complex_str_parsing': ('Input should be a valid complex string following the rules at https://docs.python.org/3/library/functions.html#complex', None, None),
}


def _num(v) -> str:
    """A number as Rust's ``Display`` writes it (``1.0`` is ``1``)."""
    if type(v) is float and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return str(v)


def _plural(n) -> str:
    return "" if n == 1 else "s"


def render(kind: str, ctx, json_input: bool = False) -> str:
    entry = ERRORS.get(kind)
    if entry is None:
        return kind
    tmpl = (entry[1] or entry[0]) if json_input else entry[0]
    if not ctx or "{" not in tmpl:
        return tmpl
    values = dict(ctx)
    for key in ("min_length", "max_length", "max_digits", "decimal_places", "whole_digits"):
        if key in values and "{expected_plural}" in tmpl:
            values["expected_plural"] = _plural(values[key])
            break
    if kind == "too_long" and values.get("actual_length") is None:
        values["actual_length"] = "more"
    out = tmpl
    for key, value in values.items():
        token = "{" + key + "}"
        if token in out:
            out = out.replace(token, value if isinstance(value, str) else _num(value))
    return out


def format_custom(template: str, ctx) -> str:
    if ctx:
        for key, value in ctx.items():
            if isinstance(value, str):
                text = value
            elif isinstance(value, int):
                text = str(int(value))
            else:
                text = str(value)
            template = template.replace("{" + key + "}", text)
    return template


class Line:
    """One error: its type, location (outermost first), input and context; ``custom`` is the
    message template of a ``PydanticCustomError``."""

    __slots__ = ("kind", "loc", "input", "ctx", "custom")

    def __init__(self, kind, input, ctx=None, loc=(), custom=None):
        self.kind = kind
        self.input = input
        self.ctx = ctx
        self.loc = loc
        self.custom = custom

    def message(self, json_input=False) -> str:
        if self.custom is not None:
            return format_custom(self.custom, self.ctx)
        if self.kind in ("value_error", "assertion_error"):
            err = (self.ctx or {}).get("error")
            return ("Value error, " if self.kind == "value_error" else "Assertion failed, ") + str(err)
        return render(self.kind, self.ctx, json_input)


def line_error(kind, input, ctx=None, loc=()):
    return Line(kind, input, ctx, loc)


class ValError(Exception):
    """Validation failed (internal): ``lines``, each located relative to the validator raising."""

    __slots__ = ("lines",)

    def __init__(self, lines):
        self.lines = lines

    def at(self, item):
        for line in self.lines:
            line.loc = (item,) + line.loc
        return self


def own_frames_removed(e):
    """``e`` with the stand-in's frames taken out of its traceback: a handler's traceback
    reads as with pydantic-core, whose Rust frames are not Python's."""
    tb = e.__traceback__
    head = prev = None
    while tb is not None:
        if not os.path.basename(tb.tb_frame.f_code.co_filename).startswith("wasmhost_pydantic_core"):
            if prev is None:
                head = tb
            else:
                prev.tb_next = tb
            prev = tb
        tb = tb.tb_next
    if prev is not None:
        prev.tb_next = None
    return e.with_traceback(head)


def fail(kind, input, ctx=None):
    raise ValError([Line(kind, input, ctx)])


# -- the exception users see --------------------------------------------------------------
_url_prefix = None
_include_url = None


def _url_base():
    global _url_prefix
    if _url_prefix is None:
        version = None
        module = sys.modules.get("pydantic.version")
        if module is None:
            try:
                import pydantic.version as module  # noqa: PLC0415
            except Exception:  # noqa: BLE001 - pydantic-core used alone
                module = None
        version = getattr(module, "VERSION", None)
        version = ".".join(str(version).split(".")[:2]) if version else "latest"
        _url_prefix = f"https://errors.pydantic.dev/{version}/v/"
    return _url_prefix


def _urls_on() -> bool:
    global _include_url
    if _include_url is None:
        omit = os.environ.get("PYDANTIC_ERRORS_OMIT_URL")
        if omit is not None:
            _include_url = omit == ""
        else:
            val = os.environ.get("PYDANTIC_ERRORS_INCLUDE_URL")
            _include_url = True if val is None else (val == "1" or val.lower() == "true")
    return _include_url


def truncate(text: str, limit: int = 50) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    mid = (limit + 1) // 2
    head = raw[:mid]
    while head and (head[-1] & 0xC0) == 0x80:
        head = head[:-1]
    if head and head[-1] >= 0xC0:
        head = head[:-1]
    start = len(raw) - (mid - 1)
    while start < len(raw) and (raw[start] & 0xC0) == 0x80:
        start += 1
    return head.decode("utf-8", "ignore") + "..." + raw[start:].decode("utf-8", "ignore")


def _repr(value) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - as pydantic-core's safe_repr
        return f"<unprintable {type(value).__qualname__} object>"


def _loc_text(loc) -> str:
    return ".".join(f"`{i}`" if isinstance(i, str) and "." in i else str(i) for i in loc)


class ValidationError(ValueError):
    __module__ = "pydantic_core._pydantic_core"

    def __init__(self, title, lines, input_type="python", hide_input=False):
        super().__init__()
        self._title = title
        self._lines = lines
        self._json = input_type == "json"
        self._hide = hide_input

    @classmethod
    def from_exception_data(cls, title, line_errors, input_type="python", hide_input=False):
        if input_type not in ("python", "json"):
            raise ValueError(f"Invalid input type: '{input_type}'")
        lines = []
        for d in line_errors:
            kind = d["type"]
            ctx = d.get("ctx")
            if isinstance(kind, PydanticCustomError):
                line = Line(kind.type, d["input"], kind.context, custom=kind.message_template)
            else:
                if kind not in ERRORS:
                    raise KeyError(f"Invalid error type: '{kind}'")
                if ctx is None and ERRORS[kind][2] and kind not in ("value_error", "assertion_error"):
                    raise TypeError(f"{kind}: 'required' argument 'context' not found")
                line = Line(kind, d["input"], ctx)
            line.loc = tuple(d.get("loc", ()))
            lines.append(line)
        return cls(title, lines, input_type, hide_input)

    @property
    def title(self):
        return self._title

    def error_count(self):
        return len(self._lines)

    def errors(self, *, include_url=True, include_context=True, include_input=True):
        prefix = _url_base() if include_url else None
        out = []
        for line in self._lines:
            d = {"type": line.kind, "loc": line.loc, "msg": line.message(self._json)}
            if include_input:
                d["input"] = line.input
            if include_context and line.ctx:
                d["ctx"] = line.ctx
            if prefix and line.custom is None:
                d["url"] = prefix + line.kind
            out.append(d)
        return out

    def json(self, *, indent=None, include_url=True, include_context=True, include_input=True):
        from wasmhost_pydantic_core_serializers import jsonable  # noqa: PLC0415
        prefix = _url_base() if include_url else None
        out = []
        for line in self._lines:
            d = {"type": line.kind, "loc": list(line.loc), "msg": line.message(self._json)}
            if include_input:
                d["input"] = jsonable(line.input, lax=True)
            if include_context and line.ctx:
                d["ctx"] = {k: (str(v) if isinstance(v, BaseException) else jsonable(v, lax=True))
                            for k, v in line.ctx.items()}
            if prefix:
                d["url"] = prefix + line.kind
            out.append(d)
        if indent is None:
            return json.dumps(out, separators=(",", ":"), ensure_ascii=False)
        return json.dumps(out, indent=indent, ensure_ascii=False)

    def _pretty(self, line, prefix):
        loc = _loc_text(line.loc) + "\n" if line.loc else ""
        text = f"{loc}  {line.message(self._json)} [type={line.kind}"
        if not self._hide and line.kind != "default_factory_not_called":
            text += f", input_value={truncate(_repr(line.input))}, input_type={type(line.input).__qualname__}"
        if prefix and line.custom is None:
            return text + f"]\n    For further information visit {prefix}{line.kind}"
        return text + "]"

    def __str__(self):
        prefix = _url_base() if _urls_on() else None
        n = len(self._lines)
        body = "\n".join(self._pretty(line, prefix) for line in self._lines)
        return f"{n} validation error{'' if n == 1 else 's'} for {self._title}\n{body}"

    __repr__ = __str__

    def __reduce__(self):
        return _rebuild, (self._title, self.errors(include_url=False), "json" if self._json else "python",
                          self._hide)


def _rebuild(title, errors, input_type, hide):
    return ValidationError.from_exception_data(title, [
        {"type": e["type"] if e["type"] in ERRORS else PydanticCustomError(e["type"], e["msg"]),
         "loc": e["loc"], "input": e.get("input"), **({"ctx": e["ctx"]} if "ctx" in e else {})} for e in errors],
        input_type, hide)


def raise_validation(title, lines, json_input=False):
    raise ValidationError(title, lines, "json" if json_input else "python")


class PydanticCustomError(ValueError):
    __module__ = "pydantic_core._pydantic_core"

    def __init__(self, error_type, message_template, context=None):
        super().__init__(error_type, message_template, context)
        self._type = error_type
        self._template = message_template
        self._context = context

    @property
    def type(self):
        return self._type

    @property
    def message_template(self):
        return self._template

    @property
    def context(self):
        return self._context

    def message(self):
        return format_custom(self._template, self._context)

    def __str__(self):
        return self.message()

    def __repr__(self):
        return f"{self.message()} [type={self._type}, context={self._context}]"


class PydanticKnownError(ValueError):
    __module__ = "pydantic_core._pydantic_core"

    def __init__(self, error_type, context=None):
        if error_type not in ERRORS:
            raise KeyError(f"Invalid error type: '{error_type}'")
        super().__init__(error_type, context)
        self._type = error_type
        self._context = context

    @property
    def type(self):
        return self._type

    @property
    def context(self):
        return self._context

    @property
    def message_template(self):
        return ERRORS[self._type][0]

    def message(self):
        return Line(self._type, None, self._context).message()

    def __str__(self):
        return self.message()

    def __repr__(self):
        return f"{self.message()} [type={self._type}, context={self._context}]"


class PydanticOmit(Exception):
    __module__ = "pydantic_core._pydantic_core"

    def __repr__(self):
        return "PydanticOmit()"


class PydanticUseDefault(Exception):
    __module__ = "pydantic_core._pydantic_core"

    def __repr__(self):
        return "PydanticUseDefault()"


class PydanticSerializationError(ValueError):
    __module__ = "pydantic_core._pydantic_core"


class PydanticSerializationUnexpectedValue(ValueError):
    __module__ = "pydantic_core._pydantic_core"

    def __init__(self, message=None, *args, **kwargs):
        super().__init__(message)
        self._message = message

    def __str__(self):
        return self._message or "Unexpected Value"


class SchemaError(Exception):
    __module__ = "pydantic_core._pydantic_core"

    def __init__(self, message="", errors=None):
        super().__init__(message)
        self.message = message
        self._errors = errors or []

    def error_count(self):
        return len(self._errors) or 1

    def errors(self):
        return list(self._errors)

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"SchemaError({self.message!r})"


def list_all_errors():
    out = []
    for kind, (py, js, ctx) in ERRORS.items():
        d = {"type": kind, "message_template_python": py,
             "example_message_python": render(kind, ctx) if kind not in ("value_error", "assertion_error")
             else Line(kind, None, ctx).message()}
        if js:
            d["message_template_json"] = js
            d["example_message_json"] = render(kind, ctx, True)
        d["example_context"] = ctx
        out.append(d)
    return out
