"""Watching bucket directories that other programs write into.

A file written by a camera, a logger or ``cp`` is an upload once it is complete,
never before. On Linux, watchdog's inotify observer reports the writer's close
(IN_CLOSE_WRITE) and renames into the directory (IN_MOVED_TO): the two moments a
file is known to be whole, so it is delivered at once. A file that appears with
neither (a hard link; any file when inotify is not available and watchdog polls
instead, e.g. on other systems or network file systems; a file found by a
rescan) is delivered once its size and mtime have not changed for ``settle_s``.
A file that is modified and never closed (a writer still at work) waits for its
close. Directories are rescanned at start (``reconcile``: whatever arrived while
nothing watched is delivered, whatever vanished is a removal) and every
``rescan_s``, which also covers events lost to an inotify queue overflow.

watchdog rather than a hand-written inotify loop: it is well kept, recursive
watches on new subfolders and move pairing are handled, and it falls back to
polling where inotify is missing. watchfiles was the other candidate; it debounces
(≥ 50 ms) and reports no close-after-write, so it can neither meet the 50 ms
target nor tell a complete file from a growing one.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any, Callable

from .store import Buckets

log = logging.getLogger("wasmhost.buckets")


class Watcher:
    """Watches the directories of the store's buckets (``watch(name)``) in its
    own threads; needs no event loop, so the embedded Host uses it as is."""

    def __init__(self, store: Buckets, *, settle_s: float = 2.0, rescan_s: float = 60.0,
                 polling: bool = False) -> None:
        self.store, self.settle_s, self.rescan_s = store, settle_s, rescan_s
        self.polling = polling
        self.on_delivered: Callable[[str, Path], None] | None = None  # tests and metrics
        self._q: queue.Queue[tuple[str, str, Path]] = queue.Queue()
        self._pending: dict[Path, tuple[str, float, bool]] = {}  # path -> (bucket, last event, written to)
        self._buckets: dict[str, Path] = {}
        self._watches: dict[str, object] = {}  # bucket -> watchdog's ObservedWatch
        self._observer: Any = None  # watchdog's observer, made in start()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._next_rescan = 0.0

    def watch(self, bucket: str) -> None:
        """Watch a bucket's directory; what it holds already is reconciled first."""
        root = self.store.bucket_dir(bucket)
        if self._buckets.get(bucket) == root:
            return
        self._buckets[bucket] = root
        if self._observer is not None:
            self._schedule(bucket, root)
        self._q.put(("scan", bucket, root))

    def unwatch(self, bucket: str) -> None:
        self._buckets.pop(bucket, None)
        watch = self._watches.pop(bucket, None)
        if watch is not None and self._observer is not None:
            self._observer.unschedule(watch)
        for path, (b, _, _) in list(self._pending.items()):
            if b == bucket:
                self._pending.pop(path, None)

    def start(self) -> None:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver
        if self.polling:
            self._observer = PollingObserver(timeout=min(1.0, self.settle_s / 2))
        else:
            try:
                from watchdog.observers.inotify import InotifyObserver
                self._observer = InotifyObserver(generate_full_events=True)
            except (ImportError, OSError):  # not Linux: the platform's own, or polling
                self._observer = Observer()
        for bucket, root in self._buckets.items():
            self._schedule(bucket, root)
        self._observer.start()
        self._thread = threading.Thread(target=self._run, name="wasmhost-bucket-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(5)
        if self._thread is not None:
            self._q.put(("stop", "", Path()))
            self._thread.join(10)

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the observer's thread: translate, never block -----------------------------
    def _schedule(self, bucket: str, root: Path) -> None:
        try:
            self._add_watch(bucket, root)
        except OSError as e:  # e.g. fs.inotify.max_user_watches reached: the rescans still find its files
            log.warning("bucket %s: cannot watch %s (%s); relying on rescans every %.0f s", bucket, root, e,
                        self.rescan_s)

    def _add_watch(self, bucket: str, root: Path) -> None:
        from watchdog import events as ev

        put = self._q.put

        class Handler(ev.FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                kind = event.event_type
                if event.is_directory:
                    if kind in ("moved", "deleted"):  # a folder of files came or went at once
                        put(("scan", bucket, root))
                    return
                if kind == "closed":
                    put(("done", bucket, Path(event.src_path)))
                elif kind == "moved":
                    if event.src_path:
                        put(("gone", bucket, Path(event.src_path)))
                    if event.dest_path:
                        put(("done", bucket, Path(event.dest_path)))
                elif kind == "deleted":
                    put(("gone", bucket, Path(event.src_path)))
                elif kind in ("created", "modified"):
                    put((kind, bucket, Path(event.src_path)))

        # no IN_OPEN / IN_ACCESS / IN_CLOSE_NOWRITE: every read of an object would wake us
        wanted = [ev.FileCreatedEvent, ev.FileModifiedEvent, ev.FileClosedEvent, ev.FileMovedEvent,
                  ev.FileDeletedEvent, ev.DirMovedEvent, ev.DirDeletedEvent]
        self._watches[bucket] = self._observer.schedule(Handler(), str(root), recursive=True, event_filter=wanted)

    # -- the watcher's thread: decide and deliver ----------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                kind, bucket, path = self._q.get(timeout=min(0.25, self.settle_s / 4))
            except queue.Empty:
                kind = ""
            try:
                if kind == "stop":
                    return
                if kind:
                    self._handle(kind, bucket, path)
                self._settle()
                if time.monotonic() >= self._next_rescan and self._q.empty():
                    self._next_rescan = time.monotonic() + self.rescan_s
                    for b, root in list(self._buckets.items()):
                        self._scan(b, root)
            except Exception:  # one bad file or a vanished bucket must not stop the watching
                log.exception("bucket watcher: %s %s failed", kind, path)

    def _handle(self, kind: str, bucket: str, path: Path) -> None:
        if kind == "scan":
            self._scan(bucket, path)
        elif kind == "done":
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
            if written and not self.polling:
                continue  # inotify will tell us about the close
            if now - last < self.settle_s:
                continue
            try:
                st = path.stat()
            except OSError:
                self._pending.pop(path, None)
                continue
            if now - last >= self.settle_s and time.time() - st.st_mtime >= self.settle_s:
                del self._pending[path]
                self._deliver(bucket, path)

    def _scan(self, bucket: str, root: Path) -> None:
        if self._buckets.get(bucket) != root:
            return
        changed, vanished = self.store.differences(bucket)
        for p in vanished:
            self.store.gone(bucket, p)
        now = time.time()
        for p, mtime in changed:
            if now - mtime >= self.settle_s:
                self._deliver(bucket, p)
            else:
                self._pending.setdefault(p, (bucket, time.monotonic(), False))
