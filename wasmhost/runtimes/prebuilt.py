"""Runtime components built when the wheel is built and shipped inside it.

A pip-installed wasmhost runs Python and JavaScript functions without
componentize-py, Node.js or a network: ``python -m wasmhost.runtimes.prebuilt DIR``
(run by ``setup.py`` while it builds a wheel) builds both runtimes and writes each
with a manifest naming the digest of the sources it was built from. At run time a
prebuilt runtime is used only while the shipped sources still have that digest, so
an edited runtime source is rebuilt with the local toolchain, never silently ignored.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

from . import stamp

DIR = Path(__file__).resolve().parent.parent / "prebuilt"
_found: dict[tuple, Path | None] = {}  # (name, where, inputs' stamp) -> the prebuilt runtime they match


def digest(inputs: list[Path]) -> str:
    h = hashlib.sha256()
    for f in inputs:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def find(name: str, inputs: list[Path], where: Path = DIR) -> Path | None:
    """The prebuilt ``name`` runtime built from exactly ``inputs``, if one shipped. The
    sources are read and hashed once per process while their modification times stay
    (every deploy asks: the sources are ~0.3 MB for Python, more for JavaScript)."""
    manifest = where / f"{name}-runtime.json"
    if not manifest.exists():
        return None
    key = (name, str(where), stamp(inputs))
    if key not in _found:
        doc = json.loads(manifest.read_text())
        _found[key] = where / doc["file"] if doc["inputs"] == digest(inputs) else None
    path = _found[key]
    return path if path is not None and path.exists() else None


def stdlib(inputs: list[Path], where: Path = DIR) -> Path | None:
    """The Python standard library shipped beside the prebuilt Python runtime (which
    mounts it at /python), while that runtime is the one in use."""
    library = where / "python-stdlib"
    return library if library.is_dir() and find("python", inputs, where) is not None else None


def write(name: str, built: Path, inputs: list[Path], tool: str, where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built, where / built.name)
    (where / f"{name}-runtime.json").write_text(json.dumps({"file": built.name, "inputs": digest(inputs),
                                                            "tool": tool}))
    return where / built.name


def main(out: str) -> int:
    from . import javascript, python
    for module in (python, javascript):
        name = module.__name__.rsplit(".", 1)[1]
        built = module.runtime_path(progress=lambda m: print(m, file=sys.stderr, flush=True), prebuilt=False)
        path = write(name, built, module.inputs(), module.tool(), Path(out))
        print(f"prebuilt {name} runtime: {path.name} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    # the standard library the Python runtime mounts (unpacking it needs componentize-py)
    shutil.copytree(python.stdlib_dir(), Path(out) / "python-stdlib", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
