"""pydantic v2 in the Python sandbox: pydantic-core's Rust module stood in for by pure Python
(``guest_sdk/python/stand_ins/wasmhost_pydantic_core*.py``), under pydantic's own Python.

Two kinds of check: the same script (``pydantic_cases.py``: models, errors, serialization)
run here over the native module and over the stand-in (the very files functions get), whose
outputs must be equal, error texts included; and a real handler deployed through a host,
whose answers are checked against the host's native pydantic."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wasmhost import FunctionConfig

pydantic = pytest.importorskip("pydantic", reason="the differential tests need pydantic on the host (test extras)")

STAND_INS = Path(__file__).resolve().parents[2] / "guest_sdk" / "python" / "stand_ins"
CASES = Path(__file__).with_name("pydantic_cases.py")

# run before a script: pydantic-core's native module is the stand-in, as in the sandbox
STAND_IN = textwrap.dedent(f"""
    import sys
    sys.path.insert(0, {str(STAND_INS)!r})
    import wasmhost_pydantic_core
    sys.modules["pydantic_core._pydantic_core"] = wasmhost_pydantic_core
""")


def run(script: str, stand_in: bool, site: Path | None = None) -> str:
    """``script``'s output, over the stand-in or the native module (of the pydantic in ``site``)."""
    prelude = f"import sys\nsys.path.insert(0, {str(site)!r})\n" if site else ""
    proc = subprocess.run([sys.executable, "-c", prelude + (STAND_IN if stand_in else "") + script],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_stand_in_is_what_pydantic_imports():
    out = run("import pydantic_core._pydantic_core as m; print(m.__file__)", stand_in=True)
    assert "wasmhost_pydantic_core" in out


def test_models_errors_and_dumps_match_the_native_module():
    native = json.loads(run(CASES.read_text(), stand_in=False))
    stand_in = json.loads(run(CASES.read_text(), stand_in=True))
    assert len(native) > 50
    assert [c[0] for c in stand_in] == [c[0] for c in native]
    for got, want in zip(stand_in, native):
        assert got == want, got[0]


def test_error_table_is_pydantic_cores():
    script = "import json, pydantic_core._pydantic_core as m; print(json.dumps(m.list_all_errors(), default=str))"
    assert run(script, stand_in=True) == run(script, stand_in=False)


APP = """
    import json
    from typing import Literal, Optional
    from pydantic import BaseModel, Field, ValidationError, field_validator

    class Item(BaseModel):
        sku: str = Field(pattern=r"^[A-Z]{3}-\\d+$")
        qty: int = Field(gt=0)
        price: float

    class Order(BaseModel):
        order_id: int
        status: Literal["new", "paid"] = "new"
        items: list[Item]
        note: Optional[str] = None

        @field_validator("note")
        @classmethod
        def short(cls, v):
            if v is not None and len(v) > 5:
                raise ValueError("note too long")
            return v

    def handler(event, context):
        try:
            order = Order.model_validate_json(event["body"])
        except ValidationError as e:
            return {"statusCode": 422, "body": e.json(), "text": str(e)}
        return {"statusCode": 200, "body": order.model_dump_json(), "total": sum(i.qty * i.price for i in order.items)}
"""

BODIES = ['{"order_id": "7", "items": [{"sku": "ABC-1", "qty": 2, "price": "1.5"}]}',
          '{"order_id": "x", "status": "lost", "items": [{"sku": "abc", "qty": 0}], "note": "much too long"}',
          '{"order_id": 1, "items": [',
          ]


def native_answer(body: str) -> dict:
    namespace: dict = {}
    exec(textwrap.dedent(APP), namespace)  # noqa: S102 - the handler's own code, on the host's native pydantic
    return json.loads(json.dumps(namespace["handler"]({"body": body}, None)))


def test_a_handler_validates_and_answers_as_native_pydantic(python_host, tmp_path):
    code = tmp_path / "orders"
    code.mkdir()
    (code / "app.py").write_text(textwrap.dedent(APP))
    (code / "requirements.txt").write_text(f"pydantic=={pydantic.VERSION}\n")
    python_host.deploy("orders", code, FunctionConfig(handler="app.handler", runtime="python3.12", timeout_ms=60000))
    for body in BODIES:
        assert python_host.invoke("orders", {"body": body}).value == native_answer(body)


CASES_APP = """
    import contextlib, importlib, io, json, sys

    def handler(event, context):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            sys.modules.pop("pydantic_cases", None)
            importlib.import_module("pydantic_cases")
        return json.loads(out.getvalue())
"""


@pytest.mark.parametrize("version", [pydantic.VERSION, "2.5.3", "2.8.2", "2.10.6", "2.11.10"])
def test_the_cases_answer_in_the_sandbox_as_native_pydantic(python_host, tmp_path, version):
    """The whole case file run by a deployed function, on the sandbox's Python 3.14, for the
    host's pydantic and older pins (2.5 to 2.11 need their 3.14 fixes, ``_py314``), against the
    same version's native module here."""
    code = tmp_path / "cases"
    code.mkdir()
    (code / "app.py").write_text(textwrap.dedent(CASES_APP))
    (code / "pydantic_cases.py").write_text(CASES.read_text())
    (code / "requirements.txt").write_text(f"pydantic=={version}\n")
    name = "cases" + version.replace(".", "")
    python_host.deploy(name, code, FunctionConfig(handler="app.handler", runtime="python3.12", timeout_ms=120000))
    site = None
    if version != pydantic.VERSION:
        site = tmp_path / "site"
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               "--target", str(site), f"pydantic=={version}"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    native = json.loads(run(CASES.read_text(), False, site))
    got = python_host.invoke(name, {}).value
    assert [c[0] for c in got] == [c[0] for c in native]
    for mine, want in zip(got, native):
        assert mine == want, mine[0]


def test_a_schema_type_not_covered_fails_naming_the_sandbox():
    script = ("from pydantic_core import SchemaValidator\n"
              "try:\n    SchemaValidator({'type': 'complex'})\nexcept Exception as e:\n    print(type(e).__name__, e)")
    out = run(script, stand_in=True)
    assert out.startswith("SchemaError") and "WebAssembly sandbox" in out


@pytest.mark.parametrize("version", ["2.5.3", "2.8.2", "2.10.6", "2.11.10"])
def test_older_pydantic_versions_match_their_native_module(tmp_path, version):
    """pydantic 2.5 to 2.11 (the pins corpora carry) over their own pydantic-core's Python layer:
    the stand-in answers as each version's native module did (its wordings of the time)."""
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--target", str(tmp_path), f"pydantic=={version}"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    script = CASES.read_text()
    assert json.loads(run(script, True, tmp_path)) == json.loads(run(script, False, tmp_path))


def test_a_pydantic_core_too_old_fails_at_import_naming_the_versions_that_run(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--no-deps", "--target", str(tmp_path), "pydantic-core==2.10.1"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    script = "try:\n" + textwrap.indent(STAND_IN + "import pydantic_core\n", "    ") + "except ImportError as e:\n    print(e)"
    out = run(script, False, tmp_path)
    assert "pydantic-core 2.10.1 cannot run in wasmhost's WebAssembly sandbox" in out and "pydantic>=2.5" in out
