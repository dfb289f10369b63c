"""Core host benchmark: warm, strict and cold-start tiers, each beside the raw
C-API floor and naive wasmtime-py measured in the same run.

    python bench/bench_core.py [--iters 20000] [--json out.json]

Per-call latencies (perf_counter_ns around each call), after a warm-up; p50/p99
in microseconds; ratios against the floor of the same run. The guest is the
64-byte echo of tests/guests/echo.wat; wasmhost runs it with limits and metering
on (fuel budget, 500 ms timeout, 64 MB cap, report and ledger per invocation).
This is a benchmark, not a test: the machines are shared and noisy, so read the
ratios, and run it twice before believing a regression.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import platform
import sys
import tempfile
import time
from ctypes import c_int32, c_uint32, c_uint64, c_void_p
from pathlib import Path

import wasmtime

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wasmhost import EngineSettings, FunctionConfig, Host  # noqa: E402
from wasmhost.engine import ffi  # noqa: E402

import suite  # noqa: E402  (bench/suite.py)

ECHO_WAT = (ROOT / "tests/guests/echo.wat").read_text()
PAYLOAD = b"x" * 64
CFG = dict(memory_mb=64, timeout_ms=500, fuel=50_000_000)
perf = time.perf_counter_ns


def measure(fn, iters: int, warmup: int) -> dict:
    """One repeat of suite.measure: per-call samples after a warm-up, GC off."""
    return suite.measure(fn, iters, warmup, 1)


# -- floors: the raw C API with nothing of wasmhost around it ------------------------
def raw_echo(engine: wasmtime.Engine, module: wasmtime.Module, gil_held: bool):
    """alloc + write + handle + read through wasmtime_func_call_unchecked from ctypes:
    the limit for a host calling the C API from Python (DESIGN.md: ~2.2 µs here).
    wasmhost's warm path goes below it where its C extension is built (one C call,
    engine/_warmcall.c): a ratio under 1 is that."""
    store = wasmtime.Store(engine)
    store.set_fuel(2**62)
    store.set_epoch_deadline(2**40)
    inst = wasmtime.Linker(engine).instantiate(store, module)
    ex = inst.exports(store)
    keep = (ex["wasmhost_alloc"], ex["wasmhost_handle"], ex["memory"], store, inst)
    call = ffi.func_call_gil if gil_held else ffi.func_call
    ctx = c_void_p(ffi.addr(store._context()))
    args = (ffi.ValRaw * 2)()
    args_p = ffi.ptr(args)
    a0, a1, a0u, r64 = (c_int32.from_buffer(args), c_int32.from_buffer(args, 16),
                        c_uint32.from_buffer(args), c_uint64.from_buffer(args))
    trap = c_void_p()
    trap_p = ffi.ptr(trap)
    fa, fh = ffi.ptr(keep[0]._func), ffi.ptr(keep[1]._func)
    mp = ffi.ptr(keep[2]._memory)
    size = ffi.memory_data_size(ctx, mp)
    view = memoryview((ctypes.c_ubyte * size).from_address(ffi.memory_data(ctx, mp))).cast("B")

    def echo(payload=PAYLOAD):
        n = len(payload)
        a0.value = n
        call(ctx, fa, args_p, 2, trap_p)
        p = a0u.value
        view[p:p + n] = payload
        a0.value = p
        a1.value = n
        call(ctx, fh, args_p, 2, trap_p)
        r = r64.value
        return bytes(view[r >> 32:(r >> 32) + (r & 0xFFFFFFFF)])

    echo.keep = keep  # type: ignore[attr-defined]
    assert echo() == PAYLOAD
    return echo


def naive_echo(engine, store, inst):
    """What wasmtime-py's public API gives you: Func.__call__, Memory.read/write."""
    ex = inst.exports(store)
    alloc, handle, mem = ex["wasmhost_alloc"], ex["wasmhost_handle"], ex["memory"]

    def echo(payload=PAYLOAD):
        p = alloc(store, len(payload))
        mem.write(store, payload, p)
        r = handle(store, p, len(payload)) & (2**64 - 1)
        return mem.read(store, r >> 32, (r >> 32) + (r & 0xFFFFFFFF))

    assert echo() == PAYLOAD
    return echo


