"""The JavaScript runtime component: StarlingMonkey built by componentize-js from
guest_sdk/javascript/runtime, once per runtime source and componentize-js version
(about fifteen seconds), kept in the build cache. A JavaScript function is this
runtime plus the user's source text, evaluated at instance init."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from ..build import SDK, BuildError
from . import PATCH, cached_runtime, listing
from . import prebuilt as _prebuilt

PACKAGE = SDK / "javascript"
RUNTIME = PACKAGE / "runtime"
WIT = SDK / "wit" / "js-runtime.wit"
BUILD, BUNDLE = PACKAGE / "build.mjs", PACKAGE / "bundle.mjs"
AWS_SDK = PACKAGE / "aws-sdk"  # the AWS SDK for JavaScript v3, as Lambda's Node.js runtimes include it
ESM_MARK = "//# wasmhost: es module\n"  # bundle.mjs's first line for code with top-level await


def componentize_js() -> tuple[str, str]:
    exe = PACKAGE / "node_modules" / ".bin" / "componentize-js"
    if not exe.exists() or shutil.which("node") is None:
        raise BuildError("componentize-js is not installed (this wasmhost has no prebuilt JavaScript runtime for "
                         "these runtime sources); install it with:\n"
                         f"    npm ci --prefix {PACKAGE}   (needs Node.js)")
    return str(exe), _version()


@functools.lru_cache(maxsize=1)
def _version() -> str:
    meta = PACKAGE / "node_modules" / "@bytecodealliance" / "componentize-js" / "package.json"
    return json.loads(meta.read_text())["version"]


def inputs() -> list[Path]:
    """What the runtime is built from: its sources and the npm packages they import
    (the lock names their versions: @noble's crypto, unorm)."""
    return listing(RUNTIME, "*.js") + [BUILD, WIT, PACKAGE / "package-lock.json"] + [PATCH]


def tool() -> str:
    return f"componentize-js {_version()}"


def runtime_path(progress=None, prebuilt: bool = True) -> Path:
    """The runtime component: the one shipped in the wheel, else built on first use."""
    found = prebuilt and _prebuilt.find("javascript", inputs())
    if found:
        return found
    exe, version = componentize_js()
    return cached_runtime(
        "javascript", f"componentize-js {version}", inputs(),
        lambda out: ["node", str(BUILD), str(WIT), str(out)], progress, 20)


def default_handler(source: Path) -> str:
    """``<file>.handler`` for a file; ``index.handler`` (Lambda's default) for a folder."""
    return f"{source.stem}.handler" if source.is_file() else "index.handler"


def entry_file(root: Path, handler: str) -> Path:
    """The handler's module as Lambda's Node.js runtime finds it: ``<module>.js``,
    ``.mjs`` or ``.cjs`` under the code root (``src/index.handler`` is ``src/index``)."""
    folder, _, name = handler.rpartition("/")
    module = (folder + "/" if folder else "") + name.split(".")[0]
    for ext in (".js", ".mjs", ".cjs"):
        if (root / (module + ext)).is_file():
            return root / (module + ext)
    # Lambda's words (its runtime's require.resolve, the last place it looks)
    raise BuildError(f"Runtime.ImportModuleError: Error: Cannot find module '{module}'\nRequire stack:\n"
                     "- /var/runtime/index.mjs")


def bundle(path: Path, handler: str, layers: Path | None, cache: Path,
           runtime: str | None = None) -> tuple[str, str, int, str]:
    """The function's code as one CommonJS script (its own files, the node_modules in
    its folder and in its layers' nodejs/node_modules), built with rolldown once per
    content hash, headed by its data files (``files_line``); returns the script, the
    code's sha256, its size and the entry file's path in the code. ``runtime`` (Lambda's
    name, nodejs20.x by default) decides what Node would make of a ``.js`` file with
    ES-module syntax and no package "type": Node 18 (nodejs18.x) refuses it."""
    from .deploy import tree_digest
    root, entry = (path.parent, path) if path.is_file() else (path, entry_file(path, handler))
    sha = tree_digest(path)
    size = sum(f.stat().st_size for f in ([path] if path.is_file() else root.rglob("*")) if f.is_file())
    rel = entry.relative_to(root).as_posix()
    modules = [str(layers / d) for d in ("nodejs/node20/node_modules", "nodejs/node_modules")] if layers else []
    detects = runtime != "nodejs18.x"  # Node 20.19+ runs such a file as an ES module; Node 18 does not
    key = hashlib.sha256(f"{sha}:{rel}:{layers}:{detects}:{FILES_FORMAT}:{_bundler_digest()}".encode()).hexdigest()
    out = cache / f"js-{key[:32]}.cjs"
    if not out.exists():
        if shutil.which("node") is None or not (PACKAGE / "node_modules" / "rolldown").is_dir():
            # no bundler (a pip install): a handler file importing only Node's built-ins still runs
            from .esm import module_body
            return files_line(path, layers) + module_body(entry.read_text(), rel), sha, size, rel
        cache.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        proc = subprocess.run(["node", str(BUNDLE), str(entry), str(tmp), *modules], capture_output=True,
                              text=True, cwd=root, env={**os.environ, "WASMHOST_NODE_DETECTS_MODULES": str(int(detects))})
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            for suffix in SIDE_FILES:
                Path(f"{tmp}{suffix}").unlink(missing_ok=True)
            if proc.returncode == 2:  # Lambda's own error for code Node refuses (module_format.mjs)
                raise BuildError(proc.stderr.strip())
            message = proc.stderr.strip().replace(str(root) + "/", "")
            syntax = any(w in message for w in ("Parse", "PARSE_ERROR", "Syntax", "Unexpected", "Expected"))
            raise BuildError(f"{'Runtime.UserCodeSyntaxError' if syntax else 'Runtime.ImportModuleError'}: {message}")
        text = _read(tmp)
        if text.startswith(ESM_MARK):  # top-level await: an ES module, run as an async body
            from .esm import module_body
            text = module_body(text[len(ESM_MARK):], rel)
        lazy, listed, places, zones = (_take(tmp, suffix) for suffix in SIDE_FILES)
        resolved = frozenset(Path(p) for p in json.loads(listed)) if listed is not None else frozenset()
        head = files_line(path, layers, resolved) + (lazy_line(lazy) if lazy is not None else "")
        head += f"{MAP_MARK}{places}\n" if places is not None else ""
        head += f"{ZONES_MARK}{zones}\n" if zones is not None else ""
        tmp.write_bytes((head + text).encode())
        os.replace(tmp, out)
    return _read(out), sha, size, rel


# what bundle.mjs may write beside its output: modules compiled when first required
# (lazy_line), the files require.resolve("...") finds in the code (files_line), where the
# bundle's lines came from (a source map, for errors' stacks: MAP_MARK), and the time zone
# database the code's Intl calls need (timezones.js: ZONES_MARK)
SIDE_FILES = (".lazy", ".files", ".map", ".zones")


def _take(tmp: Path, suffix: str) -> str | None:
    """The text of the side file ``suffix`` bundle.mjs wrote beside ``tmp``, the file then
    removed; None when it wrote none."""
    side = Path(f"{tmp}{suffix}")
    if not side.exists():
        return None
    text = _read(side)
    side.unlink()
    return text


def _read(path: Path) -> str:
    """A bundle's text as written: no newline translation (a \\r\\n in a template literal is
    the code's own, and the lazy modules' offsets count every character)."""
    return path.read_bytes().decode()


ZONES_MARK = "//# wasmhost: zones "  # runtime.js: the IANA time zone database, one line of JSON (zone_data.mjs)
LAZY_MARK = "//# wasmhost: lazy "  # runtime.js: the next <n> characters are modules compiled when first required


def lazy_line(modules: str) -> str:
    """bundle.mjs's side text of a large bundle's modules, headed by its length as
    JavaScript counts it (UTF-16 code units), for the runtime to slice it off."""
    return f"{LAZY_MARK}{len(modules.encode('utf-16-le', 'surrogatepass')) // 2}\n{modules}"


MAP_MARK = "//# wasmhost: map "  # runtime.js: then bundle.mjs's source map (stack_map.mjs), one line of JSON
FILES_FORMAT = 2  # what files_line sends (2: the code's own files named too); part of a bundle's cache key
FILES_MARK = "//# wasmhost: files "  # runtime.js mounts what follows as the function's files (fs.js)
CODE = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".map", ".d.ts")
FILE_LIMIT, FILES_LIMIT = 1 << 20, 8 << 20


