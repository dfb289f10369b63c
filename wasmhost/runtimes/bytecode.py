"""Bytecode for the Python code functions import, compiled once by the sandbox's CPython.

Packages installed for functions (the bundled boto3, each ``requirements.txt``) are
mounted read-only, so the guest cannot cache the bytecode of what it imports: every
new instance compiled botocore's sources again (2-4 s for ``import boto3``, longer
than Lambda's default 3 s timeout allows). The host's own ``.pyc`` files are for its
own Python version, not the guest's 3.12, so the guest compiles them itself: once per
folder, the first time a function needs it, the runtime is started with that folder
mounted writable and a module that runs ``compileall`` as it is imported. A
``.wasmhost-bytecode`` file marks the folder done; a failure only leaves the folder
as it was (imports compile from source, as before).

The compile runs on a thread of its own (boto3's takes ~12 s, a minute on a loaded
machine): a deploy waits for it only when its code will import that folder (its own
requirements; boto3 when its code names boto3 or botocore), so the first deploy of a
host is not held up by a package it does not use. Instances that import the folder
meanwhile compile from source, as before; they read it while the compile writes, which
is safe because CPython writes each ``.pyc`` to a temporary name and renames it.

The same holds for the standard library mounted at ``/python`` (only the modules the
runtime's build imported are in its snapshot: a handler importing ``asyncio``,
``xml.dom`` or ``email.mime`` compiled them again in every new instance, seconds of
cold start), and for a function's own staged code and merged layers (one folder per
content hash). Those compile in the background and are never waited for: the first
instance compiles what it imports from source, as before, and the next ones (more
concurrency, a restart, a new ``Host``) load bytecode. The compile job runs only
``compileall`` (which reads, never runs, the code) with the folder writable; every
function's instances see it read-only.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path

from ..config import FunctionConfig

MARK = ".wasmhost-bytecode-2"  # -2: folders marked before the whole-write fix below are compiled again
# The sandbox's file writes may be partial (at most 64 KiB a call): importlib writes a
# ``.pyc`` with a single ``write`` and, short, drops it, so every module whose bytecode
# passed 64 KiB (botocore's credentials, handlers and utils; ssl; dateutil's parser...)
# was compiled from source again by every new instance (~0.4 s of ``import boto3``).
# The job writes each file whole, as a loop of writes.
JOB = """import compileall, os
import importlib._bootstrap_external as bootstrap


def write_whole(path, data, mode=0o666):
    tmp = f"{path}.{id(path)}"
    fd = os.open(tmp, os.O_EXCL | os.O_CREAT | os.O_WRONLY, mode & 0o666)
    try:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


bootstrap._write_atomic = write_whole
compileall.compile_dir(os.environ["WASMHOST_COMPILE"], quiet=2, workers=1)
def handler(event, context):
    return None
"""


_jobs: dict[Path, threading.Thread] = {}  # folder -> its compile (one per folder and process)
_lock = threading.Lock()


def compile_folder(folder: Path, guest_dir: str, engine, component, stdlib: Path, grants, wait: bool = True) -> None:
    """Compile every ``.py`` under ``folder`` (mounted at ``guest_dir``) to the
    guest's ``__pycache__`` layout, unless it was done before; on a thread, waited
    for if ``wait``."""
    if (folder / MARK).exists():
        return
    with _lock:
        job = _jobs.get(folder)
        if job is None:
            job = _jobs[folder] = threading.Thread(target=_compile, name="wasmhost-bytecode", daemon=True,
                                                   args=(folder, guest_dir, engine, component, stdlib, grants))
            job.start()
    if wait:
        job.join()


def source_bytes(root: Path) -> int:
    """Bytes of a staged code folder as its user sent it: the bytecode compiled into
    it here (``__pycache__``, the mark) is the host's, not part of the code's size."""
    return sum(f.stat().st_size for f in root.rglob("*")
               if f.is_file() and f.name != MARK and "__pycache__" not in f.relative_to(root).parts)


def imports(code: Path, names: tuple[str, ...]) -> bool:
    """Whether a function's Python code (its vendored packages included) names any of
    ``names`` (a text search: a miss only means its import compiles from source)."""
    words = tuple(n.encode() for n in names)
    for f in code.rglob("*.py"):
        try:
            text = f.read_bytes()
        except OSError:
            continue
        if any(w in text for w in words):
            return True
    return False


def _compile(folder: Path, guest_dir: str, engine, component, stdlib: Path, grants) -> None:
    from ..abi.component import RuntimeABI
    log = logging.getLogger("wasmhost")
    log.info("compiling %s to the sandbox's bytecode, once, in the background (boto3: ~12 s)", folder)
    config = FunctionConfig(memory_mb=1024, timeout_ms=600_000, runtime="python3.12")
    with tempfile.TemporaryDirectory(prefix="wasmhost-bytecode-") as job:
        (Path(job) / "wasmhost_compile.py").write_text(JOB)
        # the job's module at /var/task, or beside a function's code being compiled there (on sys.path)
        mounts = [(job, "/var/task" if guest_dir != "/var/task" else "/var/task/.wasmhost-compile")]
        if guest_dir != "/python":
            mounts.append((str(stdlib), "/python"))
        mounts.append((str(folder), guest_dir))
        abi = RuntimeABI("python", engine, component, "wasmhost_compile.handler", config, grants=grants,
                         mounts=mounts, writable=(guest_dir,))
        try:
            abi.instantiate(2**62, 2**40, 600 * 10**9, {"function_name": "wasmhost-bytecode",
                                                                "env": {"WASMHOST_COMPILE": guest_dir}}).close()
        except Exception as e:  # noqa: BLE001 - the folder still works, compiled on import instead
            if folder.is_dir():  # (a closing Host's temporary code folder may be gone already)
                log.warning("compiling %s to bytecode failed: %s", folder, e)
            return
    (folder / MARK).write_text("compiled by the sandbox's CPython\n")
