"""The Python runtime component: CPython built by componentize-py from
guest_sdk/python/runtime, once per runtime source and componentize-py version (about
ten seconds), kept in the build cache. A Python function is this runtime plus the
user's code directory, imported at instance init, with the full standard library
mounted beside it (``stdlib_dir``) and its requirements installed once per content
hash (``install_requirements``)."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ..build import SDK, BuildError, cache_dir
from . import PATCH, cached_runtime, listing
from . import prebuilt as _prebuilt

RUNTIME_DIR = SDK / "python" / "runtime"
WIT = SDK / "wit" / "python-runtime.wit"
NATIVE = (".so", ".pyd", ".dylib")
NATIVE_LIST = ".wasmhost-native.json"  # {module: distribution} left out of a deps folder
# Lambda's python3.12 runtime has boto3 importable without packaging it, after the
# function's own code and layers on sys.path (so a function's own boto3 wins)
SDK_SITE = "/var/lang/lib/python3.12/site-packages"
BOTOCORE_INDEX = ".wasmhost-index.json"  # guest_sdk/python/runtime/wasmhost_botocore.py reads it
SDK_DISTRIBUTIONS = ("boto3",)  # with their requirements (botocore, s3transfer, jmespath, dateutil, ...)
# The sandbox's CPython is newer than Lambda's: the pure-Python modules 3.12 and 3.13
# removed from the standard library, which a python3.9-3.12 handler (or its packages) may
# import, come from their "dead battery" redistributions (those installed beside wasmhost;
# pyproject.toml). A runtime that no longer has one answers as Lambda's (wasmhost_compat).
STDLIB_BACKPORTS = ("standard-cgi", "standard-cgitb", "standard-chunk", "standard-imghdr", "standard-mailcap",
                    "standard-nntplib", "standard-pipes", "standard-sndhdr", "standard-telnetlib", "standard-uu",
                    "standard-xdrlib", "standard-distutils", "standard-asyncore", "standard-asynchat",
                    "standard-smtpd")
# What Lambda's managed Python runtimes have importable besides boto3: the runtime
# interface client's own requirement, in /var/runtime (so ``requests`` decodes JSON with
# it there, and handlers import it unpackaged). Its C speedups are left out: it falls back
# to its pure-Python form.
RUNTIME_PACKAGES = ("simplejson",)
# Stand-ins for native modules that are too big for the runtime's snapshot (pydantic-core's):
# shipped as files in the bundled SDK folder, imported by the runtime's finder on first use
# (``STAND_INS`` in wasmhost_runtime.py), so a function that never needs one pays nothing.
STAND_IN_DIR = SDK / "python" / "stand_ins"


def componentize_py() -> str:
    exe = shutil.which("componentize-py") or str(Path(sys.executable).parent / "componentize-py")
    if not Path(exe).exists():
        raise BuildError("componentize-py is not installed (this wasmhost has no prebuilt Python runtime for "
                         "these runtime sources); install it with:\n"
                         f"    {sys.executable} -m pip install 'wasmhost[guests]'")
    return exe


@functools.lru_cache(maxsize=1)
def _version() -> str:
    return importlib.metadata.version("componentize-py")  # ~2 ms a call: once per process


def inputs() -> list[Path]:
    return listing(RUNTIME_DIR, "*.py") + [WIT] + [PATCH]


def tool() -> str:
    return f"componentize-py {_version()}"


def runtime_path(progress=None, prebuilt: bool = True) -> Path:
    """The runtime component: the one shipped in the wheel, else built on first use."""
    found = prebuilt and _prebuilt.find("python", inputs())
    if found:
        return found
    exe = componentize_py()
    return cached_runtime(
        "python", tool(), inputs(),
        lambda out: [exe, "-d", str(WIT), "-w", "python", "componentize", "-p", str(RUNTIME_DIR),
                     "wasmhost_runtime", "-o", str(out)], progress, 10)


def stdlib_dir() -> Path:
    """CPython's standard library as componentize-py bundles it (its PYTHONHOME, /python
    inside the guest), unpacked once per componentize-py version. The runtime's build
    snapshot holds only the modules it imported; mounting the rest read-only at /python
    makes every module importable, at the price of compiling its source on first import.

    componentize-py keeps the library as a zstd-compressed tar inside its extension
    module and offers no way to get it out, so the frames are found by their magic
    number and the one holding ``os.py`` and ``encodings/`` is taken. A wheel ships the
    library unpacked beside its prebuilt runtime (``runtimes/prebuilt.py``)."""
    shipped = _prebuilt.stdlib(inputs())
    if shipped is not None:
        return shipped
    version = _version()
    target = cache_dir() / f"python-stdlib-{version}"
    if (target / "os.py").exists():
        return target
    try:
        import zstandard
    except ImportError:
        raise BuildError("unpacking the Python standard library needs zstandard; install it with:\n"
                         f"    {sys.executable} -m pip install zstandard") from None
    import componentize_py
    lib = next(Path(componentize_py.__file__).parent.glob("componentize_py*.so"), None)
    data = lib.read_bytes() if lib else b""
    pos = data.find(b"\x28\xb5\x2f\xfd")
    while pos >= 0:
        try:
            tar = zstandard.ZstdDecompressor().decompressobj().decompress(data[pos:pos + 64_000_000])
        except zstandard.ZstdError:
            tar = b""
        if tar[257:262] == b"ustar":
            with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
                names = set(tf.getnames())
                if "os.py" in names and "encodings/__init__.py" in names:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
                        tf.extractall(tmp, filter="data") if sys.version_info >= (3, 12) else tf.extractall(tmp)
                        try:
                            os.rename(tmp, target)
                        except OSError:  # another process unpacked it meanwhile
                            pass
                        os.makedirs(tmp, exist_ok=True)  # for TemporaryDirectory's cleanup
                    return target
        pos = data.find(b"\x28\xb5\x2f\xfd", pos + 4)
    raise BuildError(f"could not find the Python standard library inside componentize-py {version}")


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


def package(source: Path, dest: Path) -> None:
    """Copy a function's code (a .py file or a folder) to ``dest``. Syntax is checked
    by importing the handler at deploy (in the sandbox's CPython, whose grammar may be
    newer than the host's), not here."""
    if source.is_file():
        if source.suffix != ".py":
            raise BuildError(f"{source}: not a Python file")
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest / source.name)
    else:
        shutil.copytree(source, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", ".git", "*.pyc"))


def native_modules(root: Path) -> dict[str, str]:
    """Native extension modules under ``root`` (a deps folder or a function's code),
    by dotted module name, with the distribution each belongs to (from the
    ``*.dist-info/RECORD`` files; the top folder's name otherwise)."""
    owner: dict[str, str] = {}
    for record in root.glob("*.dist-info/RECORD"):
        dist = record.parent.name.split("-")[0]
        for line in record.read_text(errors="replace").splitlines():
            owner[line.split(",")[0]] = dist
    found = {}
    for p in root.rglob("*"):
        if p.suffix in NATIVE and p.is_file():
            rel = p.relative_to(root)
            module = ".".join(rel.parent.parts + (p.name.split(".")[0],))
            found[module] = owner.get(rel.as_posix(), rel.parts[0])
    return found


OPTIONS_WITH_PATHS = re.compile(r"(-e|--editable|-r|--requirement|-c|--constraint)(?:=|\s+|(?<=^-[erc]))(\S+)$")


def installable(req: Path) -> tuple[str, list[Path]]:
    """``req``'s text less the lines naming a local folder or file the package does not
    hold (``../shared/src/lib``, ``-e ./lib``, ``file:...``: a monorepo's, which its build
    installed before zipping). Lambda never reads requirements.txt, so such a line must not
    fail a deploy that Lambda takes; it is logged, and the code's own copy (if it packaged
    one) is what imports. A path is the folder or file itself, less extras (``./lib[s3]``).
    Also the local folders and files the kept lines name, whose content is part of what
    is installed."""
    kept, local = [], []
    for line in req.read_text(errors="replace").splitlines():
        words = line.split("#", 1)[0].split()
        option = OPTIONS_WITH_PATHS.match(" ".join(words))  # -e ./lib, -e./lib, --editable=./lib
        target = option[2] if option else (words[0] if words else "")
        path = req.parent / target.removeprefix("file://").removeprefix("file:").split("[", 1)[0]
        is_path = target.startswith((".", "/", "file:"))
        if is_path and not path.exists():
            logging.getLogger("wasmhost").warning("requirements.txt: %r names %s, which the package does not "
                                                  "hold: left out", line.strip(), target)
            continue
        if option and option[1] not in ("-e", "--editable"):
            line = f"{option[1]} {path}"  # pip reads an included file beside the one naming it: this one moves
        if option or is_path:
            local.append(path)
        kept.append(line)
    return "\n".join(kept) + "\n", local


def content_digest(paths: list[Path], root: Path) -> bytes:
    """The content of local folders and files (by their names under ``root``), for a cache
    key; none for none (so the keys of requirements with no local lines stay as they were)."""
    if not paths:
        return b""
    h = hashlib.sha256()
    for path in paths:
        for f in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if f.is_file():
                h.update(os.path.relpath(f, root).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.digest()


def install_requirements(req: Path, progress=None) -> Path | None:
    """The function's ``requirements.txt`` installed with pip, once per content (the
    folder is named by the hash of the file, of the local folders and files it names, and
    of the host's Python), read-only
    afterwards; restarts and redeploys reuse it. Native extension files are removed
    and listed in ``.wasmhost-native.json``, so an import of one fails naming its
    package."""
    text = req.read_bytes() if req.exists() else b""
    wanted, local = installable(req) if text.strip() else ("", [])
    if not any(line.split("#", 1)[0].strip() for line in wanted.splitlines()):
        return None
    key = hashlib.sha256(text + sys.version.encode() + content_digest(local, req.parent)).hexdigest()[:24]
    target = cache_dir() / "python-deps" / key
    if (target / NATIVE_LIST).exists():
        return target
    from ..progress import step
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        reqs = Path(tmp) / ".wasmhost-requirements.txt"
        reqs.write_text(wanted)
        with step("installing requirements.txt (once per content)"):
            proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
                                   "--disable-pip-version-check", "--target", tmp, "-r", str(reqs)],
                                  capture_output=True, text=True, cwd=req.parent)
        reqs.unlink()
        if proc.returncode != 0:
            raise BuildError(f"installing requirements.txt failed:\n{proc.stderr.strip()}")
        native = native_modules(Path(tmp))
        for p in Path(tmp).rglob("*"):
            if p.suffix in NATIVE and p.is_file():
                p.unlink()
        (Path(tmp) / NATIVE_LIST).write_text(json.dumps(native))
        try:
            os.rename(tmp, target)
        except OSError:  # installed by another process meanwhile
            pass
        os.makedirs(tmp, exist_ok=True)
    return target


