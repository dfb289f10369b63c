"""The bucket watcher's decisions, driven by hand (no thread), so the orders a loaded
machine produces are reproduced exactly."""

import sys
import time

import pytest

from wasmhost.buckets import Buckets, Watcher

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


@pytest.fixture
def watched(tmp_path):
    from inotify_simple import INotify  # a declared dependency on Linux (pyproject.toml)
    store = Buckets(tmp_path / "data")
    store.create_bucket("cam")
    w = Watcher(store, settle_s=0.1)
    w._inotify = INotify()
    root = store.bucket_dir("cam")
    w._buckets["cam"] = root
    w._add_tree("cam", str(root))
    delivered: list[str] = []
    w.on_delivered = lambda bucket, path: delivered.append(path.name)
    yield w, root, delivered
    w._inotify.close()
    store.close()


def test_a_late_scan_leaves_a_file_still_open_to_its_close(watched):
    """A scan that runs long after a write (a busy machine delays the watcher's thread)
    sees an mtime older than the settle time; inotify has already said the file is being
    written, so it waits for the writer's close, and is delivered once, whole."""
    w, root, delivered = watched
    with open(root / "slow.bin", "wb") as f:
        f.write(b"a" * 10000)
        f.flush()
        time.sleep(0.3)  # three settle times, the events not yet read
        w._scan("cam", root)
        w._settle()
        assert delivered == []
        f.write(b"b" * 10000)
    w._events(w._inotify.read(timeout=1000))
    assert delivered == ["slow.bin"]
    w._scan("cam", root)
    assert delivered == ["slow.bin"]


def test_a_scan_delivers_a_settled_file_it_has_no_events_for(watched):
    w, root, delivered = watched
    (root / "copied.bin").write_bytes(b"c")
    w._events(w._inotify.read(timeout=1000))  # CREATE/MODIFY/CLOSE_WRITE: delivered at its close
    assert delivered == ["copied.bin"]
    w._inotify.rm_watch(w._folders[str(root)])  # unwatched: only a scan can find the next one
    (root / "found.bin").write_bytes(b"f")
    time.sleep(0.2)
    w._scan("cam", root)
    assert delivered == ["copied.bin", "found.bin"]
