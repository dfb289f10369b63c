"""orjson and ujson, the JSON packages whose only form is a native extension, run in
the Python sandbox through pure-Python stand-ins with their API (``STAND_INS`` in
wasmhost_runtime.py; checked against the real packages' output beside them), installed
from a function's requirements.txt as on Lambda."""

import json
import textwrap

import pytest

from wasmhost import FunctionConfig

pytest.importorskip("wasmtime.component")

APP = textwrap.dedent('''
    import dataclasses, datetime, decimal, enum, uuid
    import orjson, ujson

    class Status(enum.Enum):
        OPEN = "open"

    @dataclasses.dataclass
    class Order:
        id: uuid.UUID
        status: Status
        placed: datetime.datetime
        items: list

    def handler(event, context):
        order = Order(uuid.UUID(int=42), Status.OPEN, datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone.utc),
                      [{"sku": "a/1", "price": 1e-7}])
        out = {"orjson": orjson.dumps(order, option=orjson.OPT_UTC_Z).decode(),
               "orjson_sorted": orjson.dumps({"b": 1, "a": [float("nan")]}, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode(),
               "orjson_loads": orjson.loads(b'{"n": 12345678901234567890123}'),
               "ujson": ujson.dumps({"path": "/var/task", "price": decimal.Decimal("1.50"), "n": 1e-7, 1: None}),
               "ujson_loads": ujson.loads('{"a": [1, 2.5]}')}
        try:
            orjson.dumps({"amount": decimal.Decimal("1")})
        except orjson.JSONEncodeError as e:
            out["orjson_error"] = [type(e).__name__, str(e)]
        try:
            orjson.loads("NaN")
        except orjson.JSONDecodeError as e:
            out["orjson_nan"] = isinstance(e, ValueError)
        try:
            ujson.loads("{bad")
        except ujson.JSONDecodeError as e:
            out["ujson_error"] = isinstance(e, ValueError)
        return out
''')


def test_orjson_and_ujson_give_their_own_output(python_host, tmp_path):
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "requirements.txt").write_text("orjson\nujson\n")
    python_host.deploy("json_libs", tmp_path, FunctionConfig(timeout_ms=30_000))
    out = python_host.invoke("json_libs", {}).json()
    # the real packages' answers (orjson 3.x, ujson 5.x and 6.x)
    assert out["orjson"] == ('{"id":"00000000-0000-0000-0000-00000000002a","status":"open",'
                             '"placed":"2024-05-01T12:30:00Z","items":[{"sku":"a/1","price":1e-7}]}')
    assert out["orjson_sorted"] == '{\n  "a": [\n    null\n  ],\n  "b": 1\n}'
    assert out["orjson_loads"] == {"n": 1.2345678901234568e+22}
    assert json.loads(out["ujson"]) == {"path": "/var/task", "price": 1.5, "n": 1e-7, "1": None}
    assert out["ujson"] == '{"path":"\\/var\\/task","price":1.5,"n":1e-7,"1":null}'
    assert out["ujson_loads"] == {"a": [1, 2.5]}
    assert out["orjson_error"] == ["TypeError", "Type is not JSON serializable: decimal.Decimal"]
    assert out["orjson_nan"] is True and out["ujson_error"] is True