def _closure(names: tuple[str, ...]) -> list:
    """The installed distributions ``names`` and everything they require (extras left
    out), or [] when one is missing from the host's Python."""
    found: dict[str, importlib.metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in found:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            return []
        found[name] = dist
        for req in dist.requires or []:
            if ";" not in req:  # an extra's or another platform's requirement
                todo.append(re.split(r"[\s(<>=!~\[]", req.strip(), maxsplit=1)[0])
    return sorted(found.values(), key=lambda d: d.metadata["Name"].lower())


@functools.lru_cache(maxsize=None)  # per process and build cache: the installed versions do not change meanwhile
def _bundled_sdk(cache: Path) -> Path | None:
    """boto3 and its requirements as Lambda's python3.12 runtime bundles them, mounted
    read-only at ``SDK_SITE`` for every Python function (its imports go through the
    host like any outbound HTTP: ``wasmhost_botocore``). Made once per host from the
    versions installed beside wasmhost (hard links where the file system allows,
    copies otherwise), in a folder named by those versions; None when boto3 is not
    installed here (a function then packages it, as before). Costs a function that
    never imports boto3 nothing but one more (lazily listed) ``sys.path`` entry."""
    dists = _closure(SDK_DISTRIBUTIONS)
    if not dists:
        return None
    dists += [d for name in STDLIB_BACKPORTS + RUNTIME_PACKAGES for d in _closure((name,))]
    stand_ins = sorted(STAND_IN_DIR.glob("*.py"))
    key = hashlib.sha256(" ".join([f"{d.metadata['Name']}=={d.version}" for d in dists] + [BOTOCORE_INDEX])
                         .encode() + content_digest(stand_ins, STAND_IN_DIR)).hexdigest()[:24]
    from .deploy import staged

    def fill(dest: Path) -> None:
        dest.mkdir()
        for dist in dists:
            for rel in dist.files or []:
                if rel.parts[0] in ("..", "/") or rel.suffix in NATIVE + (".pyc",) or "__pycache__" in rel.parts:
                    continue  # scripts installed to bin/, native code, the host's bytecode
                src, out = Path(str(dist.locate_file(rel))), dest / rel
                if not src.is_file():
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(src, out)
                except OSError:
                    shutil.copyfile(src, out)
        data = dest / "botocore" / "data"
        if data.is_dir():  # botocore's listing of its data, read from memory in the sandbox (wasmhost_botocore)
            listing = {str(d.relative_to(data)): sorted(os.listdir(d)) for d in [data, *data.rglob("*")] if d.is_dir()}
            (data / BOTOCORE_INDEX).write_text(json.dumps(listing, separators=(",", ":")))
        for f in stand_ins:
            shutil.copyfile(f, dest / f.name)
    return staged(cache / "python-sdk", key, fill)


def bundled_sdk() -> Path | None:
    """The bundled boto3 folder (see ``_bundled_sdk``), looked up once per process."""
    return _bundled_sdk(cache_dir())
