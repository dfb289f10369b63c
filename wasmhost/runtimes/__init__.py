"""Language runtimes built once and shared by every function written in that language."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from ..build import BuildError, cache_dir
from . import memory_export

PATCH = Path(memory_export.__file__)  # part of every runtime's inputs: it rewrites the built component

_built: dict[str, tuple] = {}  # name -> (inputs' stamp, path): a deploy skips rehashing the sources
_listings: dict[tuple[Path, str], tuple[int, list[Path]]] = {}


def listing(folder: Path, pattern: str) -> list[Path]:
    """``sorted(folder.glob(pattern))``, listed again only when the folder's modification
    time changes (a file added, removed or renamed into it). Every deploy asks which
    runtime the sources make, and a glob of the runtime's folder cost more than the rest
    of that question (~0.15 ms a glob, three a deploy, more as the runtime grew)."""
    mtime = folder.stat().st_mtime_ns
    hit = _listings.get((folder, pattern))
    if hit is None or hit[0] != mtime:
        hit = _listings[(folder, pattern)] = (mtime, sorted(folder.glob(pattern)))
    return list(hit[1])


def stamp(inputs: list[Path]) -> tuple:
    """What a process checks before trusting what it worked out from ``inputs`` earlier:
    each one's modification time (an edit changes it) — a stat each, not a read."""
    return tuple((str(f), f.stat().st_mtime_ns) for f in inputs)


def cached_runtime(name: str, tool: str, inputs: list[Path], command: Callable[[Path], list[str]],
                   progress: Callable[[str], None] | None, seconds: int) -> Path:
    """Build a runtime component once per ``tool`` version and ``inputs``; the file
    name carries the hash of both (the artifact cache keys on it)."""
    now = (tool, str(cache_dir()), stamp(inputs))
    if _built.get(name, (None,))[0] == now and _built[name][1].exists():
        return _built[name][1]  # this process built or found it, and no input changed
    key = hashlib.sha256(tool.encode())
    for f in inputs:
        key.update(f.name.encode() + f.read_bytes())
    path = cache_dir() / f"{name}-runtime-{key.hexdigest()[:24]}.wasm"
    if path.exists():
        _built[name] = (now, path)
        return path
    from ..progress import step
    with tempfile.TemporaryDirectory(prefix=f"wasmhost-{name}-") as tmp, \
            step(f"building the {name} runtime with {tool} (once)", seconds):
        out = Path(tmp) / "runtime.wasm"
        proc = subprocess.run(command(out), capture_output=True, text=True, cwd=tmp,
                              env={k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"})
        if proc.returncode != 0 or not out.exists():
            raise BuildError(f"building the {name} runtime failed:\n{proc.stderr or proc.stdout}")
        memory_export.patch_file(out)  # Max Memory Used: the host reads the runtime's memory size
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, path)
    _built[name] = (now, path)
    return path
