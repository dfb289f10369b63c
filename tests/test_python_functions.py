"""Python functions run by CPython inside the sandbox (componentize-py runtime).

The runtime is built once (~10 s) into the build cache and compiled once (~8 s) per
test session: every test here shares one Host. .ci/run installs componentize-py."""

import json
import textwrap

import pytest

from wasmhost import (DeployError, FuelExhausted, FunctionConfig, FunctionError, Host, InvocationTimeout)

pytest.importorskip("wasmtime.component")


@pytest.fixture(scope="module")
def phost(tmp_path_factory):
    from wasmhost.runtimes import python
    try:
        python.componentize_py()
    except Exception as e:  # pragma: no cover - CI installs it
        pytest.skip(f"{e} (.ci/run installs it)")
    h = Host(tmp_path_factory.mktemp("pyhost"))
    yield h
    h.close()


def write(tmp_path, name, source):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def test_handler_event_context_and_logs(phost, tmp_path):
    app = write(tmp_path, "app.py", """
        def handler(event, context):
            print("got", event["n"], "for", context.function_name)
            return {"double": event["n"] * 2, "id": context.aws_request_id,
                    "version": context.function_version, "mb": context.memory_limit_in_mb,
                    "left": context.get_remaining_time_in_millis()}
    """)
    phost.deploy("py", app, FunctionConfig(memory_mb=256, timeout_ms=2000))
    res = phost.invoke("py", {"n": 21})
    out = res.value
    assert out["double"] == 42 and out["id"] == res.report.request_id
    assert out["version"] == "$LATEST" and out["mb"] == "256" and 1000 < out["left"] <= 2000
    assert res.logs == "got 21 for py\n"
    assert res.report.cold and res.report.init_ms > 0
    assert not phost.invoke("py", {"n": 1}).report.cold


def test_exceptions_come_back_with_the_traceback(phost, tmp_path):
    app = write(tmp_path, "app.py", """
        calls = 0
        def handler(event, context):
            global calls
            calls += 1
            if event == "fail":
                raise ValueError("bad event")
            return calls
    """)
    phost.deploy("err", app)
    assert phost.invoke("err", "ok").json() == 1
    with pytest.raises(FunctionError) as e:
        phost.invoke("err", "fail")
    assert e.value.to_lambda() == {"errorType": "ValueError", "errorMessage": "bad event"}
    assert "Traceback (most recent call last)" in e.value.logs and 'app.py", line 7' in e.value.logs
    assert phost.invoke("err", "ok").json() == 3  # an exception keeps the warm instance


def test_syntax_error_fails_the_deploy(phost, tmp_path):
    app = write(tmp_path, "app.py", "def handler(event, context)\n    return 1\n")
    with pytest.raises(DeployError, match="SyntaxError in app.py, line 1"):
        phost.deploy("syntax", app)


def test_missing_module_is_an_import_error(phost, tmp_path):
    app = write(tmp_path, "app.py", "import not_a_module\ndef handler(e, c):\n    return 1\n")
    phost.deploy("missing", app)
    with pytest.raises(FunctionError) as e:
        phost.invoke("missing", {})
    assert e.value.error_type == "Runtime.ImportModuleError" and "not_a_module" in e.value.error_message
    with pytest.raises(DeployError, match="not_a_module"):
        phost.deploy("missing2", app, FunctionConfig(min_warm=1))


def test_folder_with_requirements_and_custom_handler(phost, tmp_path):
    write(tmp_path / "fn", "requirements.txt", "six==1.16.0\n")
    write(tmp_path / "fn", "service/main.py", """
        import six
        from service.helpers import shout
        def run(event, context):
            return {"six": six.__version__, "text": shout(event["text"])}
    """)
    write(tmp_path / "fn", "service/helpers.py", "def shout(s):\n    return s.upper() + '!'\n")
    write(tmp_path / "fn", "service/__init__.py", "")
    phost.deploy("folder", tmp_path / "fn", FunctionConfig(handler="service.main.run"))
    assert phost.invoke("folder", {"text": "hi"}).value == {"six": "1.16.0", "text": "HI!"}