def raw_fresh(engine: wasmtime.Engine, pre: wasmtime.InstancePre):
    """A new store + instance per call, raw C API, then the echo (strict floor)."""
    eptr, preptr = ffi.engine_ptr(engine), ffi.instance_pre_ptr(pre)
    idx = {e.name: i for i, e in enumerate(pre.module.exports)}

    def run(payload=PAYLOAD):
        store = c_void_p(ffi.store_new(eptr, None, None))
        ctx = c_void_p(ffi.store_context(store))
        ffi.set_fuel(ctx, c_uint64(2**62))
        ffi.set_epoch_deadline(ctx, c_uint64(2**40))
        inst, trap = ffi.InstanceRaw(), c_void_p()
        ffi.instance_pre_instantiate(preptr, ctx, ffi.ptr(inst), ffi.ptr(trap))
        ext = {}
        np, nl = c_void_p(), ctypes.c_size_t()
        for name in ("wasmhost_alloc", "wasmhost_handle", "memory"):
            e = ffi.Extern()
            ffi.instance_export_nth(ctx, ffi.ptr(inst), idx[name], ffi.ptr(np), ffi.ptr(nl), ffi.ptr(e))
            ext[name] = e
        args = (ffi.ValRaw * 2)()
        c_int32.from_buffer(args).value = len(payload)
        ffi.func_call(ctx, ffi.ptr(ext["wasmhost_alloc"].of.func), ffi.ptr(args), 2, ffi.ptr(trap))
        p = c_uint32.from_buffer(args).value
        mp = ffi.ptr(ext["memory"].of.memory)
        base = ffi.memory_data(ctx, mp)
        ctypes.memmove(base + p, payload, len(payload))
        c_int32.from_buffer(args, 16).value = len(payload)
        ffi.func_call(ctx, ffi.ptr(ext["wasmhost_handle"].of.func), ffi.ptr(args), 2, ffi.ptr(trap))
        r = c_uint64.from_buffer(args).value
        out = ctypes.string_at(base + (r >> 32), r & 0xFFFFFFFF)
        ffi.store_delete(store)
        return out

    assert run() == PAYLOAD
    return run


def naive_fresh(engine, pre):
    def run():
        store = wasmtime.Store(engine)
        store.set_fuel(2**62)
        store.set_epoch_deadline(2**40)
        return naive_echo_once(store, pre.instantiate(store))

    return run


def naive_echo_once(store, inst):
    ex = inst.exports(store)
    p = ex["wasmhost_alloc"](store, len(PAYLOAD))
    ex["memory"].write(store, PAYLOAD, p)
    r = ex["wasmhost_handle"](store, p, len(PAYLOAD)) & (2**64 - 1)
    return ex["memory"].read(store, r >> 32, (r >> 32) + (r & 0xFFFFFFFF))


