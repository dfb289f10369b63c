"""The JavaScript runtime component: StarlingMonkey built by componentize-js from
guest_sdk/javascript/runtime, once per runtime source and componentize-js version
(about fifteen seconds), kept in the build cache. A JavaScript function is this
runtime plus the user's source text, evaluated at instance init."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..build import SDK, BuildError, cache_dir

RUNTIME = SDK / "javascript" / "runtime" / "runtime.js"
WIT = SDK / "wit" / "js-runtime.wit"
PACKAGE = SDK / "javascript"


def componentize_js() -> tuple[str, str]:
    exe = PACKAGE / "node_modules" / ".bin" / "componentize-js"
    if not exe.exists() or shutil.which("node") is None:
        raise BuildError("componentize-js is not installed; install it with:\n"
                         f"    npm install --prefix {PACKAGE}   (needs Node.js)")
    meta = PACKAGE / "node_modules" / "@bytecodealliance" / "componentize-js" / "package.json"
    return str(exe), json.loads(meta.read_text())["version"]


def runtime_path(progress=None) -> Path:
    """The runtime component, built on first use."""
    exe, version = componentize_js()
    key = hashlib.sha256(version.encode() + RUNTIME.read_bytes() + WIT.read_bytes())
    path = cache_dir() / f"js-runtime-{key.hexdigest()[:24]}.wasm"
    if path.exists():
        return path
    if progress:
        progress(f"building the JavaScript runtime with componentize-js {version} (once, ~15 s) ...")
    with tempfile.TemporaryDirectory(prefix="wasmhost-jsrt-") as tmp:
        out = Path(tmp) / "runtime.wasm"
        proc = subprocess.run([exe, "--wit", str(WIT), "--world-name", "javascript", "-d", "http", "-d",
                               "fetch-event", "--out", str(out), str(RUNTIME)], capture_output=True, text=True,
                              cwd=tmp)
        if proc.returncode != 0 or not out.exists():
            raise BuildError(f"building the JavaScript runtime failed:\n{proc.stderr or proc.stdout}")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, path)
    return path
