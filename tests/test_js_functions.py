"""JavaScript functions run by StarlingMonkey inside the sandbox (componentize-js
runtime), the way Lambda's nodejs20.x runtime runs them.

The runtime is built once (~20 s) into the build cache and compiled once (~9 s) per
test session: every test here shares one Host. .ci/run installs componentize-js (npm)."""

import json
import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

from wasmhost import DeployError, FunctionConfig, FunctionError, InvocationTimeout

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t(?P<rid>[0-9a-f-]{36})\t(?P<level>[A-Z]+)\t(?P<msg>.*)$")


def write(root, name, source):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def logs(res):
    return [LINE.match(line).groupdict() for line in res.logs.splitlines()]


def test_async_handler_context_environment_and_console(js_host, tmp_path):
    src = write(tmp_path, "index.mjs", """
        const greeting = "hi";
        export const handler = async (event, context) => {
          console.log("got", event.n, { for: context.functionName });
          console.warn("careful %s", "now");
          await new Promise((resolve) => setTimeout(resolve, 5));
          return { double: event.n * 2, id: context.awsRequestId, greeting, env: process.env.AWS_LAMBDA_FUNCTION_NAME,
                   exec: process.env.AWS_EXECUTION_ENV, arn: context.invokedFunctionArn, mine: process.env.MINE,
                   mb: context.memoryLimitInMB, left: context.getRemainingTimeInMillis(),
                   stream: context.logStreamName, group: context.logGroupName };
        };
    """)
    info = js_host.deploy("js", src, FunctionConfig(memory_mb=256, timeout_ms=2000, env={"MINE": "1"}))
    assert info.warm == 1  # loaded at deploy
    res = js_host.invoke("js", {"n": 21})
    out = res.value
    assert out["double"] == 42 and out["id"] == res.report.request_id and out["greeting"] == "hi"
    assert out["env"] == "js" and out["exec"] == "AWS_Lambda_nodejs20.x" and out["mine"] == "1"
    assert out["arn"] == "arn:aws:lambda:us-east-1:000000000000:function:js" and out["group"] == "/aws/lambda/js"
    assert out["mb"] == "256" and 1000 < out["left"] <= 2000 and out["stream"].startswith("20")
    assert logs(res) == [{"rid": out["id"], "level": "INFO", "msg": "got 21 { for: 'js' }"},
                         {"rid": out["id"], "level": "WARN", "msg": "careful now"}]


def test_callback_handlers_commonjs_and_node_builtins(js_host, tmp_path):
    root = tmp_path / "cjs"
    write(root, "index.js", """
        const crypto = require("crypto");
        const util = require("node:util");
        const { EventEmitter } = require("events");
        const qs = require("querystring");
        const path = require("path");
        const { URL } = require("url");
        const { shout } = require("./lib/text");
        const pad = require("leftpad");
        let count = 0;
        exports.handler = function (event, context, callback) {
          count += 1;
          const bus = new EventEmitter();
          let heard;
          bus.on("x", (v) => { heard = v; });
          bus.emit("x", shout(event.word));
          const out = { count, heard, pad: pad("a", 3), sha: crypto.createHash("sha256").update("abc").digest("hex"),
                        md5: crypto.createHash("md5").update("abc").digest("hex"),
                        hmac: crypto.createHmac("sha256", "k").update("m").digest("base64"),
                        b64: Buffer.from("hello").toString("base64"), q: qs.parse("a=1&b=2"),
                        p: path.join("/var/task", "..", "x"), u: new URL("https://h/p?q=1").searchParams.get("q"),
                        f: util.format("%s=%d", "n", 5), uuid: crypto.randomUUID().length };
          if (event.mode === "succeed") return context.succeed(out);
          if (event.mode === "fail") return callback(new TypeError("bad " + event.word));
          setTimeout(() => callback(null, out), 5);
        };
    """)
    write(root, "lib/text.js", "module.exports.shout = (s) => s.toUpperCase() + '!';\n")
    write(root, "node_modules/leftpad/package.json", '{"name": "leftpad", "main": "main.js"}')
    write(root, "node_modules/leftpad/main.js", "module.exports = (s, n) => s.padStart(n, '.');\n")
    js_host.deploy("cjs", root, FunctionConfig(runtime="nodejs20.x"))
    out = js_host.invoke("cjs", {"word": "hey"}).value
    assert out == {"count": 1, "heard": "HEY!", "pad": "..a",
                   "sha": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                   "md5": "900150983cd24fb0d6963f7d28e17f72", "hmac": "tgCQ4wUil661oICInOL8S8qVfnVvrrTffTGADKHncew=",
                   "b64": "aGVsbG8=", "q": {"a": "1", "b": "2"}, "p": "/var/x", "u": "1", "f": "n=5", "uuid": 36}
    assert js_host.invoke("cjs", {"word": "a", "mode": "succeed"}).value["count"] == 2
    with pytest.raises(FunctionError) as e:
        js_host.invoke("cjs", {"word": "a", "mode": "fail"})
    doc = e.value.to_lambda()
    assert doc["errorType"] == "TypeError" and doc["errorMessage"] == "bad a"
    assert doc["trace"][0] == "TypeError: bad a" and "/var/task/index.js:" in doc["trace"][1]
    assert "\tERROR\tInvoke Error " in e.value.logs