def python_tiers(results: dict, tmp: Path, iters: int, cold_iters: int) -> None:
    """First response of a new Python function from the cached runtime, and warm calls."""
    try:
        from wasmhost.runtimes import python
        python.componentize_py()
    except Exception as e:
        results["python.missing"] = {"reason": str(e)}
        return
    app = tmp / "pyapp" / "app.py"
    app.parent.mkdir(parents=True, exist_ok=True)
    app.write_text("def handler(event, context):\n    return event\n")
    data = tmp / "pyhost"
    with Host(data) as h:  # builds the runtime if needed and puts its compiled artifact on disk
        h.deploy("warmup", app)
        h.invoke("warmup", b"{}")
    counter = iter(range(10**9))

    def new_host_first_response():
        with Host(data) as h:  # the compiled runtime comes from the artifact cache on disk
            h.deploy("f", app)
            assert h.invoke("f", b'{"a": 1}').payload == b'{"a": 1}'
    results["python.first_response_new_host_cached_runtime"] = measure(new_host_first_response, cold_iters, 1)
    with Host(data) as h:
        h.deploy("warm", app)

        def same_host_new_function():
            name = f"p{next(counter)}"
            h.deploy(name, app)
            assert h.invoke(name, b'{"a": 1}').payload == b'{"a": 1}'
            h.remove(name)
        results["python.first_response_same_host"] = measure(same_host_new_function, cold_iters, 2)
        results["python.warm_invoke"] = measure(lambda: h.invoke("warm", b'{"a": 1}'), iters, 50)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iters", type=int, default=20000)
    ap.add_argument("--cold-iters", type=int, default=300)
    ap.add_argument("--warm-instances", type=int, default=1000)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--no-python", action="store_true", help="skip the Python runtime tiers")
    args = ap.parse_args()
    it, warm = args.iters, max(200, args.iters // 10)
    results: dict[str, dict] = {}
    tmp = Path(tempfile.mkdtemp(prefix="wasmhost-bench-"))

    host = Host(tmp / "host", engine=EngineSettings(pool_slots=args.warm_instances + 200))
    engine = host.engine.wasmtime
    wasm = wasmtime.wat2wasm(ECHO_WAT)
    module = wasmtime.Module(engine, wasm)

    # ---- warm invoke -----------------------------------------------------------------
    host.deploy("echo", wasm, FunctionConfig(**CFG, min_warm=1))
    assert host.invoke("echo", PAYLOAD).payload == PAYLOAD
    store = wasmtime.Store(engine)
    store.set_fuel(2**62)
    store.set_epoch_deadline(2**40)
    naive = naive_echo(engine, store, wasmtime.Linker(engine).instantiate(store, module))
    floor = raw_echo(engine, module, gil_held=False)
    floor_gil = raw_echo(engine, module, gil_held=True)
    inv = host.invoke
    # interleave the contenders so that machine noise spreads over all of them
    for _rep in range(3):
        for name, fn in (("warm.floor_raw_c_api", floor), ("warm.floor_raw_c_api_gil_held", floor_gil),
                         ("warm.wasmhost", lambda: inv("echo", PAYLOAD)), ("warm.naive_wasmtime_py", naive)):
            n = it if "naive" not in name else max(1000, it // 10)
            r = measure(fn, n, warm)
            if name not in results or r["p50_us"] < results[name]["p50_us"]:
                results[name] = r  # best of 3 repeats: the least disturbed

    # ---- strict (fresh instance per invocation) ---------------------------------------
    host.deploy("strict", wasm, FunctionConfig(**CFG, isolation="strict"))
    pre = wasmtime.Linker(engine).instantiate_pre(module)
    for _rep in range(3):
        for name, fn in (("strict.floor_raw_c_api", raw_fresh(engine, pre)),
                         ("strict.wasmhost", lambda: inv("strict", PAYLOAD)),
                         ("strict.naive_wasmtime_py", naive_fresh(engine, pre))):
            r = measure(fn, max(1000, it // 4), warm // 4)
            if name not in results or r["p50_us"] < results[name]["p50_us"]:
                results[name] = r

    # ---- cold-start tiers -------------------------------------------------------------
    cache_file = tmp / "echo.cwasm"
    cache_file.write_bytes(module.serialize())
    counter = iter(range(10**9))

    def unique_wasm() -> bytes:  # same code, new hash: defeats every cache
        name = b"n"
        body = str(next(counter)).encode()
        return wasm + bytes([0, len(name) + len(body) + 1, len(name)]) + name + body

    ci = args.cold_iters
    results["cold.compile_from_wasm"] = measure(lambda: wasmtime.Module(engine, unique_wasm()), ci, 10)
    results["cold.load_from_cache"] = measure(lambda: wasmtime.Module.deserialize_file(engine, str(cache_file)), ci, 10)
    results["cold.instantiate_naive"] = measure(lambda: pre.instantiate(wasmtime.Store(engine)), ci, 10)
    fn = host._functions["echo"]
    sbs = []
    results["cold.instantiate_wasmhost"] = measure(lambda: sbs.append(fn._new_sandbox()), ci, 10)
    for sb in sbs:
        sb.close()

    def first_invoke(cached: bool):
        def run():
            name = f"f{next(counter)}"
            host.deploy(name, wasm if cached else unique_wasm(), FunctionConfig(**CFG))
            assert host.invoke(name, PAYLOAD).payload == PAYLOAD
            host.remove(name)
        return run

    results["cold.first_invoke_cached_artifact"] = measure(first_invoke(True), ci, 10)
    results["cold.first_invoke_uncached"] = measure(first_invoke(False), ci, 10)

    # ---- Python functions (CPython runtime component) ---------------------------------
    if not args.no_python:
        python_tiers(results, tmp, max(100, it // 20), max(10, ci // 10))

    # ---- 1,000 warm instances ---------------------------------------------------------
    n = args.warm_instances
    gc.collect()
    before = rss_mb()
    t = perf()
    host.deploy("many", wasm, FunctionConfig(memory_mb=64, min_warm=n, max_concurrency=n))
    prewarm_s = (perf() - t) / 1e9
    gc.collect()
    after = rss_mb()
    results["memory.warm_instances"] = {"instances": n, "rss_added_mb": round(after - before, 1),
                                        "kb_per_instance": round((after - before) * 1024 / n, 1),
                                        "prewarm_s": round(prewarm_s, 3)}
    host.close()

    w, s_ = results, results
    ratios = {
        "warm.wasmhost / floor": w["warm.wasmhost"]["p50_us"] / w["warm.floor_raw_c_api"]["p50_us"],
        "warm.naive / wasmhost": w["warm.naive_wasmtime_py"]["p50_us"] / w["warm.wasmhost"]["p50_us"],
        "warm.floor gil-held / gil-released": w["warm.floor_raw_c_api_gil_held"]["p50_us"] / w["warm.floor_raw_c_api"]["p50_us"],
        "strict.wasmhost / floor": s_["strict.wasmhost"]["p50_us"] / s_["strict.floor_raw_c_api"]["p50_us"],
        "strict.naive / wasmhost": s_["strict.naive_wasmtime_py"]["p50_us"] / s_["strict.wasmhost"]["p50_us"],
    }
    meta = {"python": sys.version.split()[0], "wasmtime": ffi.WASMTIME_VERSION, "machine": platform.machine(),
            "cpus": os.cpu_count(), "loadavg": os.getloadavg(), "pooling": host.engine.pooling,
            "iters": it, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    print(f"\nwasmhost core bench  {meta}\n")
    print(f"{'tier':42} {'p50 µs':>10} {'p99 µs':>10} {'n':>7}")
    for k, v in results.items():
        if "p50_us" in v:
            print(f"{k:42} {v['p50_us']:10.2f} {v['p99_us']:10.2f} {v['n']:7d}")
    print()
    for k, v in results.items():
        if "p50_us" not in v:
            print(f"{k:42} {v}")
    print()
    for k, v in ratios.items():
        print(f"ratio {k:36} {v:6.2f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "results": results, "ratios": ratios}, indent=2))


if __name__ == "__main__":
    main()
