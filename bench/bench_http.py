"""HTTP benchmark: `wasmhost serve` against the plain aiohttp echo floor, with wrk.

    python bench/bench_http.py [--duration 2] [--reps 5] [--conns 1,16] [--before DIR]

Every server runs pinned to CPU 0 and wrk to CPU 1 (taskset). All servers are up at
once; each round loads every target in turn (alternating the order), and a target's
ratio to the plain aiohttp floor is taken within each round, then the median over
rounds is reported. Also measures the process start to the first successful invoke
with ten functions deployed, and the front end's own cost per request in process
(bench/http_inprocess.py: no sockets, no wrk, far less noise). ``--before DIR``: a tree
of the code before a change (``git archive REF | tar -x -C DIR``), measured in the same
run beside the current one. Needs `wrk` (Debian package).
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


def start_wasmhost(data: Path, port: int, *extra: str, tree: Path = ROOT, log: Path | None = None) -> subprocess.Popen:
    """``tree``: whose wasmhost package runs (the current one, or --before's); ``log``: where its output goes."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen(taskset(0) + [PY, "-m", "wasmhost.cli", "--data-dir", str(data), "serve", "--port",
                                          str(port), *extra], stdout=out, stderr=subprocess.STDOUT,
                            cwd=tree, env=env)


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


def start(target: str, tmp: Path, before: Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start one server; returns it and the URL to load. ``*_before``: the --before tree."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if target == "workerd_wasm_echo":
        proc = start_workerd(port)
        wait_ok(url + "/")
        return proc, url + "/"
    if target == "floor_aiohttp_echo":
        proc = subprocess.Popen(taskset(0) + [PY, str(ROOT / "bench/aiohttp_echo.py"), str(port)])
        wait_ok(url + "/healthz")
        return proc, url + "/echo"
    proc = start_wasmhost(tmp / f"data-{target}", port, *(["--no-fast-path"] if target == "wasmhost_invoke_aiohttp" else []),
                          tree=before if target.endswith("_before") and before else ROOT)
    wait_ok(url + "/healthz")
    deploy(url, "echo")
    lambda_api = target.startswith("wasmhost_lambda_api")
    return proc, url + ("/2015-03-31/functions/echo/invocations" if lambda_api else "/invoke/echo")


def in_process(tree: Path) -> dict:
    """bench/http_inprocess.py run against ``tree``'s wasmhost: µs per request."""
    out = subprocess.run(taskset(0) + [PY, str(ROOT / "bench/http_inprocess.py")], capture_output=True, text=True,
                         check=True, cwd=tree, env=dict(os.environ, PYTHONPATH=str(tree))).stdout
    return json.loads(out)


def startup_ms(tmp: Path, rep: int) -> float:
    """Ten functions in the registry; spawn to the first successful invoke."""
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
    ms = (time.perf_counter() - t0) * 1000
    proc.terminate()
    proc.wait(10)
    return ms


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=2, help="seconds per wrk run")
    ap.add_argument("--reps", type=int, default=5, help="rounds over all targets")
    ap.add_argument("--conns", default="1,16")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--before", type=Path, help="a tree of the code before a change, measured beside this one")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    conns = [int(c) for c in args.conns.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="wasmhost-http-"))
    runs: dict[str, list[dict]] = {}
    ratios: dict[str, list[float]] = {}
    # wasmhost_invoke_aiohttp: the same endpoint answered by aiohttp's route (--no-fast-path)
    targets = ["floor_aiohttp_echo", "wasmhost_invoke", "wasmhost_lambda_api", "wasmhost_invoke_aiohttp"]
    if args.before:
        targets += ["wasmhost_invoke_before", "wasmhost_lambda_api_before"]
    if WORKERD.exists():
        targets.append("workerd_wasm_echo")
    else:
        print(f"workerd: missing (npm install --prefix {ROOT / 'bench/peers'})", file=sys.stderr)
    # All servers run at once (idle but for the one under load), and each round loads
    # every target back to back, so a ratio compares runs seconds apart: this shared
    # machine's speed drifts by ±20 % over minutes.
    servers = {t: start(t, tmp, args.before) for t in targets}
    try:
        for _, url in servers.values():
            wrk(url, 4, 2)  # warm-up
        for rep in range(args.reps):
            for c in conns:
                order = targets if rep % 2 == 0 else targets[::-1]
                got = {t: wrk(servers[t][1], c, args.duration) for t in order}
                for t, r in got.items():
                    runs.setdefault(f"{t}.c{c}", []).append(r)
                    ratios.setdefault(f"{t}.c{c}", []).append(r["rps"] / got["floor_aiohttp_echo"]["rps"])
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(10)
    startup = [startup_ms(tmp, rep) for rep in range(3)]
    inproc = {"current": in_process(ROOT)} | ({"before": in_process(args.before)} if args.before else {})

    results = {k: {m: statistics.median(r[m] for r in v) for m in v[0]} | {"vs_floor": statistics.median(ratios[k])}
               for k, v in runs.items()}
    print(f"\nwasmhost HTTP bench (wrk, 64-byte POST, {args.duration}s x {args.reps} rounds, median; "
          f"vs floor: the median of each round's ratio)\n")
    print(f"{'target':34} {'req/s':>9} {'p50 µs':>9} {'p99 µs':>9} {'vs floor':>9} {'range':>12}")
    for k, v in results.items():
        lo, hi = min(ratios[k]), max(ratios[k])
        print(f"{k:34} {v['rps']:9.0f} {v['p50_us']:9.0f} {v['p99_us']:9.0f} {v['vs_floor']:8.2f}x {lo:5.2f}-{hi:.2f}x"
              + (f"  non-2xx: {v['non2xx']:.0f}" if v["non2xx"] else ""))
    print(f"\nprocess start to first invoke, ten functions deployed: "
          f"median {statistics.median(startup):.0f} ms (all: {', '.join(f'{s:.0f}' for s in startup)})")
    print("\nthe front end's own cost in process (parse, route, run the echo, write; CPU µs per request, best batch):")
    for tree, r in inproc.items():
        print(f"  {tree:8} " + "  ".join(f"{k} {v:.1f}" for k, v in r.items()))
    if args.json:
        args.json.write_text(json.dumps({"results": results, "startup_ms": startup, "in_process_us": inproc,
                                         "workerd": "measured" if WORKERD.exists() else "missing"}, indent=2))

if __name__ == "__main__":
    main()