def test_es_modules_with_type_module_and_json(js_host, tmp_path):
    root = tmp_path / "esm"
    write(root, "package.json", '{"type": "module"}')
    write(root, "app.js", """
        import { createHash } from "node:crypto";
        import { helper } from "./helper.js";
        import data from "./data.json" with { type: "json" };
        export async function main(event) {
          return { h: helper(event.x), data, url: import.meta.url, sha1: createHash("sha1").update("").digest("hex") };
        }
    """)
    write(root, "helper.js", "export const helper = (x) => x * 3;\n")
    write(root, "data.json", '{"k": [1, 2]}')
    js_host.deploy("esm", root, FunctionConfig(runtime="nodejs20.x", handler="app.main"))
    assert js_host.invoke("esm", {"x": 2}).value == {"h": 6, "data": {"k": [1, 2]}, "url": "file:///var/task/app.js",
                                                   "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}


def test_response_streaming_handlers(js_host, tmp_path):
    """awslambda.streamifyResponse: the answer is what the handler wrote once its stream
    ends (write/end, pipeline, a stream left open); HttpResponseStream.from makes it an
    HTTP response (function URLs, HTTP triggers); a throw is the function's error."""
    root = tmp_path / "stream"
    write(root, "index.mjs", """
        import { pipeline } from "node:stream/promises";
        import { Readable } from "node:stream";
        export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
          responseStream.setContentType("text/plain");
          if (event.mode === "pipeline") {
            await pipeline(Readable.from(["a", "b", "c"]), responseStream);
          } else if (event.mode === "http") {
            const s = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { "x-a": "1" } });
            s.write("made");
            s.end();
          } else if (event.mode === "open") {
            responseStream.write("left open");
          } else if (event.mode === "fail") {
            throw new Error("broken stream");
          } else {
            responseStream.write("Hello, ");
            await new Promise((r) => setTimeout(r, 5));
            responseStream.write(event.name + " " + context.awsRequestId.length);
            responseStream.end();
          }
        });
    """)
    js_host.deploy("streamer", root, FunctionConfig(runtime="nodejs20.x", handler="index.handler"))
    assert js_host.invoke("streamer", {"name": "x"}).payload == b"Hello, x 36"
    assert js_host.invoke("streamer", {"mode": "pipeline"}).payload == b"abc"
    assert js_host.invoke("streamer", {"mode": "open"}).payload == b"left open"
    assert js_host.invoke("streamer", {"mode": "http"}).value == {"statusCode": 201, "headers": {"x-a": "1"},
                                                                "body": "made", "isBase64Encoded": False}
    with pytest.raises(FunctionError, match="broken stream"):
        js_host.invoke("streamer", {"mode": "fail"})


def test_lambdas_answers_for_each_handler_style(js_host, tmp_path):
    src = write(tmp_path, "styles.js", """
        exports.sync = (event) => "ignored";  // Lambda ignores a plain return: null
        exports.string = (event, context, callback) => callback("plain failure");
        exports.rejects = async () => { throw new RangeError("out of range"); };
        exports.done = (event, context) => context.done(null, { done: true });
        exports.timer = (event, context, callback) => { setTimeout(() => { throw new Error("in a timer"); }, 1); };
        exports.exit = () => process.exit(3);
    """)
    cfg = {name: FunctionConfig(handler=f"styles.{name}") for name in ("sync", "string", "rejects", "done", "timer", "exit")}
    for name, c in cfg.items():
        js_host.deploy(f"s_{name}", src, c)
    assert js_host.invoke("s_sync", {}).value is None
    assert js_host.invoke("s_done", {}).value == {"done": True}
    errors = {}
    for name in ("string", "rejects", "timer", "exit"):
        with pytest.raises(FunctionError) as e:
            js_host.invoke(f"s_{name}", {})
        errors[name] = e.value.to_lambda()
    assert errors["string"] == {"errorType": "string", "errorMessage": "plain failure", "trace": []}
    assert errors["rejects"]["errorType"] == "RangeError" and errors["rejects"]["trace"][0] == "RangeError: out of range"
    assert errors["timer"]["errorMessage"] == "in a timer"
    assert errors["exit"] == {"errorType": "Runtime.ExitError", "errorMessage": "Runtime exited with error: exit status 3"}
    assert js_host.invoke("s_done", {}).value == {"done": True}


def test_an_uncaught_exception_or_exit_ends_the_instance_as_lambdas_runtime_exits(js_host, tmp_path):
    """Lambda's Node runtime exits after an uncaught exception (a throw in a timer: 129) or
    ``process.exit()``, so the next invocation starts cold and imports the code again; an
    error the handler throws or rejects with keeps the instance (and its state)."""
    src = write(tmp_path, "state.js", """
        let calls = 0;
        exports.handler = async (event) => {
          calls += 1;
          if (event.mode === "throw") throw new Error("handled by the runtime");
          if (event.mode === "exit") process.exit(0);
          if (event.mode === "timer") return new Promise(() => { setTimeout(() => { throw new TypeError("late"); }, 1); });
          return calls;
        };
    """)
    js_host.deploy("state", src, FunctionConfig(handler="state.handler"))
    assert js_host.invoke("state", {}).value == 1
    with pytest.raises(FunctionError):
        js_host.invoke("state", {"mode": "throw"})
    assert js_host.invoke("state", {}).value == 3  # the same instance
    with pytest.raises(FunctionError) as e:
        js_host.invoke("state", {"mode": "timer"})
    assert e.value.to_lambda()["errorType"] == "TypeError" and "\tERROR\tUncaught Exception {" in e.value.logs
    assert js_host.invoke("state", {}).value == 1  # a new instance: the code loaded again
    with pytest.raises(FunctionError) as e:
        js_host.invoke("state", {"mode": "exit"})
    assert e.value.to_lambda() == {"errorType": "Runtime.ExitError",
                                   "errorMessage": "Runtime exited without providing a reason"}
    assert js_host.invoke("state", {}).value == 1


@pytest.mark.parametrize("files, handler, etype", [
    ({"index.js": "exports.handler = (e) => {\n"}, "index.handler", "Runtime.UserCodeSyntaxError"),
    # ES module syntax in a CommonJS file (rolldown's PARSE_ERROR)
    ({"index.cjs": "export const handler = async () => 1;\n"}, "index.handler", "Runtime.UserCodeSyntaxError"),
    ({"index.js": "exports.main = async () => 1;\n"}, "index.handler", "Runtime.HandlerNotFound"),
    ({"index.js": "exports.handler = async () => 1;\n"}, "missing.handler", "Runtime.ImportModuleError"),
    ({"index.js": "const x = require('not-installed');\nexports.handler = async () => x;\n"}, "index.handler",
     "Runtime.ImportModuleError"),
    ({"index.js": "throw new Error('at load');\n"}, "index.handler", "Error"),
])
def test_code_that_cannot_load_fails_the_deploy(js_host, tmp_path, files, handler, etype):
    for name, text in files.items():
        write(tmp_path / "fn", name, text)
    with pytest.raises(DeployError, match=f"^{re.escape(etype)}: "):
        js_host.deploy("broken", tmp_path / "fn", FunctionConfig(runtime="nodejs20.x", handler=handler))


@pytest.mark.parametrize("source", [
    "const { S3 } = require('x');\nconst S3 = new S3();\nexports.handler = async () => 1;\n",  # aws-cdk-examples' widgets.js
    "exports.handler = (e) => {\n",
    "exports.handler = async () => { let a = ; };\n",
    "exports.handler = () => { await x; };\n",
    "exports.handler = () => { foo bar; };\n",
    "exports.handler = () => ({ a: 1,, });\n",
    "exports.handler = () => { x = 1 'two'; };\n",
    "exports.handler = () => { let s = 'abc;\n};\n",
    "exports.handler = () => { if (x) { else } };\n",
])
def test_a_syntax_error_is_worded_as_node_words_it(js_host, tmp_path, source):
    """Lambda's Runtime.UserCodeSyntaxError quotes V8's SyntaxError, which the bundler's
    parser words its own way: the deploy's error is V8's, as plain Node gives it for the file."""
    root = write(tmp_path / "fn", "index.js", source).parent
    node = subprocess.run(["node", "-e", "require('./index.js')"], cwd=root, capture_output=True, text=True)
    v8 = next(line for line in node.stderr.splitlines() if line.startswith("SyntaxError: "))
    with pytest.raises(DeployError) as failed:
        js_host.deploy("syntax", root, FunctionConfig(runtime="nodejs20.x"))
    assert str(failed.value) == f"Runtime.UserCodeSyntaxError: {v8}"


def test_an_assignment_to_a_const_fails_only_when_it_runs(js_host, tmp_path):
    """Node throws "Assignment to constant variable." when such an assignment runs; the bundler
    refused the whole file for it (ILLEGAL_REASSIGNMENT), so a handler with one on a path it
    rarely takes (Alexa's trivia sample) could not deploy. Each event answers as in plain Node:
    the other paths run, and a logical assignment that short-circuits assigns nothing."""
    root = write(tmp_path / "fn", "index.js", """
        const greeting = 'hi';
        const empty = '';
        let count = 0;
        exports.handler = async (event) => {
          count += 1;
          if (event.path === 'set') greeting = (count += 10, event.value);
          if (event.path === 'add') greeting += '!';
          if (event.path === 'inc') greeting++;
          if (event.path === 'or') greeting ||= 'never';
          if (event.path === 'and') empty ||= 'now';
          return [greeting, count];
        };
    """).parent
    events = [{"path": p} for p in ("none", "set", "add", "inc", "or", "and", "none")]
    node = subprocess.run(["node", "-e", """
        const { handler } = require('./index.js');
        (async () => { const out = [];
          for (const e of JSON.parse(process.argv[1])) {
            try { out.push(await handler(e)); } catch (err) { out.push([err.name, err.message]); } }
          console.log(JSON.stringify(out)); })();
    """, json.dumps(events)], cwd=root, capture_output=True, text=True, check=True, timeout=60)
    want = json.loads(node.stdout)
    js_host.deploy("consts", root, FunctionConfig(runtime="nodejs20.x"))
    got = []
    for event in events:
        try:
            got.append(js_host.invoke("consts", event).value)
        except FunctionError as e:
            doc = e.to_lambda()
            got.append([doc["errorType"], doc["errorMessage"]])
    assert got == want
    assert want[1] == ["TypeError", "Assignment to constant variable."] and want[4] == ["hi", 15]  # the value was evaluated


def test_a_missing_package_names_the_require_stack_as_node(js_host, tmp_path):
    """A package required in a module the handler's module requires, installed nowhere (an
    SDK v2 handler on nodejs20.x): Node's error names the chain of modules that led there,
    as Lambda's Runtime.ImportModuleError quotes it; a require of it in a try (an optional
    dependency) is MODULE_NOT_FOUND there and the function runs."""
    root = tmp_path / "fn"
    write(root, "app.js", "const db = require('./lib/db');\nexports.handler = async () => db.ok;\n")
    write(root, "lib/db.js", "const AWS = require('aws-sdk');\nexports.ok = 1;\n")
    write(root, "optional.js", "let native;\ntry { native = require('pg-native'); } catch (e) { native = [e.code, e.requireStack]; }\n"
                               "exports.handler = async () => native;\n")
    with pytest.raises(DeployError) as failed:
        js_host.deploy("stack", root, FunctionConfig(runtime="nodejs20.x", handler="app.handler"))
    assert str(failed.value) == ("Runtime.ImportModuleError: Error: Cannot find module 'aws-sdk'\nRequire stack:\n"
                                 "- /var/task/lib/db.js\n- /var/task/app.js\n- /var/runtime/index.mjs")
    js_host.deploy("optional", root, FunctionConfig(runtime="nodejs20.x", handler="optional.handler"))
    assert js_host.invoke("optional", {}).value == ["MODULE_NOT_FOUND", ["/var/task/optional.js"]]
    # what plain Node says of the same code (its paths are this machine's)
    node = subprocess.run(["node", "-e", "require('./app.js')"], cwd=root, capture_output=True, text=True)
    assert f"Require stack:\n- {root}/lib/db.js\n- {root}/app.js\n" in node.stderr


def test_layers_node_modules(js_host, tmp_path):
    write(tmp_path / "layer", "nodejs/node_modules/greeter/index.js", "module.exports = (n) => `hello ${n}`;\n")
    root = tmp_path / "fn"
    write(root, "index.js", "const greet = require('greeter');\nexports.handler = async (e) => greet(e.name);\n")
    js_host.deploy("layered", root, FunctionConfig(runtime="nodejs20.x", layers=(str(tmp_path / "layer"),)))
    assert js_host.invoke("layered", {"name": "ada"}).value == "hello ada"


def test_fs_reads_the_code_and_layer_files_and_tmp_is_per_instance(js_host, tmp_path):
    write(tmp_path / "layer", "certs/ca.pem", "-----BEGIN CERTIFICATE-----\n")
    (tmp_path / "layer" / "nodejs").mkdir()
    root = tmp_path / "fn"
    write(root, "data/logo.bin", "")
    (root / "data" / "logo.bin").write_bytes(bytes(range(256)))  # not text: sent as base64
    (root / "data" / "big.csv").write_bytes(b"x" * (2 << 20))  # past the 1 MiB a file that is sent
    write(root, "index.mjs", """
        import { readFileSync, readdirSync, statSync, writeFileSync, existsSync } from "node:fs";
        import { readFile } from "node:fs/promises";
        let n = 0;
        export const handler = async () => {
          n += 1;
          const fresh = !existsSync("/tmp/count");
          writeFileSync("/tmp/count", String(n));
          let big;
          try { readFileSync("data/big.csv"); } catch (e) { big = `${e.code} ${e.message}`; }
          return { ca: await readFile("/opt/certs/ca.pem", "utf8"), logo: [...readFileSync("./data/logo.bin").subarray(250)],
                   size: statSync("data/logo.bin").size, dir: readdirSync("data"), fresh, big,
                   tmp: readFileSync("/tmp/count", "utf8") };
        };
    """)
    js_host.deploy("files", root, FunctionConfig(runtime="nodejs20.x", layers=(str(tmp_path / "layer"),)))
    first = js_host.invoke("files", {}).value
    assert first["ca"] == "-----BEGIN CERTIFICATE-----\n" and first["logo"] == [250, 251, 252, 253, 254, 255]
    assert first["size"] == 256 and first["dir"] == ["big.csv", "logo.bin"]
    assert first["big"].startswith("EFBIG") and "1 MiB" in first["big"]
    assert first["fresh"] is True and first["tmp"] == "1"
    second = js_host.invoke("files", {}).value  # the same warm instance keeps its /tmp
    assert second["fresh"] is False and second["tmp"] == "2"


def test_json_logs_with_a_level(js_host, tmp_path):
    src = write(tmp_path, "index.js", """
        exports.handler = async () => { console.debug("quiet"); console.error("loud", { a: 1 }); return 1; };
    """)
    js_host.deploy("jl", src, FunctionConfig(log_format="JSON", log_level="WARN"))
    res = js_host.invoke("jl", {})
    docs = [json.loads(line) for line in res.logs.splitlines()]
    assert [(d["level"], d["message"]) for d in docs] == [("ERROR", "loud { a: 1 }")]
    assert docs[0]["requestId"] == res.report.request_id


def test_limits_isolation_and_no_speculation(js_host, tmp_path):
    src = write(tmp_path, "loop.js", """
        let seen = 0;
        export const handler = async (event) => {
          if (event === "spin") { while (true) {} }
          seen += 1;
          return seen;
        };
    """)
    js_host.deploy("loop", src, FunctionConfig(timeout_ms=300))
    assert not js_host._functions["loop"].speculate
    with pytest.raises(InvocationTimeout):
        js_host.invoke("loop", "spin")
    assert js_host.invoke("loop", {}).value == 1  # a fresh instance after the timeout
    js_host.deploy("strict", src, FunctionConfig(isolation="strict"))
    assert [js_host.invoke("strict", {}).value for _ in range(3)] == [1, 1, 1]


def test_example(js_host):
    src = Path(__file__).resolve().parent.parent / "examples" / "javascript" / "index.js"
    js_host.deploy("hello_js", src)
    res = js_host.invoke("hello_js", {"name": "ada"})
    assert res.value == "Hello, ada!" and logs(res)[0]["msg"] == "greeting ada from hello_js"


def test_out_of_memory_names_the_limit_and_how_to_raise_it(js_host, tmp_path):
    app = tmp_path / "oom" / "index.js"
    app.parent.mkdir()
    app.write_text("exports.handler = async () => { const a = []; while (true) a.push(new Uint8Array(8 << 20)); };\n")
    js_host.deploy("jsoom", app, FunctionConfig(memory_mb=64))
    with pytest.raises(FunctionError) as err:
        js_host.invoke("jsoom", {})
    doc = err.value.to_lambda()
    assert doc["errorType"] == "Runtime.OutOfMemory"  # not the "string" StarlingMonkey throws
    assert "64 MB limit" in doc["errorMessage"] and "MemorySize" in doc["errorMessage"]


def test_max_memory_used_is_the_runtimes_linear_memory_and_grows(js_host, tmp_path):
    src = write(tmp_path, "mem.js", """
        const held = [];
        exports.handler = async (event) => {
          if (event.mb) held.push(new Uint8Array(event.mb << 20).fill(1));
          return held.length;
        };
    """)
    js_host.deploy("jsmem", src, FunctionConfig(memory_mb=512))
    before = js_host.invoke("jsmem", {}).report
    assert before.memory_bytes > 1 << 20 and before.memory_bytes % 65536 == 0  # StarlingMonkey's heap
    after = js_host.invoke("jsmem", {"mb": 50}).report
    assert after.memory_bytes - before.memory_bytes >= 40 << 20  # less what the heap had free
    assert after.max_memory_mb >= before.max_memory_mb + 40
    assert js_host.invoke("jsmem", {}).report.memory_bytes == after.memory_bytes


def test_top_level_await_in_an_es_module(js_host, tmp_path):
    root = tmp_path / "tla"
    write(root, "index.mjs", """
        import { createHash } from "node:crypto";
        import { settings } from "./settings.mjs";
        const ready = await new Promise((resolve) => setTimeout(() => resolve(settings.base + 1), 5));
        export const handler = async (event) => ({ ready, url: import.meta.url,
                                                   sha: createHash("sha256").update(event.s).digest("hex").slice(0, 8) });
    """)
    write(root, "settings.mjs", "export const settings = { base: await Promise.resolve(41) };\n")
    js_host.deploy("tla", root, FunctionConfig(runtime="nodejs20.x"))
    assert js_host.invoke("tla", {"s": "abc"}).value == {"ready": 42, "url": "file:///var/task/index.mjs",
                                                       "sha": "ba7816bf"}


def test_timers_pending_when_an_async_handler_returns_wait_frozen_and_fire_once_due(js_host, tmp_path):
    """Lambda's Node.js runtime returns when the handler's promise settles; timers still
    pending are frozen with the instance and run after it thaws, once due."""
    import time
    src = write(tmp_path, "frozen.js", """
        let fired = [];
        exports.handler = async (event) => {
          if (event.arm) setTimeout((tag) => fired.push(tag), event.arm, event.tag);
          return fired;
        };
    """)
    js_host.deploy("frozen", src, FunctionConfig(timeout_ms=5000))
    first = js_host.invoke("frozen", {"arm": 200, "tag": "a"})
    assert first.value == [] and first.report.duration_ms < 150  # not held up by the timer
    assert js_host.invoke("frozen", {"arm": 60_000, "tag": "never"}).value == []  # not due yet
    time.sleep(0.25)
    assert js_host.invoke("frozen", {}).value == ["a"]  # due while frozen: fired before the handler ran
    assert js_host.invoke("frozen", {}).value == ["a"]


def test_a_callback_handler_that_does_not_wait_leaves_its_timers_frozen(js_host, tmp_path):
    src = write(tmp_path, "nowait.js", """
        let ticks = 0;
        exports.handler = (event, context, callback) => {
          context.callbackWaitsForEmptyEventLoop = false;
          if (event.arm) setTimeout(() => { ticks += 1; }, 100);
          callback(null, ticks);
        };
    """)
    js_host.deploy("nowait", src, FunctionConfig(timeout_ms=5000))
    res = js_host.invoke("nowait", {"arm": True})
    assert res.value == 0 and res.report.duration_ms < 90
    import time
    time.sleep(0.15)
    assert js_host.invoke("nowait", {}).value == 1


def test_zlib_streams_answer_corrupt_input_with_nodes_error(js_host, tmp_path):
    """The streams a bundle adds to zlib (bundled/zlib.cjs) fail corrupt input with the
    runtime's own Node words (Z_DATA_ERROR, errno -3), and still round-trip."""
    src = write(tmp_path, "index.js", """
        const zlib = require('zlib');
        exports.handler = async () => {
          const bad = await new Promise((done) => {
            const g = zlib.createGunzip();
            g.on('error', (e) => done([e.code, e.errno, e.message]));
            g.on('data', () => {});
            g.end(Buffer.from('not gzip at all'));
          });
          const good = await new Promise((done) => {
            const parts = [], gz = zlib.createGzip();
            gz.on('data', (c) => parts.push(c));
            gz.on('end', () => done(zlib.gunzipSync(Buffer.concat(parts)).toString()));
            gz.end('hello');
          });
          return { bad, good };
        };
    """)
    js_host.deploy("zstreams", src)
    assert js_host.invoke("zstreams", {}).value == {"bad": ["Z_DATA_ERROR", -3, "incorrect header check"], "good": "hello"}

def test_node_timeouts_zlib_and_intl_as_on_lambda(js_host, tmp_path):
    """What real handlers call that StarlingMonkey and unenv lack: Node's Timeout object,
    zlib, and Intl / toLocaleString (no ICU) as Node answers in Lambda's en-US and UTC, or a zone asked for."""
    src = write(tmp_path, "index.js", """
        const zlib = require('zlib');
        const { promisify } = require('util');
        exports.handler = async (event) => {
          const t = setTimeout(() => { throw new Error('cleared timers never fire'); }, 5);
          const shape = [typeof t, t.hasRef(), t.unref().hasRef(), t.ref().hasRef(), typeof +t, t.refresh() === t];
          clearTimeout(t);
          const byNumber = setTimeout(() => { throw new Error('cleared by number'); }, 5);
          clearTimeout(Number(byNumber));
          setInterval(() => {}, 1000).unref();  // does not hold the answer
          await new Promise((r) => setTimeout(r, 20));
          const packed = zlib.gzipSync(JSON.stringify(event));
          const back = JSON.parse((await promisify(zlib.gunzip)(packed)).toString());
          const raw = zlib.inflateRawSync(zlib.deflateRawSync('x'.repeat(1000))).length;
          let corrupt;
          try { zlib.gunzipSync(Buffer.from('not gzip')); } catch (e) { corrupt = e.code; }
          const d = new Date(Date.UTC(2024, 6, 1, 15, 4, 5));
          let zone;
          try { new Date().toLocaleString('en-US', { timeZone: 'Nowhere/Zone' }); } catch (e) { zone = e.message; }
          return { shape, back, raw, corrupt, zone, tokyo: d.toLocaleString('en-US', { timeZone: 'Asia/Tokyo' }), gz: [packed[0], packed[1]],
                   when: d.toLocaleString(), date: d.toLocaleDateString('en-US', { dateStyle: 'long' }),
                   money: (1234.5).toLocaleString('en-US', { style: 'currency', currency: 'USD' }),
                   num: (1234567.891).toLocaleString(), tz: Intl.DateTimeFormat().resolvedOptions().timeZone };
        };
    """)
    js_host.deploy("node_compat", src, FunctionConfig(runtime="nodejs20.x"))
    out = js_host.invoke("node_compat", {"a": [1, 2]}).value
    assert out["shape"] == ["object", True, False, True, "number", True]
    assert out["back"] == {"a": [1, 2]} and out["raw"] == 1000 and out["gz"] == [0x1F, 0x8B]
    assert out["corrupt"] == "Z_DATA_ERROR" and out["zone"] == "Invalid time zone specified: Nowhere/Zone"
    # Node 20's answers, TZ=UTC, en-US (other zones: tests/runtimes/test_js_timezones.py)
    assert out["when"] == "7/1/2024, 3:04:05 PM" and out["date"] == "July 1, 2024"
    assert out["tokyo"] == "7/2/2024, 12:04:05 AM"
    assert out["money"] == "$1,234.50" and out["num"] == "1,234,567.891" and out["tz"] == "UTC"


def test_a_large_bundles_modules_are_compiled_when_first_required(js_host, tmp_path):
    """Past 2 MB a bundle's CommonJS modules leave the script for a side text the
    runtime compiles one module at a time, when it is first required (as Node reads
    files): the bundle says so, and the modules behave as before."""
    from wasmhost.runtimes import javascript
    root = tmp_path / "fn"
    body = "".join(f"exports.f{j} = function (a) {{ return ['{'y' * 40}', a, {j}].join('+'); }};\n" for j in range(100))
    for i in range(300):
        write(root, f"node_modules/huge/m{i}.js", f"{body}exports.id = {i};\n")
    write(root, "node_modules/huge/index.js", "".join(f"exports.m{i} = () => require('./m{i}.js');\n" for i in range(300)))
    write(root, "index.js", "const huge = require('huge');\nexports.handler = async (e) => huge[`m${e.n}`]().f7(e.n);\n")
    text, *_ = javascript.bundle(root, "index.handler", None, tmp_path / "cache")
    files, rest = text.split("\n", 1)  # first the files line, naming the function's own index.js
    assert files.startswith(javascript.FILES_MARK) and rest.startswith(javascript.LAZY_MARK)
    assert text.count("eval(__wasmhostLazy(") == 301  # and the index
    js_host.deploy("huge", root, FunctionConfig(runtime="nodejs20.x", memory_mb=128))
    assert js_host.invoke("huge", {"n": 123}).value == f"{'y' * 40}+123+7"


def test_v8s_stack_trace_api_gives_call_sites(js_host, tmp_path):
    """Error.prepareStackTrace + Error.captureStackTrace give CallSite objects, as V8
    does (depd, which express loads, finds its caller's file this way); without
    prepareStackTrace the stack is a string."""
    src = write(tmp_path, "index.js", """
        function where() {
          const prep = Error.prepareStackTrace, obj = {};
          Error.prepareStackTrace = (o, sites) => sites;
          Error.captureStackTrace(obj);
          const sites = obj.stack;
          Error.prepareStackTrace = prep;
          return sites;
        }
        exports.handler = async () => {
          const sites = where(), plain = {};
          Error.captureStackTrace(plain);
          return { n: sites.length > 0, file: sites[0].getFileName(), line: typeof sites[0].getLineNumber(),
                   name: sites[0].getFunctionName(), eval: sites[0].isEval(), plain: typeof plain.stack };
        };
    """)
    js_host.deploy("callsites", src, FunctionConfig(runtime="nodejs20.x"))
    assert js_host.invoke("callsites", {}).value == {"n": True, "file": "/var/task/index.js", "line": "number",
                                                    "name": "where", "eval": False, "plain": "string"}


def node_answer(root, module, event):
    """What plain Node.js answers for ``module.handler(event)`` (its value, or its error's
    stack), with the code's folder written as /var/task, where Lambda puts it."""
    driver = ("const h = require(process.argv[1]).handler;\n"
              "Promise.resolve().then(() => h(JSON.parse(process.argv[2]))).then("
              "(v) => console.log(JSON.stringify({ value: v })), (e) => console.log(JSON.stringify({ stack: e.stack })));\n")
    out = subprocess.run(["node", "-e", driver, str(root / module), json.dumps(event)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.replace(str(root), "/var/task"))


def test_err_stack_is_v8s_with_the_functions_own_files(js_host, tmp_path):
    """err.stack reads as Node's ("Error: message" then "    at fn (file:line:col)"), each
    frame at its place in the function's own files under /var/task (the bundle's source
    map), as code that prints it (Express's error page, loggers) and Lambda's stackTrace
    show it; Error.captureStackTrace gives the same lines."""
    root = tmp_path / "fn"
    write(root, "lib/check.js", """
        'use strict';

        // a comment the bundle drops
        function check(order) {
          if (!order.id) {
            throw new TypeError(`order ${JSON.stringify(order)} has no id`);
          }
          return order.id;
        }
        module.exports = { check };
    """)
    write(root, "index.js", """
        const { check } = require("./lib/check");

        function here() { const o = {}; Error.captureStackTrace(o); return o.stack; }
        exports.handler = async (event) => {
          if (event.fail) return check(event);
          if (event.json) return JSON.parse(event.json);
          try {
            check(event);
          } catch (e) {
            return { stack: e.stack, here: here().split("\\n").slice(0, 3) };
          }
        };
    """)
    js_host.deploy("stacks", root, FunctionConfig(runtime="nodejs20.x"))
    want = [line for line in node_answer(root, "index.js", {})["value"]["stack"].split("\n") if "/var/task/" in line
            or not line.startswith("    at")]
    got = js_host.invoke("stacks", {}).value
    assert got["stack"].split("\n") == want and want[1] == "    at check (/var/task/lib/check.js:7:11)"
    assert got["here"] == node_answer(root, "index.js", {})["value"]["here"]
    with pytest.raises(FunctionError) as e:
        js_host.invoke("stacks", {"fail": 1})
    node = [line for line in node_answer(root, "index.js", {"fail": 1})["stack"].split("\n") if "/var/task/" in line]
    assert e.value.to_lambda()["trace"] == ['TypeError: order {"fail":1} has no id', *node]
    with pytest.raises(FunctionError) as e:
        js_host.invoke("stacks", {"json": "{oops"})
    node = [line for line in node_answer(root, "index.js", {"json": "{oops"})["stack"].split("\n")
            if "/var/task/" in line or "JSON.parse" in line]
    assert e.value.to_lambda()["trace"][1:] == node and node[0] == "    at JSON.parse (<anonymous>)"


def test_file_streams_read_and_write_as_nodes(js_host, tmp_path):
    """fs.createReadStream / createWriteStream (Express's res.sendFile reads through one):
    a code file in Node's 64 KiB chunks, `start` / `end` inclusive, a missing file's
    ENOENT as an 'error' event, a /tmp file written and piped back, equal to plain Node."""
    root = tmp_path / "fn"
    root.mkdir()
    (root / "logo.bin").write_bytes(bytes(range(256)) * 300)  # 76800 bytes: two chunks
    write(root, "index.js", """
        const fs = require("fs");
        const { pipeline } = require("stream/promises");
        const { Writable } = require("stream");
        const read = (path, opts) => new Promise((resolve) => {
          const sizes = [], parts = [];
          fs.createReadStream(path, opts).on("data", (c) => { sizes.push(c.length); parts.push(c); })
            .on("error", (e) => resolve({ code: e.code, message: e.message.replace(__dirname, "<dir>") }))
            .on("end", () => resolve({ sizes, sum: Buffer.concat(parts).reduce((a, b) => a + b, 0) }));
        });
        exports.handler = async () => {
          const out = { whole: await read(`${__dirname}/logo.bin`), part: await read(`${__dirname}/logo.bin`, { start: 10, end: 19 }),
                        missing: await read(`${__dirname}/nope.bin`) };
          const w = fs.createWriteStream("/tmp/copy.txt");
          w.write("one,");
          await new Promise((resolve) => w.end("two", resolve));
          let text = "";
          await pipeline(fs.createReadStream("/tmp/copy.txt", "utf8"), new Writable({ write(c, e, cb) { text += c; cb(); } }));
          return { ...out, written: w.bytesWritten, text };
        };
    """)
    js_host.deploy("streams", root, FunctionConfig(runtime="nodejs20.x"))
    got = js_host.invoke("streams", {}).value
    assert got == node_answer(root, "index.js", {})["value"]
    assert got["whole"]["sizes"] == [65536, 11264] and got["missing"]["code"] == "ENOENT" and got["text"] == "one,two"


def test_a_promise_that_can_no_longer_settle_answers_null(js_host, tmp_path):
    """An async handler whose promise is pending when nothing is left to run (an Express
    response never ended) answers null, as Lambda's runtime does at Node's beforeExit,
    and the instance stays warm; a pending timer still keeps it waiting."""
    src = write(tmp_path, "index.js", """
        let calls = 0;
        exports.handler = async (event) => {
          calls += 1;
          if (event.timer) return new Promise((resolve) => setTimeout(() => resolve(calls), 5));
          return new Promise(() => {});
        };
    """)
    js_host.deploy("pending", src, FunctionConfig(runtime="nodejs20.x"))
    assert js_host.invoke("pending", {}).value is None
    assert js_host.invoke("pending", {"timer": 1}).value == 2


def test_string_normalize_as_nodes(js_host, tmp_path):
    """String.prototype.normalize, which StarlingMonkey lacks without ICU (hapi's and joi's
    validators call it on every domain they check), in all four forms, with Node's errors."""
    root = tmp_path / "fn"
    write(root, "index.js", """
        exports.handler = async () => {
          const out = {};
          for (const form of [undefined, "NFC", "NFD", "NFKC", "NFKD"]) {
            out[String(form)] = ["example.com", "Cafe\\u0301", "café", "ﬁ ½ ｶ", "한국어", "Å"].map((s) => escape(s.normalize(form)));
          }
          for (const [name, call] of [["form", () => "x".normalize("bad")], ["null", () => String.prototype.normalize.call(null)]]) {
            try { call(); } catch (e) { out[name] = `${e.name}: ${e.message}`; }
          }
          return out;
        };
    """)
    js_host.deploy("normalize", root, FunctionConfig(runtime="nodejs20.x"))
    got = js_host.invoke("normalize", {}).value
    assert got == node_answer(root, "index.js", {})["value"] and got["NFD"][1] == "Cafe%u0301"


def test_umd_modules_take_their_commonjs_branch_with_their_requires(js_host, tmp_path):
    """A UMD / AMD package written as when.js is (`define(function (require) {...})`, called
    with Node's `require` where there is no `define`) loads its own files as in Node."""
    root = tmp_path / "fn"
    write(root, "node_modules/umdlib/package.json", '{"name": "umdlib", "main": "umdlib.js"}')
    write(root, "node_modules/umdlib/umdlib.js", """
        (function (define) { 'use strict';
        define(function (require) {
          var twice = require('./lib/twice');
          return { quad: function (x) { return twice(twice(x)); }, amd: typeof define };
        });
        }(typeof define === 'function' && define.amd ? define : function (factory) { module.exports = factory(require); }));
    """)
    write(root, "node_modules/umdlib/lib/twice.js", """
        (function (define) {
        define(function () { return function twice(x) { return 2 * x; }; });
        }(typeof define === 'function' && define.amd ? define : function (factory) { module.exports = factory(); }));
    """)
    write(root, "index.js", """
        const umd = require("umdlib");
        exports.handler = async (event) => ({ quad: umd.quad(event.n), amd: umd.amd, define: typeof define });
    """)
    js_host.deploy("umd", root, FunctionConfig(runtime="nodejs20.x"))
    got = js_host.invoke("umd", {"n": 3}).value
    assert got == node_answer(root, "index.js", {"n": 3})["value"] == {"quad": 12, "amd": "function", "define": "undefined"}


def test_gzip_headers_are_nodes(js_host, tmp_path):
    """zlib.gzipSync / gzip write the header Node writes (mtime 0, XFL by level, OS 3), so the
    same input gives the same bytes on every call; the compressed data round-trips."""
    root = tmp_path / "fn"
    write(root, "index.js", """
        const zlib = require("zlib");
        exports.handler = async () => {
          const headers = [undefined, 1, 6, 9].map((level) => zlib.gzipSync("hello hello", level === undefined ? {} : { level })
            .subarray(0, 10).toString("hex"));
          const viaCallback = await new Promise((resolve) => zlib.gzip("x", (e, b) => resolve(b.subarray(0, 10).toString("hex"))));
          return { headers, viaCallback, back: zlib.gunzipSync(zlib.gzipSync("round trip")).toString() };
        };
    """)
    js_host.deploy("gzip", root, FunctionConfig(runtime="nodejs20.x"))
    got = js_host.invoke("gzip", {}).value
    assert got == node_answer(root, "index.js", {})["value"] and got["headers"][0] == "1f8b0800000000000003"


def test_engine_errors_read_as_nodes(js_host, tmp_path):
    """Engine errors handlers meet read as V8 words them where Lambda shows them (String(e),
    the error document, console): a circular JSON.stringify with the way round the
    circle, an invalid URL, a constant assigned, a stack overflow (V8's RangeError), ...;
    and the bundle keeps the code as written (a `let` read early still throws, a call
    names the variable, not a constant the bundler inlined)."""
    root = tmp_path / "fn"
    write(root, "index.js", """
        "use strict";
        const cases = {
          circular: () => { const o = { name: "x" }; o.self = o; JSON.stringify(o); },
          deep: () => { const a = [1]; const o = { list: a, n: { m: { k: {} } } }; o.n.m.k.back = o.n; a.push(o); JSON.stringify({ o }); },
          url: () => new URL("not a url"),
          constAssign: () => Function("const x = 1; x = 2;")(),
          bigint: () => 1n + 1,
          arrayLength: () => new Array(-1),
          recursion: () => { const f = () => f(); f(); },
          date: () => new Date("nope").toISOString(),
          uri: () => decodeURIComponent("%"),
          early: () => { y; let y = 1; },
          reduce: () => [].reduce((a, b) => a + b),
          symbol: () => `${Symbol("s")}`,
          bigintJson: () => JSON.stringify({ a: 1n }),
          call: () => { const ev = { body: 1 }; ev.body.trim(); },
          construct: () => { const X = 1; new X(); },
          undef: () => [1].map(undefined),
        };
        exports.handler = async (event) => {
          if (event.fail) return cases[event.fail]();
          const out = {};
          for (const [k, f] of Object.entries(cases)) {
            try { f(); } catch (e) { out[k] = [String(e), e.name, e.code]; }
          }
          return out;
        };
    """)
    js_host.deploy("engine", root, FunctionConfig(runtime="nodejs20.x"))
    got = js_host.invoke("engine", {}).value
    assert got == node_answer(root, "index.js", {})["value"]
    assert got["circular"][0].startswith("TypeError: Converting circular structure to JSON\n    --> starting at object")
    with pytest.raises(FunctionError) as e:
        js_host.invoke("engine", {"fail": "recursion"})
    assert (e.value.error_type, e.value.error_message) == ("RangeError", "Maximum call stack size exceeded")


def test_files_keep_their_modification_times(js_host, tmp_path):
    """fs.statSync gives a deployed file's own modification time, as Node does (Express's
    res.sendFile and static middleware answer Last-Modified and ETag from it), and a file
    written in /tmp the time it was written."""
    root = tmp_path / "fn"
    write(root, "page.html", "<p>hi</p>\n")
    os.utime(root / "page.html", ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    write(root, "index.js", """
        const fs = require("fs");
        exports.handler = async () => {
          const st = fs.statSync(`${__dirname}/page.html`);
          const file = `/tmp/now-${process.pid}-${Math.random().toString(36).slice(2)}.txt`;  // plain Node's /tmp is shared
          fs.writeFileSync(file, "x");
          const age = Date.now() - fs.statSync(file).mtimeMs;
          fs.unlinkSync(file);
          return { ms: st.mtimeMs, iso: st.mtime.toISOString(), fresh: age >= 0 && age < 5000 };
        };
    """)
    js_host.deploy("mtimes", root, FunctionConfig(runtime="nodejs20.x"))
    got = js_host.invoke("mtimes", {}).value
    assert got == node_answer(root, "index.js", {})["value"] and got["iso"] == "2023-11-14T22:13:20.123Z"


def test_old_style_event_emitters_and_computed_requires_as_in_node(js_host, tmp_path):
    """Packages written for old Node: an EventEmitter made with `EventEmitter.call(this)` and
    util.inherits, or mixed in with `for (k in EventEmitter.prototype)` (mongoose 4's
    models), and a require whose path is computed from strings (mongoose 4's
    `require(driver + '/connection')`), which the bundle carries for the call to find."""
    root = tmp_path / "fn"
    write(root, "node_modules/oldlib/package.json", '{"name": "oldlib", "main": "index.js"}')
    write(root, "node_modules/oldlib/index.js", """
        var EventEmitter = require('events');
        var util = require('util');
        var driver = global.OLDLIB_DRIVER || './drivers/native';
        var Conn = require(driver + '/connection');
        function Thing() { EventEmitter.call(this); }
        util.inherits(Thing, EventEmitter);
        function Model() {}
        for (var k in EventEmitter.prototype) Model[k] = EventEmitter.prototype[k];
        module.exports = { Thing: Thing, Model: Model, conn: new Conn(), dialect: function (name) { return require(`./dialects/${name}.js`); } };
    """)
    write(root, "node_modules/oldlib/drivers/native/connection.js", "module.exports = function () { this.kind = 'native'; };\n")
    write(root, "node_modules/oldlib/dialects/pg.js", "module.exports = 'postgres';\n")
    write(root, "index.js", """
        const { Thing, Model, conn, dialect } = require("oldlib");
        exports.handler = async (event) => {
          const t = new Thing();
          let heard;
          t.on("x", (v) => { heard = v; });
          t.emit("x", event.n);
          Model.on("y", (v) => { heard += v; });
          Model.emit("y", 1);
          let missing;
          try { dialect("nope"); } catch (e) { missing = e.code; }
          return { heard, conn: conn.kind, pg: dialect("pg"), missing };
        };
    """)
    js_host.deploy("oldstyle", root, FunctionConfig(runtime="nodejs20.x"))
    got = js_host.invoke("oldstyle", {"n": 41}).value
    assert got == node_answer(root, "index.js", {"n": 41})["value"]
    assert got == {"heard": 42, "conn": "native", "pg": "postgres", "missing": "MODULE_NOT_FOUND"}


def test_folders_of_modules_loaded_by_listing_them_as_node_does(js_host, tmp_path):
    """A handler that lists a folder and requires what it finds (Sequelize's generated
    models/index.js, route loaders): the function's own .js files are listed and stat'ed
    (their text is bundled, not sent), and a require of a path built from __dirname or
    from "./routes/" + name finds them."""
    root = tmp_path / "fn"
    write(root, "models/index.js", """
        'use strict';
        const fs = require('fs');
        const path = require('path');
        const basename = path.basename(__filename);
        const db = {};
        fs.readdirSync(__dirname)
          .filter((file) => file.indexOf('.') !== 0 && file !== basename && file.slice(-3) === '.js')
          .forEach((file) => {
            const model = require(path.join(__dirname, file))('db');
            db[model.name] = model;
          });
        module.exports = db;
    """)
    write(root, "models/user.js", "module.exports = (s) => ({ name: 'User', s });\n")
    write(root, "models/order.js", "module.exports = (s) => ({ name: 'Order', s });\n")
    write(root, "routes/health.js", "module.exports = () => 'ok';\n")
    write(root, "routes/notes.json", '{"a": 1}\n')
    write(root, "index.js", """
        const fs = require('fs');
        const db = require('./models');
        const routes = {};
        for (const f of fs.readdirSync(__dirname + '/routes')) {
          if (f.endsWith('.js')) routes[f.slice(0, -3)] = require('./routes/' + f);
        }
        exports.handler = async () => ({
          models: Object.keys(db).sort().map((k) => [k, db[k].s]),
          routes: Object.keys(routes), health: routes.health(),
          listing: fs.readdirSync(__dirname).sort(), exists: fs.existsSync(__filename),
          size: fs.statSync(__dirname + '/routes/health.js').size,
        });
    """)
    js_host.deploy("loaders", root, FunctionConfig(handler="index.handler"))
    assert js_host.invoke("loaders", {}).value == node_answer(root, "index.js", {})["value"]
    write(root, "read.js", "exports.handler = async () => require('fs').readFileSync(__filename, 'utf8');\n")
    js_host.deploy("reads", root, FunctionConfig(handler="read.handler"))
    with pytest.raises(FunctionError, match="ENOTSUP.*not to read"):  # its own code: bundled, not sent
        js_host.invoke("reads", {})


def test_an_hmac_without_a_key_fails_as_node_says(js_host, tmp_path):
    """A secret missing from the environment (serverless/examples' GitHub webhook and gong
    handlers): Node's ERR_INVALID_ARG_TYPE, worded as Node words what it received."""
    root = tmp_path / "fn"
    write(root, "index.js", """
        const crypto = require('crypto');
        exports.handler = async () => [undefined, null, 5, {}, [1], 'k'].map((key) => {
          try { return crypto.createHmac('sha1', key).update('x').digest('hex'); }
          catch (e) { return [e.name, e.code, e.message]; }
        });
    """)
    js_host.deploy("hmac_keys", root, FunctionConfig(handler="index.handler"))
    assert js_host.invoke("hmac_keys", {}).value == node_answer(root, "index.js", {})["value"]


def test_a_refused_connection_lists_and_process_answer_as_node(js_host, tmp_path):
    """What clients and frameworks read, as plain Node 20 gives it: a refused connection's
    error through fetch (TypeError "fetch failed" with the socket's error as its cause) and
    through http (ECONNREFUSED, errno, syscall, address, port: axios and got branch on the
    code), http's header checks (node-fetch 3's Headers), Intl.ListFormat's en-US lists (got words its
    errors with one), process's
    "[object process]" (axios picks its http adapter by it) and perf_hooks'
    eventLoopUtilization (hapi samples it at start)."""
    import socket
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    src = write(tmp_path, "index.js", """
        const http = require('http');
        const { performance } = require('perf_hooks');
        const shape = (e) => e && [e.name, e.message, e.code, e.errno, e.syscall, e.address, e.port];
        exports.handler = async (event) => {
          const url = `http://127.0.0.1:${event.port}/x`;
          let fetched;
          try { await fetch(url); } catch (e) { fetched = [shape(e).slice(0, 2), shape(e.cause)]; }
          const viaHttp = await new Promise((resolve) => http.get(url, () => resolve('answered')).on('error', (e) => resolve(shape(e))));
          const lists = ['conjunction', 'disjunction', 'unit'].flatMap((type) => ['long', 'short', 'narrow'].map((style) =>
            [[], ['a'], ['a', 'b'], ['a', 'b', 'c']].map((l) => new Intl.ListFormat('en-US', { type, style }).format(l))));
          const elu = performance.eventLoopUtilization();
          const headers = [() => http.validateHeaderName('x y'), () => http.validateHeaderName('X-Ok'),
            () => http.validateHeaderValue('x', undefined), () => http.validateHeaderValue('x', 'a\\nb')].map((f) => {
            try { f(); return 'ok'; } catch (e) { return [e.name, e.code, e.message]; } });
          return { fetched, viaHttp, lists, headers, tag: Object.prototype.toString.call(process),
                   elu: [typeof elu.idle, typeof elu.active, typeof performance.eventLoopUtilization(elu, elu).utilization] };
        };
    """)
    js_host.deploy("refused", src, FunctionConfig(runtime="nodejs20.x", allowed_hosts=(f"127.0.0.1:{port}",)))
    got = js_host.invoke("refused", {"port": port}).value
    node = subprocess.run(["node", "-e", "require('./index.js').handler({port: +process.argv[1]})"
                           ".then((r) => console.log(JSON.stringify(r)))", str(port)],
                          cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60)
    want = json.loads(node.stdout)
    assert got == want
    assert want["viaHttp"] == ["Error", f"connect ECONNREFUSED 127.0.0.1:{port}", "ECONNREFUSED", -111, "connect",
                               "127.0.0.1", port]
    assert want["fetched"][0] == ["TypeError", "fetch failed"] and want["tag"] == "[object process]"
    assert want["headers"][1] == "ok" and want["headers"][3][1] == "ERR_INVALID_CHAR"


def test_util_types_and_the_runtimes_node_version_as_node(js_host, tmp_path):
    """util.types' every predicate over values of each kind answers as plain Node's (node-fetch 3
    asks isBoxedPrimitive of every body; unenv's were "not implemented" or wrong), and
    process.version is the function's runtime's Node (nodejs18.x 18, nodejs22.x 22)."""
    src = write(tmp_path, "index.js", """
        const types = require('util').types;
        const values = () => [1, new Number(1), 'a', new String('a'), true, new Boolean(false), 1n, Object(1n),
          Symbol('s'), Object(Symbol('s')), null, undefined, {}, [], new Date(), /x/, new Map(), new Set(),
          new WeakMap(), new WeakSet(), Promise.resolve(), new Error('e'), new TypeError('t'), (function () { return arguments; })(),
          async () => {}, function* () {}, (function* () {})(), new Map().keys(), new Set().values(), new ArrayBuffer(2),
          new DataView(new ArrayBuffer(2)), new Uint8Array(2), new Float64Array(1), new BigInt64Array(1), Buffer.from('x'),
          require('crypto').createSecretKey(Buffer.from('k'))];
        exports.handler = async () => ({
          types: Object.keys(types).filter((k) => k !== 'isProxy').sort().map((k) => [k, values().map((v) => types[k](v))]),
          version: [process.version.split('.')[0], process.versions.node.split('.')[0], process.release.lts],
        });
    """)
    node = subprocess.run(["node", "-e", "require('./index.js').handler().then((r) => console.log(JSON.stringify(r)))"],
                          cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60)
    want = json.loads(node.stdout)
    js_host.deploy("types", src, FunctionConfig(runtime="nodejs20.x"))
    got = js_host.invoke("types", {}).value
    assert dict(got["types"]) == dict(want["types"])
    assert got["version"] == want["version"] == ["v20", "20", "Iron"]
    for runtime, major, lts in (("nodejs18.x", "18", "Hydrogen"), ("nodejs22.x", "22", "Jod")):
        js_host.deploy(f"types{major}", src, FunctionConfig(runtime=runtime))
        assert js_host.invoke(f"types{major}", {}).value["version"] == [f"v{major}", major, lts]


def test_system_error_names_as_node_gives_them(js_host, tmp_path):
    """util.getSystemErrorName / getSystemErrorMap answer as Node on Linux: the AWS SDK v2 asks
    the name of every network error's errno, so each call that failed (no credentials, a
    host not allowed) threw "[unenv] util.getSystemErrorName is not implemented" instead of
    its own error; wrong arguments fail in Node's words."""
    src = write(tmp_path, "index.js", """
        const util = require('util');
        const attempt = (f) => { try { return f(); } catch (e) { return [e.name, e.code, e.message]; } };
        exports.handler = async () => ({
          names: [-111, -3008, -3007, -2, -13, -110, -4095, -99999].map((n) => util.getSystemErrorName(n)),
          map: [...util.getSystemErrorMap()].sort((a, b) => a[0] - b[0]),
          wrong: [111, -1.5, 'x', null].map((v) => attempt(() => util.getSystemErrorName(v))),
        });
    """)
    node = subprocess.run(["node", "-e", "require('./index.js').handler().then((r) => console.log(JSON.stringify(r)))"],
                          cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60)
    want = json.loads(node.stdout)
    js_host.deploy("syserr", src, FunctionConfig(runtime="nodejs20.x"))
    assert js_host.invoke("syserr", {}).value == want
    assert want["names"][:3] == ["ECONNREFUSED", "EAI_NONAME", "EAI_NODATA"] and len(want["map"]) > 80


def test_a_response_has_the_headers_nodes_has(js_host, tmp_path):
    """A fetch Response built by the code has the headers Node's (undici) gives it: the engine
    added a content-length of its own to every body of known size, which hono's aws-lambda
    adapter copied into each answer's headers. One the code names stays; `instanceof`,
    subclasses and Response.json are the engine's as before."""
    src = write(tmp_path, "index.js", """
        class Mine extends Response {}
        exports.handler = async () => {
          const made = [new Response('Hello'), Response.json({ a: 1 }), Response.json([1], { status: 201 }),
            new Response(new Uint8Array([1, 2, 3])), new Response(null, { status: 204 }),
            new Response('abc', { headers: { 'Content-Length': '3' } }), new Response('abc', { headers: [['content-length', '3']] }),
            new Response('abc', { headers: new Headers({ 'content-length': '3' }) }), new Response(new URLSearchParams('a=1')),
            new Mine('sub')];
          return { headers: made.map((r) => [...r.headers]), statuses: made.map((r) => r.status),
                   kinds: [made[9] instanceof Response, made[9] instanceof Mine, made[1] instanceof Response, await made[9].text()] };
        };
    """)
    node = subprocess.run(["node", "-e", "require('./index.js').handler().then((r) => console.log(JSON.stringify(r)))"],
                          cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60)
    want = json.loads(node.stdout)
    js_host.deploy("responses", src, FunctionConfig(runtime="nodejs20.x"))
    assert js_host.invoke("responses", {}).value == want
    assert want["headers"][0] == [["content-type", "text/plain;charset=UTF-8"]] and want["kinds"] == [True, True, True, "sub"]


def test_fetch_answers_with_a_response_as_nodes(js_host, tmp_path, internet):
    """fetch() answers with a Response as Node's does (it was an object of the runtime's own:
    not `instanceof Response`, no `body` stream, clone() or blob()); a Request given to fetch
    sends its own method, headers and body (it went as a bodiless GET); headers given as a
    Headers object are sent (they were dropped); a 204's body is null, a manual redirect is the 3xx."""
    src = write(tmp_path, "index.js", """
        exports.handler = async (event) => {
          const base = event.base;
          const res = await fetch(`${base}/hello`);
          const copy = res.clone();
          const chunks = [];
          for await (const chunk of res.body) chunks.push(...chunk);
          const sent = async (...args) => {  // what the server got (names in lower case: the wire's case varies)
            const doc = await (await fetch(...args)).json();
            return { ...doc, headers: Object.fromEntries(Object.entries(doc.headers).map(([k, v]) => [k.toLowerCase(), v])) };
          };
          const echoed = await sent(new Request(`${base}/echo?q=1`, { method: 'PUT', body: 'payload', headers: { 'X-Mine': 'yes' } }));
          const viaHeaders = await sent(`${base}/echo`, { headers: new Headers({ 'X-Token': 't1' }) });
          const moved = await fetch(`${base}/redirect?to=/hello`, { redirect: 'manual' });
          const followed = await fetch(`${base}/redirect?to=/hello`);
          return {
            kinds: [res instanceof Response, res.headers instanceof Headers, typeof res.body.getReader, res.type, res.ok,
                    res.status, res.statusText, res.url === `${base}/hello`, res.redirected],
            served: res.headers.get('x-served-by'), text: Buffer.from(chunks).toString(), cloned: await copy.text(),
            blob: await (await (await fetch(`${base}/hello`)).blob()).text(),
            echoed: [echoed.method, echoed.path, echoed.body, echoed.headers['x-mine'], echoed.headers['content-type']],
            token: viaHeaders.headers['x-token'],
            moved: [moved.status, moved.headers.get('location'), moved.redirected],
            followed: [followed.status, followed.redirected, followed.url === `${base}/hello`, await followed.text()],
          };
        };
    """)
    base = internet.url
    node = subprocess.run(["node", "-e", "require('./index.js').handler({base: process.argv[1]})"
                           ".then((r) => console.log(JSON.stringify(r)))", base],
                          cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60)
    want = json.loads(node.stdout)
    js_host.deploy("fetches", src, FunctionConfig(runtime="nodejs20.x", allowed_hosts=(f"127.0.0.1:{internet.port}",)))
    assert js_host.invoke("fetches", {"base": base}).value == want
    assert want["kinds"][:4] == [True, True, "function", "basic"] and want["echoed"][:3] == ["PUT", "/echo?q=1", "payload"]
    assert want["token"] == "t1" and want["moved"][0] == 302


def test_tcp_sockets_fail_saying_why_and_import_of_a_builtin_loads_it(js_host, tmp_path):
    """The sandbox has no TCP: a database client's socket (net.connect, new net.Socket().connect,
    tls.connect) fails as a socket fails in Node, an 'error' event with Node's shape (EACCES,
    errno, syscall, address, port) naming why, then 'close', so pg, mysql2 and mongodb report it
    their own way (unenv's sockets stood still or threw at a client's first line); and
    `await import("os")` (the MongoDB driver's) gives Node's namespace of the built-in, where
    it trapped the instance, while import() of a package nowhere rejects in Node's words."""
    src = write(tmp_path, "index.js", """
        const net = require('net');
        const tls = require('tls');
        const failure = (socket) => new Promise((resolve) => {
          const seen = [];
          socket.on('error', (e) => seen.push([e.code, e.errno, e.syscall, e.address, e.port, e.message.split(' (')[0]]));
          socket.on('close', (hadError) => resolve([...seen, ['close', hadError]]));
        });
        exports.handler = async () => {
          const os = await import('os');
          let missing;
          try { await import('no-such-package'); } catch (e) { missing = [e.code, e.message]; }
          return {
            connect: await failure(net.connect(5432, '10.0.0.5')),
            socket: await failure(new net.Socket().setNoDelay(true).connect({ port: 3306, host: 'db.internal' })),
            tls: await failure(tls.connect({ port: 27017, host: 'cluster0.mongodb.net' })),
            os: [typeof os.default.platform, os.platform === os.default.platform, os[Symbol.toStringTag]],
            missing,
          };
        };
    """)
    js_host.deploy("sockets", src, FunctionConfig(runtime="nodejs20.x"))
    out = js_host.invoke("sockets", {}).value
    assert out["connect"] == [["EACCES", -13, "connect", "10.0.0.5", 5432, "connect EACCES 10.0.0.5:5432"],
                              ["close", True]]
    assert out["socket"][0][3:5] == ["db.internal", 3306] and out["tls"][0][4] == 27017
    assert out["os"] == ["function", True, "Module"]
    assert out["missing"] == ["ERR_MODULE_NOT_FOUND", "Cannot find package 'no-such-package' imported from /var/task/index.js"]
    logs = js_host.invoke("sockets", {}).logs
    assert "no-such-package" in logs  # the runtime says why a computed name is not there


def test_require_stream_is_nodes_legacy_stream_carrying_the_classes(js_host, tmp_path):
    """`require("stream")` is Node's legacy Stream function with Readable, Writable, ... on it
    (readable-stream exports Readable as its module: pngjs, under qrcode, inherits from
    `require("stream")` and emits its own 'data', and became a Readable with no _read)."""
    src = write(tmp_path, "index.js", """
        const Stream = require('stream');
        const util = require('util');
        function Packer() { Stream.call(this); this.readable = true; }
        util.inherits(Packer, Stream);
        Packer.prototype.pack = function () { setTimeout(() => { this.emit('data', Buffer.from('png')); this.emit('end'); }, 0); };
        exports.handler = async () => {
          const p = new Packer();
          const chunks = [];
          p.on('data', (c) => chunks.push(String(c)));
          await new Promise((resolve) => { p.on('end', resolve); p.pack(); });
          const { Readable, pipeline } = Stream;
          const collected = [];
          await Stream.promises.pipeline(Readable.from(['a', 'b']), new Stream.Writable({
            write(c, e, cb) { collected.push(String(c)); cb(); } }));
          return { chunks, collected, same: Stream === Stream.Stream, legacy: typeof Stream.prototype.pipe,
                   readableIsStream: new Readable({ read() {} }) instanceof Stream, pipeline: typeof pipeline,
                   packerIsReadable: p instanceof Readable };
        };
    """)
    js_host.deploy("legacy_stream", src, FunctionConfig(runtime="nodejs20.x"))
    got = js_host.invoke("legacy_stream", {}).value
    node = subprocess.run(["node", "-e", "require('./index.js').handler().then((r) => console.log(JSON.stringify(r)))"],
                          cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60)
    assert got == json.loads(node.stdout)
    assert got["chunks"] == ["png"] and got["same"] is True and got["packerIsReadable"] is False
