"""Handlers written the way public Lambda code is (serverless/examples, the AWS docs'
examples, Powertools' and blog handlers), deployed with boto3 through the Lambda API
and called through Invoke and ``/http``, unchanged: boto3 imported at module top with
no requirements.txt (Lambda's python3.12 includes it), logging set up by the runtime,
the standard library's asyncio, threads, zoneinfo, gzip; Node's callback and
``context.succeed`` styles, zlib, ``setTimeout(...).unref()``, ES modules, the AWS SDK
for JavaScript v3 without packaging it, ``fs`` reads of the zip's files and /tmp; and
Lambda's answers for what fails. One live server for the module."""

import base64
import gzip
import hashlib
import hmac
import json
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from live import Server, lambda_client, zip_files
from s3live import s3_client


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The runtimes are compiled into the server's artifact cache first, in-process
    (a minute on a loaded machine would outlast the client's read timeout)."""
    from wasmhost import FunctionConfig, Host
    root = tmp_path_factory.mktemp("real")
    (root / "warm.py").write_text("import boto3\ndef handler(e, c):\n    return 1\n")  # also compiles boto3
    (root / "warm.js").write_text("exports.handler = async () => 1;\n")
    with Host(root / "data") as h:
        for src in ("warm.py", "warm.js"):
            try:
                h.deploy("warm", root / src, FunctionConfig(timeout_ms=60_000))
            except Exception:  # a missing toolchain: its test says so and skips
                pass
    s = Server(root / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def api(server):
    return lambda_client(server.url)


def create(api, name, runtime, handler, files, **kw):
    need = "componentize_py" if runtime.startswith("python") else None
    if need:
        pytest.importorskip(need, reason="componentize-py builds the Python runtime (.ci/run installs it)")
    api.create_function(FunctionName=name, Runtime=runtime, Role="arn:aws:iam::000000000000:role/r",
                        Handler=handler, Code={"ZipFile": zip_files(files)}, Timeout=kw.pop("Timeout", 30), **kw)


def invoke(api, name, event):
    r = api.invoke(FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail")
    return r, json.loads(r["Payload"].read()), base64.b64decode(r.get("LogResult", "")).decode()


# -- Python -------------------------------------------------------------------------------------
S3_TODOS = '''\
import json
import logging
import os
import uuid

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)
s3 = boto3.client("s3")
BUCKET = os.environ["BUCKET"]


def create(event, context):
    data = json.loads(event["body"])
    key = f"todos/{uuid.uuid4()}.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(data).encode(), ContentType="application/json")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="todos/")
    logger.info("stored %s", key)
    return {"statusCode": 201, "body": json.dumps({"key": key, "count": listed["KeyCount"],
                                                   "boto3": boto3.__file__, "version": boto3.__version__})}
'''


def test_boto3_at_module_top_without_packaging_it_reaches_the_servers_buckets(server, api):
    import boto3
    s3_client(server.url).create_bucket(Bucket="todos")
    create(api, "todos", "python3.12", "handler.create", {"handler.py": S3_TODOS},
           Environment={"Variables": {"BUCKET": "todos"}}, Tags={"wasmhost:buckets": "todos"})
    r, out, logs = invoke(api, "todos", {"body": json.dumps({"text": "buy milk"})})
    assert "FunctionError" not in r, out
    body = json.loads(out["body"])
    assert out["statusCode"] == 201 and body["count"] == 1
    assert body["boto3"] == "/var/lang/lib/python3.12/site-packages/boto3/__init__.py"  # where Lambda has it
    assert body["version"] == boto3.__version__
    assert f"\tstored {body['key']}" in logs and "[INFO]" in logs
    stored = s3_client(server.url).get_object(Bucket="todos", Key=body["key"])["Body"].read()
    assert json.loads(stored) == {"text": "buy milk"}


def test_a_functions_own_boto3_wins_over_the_bundled_one(api):
    create(api, "ownsdk", "python3.12", "app.handler", {
        "boto3/__init__.py": "__version__ = 'vendored'\n",
        "app.py": "import boto3\ndef handler(e, c):\n    return boto3.__version__\n"})
    assert invoke(api, "ownsdk", {})[1] == "vendored"


def test_botocores_data_listing_comes_from_the_index_and_matches_the_folder(api):
    """The bundled botocore's loader answers from the listing written at staging
    (wasmhost_botocore): the same services and versions the folder holds."""
    import boto3
    create(api, "listing", "python3.12", "app.handler", {"app.py": """\
import boto3, botocore.loaders
def handler(e, c):
    session = boto3.session.Session(region_name="us-east-1")
    return {"os": type(botocore.loaders.os).__name__, "services": session.get_available_services(),
            "s3": session.client("s3").meta.service_model.api_version}
"""})
    r, out, _ = invoke(api, "listing", {})
    assert "FunctionError" not in r, out
    session = boto3.session.Session(region_name="us-east-1")
    assert out["os"] == "_IndexedOS" and out["services"] == session.get_available_services()
    assert out["s3"] == session.client("s3").meta.service_model.api_version


STDLIB = '''\
import asyncio
import base64
import gzip
import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timezone
from zoneinfo import ZoneInfo


async def double(i):
    await asyncio.sleep(0.001)
    return i * 2


async def gather(n):
    return await asyncio.gather(*(double(i) for i in range(n)))


def lambda_handler(event, context):
    logs = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {pool.submit(len, e["message"]): e["id"] for e in logs["logEvents"]}
        sizes = {futures[f]: f.result() for f in as_completed(futures)}
    done = []
    t = threading.Thread(target=done.append, args=(1,))
    t.start()
    t.join()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # as the X-Ray SDK makes its emitter's
    try:
        udp.sendto(b"segment", ("127.0.0.1", 2000))
        sent = "sent"
    except OSError as e:
        sent = str(e)
    ny = datetime(2024, 7, 1, 12, tzinfo=timezone.utc).astimezone(ZoneInfo("America/New_York"))
    return {"sizes": sizes, "async": asyncio.run(gather(3)), "thread": done, "udp": sent, "ny": ny.isoformat()}
'''


def test_the_standard_library_as_handlers_use_it(api):
    create(api, "stdlib", "python3.12", "lambda_function.lambda_handler", {"lambda_function.py": STDLIB})
    data = {"logGroup": "/g", "logEvents": [{"id": "a", "message": "xx"}, {"id": "b", "message": "yyy"}]}
    event = {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}
    out = invoke(api, "stdlib", event)[1]
    assert out["sizes"] == {"a": 2, "b": 3} and out["async"] == [0, 2, 4] and out["thread"] == [1]
    assert out["udp"].startswith("[Errno") and "sockets are not available" in out["udp"]
    assert out["ny"] == "2024-07-01T08:00:00-04:00"


def test_an_unhandled_exception_is_lambdas_error_document(api):
    create(api, "pyfail", "python3.12", "todos/create.create", {"todos/create.py": '''\
import json, logging
def create(event, context):
    data = json.loads(event["body"])
    if "text" not in data:
        logging.error("Validation Failed")
        raise Exception("Couldn't create the todo item.")
'''})
    r, out, logs = invoke(api, "pyfail", {"body": "{}"})
    assert r["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Exception" and out["errorMessage"] == "Couldn't create the todo item."
    assert out["stackTrace"] and 'File "/var/task/todos/create.py", line 6, in create' in out["stackTrace"][0]
    assert "[ERROR]" in logs and "Validation Failed" in logs


# -- Node.js ------------------------------------------------------------------------------------
WEBHOOK = '''\
const crypto = require('crypto');

function sign(key, body) {
  return `sha1=${crypto.createHmac('sha1', key).update(body, 'utf-8').digest('hex')}`;
}

module.exports.listener = (event, context, callback) => {
  const sig = event.headers['x-hub-signature'];
  if (sig !== sign(process.env.WEBHOOK_SECRET, event.body)) {
    return callback(null, { statusCode: 401, headers: { 'Content-Type': 'text/plain' }, body: 'bad signature' });
  }
  const ping = setTimeout(() => console.log('never waited for'), 60000).unref();
  console.log('delivery', event.headers['x-github-delivery'], typeof ping.hasRef, ping.hasRef());
  return callback(null, { statusCode: 200, body: JSON.stringify({ ok: true, id: event.headers['x-github-delivery'] }) });
};
'''


def test_a_callback_webhook_over_http_with_an_unrefd_timer(server, api):
    pytest.importorskip("wasmtime.component")
    create(api, "hook", "nodejs20.x", "handler.listener", {"handler.js": WEBHOOK},
           Environment={"Variables": {"WEBHOOK_SECRET": "s3cret"}})
    body = b'{"zen": "Keep it logically awesome."}'
    good = "sha1=" + hmac.new(b"s3cret", body, hashlib.sha1).hexdigest()
    for sig, status in ((good, 200), ("sha1=00", 401)):
        req = urllib.request.Request(f"{server.url}/http/hook/", data=body, method="POST",
                                     headers={"X-Hub-Signature": sig, "X-GitHub-Delivery": "d-1"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                got, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            got, text = e.code, e.read()
        assert got == status, text
        if status == 200:
            assert json.loads(text) == {"ok": True, "id": "d-1"}  # the unref'd timer did not hold the answer


FIREHOSE = '''\
import zlib from 'zlib';
import { promisify } from 'util';

const gunzip = promisify(zlib.gunzip);

export const handler = async (event) => {
  const records = await Promise.all(event.records.map(async (record) => {
    const text = (await gunzip(Buffer.from(record.data, 'base64'))).toString('utf8');
    const data = Buffer.from(zlib.gzipSync(text.toUpperCase())).toString('base64');
    return { recordId: record.recordId, result: 'Ok', data };
  }));
  return { records };
};
'''


def test_an_es_module_transforming_gzipped_records(api):
    create(api, "firehose", "nodejs20.x", "index.handler", {"index.mjs": FIREHOSE})
    event = {"records": [{"recordId": "1", "data": base64.b64encode(gzip.compress(b"hello logs")).decode()}]}
    out = invoke(api, "firehose", event)[1]
    assert out["records"][0]["result"] == "Ok"
    assert gzip.decompress(base64.b64decode(out["records"][0]["data"])) == b"HELLO LOGS"


def test_context_succeed_and_lambdas_error_for_a_thrown_error(api):
    create(api, "legacy", "nodejs20.x", "index.handler", {"index.js": '''\
class NotFound extends Error { constructor(m) { super(m); this.name = 'NotFound'; } }
exports.handler = function (event, context) {
  if (event.missing) throw new NotFound('no such item');
  const t = setTimeout(() => {}, 1000);
  clearTimeout(+t);  // a timer's number clears it too
  context.succeed({ done: event.key1, remaining: context.getRemainingTimeInMillis() > 0 });
};
'''})
    assert invoke(api, "legacy", {"key1": "v"})[1] == {"done": "v", "remaining": True}
    r, out, _ = invoke(api, "legacy", {"missing": True})
    assert r["FunctionError"] == "Unhandled" and out["errorType"] == "NotFound"
    assert out["errorMessage"] == "no such item" and isinstance(out["trace"], list)


# The AWS SDK for JavaScript v3 as the AWS docs' examples use it: imported, not packaged
# (Lambda's nodejs20.x includes it), a client at module top, the body read both ways.
S3_V3 = '''\
import { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { TextractClient, AnalyzeDocumentCommand } from "@aws-sdk/client-textract";

const s3 = new S3Client({});
const textract = new TextractClient({});

const streamToString = (stream) => new Promise((resolve, reject) => {
  const chunks = [];
  stream.on("data", (chunk) => chunks.push(chunk));
  stream.on("error", reject);
  stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
});

export const handler = async (event) => {
  const Bucket = process.env.BUCKET;
  const key = `orders/${event.id}.json`;
  await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: JSON.stringify(event), ContentType: "application/json" }));
  const first = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
  const again = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: "orders/" }));
  let missing;
  try {
    await s3.send(new GetObjectCommand({ Bucket, Key: "nope" }));
  } catch (e) {
    missing = { name: e.name, status: e.$metadata.httpStatusCode };
  }
  let unsupported;
  try {
    await textract.send(new AnalyzeDocumentCommand({}));
  } catch (e) {
    unsupported = e.message;
  }
  return { text: await first.Body.transformToString(), streamed: await streamToString(again.Body),
           type: first.ContentType, keys: listed.Contents.map((o) => o.Key), missing, unsupported };
};
'''


def test_the_aws_sdk_v3_without_packaging_it_reaches_the_servers_buckets(server, api):
    s3_client(server.url).create_bucket(Bucket="orders-v3")
    create(api, "sdk3", "nodejs20.x", "index.handler", {"index.mjs": S3_V3},
           Environment={"Variables": {"BUCKET": "orders-v3"}}, Tags={"wasmhost:buckets": "orders-v3"})
    r, out, logs = invoke(api, "sdk3", {"id": 7, "item": "tea"})
    assert "FunctionError" not in r, out
    assert json.loads(out["text"]) == {"id": 7, "item": "tea"} and out["streamed"] == out["text"]
    assert out["type"] == "application/json" and out["keys"] == ["orders/7.json"]
    assert out["missing"] == {"name": "NoSuchKey", "status": 404}
    # a package wasmhost does not include loads, and says so when used
    assert "@aws-sdk/client-textract is not among" in out["unsupported"] and "package.json" in out["unsupported"]
    stored = s3_client(server.url).get_object(Bucket="orders-v3", Key="orders/7.json")["Body"].read()
    assert json.loads(stored) == {"id": 7, "item": "tea"}


DYNAMO_CJS = '''\
const { DynamoDBClient } = require("@aws-sdk/client-dynamodb");
const { DynamoDBDocumentClient, PutCommand } = require("@aws-sdk/lib-dynamodb");
const { marshall } = require("@aws-sdk/util-dynamodb");
const fs = require("fs");
const path = require("path");

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const config = JSON.parse(fs.readFileSync(path.join(__dirname, "config", "settings.json"), "utf8"));
const template = fs.readFileSync("./templates/receipt.html").toString();

exports.handler = async (event) => {
  const item = { id: event.id, total: event.total };
  let error;
  try {
    await client.send(new PutCommand({ TableName: config.table, Item: item }));
  } catch (e) {
    error = `${e.name}: ${e.message}`;
  }
  fs.mkdirSync("/tmp/receipts", { recursive: true });
  fs.writeFileSync(`/tmp/receipts/${event.id}.html`, template.replace("{{total}}", event.total));
  let readOnly;
  try {
    fs.writeFileSync(path.join(__dirname, "x"), "no");
  } catch (e) {
    readOnly = e.code;
  }
  let absent;
  try {
    await fs.promises.readFile("/var/task/missing.json");
  } catch (e) {
    absent = e.code;
  }
  return { error, marshalled: marshall(item), table: config.table, readOnly, absent,
           receipt: await fs.promises.readFile(`/tmp/receipts/${event.id}.html`, "utf8"),
           listed: fs.readdirSync("/tmp/receipts"), exists: fs.existsSync("config/settings.json") };
};
'''


def test_sdk_clients_load_and_fail_on_use_for_a_service_the_server_lacks_and_fs_reads_the_zip(api):
    create(api, "orders", "nodejs20.x", "index.handler", {
        "index.js": DYNAMO_CJS, "config/settings.json": '{"table": "orders"}',
        "templates/receipt.html": "<p>Total: {{total}}</p>"})
    r, out, _ = invoke(api, "orders", {"id": "o1", "total": 12})
    assert "FunctionError" not in r, out
    assert out["marshalled"] == {"id": {"S": "o1"}, "total": {"N": "12"}} and out["table"] == "orders"
    # no DynamoDB on the server: the request is refused by the function's allow-list, naming the host
    assert out["error"].startswith("TypeError: fetch failed") and "dynamodb.us-east-1.amazonaws.com" in out["error"]
    assert out["receipt"] == "<p>Total: 12</p>" and out["listed"] == ["o1.html"]
    assert out["readOnly"] == "EROFS" and out["absent"] == "ENOENT" and out["exists"] is True


def test_a_functions_own_aws_sdk_wins_over_the_included_one(api):
    create(api, "ownjs", "nodejs20.x", "index.handler", {
        "node_modules/@aws-sdk/client-s3/package.json": '{"name": "@aws-sdk/client-s3", "main": "index.js"}',
        "node_modules/@aws-sdk/client-s3/index.js": "exports.S3Client = class { constructor() { this.own = true; } };",
        "index.js": 'const { S3Client } = require("@aws-sdk/client-s3");\n'
                    "exports.handler = async () => new S3Client({}).own;\n"})
    assert invoke(api, "ownjs", {})[1] is True


# -- found by replaying public handlers (bench/corpus/corpus_replay.py) ---------------------------
TOKEN_AUTHORIZER = '''\
'use strict';
const { promisify } = require('util');
const sleep = promisify(setTimeout);

exports.handler = function (event, context, callback) {
  sleep(1).then(() => {
    switch (event.authorizationToken) {
      case 'allow':
        callback(null, { principalId: 'user', policyDocument: { Statement: [{ Effect: 'Allow' }] } });
        break;
      case 'unauthorized':
        callback('Unauthorized');
        break;
      default:
        callback('Error: Invalid token');
    }
  });
};
'''


def test_a_callback_made_once_a_promisified_timer_settles_is_the_answer(api):
    """The callback comes from a promise's `then` after the timer fired: the event
    loop is not empty until that ran (it answered null before)."""
    create(api, "authz", "nodejs20.x", "index.handler", {"index.js": TOKEN_AUTHORIZER})
    out = invoke(api, "authz", {"authorizationToken": "allow"})[1]
    assert out["principalId"] == "user"
    r, out, _ = invoke(api, "authz", {"authorizationToken": "unauthorized"})
    assert r["FunctionError"] == "Unhandled"
    assert out == {"errorType": "string", "errorMessage": "Unauthorized", "trace": []}


VALIDATOR = '''\
exports.handler = async (event) => {
  let body;
  try {
    body = JSON.parse(event.body);
  } catch (err) {
    return { statusCode: 400, body: JSON.stringify({ message: err.message, wrapped: String(new Error(err)) }) };
  }
  return { statusCode: 200, body: JSON.stringify({ name: body.customer.name }) };
};
'''


def test_error_messages_are_node_s_for_bad_json_and_a_property_of_undefined(api):
    """Lambda's answer carries V8's words, not SpiderMonkey's: JSON.parse's
    SyntaxError (made as V8 makes it), a TypeError read from undefined (translated
    where the error is shown: its document, String(e), new Error(e))."""
    create(api, "validator", "nodejs20.x", "app.handler", {"app.js": VALIDATOR})
    expected = {
        "Hello world!": "Unexpected token 'H', \"Hello world!\" is not valid JSON",
        "<html><body>x</body></html>": "Unexpected token '<', \"<html><bod\"... is not valid JSON",
        '{"a": 1,}': "Expected double-quoted property name in JSON at position 8",
        '{"a": 1} x': "Unexpected non-whitespace character after JSON at position 9",
        "": "Unexpected end of JSON input",
        '{"name": "x", "v": tru}': "Unexpected token '}', ...\", \"v\": tru}\" is not valid JSON",
    }
    for text, message in expected.items():
        out = invoke(api, "validator", {"body": text})[1]
        assert out["statusCode"] == 400 and json.loads(out["body"]) == {
            "message": message, "wrapped": f"Error: SyntaxError: {message}"}, text
    out = invoke(api, "validator", {})[1]  # no body: JSON.parse(undefined)
    assert json.loads(out["body"])["message"] == '"undefined" is not valid JSON'
    r, out, _ = invoke(api, "validator", {"body": "{}"})
    assert r["FunctionError"] == "Unhandled" and out["errorType"] == "TypeError"
    assert out["errorMessage"] == "Cannot read properties of undefined (reading 'name')"
    assert out["trace"][0] == "TypeError: Cannot read properties of undefined (reading 'name')"


REMOVED_STDLIB = '''\
import cgi
import imghdr
import pipes
import uu  # noqa: F401  (python-telegram-bot and older libraries import these)


def webhook(event, context):
    _, params = cgi.parse_header(event["headers"]["Content-Type"])
    return {"kind": imghdr.what(None, h=bytes.fromhex(event["png"])), "charset": params["charset"],
            "quoted": pipes.quote("a b")}
'''


def test_modules_python_3_12_still_has_import_in_a_newer_sandbox(api):
    """The sandbox's CPython is newer than 3.12: the pure-Python modules 3.13 removed
    (imghdr, cgi, pipes, uu, telnetlib, ...) are there for python3.12 handlers."""
    create(api, "oldstd", "python3.12", "handler.webhook", {"handler.py": REMOVED_STDLIB})
    event = {"headers": {"Content-Type": "text/plain; charset=utf-8"}, "png": "89504e470d0a1a0a0000"}
    r, out, _ = invoke(api, "oldstd", event)
    assert "FunctionError" not in r, out
    assert out == {"kind": "png", "charset": "utf-8", "quoted": "'a b'"}


OLD_STYLE = '''\
import collections
from decimal import Decimal

import simplejson
import six


def handler(event, context):
    return {"iterable": isinstance([], collections.Iterable), "mapping": collections.Mapping.__name__,
            "price": simplejson.dumps({"price": Decimal("1.10")}), "six": six.PY3}
'''


def test_a_python39_monorepo_handler_with_simplejson_and_a_local_requirement(api):
    """What Lambda takes: a python3.9 handler using ``collections.Iterable`` (gone in
    3.10), simplejson imported unpackaged (the runtime interface client's requirement,
    importable on Lambda), and a requirements.txt naming a monorepo folder the zip does
    not hold (Lambda never reads the file: that line is left out, the rest installed)."""
    create(api, "oldstyle", "python3.9", "handler.handler",
           {"handler.py": OLD_STYLE, "requirements.txt": "six==1.16.0\n-e ../shared/src/lib\n../common/\n"})
    r, out, _ = invoke(api, "oldstyle", {})
    assert "FunctionError" not in r, out
    assert out == {"iterable": True, "mapping": "Mapping", "price": '{"price": 1.10}', "six": True}
    create(api, "newstyle", "python3.12", "handler.handler", {"handler.py": OLD_STYLE, "requirements.txt": "six\n"})
    r, out, _ = invoke(api, "newstyle", {})  # 3.10 and later have no collections.Iterable, as on Lambda
    assert r["FunctionError"] == "Unhandled" and out["errorType"] == "AttributeError", out


def test_a_require_by_computed_name_finds_declared_dependencies_and_json_files(api):
    """Packages such as node-config require a parser by a name held in a variable, and
    handlers load JSON by a computed path: the bundle cannot see those names, so the
    function's declared dependencies and its JSON files answer them at run time."""
    create(api, "dynreq", "nodejs20.x", "handler.handler", {
        "package.json": '{"name": "dynreq", "dependencies": {"settings-loader": "1.0.0", "tiny-yaml": "1.0.0"}}',
        "node_modules/tiny-yaml/package.json": '{"name": "tiny-yaml", "main": "index.js"}',
        "node_modules/tiny-yaml/index.js": "exports.load = (t) => Object.fromEntries(t.trim().split('\\n')"
                                           ".map((l) => l.split(': ')));\n",
        "node_modules/settings-loader/package.json": '{"name": "settings-loader", "main": "index.js"}',
        "node_modules/settings-loader/index.js": """\
const fs = require('fs');
const PARSER = 'tiny-' + 'yaml';
let parser;
try { parser = require(PARSER); } catch (e) { parser = null; }
module.exports = parser ? parser.load(fs.readFileSync(process.cwd() + '/config/default.yaml', 'utf8')) : {};
""",
        "config/default.yaml": "region: eu-west-1\nstage: test\n",
        "locales/en.json": '{"hello": "Hello"}',
        "handler.js": """\
const settings = require('settings-loader');
exports.handler = async (event) => {
  const strings = require(`./locales/${event.lang}.json`);
  let missing;
  try { require('left-' + 'pad'); } catch (e) { missing = e.code; }
  return { settings, greeting: strings.hello, missing };
};
"""})
    r, out, logs = invoke(api, "dynreq", {"lang": "en"})
    assert "FunctionError" not in r, out
    assert out == {"settings": {"region": "eu-west-1", "stage": "test"}, "greeting": "Hello",
                   "missing": "MODULE_NOT_FOUND"}
    assert "require('left-pad'): wasmhost bundles" in logs  # why, in the log


LOCKED_COUNTER = '''\
import fcntl
import getpass
import json
import os

COUNTER = "/tmp/counter.json"


def lambda_handler(event, context):
    with open(COUNTER, "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        f.seek(0)
        count = json.loads(f.read() or "0") + 1
        f.seek(0)
        f.truncate()
        f.write(json.dumps(count))
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    return {"count": count, "user": getpass.getuser(), "home": os.path.expanduser("~")}
'''


def test_file_locks_and_the_user_as_on_lambda(api):
    """fcntl, pwd and grp are C modules WASI's CPython lacks: a lock on a /tmp file is
    granted (one single-threaded process per instance), the user is Lambda's."""
    create(api, "locked", "python3.12", "app.lambda_handler", {"app.py": LOCKED_COUNTER})
    out = invoke(api, "locked", {})[1]
    assert out == {"count": 1, "user": "sbx_user1051", "home": "/home/sbx_user1051"}


# cfn-response's way: a callback handler PUTs its result with http(s).request and calls
# context.done once the response has ended
CFN_RESPONSE = '''\
const http = require('http');
const url = require('url');

function send(event, context, status, data) {
  const body = JSON.stringify({ Status: status, Reason: 'See ' + context.logStreamName,
                                RequestId: event.RequestId, Data: data });
  const parsed = url.parse(event.ResponseURL);
  const options = { hostname: parsed.hostname, port: parsed.port, path: parsed.path, method: 'PUT',
                    headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } };
  const request = http.request(options, (response) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk) => { text += chunk; });
    response.on('end', () => {
      console.log('Status code:', response.statusCode);
      context.done(null, { status: response.statusCode, type: response.headers['content-type'],
                           echoed: JSON.parse(text) });
    });
  });
  request.on('error', (error) => context.done(null, { error: error.message, code: error.code }));
  request.write(body);
  request.end();
}

exports.handler = (event, context) => {
  send(event, context, 'SUCCESS', { Answer: 42 });
};
'''


def test_http_request_as_cfn_response_sends_it_through_the_allow_list(api, internet):
    """`http.request` goes through the host's outbound HTTP: allowed, it reaches the
    server; not allowed, an 'error' event names why; the callback waits for 'end'."""
    grant = {"wasmhost:allowed-hosts": f"127.0.0.1:{internet.port}"}
    create(api, "cfnresp", "nodejs20.x", "index.handler", {"index.js": CFN_RESPONSE}, Tags=grant)
    event = {"RequestId": "r-1", "ResponseURL": f"{internet.url}/echo?sig=1"}
    r, out, logs = invoke(api, "cfnresp", event)
    assert "FunctionError" not in r, out
    assert out["status"] == 200 and out["type"].startswith("application/json")
    sent = out["echoed"]
    assert sent["method"] == "PUT" and sent["path"] == "/echo?sig=1"
    assert json.loads(sent["body"])["Data"] == {"Answer": 42} and json.loads(sent["body"])["Status"] == "SUCCESS"
    assert "Status code: 200" in logs
    create(api, "cfndeny", "nodejs20.x", "index.handler", {"index.js": CFN_RESPONSE})
    out = invoke(api, "cfndeny", event)[1]
    assert out["code"] == "ECONNREFUSED" and "allowed_hosts" in out["error"]


def test_a_vendored_native_extension_with_type_stubs_fails_naming_its_package(api):
    """cryptography's way: its native `_rust` module sits beside a folder of type stubs
    of the same name, which would load as an empty namespace package and fail later,
    elsewhere; the import fails naming the package instead."""
    create(api, "native", "python3.12", "app.handler", {
        "fastcrypt/__init__.py": "from fastcrypt._native import exceptions\n",
        "fastcrypt/_native/__init__.pyi": "exceptions: object\n",
        "fastcrypt/_native.abi3.so": "\x7fELF not really",
        "fastcrypt-1.0.dist-info/RECORD": "fastcrypt/_native.abi3.so,,\nfastcrypt/__init__.py,,\n",
        "app.py": "def handler(event, context):\n    import fastcrypt\n    return 'unreachable'\n"})
    r, out, _ = invoke(api, "native", {})
    assert r["FunctionError"] == "Unhandled" and out["errorType"] == "ImportError"
    assert out["errorMessage"].startswith("No module named 'fastcrypt._native': it is a native extension of the "
                                          "package 'fastcrypt'")


def test_old_sloppy_mode_packages_in_node_modules_load_as_node_runs_them(api):
    """A CommonJS package runs in sloppy mode on Node: legacy octal literals (mkdirp
    0.5's 0777) and `delete` of a variable load, with their sloppy meaning."""
    create(api, "sloppy", "nodejs20.x", "index.handler", {
        "node_modules/oldlib/package.json": '{"name": "oldlib", "main": "index.js"}',
        "node_modules/oldlib/index.js": """\
var MODE = 0777, DECIMAL = 09;
exports.describe = function (time, options) {
  if (typeof time === 'object') {
    options = time;
    delete time;
  }
  return { mode: (MODE & ~022).toString(8), decimal: DECIMAL, text: '0777', options: options };
};
""",
        "index.js": "const old = require('oldlib');\nexports.handler = async (event) => old.describe(event);\n"})
    r, out, _ = invoke(api, "sloppy", {"units": "si"})
    assert "FunctionError" not in r, out
    assert out == {"mode": "755", "decimal": 9, "text": "0777", "options": {"units": "si"}}


def test_for_of_over_a_missing_field_is_v8s_not_iterable(api):
    """`for (const r of event.Records)` on an event without Records (the usual Lambda
    failure): V8 names the expression."""
    create(api, "records", "nodejs20.x", "app.handler", {"app.mjs": """\
export const handler = async (event) => {
  if (event.spread) return [...event.Items];
  for (const record of event.Records) console.log(record);
  return 'done';
};
"""})
    for event, message in [({}, "event.Records is not iterable"), ({"spread": 1}, "event.Items is not iterable")]:
        r, out, _ = invoke(api, "records", event)
        assert r["FunctionError"] == "Unhandled" and (out["errorType"], out["errorMessage"]) == ("TypeError", message)
    assert invoke(api, "records", {"Records": [1]})[1] == "done"


def _large_package() -> dict[str, str]:
    """A package of 300 CommonJS modules (~2.6 MB bundled, so its modules load lazily),
    most never required; one holds a CRLF in a template literal after a character
    outside the BMP (the lazy modules' offsets count UTF-16 units, every \\r kept)."""
    files = {"node_modules/big/package.json": '{"name": "big", "main": "index.js"}'}
    body = "".join(f"exports.f{j} = function (a) {{ return ['{'x' * 40}', a, {j}].join('-'); }};\n" for j in range(100))
    for i in range(300):
        files[f"node_modules/big/lib/m{i}.js"] = (f"// module {i}\n{body}exports.id = {i};\n"
                                                  + ("throw new Error('never required');\n" if i % 7 == 3 else ""))
    files["node_modules/big/lib/text.js"] = "module.exports = { emoji: '\U0001F600', crlf: `a\r\nb`, n: 1 };\n"
    files["node_modules/big/index.js"] = "".join(
        f"exports.get{i} = () => require('./lib/m{i}.js');\n" for i in range(300)) + \
        "exports.text = require('./lib/text.js');\n"
    return files


def test_a_large_package_loads_its_modules_when_first_required(api):
    """Node reads a package's files when they are first required; a large bundle's
    modules are compiled then too (a twilio-sized package fits in 128 MB): the
    modules that run give what Node gives, and a module never required never runs."""
    files = _large_package()
    files["index.js"] = """\
const big = require('big');
exports.handler = async (event) => {
  const m = big[`get${event.n}`]();
  return { id: m.id, f: m.f99('z'), emoji: big.text.emoji.length, crlf: big.text.crlf };
};
"""
    create(api, "bigpkg", "nodejs20.x", "index.handler", files, MemorySize=128)
    r, out, _ = invoke(api, "bigpkg", {"n": 5})
    assert "FunctionError" not in r, out
    assert out == {"id": 5, "f": f"{'x' * 40}-z-99", "emoji": 2, "crlf": "a\nb"}  # a template's CRLF is LF
    assert invoke(api, "bigpkg", {"n": 299})[1]["id"] == 299
    r, out, _ = invoke(api, "bigpkg", {"n": 3})  # a module that throws when it is required
    assert r["FunctionError"] == "Unhandled" and out["errorMessage"] == "never required"


_TYPE_MODULE_HINT = ("\nThis file is being treated as an ES module because it has a '.js' file extension and "
                     "'/var/task/package.json' contains \"type\": \"module\". To treat it as a CommonJS script, "
                     "rename it to use the '.cjs' file extension.")


@pytest.mark.parametrize("name, files, handler, error", [
    # an ES module imports exact file paths: no extension searched, no folder index
    ("esm-no-extension", {"package.json": "{}", "handler.js": "import { a } from './libs/r';\n"
                          "export const handler = async () => a;\n", "libs/r.js": "export const a = 1;\n"},
     "handler.handler", ("Error", "Cannot find module '/var/task/libs/r' imported from /var/task/handler.js\n"
                                  "Did you mean to import \"./libs/r.js\"?")),
    ("esm-folder", {"index.mjs": "import { a } from './libs';\nexport const handler = async () => a;\n",
                    "libs/index.js": "exports.a = 1;\n"}, "index.handler",
     ("Error", "Directory import '/var/task/libs' is not supported resolving ES modules imported from "
               "/var/task/index.mjs\nDid you mean to import \"./libs/index.js\"?")),
    ("esm-no-package", {"index.mjs": "import x from 'not-installed';\nexport const handler = async () => x;\n"},
     "index.handler", ("Error", "Cannot find package 'not-installed' imported from /var/task/index.mjs")),
    ("cjs-no-package", {"index.js": "const x = require('not-installed');\nexports.handler = async () => x;\n"},
     "index.handler", ("Runtime.ImportModuleError", "Error: Cannot find module 'not-installed'\nRequire stack:\n"
                                                    "- /var/task/index.js\n- /var/runtime/index.mjs")),
    ("no-module", {"index.js": "exports.handler = async () => 1;\n"}, "nope.handler",
     ("Runtime.ImportModuleError", "Error: Cannot find module 'nope'\nRequire stack:\n- /var/runtime/index.mjs")),
    # CommonJS code in an ES module: a ReferenceError while it loads, with Node's words
    ("cjs-in-type-module", {"package.json": '{"type": "module"}', "index.js": "module.exports.handler = async () => 1;\n"},
     "index.handler", ("ReferenceError", "module is not defined in ES module scope" + _TYPE_MODULE_HINT)),
    ("require-in-mjs", {"index.mjs": "const fs = require('fs');\nexport const handler = async () => 1;\n"},
     "index.handler", ("ReferenceError", "require is not defined in ES module scope, you can use import instead")),
    # ES-module syntax in CommonJS
    ("esm-in-type-commonjs", {"package.json": '{"type": "commonjs"}', "index.js": "export const handler = 1;\n"},
     "index.handler", ("Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected token 'export'")),
    ("import-in-cjs", {"index.cjs": "import fs from 'fs';\nexports.handler = async () => 1;\n"}, "index.handler",
     ("Runtime.UserCodeSyntaxError", "SyntaxError: Cannot use import statement outside a module")),
])
def test_module_format_mistakes_lambda_refuses_get_its_error(api, name, files, handler, error):
    """What Node refuses on Lambda is refused with Lambda's error: at deploy where the
    code cannot load (better than Lambda, which fails the first invocation), else by
    the invocation."""
    try:
        create(api, f"fmt-{name}", "nodejs20.x", handler, files)
    except api.exceptions.InvalidParameterValueException as e:
        assert f"{error[0]}: {error[1]}" in str(e)
        return
    r, out, _ = invoke(api, f"fmt-{name}", {})
    assert r["FunctionError"] == "Unhandled" and (out["errorType"], out["errorMessage"]) == error


def test_es_modules_and_commonjs_names_node_accepts(api):
    """What Node accepts still runs: `typeof module` in an ES module is "undefined"
    (UMD checks), a handler that uses `exports` only when called fails then with Node's
    shorter words, and a `.js` ES module with exact import paths loads."""
    create(api, "fmt-ok", "nodejs20.x", "index.handler", {
        "package.json": '{"type": "module"}', "lib.js": "export const a = 7;\n",
        "index.js": "import { a } from './lib.js';\nexport const handler = async (event) => {\n"
                    "  if (event.late) return exports.x;\n  return [a, typeof module, typeof require];\n};\n"})
    assert invoke(api, "fmt-ok", {})[1] == [7, "undefined", "undefined"]
    r, out, _ = invoke(api, "fmt-ok", {"late": 1})
    assert r["FunctionError"] == "Unhandled" and out["errorMessage"] == "exports is not defined"


def test_a_module_s_own_folder_require_resolve_and_module_compile(api):
    """Each module sees its own __dirname/__filename (a handler in src/ reads the
    template beside it); a package reads a file it finds by require.resolve (jsonpath's
    grammar) and compiles source with require('module') (jsonpath's aesprim)."""
    create(api, "paths", "nodejs20.x", "src/app.handler", {
        "src/app.js": """\
const fs = require('fs');
const path = require('path');
const reader = require('reader');
exports.handler = async () => ({
  dir: __dirname, file: __filename, template: fs.readFileSync(path.join(__dirname, 'page.html'), 'utf8'),
  pkg: reader.where, grammar: reader.grammar(), compiled: reader.compiled,
});
""",
        "src/page.html": "<h1>hi</h1>\n",
        "node_modules/reader/package.json": '{"name": "reader", "main": "lib/index.js"}',
        "node_modules/reader/include/module.js": "/* grammar include */\n",
        "node_modules/reader/lib/index.js": """\
const fs = require('fs');
const Module = require('module');
const m = new Module('made', module);
m._compile("module.exports = { twice: (x) => x * 2, dir: __dirname };", __filename);
exports.where = __dirname;
exports.grammar = () => fs.readFileSync(require.resolve('../include/module.js'), 'utf8');
exports.compiled = [m.exports.twice(21), m.exports.dir];
""",
    })
    r, out, _ = invoke(api, "paths", {})
    assert "FunctionError" not in r, out
    assert out == {"dir": "/var/task/src", "file": "/var/task/src/app.js", "template": "<h1>hi</h1>\n",
                   "pkg": "/var/task/node_modules/reader/lib", "grammar": "/* grammar include */\n",
                   "compiled": [42, "/var/task/node_modules/reader/lib"]}


# -- Express behind the adapters Lambda code uses -------------------------------------------
EXPRESS_APP = Path(__file__).parent / "express_app"  # express, serverless-http, @codegenie/serverless-express


def _rest_event(method, path, query=None, body=None, headers=None):
    headers = {"User-Agent": "curl/8", **(headers or {})}
    return {"resource": "/{proxy+}", "path": path, "httpMethod": method, "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query, "multiValueQueryStringParameters": query and {k: [v] for k, v in query.items()},
            "pathParameters": {"proxy": path[1:]}, "stageVariables": None,
            "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": method, "path": f"/dev{path}", "stage": "dev",
                               "requestId": "r1", "identity": {"sourceIp": "1.2.3.4"}},
            "body": body, "isBase64Encoded": False}


def _http_event(method, path, query="", body=None, headers=None):
    return {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query, "cookies": ["a=1"],
            "headers": {"user-agent": "curl/8", **(headers or {})},
            "requestContext": {"http": {"method": method, "path": path, "sourceIp": "1.2.3.4", "protocol": "HTTP/1.1",
                                        "userAgent": "curl/8"}, "stage": "$default", "requestId": "r2",
                               "routeKey": "$default"},
            "body": body, "isBase64Encoded": False}


JSON_TYPE = {"content-type": "application/json"}
EXPRESS_EVENTS = [
    _rest_event("GET", "/items/7", {"a": "b"}), _http_event("GET", "/items/7", "a=b&a=c"),
    _rest_event("POST", "/items", None, '{"name":"x"}', {"Content-Type": "application/json"}),
    _http_event("POST", "/items", "", '{"name":"y"}', JSON_TYPE),
    _rest_event("GET", "/bytes"), _http_event("GET", "/stream"), _rest_event("GET", "/stream"),
    _rest_event("HEAD", "/head-and-get"), _http_event("GET", "/moved"), _rest_event("GET", "/nothing"),
    _http_event("GET", "/boom"), _http_event("POST", "/items", "", "{not json", JSON_TYPE), _rest_event("GET", "/missing"),
    _rest_event("GET", "/report", headers={"Accept-Encoding": "gzip, deflate"}),
    _http_event("GET", "/report", headers={"accept-encoding": "gzip"}),
]


def _comparable(answer):
    """An adapter's answer less what differs between any two runs or hosts: the Date header
    and the stack trace Express's error page prints (outside production: its frames and
    paths are the host's, and the sandbox's `err.stack` is SpiderMonkey's text, not V8's)."""
    answer = json.loads(json.dumps(answer))
    for key in ("headers", "multiValueHeaders"):
        (answer.get(key) or {}).pop("date", None)
    if answer.get("isBase64Encoded") and "gzip" in str((answer.get("headers") or answer.get("multiValueHeaders"))):
        answer["body"] = gzip.decompress(base64.b64decode(answer["body"])).decode()  # Node's zlib and fflate differ in bytes
    if "<pre>" in answer.get("body", ""):
        answer["body"] = answer["body"].split("<pre>")[0]
        for key in ("headers", "multiValueHeaders"):
            (answer.get(key) or {}).pop("content-length", None)
    return answer


@pytest.mark.parametrize("adapter", ["serverless", "vendia", "express5"])
def test_express_behind_serverless_http_and_serverless_express_answers_as_node(api, adapter):
    """An Express app (JSON, status, headers, cookies, a parsed body, a Buffer, chunked
    writes, gzip by the compression middleware, a redirect, HEAD, 204, errors) behind
    serverless-http and @codegenie/serverless-express, and Express 5 (whose router's
    regular expressions use Unicode property escapes), gives, for REST API (1.0) and HTTP
    API (2.0) events, the answer the same handler gives in a plain Node.js process."""
    node = shutil.which("node")
    if not node or not (EXPRESS_APP / "node_modules" / "serverless-http").is_dir():
        pytest.skip("needs node and `npm ci --prefix tests/server/express_app` (scripts/setup runs it)")
    files = {str(p.relative_to(EXPRESS_APP)): p.read_bytes() for p in sorted(EXPRESS_APP.rglob("*"))
             if p.is_file() and p.name != "package-lock.json"}
    reference = subprocess.run(
        [node, "-e", f"const {{ handler }} = require('./{adapter}.js');"
         "(async () => { const out = [];"
         " for (const e of JSON.parse(process.argv[1])) out.push(await handler(e, {}).catch((e) => ({ error: e.message })));"
         " process.stdout.write(JSON.stringify(out)); })()", json.dumps(EXPRESS_EVENTS)],
        cwd=EXPRESS_APP, capture_output=True, text=True, timeout=120, check=True)
    expected = json.loads(reference.stdout)
    create(api, f"express-{adapter}", "nodejs20.x", f"{adapter}.handler", files)
    for event, want in zip(EXPRESS_EVENTS, expected, strict=True):
        r, out, logs = invoke(api, f"express-{adapter}", event)
        assert "FunctionError" not in r, (event["requestContext"], out, logs)
        assert _comparable(out) == _comparable(want), event["requestContext"]
    # (serverless-http sets req.body, a Buffer, which Express 5's body parser leaves as it is: so on Node too)
    assert expected[2]["statusCode"] == 201 and (adapter == "express5" or json.loads(expected[2]["body"]) == {"created": {"name": "x"}})
    assert expected[5]["body"] == "one,two,three" and expected[9]["statusCode"] == 204
    assert expected[-1]["headers"]["content-encoding"] == "gzip" and expected[-1]["isBase64Encoded"]


def _zip_dated(files: dict, when: tuple) -> bytes:
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=when), text)
    return buf.getvalue()


def test_files_keep_their_times_from_the_zip(api):
    """Express's Last-Modified / ETag and fs.statSync read them (Lambda keeps them)."""
    when = (2021, 3, 4, 5, 6, 8)
    js = ("const fs = require('fs');\n"
          "exports.handler = async () => fs.statSync(__dirname + '/public/index.html').mtime.toISOString();\n")
    api.create_function(FunctionName="dated-js", Runtime="nodejs20.x", Role="arn:aws:iam::000000000000:role/r",
                        Handler="index.handler",
                        Code={"ZipFile": _zip_dated({"index.js": js, "public/index.html": "<p>hi</p>"}, when)})
    assert invoke(api, "dated-js", {})[1] == "2021-03-04T05:06:08.000Z"
    pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")
    py = "import os\ndef handler(e, c):\n    return os.path.getmtime(__file__)\n"
    api.create_function(FunctionName="dated-py", Runtime="python3.12", Role="arn:aws:iam::000000000000:role/r",
                        Handler="app.handler", Code={"ZipFile": _zip_dated({"app.py": py}, when)})
    assert invoke(api, "dated-py", {})[1] == 1614834368


def test_nodejs18_reads_a_js_file_as_commonjs_and_later_runtimes_detect_modules(api):
    src = {"index.js": "export const handler = async () => 'module';\n"}
    create(api, "esm-in-js-20", "nodejs20.x", "index.handler", src)
    assert invoke(api, "esm-in-js-20", {})[1] == "module"
    try:
        create(api, "esm-in-js-18", "nodejs18.x", "index.handler", src)
    except api.exceptions.InvalidParameterValueException as e:  # refused at deploy, naming Lambda's error
        assert "UserCodeSyntaxError" in str(e) or "Cannot use import statement" in str(e)
        return
    _, doc, _ = invoke(api, "esm-in-js-18", {})
    assert doc["errorType"] == "Runtime.UserCodeSyntaxError"
