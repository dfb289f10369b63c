"""JavaScript functions run by StarlingMonkey inside the sandbox (componentize-js runtime).

The runtime is built once (~15 s) into the build cache and compiled once (~9 s) per
test session: every test here shares one Host. .ci/run installs componentize-js (npm)."""

import textwrap

import pytest

from wasmhost import FunctionConfig, FunctionError, Host, InvocationTimeout


@pytest.fixture(scope="module")
def jhost(tmp_path_factory):
    from wasmhost.runtimes import javascript
    try:
        javascript.componentize_js()
    except Exception as e:  # pragma: no cover - CI installs it
        pytest.skip(f"{e} (.ci/run installs it)")
    h = Host(tmp_path_factory.mktemp("jshost"))
    yield h
    h.close()


def write(tmp_path, name, source):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def test_handler_event_context_and_logs(jhost, tmp_path):
    src = write(tmp_path, "index.js", """
        const greeting = "hi";
        export function handler(event, context) {
          console.log("got", event.n, "for", context.functionName);
          return { double: event.n * 2, id: context.awsRequestId, greeting,
                   mb: context.memoryLimitInMB, left: context.getRemainingTimeInMillis() };
        }
    """)
    jhost.deploy("js", src, FunctionConfig(memory_mb=256, timeout_ms=2000))
    res = jhost.invoke("js", {"n": 21})
    out = res.value
    assert out["double"] == 42 and out["id"] == res.report.request_id and out["greeting"] == "hi"
    assert out["mb"] == "256" and 1000 < out["left"] <= 2000
    assert res.logs == "got 21 for js\n" and res.report.cold
    assert jhost.invoke("js", {"n": 1}).value["double"] == 2


def test_thrown_errors_come_back_with_the_stack(jhost, tmp_path):
    src = write(tmp_path, "index.js", """
        let calls = 0;
        export function handler(event) {
          calls += 1;
          if (event.fail) { throw new RangeError("out of range"); }
          return calls;
        }
    """)
    jhost.deploy("throw", src)
    assert jhost.invoke("throw", {}).value == 1
    with pytest.raises(FunctionError) as e:
        jhost.invoke("throw", {"fail": True})
    assert e.value.to_lambda() == {"errorType": "RangeError", "errorMessage": "out of range"}
    assert "RangeError: out of range" in e.value.logs and "handler" in e.value.logs
    assert jhost.invoke("throw", {}).value == 3  # the instance stayed warm


def test_syntax_errors_and_missing_handlers(jhost, tmp_path):
    jhost.deploy("syntax", write(tmp_path, "bad.js", "export function handler( {\n"))
    with pytest.raises(FunctionError) as e:
        jhost.invoke("syntax", {})
    assert e.value.error_type == "Runtime.UserCodeSyntaxError"
    jhost.deploy("nohandler", write(tmp_path, "other.js", "export function main() { return 1; }\n"))
    with pytest.raises(FunctionError) as e:
        jhost.invoke("nohandler", {})
    assert e.value.error_type == "Runtime.HandlerNotFound" and "handler" in e.value.error_message
    jhost.deploy("custom", tmp_path / "other.js", FunctionConfig(handler="other.main"))
    assert jhost.invoke("custom", {}).value == 1


def test_async_handlers_are_refused_clearly(jhost, tmp_path):
    jhost.deploy("async", write(tmp_path, "a.js", "export async function handler() { return 1; }\n"))
    with pytest.raises(FunctionError, match="async handlers are not supported"):
        jhost.invoke("async", {})


def test_limits_and_isolation(jhost, tmp_path):
    src = write(tmp_path, "loop.js", """
        let seen = 0;
        export function handler(event) {
          if (event === "spin") { while (true) {} }
          seen += 1;
          return seen;
        }
    """)
    jhost.deploy("loop", src, FunctionConfig(timeout_ms=300))
    with pytest.raises(InvocationTimeout):
        jhost.invoke("loop", "spin")
    jhost.deploy("strict", src, FunctionConfig(isolation="strict"))
    assert [jhost.invoke("strict", {}).value for _ in range(3)] == [1, 1, 1]


def test_example(jhost):
    from pathlib import Path
    src = Path(__file__).resolve().parent.parent / "examples" / "javascript" / "index.js"
    jhost.deploy("hello_js", src)
    res = jhost.invoke("hello_js", {"name": "ada"})
    assert res.value == "Hello, ada!" and res.logs == "greeting ada from hello_js\n"
