"""ES-module handlers rewritten to CommonJS without Node.js: the same exports as
Node itself gives the original module (checked with node, which CI installs)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from wasmhost.build import BuildError
from wasmhost.runtimes.esm import to_commonjs

HANDLERS = {
    "function": "export function handler(event, context) { return {got: event}; }\n",
    "async arrow": "import { createHash } from 'node:crypto';\nimport * as path from 'path';\n"
                   "export const handler = async (event) => ({h: createHash('sha256').update('x').digest('hex'),"
                   " b: path.basename('/a/b.txt')});\n",
    "default and list": "import util, { format as fmt } from 'util';\nconst helper = (e) => fmt('%s!', e);\n"
                        "function main(event) { return helper(event) + typeof util.inspect; }\n"
                        "export { main as handler, helper };\nexport default main;\n",
    "commonjs": "exports.handler = async (event) => event * 2;\n",
}


@pytest.mark.skipif(shutil.which("node") is None, reason="comparing with Node.js needs node (scripts/setup's npm)")
@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_rewrite_exports_what_node_exports(name, tmp_path):
    source = HANDLERS[name]
    ext = ".cjs" if name == "commonjs" else ".mjs"
    (tmp_path / f"orig{ext}").write_text(source)
    (tmp_path / "conv.cjs").write_text(to_commonjs(source))
    harness = ("const [orig, conv] = [await import(process.argv[1]), await import(process.argv[2])];"
               "const call = async (m) => { const h = m.handler || m.default.handler;"
               " return JSON.stringify([Object.keys(m).filter(k => !['default', 'module.exports', '__esModule'].includes(k)).sort(),"
               " await h(21, {})]); };"
               "console.log(await call(orig)); console.log(await call(conv));")
    out = subprocess.run(["node", "--input-type=module", "-e", harness, str(tmp_path / f"orig{ext}"),
                          str(tmp_path / "conv.cjs")], capture_output=True, text=True, check=True).stdout
    original, converted = (json.loads(line) for line in out.splitlines())
    assert converted == original


def test_a_relative_import_needs_the_bundler():
    with pytest.raises(BuildError, match=r"imports './lib.js': bundling it needs Node.js"):
        to_commonjs("import { x } from './lib.js';\nexport const handler = () => x;\n")


def test_module_body_runs_as_an_async_function_with_import_meta():
    from wasmhost.runtimes.esm import ASYNC_MARK, module_body
    body = module_body("import { join } from 'node:path';\nconst base = await Promise.resolve(import.meta.url);\n"
                       "export const handler = async () => join(base, 'x');\n", "src/app.mjs")
    assert body.startswith(ASYNC_MARK)
    assert "require('node:path')" in body and "import.meta" not in body
    assert "'file:///var/task/src/app.mjs'" in body and "exports['handler'] = handler;" in body
    assert module_body("exports.handler = () => 1;\n", "index.js") == "exports.handler = () => 1;\n"  # CommonJS as is
