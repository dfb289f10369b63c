"""Every CLI failure is one clear line on stderr and a non-zero exit, never a
traceback (unless --debug); global options work after the subcommand too.
Each case runs the real command in a separate process, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from live import Server  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("cli") / "data").start()
    yield s
    s.stop()


def cli(*args: str, endpoint: str = "http://127.0.0.1:9", cwd: Path | None = None, env: dict | None = None):
    env = dict(os.environ, WASMHOST_ENDPOINT=endpoint, **(env or {}))
    return subprocess.run([sys.executable, "-m", "wasmhost.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


def one_error_line(proc, code: int = 1) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("wasmhost")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_deploy_of_a_missing_file(tmp_path):
    line = one_error_line(cli("deploy", "f", str(tmp_path / "nope.wasm")))
    assert line == f"wasmhost: error: {tmp_path / 'nope.wasm'}: no such file or folder"


def test_deploy_of_a_wasm_that_is_not_wasm(tmp_path):
    (tmp_path / "bad.wasm").write_text("hello")
    line = one_error_line(cli("deploy", "f", str(tmp_path / "bad.wasm")))
    assert "bad.wasm: not a WebAssembly module" in line


def test_deploy_of_bad_wat(tmp_path):
    (tmp_path / "bad.wat").write_text("(module (func")
    assert "bad.wat: not a WebAssembly module, nor valid WebAssembly text" in \
        one_error_line(cli("deploy", "f", str(tmp_path / "bad.wat")))


def test_invoke_of_a_zip_says_what_to_do(tmp_path):
    import zipfile
    with zipfile.ZipFile(tmp_path / "fn.zip", "w") as z:
        z.writestr("README.txt", "no code here")
    line = one_error_line(cli("invoke", str(tmp_path / "fn.zip"), "{}"))
    assert "a zip archive" in line and "unzipped folder" in line and "JavaScript function from" in line


def test_serve_on_an_impossible_port():
    line = one_error_line(cli("serve", "--port", "80000"), code=2)
    assert line == "wasmhost serve: error: argument --port: a port is 0-65535, not 80000 (see `wasmhost serve --help`)"


def test_an_unknown_option_is_one_line():
    assert "unrecognized arguments: --frobnicate" in one_error_line(cli("ls", "--frobnicate"), code=2)


def test_invoke_of_a_missing_file_says_so(tmp_path):
    line = one_error_line(cli("invoke", str(tmp_path / "missing.wat")))
    assert line == f"wasmhost: error: {tmp_path / 'missing.wat'}: no such file " \
                   "(to invoke a deployed function, give its name)"


def test_no_server_is_one_line():
    line = one_error_line(cli("ls"))
    assert "cannot reach http://127.0.0.1:9" in line and "wasmhost serve" in line


def test_python_without_componentize_py_is_one_line(tmp_path, monkeypatch, capsys):
    """A machine with no componentize-py (and no prebuilt runtime for these sources)."""
    from wasmhost.cli import main
    from wasmhost.runtimes import python as runtime
    monkeypatch.setattr(runtime.shutil, "which", lambda name: None)
    monkeypatch.setattr(runtime.sys, "executable", str(tmp_path / "bin" / "python"))
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return event\n")
    assert main(["invoke", str(tmp_path / "app.py"), "--data-dir", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("wasmhost: error: componentize-py is not installed") and "wasmhost[guests]" in err


def test_debug_shows_the_traceback(tmp_path):
    proc = cli("deploy", "f", str(tmp_path / "nope.wasm"), "--debug")
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_logs_of_a_missing_function(server):
    line = one_error_line(cli("logs", "nosuchfn", endpoint=server.url))
    assert line == f"wasmhost: error: function 'nosuchfn' not found on {server.url} (`wasmhost ls` lists them)"


def test_invoke_of_a_missing_function(server):
    line = one_error_line(cli("invoke", "nosuchfn", "{}", endpoint=server.url))
    assert "function 'nosuchfn' not found" in line


def test_rm_of_a_missing_function(server):
    assert "nosuchfn" in one_error_line(cli("rm", "nosuchfn", endpoint=server.url))


def test_global_options_after_the_subcommand(server, tmp_path):
    """--endpoint and --data-dir where users put them; deploy sets what create-function can."""
    proc = cli("deploy", "echo", str(ROOT / "tests" / "guests" / "echo.wat"), "--endpoint", server.url,
               "--memory-mb", "256", "--timeout-s", "2", "--env", "GREETING=hi", "--tag", "team=edge",
               "--fuel", "1000000", "--description", "an echo")
    assert proc.returncode == 0, proc.stderr
    import urllib.request
    with urllib.request.urlopen(f"{server.url}/2015-03-31/functions/echo") as r:
        doc = json.loads(r.read())
    conf = doc["Configuration"]
    assert (conf["MemorySize"], conf["Timeout"], conf["Environment"]["Variables"], conf["Description"]) == \
        (256, 2, {"GREETING": "hi"}, "an echo")
    assert doc["Tags"] == {"team": "edge", "wasmhost:fuel": "1000000"}
    proc = cli("invoke", "echo", "ping", "--endpoint", server.url)
    assert (proc.returncode, proc.stdout) == (0, "ping\n"), proc.stderr
    proc = cli("deploy", "echo", str(ROOT / "tests" / "guests" / "echo.wat"), "--endpoint", server.url,
               "--timeout-s", "1.5")
    assert "the server takes whole seconds" in one_error_line(proc)
    proc = cli("ls", "--endpoint", server.url)
    assert proc.returncode == 0 and "echo" in proc.stdout
    proc = cli("examples", "--data-dir", str(tmp_path))
    assert proc.returncode == 0 and "hello('world') -> 'Hello, world!'" in proc.stdout


def test_help_lists_the_environment():
    out = cli("--help").stdout
    for var in ("WASMHOST_ENDPOINT", "WASMHOST_HOME", "WASMHOST_API_KEY", "WASMHOST_BUILD_CACHE"):
        assert var in out
    serve_help = cli("serve", "--help").stdout
    assert "the port to listen on" in serve_help and "the address to listen on" in serve_help


def test_serve_without_the_server_extra(monkeypatch, capsys):
    import importlib.util

    from wasmhost.cli import main
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "aiohttp" else real(name, *a))
    assert main(["serve", "--port", "0"]) == 2
    assert capsys.readouterr().err == "wasmhost: error: `wasmhost serve` needs the server extra: " \
                                      "pip install 'wasmhost[server]'\n"
