"""The compiled-artifact cache: hits, and corrupt / truncated / foreign files
detected and rebuilt without crashing the host."""

import wasmtime

from guestlib import guest
from wasmhost import EngineSettings, Host
from wasmhost.engine.cache import checksum, sidecar


def _artifacts(h):
    return sorted(h.cache.dir.glob("*.cwasm"))


def test_second_host_loads_from_cache(tmp_path):
    with Host(tmp_path) as h:
        assert not h.deploy("echo", guest("echo")).from_cache
        assert len(_artifacts(h)) == 1
    with Host(tmp_path) as h:
        assert h.deploy("echo", guest("echo")).from_cache
        assert h.invoke("echo", b"hit").payload == b"hit"
        assert h.cache.rebuilt == 0


def _damage_and_redeploy(tmp_path, damage):
    with Host(tmp_path) as h:
        h.deploy("echo", guest("echo"))
        (path,) = _artifacts(h)
    damage(path)
    with Host(tmp_path) as h:
        info = h.deploy("echo", guest("echo"))
        assert not info.from_cache and h.cache.rebuilt == 1
        assert h.invoke("echo", b"ok").payload == b"ok"
        (again,) = _artifacts(h)
    with Host(tmp_path) as h:  # the rebuilt artifact is good
        assert h.deploy("echo", guest("echo")).from_cache


def test_truncated_artifact_is_rebuilt(tmp_path):
    _damage_and_redeploy(tmp_path, lambda p: p.write_bytes(p.read_bytes()[:100]))


def test_bit_flipped_artifact_is_rebuilt(tmp_path):
    def flip(p):
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))
    _damage_and_redeploy(tmp_path, flip)


def test_missing_checksum_is_rebuilt(tmp_path):
    _damage_and_redeploy(tmp_path, lambda p: sidecar(p).unlink())


def test_foreign_artifact_with_valid_checksum_is_rebuilt(tmp_path):
    """An artifact from an engine with other settings, put under our key with a
    matching checksum: Wasmtime refuses it, and we rebuild."""
    other = wasmtime.Engine()  # no fuel, no epochs: incompatible code
    foreign = wasmtime.Module(other, wasmtime.wat2wasm(guest("echo").read_text())).serialize()

    def swap(p):
        p.write_bytes(foreign)
        sidecar(p).write_text(checksum(foreign))
    _damage_and_redeploy(tmp_path, swap)


def test_garbage_artifact_is_rebuilt(tmp_path):

    def garbage(p):
        p.write_bytes(b"\x7fELF" + b"\0" * 4000)
        sidecar(p).write_text(checksum(b"\x7fELF" + b"\0" * 4000))
    _damage_and_redeploy(tmp_path, garbage)


def test_cache_key_includes_engine_settings(tmp_path):
    with Host(tmp_path, engine=EngineSettings(allocator="ondemand")) as h:
        h.deploy("echo", guest("echo"))
        fp1 = h.engine.fingerprint
    with Host(tmp_path, engine=EngineSettings(allocator="ondemand", max_wasm_stack=256 * 1024)) as h:
        assert not h.deploy("echo", guest("echo")).from_cache
        assert h.engine.fingerprint != fp1
        assert len(_artifacts(h)) == 2


def test_unwritable_cache_costs_speed_not_correctness(tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache directory should be")
    with Host(tmp_path) as h:
        h.cache.dir = blocked  # every write now fails with an OSError (even as root)
        h.deploy("echo", guest("echo"))
        assert h.invoke("echo", b"x").payload == b"x"