def test_curated_standard_library(phost, tmp_path):
    app = write(tmp_path, "app.py", """
        import base64, collections, dataclasses, datetime, decimal, hashlib, json, math, random, re
        import statistics, uuid
        @dataclasses.dataclass
        class P:
            x: int
        def handler(event, context):
            return [base64.b64encode(b"a").decode(), collections.Counter("aab")["a"], P(3).x,
                    datetime.date(2024, 1, 2).isoformat(), str(decimal.Decimal("1.10") + 1),
                    hashlib.sha256(b"").hexdigest()[:6], math.isqrt(17), random.Random(1).randint(1, 1),
                    re.sub("b+", "-", "abbc"), statistics.mean([1, 2, 3]), len(str(uuid.uuid4()))]
    """)
    phost.deploy("stdlib", app)
    assert phost.invoke("stdlib", {}).value == ["YQ==", 2, 3, "2024-01-02", "2.10", "e3b0c4", 4, 1, "a-c", 2, 36]


def test_limits_apply_to_python(phost, tmp_path):
    app = write(tmp_path, "app.py", """
        def handler(event, context):
            if event == "spin":
                while True:
                    pass
            return sum(range(event))
    """)
    phost.deploy("limits", app, FunctionConfig(timeout_ms=300, fuel=50_000_000))
    assert phost.invoke("limits", 1000).value == 499500
    with pytest.raises(FuelExhausted):
        phost.invoke("limits", 10**9)
    phost.deploy("spin", app, FunctionConfig(timeout_ms=300))
    with pytest.raises(InvocationTimeout):
        phost.invoke("spin", "spin")
    assert phost.invoke("spin", 10).value == 45  # a fresh instance after the timeout


def test_strict_isolation_for_python(phost, tmp_path):
    app = write(tmp_path, "app.py", """
        seen = []
        def handler(event, context):
            seen.append(event)
            return len(seen)
    """)
    phost.deploy("strict", app, FunctionConfig(isolation="strict"))
    assert [phost.invoke("strict", i).value for i in range(3)] == [1, 1, 1]
    assert json.loads(phost.invoke("strict", "x").payload) == 1


def test_examples(phost):
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent / "examples" / "python"
    phost.deploy("hello_py", root / "hello.py")
    res = phost.invoke("hello_py", {"name": "ada"})
    assert res.value == "Hello, ada!" and res.logs == "greeting ada from hello_py\n"
    phost.deploy("orders", root / "transform")
    out = phost.invoke("orders", {"orders": [
        {"customer": " ada ", "amount": "12.5", "date": "2026-11-02"},
        {"customer": "ADA", "amount": 7, "date": "2026-11-03"},
        {"customer": "bob", "amount": "x", "date": "2026-11-03"}]}).value
    assert out["customers"] == [{"customer": "Ada", "total": "19.50"}] and out["grand_total"] == "19.50"
    assert out["rejected"][0]["index"] == 2 and out["rejected"][0]["reason"].startswith("InvalidOperation")


def test_python_functions_never_run_speculatively(phost, tmp_path):
    """An abandoned speculative run would discard a warm interpreter (and could have
    had side effects): Python functions, strict or warm, always run on a thread in
    ainvoke, so the loop never waits for a renewal either."""
    app = write(tmp_path, "app.py", "def handler(event, context):\n    return event\n")
    phost.deploy("strict_async", app, FunctionConfig(isolation="strict", min_warm=1))
    phost.deploy("warm_async", app, FunctionConfig(min_warm=1))
    assert not phost._functions["strict_async"].speculate
    assert not phost._functions["warm_async"].speculate
    import asyncio
    assert asyncio.run(phost.ainvoke("strict_async", {"a": 1})).value == {"a": 1}
