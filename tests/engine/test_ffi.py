"""The raw C-API hot path against wasmtime-py's public API on the same module:
same results, same fuel, same memory effects."""

import wasmtime

from guestlib import guest
from wasmhost import Host


def _public_echo(engine, wat: str, payload: bytes, fuel: int):
    store = wasmtime.Store(engine)
    store.set_fuel(fuel)
    store.set_epoch_deadline(1 << 40)
    inst = wasmtime.Linker(engine).instantiate(store, wasmtime.Module(engine, wasmtime.wat2wasm(wat)))
    ex = inst.exports(store)
    p = ex["wasmhost_alloc"](store, len(payload))
    ex["memory"].write(store, payload, p)
    r = ex["wasmhost_handle"](store, p, len(payload))
    r &= (1 << 64) - 1
    out = ex["memory"].read(store, r >> 32, (r >> 32) + (r & 0xFFFFFFFF))
    return out, fuel - store.get_fuel(), ex["memory"].data_len(store)


def test_fast_path_matches_public_api(host):
    wat = guest("echo").read_text()
    host.deploy("echo", guest("echo"))
    for payload in (b"", b"a", b"x" * 64, bytes(range(256)) * 1000):
        res = host.invoke("echo", payload)
        out, fuel, mem = _public_echo(host.engine.wasmtime, wat, payload, 10**9)
        assert res.payload == out == payload
        assert res.report.fuel_used == fuel
        assert res.report.memory_bytes == mem


def test_fast_path_matches_public_api_on_cpu_work(host):
    wat = guest("burn").read_text()
    host.deploy("burn", guest("burn"))
    ev = (12345).to_bytes(4, "little")
    res = host.invoke("burn", ev)
    out, fuel, _ = _public_echo(host.engine.wasmtime, wat, ev, 10**9)
    assert res.payload == out and res.report.fuel_used == fuel


def test_memory_growth_inside_the_guest_refreshes_the_view(tmp_path):
    """The view is cached; a result written past the old end of memory must still be read."""
    with Host(tmp_path) as h:
        h.deploy("echo", guest("echo"))
        for size in (10, 70_000, 10, 300_000, 5):
            assert h.invoke("echo", b"z" * size).payload == b"z" * size


def test_private_wasmtime_py_use_is_all_in_ffi():
    """The README's claim: every private wasmtime-py name wasmhost touches is in
    engine/ffi.py, so a wasmtime upgrade is checked in one place."""
    import re
    from pathlib import Path

    import wasmhost
    root = Path(wasmhost.__file__).parent
    private = re.compile(r"wasmtime\._|from wasmtime(\.\w+)* import _|\._context\(\)|\._consume\(|_ffi\b")
    offenders = [f"{p.relative_to(root)}:{n}: {line.strip()}"
                 for p in root.rglob("*.py") if p.name != "ffi.py"
                 for n, line in enumerate(p.read_text().splitlines(), 1) if private.search(line)]
    assert offenders == []


def test_host_imports_find_their_instance_through_the_store(host):
    """No process-wide table of live sandboxes: an import's caller is found from its
    store's data, so a discarded instance leaves nothing behind."""
    from wasmhost import capabilities
    assert not hasattr(capabilities, "LIVE")
    host.deploy("h", guest("host_imports"))
    for _ in range(3):
        assert host.invoke("h", b"log").logs == "first line\nsecond line\n"
