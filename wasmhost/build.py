"""``wasmhost build``: one command from a source file to a deployable module.

The language is read from the file name: C (``.c``, built with PyPI's ``ziglang``),
Zig (``.zig``), Rust (``.rs``, Debian's ``rustc`` with ``libstd-rust-dev-wasm32``),
AssemblyScript (``.ts``, npm ``assemblyscript``), WebAssembly text (``.wat``), and
Python (``.py``) and JavaScript (``.js``), whose shared runtimes it builds once.
Each build links the matching SDK from ``guest_sdk/``. Results are cached by the
hash of the sources, the SDK and the command, so a rebuild of unchanged code is
instant (CI relies on that). A missing toolchain is reported with the exact
command that installs it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

from .errors import WasmhostError

_HERE = Path(__file__).resolve().parent
# a wheel carries the SDK inside the package (setup.py copies it); a checkout has it beside
SDK = Path(os.environ.get("WASMHOST_SDK") or next(
    (p for p in (_HERE / "guest_sdk", _HERE.parent / "guest_sdk") if p.is_dir()), _HERE.parent / "guest_sdk"))
LANGUAGES = {".c": "c", ".zig": "zig", ".rs": "rust", ".ts": "assemblyscript", ".wat": "wat",
             ".py": "python", ".js": "javascript", ".mjs": "javascript"}
RUNTIME_LANGUAGES = ("python", "javascript")  # deployed as source on a shared runtime
RUSTC = "/usr/bin/rustc"  # Debian's: it has the wasm32 std; a rustup toolchain may not


class BuildError(WasmhostError):
    pass


def cache_dir() -> Path:
    """Built modules and runtimes: ``$WASMHOST_BUILD_CACHE``, else ``build/`` in the data
    directory (``$WASMHOST_HOME``, default ``~/.wasmhost``), beside the artifact cache."""
    return Path(os.environ.get("WASMHOST_BUILD_CACHE")
                or Path(os.environ.get("WASMHOST_HOME") or Path.home() / ".wasmhost") / "build")


def _need(ok: bool, what: str, install: str) -> None:
    if not ok:
        raise BuildError(f"{what} is not installed; install it with:\n    {install}")


def _asc() -> str:
    local = SDK / "assemblyscript" / "node_modules" / ".bin" / "asc"
    if local.exists():
        return str(local)
    found = shutil.which("asc")
    _need(found is not None, "the AssemblyScript compiler (asc)", f"npm install --prefix {SDK / 'assemblyscript'}")
    return str(found)


def _zig() -> list[str]:
    _need(importlib.util.find_spec("ziglang") is not None, "zig (for C and Zig)",
          f"{sys.executable} -m pip install ziglang")
    return [sys.executable, "-m", "ziglang"]


def _command(lang: str, src: Path, out: Path, work: Path) -> tuple[list[list[str]], list[Path]]:
    """The commands for a language, and the SDK files they read (for the cache key)."""
    if lang == "c":
        return [_zig() + ["cc", "-target", "wasm32-freestanding", "-O2", "-nostdlib", "-Wl,--no-entry", "-s",
                          "-I", str(SDK / "c"), "-o", str(out), str(src)]], [SDK / "c" / "wasmhost.h"]
    if lang == "zig":
        sdk = SDK / "zig" / "wasmhost.zig"
        return [_zig() + ["build-exe", "-target", "wasm32-freestanding", "-O", "ReleaseSmall", "-fno-entry",
                          "-rdynamic", "--dep", "wasmhost", f"-Mroot={src}", f"-Mwasmhost={sdk}",
                          f"-femit-bin={out}", "--cache-dir", str(work / "zig-cache")]], [sdk]
    if lang == "rust":
        _need(Path(RUSTC).exists(), "Debian's rustc with the wasm32 standard library",
              "apt-get install rustc libstd-rust-dev-wasm32")
        sdk = SDK / "rust" / "wasmhost.rs"
        rlib = work / "libwasmhost.rlib"
        common = [RUSTC, "--edition", "2021", "--target", "wasm32-unknown-unknown", "-O"]
        return [common + ["--crate-type", "rlib", "--crate-name", "wasmhost", "-o", str(rlib), str(sdk)],
                common + ["--crate-type", "cdylib", "-C", "strip=symbols", "--extern", f"wasmhost={rlib}",
                          "-o", str(out), str(src)]], [sdk]
    if lang == "assemblyscript":
        return [[_asc(), str(src), "-O3", "--runtime", "incremental", "--use", "abort=", "-o", str(out)]], \
            [SDK / "assemblyscript" / "wasmhost.ts"]
    raise BuildError(f"no builder for {lang}")


def detect(path: Path) -> tuple[Path, str]:
    """The source file and its language (a Python function is its whole folder);
    otherwise a folder needs one source, or one named handler, index or app."""
    if path.is_dir():
        sources = [p for p in sorted(path.iterdir()) if p.suffix in LANGUAGES]
        if (any(p.suffix == ".py" for p in sources) or (path / "requirements.txt").exists()
                or (not sources and any(path.rglob("*.py")))):  # a Python function is its whole folder
            return path.resolve(), "python"
        handlers = [p for p in sources if p.stem in ("handler", "index", "app")]
        if len(handlers) == 1 or len(sources) == 1:
            path = (handlers or sources)[0]
        else:
            raise BuildError(f"{path}: cannot tell which file to build; name it handler.<ext> (or index.js) "
                             f"(found: {', '.join(p.name for p in sources) or 'no source files'})")
    if not path.exists():
        raise BuildError(f"{path}: no such file")
    path = path.resolve()
    lang = LANGUAGES.get(path.suffix)
    if lang is None:
        raise BuildError(f"{path}: unknown language; wasmhost builds {', '.join(sorted(LANGUAGES))} files")
    return path, lang


def build(path: str | Path, out: str | Path | None = None,
          progress: Callable[[str], None] | None = None) -> Path:
    """Build ``path`` into a ``.wasm`` (next to it unless ``out`` is given). Python
    and JavaScript are deployed as source on a runtime shared by every function of
    the language: for them this builds (once) and checks that runtime, checks the
    source, and returns the source path."""
    say = progress or (lambda _msg: None)
    src, lang = detect(Path(path))
    if lang in RUNTIME_LANGUAGES:
        from .runtimes import javascript, python
        runtime = (python if lang == "python" else javascript).runtime_path(progress=say)
        if lang == "python":
            with tempfile.TemporaryDirectory() as tmp:
                python.package(src if Path(path).is_file() else Path(path).resolve(), Path(tmp) / "code")
        say(f"{src.name}: deploy it as it is; the {lang} runtime is ready ({runtime.name})")
        return src if Path(path).is_file() else Path(path).resolve()
    out = Path(out) if out is not None else src.with_suffix(".wasm")
    if lang == "wat":
        import wasmtime
        try:
            out.write_bytes(wasmtime.wat2wasm(src.read_text()))
        except wasmtime.WasmtimeError as e:
            raise BuildError(f"{src}: {e}") from None
        return out
    with tempfile.TemporaryDirectory(prefix="wasmhost-build-") as tmp:
        work = Path(tmp)
        commands, sdk_files = _command(lang, src, work / "out.wasm", work)
        key = hashlib.sha256()
        for f in [src, *sdk_files]:
            key.update(f.read_bytes())
        key.update(repr([c[1:] for c in commands]).replace(str(work), "<work>").replace(str(src), "<src>").encode())
        cached = cache_dir() / f"{key.hexdigest()[:32]}.wasm"
        if cached.exists():
            say(f"{src.name}: unchanged, from the build cache")
            shutil.copyfile(cached, out)
            return out
        from .progress import step
        with step(f"building {src.name} ({lang})"):
            for cmd in commands:
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=src.parent)
                if proc.returncode != 0:
                    raise BuildError(f"{src.name}: the {lang} build failed:\n{(proc.stderr or proc.stdout).strip()}")
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / "out.wasm", cached)
        shutil.copyfile(work / "out.wasm", out)
    return out