def _mtime_ms(ns: int) -> float:
    """fs.statSync's mtimeMs as Node computes it (Express's Last-Modified, ETag)."""
    return ns // 10**9 * 1e3 + ns % 10**9 / 1e6


def files_line(path: Path, layers: Path | None, resolved: frozenset[Path] = frozenset()) -> str:
    """The function's data files (templates, JSON config, certificates), sent with its
    code so ``fs.readFileSync`` finds them at /var/task and /opt, as on Lambda: every file
    of its zip and its layers but node_modules and code (bundled already: its own code
    files are only named, with their size and time, so ``readdirSync`` of a folder of
    routes or models finds what to require), and any file
    its code finds with ``require.resolve("<name>")`` (``resolved``: bundle.mjs), up to
    1 MiB a file and 8 MiB in all (the JavaScript engine has no file system; reading a
    file past those limits fails saying so). Text as text, anything else as base64, each
    with its modification time."""
    found: dict[str, list[str | float]] = {}
    total = 0
    roots = ([] if path.is_file() else [(path, "/var/task")]) + ([(layers, "/opt")] if layers else [])
    for root, mount in roots:
        for f in sorted(root.rglob("*")):
            rel = f.relative_to(root)
            if not f.is_file() or ("node_modules" in rel.parts and f not in resolved):
                continue
            st, name = f.stat(), f"{mount}/{rel.as_posix()}"
            if f.name.endswith(CODE) and f not in resolved:  # bundled: listed for readdir/stat, not sent
                found[name] = ["", "code", _mtime_ms(st.st_mtime_ns), st.st_size]
                continue
            if st.st_size > FILE_LIMIT or total + st.st_size > FILES_LIMIT:
                found[name] = ["", "too-large"]  # fs.js says why it cannot read it
                continue
            data = f.read_bytes()
            total += len(data)
            mtime = _mtime_ms(st.st_mtime_ns)
            try:
                found[name] = [data.decode(), "utf8", mtime]
            except UnicodeDecodeError:
                found[name] = [base64.b64encode(data).decode(), "base64", mtime]
    return FILES_MARK + json.dumps(found, separators=(",", ":")) + "\n" if found else ""


@functools.lru_cache(maxsize=1)
def _bundler_digest() -> str:
    """What a bundle depends on besides the function's code: bundle.mjs and its plugins
    (every .mjs beside it), the Node modules of bundled/, the packages it takes data from
    (moment-timezone's zones: the lock names their versions), and the AWS SDK it may take
    from (its lock names every package's version) with its HTTP handler."""
    parts = [*sorted(PACKAGE.glob("*.mjs")), *sorted((PACKAGE / "bundled").glob("*.cjs")), PACKAGE / "package-lock.json",
             AWS_SDK / "http-handler.mjs", AWS_SDK / "node_modules" / ".package-lock.json"]
    return hashlib.sha256(b"".join(p.read_bytes() if p.exists() else b"-" for p in parts)).hexdigest()
