"""The cold-start benchmark suite behind `wasmhost bench`.

Every tier on its own, per guest kind: compile from .wasm, load the compiled artifact
from disk, instantiate (pooling and on-demand allocation), first invoke of a new
function, warm invoke, strict (fresh instance) invoke; beside peers measured in the
same run (a plain Python handler, the raw C-API floor, naive wasmtime-py, Extism,
process-per-invocation), with repeats, spread, machine information and ratios.
Results follow bench/schema.json; bench/report.py turns them into Markdown and charts.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import wasmtime

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from wasmhost import EngineSettings, FunctionConfig, Host  # noqa: E402
from wasmhost.engine import ffi  # noqa: E402

SCHEMA = "wasmhost-bench/1"
PAYLOAD = b'"' + b"x" * 62 + b'"'  # 64 bytes, valid JSON for the runtime kinds too
GUESTS = ROOT / "bench" / "guests"
KINDS = ("wat", "c", "rust", "assemblyscript", "large", "python", "javascript")
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
perf = time.perf_counter_ns


class Progress:
    def __init__(self, total: int, quiet: bool = False) -> None:
        self.total, self.done, self.quiet, self.t0 = total, 0, quiet, time.time()

    def step(self, label: str) -> None:
        self.done += 1
        if not self.quiet:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                             f"{time.time() - self.t0:5.0f}s {label[:48]:48}")
            sys.stderr.flush()

    def close(self) -> None:
        if not self.quiet:
            sys.stderr.write("\n")


def stats(runs: list[list[int]]) -> dict:
    """Statistics over all samples (ns) of all repeats, and the spread of the repeats."""
    allv = sorted(v for r in runs for v in r)
    q = lambda p: allv[min(len(allv) - 1, int(p * len(allv)))] / 1000  # noqa: E731
    p50s = [statistics.median(r) / 1000 for r in runs]
    med = statistics.median(p50s)
    return {"p50_us": q(0.5), "p90_us": q(0.9), "p99_us": q(0.99), "max_us": allv[-1] / 1000,
            "mean_us": statistics.fmean(allv) / 1000, "n": len(allv), "repeat_p50_us": p50s,
            "spread_pct": round(100 * (max(p50s) - min(p50s)) / med, 1) if med else 0.0,
            "quantiles_us": {str(p): q(p) for p in QUANTILES}}


def measure(fn, iters: int, warmup: int, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        for _ in range(warmup):
            fn()
        samples = []
        gc.disable()
        try:
            for _ in range(iters):
                t = perf()
                fn()
                samples.append(perf() - t)
        finally:
            gc.enable()
        runs.append(samples)
    return stats(runs)


def measure_instantiate(factory, iters: int, repeats: int) -> dict:
    """New sandboxes (instantiate and init), dropped after each repeat, not timed."""
    runs = []
    for _ in range(repeats):
        live, samples = [], []
        for _ in range(iters + 2):
            t = perf()
            live.append(factory())
            samples.append(perf() - t)
        for sb in live:
            sb.close()
        runs.append(samples[2:])  # the first two warm up
    return stats(runs)


def machine_info() -> dict:
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"python": sys.version.split()[0], "wasmtime": ffi.WASMTIME_VERSION, "machine": platform.machine(),
            "cpu": model, "cpus": os.cpu_count(), "loadavg_start": list(os.getloadavg()),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "platform": platform.platform()}


def large_module(functions: int = 3000, data_mb: int = 5) -> bytes:
    """An echo of at least 5 MB, shaped like a real application: ~1.3 MB of code in a
    few thousand functions (compile time grows with code) and 5 MB of initialised
    data (assets, tables: mapped copy-on-write at instantiation)."""
    ops = "".join(f" (i32.const {k}) (i32.add) (i32.const {k + 7}) (i32.mul) (i32.const {k * 3}) (i32.xor)"
                  for k in range(12))
    body = "".join(f'(func (export "f{i}") (param i32) (result i32) (local.get 0){ops})\n' for i in range(functions))
    pattern = "wasmhost-large-module-data-"
    data = (pattern * ((data_mb << 20) // len(pattern) + 1))[:data_mb << 20]
    pages = (65536 + len(data)) // 65536 + 2
    return bytes(wasmtime.wat2wasm(f"""(module
  (memory (export "memory") {pages})
  (data (i32.const 65536) "{data}")
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (memory.copy (i32.const 32768) (local.get $p) (local.get $n))
    (i64.or (i64.shl (i64.const 32768) (i64.const 32)) (i64.extend_i32_u (local.get $n))))
{body})"""))


def guest_source(kind: str, work: Path) -> tuple[Path | bytes | None, str | None]:
    """What to deploy for a kind, or (None, reason) when its toolchain is missing."""
    from wasmhost.build import BuildError, build
    try:
        if kind == "wat":
            return ROOT / "tests/guests/echo.wat", None
        if kind == "large":
            return large_module(), None
        if kind in ("python", "javascript"):
            src = GUESTS / ("echo.py" if kind == "python" else "echo.js")
            build(src)  # builds (once) and checks the runtime
            return src, None
        ext = {"c": "c", "rust": "rs", "assemblyscript": "ts"}[kind]
        return build(GUESTS / f"echo.{ext}", work / f"echo-{kind}.wasm"), None
    except BuildError as e:
        return None, str(e).splitlines()[0]


def kind_tiers(kind: str, source, host: Host, ondemand: Host, it: int, cold_it: int, rep: int,
               progress: Progress) -> dict:
    out: dict[str, dict] = {}
    runtime = kind in ("python", "javascript")
    host.deploy(f"{kind}-warm", source, FunctionConfig(min_warm=1))
    host.deploy(f"{kind}-strict", source, FunctionConfig(isolation="strict", min_warm=1))
    fn = host._functions[f"{kind}-warm"]
    if runtime:
        component = fn.abi.component
        wasm = None
        data = component.serialize()
    else:
        wasm = source if isinstance(source, bytes) else (
            wasmtime.wat2wasm(source.read_text()) if source.suffix == ".wat" else source.read_bytes())
        data = wasmtime.Module(host.engine.wasmtime, wasm).serialize()
    art = Path(tempfile.mkdtemp()) / "artifact"
    art.write_bytes(data)
    kind_cls = wasmtime.component.Component if runtime else wasmtime.Module
    counter = iter(range(10**9))

    def unique():  # the same code under a new hash: defeats every cache
        body = str(next(counter)).encode()
        return wasm + bytes([0, len(body) + 2, 1]) + b"n" + body

    if runtime:  # seconds per compile: measured once
        from wasmhost.runtimes import javascript, python
        comp_bytes = (python if kind == "python" else javascript).runtime_path().read_bytes()
        out["compile"] = measure(lambda: kind_cls(host.engine.wasmtime, comp_bytes), 1, 0, 1)
    else:  # the large module compiles for half a second: a few samples are enough
        n = 3 if kind == "large" else max(3, cold_it // 4)
        out["compile"] = measure(lambda: wasmtime.Module(host.engine.wasmtime, unique()), n, 1, rep)
    progress.step(f"{kind}: compile")
    out["load_cached"] = measure(lambda: kind_cls.deserialize_file(host.engine.wasmtime, str(art)), cold_it, 2, rep)
    progress.step(f"{kind}: load from cache")
    # a runtime component holds several core instances: keep well inside the pool's 1,000 slots
    n_inst = min(cold_it, 50) if runtime else cold_it
    if host.engine.pooling:  # else the on-demand figure below is the only one
        out["instantiate_pooling"] = measure_instantiate(fn._new_sandbox, n_inst, rep)
    ondemand.deploy(f"{kind}-od", source)
    out["instantiate_ondemand"] = measure_instantiate(ondemand._functions[f"{kind}-od"]._new_sandbox, n_inst, rep)
    progress.step(f"{kind}: instantiate")

    def first_invoke():
        name = f"{kind}-new-{next(counter)}"
        host.deploy(name, source)
        host.invoke(name, PAYLOAD)
        host.remove(name)
    out["first_invoke"] = measure(first_invoke, max(5, cold_it // 10) if kind == "large" else cold_it, 2, rep)
    progress.step(f"{kind}: first invoke")
    out["warm_invoke"] = measure(lambda: host.invoke(f"{kind}-warm", PAYLOAD), it, it // 10, rep)
    progress.step(f"{kind}: warm invoke")
    out["strict_invoke"] = measure(lambda: host.invoke(f"{kind}-strict", PAYLOAD),
                                   cold_it if runtime else it // 4, 2, rep)
    progress.step(f"{kind}: strict invoke")
    assert host.invoke(f"{kind}-warm", PAYLOAD).payload.strip() == PAYLOAD.strip()
    return out


def peer_tiers(host: Host, it: int, cold_it: int, rep: int, progress: Progress, doc: dict) -> None:
    import bench_core
    engine = host.engine.wasmtime
    module = wasmtime.Module(engine, wasmtime.wat2wasm((ROOT / "tests/guests/echo.wat").read_text()))
    peers = doc["peers"]

    def plain(payload=PAYLOAD):
        return bytes(payload)
    peers["python_handler_no_sandbox"] = measure(plain, it, it // 10, rep)
    peers["raw_c_api_floor"] = measure(bench_core.raw_echo(engine, module, gil_held=False), it, it // 10, rep)
    store = wasmtime.Store(engine)
    store.set_fuel(2**62)
    store.set_epoch_deadline(2**40)
    naive = bench_core.naive_echo(engine, store, wasmtime.Linker(engine).instantiate(store, module))
    peers["naive_wasmtime_py"] = measure(naive, max(200, it // 20), 50, rep)
    progress.step("peers: floors, naive wasmtime-py")
    try:
        import extism
        from extism.extism import CompiledPlugin
        wat = (GUESTS / "extism_echo.wat").read_text()
        manifest = {"wasm": [{"data": bytes(wasmtime.wat2wasm(wat))}]}
        compiled = CompiledPlugin(manifest, wasi=False)
        plugin = extism.Plugin(compiled)
        assert bytes(plugin.call("echo", PAYLOAD)) == PAYLOAD
        peers["extism_warm_call"] = measure(lambda: plugin.call("echo", PAYLOAD), max(500, it // 10), 100, rep)
        peers["extism_instantiate_and_call"] = measure(
            lambda: extism.Plugin(compiled).call("echo", PAYLOAD), cold_it, 2, rep)
    except Exception as e:  # not installed, or its API moved
        doc["missing"].append({"peer": "extism", "reason": f"{type(e).__name__}: {e}",
                               "install": "pip install extism==1.1.1"})
    progress.step("peers: extism")
    cmd = [sys.executable, "-c", "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read())"]
    peers["process_per_invocation"] = measure(
        lambda: subprocess.run(cmd, input=PAYLOAD, capture_output=True, check=True), max(5, cold_it // 5), 1, rep)
    progress.step("peers: process per invocation")


def http_tiers(doc: dict, duration: int, reps: int, progress: Progress) -> None:
    import shutil
    if not shutil.which("wrk"):
        doc["missing"].append({"peer": "http (wrk), with workerd", "reason": "wrk is not installed",
                               "install": "apt-get install wrk"})
        return
    proc = subprocess.run([sys.executable, str(ROOT / "bench/bench_http.py"), "--duration", str(duration),
                           "--reps", str(reps), "--json", str(Path(tempfile.mkdtemp()) / "http.json")],
                          capture_output=True, text=True)
    progress.step("http: wrk")
    if proc.returncode != 0:
        doc["missing"].append({"peer": "http (wrk)", "reason": proc.stderr.strip()[-300:], "install": ""})
        return
    path = Path(proc.args[-1])
    doc["http"] = json.loads(path.read_text())
    if doc["http"].get("workerd") != "measured":
        doc["missing"].append({"peer": "workerd", "reason": "its npm package is not installed",
                               "install": f"npm install --prefix {ROOT / 'bench/peers'}"})


def run(quick: bool = False, kinds: list[str] | None = None, http: bool = True, quiet: bool = False) -> dict:
    kinds = list(kinds or KINDS)
    it, cold_it, rep = (2000, 20, 2) if quick else (20000, 200, 3)
    progress = Progress(len(kinds) * 6 + 3 + (1 if http else 0), quiet)
    doc: dict = {"schema": SCHEMA, "meta": machine_info(),
                 "settings": {"quick": quick, "iterations": it, "cold_iterations": cold_it, "repeats": rep,
                              "payload_bytes": len(PAYLOAD)},
                 "kinds": {}, "peers": {}, "missing": [], "ratios": {}}
    work = Path(tempfile.mkdtemp(prefix="wasmhost-bench-"))
    # Deploys load the runtimes compiled by earlier runs (the compile tier always compiles).
    from wasmhost.build import cache_dir
    artifacts = cache_dir().parent / "bench-artifacts"
    host = Host(work / "pooled", engine=EngineSettings(allocator="auto"), cache_dir=artifacts)
    ondemand = Host(work / "ondemand", engine=EngineSettings(allocator="ondemand"), cache_dir=artifacts)
    doc["meta"]["pooling"] = host.engine.pooling
    try:
        peer_tiers(host, it, cold_it, rep, progress, doc)
        for kind in kinds:
            source, why = guest_source(kind, work)
            if source is None:
                doc["missing"].append({"peer": f"guest kind {kind}", "reason": why, "install": ""})
                for _ in range(6):
                    progress.step(f"{kind}: missing")
                continue
            doc["kinds"][kind] = kind_tiers(kind, source, host, ondemand, it, cold_it, rep, progress)
        if http:
            http_tiers(doc, *((1, 1) if quick else (2, 3)), progress)
        else:
            doc["missing"].append({"peer": "http tier (aiohttp floor, wasmhost, workerd)",
                                   "reason": "skipped (--no-http)", "install": ""})
    finally:
        progress.close()
        host.close()
        ondemand.close()
    floor = doc["peers"]["raw_c_api_floor"]["p50_us"]
    for kind, tiers in doc["kinds"].items():
        doc["ratios"][f"{kind}.warm_invoke/raw_c_api_floor"] = tiers["warm_invoke"]["p50_us"] / floor
        doc["ratios"][f"{kind}.first_invoke/warm_invoke"] = tiers["first_invoke"]["p50_us"] / tiers["warm_invoke"]["p50_us"]
    if "wat" in doc["kinds"]:
        warm = doc["kinds"]["wat"]["warm_invoke"]["p50_us"]
        for peer, v in doc["peers"].items():
            doc["ratios"][f"{peer}/wasmhost_warm_invoke"] = v["p50_us"] / warm
    doc["meta"]["loadavg_end"] = list(os.getloadavg())
    return doc
