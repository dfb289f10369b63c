"""Python and Node.js functions created through the Lambda API, as `aws lambda
create-function --runtime python3.12 / nodejs20.x` would, answering as Lambda does.
One live server for the module (the runtimes compile once per server)."""

import base64
import json
from pathlib import Path

import pytest

from live import Server, lambda_client, zip_files


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The runtimes are compiled into the server's artifact cache first, in-process
    (a minute on a loaded machine would outlast the client's read timeout)."""
    from wasmhost import Host
    root = tmp_path_factory.mktemp("rt")
    (root / "warm.py").write_text("def handler(e, c):\n    return 1\n")
    (root / "warm.js").write_text("exports.handler = async () => 1;\n")
    with Host(root / "data") as h:
        for src in ("warm.py", "warm.js"):
            try:
                h.deploy("warm", root / src)
            except Exception:  # a missing toolchain: its test says so and skips
                pass
    s = Server(root / "data").start()
    yield lambda_client(s.url)
    s.stop()


PY = """\
import json, logging, os
logger = logging.getLogger()
logger.setLevel(logging.INFO)
def lambda_handler(event, context):
    if event.get('fail'):
        raise KeyError('missing')
    logger.info('hello %s', event['name'])
    with open('/tmp/seen', 'a') as f:
        f.write(event['name'])
    return {'statusCode': 200, 'body': json.dumps({'hi': event['name']}), 'fn': context.function_name,
            'region': os.environ['AWS_REGION'], 'seen': open('/tmp/seen').read(),
            'arn': context.invoked_function_arn}
"""


def test_python_function_via_boto3(api):
    pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")
    cfg = api.create_function(FunctionName="pyfn", Runtime="python3.12", Role="r",
                              Handler="lambda_function.lambda_handler", Code={"ZipFile": zip_files({
                                  "lambda_function.py": PY})}, Timeout=10, EphemeralStorage={"Size": 1024})
    assert cfg["Runtime"] == "python3.12" and cfg["State"] == "Active" and cfg["EphemeralStorage"] == {"Size": 1024}
    res = api.invoke(FunctionName="pyfn", Payload=b'{"name": "ada"}', LogType="Tail")
    assert "FunctionError" not in res
    out = json.loads(res["Payload"].read())
    assert out == {"statusCode": 200, "body": '{"hi": "ada"}', "fn": "pyfn", "region": "us-east-1", "seen": "ada",
                   "arn": "arn:aws:lambda:us-east-1:000000000000:function:pyfn"}
    tail = base64.b64decode(res["LogResult"]).decode()
    rid = res["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert f"\t{rid}\thello ada\n" in tail and "[INFO]\t" in tail
    assert json.loads(api.invoke(FunctionName="pyfn", Payload=b'{"name": "bo"}')["Payload"].read())["seen"] == "adabo"

    res = api.invoke(FunctionName="pyfn", Payload=b'{"fail": true}')
    assert res["FunctionError"] == "Unhandled"
    doc = json.loads(res["Payload"].read())
    assert doc["errorType"] == "KeyError" and doc["errorMessage"] == "'missing'"  # Lambda's: no prefix
    assert doc["stackTrace"][0].startswith('  File "/var/task/lambda_function.py", line 6, in lambda_handler')

    with pytest.raises(api.exceptions.InvalidParameterValueException, match="Runtime.UserCodeSyntaxError"):
        api.update_function_code(FunctionName="pyfn", ZipFile=zip_files({
            "lambda_function.py": "def lambda_handler(e, c)\n  pass\n"}))
    with pytest.raises(api.exceptions.InvalidParameterValueException, match="Runtime.HandlerNotFound"):
        api.update_function_configuration(FunctionName="pyfn", Handler="lambda_function.nope")
    assert api.invoke(FunctionName="pyfn", Payload=b'{"name": "x"}')["StatusCode"] == 200  # the old code stays

    api.update_function_configuration(FunctionName="pyfn", LoggingConfig={
        "LogFormat": "JSON", "ApplicationLogLevel": "WARN"})
    res = api.invoke(FunctionName="pyfn", Payload=b'{"name": "quiet"}', LogType="Tail")
    assert "quiet" not in base64.b64decode(res["LogResult"]).decode()  # INFO filtered out


NODE_INDEX = """\
const { shout } = require('./lib/shout');
const pad = require('left-pad');
const crypto = require('crypto');
let calls = 0;
exports.handler = async (event, context) => {
  calls += 1;
  if (event.fail) throw new Error('nope: ' + event.fail);
  console.log('calls', calls);
  return { statusCode: 200, body: JSON.stringify({ text: pad(shout(event.name), 6),
    id: crypto.createHash('sha1').update(context.awsRequestId).digest('hex').length, calls }) };
};
exports.legacy = function (event, context, callback) {
  setTimeout(() => callback(null, { legacy: event.name }), 2);
};
"""


def test_node_function_via_boto3(api):
    from wasmhost.runtimes import javascript
    try:
        javascript.componentize_js()
    except Exception as e:
        pytest.skip(f"{e} (.ci/run installs it)")
    code = zip_files({"index.js": NODE_INDEX, "lib/shout.js": "exports.shout = (s) => s.toUpperCase();\n",
                   "node_modules/left-pad/package.json": '{"name": "left-pad", "main": "index.js"}',
                   "node_modules/left-pad/index.js": "module.exports = (s, n) => String(s).padStart(n, '*');\n"})
    api.create_function(FunctionName="nodefn", Runtime="nodejs20.x", Role="r", Handler="index.handler",
                        Code={"ZipFile": code}, Timeout=10)
    res = api.invoke(FunctionName="nodefn", Payload=b'{"name": "ada"}', LogType="Tail")
    assert json.loads(res["Payload"].read()) == {"statusCode": 200,
                                                 "body": json.dumps({"text": "***ADA", "id": 40, "calls": 1},
                                                                    separators=(",", ":"))}
    rid = res["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert f"\t{rid}\tINFO\tcalls 1\n" in base64.b64decode(res["LogResult"]).decode()
    res = api.invoke(FunctionName="nodefn", Payload=b'{"fail": "x"}')
    doc = json.loads(res["Payload"].read())
    assert res["FunctionError"] == "Unhandled" and doc["errorType"] == "Error" and doc["errorMessage"] == "nope: x"
    assert doc["trace"][0] == "Error: nope: x" and doc["trace"][1].startswith("    at ")

    api.update_function_configuration(FunctionName="nodefn", Handler="index.legacy")
    assert json.loads(api.invoke(FunctionName="nodefn", Payload=b'{"name": "cb"}')["Payload"].read()) == {
        "legacy": "cb"}
    with pytest.raises(api.exceptions.InvalidParameterValueException, match="Runtime.ImportModuleError"):
        api.create_function(FunctionName="nofile", Runtime="nodejs20.x", Role="r", Handler="main.handler",
                            Code={"ZipFile": code})


def test_layers_through_the_api(api):
    pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")
    layer = api.publish_layer_version(LayerName="shared", Content={"ZipFile": zip_files({
        "python/greeting.py": "def greet(n):\n    return 'hello ' + n\n"})}, CompatibleRuntimes=["python3.12"])
    api.create_function(FunctionName="layered", Runtime="python3.12", Role="r", Handler="app.handler",
                        Layers=[layer["LayerVersionArn"]], Code={"ZipFile": zip_files({
                            "app.py": "import greeting\ndef handler(e, c):\n    return greeting.greet(e['n'])\n"})})
    res = api.invoke(FunctionName="layered", Payload=b'{"n": "ada"}')
    assert "FunctionError" not in res and json.loads(res["Payload"].read()) == "hello ada"


def test_json_handlers_refuse_a_body_that_is_not_json(api):
    """A Python handler takes a JSON event: invalid JSON is Lambda's 400 on both
    Invoke and the plain /invoke endpoint, never a string reaching the handler; a
    core module's /invoke still takes any bytes."""
    pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")
    import urllib.error
    import urllib.request

    import wasmtime
    from botocore.exceptions import ClientError
    api.create_function(FunctionName="pytype", Runtime="python3.12", Role="r", Handler="app.handler",
                        Code={"ZipFile": zip_files({"app.py": "def handler(event, context):\n"
                                                           "    return type(event).__name__\n"})})
    with pytest.raises(ClientError) as err:  # a Python zip without a .py file: Lambda's words, no temp path
        api.create_function(FunctionName="nopy", Runtime="python3.12", Role="r", Handler="app.handler",
                            Code={"ZipFile": zip_files({"README.txt": "no code"})})
    message = err.value.response["Error"]["Message"]
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "Unable to import module 'app'" in message and "/tmp" not in message and "JavaScript" not in message
    with pytest.raises(ClientError) as err:
        api.invoke(FunctionName="pytype", Payload=b"not json")
    assert err.value.response["Error"]["Code"] == "InvalidRequestContentException"
    url = api.meta.endpoint_url

    def post(name: str, body: bytes) -> tuple[int, str, bytes]:
        try:
            with urllib.request.urlopen(urllib.request.Request(f"{url}/invoke/{name}", data=body), timeout=30) as r:
                return r.status, r.headers.get("x-amzn-ErrorType", ""), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("x-amzn-ErrorType", ""), e.read()
    for bad in (b"not json", b"{\"a\": 1", b"NaN", b"\xff\xfe"):
        status, code, body = post("pytype", bad)
        assert (status, code) == (400, "InvalidRequestContentException"), (bad, status, body)
        assert b"Could not parse request body into json" in body
    assert post("pytype", b'{"a": 1}')[::2] == (200, b'"dict"')
    assert post("pytype", b'"text"')[::2] == (200, b'"str"')  # a JSON string is an event like any other
    assert post("pytype", b"")[::2] == (200, b'"dict"')  # no body: {} as Lambda sends
    echo = wasmtime.wat2wasm((Path(__file__).parents[1] / "guests" / "echo.wat").read_text())
    api.create_function(FunctionName="rawecho", Runtime="wasm32", Role="r", Handler="echo.wasm",
                        Code={"ZipFile": echo})
    assert post("rawecho", b"not json \xff")[::2] == (200, b"not json \xff")


def test_every_python_runtime_lambda_creates_is_accepted_and_retired_ones_refused_in_its_words(api):
    """SAM and Serverless templates in the wild still name python3.9 and 3.10; Lambda
    creates no python3.8 or older any more, and says so."""
    pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")
    code = {"ZipFile": zip_files({"app.py": "import os\ndef handler(e, c):\n    return os.environ['AWS_EXECUTION_ENV']\n"})}
    for runtime in ("python3.9", "python3.10", "python3.13"):
        name = "rt" + runtime.replace(".", "")
        assert api.create_function(FunctionName=name, Runtime=runtime, Role="r", Handler="app.handler",
                                   Code=code)["Runtime"] == runtime
        assert json.loads(api.invoke(FunctionName=name)["Payload"].read()) == f"AWS_Lambda_{runtime}"
        api.delete_function(FunctionName=name)
    with pytest.raises(api.exceptions.InvalidParameterValueException,
                       match="The runtime parameter of python3.8 is no longer supported for creating or updating"):
        api.create_function(FunctionName="old", Runtime="python3.8", Role="r", Handler="app.handler", Code=code)


COMPAT = """\
import ast, asyncio, json, pkgutil, time

async def fetch(n):
    await asyncio.sleep(0)
    return n * 2

def handler(event, context):
    loop = asyncio.get_event_loop()  # the pre-3.14 idiom: no loop set yet, one is made
    doubled = loop.run_until_complete(asyncio.gather(*(fetch(n) for n in event["n"])))
    class Strings(ast.NodeVisitor):  # Werkzeug 1.x / old linters: the node classes 3.14 removed
        found = []
        def visit_Str(self, node):
            self.found.append(node.s)
    Strings().visit(ast.parse(event["code"]))
    built = compile(ast.fix_missing_locations(ast.Module([ast.Expr(ast.Str("x"))], [])), "<rule>", "exec")
    time.tzset()  # WASI's C library has none (Powertools' Logger(utc=True) calls it)
    return {"zone": time.strftime("%Z"), "doubled": doubled, "strings": Strings.found, "num": isinstance(ast.Constant(1), ast.Num),
            "bool_is_num": isinstance(ast.Constant(True), ast.Num), "same_loop": asyncio.get_event_loop() is loop,
            "loader": type(pkgutil.get_loader("json")).__name__, "compiled": built is not None}
"""


def test_what_lambdas_older_pythons_have_and_the_sandboxs_314_removed(api):
    """Handlers written for python3.9-3.13 (Lambda's CPython): asyncio.get_event_loop()
    making a loop, ast.Str and friends, pkgutil.get_loader, answer as there; and
    time.tzset, which WASI lacks."""
    pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")
    api.create_function(FunctionName="compat", Runtime="python3.9", Role="r", Handler="app.handler",
                        Code={"ZipFile": zip_files({"app.py": COMPAT})})
    res = api.invoke(FunctionName="compat", Payload=json.dumps({"n": [1, 2], "code": "f('a', 1, 'b')"}).encode())
    assert "FunctionError" not in res
    assert json.loads(res["Payload"].read()) == {"zone": "UTC", "doubled": [2, 4], "strings": ["a", "b"], "num": True,
                                                 "bool_is_num": False, "same_loop": True,
                                                 "loader": "SourceFileLoader", "compiled": True}


REMOVED = """\
def handler(event, context):
    found = {}
    for name in ("distutils.util", "asyncore", "cgi", "imghdr"):
        try:
            module = __import__(name, fromlist=["_"])
            found[name] = module.strtobool("yes") if name == "distutils.util" else "ok"
        except ModuleNotFoundError as e:
            found[name] = str(e)
    return found
"""


@pytest.mark.parametrize("runtime, has", [("python3.9", 4), ("python3.12", 2), ("python3.13", 0)])
def test_modules_the_standard_library_dropped_are_there_for_the_runtimes_that_still_have_them(api, runtime, has):
    """distutils and asyncore (gone in 3.12), cgi and imghdr (gone in 3.13): as each of
    Lambda's runtimes answers, though the sandbox runs 3.14."""
    pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")
    name = "removed" + runtime.replace(".", "")
    api.create_function(FunctionName=name, Runtime=runtime, Role="r", Handler="app.handler",
                        Code={"ZipFile": zip_files({"app.py": REMOVED})})
    found = json.loads(api.invoke(FunctionName=name)["Payload"].read())
    expect = {"distutils.util": 1, "asyncore": "ok", "cgi": "ok", "imghdr": "ok"}
    gone = list(expect)[:4 - has]
    assert found == {k: (f"No module named '{k.split('.')[0]}'" if k in gone else v) for k, v in expect.items()}
    api.delete_function(FunctionName=name)
