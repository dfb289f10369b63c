"""Where instances' ``/tmp`` folders live on the host, and how a killed process's are
found again.

Each instance's ``/tmp`` is a folder of the host's disk, removed when the instance
goes. A process that is killed (SIGKILL, the OOM killer, a power cut) removes nothing,
and a server that restarts all day would fill the disk with the ``/tmp`` of instances
long gone. So every process keeps its instances' folders in one folder of its own,
``<system temp>/wasmhost-<random>/``, holding ``owner.lock`` locked (``flock``) for as
long as the process lives; the kernel drops the lock however the process ends. The
first process to make its folder removes every other ``wasmhost-*`` folder whose lock
it can take: no process holds it, so nothing can be using it. A lock, not a pid: pids
are reused, and processes in other pid namespaces (containers) may share the temp
folder.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from pathlib import Path

PREFIX = "wasmhost-"
LOCK = "owner.lock"

_root: Path | None = None
_owner = 0  # the pid that made _root: a forked child makes its own
_lock_fd = -1  # open for the process's life: closing it would drop the lock
_mutex = threading.Lock()


def _take(lock: Path) -> int | None:
    """The lock's file descriptor, locked, or None if another process holds it."""
    import fcntl
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except OSError:
        os.close(fd)
        return None


def sweep(parent: Path) -> list[Path]:
    """Remove the folders of processes that are gone; returns them."""
    removed = []
    for folder in parent.glob(PREFIX + "*"):
        if folder == _root or not (folder / LOCK).is_file():
            continue
        fd = _take(folder / LOCK)
        if fd is None:
            continue  # its process lives
        try:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            os.close(fd)
    return removed


def process_root() -> Path:
    """This process's folder for its instances' ``/tmp``, made (and the dead swept) on
    first use."""
    global _root, _owner, _lock_fd
    with _mutex:
        if _root is not None and _owner == os.getpid():
            return _root
        parent = Path(tempfile.gettempdir())
        # made under a name sweeps do not look at, locked, then renamed into view: a sweep
        # never sees it unlocked (the lock is the file's, and the file keeps it when renamed)
        making = Path(tempfile.mkdtemp(prefix="." + PREFIX, dir=parent))
        (making / LOCK).touch()
        fd = _take(making / LOCK)  # None only where flock is not supported: then nothing is swept either
        root = making.with_name(making.name[1:])
        os.rename(making, root)
        _root, _owner, _lock_fd = root, os.getpid(), -1 if fd is None else fd
        try:
            sweep(parent)
        except OSError:
            pass  # a stale folder we may not remove is no reason to refuse to run
        return root


@atexit.register
def _remove_own() -> None:
    """On a normal exit, the process's folder goes with it (its instances' are gone by now)."""
    if _root is not None and _owner == os.getpid():
        shutil.rmtree(_root, ignore_errors=True)


def instance_dir() -> str:
    """A new, empty folder for one instance's ``/tmp``."""
    return tempfile.mkdtemp(prefix="tmp-", dir=process_root())
