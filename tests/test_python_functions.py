"""Python functions run by CPython inside the sandbox (componentize-py runtime), the
way Lambda's python3.12 runtime runs them.

The runtime is built once (~10 s) into the build cache and compiled once (~8 s) per
test session: every test here shares one Host. .ci/run installs componentize-py."""

import json
import textwrap
from pathlib import Path

import pytest

from wasmhost import (DeployError, FuelExhausted, FunctionConfig, FunctionError, InvocationTimeout)

pytest.importorskip("wasmtime.component")


def write(tmp_path, name, source):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def test_event_context_environment_and_working_directory(python_host, tmp_path):
    app = write(tmp_path / "fn", "lambda_function.py", """
        import os
        def lambda_handler(event, context):
            print("got", event["n"], "for", context.function_name)
            env = {k: v for k, v in os.environ.items()
                   if k.startswith(("AWS_", "LAMBDA_", "_HANDLER", "TZ", "_AWS", "PWD", "LC_", "PYTHONPATH"))}
            return {"double": event["n"] * 2, "id": context.aws_request_id, "cwd": os.getcwd(),
                    "files": sorted(os.listdir(".")), "env": env, "arn": context.invoked_function_arn,
                    "version": context.function_version, "mb": context.memory_limit_in_mb,
                    "group": context.log_group_name, "stream": context.log_stream_name,
                    "left": context.get_remaining_time_in_millis()}
    """)
    info = python_host.deploy("py", app.parent, FunctionConfig(memory_mb=256, timeout_ms=30000, runtime="python3.12",
                                                         env={"MINE": "1", "AWS_REGION": "ignored"},
                                                         region="eu-west-1"))
    assert info.warm == 1  # the code was loaded at deploy
    res = python_host.invoke("py", {"n": 21})
    out = res.value
    assert out["double"] == 42 and out["id"] == res.report.request_id
    assert out["cwd"] == "/var/task" and out["files"] == ["lambda_function.py"]
    assert out["arn"] == "arn:aws:lambda:eu-west-1:000000000000:function:py"
    assert out["version"] == "$LATEST" and out["mb"] == "256" and 20000 < out["left"] <= 30000  # (a loaded
    # machine may take seconds to get there: the time left is counted from the invocation's start)
    assert out["group"] == "/aws/lambda/py" and out["stream"].endswith(out["env"]["AWS_LAMBDA_LOG_STREAM_NAME"][-32:])
    env = out["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "py" and env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256" and env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"  # reserved: not the user's value
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/py" and env["TZ"] == ":UTC"
    assert env["LAMBDA_TASK_ROOT"] == "/var/task" and env["LAMBDA_RUNTIME_DIR"] == "/var/runtime"
    assert env["_HANDLER"] == "lambda_function.lambda_handler"
    # what else Lambda's process has, which libraries read to know where they run
    assert env["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:9001" and env["AWS_XRAY_CONTEXT_MISSING"] == "LOG_ERROR"
    assert env["AWS_XRAY_DAEMON_ADDRESS"] == f'{env["_AWS_XRAY_DAEMON_ADDRESS"]}:{env["_AWS_XRAY_DAEMON_PORT"]}'
    assert env["PWD"] == "/var/task" and env["LC_CTYPE"] == "C.UTF-8" and env["PYTHONPATH"] == "/var/runtime"
    assert res.logs == "got 21 for py\n"
    assert python_host.invoke("py", {"n": 1}).value["double"] == 2


def test_logging_as_lambdas_runtime_wires_it(python_host, tmp_path):
    app = write(tmp_path, "app.py", """
        import logging
        logger = logging.getLogger()
        logger.setLevel(logging.INFO)
        def handler(event, context):
            logger.info("hello %s", event["who"])
            logging.getLogger("lib").debug("hidden")
            logger.warning("careful")
            print("plain")
            return context.aws_request_id
    """)
    python_host.deploy("logs", app)
    res = python_host.invoke("logs", {"who": "ada"})
    rid = res.value
    lines = res.logs.splitlines()
    assert lines[0].startswith("[INFO]\t") and lines[0].endswith(f"Z\t{rid}\thello ada")
    assert lines[1].startswith("[WARNING]\t") and lines[1].endswith(f"\t{rid}\tcareful")
    assert lines[2] == "plain" and len(lines) == 3
    # LoggingConfig: JSON format with an application log level
    python_host.deploy("jlogs", app, FunctionConfig(log_format="JSON", log_level="WARN"))
    res = python_host.invoke("jlogs", {"who": "ada"})
    docs = [json.loads(line) for line in res.logs.splitlines() if line.startswith("{")]
    assert [d["level"] for d in docs] == ["WARN"] and docs[0]["message"] == "careful"
    assert docs[0]["requestId"] == res.value and docs[0]["logger"] == "root"


def test_errors_are_lambdas_documents(python_host, tmp_path):
    app = write(tmp_path, "app.py", """
        calls = 0
        def handler(event, context):
            global calls
            calls += 1
            if event == "fail":
                raise ValueError("bad event")
            return calls
    """)
    python_host.deploy("err", app)
    assert python_host.invoke("err", "ok").json() == 1
    with pytest.raises(FunctionError) as e:
        python_host.invoke("err", "fail")
    doc = e.value.to_lambda()
    assert doc["errorType"] == "ValueError" and doc["errorMessage"] == "bad event"
    assert doc["requestId"] == e.value.report.request_id
    assert len(doc["stackTrace"]) == 1 and 'app.py", line 7, in handler' in doc["stackTrace"][0]
    assert doc["stackTrace"][0].startswith('  File "/var/task/app.py"')
    assert e.value.logs.startswith("[ERROR] ValueError: bad event\nTraceback (most recent call last):\n")
    assert python_host.invoke("err", "ok").json() == 3  # an exception keeps the warm instance


@pytest.mark.parametrize("source, handler, etype, message", [
    ("def handler(event, context)\n    return 1\n", None, "Runtime.UserCodeSyntaxError",
     "Syntax error in module 'app'"),
    ("import not_a_module\ndef handler(e, c):\n    return 1\n", None, "Runtime.ImportModuleError",
     "Unable to import module 'app': No module named 'not_a_module'"),
    ("def main(e, c):\n    return 1\n", None, "Runtime.HandlerNotFound", "Handler 'handler' missing on module 'app'"),
    ("def handler(e, c):\n    return 1\n", "nomodule.handler", "Runtime.ImportModuleError",
     "Unable to import module 'nomodule'"),
    ("x = 1 / 0\ndef handler(e, c):\n    return 1\n", None, "ZeroDivisionError", "division by zero"),
])
def test_code_that_cannot_load_fails_the_deploy(python_host, tmp_path, source, handler, etype, message):
    app = write(tmp_path, "app.py", source)
    with pytest.raises(DeployError, match=f"^{etype}: ") as e:
        python_host.deploy("broken", app, FunctionConfig(handler=handler))
    assert message in str(e.value)
    with pytest.raises(LookupError):
        python_host.function("broken")  # nothing was deployed


def test_the_whole_standard_library(python_host, tmp_path):
    app = write(tmp_path, "app.py", """
        import pathlib, zoneinfo, datetime, tomllib, email.mime.text, xml.dom.minidom, fractions
        import sqlite3, graphlib, difflib, textwrap
        def handler(event, context):
            ny = datetime.datetime(2024, 1, 1, 12, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
            try:
                import socket
                socket.create_connection(("127.0.0.1", 9), timeout=1)
                sock = "connected"
            except OSError:
                sock = "refused"
            return [pathlib.PurePosixPath("/a/b.txt").suffix, ny.utcoffset().total_seconds() / 3600,
                    tomllib.loads("a = 1")["a"], email.mime.text.MIMEText("x")["Content-Type"],
                    xml.dom.minidom.parseString("<a/>").documentElement.tagName,
                    str(fractions.Fraction(1, 3) * 3), list(graphlib.TopologicalSorter({"b": {"a"}}).static_order()),
                    sqlite3.connect(":memory:").execute("select 2 + 3").fetchone()[0], sock]
    """)
    python_host.deploy("stdlib", app)
    out = python_host.invoke("stdlib", {}).value
    assert out[:8] == [".txt", -5.0, 1, 'text/plain; charset="us-ascii"', "a", "1", ["a", "b"], 5]
    assert out[8] == "refused"  # no network unless a capability grants it: an OSError


def test_timers_wait_for_their_time_without_holding_the_handler(python_host, tmp_path):
    """No thread runs a threading.Timer here: start() returns at once (it used to wait
    the interval out first), a cancelled timer never runs, a due one runs at the end of
    the invocation, one set for later in a later invocation, join() runs it."""
    app = write(tmp_path, "timers.py", """
        import threading, time
        fired = []

        def handler(event, context):
            t0 = time.monotonic()
            if event.get("set"):
                guard = threading.Timer(60, fired.append, ["guard"])
                guard.start()
                threading.Timer(0.05, fired.append, ["soon"]).start()
                threading.Timer(0.3, fired.append, ["later"]).start()
                time.sleep(0.1)
                guard.cancel()
                joined = threading.Timer(0.05, fired.append, ["joined"])
                joined.start()
                alive = joined.is_alive()
                joined.join()
                return {"fired": list(fired), "alive": [alive, joined.is_alive()],
                        "took": time.monotonic() - t0}
            time.sleep(0.3)
            return {"fired": list(fired)}
    """)
    python_host.deploy("timers", app)
    first = python_host.invoke("timers", {"set": True}).value
    assert first["fired"] == ["joined"] and first["alive"] == [True, False] and first["took"] < 1
    assert python_host.invoke("timers", {}).value["fired"] == ["joined", "soon"]  # ran as the first invocation ended
    assert python_host.invoke("timers", {}).value["fired"] == ["joined", "soon", "later"]  # due after it returned


def test_tmp_is_per_instance_and_capped(python_host, tmp_path):
    app = write(tmp_path, "app.py", """
        import os
        def handler(event, context):
            path = "/tmp/" + event["name"]
            if event.get("mb"):
                with open(path, "wb") as f:  # sparse: its size counts, without the disk traffic
                    f.seek(event["mb"] << 20)
                    f.write(b"x")
            elif "text" in event:
                with open(path, "w") as f:
                    f.write(event["text"])
            return {"files": sorted(os.listdir("/tmp")),
                    "text": open(path).read() if os.path.exists(path) and not event.get("mb") else None}
    """)
    python_host.deploy("tmp", app, FunctionConfig(ephemeral_mb=512))
    assert python_host.invoke("tmp", {"name": "a", "text": "kept"}).value == {"files": ["a"], "text": "kept"}
    assert python_host.invoke("tmp", {"name": "a"}).value == {"files": ["a"], "text": "kept"}  # warm: still there
    python_host.deploy("tmp2", app)
    assert python_host.invoke("tmp2", {"name": "a"}).value == {"files": [], "text": None}  # another function's own /tmp
    with pytest.raises(FunctionError) as e:
        python_host.invoke("tmp", {"name": "big", "mb": 513})
    assert e.value.error_type == "Runtime.EphemeralStorageExceeded" and "512 MB" in e.value.error_message
    assert python_host.invoke("tmp", {"name": "a"}).value == {"files": [], "text": None}  # a fresh instance


def test_imports_stat_the_read_only_mounts_once_and_tmp_every_time(python_host, tmp_path):
    """The path finder re-stats each sys.path folder on every import (a host call each):
    under the read-only mounts the answer is kept, under /tmp (writable) it is not, so
    a module written there after an import of its folder still imports."""
    app = write(tmp_path / "fn", "app.py", """
        import importlib, os, posix, sys
        def handler(event, context):
            seen = []
            real = posix.stat
            posix.stat = lambda path, *a, **k: (seen.append(path), real(path, *a, **k))[1]
            try:
                for name in ("one", "two", "three"):
                    importlib.import_module("pkg." + name)
                sys.path.insert(0, "/tmp")
                for name in ("first", "second"):  # the second written after /tmp's folder was read
                    with open(f"/tmp/{name}.py", "w") as f:
                        f.write(f"WORD = {name!r}")
                    importlib.import_module(name)
            finally:
                posix.stat = real
            return {"task_root": seen.count("/var/task/pkg"), "second": sys.modules["second"].WORD}
    """)
    for name in ("__init__", "one", "two", "three"):
        write(tmp_path / "fn", f"pkg/{name}.py", "X = 1\n")
    python_host.deploy("stats", app.parent)
    assert python_host.invoke("stats", {}).value == {"task_root": 1, "second": "second"}  # not once per import


def test_requirements_are_installed_once_per_content(python_host, tmp_path, monkeypatch):
    import subprocess
    write(tmp_path / "fn", "requirements.txt", "six==1.16.0\n")
    write(tmp_path / "fn", "service/main.py", """
        import six
        from service.helpers import shout
        def run(event, context):
            return {"six": six.__version__, "text": shout(event["text"])}
    """)
    write(tmp_path / "fn", "service/helpers.py", "def shout(s):\n    return s.upper() + '!'\n")
    write(tmp_path / "fn", "service/__init__.py", "")
    python_host.deploy("folder", tmp_path / "fn", FunctionConfig(handler="service.main.run"))
    assert python_host.invoke("folder", {"text": "hi"}).value == {"six": "1.16.0", "text": "HI!"}
    runs = []
    real = subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: runs.append(a) or real(*a, **k))
    write(tmp_path / "fn", "service/helpers.py", "def shout(s):\n    return s.upper() + '?'\n")
    python_host.deploy("folder", tmp_path / "fn", FunctionConfig(handler="service.main.run"))
    assert python_host.invoke("folder", {"text": "hi"}).value == {"six": "1.16.0", "text": "HI?"}
    assert runs == []  # the same requirements: pip did not run again


def test_native_extensions_are_named(python_host, tmp_path):
    write(tmp_path / "fn", "fastlib/__init__.py", "from fastlib._speedups import go\n")
    (tmp_path / "fn" / "fastlib" / "_speedups.cpython-312-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    write(tmp_path / "fn", "fastlib-1.0.dist-info/RECORD",
          "fastlib/__init__.py,,\nfastlib/_speedups.cpython-312-x86_64-linux-gnu.so,,\n")
    write(tmp_path / "fn", "app.py", "def handler(e, c):\n    import fastlib\n    return 1\n")
    python_host.deploy("native", tmp_path / "fn")
    with pytest.raises(FunctionError) as e:
        python_host.invoke("native", {})
    assert "native extension of the package 'fastlib'" in e.value.error_message
    write(tmp_path / "fn", "app.py", "import fastlib\ndef handler(e, c):\n    return 1\n")
    with pytest.raises(DeployError, match="Runtime.ImportModuleError: .*'fastlib'"):
        python_host.deploy("native2", tmp_path / "fn")


def test_layers_are_seen_at_opt(python_host, tmp_path):
    write(tmp_path / "l1", "python/shared.py", "WHO = 'layer one'\nONLY = 1\n")
    write(tmp_path / "l2", "python/shared.py", "WHO = 'layer two'\n")
    write(tmp_path / "l2", "data/config.txt", "from a layer")
    app = write(tmp_path / "fn", "app.py", """
        import shared
        def handler(event, context):
            return [shared.WHO, hasattr(shared, "ONLY"), open("/opt/data/config.txt").read()]
    """)
    python_host.deploy("layered", app.parent, FunctionConfig(layers=(str(tmp_path / "l1"), str(tmp_path / "l2"))))
    assert python_host.invoke("layered", {}).value == ["layer two", False, "from a layer"]
    # a layer built for python3.10 keeps its packages where that runtime looks for them
    write(tmp_path / "l3", "python/lib/python3.10/site-packages/shared.py", "WHO = 'built for 3.10'\nONLY = 3\n")
    write(tmp_path / "l3", "data/config.txt", "3.10")
    python_host.deploy("layered310", app.parent, FunctionConfig(runtime="python3.10", layers=(str(tmp_path / "l3"),)))
    assert python_host.invoke("layered310", {}).value == ["built for 3.10", True, "3.10"]
    with pytest.raises(DeployError, match="not a folder"):
        python_host.deploy("layered2", app.parent, FunctionConfig(layers=(str(tmp_path / "nope"),)))


def test_limits_apply_to_python(python_host, tmp_path):
    app = write(tmp_path, "app.py", """
        def handler(event, context):
            if event == "spin":
                while True:
                    pass
            return sum(range(event))
    """)
    python_host.deploy("limits", app, FunctionConfig(timeout_ms=300, fuel=50_000_000))
    assert python_host.invoke("limits", 1000).value == 499500
    with pytest.raises(FuelExhausted):
        python_host.invoke("limits", 10**9)
    python_host.deploy("spin", app, FunctionConfig(timeout_ms=300))
    with pytest.raises(InvocationTimeout) as timed_out:
        python_host.invoke("spin", "spin")
    assert timed_out.value.report.memory_bytes > 1 << 20  # the instance's memory, though the trap poisoned it
    assert python_host.invoke("spin", 10).value == 45  # a fresh instance after the timeout


def test_strict_isolation_for_python(python_host, tmp_path):
    app = write(tmp_path, "app.py", """
        seen = []
        def handler(event, context):
            seen.append(event)
            return len(seen)
    """)
    python_host.deploy("strict", app, FunctionConfig(isolation="strict"))
    assert [python_host.invoke("strict", i).value for i in range(3)] == [1, 1, 1]
    assert json.loads(python_host.invoke("strict", "x").payload) == 1


def test_examples(python_host):
    root = Path(__file__).resolve().parent.parent / "examples" / "python"
    python_host.deploy("hello_py", root / "hello.py")
    res = python_host.invoke("hello_py", {"name": "ada"})
    assert res.value == "Hello, ada!" and res.logs == "greeting ada from hello_py\n"
    python_host.deploy("orders", root / "transform")
    out = python_host.invoke("orders", {"orders": [
        {"customer": " ada ", "amount": "12.5", "date": "2026-11-02"},
        {"customer": "ADA", "amount": 7, "date": "2026-11-03"},
        {"customer": "bob", "amount": "x", "date": "2026-11-03"}]}).value
    assert out["customers"] == [{"customer": "Ada", "total": "19.50"}] and out["grand_total"] == "19.50"
    assert out["rejected"][0]["index"] == 2 and out["rejected"][0]["reason"].startswith("InvalidOperation")


def test_runtime_functions_never_run_speculatively(python_host, tmp_path):
    """A speculative inline run abandoned at its budget would cost the instance its
    warm state (globals, /tmp): Python functions always run in full, off the loop,
    and a slow invocation keeps its instance."""
    import asyncio
    app = write(tmp_path, "app.py", """
        import time
        calls = 0
        def handler(event, context):
            global calls
            calls += 1
            time.sleep(event / 1000)
            return calls
    """)
    python_host.deploy("slow", app, FunctionConfig(min_warm=1))
    assert not python_host._functions["slow"].speculate

    async def run():
        return [(await python_host.ainvoke("slow", ms)).value for ms in (10, 0, 5)]
    assert asyncio.run(run()) == [1, 2, 3]  # one warm instance served all three


def test_out_of_memory_names_the_limit_and_how_to_raise_it(python_host, tmp_path):
    # Python's MemoryError() has no message; Lambda's document would say nothing useful
    app = write(tmp_path / "oom", "app.py", """
        def handler(event, context):
            chunks = []
            while True:
                chunks.append(bytearray(8 * 1024 * 1024))
    """)
    python_host.deploy("pyoom", app, FunctionConfig(memory_mb=64))
    with pytest.raises(FunctionError) as err:
        python_host.invoke("pyoom", {})
    doc = err.value.to_lambda()
    assert doc["errorType"] == "MemoryError" and "app.py" in doc["stackTrace"][0]
    assert "64 MB limit" in doc["errorMessage"] and "MemorySize" in doc["errorMessage"]
    assert str(err.value) == doc["errorMessage"]
    ok = write(tmp_path / "ok", "app.py", "def handler(event, context):\n    return event\n")
    python_host.deploy("pyok", ok)
    assert python_host.invoke("pyok", {"n": 1}).value == {"n": 1}  # everyone else is served


def test_max_memory_used_is_the_runtimes_linear_memory_and_grows(python_host, tmp_path):
    app = write(tmp_path / "mem", "app.py", """
        held = []
        def handler(event, context):
            if event.get("mb"):
                held.append(bytearray(event["mb"] << 20))
            return len(held)
    """)
    python_host.deploy("pymem", app.parent, FunctionConfig(memory_mb=512))
    before = python_host.invoke("pymem", {}).report
    assert before.memory_bytes > 1 << 20 and before.memory_bytes % 65536 == 0  # CPython's heap, in wasm pages
    after = python_host.invoke("pymem", {"mb": 50}).report
    assert after.memory_bytes - before.memory_bytes >= 40 << 20  # less what the heap had free
    assert after.max_memory_mb >= before.max_memory_mb + 40
    assert python_host.invoke("pymem", {}).report.memory_bytes == after.memory_bytes  # the high-water mark stays


def test_init_may_take_lambdas_ten_seconds_whatever_the_timeout(python_host, tmp_path):
    """Lambda's Init phase (the handler module's import: boto3 and its clients, models)
    has 10 s whatever the function's timeout; the invocations keep theirs."""
    app = write(tmp_path, "slowinit.py", """
        import time
        time.sleep(0.5)  # a module-level setup longer than the function's timeout
        def handler(event, context):
            if event == "sleep":
                time.sleep(0.5)
            return "ready"
    """)
    python_host.deploy("slowinit", app, FunctionConfig(timeout_ms=200))
    assert python_host.invoke("slowinit", 1).value == "ready"
    with pytest.raises(InvocationTimeout):
        python_host.invoke("slowinit", "sleep")
