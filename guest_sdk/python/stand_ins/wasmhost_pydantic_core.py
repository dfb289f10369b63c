"""Stand-in for ``pydantic_core._pydantic_core``, the native (Rust) module of pydantic v2.

Why: pydantic v2 is under much of modern Lambda Python (Powertools' parser, batch and
event_handler validation, FastAPI behind Mangum, Bedrock agents), and its Rust extension
cannot load in WebAssembly. pydantic itself, and pydantic-core's ``core_schema.py`` and
``__init__.py``, are plain Python and run unchanged above this module, which answers to the
interface of the wheel's ``_pydantic_core.pyi`` in pure Python: ``SchemaValidator``
(``_validators``/``_models``), ``SchemaSerializer`` and ``to_json`` (``_serializers``),
``ValidationError`` and the other errors (``_errors``), ``Url``, ``TzInfo``, ``from_json`` ...
(``_types``), dates and durations (``_temporal``). Anything not covered fails with an error
naming the sandbox, never with a wrong answer.

Shipping: these files are not in the runtime's snapshot. They sit in the read-only bundled
SDK folder every Python function mounts (``wasmhost/runtimes/python.py``, ``STAND_IN_FILES``)
and the runtime's finder imports this module from there the first time a function imports
``pydantic_core`` (``STAND_INS`` in ``wasmhost_runtime.py``): a function that never imports
pydantic pays nothing, and the guest compiles them to bytecode once, like the SDK's files.

Versions: written against pydantic-core 2.50 (pydantic 2.14) and checked with pydantic 2.14;
pydantic-core 2.14 and later (pydantic 2.5 onward) use the same interface. Older ones fail
at import naming the versions that run.
"""

from __future__ import annotations

import wasmhost_pydantic_core_py314

from wasmhost_pydantic_core_errors import (PydanticCustomError, PydanticKnownError, PydanticOmit,  # noqa: F401
                                           PydanticSerializationError, PydanticSerializationUnexpectedValue,
                                           PydanticUseDefault, SchemaError, ValidationError, list_all_errors)
from wasmhost_pydantic_core_serializers import SchemaSerializer, to_json, to_jsonable_python  # noqa: F401
from wasmhost_pydantic_core_types import (CORE, VERSION, ArgsKwargs, MultiHostUrl,  # noqa: F401
                                          PydanticUndefined, PydanticUndefinedType, Some, TzInfo, Url,
                                          _schema_gather, from_json)
from wasmhost_pydantic_core_validators import SchemaValidator  # noqa: F401

MIN_VERSION = (2, 14)
SUPPORTED = "pydantic-core 2.14 or later (pydantic 2.5 or later)"


__version__ = VERSION
if CORE < MIN_VERSION:
    raise ImportError(f"pydantic-core {__version__} cannot run in wasmhost's WebAssembly sandbox: its native module "
                      f"is stood in for by pure Python for {SUPPORTED} only (pin 'pydantic>=2.5' in requirements.txt)",
                      name="pydantic_core._pydantic_core")


def validate_core_schema(schema, *, strict=None):
    """pydantic-core < 2.30 (pydantic < 2.11) checked a schema's shape here and gave back a
    copy with its values as the schema of schemas types them (a float's bounds as floats, a
    decimal's as Decimals: pydantic's JSON schema shows them so); the validators built from it
    check what they use."""
    if isinstance(schema, dict):
        out = {k: validate_core_schema(v) for k, v in schema.items()}
        kind = {"float": float, "decimal": _decimal}.get(schema.get("type"))
        if kind is not None:
            for key in ("gt", "ge", "lt", "le", "multiple_of"):
                if isinstance(out.get(key), (int, float)) and not isinstance(out[key], bool):
                    out[key] = kind(out[key])
        return out
    if isinstance(schema, list):
        return [validate_core_schema(v) for v in schema]
    return schema


def _decimal(value):
    import decimal  # noqa: PLC0415
    return decimal.Decimal(str(value))


wasmhost_pydantic_core_py314.install()  # pydantic < 2.12's models on the sandbox's Python 3.14

build_profile = "release"
build_info = "wasmhost pure-Python stand-in"
_recursion_limit = 255

__all__ = ["ArgsKwargs", "MultiHostUrl", "PydanticCustomError", "PydanticKnownError", "PydanticOmit",
           "PydanticSerializationError", "PydanticSerializationUnexpectedValue", "PydanticUndefined",
           "PydanticUndefinedType", "PydanticUseDefault", "SchemaError", "SchemaSerializer", "SchemaValidator",
           "Some", "TzInfo", "Url", "ValidationError", "from_json", "list_all_errors", "to_json",
           "to_jsonable_python"]
for _cls in (ArgsKwargs, MultiHostUrl, PydanticUndefinedType, Some, TzInfo, Url):
    _cls.__module__ = "pydantic_core._pydantic_core"
