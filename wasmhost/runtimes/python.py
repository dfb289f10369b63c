"""The Python runtime component: CPython built by componentize-py from
guest_sdk/python/runtime, once per runtime source and componentize-py version (about
ten seconds), kept in the build cache. A Python function is this runtime plus the
user's code directory, imported at instance init."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

from ..build import SDK, BuildError
from . import cached_runtime

RUNTIME_DIR = SDK / "python" / "runtime"
WIT = SDK / "wit" / "python-runtime.wit"


def componentize_py() -> str:
    exe = shutil.which("componentize-py") or str(Path(sys.executable).parent / "componentize-py")
    if not Path(exe).exists():
        raise BuildError("componentize-py is not installed; install it with:\n"
                         f"    {sys.executable} -m pip install componentize-py")
    return exe


def runtime_path(progress=None) -> Path:
    """The runtime component, built on first use."""
    exe = componentize_py()
    version = importlib.metadata.version("componentize-py")
    return cached_runtime(
        "python", f"componentize-py {version}", sorted(RUNTIME_DIR.glob("*.py")) + [WIT],
        lambda out: [exe, "-d", str(WIT), "-w", "python", "componentize", "-p", str(RUNTIME_DIR),
                     "wasmhost_runtime", "-o", str(out)], progress, 10)


def default_handler(source: Path) -> str:
    """The handler when none is named: ``<file>.handler`` for a file; in a folder,
    ``app.handler``, else Lambda's ``lambda_function.lambda_handler``, else
    ``handler.handler``."""
    if source.is_file():
        return f"{source.stem}.handler"
    if (source / "app.py").exists():
        return "app.handler"
    if (source / "lambda_function.py").exists():
        return "lambda_function.lambda_handler"
    return "handler.handler"


def package(source: Path, dest: Path, progress=None) -> None:
    """Copy a function's code (a .py file or a folder) to ``dest`` and install the
    pure-Python packages of its requirements.txt into ``dest/.deps``."""
    if source.is_file():
        if source.suffix != ".py":
            raise BuildError(f"{source}: not a Python file")
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest / source.name)
    else:
        shutil.copytree(source, dest, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", ".git", "*.pyc", ".deps"))
    for f in dest.rglob("*.py"):  # a syntax error fails the deploy, not the first invocation
        if ".deps" in f.parts:
            continue
        try:
            compile(f.read_bytes(), f"/code/{f.relative_to(dest)}", "exec", dont_inherit=True)
        except SyntaxError as e:
            raise BuildError(f"SyntaxError in {f.relative_to(dest)}, line {e.lineno}: {e.msg}\n"
                             f"    {(e.text or '').rstrip()}") from None
    req = dest / "requirements.txt"
    if req.exists() and req.read_text().strip():
        if progress:
            progress("installing requirements.txt (pure-Python packages only) ...")
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target",
                               str(dest / ".deps"), "-r", str(req)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"installing requirements.txt failed:\n{proc.stderr.strip()}")
        # Native extensions cannot load inside the sandbox; packages with a pure-Python
        # fallback (msgpack, for one) use it, others fail at import with a traceback.
        for p in (dest / ".deps").rglob("*"):
            if p.suffix in (".so", ".pyd", ".dylib"):
                p.unlink()
