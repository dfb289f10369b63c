"""What Lambda's older Python runtimes still have and the sandbox's CPython 3.14 removed,
per the function's runtime (``wasmhost_compat``): ``inspect.getargspec`` (gone in
3.11), ``configparser.SafeConfigParser`` and ``readfp`` (3.12), ``importlib.abc``'s
resource classes (3.14); and ``sys.argv`` as Lambda's process has it (argparse's
``ArgumentParser()`` takes its program name from it: an empty one failed)."""

import textwrap

import pytest

from wasmhost import FunctionConfig

pytest.importorskip("wasmtime.component")

APP = textwrap.dedent('''
    import argparse, configparser, importlib.abc, inspect, io, sys

    def handler(event, context):
        out = {"argv": sys.argv, "prog": argparse.ArgumentParser().prog}
        try:
            out["argspec"] = list(inspect.getargspec(lambda a, b=2, *c, **d: None))
        except AttributeError as e:
            out["argspec"] = str(e)
        try:
            parser = configparser.SafeConfigParser()
            parser.readfp(io.StringIO("[db]\\nhost = h\\n"), "db.ini")
            out["config"] = parser.get("db", "host")
        except AttributeError as e:
            out["config"] = str(e)
        out["traversable"] = hasattr(importlib.abc, "Traversable")
        return out
''')


@pytest.mark.parametrize("runtime, argspec, config, traversable", [
    ("python3.9", [["a", "b"], "c", "d", [2]], "h", True),
    ("python3.11", "module 'inspect' has no attribute 'getargspec'", "h", True),
    ("python3.12", "module 'inspect' has no attribute 'getargspec'",
     "module 'configparser' has no attribute 'SafeConfigParser'", True),
    ("python3.14", "module 'inspect' has no attribute 'getargspec'",
     "module 'configparser' has no attribute 'SafeConfigParser'", False),
])
def test_removed_apis_per_runtime(python_host, tmp_path, runtime, argspec, config, traversable):
    (tmp_path / "app.py").write_text(APP)
    name = "removed-" + runtime.replace(".", "")
    python_host.deploy(name, tmp_path, FunctionConfig(runtime=runtime))
    assert python_host.invoke(name, {}).json() == {"argv": ["/var/runtime/bootstrap.py"], "prog": "bootstrap.py",
                                                   "argspec": argspec, "config": config, "traversable": traversable}
