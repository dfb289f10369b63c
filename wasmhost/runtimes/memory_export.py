"""A runtime component's linear memory size, made visible to the host.

Lambda reports ``Max Memory Used`` for every invocation. A core module exports its
memory, but a component keeps its core memories inside, and neither the component
model nor Wasmtime's C API (wasmtime-py 50) reaches them; CPython and
StarlingMonkey have no way to ask ``memory.size`` from Python or JavaScript code
either. So each runtime component, right after componentize-py / componentize-js
built it, gets one more export appended to its top level::

    (core module $m (import "env" "memory" (memory 0))
                    (func (export "pages") (result i32) memory.size))
    (core instance $mem (export "memory" (memory M)))   ;; M: the memory `handle` is lifted with
    (core instance $i (instantiate $m (with "env" (instance $mem))))
    (func (export "wasmhost-memory-pages") (canon lift (core func $i "pages")))  ;; () -> u32

The host calls it after each invocation; memory never shrinks, so its size is the
instance's high-water mark, as for core modules. Only the top-level sections are
read (indices counted per index space), the 20 MB of core code is copied as it is,
so the rewrite takes milliseconds. No wasm-tools binary is needed.
"""

from __future__ import annotations

EXPORT = "wasmhost-memory-pages"

# (module (import "env" "memory" (memory 0)) (func (export "pages") (result i32) memory.size))
PAGES_MODULE = bytes.fromhex(
    "0061736d01000000"  # magic, version 1
    "0105016000017f"  # type section: () -> i32
    "020f0103656e76066d656d6f7279020000"  # import "env" "memory" (memory 0)
    "03020100"  # function section: one function of type 0
    "070901057061676573" "0000"  # export "pages" (func 0)
    "0a0601" "04003f000b")  # code: no locals; memory.size 0; end

CORE_MODULE, CORE_INSTANCE, CORE_TYPE, COMPONENT, INSTANCE, ALIAS, TYPE, CANON, START, IMPORT, EXPORT_SEC = \
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
# sorts: core sorts follow 0x00; component sorts are one byte
CORE_FUNC, CORE_MEMORY, CORE_MODULE_SORT, CORE_INSTANCE_SORT = 0x00, 0x02, 0x11, 0x12
FUNC, VALUE, TYPE_SORT, COMPONENT_SORT, INSTANCE_SORT = 0x01, 0x02, 0x03, 0x04, 0x05


class ComponentFormatError(ValueError):
    pass


