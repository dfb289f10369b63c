"""A Python handler's result is given back as Lambda's runtime (awslambdaric's
marshaller) gives it: an item read from DynamoDB, full of ``Decimal``, returned as it
is (its numbers written as ``str(Decimal)`` writes them); ``bytes`` as the response
itself; on python3.12 text as UTF-8; what JSON cannot hold as ``Runtime.MarshalError``.
A result that is not valid text (a lone surrogate) is escaped instead of ending the
instance."""

import json
import textwrap

import pytest

from wasmhost import FunctionConfig, FunctionError

pytest.importorskip("wasmtime.component")

# the shape of many a "get item" handler: boto3's resource API gives numbers as Decimal
APP = textwrap.dedent('''
    import datetime
    from boto3.dynamodb.types import TypeDeserializer

    ITEM = {"pk": {"S": "order#1"}, "total": {"N": "19.90"}, "qty": {"N": "3"}, "tags": {"SS": ["café"]},
            "lines": {"L": [{"M": {"price": {"N": "0.10"}}}]}}

    def get_item(event, context):
        item = {k: TypeDeserializer().deserialize(v) for k, v in ITEM.items()}
        item["tags"] = sorted(item["tags"])
        return {"statusCode": 200, "item": item}

    def raw(event, context):
        return b'<svg xmlns="http://www.w3.org/2000/svg"/>'

    def when(event, context):
        return {"at": datetime.datetime(2024, 1, 1)}

    def lone(event, context):
        return {"s": "\\ud800"}
''')


def test_results_are_marshalled_as_lambdas_runtime_does(python_host, tmp_path):
    (tmp_path / "app.py").write_text(APP)
    for name in ("get_item", "raw", "when", "lone"):
        python_host.deploy(f"r_{name}", tmp_path, FunctionConfig(handler=f"app.{name}", runtime="python3.12"))
    payload = python_host.invoke("r_get_item", {}).payload
    assert payload == ('{"statusCode": 200, "item": {"pk": "order#1", "total": 19.90, "qty": 3, "tags": ["café"], '
                       '"lines": [{"price": 0.10}]}}').encode()
    assert python_host.invoke("r_raw", {}).payload == b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    with pytest.raises(FunctionError) as e:
        python_host.invoke("r_when", {})
    assert e.value.to_lambda()["errorType"] == "Runtime.MarshalError"
    assert e.value.to_lambda()["errorMessage"] == \
        "Unable to marshal response: Object of type datetime is not JSON serializable"
    assert python_host.invoke("r_lone", {}).payload == b'{"s": "\\ud800"}'
    assert python_host.invoke("r_get_item", {}).json()["item"]["total"] == 19.9  # the instance is still there


def test_python311_escapes_text_as_simplejson_does(python_host, tmp_path):
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return {'s': 'café'}\n")
    python_host.deploy("r_311", tmp_path, FunctionConfig(runtime="python3.11"))
    assert python_host.invoke("r_311", {}).payload == b'{"s": "caf\\u00e9"}'
    assert json.loads(python_host.invoke("r_311", {}).payload) == {"s": "café"}
