"""`wasmhost serve --workers N` (issue 15): req/s of `/invoke` at c=16 with wrk, for
two workers against one, and against node's own `http` echo server (no sandbox,
one process) of the same run.

    python bench/bench_workers.py [--duration 3] [--reps 5] [--conns 16] [--workers 2] [--before DIR]

Targets (all up at once, idle but for the one under load; each round loads every
target in turn, alternating the order, and ratios are taken within a round, then the
median over rounds): ``wasmhost_w1`` (``--workers 1``), ``wasmhost_wN``
(``--workers N``), ``node_http_echo``. Nothing is pinned: the workers are meant to
use every core, and wrk (one thread) shares them, as a client on the same machine
would. The machine's load average is printed with the results: this is a shared
machine and its other load moves every figure. So it also reports requests per
second of the server's own CPU time (its processes' user + system time over the run,
read from /proc), which the other sessions' load does not move: what one core given
wholly to the server would answer. ``--before DIR``: a tree of the code before a
change (``git archive REF | tar -x -C DIR``), its one and N workers measured in the
same rounds (``*_before``). Needs `wrk` and `node`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http import PY, ROOT, deploy, free_port, wait_ok, wrk  # noqa: E402


def cpu_s(pid: int) -> float:
    """User + system seconds of ``pid`` and its children (a supervisor's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    for t in Path(f"/proc/{pid}/task").iterdir():
        try:  # threads come and go (a native epoch tick is a thread of its own)
            pids += [int(c) for c in (t / "children").read_text().split()]
        except OSError:
            continue
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(") ", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def start(target: str, tmp: Path, workers: int, before: Path | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if target == "node_http_echo":
        proc = subprocess.Popen(["node", str(ROOT / "bench/node_echo.js"), str(port)])
        wait_ok(url + "/", data=b"x")
        return proc, url + "/"
    n = 1 if target.startswith("wasmhost_w1") else workers
    tree = before if target.endswith("_before") and before is not None else ROOT
    proc = subprocess.Popen([PY, "-m", "wasmhost.cli", "--data-dir", str(tmp / target), "serve", "--port", str(port),
                             "--workers", str(n)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tree,
                            env=dict(os.environ, PYTHONPATH=str(tree)))
    wait_ok(url + "/healthz", timeout=120)
    deploy(url, "echo")
    for _ in range(200):  # every worker has restored or synced the function
        wait_ok(url + "/invoke/echo", data=b"x")
    return proc, url + "/invoke/echo"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    ap.add_argument("--reps", type=int, default=5, help="rounds over all targets")
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--before", type=Path, help="a tree of the code before a change, measured in the same rounds")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    for tool in ("wrk", "node"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing")
    tmp = Path(tempfile.mkdtemp(prefix="wasmhost-workers-"))
    wn = f"wasmhost_w{args.workers}"
    targets = ["wasmhost_w1", wn, "node_http_echo"] + (["wasmhost_w1_before", f"{wn}_before"] if args.before else [])
    load_before = os.getloadavg()
    servers = {t: start(t, tmp, args.workers, args.before and args.before.resolve()) for t in targets}
    runs: dict[str, list[dict]] = {t: [] for t in targets}
    ratios: dict[str, list[float]] = {f"{wn}/wasmhost_w1": [], f"{wn}/node_http_echo": [],
                                      "wasmhost_w1/node_http_echo": []}
    if args.before:
        ratios |= {f"{wn}/{wn}_before": [], "wasmhost_w1/wasmhost_w1_before": [],
                   f"{wn}_before/node_http_echo": []}
    try:
        for _, url in servers.values():
            wrk(url, 4, 2)  # warm-up
        for rep in range(args.reps):
            order = targets if rep % 2 == 0 else targets[::-1]
            got = {}
            for t in order:
                before = cpu_s(servers[t][0].pid)
                got[t] = wrk(servers[t][1], args.conns, args.duration)
                got[t]["per_cpu_s"] = got[t]["rps"] * args.duration / max(1e-9, cpu_s(servers[t][0].pid) - before)
            for t, r in got.items():
                runs[t].append(r)
            for k in [k for k in ratios if "(" not in k]:
                a, b = k.split("/")
                ratios[k].append(got[a]["rps"] / got[b]["rps"])
                if a.startswith("wasmhost") and b.startswith("wasmhost"):  # the load-robust one: CPU per request
                    ratios.setdefault(f"{k} (req/CPU-s)", []).append(got[a]["per_cpu_s"] / got[b]["per_cpu_s"])
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()
    results = {t: {m: statistics.median(r[m] for r in v) for m in v[0]} for t, v in runs.items()}
    print(f"\nwasmhost serve --workers (wrk -t1 -c{args.conns}, 64-byte POST, {args.duration}s x {args.reps} rounds, "
          f"median)\n")
    print(f"{'target':18} {'req/s':>9} {'p50 µs':>9} {'p99 µs':>9} {'non-2xx':>8} {'req/CPU-s':>10}")
    for t, v in results.items():
        print(f"{t:18} {v['rps']:9.0f} {v['p50_us']:9.0f} {v['p99_us']:9.0f} {v['non2xx']:8.0f} "
              f"{v['per_cpu_s']:10.0f}")
    print()
    for k, v in ratios.items():
        print(f"{k:34} {statistics.median(v):5.2f}x  (rounds {min(v):.2f}-{max(v):.2f}x)")
    print(f"\nload average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
          f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f} on {os.cpu_count()} CPUs")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "ratios": {k: statistics.median(v)
                                                                        for k, v in ratios.items()},
                                         "load": {"before": load_before, "after": load_after}}, indent=2))


if __name__ == "__main__":
    main()
