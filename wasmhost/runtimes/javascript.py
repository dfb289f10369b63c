"""The JavaScript runtime component: StarlingMonkey built by componentize-js from
guest_sdk/javascript/runtime, once per runtime source and componentize-js version
(about fifteen seconds), kept in the build cache. A JavaScript function is this
runtime plus the user's source text, evaluated at instance init."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..build import SDK, BuildError
from . import cached_runtime

RUNTIME = SDK / "javascript" / "runtime" / "runtime.js"
CAPABILITIES = SDK / "javascript" / "runtime" / "wasmhost_sdk.js"  # imported by runtime.js
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
    return cached_runtime(
        "javascript", f"componentize-js {version}", [RUNTIME, CAPABILITIES, WIT],
        lambda out: [exe, "--wit", str(WIT), "--world-name", "javascript", "-d", "http", "-d", "fetch-event",
                     "--out", str(out), str(RUNTIME)], progress, 15)
