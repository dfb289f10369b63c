"""The wasmhost command line."""

import json
import subprocess
import sys
from pathlib import Path

from wasmhost.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_invoke_prints_result_and_report(tmp_path, capsysbinary):
    assert main(["--data-dir", str(tmp_path), "invoke", str(EXAMPLES / "hello.wat"), "world"]) == 0
    out, err = capsysbinary.readouterr()
    assert out == b"Hello, world!\n"
    assert b"saying hello\n" in err and b"REPORT RequestId: " in err and b"Init Duration" in err


def test_invoke_failure_prints_lambda_error(tmp_path, capsys):
    code = main(["--data-dir", str(tmp_path), "invoke", str(EXAMPLES / "sum_to.wat"), "100000000", "--fuel", "1000"])
    out, err = capsys.readouterr()
    assert code == 1
    assert json.loads(out)["errorType"] == "Sandbox.FuelExhausted"
    assert "Status: fuel" in err


def test_bad_module_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "x.wasm"
    bad.write_text("not wasm")
    assert main(["--data-dir", str(tmp_path), "invoke", str(bad)]) == 1
    assert "not a WebAssembly module" in capsys.readouterr().err


def test_examples_run_as_installed_command(tmp_path):
    """The console script, in a separate process, as a user runs it."""
    proc = subprocess.run([sys.executable, "-m", "wasmhost.cli", "--data-dir", str(tmp_path), "examples"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "hello('world') -> 'Hello, world!'" in proc.stdout
    assert "sum_to('1000') -> '500500'" in proc.stdout

