"""A handler's result as Lambda's Python runtime (awslambdaric's
``lambda_runtime_marshaller``) gives it back:

- ``Decimal`` is a JSON number written as ``str()`` writes it (``1.50`` stays
  ``1.50``; a NaN is ``NaN``): an item read from DynamoDB through boto3's resource API,
  full of ``Decimal``, can be returned as it is. (awslambdaric encodes with simplejson's
  ``RawJSON``; here the standard library's C encoder writes a marker string in its place,
  replaced after, so results without a Decimal cost nothing more.)
- ``bytes`` are the response itself, not JSON (Lambda answers them as
  ``application/unknown``); here they must be UTF-8, as the host takes the answer as text.
- On python3.12 and later, text is written as UTF-8, not as ``\\u`` escapes
  (``ensure_ascii=False``); before, escaped, as simplejson's default. A lone surrogate
  (not UTF-8) is escaped, as the host takes only valid text.
- Anything else ``json`` cannot write fails with ``Runtime.MarshalError``'s words.
"""

import json
import math
import re

_RAW = "\x00wasmhost-raw\x00"  # never in a real string: JSON writes it as \u0000...
_RAW_TEXT = re.compile(r'"\\u0000wasmhost-raw\\u0000([^"\\]*)\\u0000wasmhost-raw\\u0000"')
_UNESCAPED = ("python3.12", "python3.13", "python3.14", "python3.15")


class MarshalError(Exception):
    pass


def _default(obj):
    import decimal
    if isinstance(obj, decimal.Decimal):
        return math.nan if obj.is_nan() else f"{_RAW}{obj}{_RAW}"
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_escaped = _encoder = json.JSONEncoder(default=_default)


def configure(runtime):
    """The encoder for the function's runtime (at init)."""
    global _encoder
    _encoder = json.JSONEncoder(ensure_ascii=runtime not in _UNESCAPED, default=_default)


def marshal(result):
    """The response text; ``MarshalError`` with awslambdaric's words when there is none."""
    if isinstance(result, bytes):
        try:
            return result.decode()
        except UnicodeDecodeError as e:
            raise MarshalError(f"Unable to marshal response: a bytes response must be UTF-8 here ({e})") from None
    try:
        text = _encoder.encode(result)
        if not text.isascii():
            try:
                text.encode()
            except UnicodeEncodeError:
                text = _escaped.encode(result)
    except (TypeError, ValueError, OverflowError) as e:
        raise MarshalError(f"Unable to marshal response: {e}") from None
    return _RAW_TEXT.sub(r"\1", text) if "\\u0000wasmhost-raw" in text else text
