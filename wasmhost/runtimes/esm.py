"""A self-contained JavaScript handler as the runtime's CommonJS, without Node.js.

JavaScript functions are bundled at deploy by rolldown (``guest_sdk/javascript/
bundle.mjs``), which needs Node.js and npm packages. A pip-installed wasmhost on a
machine without them still runs a handler that is one file importing nothing but
Node's built-in modules: its ES-module syntax, written at the start of a line as
handlers are, is rewritten here (``export function``, ``export const``, ``export
default``, ``export { … }``, ``import … from "node:…"``). Anything else (a relative
or package import, a dynamic export form) is refused with the command that installs
the bundler. Line-based on purpose: a full JavaScript parser is what rolldown is.
"""

from __future__ import annotations

import re

from ..build import BuildError

# The runtime (guest_sdk/javascript/runtime/runtime.js) runs a body starting with this line
# as an async function, so an ES module's top-level await works.
ASYNC_MARK = "//# wasmhost: async\n"

# Node's built-in modules (module.builtinModules of Node 20), which the runtime provides
BUILTINS = frozenset("""assert assert/strict async_hooks buffer child_process cluster console constants crypto dgram
diagnostics_channel dns dns/promises domain events fs fs/promises http http2 https inspector module net os path
path/posix path/win32 perf_hooks process punycode querystring readline readline/promises repl stream
stream/consumers stream/promises stream/web string_decoder sys timers timers/promises tls trace_events tty url util
util/types v8 vm wasi worker_threads zlib""".split())

_IMPORT = re.compile(r"^import\s+(?P<what>.+?)\s+from\s+(?P<q>['\"])(?P<mod>[^'\"]+)(?P=q)\s*;?\s*$")
_SIDE_IMPORT = re.compile(r"^import\s+(?P<q>['\"])(?P<mod>[^'\"]+)(?P=q)\s*;?\s*$")
_EXPORT_DECL = re.compile(r"^export\s+(?P<kw>(?:async\s+)?function\*?|const|let|var|class)\s+(?P<name>[A-Za-z_$][\w$]*)")
_EXPORT_DEFAULT = re.compile(r"^export\s+default\s+")
_EXPORT_LIST = re.compile(r"^export\s*\{(?P<names>[^}]*)\}\s*;?\s*$")
_ESM_LINE = re.compile(r"^(import|export)\b")


def is_module(source: str) -> bool:
    """Whether a file uses ES-module syntax (otherwise it is CommonJS already)."""
    return any(_ESM_LINE.match(line) for line in source.splitlines())


def _require(module: str) -> str:
    name = module[5:] if module.startswith("node:") else module
    if name not in BUILTINS:
        raise BuildError(f"this JavaScript function imports {module!r}: bundling it needs Node.js and the "
                         "bundler (npm ci --prefix <wasmhost>/guest_sdk/javascript); without them a handler may "
                         "import only Node's built-in modules")
    return f"require({module!r})"


def _bindings(what: str, req: str) -> list[str]:
    """``import <what> from`` as ``const`` declarations."""
    out = []
    what = what.strip()
    if what.startswith("* as "):
        return [f"const {what[5:].strip()} = {req};"]
    default, _, rest = what.partition(",") if not what.startswith("{") else ("", "", what)
    if default.strip():
        out.append(f"const {default.strip()} = {req};")
    rest = rest.strip()
    if rest.startswith("* as "):
        out.append(f"const {rest[5:].strip()} = {req};")
    elif rest.startswith("{") and rest.endswith("}"):
        names = [n.strip() for n in rest[1:-1].split(",") if n.strip()]
        pairs = [f"{a.strip()}: {b.strip()}" if " as " in n else n for n in names for a, _, b in [n.partition(" as ")]]
        out.append(f"const {{ {', '.join(pairs)} }} = {req};")
    elif rest:
        raise BuildError(f"cannot read the import {what!r} without the bundler")
    return out


def to_commonjs(source: str) -> str:
    """The CommonJS the runtime evaluates, for a handler file (see the module's doc)."""
    if not is_module(source):
        return source
    lines, exports = [], []
    for line in source.splitlines():
        if m := _IMPORT.match(line):
            lines.append(" ".join(_bindings(m["what"], _require(m["mod"]))))
        elif m := _SIDE_IMPORT.match(line):
            lines.append(_require(m["mod"]) + ";")
        elif m := _EXPORT_DECL.match(line):
            lines.append(line[len("export"):].lstrip())
            exports.append((m["name"], m["name"]))
        elif _EXPORT_DEFAULT.match(line):
            lines.append("exports.default = " + line[_EXPORT_DEFAULT.match(line).end():])  # type: ignore[union-attr]
        elif m := _EXPORT_LIST.match(line):
            for item in filter(None, (n.strip() for n in m["names"].split(","))):
                local, _, public = item.partition(" as ")
                exports.append((public.strip() or local.strip(), local.strip()))
            lines.append("")
        elif _ESM_LINE.match(line):
            raise BuildError(f"cannot read {line.strip()!r} without the bundler (Node.js and "
                             "npm ci --prefix <wasmhost>/guest_sdk/javascript)")
        else:
            lines.append(line)
    tail = [f"exports[{public!r}] = {local};" for public, local in exports]
    return '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n' + \
        "\n".join(lines + tail) + "\n"


def module_body(source: str, entry: str) -> str:
    """The body the runtime evaluates for a one-file ES module (a handler file, or
    bundle.mjs's output for code with top-level await): CommonJS, marked to run as an
    async function when it was a module (its top-level ``await`` stays valid), with
    ``import.meta.url`` the file's URL under /var/task."""
    if not is_module(source):
        return source
    body = to_commonjs(source).replace("import.meta.url", repr(f"file:///var/task/{entry}"))
    return ASYNC_MARK + body.replace("import.meta", "({ url: %r })" % f"file:///var/task/{entry}")
