"""Compiled artifacts on disk, so a module is compiled once per engine setting.

The key is the module's sha256, the engine fingerprint (settings and the wasmtime
version) and nothing else. Each artifact has a ``.sum`` sidecar with its CRC-32 and
size: a truncated or bit-flipped file would otherwise be mapped as machine code.
(CRC-32, not a cryptographic hash: the threat is a damaged disk, and anyone who can
write the artifact can write its sidecar; it checks 33 MB in ~10 ms, sha256 in ~22.) A file that
fails the check or that Wasmtime refuses (built by another version or configuration)
is deleted and rebuilt. Writes go to a temporary name and are renamed into place, so
a crash mid-write never leaves a half file under the real name.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import Callable

import wasmtime

from .engine import Engine



def _warn(message: str, *args: object) -> None:
    import logging  # rare paths: not loaded with ``import wasmhost``
    logging.getLogger("wasmhost.cache").warning(message, *args)


def checksum(data: bytes) -> str:
    return f"crc32:{zlib.crc32(data):08x}:{len(data)}"


def _checksum_file(path: Path) -> str:
    crc, size = 0, 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
    return f"crc32:{crc:08x}:{size}"


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sum")


def _write_atomic(path: Path, data: bytes) -> None:
    import tempfile
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class ArtifactCache:
    """``load_or_compile`` returns a module and says whether it came from disk."""

    def __init__(self, directory: Path | str | None, engine: Engine) -> None:
        self.engine = engine
        self.dir = Path(directory) if directory is not None else None
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)
        self.rebuilt = 0  # artifacts found bad and rebuilt (for tests and metrics)

    def path_for(self, module_sha256: str, component: bool = False) -> Path | None:
        if self.dir is None:
            return None
        return self.dir / f"{module_sha256[:32]}-{self.engine.fingerprint}.{'ccomp' if component else 'cwasm'}"

    def load_or_compile(self, wasm: "bytes | Callable[[], bytes]", module_sha256: str,
                        component: bool = False) -> tuple[object, bool]:
        """A ``wasmtime.Module`` (or ``wasmtime.component.Component``) and whether it
        came from disk. ``wasm`` may be a callable, read only when there is no
        artifact (a 20 MB runtime need not be read to be found). Compiling a large
        component takes seconds: it is logged."""
        if component:
            from wasmtime.component import Component  # only runtimes need it (~27 ms to import)
        kind = Component if component else wasmtime.Module
        path = self.path_for(module_sha256, component)
        if path is not None:
            module = self._load(path, kind)
            if module is not None:
                return module, True
        if callable(wasm):
            wasm = wasm()
        if len(wasm) > 1 << 20:  # ~0.6 s per MB here: a runtime component takes 8-16 s
            from ..progress import step
            with step(f"compiling {len(wasm) / 2**20:.1f} MB of WebAssembly (once; cached afterwards)",
                      len(wasm) / 2**20 * 0.6):
                module = kind(self.engine.wasmtime, wasm)
        else:
            module = kind(self.engine.wasmtime, wasm)
        if path is not None:
            self._store(path, module)
        return module, False

    def _load(self, path: Path, kind) -> object | None:
        if not path.exists():
            return None
        try:
            expected = sidecar(path).read_text().strip()
            # The sidecar may also hold the artifact's size and mtime when it was checked:
            # unchanged since, the file is not read again (33 ms for a language runtime).
            checksum_part, _, stamp = expected.partition(" ")
            st = path.stat()
            if stamp != f"{st.st_size}:{st.st_mtime_ns}":
                if _checksum_file(path) != checksum_part:
                    raise ValueError("checksum mismatch (truncated or corrupt)")
                try:
                    _write_atomic(sidecar(path), f"{checksum_part} {st.st_size}:{st.st_mtime_ns}".encode())
                except OSError:  # a read-only cache: checked in full each time
                    pass
            return kind.deserialize_file(self.engine.wasmtime, str(path))
        except (OSError, ValueError, wasmtime.WasmtimeError) as e:
            _warn("discarding cached artifact %s: %s", path.name, e)
            self.rebuilt += 1
            for p in (path, sidecar(path)):
                try:
                    p.unlink()
                except OSError:
                    pass
            return None

    def _store(self, path: Path, module) -> None:
        try:
            data = module.serialize()
            _write_atomic(path, data)
            _write_atomic(sidecar(path), checksum(bytes(data)).encode())
        except OSError as e:  # a read-only or full disk costs speed, never correctness
            _warn("could not cache artifact %s: %s", path.name, e)