def _leb(b: bytes, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        x = b[i]
        i += 1
        result |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return result, i


def _u32(n: int) -> bytes:
    out = bytearray()
    while True:
        x = n & 0x7F
        n >>= 7
        out.append(x | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _name(s: str) -> bytes:
    raw = s.encode()
    return _u32(len(raw)) + raw


def _section(sid: int, body: bytes) -> bytes:
    return bytes([sid]) + _u32(len(body)) + body


class _Counts:
    """How many items each top-level index space holds, and what the lifts use."""

    def __init__(self) -> None:
        self.space: dict[tuple[int, int], int] = {}  # (core?, sort) -> count
        self.lift_memory: dict[int, int | None] = {}  # component func index -> core memory of its lift
        self.exports: dict[str, tuple[int, int]] = {}  # name -> (sort, index)

    def add(self, core: int, sort: int) -> int:
        key = (core, sort)
        n = self.space.get(key, 0)
        self.space[key] = n + 1
        return n


def _sort(b: bytes, i: int) -> tuple[int, int, int]:
    if b[i] == 0x00:
        return 1, b[i + 1], i + 2
    return 0, b[i], i + 1


def _skip_name(b: bytes, i: int) -> tuple[str, int]:
    n, i = _leb(b, i)
    return b[i:i + n].decode("utf-8", "replace"), i + n


def _extern_name(b: bytes, i: int) -> tuple[str, int]:
    tag = b[i]
    if tag not in (0x00, 0x01):
        raise ComponentFormatError(f"unknown import/export name form 0x{tag:02x}")
    name, i = _skip_name(b, i + 1)
    if tag == 0x01:  # a version suffix follows
        _, i = _skip_name(b, i)
    return name, i


def _externdesc(b: bytes, i: int) -> tuple[int, int, int]:
    """(core?, sort, next) of an externdesc."""
    tag = b[i]
    if tag == 0x00:  # core module
        _, i = _leb(b, i + 2)
        return 1, CORE_MODULE_SORT, i
    if tag in (0x01, 0x04, 0x05):
        _, i = _leb(b, i + 1)
        return 0, tag, i
    if tag in (0x02, 0x03):  # value / type bound: a tag then an index (or 0x01 alone: sub resource)
        sub = b[i + 1]
        if tag == 0x03 and sub == 0x01:
            return 0, TYPE_SORT, i + 2
        _, i = _leb(b, i + 2)
        return 0, tag, i
    raise ComponentFormatError(f"unknown externdesc 0x{tag:02x}")


def _scan(data: bytes) -> _Counts:
    if data[:8] != b"\x00asm\x0d\x00\x01\x00":
        raise ComponentFormatError("not a WebAssembly component (layer 1, version 0x0d)")
    c = _Counts()
    i = 8
    while i < len(data):
        sid = data[i]
        size, j = _leb(data, i + 1)
        end = j + size
        if sid == CORE_MODULE:
            c.add(1, CORE_MODULE_SORT)
        elif sid == COMPONENT:
            c.add(0, COMPONENT_SORT)
        elif sid in (CORE_INSTANCE, CORE_TYPE, INSTANCE, TYPE):
            n, _ = _leb(data, j)
            key = {CORE_INSTANCE: (1, CORE_INSTANCE_SORT), CORE_TYPE: (1, 0x10), INSTANCE: (0, INSTANCE_SORT),
                   TYPE: (0, TYPE_SORT)}[sid]
            c.space[key] = c.space.get(key, 0) + n
        elif sid == ALIAS:
            n, k = _leb(data, j)
            for _ in range(n):
                core, sort, k = _sort(data, k)
                target = data[k]
                if target in (0x00, 0x01):
                    _, k = _leb(data, k + 1)
                    _, k = _skip_name(data, k)
                elif target == 0x02:
                    _, k = _leb(data, k + 1)
                    _, k = _leb(data, k)
                else:
                    raise ComponentFormatError(f"unknown alias target 0x{target:02x}")
                c.add(core, sort)
        elif sid == CANON:
            n, k = _leb(data, j)
            for _ in range(n):
                op = data[k]
                if op == 0x00:  # lift: 0x00 core-func opts type
                    _, k = _leb(data, k + 2)
                    k, memory = _opts(data, k)
                    _, k = _leb(data, k)
                    c.lift_memory[c.add(0, FUNC)] = memory
                elif op == 0x01:  # lower: 0x00 func opts
                    _, k = _leb(data, k + 2)
                    k, _m = _opts(data, k)
                    c.add(1, CORE_FUNC)
                elif op in (0x02, 0x03, 0x04):  # resource.new / drop / rep
                    _, k = _leb(data, k + 1)
                    c.add(1, CORE_FUNC)
                else:
                    raise ComponentFormatError(f"unsupported canonical function 0x{op:02x}")
        elif sid == IMPORT:
            n, k = _leb(data, j)
            for _ in range(n):
                _, k = _extern_name(data, k)
                core, sort, k = _externdesc(data, k)
                c.add(core, sort)
        elif sid == EXPORT_SEC:
            n, k = _leb(data, j)
            for _ in range(n):
                name, k = _extern_name(data, k)
                core, sort, k = _sort(data, k)
                idx, k = _leb(data, k)
                if data[k] == 0x01:
                    _, _, k = _externdesc(data, k + 1)
                else:
                    k += 1
                new = c.add(core, sort)  # an export is a new item in its index space
                if not core:
                    c.exports[name] = (sort, idx)
                    if sort == FUNC and idx in c.lift_memory:
                        c.lift_memory[new] = c.lift_memory[idx]
        elif sid == START:
            raise ComponentFormatError("a component start function is not supported")
        i = end
    return c


def _opts(b: bytes, k: int) -> tuple[int, int | None]:
    n, k = _leb(b, k)
    memory = None
    for _ in range(n):
        op = b[k]
        k += 1
        if op == 0x03:
            memory, k = _leb(b, k)
        elif op in (0x04, 0x05, 0x07):
            _, k = _leb(b, k)
        elif op not in (0x00, 0x01, 0x02, 0x06):
            raise ComponentFormatError(f"unknown canonical option 0x{op:02x}")
    return k, memory


def add_memory_export(data: bytes, lifted_with: str = "handle") -> bytes:
    """``data`` with the export ``wasmhost-memory-pages: func() -> u32`` appended: the
    size in 64 KiB pages of the core memory that the export ``lifted_with`` uses."""
    c = _scan(data)
    if EXPORT in c.exports:
        return data
    sort, idx = c.exports.get(lifted_with, (None, None))
    if sort != FUNC or idx not in c.lift_memory or c.lift_memory[idx] is None:
        raise ComponentFormatError(f"the component exports no function '{lifted_with}' lifted with a memory")
    memory = c.lift_memory[idx]
    module = c.space.get((1, CORE_MODULE_SORT), 0)
    inst = c.space.get((1, CORE_INSTANCE_SORT), 0)
    core_func = c.space.get((1, CORE_FUNC), 0)
    ftype = c.space.get((0, TYPE_SORT), 0)
    func = c.space.get((0, FUNC), 0)
    assert memory is not None
    out = bytearray(data)
    out += _section(CORE_MODULE, PAGES_MODULE)
    out += _section(CORE_INSTANCE, _u32(2)
                    + b"\x01" + _u32(1) + _name("memory") + bytes([CORE_MEMORY]) + _u32(memory)
                    + b"\x00" + _u32(module) + _u32(1) + _name("env") + bytes([CORE_INSTANCE_SORT]) + _u32(inst))
    out += _section(ALIAS, _u32(1) + b"\x00" + bytes([CORE_FUNC]) + b"\x01" + _u32(inst + 1) + _name("pages"))
    out += _section(TYPE, _u32(1) + b"\x40" + _u32(0) + b"\x00\x79")  # func() -> u32
    out += _section(CANON, _u32(1) + b"\x00\x00" + _u32(core_func) + _u32(0) + _u32(ftype))
    out += _section(EXPORT_SEC, _u32(1) + b"\x00" + _name(EXPORT) + bytes([FUNC]) + _u32(func) + b"\x00")
    return bytes(out)


def patch_file(path) -> None:
    """Rewrite a built runtime component in place with the memory export."""
    from pathlib import Path
    p = Path(path)
    p.write_bytes(add_memory_export(p.read_bytes()))
