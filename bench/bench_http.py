"""HTTP benchmark: `wasmhost serve` against the plain aiohttp echo floor, with wrk.

    python bench/bench_http.py [--duration 5] [--reps 3] [--conns 1,16]

Each server runs pinned to CPU 0 and wrk to CPU 1 (taskset), each rep restarts
the servers and warms them up, reps are the outer loop so noise spreads over all
targets; the median rep is reported. Also measures the process start to the
first successful invoke with ten functions deployed. Needs `wrk` (Debian package).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ECHO_WAT = ROOT / "tests/guests/echo.wat"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ok(url: str, timeout: float = 30, data: bytes | None = None) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            time.sleep(0.005)
    raise RuntimeError(f"{url} never answered")


def taskset(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and os.cpu_count() and os.cpu_count() > 1 else []


def start_wasmhost(data: Path, port: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(taskset(0) + [PY, "-m", "wasmhost.cli", "--data-dir", str(data), "serve", "--port",
                                          str(port), *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def deploy(url: str, name: str) -> None:
    import wasmtime
    body = {"FunctionName": name, "Runtime": "wasm32", "Role": "r", "Handler": "echo.wasm",
            "Code": {"ZipFile": base64.b64encode(wasmtime.wat2wasm(ECHO_WAT.read_text())).decode()}}
    req = urllib.request.Request(url + "/2015-03-31/functions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=30).read()


WORKERD = ROOT / "bench/peers/node_modules/@cloudflare/workerd-linux-64/bin/workerd"


def start_workerd(port: int) -> subprocess.Popen:
    """Cloudflare's workerd serving the same echo guest (npm install --prefix bench/peers)."""
    import wasmtime
    cfg_dir = ROOT / "bench/peers/workerd"
    (cfg_dir / "echo.wasm").write_bytes(wasmtime.wat2wasm(ECHO_WAT.read_text()))
    return subprocess.Popen(taskset(0) + [str(WORKERD), "serve", "config.capnp", "--socket-addr",
                                          f"http=127.0.0.1:{port}"], cwd=cfg_dir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wrk(url: str, conns: int, duration: int) -> dict:
    cmd = taskset(1) + ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency", "-s", str(ROOT / "bench/post.lua"), url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v * {"us": 1, "ms": 1e3, "s": 1e6}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_us": pct("50"), "p99_us": pct("99"), "non2xx": int(errors.group(1)) if errors else 0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--conns", default="1,16")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    conns = [int(c) for c in args.conns.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="wasmhost-http-"))
    runs: dict[str, list[dict]] = {}
    startup = []
    # wasmhost_invoke_aiohttp: the same endpoint answered by aiohttp's route (--no-fast-path)
    targets = ["floor_aiohttp_echo", "wasmhost_invoke", "wasmhost_lambda_api", "wasmhost_invoke_aiohttp"]
    if WORKERD.exists():
        targets.append("workerd_wasm_echo")
    else:
        print(f"workerd: missing (npm install --prefix {ROOT / 'bench/peers'})", file=sys.stderr)
    for rep in range(args.reps):
        for target in targets:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            if target == "workerd_wasm_echo":
                proc = start_workerd(port)
                wait_ok(url + "/")
                path = "/"
            elif target == "floor_aiohttp_echo":
                proc = subprocess.Popen(taskset(0) + [PY, str(ROOT / "bench/aiohttp_echo.py"), str(port)])
                wait_ok(url + "/healthz")
                path = "/echo"
            else:
                data = tmp / f"data-{rep}-{target}"
                proc = start_wasmhost(data, port, *(["--no-fast-path"] if target == "wasmhost_invoke_aiohttp" else []))
                wait_ok(url + "/healthz")
                deploy(url, "echo")
                path = "/2015-03-31/functions/echo/invocations" if target == "wasmhost_lambda_api" else "/invoke/echo"
            try:
                wrk(url + path, 4, 2)  # warm-up
                for c in conns:
                    runs.setdefault(f"{target}.c{c}", []).append(wrk(url + path, c, args.duration))
            finally:
                proc.terminate()
                proc.wait(10)
        # start-up: ten functions in the registry, spawn to the first successful invoke
        data = tmp / f"startup-{rep}"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = start_wasmhost(data, port)
        wait_ok(url + "/healthz")
        for i in range(10):
            deploy(url, f"f{i}")
        proc.terminate()
        proc.wait(10)
        t0 = time.perf_counter()
        proc = start_wasmhost(data, port)
        wait_ok(url + "/invoke/f9", timeout=30, data=b"x")
        startup.append((time.perf_counter() - t0) * 1000)
        proc.terminate()
        proc.wait(10)

    results = {k: {m: statistics.median(r[m] for r in v) for m in v[0]} for k, v in runs.items()}
    print(f"\nwasmhost HTTP bench (wrk, 64-byte POST, {args.duration}s x {args.reps} reps, median)\n")
    print(f"{'target':34} {'req/s':>9} {'p50 µs':>9} {'p99 µs':>9} {'vs floor':>9}")
    for k, v in results.items():
        floor = results.get("floor_aiohttp_echo." + k.split(".")[1])
        ratio = v["rps"] / floor["rps"] if floor else 0
        print(f"{k:34} {v['rps']:9.0f} {v['p50_us']:9.0f} {v['p99_us']:9.0f} {ratio:8.2f}x"
              + (f"  non-2xx: {v['non2xx']:.0f}" if v["non2xx"] else ""))
    print(f"\nprocess start to first invoke, ten functions deployed: "
          f"median {statistics.median(startup):.0f} ms (all: {', '.join(f'{s:.0f}' for s in startup)})")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "startup_ms": startup,
                                         "workerd": "measured" if WORKERD.exists() else "missing"}, indent=2))


if __name__ == "__main__":
    main()
