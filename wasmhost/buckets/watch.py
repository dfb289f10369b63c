"""Watching bucket directories that other programs write into.

A file written by a camera, a logger or ``cp`` is an upload once it is complete,
never before. On Linux, inotify reports the writer's close (IN_CLOSE_WRITE) and
renames into the directory (IN_MOVED_TO): the two moments a file is known to be
whole, so it is delivered at once. A file that appears with neither (a hard link;
any file where inotify is missing and the directories are polled instead: other
systems, network file systems; a file found by a rescan) is delivered once its size
and mtime have not changed for ``settle_s``. A file that is modified and never closed
(a writer still at work) waits for its close. Directories are rescanned at start
(``reconcile``: whatever arrived while nothing watched is delivered, whatever
vanished is a removal) and every ``rescan_s``, which also covers events lost to an
inotify queue overflow.

One thread does it all: it reads inotify (inotify_simple: the system calls and the
event records, nothing more) in batches, ``BATCH_MS`` after the first event
(``BURST_MS`` while events come in bursts: the thread must take the GIL from the
event loop at every wake-up, so uploads through the API, which are inotify events
too, should wake it rarely), and decides on each event itself. watchdog did this before, at a price the PutObject
benchmark showed: four threads handed every event on (reader, move grouper,
emitter, dispatcher), ~300 µs of CPU and ~45 futex calls per upload through the API,
each of which is an inotify event too. Recursion (a watch per folder, added as
folders appear, dropped as they go) is the little this module adds. Our own uploads'
renames are recognised without a query (``Buckets.own``). Without inotify (not
Linux, ``polling=True``) the rescans are the polling: every ``min(1, settle_s / 2)`` s.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from .names import META_DIR
from .store import Buckets

log = logging.getLogger("wasmhost.buckets")

BATCH_MS = 2  # after an event, wait this long for more before reading: one wake-up per batch, not per event
BURST_MS = 10  # the same after a batch of at least BURST events: a dropped file still starts its function in ms
BURST = 16


# inotify(7)'s event bits as plain ints (inotify_simple's flags are an IntEnum: slower to read per event)
_MODIFY, _CLOSE_WRITE, _MOVED_FROM, _MOVED_TO, _CREATE, _DELETE = 0x2, 0x8, 0x40, 0x80, 0x100, 0x200
_Q_OVERFLOW, _IGNORED, _ISDIR = 0x4000, 0x8000, 0x40000000


class Watcher:
    """Watches the directories of the store's buckets (``watch(name)``) in its own
    thread; needs no event loop, so the embedded Host uses it as is."""

    def __init__(self, store: Buckets, *, settle_s: float = 2.0, rescan_s: float = 60.0,
                 polling: bool = False) -> None:
        self.store, self.settle_s, self.rescan_s = store, settle_s, rescan_s
        self.polling = polling
        self.on_delivered: Callable[[str, Path], None] | None = None  # tests and metrics
        self._q: queue.Queue[tuple[str, str, Path]] = queue.Queue()  # from other threads: scan, unwatch, stop
        self._pending: dict[Path, tuple[str, float, bool]] = {}  # path -> (bucket, last event, written to)
        self._buckets: dict[str, Path] = {}
        self._inotify: Any = None  # inotify_simple.INotify, made in start()
        self._wds: dict[int, tuple[str, str]] = {}  # watch descriptor -> (bucket, folder)
        self._folders: dict[str, int] = {}  # folder -> watch descriptor
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._next_rescan = 0.0
        self._draining = False  # a scan is reading inotify's events (_scan)

    def watch(self, bucket: str) -> None:
        """Watch a bucket's directory; what it holds already is reconciled first."""
        root = self.store.bucket_dir(bucket)
        if self._buckets.get(bucket) == root:
            return
        self._buckets[bucket] = root
        self._q.put(("watch", bucket, root))

    def unwatch(self, bucket: str) -> None:
        self._buckets.pop(bucket, None)
        self._q.put(("unwatch", bucket, Path()))

    def start(self) -> None:
        if not self.polling and sys.platform.startswith("linux"):
            try:
                from inotify_simple import INotify
                self._inotify = INotify()
            except (ImportError, OSError) as e:  # e.g. fs.inotify.max_user_instances reached
                log.warning("inotify is not available (%s): polling bucket directories every %.1f s", e,
                            self._poll_s())
        for bucket, root in self._buckets.items():  # watched when start() returns: no write from then is missed
            self._add_tree(bucket, str(root))  # (the thread scans them: the queued "watch")
        self._thread = threading.Thread(target=self._run, name="wasmhost-bucket-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._q.put(("stop", "", Path()))
            self._thread.join(10)
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _poll_s(self) -> float:
        return min(1.0, self.settle_s / 2)

    # -- the watcher's thread --------------------------------------------------------
    def _run(self) -> None:
        wait_s = min(0.25, self.settle_s / 4)
        delay = BATCH_MS
        while not self._stop.is_set():
            try:
                while True:  # what other threads asked for
                    try:
                        kind, bucket, path = self._q.get_nowait() if self._inotify is not None or not \
                            self._q.empty() else self._q.get(timeout=wait_s)
                    except queue.Empty:
                        break
                    if kind == "stop":
                        return
                    self._command(kind, bucket, path)
                if self._inotify is not None:
                    events = self._inotify.read(timeout=int(wait_s * 1000), read_delay=delay)
                    delay = BURST_MS if len(events) >= BURST else BATCH_MS
                    self._events(events)
                self._settle()
                if time.monotonic() >= self._next_rescan:
                    self._next_rescan = time.monotonic() + (self.rescan_s if self._inotify is not None
                                                            else self._poll_s())
                    for b, root in list(self._buckets.items()):
                        self._scan(b, root)
            except Exception:  # one bad file or a vanished bucket must not stop the watching
                log.exception("bucket watcher failed; watching on")

    def _command(self, kind: str, bucket: str, root: Path) -> None:
        if kind == "watch":
            if self._buckets.get(bucket) != root:
                return  # unwatched (or moved) meanwhile
            self._add_tree(bucket, str(root))
            self._scan(bucket, root)
        elif kind == "unwatch":
            for wd, (owner, _) in list(self._wds.items()):
                if owner == bucket:
                    self._drop(wd)
            for path, (b, _, _) in list(self._pending.items()):
                if b == bucket:
                    self._pending.pop(path, None)

    # -- inotify --------------------------------------------------------------------
    def _add_tree(self, bucket: str, top: str) -> None:
        """Watch a folder and every folder under it (not the bucket's own .wasmhost/)."""
        if self._inotify is None:
            return
        from inotify_simple import flags as f
        mask = f.CLOSE_WRITE | f.MOVED_TO | f.MOVED_FROM | f.CREATE | f.DELETE | f.MODIFY | f.DELETE_SELF
        root = str(self._buckets.get(bucket, ""))
        for folder, dirnames, _ in os.walk(top):
            if folder == root and META_DIR in dirnames:
                dirnames.remove(META_DIR)
            try:
                wd = self._inotify.add_watch(folder, mask)
            except OSError as e:  # e.g. fs.inotify.max_user_watches reached: the rescans still find its files
                log.warning("bucket %s: cannot watch %s (%s); relying on rescans every %.0f s", bucket, folder, e,
                            self.rescan_s)
                continue
            old = self._wds.get(wd)
            if old is not None:  # the same folder again (or moved): its new name wins
                self._folders.pop(old[1], None)
            self._wds[wd] = (bucket, folder)
            self._folders[folder] = wd

    def _drop(self, wd: int) -> None:
        bucket, folder = self._wds.pop(wd, ("", ""))
        self._folders.pop(folder, None)
        try:
            self._inotify.rm_watch(wd)
        except OSError:  # the kernel dropped it already (folder deleted)
            pass

    def _events(self, events: list[Any]) -> None:
        own = self.store.own
        for wd, mask, _, name in events:
            if mask & _Q_OVERFLOW:  # events were lost: look at everything again
                self._next_rescan = 0.0
                continue
            if mask & _IGNORED:  # the folder is gone (or unwatched)
                folder = self._wds.pop(wd, ("", ""))[1]
                if self._folders.get(folder) == wd:
                    del self._folders[folder]
                continue
            where = self._wds.get(wd)
            if where is None or not name:
                continue
            bucket, folder = where
            path = folder + "/" + name
            if mask & _ISDIR:
                if mask & _MOVED_FROM:  # a folder left: its watches go; the scan finds what vanished with it
                    for other, owd in list(self._folders.items()):
                        if other == path or other.startswith(path + "/"):
                            self._drop(owd)
                elif mask & (_CREATE | _MOVED_TO):  # a folder came, maybe full of files already
                    self._add_tree(bucket, path)
                root = self._buckets.get(bucket)
                if root is not None and mask & (_CREATE | _MOVED_TO | _MOVED_FROM | _DELETE):
                    self._scan(bucket, root)
            elif mask & (_CLOSE_WRITE | _MOVED_TO):
                if mask & _MOVED_TO and own(path):  # the echo of our own upload's rename (most events)
                    if self._pending:
                        self._pending.pop(Path(path), None)
                    continue
                self._handle("done", bucket, Path(path))
            elif mask & (_MOVED_FROM | _DELETE):
                self._handle("gone", bucket, Path(path))
            elif mask & _CREATE:
                self._handle("created", bucket, Path(path))
            elif mask & _MODIFY:
                self._handle("modified", bucket, Path(path))

    # -- deciding -----------------------------------------------------------------
    def _handle(self, kind: str, bucket: str, path: Path) -> None:
        if kind == "done":
            self._pending.pop(path, None)
            self._deliver(bucket, path)
        elif kind == "gone":
            self._pending.pop(path, None)
            self.store.gone(bucket, path)
        elif kind == "created":
            self._pending.setdefault(path, (bucket, time.monotonic(), False))
        else:  # modified: a writer is at work; its close delivers (or, polling, the settle rule)
            self._pending[path] = (bucket, time.monotonic(), True)

    def _deliver(self, bucket: str, path: Path) -> None:
        try:
            done = self.store.seen(bucket, path)
        except Exception as e:  # the bucket was deleted meanwhile, the disk failed...
            log.warning("bucket watcher: %s in %s not taken: %s", path, bucket, e)
            return
        if done is False:  # changed while hashed: not complete after all
            self._pending[path] = (bucket, time.monotonic(), True)
        elif done and self.on_delivered is not None:
            self.on_delivered(bucket, path)

    def _settle(self) -> None:
        now = time.monotonic()
        for path, (bucket, last, written) in list(self._pending.items()):
            if written and self._inotify is not None:
                continue  # inotify will tell us about the close
            if now - last < self.settle_s:
                continue
            try:
                st = path.stat()
            except OSError:
                self._pending.pop(path, None)
                continue
            if time.time() - st.st_mtime >= self.settle_s:
                del self._pending[path]
                self._deliver(bucket, path)

    def _scan(self, bucket: str, root: Path) -> None:
        if self._buckets.get(bucket) != root:
            return
        changed, vanished = self.store.differences(bucket)
        for p in vanished:
            self.store.gone(bucket, p)
        if changed and self._inotify is not None and not self._draining:
            # what inotify has said meanwhile first: a file a writer still holds open has had
            # its MODIFY reported, and must wait for its close, however old its mtime (a busy
            # machine can run this scan long after the write)
            self._draining = True
            try:
                self._events(self._inotify.read(timeout=0))
            finally:
                self._draining = False
        now = time.time()
        for p, mtime in changed:
            held = self._pending.get(p)
            if held is not None and held[2] and self._inotify is not None:
                continue  # being written: its close delivers it
            if now - mtime >= self.settle_s:
                self._pending.pop(p, None)
                self._deliver(bucket, p)
            else:
                self._pending.setdefault(p, (bucket, time.monotonic(), False))
