"""What each of Lambda's Node.js runtimes makes of a ``.js`` handler with ES-module syntax
and no package.json "type": Node 20.19+ (nodejs20.x, 22.x, 24.x) detects the syntax and
runs the file as an ES module; Node 18 (nodejs18.x) reads it as CommonJS and refuses it,
which Lambda reports as Runtime.UserCodeSyntaxError (here at deploy)."""

import shutil

import pytest

from wasmhost.build import BuildError
from wasmhost.runtimes import javascript

NO_BUNDLER = shutil.which("node") is None or not (javascript.PACKAGE / "node_modules" / "rolldown").is_dir()
pytestmark = pytest.mark.skipif(NO_BUNDLER, reason="the bundler needs Node.js and npm ci in guest_sdk/javascript "
                                                   "(.ci/run does both)")

SOURCES = {"export": ("export const handler = async () => 1;\n", "SyntaxError: Unexpected token 'export'"),
           "import": ('import { join } from "node:path";\nexports.handler = async () => join("a");\n',
                      "SyntaxError: Cannot use import statement outside a module")}


@pytest.mark.parametrize("kind", SOURCES)
def test_nodejs18_refuses_module_syntax_in_a_js_file(tmp_path, kind):
    source, message = SOURCES[kind]
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "index.js").write_text(source)
    with pytest.raises(BuildError) as e:
        javascript.bundle(tmp_path / "fn", "index.handler", None, tmp_path / "cache", runtime="nodejs18.x")
    assert str(e.value) == f"Runtime.UserCodeSyntaxError: {message}"


@pytest.mark.parametrize("runtime", ["nodejs20.x", "nodejs22.x", "nodejs24.x", None])
def test_later_runtimes_run_it_as_an_es_module(tmp_path, runtime):
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "index.js").write_text(SOURCES["export"][0])
    text, _, _, entry = javascript.bundle(tmp_path / "fn", "index.handler", None, tmp_path / "cache", runtime=runtime)
    assert entry == "index.js" and "handler" in text


def test_a_package_type_decides_for_nodejs18_too(tmp_path):
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "package.json").write_text('{"type": "module"}')
    (tmp_path / "fn" / "index.js").write_text(SOURCES["export"][0])
    text, _, _, _ = javascript.bundle(tmp_path / "fn", "index.handler", None, tmp_path / "cache", runtime="nodejs18.x")
    assert "handler" in text
