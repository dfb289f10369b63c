"""Deploying a Python or JavaScript function: its code staged once per content hash,
its dependencies and layers prepared, and the runtime component it runs on.

The host calls ``runtime_function``; everything language-specific stays here and in
python.py / javascript.py, so the host knows only "a runtime ABI".
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from ..build import BuildError, detect
from ..config import FunctionConfig
from . import bytecode, javascript, python

IGNORED = ("__pycache__", ".git")
ZONEINFO = Path("/usr/share/zoneinfo")


def tree_digest(root: Path, *, contents: bool = True) -> str:
    """A hash of a file or folder: names and contents (or sizes and times, cheaper,
    for layers, which can be large)."""
    digest = hashlib.sha256()
    files = [root] if root.is_file() else sorted(
        p for p in root.rglob("*") if p.is_file() and not any(part in IGNORED for part in p.parts))
    for f in files:
        rel = f.name if root.is_file() else f.relative_to(root).as_posix()
        if contents:
            data = f.read_bytes()
        else:
            st = f.stat()
            data = f"{st.st_size}:{st.st_mtime_ns}".encode()
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def staged(root: Path, key: str, fill: Callable[[Path], None]) -> Path:
    """``root/key``, filled once by ``fill`` (into a temporary folder renamed into
    place, so a concurrent or interrupted deploy never sees half of it)."""
    target = root / key
    if target.exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".staging-"))
    try:
        fill(tmp / "x")
        try:
            os.rename(tmp / "x", target)
        except OSError:  # staged by another deploy meanwhile
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def merge_layers(layers: tuple[str, ...], root: Path) -> Path | None:
    """The layers' folders merged in order, later ones winning, as Lambda extracts
    them into /opt."""
    if not layers:
        return None
    paths = [Path(p) for p in layers]
    for p in paths:
        if not p.is_dir():
            raise BuildError(f"layer {p}: not a folder")
    key = hashlib.sha256("\0".join(f"{p.resolve()}:{tree_digest(p, contents=False)}" for p in paths).encode())

    def fill(dest: Path) -> None:
        dest.mkdir()
        for p in paths:
            shutil.copytree(p, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*IGNORED))
    return staged(root, "layers-" + key.hexdigest()[:32], fill)


def language(path: Path, config: FunctionConfig) -> tuple[Path, str, Path]:
    """The code's path (a folder stays one), its language, and the file it names
    without a handler (the folder itself when the runtime was given, not detected)."""
    if config.runtime:
        lang = "python" if config.runtime.startswith("python") else "javascript"
        if not path.exists():
            raise BuildError(f"{path}: no such file or folder")
        return path.resolve(), lang, path.resolve()
    try:
        source, lang = detect(path)
    except BuildError:
        if not (path.is_dir() and config.handler):
            raise
        source, lang = path, "javascript"  # several files, and the handler names which
    if lang not in ("python", "javascript"):
        raise BuildError(f"{source}: a {lang} source is built into a module first: wasmhost build {source}")
    # a folder stays one: a JavaScript function's handler names its file in it, and its
    # other files are read at /var/task (detect's one source would have been all of it)
    return (path.resolve() if path.is_dir() else source), lang, source


def runtime_function(path: Path, config: FunctionConfig, engine, code_root: Path, load_component, grants,
                     progress=None):
    """The ``RuntimeABI`` of a Python or JavaScript function, its code's sha256 and
    size, and whether the runtime's compiled component came from the cache.
    ``load_component(runtime_path)`` compiles (or loads) a runtime component;
    ``grants``: what its capabilities may use (wasmhost/capabilities)."""
    from ..abi.component import RuntimeABI
    path, lang, named = language(path, config)
    layers = merge_layers(config.layers, code_root)
    if lang == "javascript":
        runtime = javascript.runtime_path(progress=progress)
        handler = config.handler or javascript.default_handler(detect(named)[0] if named.is_dir() else named)
        source, sha, size, entry = javascript.bundle(path, handler, layers, code_root, runtime=config.runtime)
        component, from_cache = load_component(runtime)
        return RuntimeABI("javascript", engine, component, handler, config, source=source,
                          entry=entry, grants=grants), sha, size, from_cache
    runtime = python.runtime_path(progress=progress)
    component, from_cache = load_component(runtime)
    sha = tree_digest(path)
    code_dir = staged(code_root, sha[:32], lambda dest: python.package(path, dest))
    size = bytecode.source_bytes(code_dir)
    handler = config.handler or python.default_handler(path)
    stdlib = python.stdlib_dir()
    mounts = [(str(code_dir), "/var/task"), (str(stdlib), "/python")]
    native = python.native_modules(code_dir)
    shared = []  # package folders shared between functions, compiled to bytecode once
    deps = python.install_requirements(code_dir / "requirements.txt", progress)
    if deps is not None:
        shared.append((deps, "/var/task/.deps"))
        native.update(json.loads((deps / python.NATIVE_LIST).read_text()))
    if layers is not None:
        mounts.append((str(layers), "/opt"))
    sdk = python.bundled_sdk()
    if sdk is not None:
        shared.append((sdk, python.SDK_SITE))
    for folder, guest_dir in shared:
        # wait for the bytecode of what the code will import; the rest compiles in the background
        wait = folder is not sdk or (folder / bytecode.MARK).exists() or bytecode.imports(code_dir, ("boto3", "botocore"))
        bytecode.compile_folder(folder, guest_dir, engine, component, stdlib, grants, wait=wait)
        mounts.append((str(folder), guest_dir))
    if ZONEINFO.is_dir():
        mounts.append((str(ZONEINFO), str(ZONEINFO)))
    guest = RuntimeABI("python", engine, component, handler, config, mounts=mounts, native=native, grants=grants)
    # compiled once in the background, after the first instance is up (so it does not compete
    # with it): the standard library beyond the runtime's snapshot, the code and the layers
    for later, guest_dir in ((stdlib, "/python"), (code_dir, "/var/task"), (layers, "/opt")):
        if later is not None and not (later / bytecode.MARK).exists():
            guest.after_init.append(functools.partial(bytecode.compile_folder, later, guest_dir, engine, component,
                                                      stdlib, grants, wait=False))
    return guest, sha, size, from_cache
