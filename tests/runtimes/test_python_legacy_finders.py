"""Import finders with only PEP 302's ``find_module``: Lambda's CPython 3.9-3.11 still
asks them (3.12 removed that), so six before 1.16, vendored by urllib3 1.25 (which
botocore before 1.19 pins), makes ``urllib3.packages.six.moves`` there. The sandbox's
CPython 3.14 skipped them for every runtime."""

import textwrap

import pytest

from wasmhost import FunctionConfig, FunctionError

pytest.importorskip("wasmtime.component")

# six 1.12's pattern: a meta-path importer of lazy pseudo-modules, find_module/load_module only
APP = textwrap.dedent('''
    import sys, types

    class LazyImporter:
        def find_module(self, fullname, path=None):
            return self if fullname == "vendored.moves" else None

        def load_module(self, fullname):
            module = sys.modules.setdefault(fullname, types.ModuleType(fullname))
            module.urllib_parse = __import__("urllib.parse").parse
            return module

        def is_package(self, fullname):
            return True

    sys.meta_path.append(LazyImporter())
    sys.modules["vendored"] = types.ModuleType("vendored")
    sys.modules["vendored"].__path__ = []  # a package, as six makes itself one

    def handler(event, context):
        from vendored.moves import urllib_parse
        return urllib_parse.quote("a b")
''')


def test_find_module_finders_answer_for_python39_to_311_only(python_host, tmp_path):
    (tmp_path / "app.py").write_text(APP)
    for runtime in ("python3.9", "python3.11"):
        name = "legacy-" + runtime.replace(".", "")
        python_host.deploy(name, tmp_path, FunctionConfig(runtime=runtime))
        assert python_host.invoke(name, {}).json() == "a%20b"
    python_host.deploy("legacy-312", tmp_path, FunctionConfig(runtime="python3.12"))
    with pytest.raises(FunctionError) as e:
        python_host.invoke("legacy-312", {})
    assert e.value.to_lambda()["errorType"] == "ModuleNotFoundError"
    assert e.value.to_lambda()["errorMessage"] == "No module named 'vendored.moves'"
