"""``host.deploy("f", fn)``: a plain function, its helpers and closures, shipped into
the sandboxed Python runtime (as source here: this host's Python is not the sandbox's;
the cloudpickle route is checked in a clean interpreter of the host's version)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import OrderedDict

import pytest

from wasmhost import DeployError, Host
from wasmhost.runtimes import shipping

SCALE = 3
UNITS = {"m": 1.0, "km": 1000.0}


def _helper(x):
    return x * SCALE + _inner_helper(x)


def _inner_helper(x):
    return int(math.sqrt(x))


class Accumulator:
    def __init__(self, start):
        self.total = start

    def add(self, values):
        for v in values:
            self.total += _helper(v)
        return self.total


def pipeline(event):
    """A PyWren-style function of one argument."""
    acc = Accumulator(0)
    return {"sum": acc.add(event["values"]), "metres": event["d"] * UNITS[event["unit"]],
            "sorted": list(OrderedDict.fromkeys(sorted(event["values"]))), "dumped": json.dumps([1])}


def make_scaler(factor, label):
    def scale(event, context):
        return {"label": label, "value": event * factor, "fn": context.function_name}
    return scale


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    h = Host(tmp_path_factory.mktemp("shipping"))
    yield h
    h.close()


def test_the_sandbox_runs_the_python_shipping_expects(host):
    def version(event):
        import sys
        return list(sys.version_info[:2])
    host.deploy("version", version)
    assert tuple(host.invoke("version", {}).value) == shipping.SANDBOX_PYTHON


def test_helpers_classes_imports_and_constants_travel(host):
    host.deploy("pipeline", pipeline)
    assert host.invoke("pipeline", {"values": [4, 1, 4], "d": 2, "unit": "km"}).value == \
        {"sum": (4 * 3 + 2) * 2 + (1 * 3 + 1), "metres": 2000.0, "sorted": [1, 4], "dumped": "[1]"}


def test_a_closure_travels_with_its_variables(host):
    host.deploy("triple", make_scaler(3, "x3"))
    assert host.invoke("triple", 5).value == {"label": "x3", "value": 15, "fn": "triple"}


def test_a_lambda_is_refused_with_the_python_it_needs(host):
    if sys.version_info[:2] == shipping.SANDBOX_PYTHON:
        pytest.skip("on the sandbox's Python a lambda travels as bytecode")
    with pytest.raises(DeployError) as e:
        host.deploy("lam", lambda event: event)
    need = ".".join(map(str, shipping.SANDBOX_PYTHON))
    assert "is a lambda" in str(e.value) and f"run the host on Python {need}" in str(e.value)


def test_a_closure_over_an_object_without_source_is_refused(host):
    lock = __import__("threading").Lock()

    def locked(event):
        with lock:
            return event
    with pytest.raises(DeployError, match="it uses 'lock', a lock that is neither a literal"):
        host.deploy("locked", locked)


def test_a_function_of_three_arguments_is_refused(host):
    def three(a, b, c):
        return a
    with pytest.raises(DeployError, match=r"takes \(event\) or \(event, context\)"):
        host.deploy("three", three)


def test_source_module_reads_as_python():
    text = shipping.Source(pipeline).module()
    assert "import math" in text and "SCALE = 3" in text and "class Accumulator" in text
    assert "from collections import OrderedDict" in text and "def _inner_helper" in text
    compile(text, "shipped.py", "exec")


def test_bytecode_route_loads_in_a_clean_interpreter(tmp_path):
    """On the sandbox's Python the function is cloudpickled; pickle and cloudpickle go
    with it (the sandbox has neither). Checked with this host's Python, isolated from
    site-packages, as the sandbox would load it."""
    handler = shipping.write(make_scaler(2, "x2"), tmp_path / "fn", python=shipping.SANDBOX_PYTHON)
    assert handler == "shipped.wasmhost_handler"
    assert {"shipped.py", "shipped.pkl", "pickle.py", "_compat_pickle.py", "cloudpickle"} <= \
        {p.name for p in (tmp_path / "fn").iterdir()}
    code = ("import sys, types; sys.path.insert(0, sys.argv[1]); import shipped, cloudpickle; "
            "assert cloudpickle.__file__.startswith(sys.argv[1]), cloudpickle.__file__; "
            "print(shipped.wasmhost_handler(21, types.SimpleNamespace(function_name='f')))")
    out = subprocess.run([sys.executable, "-I", "-c", code, str(tmp_path / "fn")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "{'label': 'x2', 'value': 42, 'fn': 'f'}"
