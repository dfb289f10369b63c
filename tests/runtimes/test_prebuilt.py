"""Which runtime a deploy uses: a prebuilt one only while its sources are the ones it was
built from, checked by modification time after the first read (every deploy asks)."""

from __future__ import annotations

import os
from pathlib import Path

from wasmhost.runtimes import listing, prebuilt


def _sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("b.py", "a.py"):
        (src / name).write_text(f"# {name}\n")
    return src


def _touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_listing_is_sorted_and_sees_files_added_and_removed(tmp_path):
    src = _sources(tmp_path)
    assert [p.name for p in listing(src, "*.py")] == ["a.py", "b.py"]
    (src / "c.py").write_text("")
    _touch_later(src)  # a file system with coarse timestamps: the folder's time still moves
    assert [p.name for p in listing(src, "*.py")] == ["a.py", "b.py", "c.py"]
    (src / "a.py").unlink()
    _touch_later(src)
    assert [p.name for p in listing(src, "*.py")] == ["b.py", "c.py"]
    listing(src, "*.py").clear()  # a caller's copy: the remembered listing is not changed
    assert len(listing(src, "*.py")) == 2


def test_a_prebuilt_runtime_is_used_only_while_its_sources_are_unchanged(tmp_path):
    src = _sources(tmp_path)
    built = tmp_path / "runtime.wasm"
    built.write_bytes(b"\0asm")
    where = tmp_path / "prebuilt"
    inputs = listing(src, "*.py")
    shipped = prebuilt.write("demo", built, inputs, "tool 1", where)
    assert prebuilt.find("demo", inputs, where) == shipped
    assert prebuilt.find("demo", inputs, where) == shipped  # asked again: answered from memory
    (src / "a.py").write_text("# edited\n")
    _touch_later(src / "a.py")
    assert prebuilt.find("demo", inputs, where) is None  # an edited source is rebuilt, never ignored
    (src / "a.py").write_text("# a.py\n")
    _touch_later(src / "a.py")
    assert prebuilt.find("demo", inputs, where) == shipped  # the same content again
    shipped.unlink()
    assert prebuilt.find("demo", inputs, where) is None
    assert prebuilt.find("other", inputs, where) is None  # no manifest for that runtime
