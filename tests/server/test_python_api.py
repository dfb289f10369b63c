"""A Python function created through the Lambda API, as `aws lambda create-function
--runtime python3.12 --handler lambda_function.lambda_handler` would."""

import io
import json
import zipfile

import pytest


def test_python_function_via_boto3(client):
    pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("lambda_function.py", "import json\n"
                   "def lambda_handler(event, context):\n"
                   "    if event.get('fail'):\n"
                   "        raise KeyError('missing')\n"
                   "    print('hello', event['name'])\n"
                   "    return {'statusCode': 200, 'body': json.dumps({'hi': event['name']}),\n"
                   "            'fn': context.function_name}\n")
    cfg = client.create_function(FunctionName="pyfn", Runtime="python3.12", Role="r",
                                 Handler="lambda_function.lambda_handler", Code={"ZipFile": buf.getvalue()},
                                 Timeout=10)
    assert cfg["Runtime"] == "python3.12" and cfg["State"] == "Active"
    res = client.invoke(FunctionName="pyfn", Payload=b'{"name": "ada"}', LogType="Tail")
    assert "FunctionError" not in res
    out = json.loads(res["Payload"].read())
    assert out == {"statusCode": 200, "body": '{"hi": "ada"}', "fn": "pyfn"}
    import base64
    assert "hello ada" in base64.b64decode(res["LogResult"]).decode()
    res = client.invoke(FunctionName="pyfn", Payload=b'{"fail": true}')
    assert res["FunctionError"] == "Unhandled"
    assert json.loads(res["Payload"].read())["errorType"] == "KeyError"
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="SyntaxError"):
        bad = io.BytesIO()
        with zipfile.ZipFile(bad, "w") as z:
            z.writestr("lambda_function.py", "def lambda_handler(e, c)\n  pass\n")
        client.update_function_code(FunctionName="pyfn", ZipFile=bad.getvalue())
    assert client.invoke(FunctionName="pyfn", Payload=b'{"name": "x"}')["StatusCode"] == 200  # the old code stays


def test_node_function_via_boto3(client):
    from wasmhost.runtimes import javascript
    try:
        javascript.componentize_js()
    except Exception as e:
        pytest.skip(f"{e} (.ci/run installs it)")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.js", "export function handler(event, context) {\n"
                   "  return { hello: event.name, fn: context.functionName };\n}\n")
    client.create_function(FunctionName="nodefn", Runtime="nodejs20.x", Role="r", Handler="index.handler",
                           Code={"ZipFile": buf.getvalue()}, Timeout=10)
    res = client.invoke(FunctionName="nodefn", Payload=b'{"name": "ada"}')
    assert json.loads(res["Payload"].read()) == {"hello": "ada", "fn": "nodefn"}
