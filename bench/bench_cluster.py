"""Async events across a three-node cluster on loopback, against one node of the same run.

    python bench/bench_cluster.py [--events 10000] [--functions 6] [--rounds 3] [--json FILE]

Each round:

* **one node** (the baseline): ``wasmhost serve`` on SQLite; N ``Event`` invocations
  of the 64-byte echo function, 64 at a time over keep-alive connections;
* **cluster**: three ``nats-server`` (JetStream, R3; one Go scheduler each, as
  servers sharing a machine should run: idle schedulers spin), three ``wasmhost serve
  --cluster`` nodes and HAProxy (deploy/haproxy/haproxy.cfg); the same N events
  through HAProxy, spread over ``--functions`` names (HAProxy hashes on the name).

Accepted → executed per second is the events accepted (202) over the time from the
first send to the end of the last run, as the ledger (the cluster's: ``/wasmhost/logs``
answers from the stream) records it, once the ledger counts them all. The client is
wrk (bench/events.lua: C, one thread), so the load generator is not what is measured:
a Python client used ~0.3 ms of CPU per event, a third of the budget on 2 cores.

The CPU each process used per event (user + system, from /proc and wrk's rusage) says
where the time goes: everything runs on this one machine, so the cluster pays for its
replication here without gaining machines, and the ratio to the same run's single
node is the figure to read beside the rate.

Then, once: synchronous invocations through HAProxy from 8 threads while one node is
killed with SIGKILL; reported: failed requests and the window from the first failure
to the last (HAProxy's health checks take the node out).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "cluster"), str(ROOT / "tests")]
from loopback import Cluster, get, wait_for  # noqa: E402

from live import Server, create, lambda_client  # noqa: E402

CONCURRENCY = 64
WRK = shutil.which("wrk") or "/usr/bin/wrk"


def send_events(url: str, functions: int, n: int) -> tuple[dict, float]:
    """N ``Event`` invocations of echo0..echo{functions-1} with wrk; its counts and CPU seconds."""
    env = dict(os.environ, WRK_FUNCTIONS=str(functions), WRK_EVENTS=str(n))
    proc = subprocess.Popen([WRK, "-t1", f"-c{CONCURRENCY}", "-d600s", "-s", str(ROOT / "bench" / "events.lua"),
                             url + "/"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert proc.stdout is not None
    out = ""
    for line in iter(proc.stdout.readline, b""):
        out += line.decode()
        if line == b"quota\n":  # its thread stopped; its main thread sleeps until -d is over
            proc.send_signal(signal.SIGINT)
    _, status, usage = os.wait4(proc.pid, 0)  # wait4: the child's own CPU time
    proc.returncode = status
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if status or not lines:
        raise RuntimeError(f"wrk failed: {out}")
    return json.loads(lines[-1]), usage.ru_utime + usage.ru_stime


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def invocations(url: str) -> int:
    return get(f"{url}/wasmhost/totals")["invocations"]


def last_run_ended(url: str, names: list[str]) -> float:
    """When the newest run of any of ``names`` ended (Unix seconds), from the ledger."""
    end = 0.0
    for name in names:
        for r in get(f"{url}/wasmhost/logs?function={name}&limit=1")["reports"]:
            end = max(end, r["started_at"] + r["duration_ms"] / 1000)
    return end


def run_events(url: str, ledger_url: str, names: list[str], n: int, pids: dict[str, int]) -> dict:
    base = invocations(ledger_url)
    before = {k: cpu_s(p) for k, p in pids.items()}
    t0 = time.time()
    counts, wrk_cpu = send_events(url, len(names), n)
    accept_s = time.time() - t0
    if counts["other"] or counts["socket_errors"]:
        print(f"  (not accepted: {counts['other']} answers other than 202, {counts['socket_errors']} socket errors)")
    accept_cpu = sum(cpu_s(p) - before[k] for k, p in pids.items()) + wrk_cpu
    deadline = time.time() + 600
    while invocations(ledger_url) < base + counts["accepted"]:  # (each look reads the ledger: not too often)
        if time.time() > deadline:
            raise RuntimeError("the events did not all run in 10 minutes")
        time.sleep(0.5)
    cpu = {k: cpu_s(p) - before[k] for k, p in pids.items()}
    cpu["wrk"] = wrk_cpu
    done_s = last_run_ended(ledger_url, names) - t0
    accepted = counts["accepted"]
    return {"accepted": accepted, "accepted_per_s": accepted / accept_s, "executed_per_s": accepted / done_s,
            "accept_p50_ms": counts["p50_ms"], "accept_p99_ms": counts["p99_ms"],
            "cpu_ms_per_event": {k: round(1000 * v / accepted, 3) for k, v in cpu.items()},
            "cpu_ms_per_event_total": round(1000 * sum(cpu.values()) / accepted, 3),
            "cpu_ms_per_event_while_accepting": round(1000 * accept_cpu / accepted, 3)}


def one_node(root: Path, names: list[str], n: int) -> dict:
    root.mkdir(parents=True)
    server = Server(root / "solo").start()
    try:
        client = lambda_client(server.url)
        for name in names:
            create(client, name, "echo")
        assert server.proc is not None
        return run_events(server.url, server.url, names, n, {"node": server.proc.pid})
    finally:
        server.stop()


def cluster_pids(cluster: Cluster) -> dict[str, int]:
    pids = {f"nats{i}": n.proc.pid for i, n in enumerate(cluster.nats) if n.proc is not None}
    pids.update({f"node{i}": n.proc.pid for i, n in enumerate(cluster.nodes) if n.proc is not None})
    if cluster.haproxy is not None:
        pids["haproxy"] = cluster.haproxy.pid
    return pids


def node_death(cluster: Cluster, names: list[str], seconds: float = 6.0) -> dict:
    """Sync invocations through HAProxy while a node is killed."""
    failures: list[float] = []
    ok = [0]
    stop = time.time() + seconds

    def worker(k: int) -> None:
        i = k
        while time.time() < stop:
            req = urllib.request.Request(f"{cluster.lb}/invoke/{names[i % len(names)]}", data=b"x" * 64)
            i += 8
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    r.read()
                ok[0] += 1
            except OSError:
                failures.append(time.time())
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    time.sleep(seconds / 3)
    cluster.nodes[2].kill()
    killed_at = time.time()
    for t in threads:
        t.join()
    return {"ok": ok[0], "failed": len(failures),
            "error_window_s": (max(failures) - min(failures)) if failures else 0.0,
            "last_error_after_kill_s": (max(failures) - killed_at) if failures else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=10000)
    ap.add_argument("--functions", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not os.access(WRK, os.X_OK):
        sys.exit("needs wrk (Debian: apt-get install wrk)")
    names = [f"echo{i}" for i in range(args.functions)]
    rounds = []
    with tempfile.TemporaryDirectory(prefix="wasmhost-bench-cluster-") as tmp:
        root = Path(tmp)
        cluster = Cluster(root / "cluster", gomaxprocs=1, log_requests=False).start()  # three servers on this machine's cores
        try:
            client = lambda_client(cluster.nodes[0].url)
            for name in names:
                create(client, name, "echo")
            for node in cluster.nodes:
                wait_for(lambda node=node: all(n in get(f"{node.url}/wasmhost/cluster")["functions"] for n in names),
                         "the functions on every node")
            for r in range(args.rounds):
                solo = one_node(root / f"round{r}", names, args.events)
                clu = run_events(cluster.lb, cluster.nodes[0].url, names, args.events, cluster_pids(cluster))
                rounds.append({"one_node": solo, "cluster": clu,
                               "ratio": clu["executed_per_s"] / solo["executed_per_s"]})
                print(f"round {r + 1}: cluster {clu['executed_per_s']:.0f}/s (accepted {clu['accepted_per_s']:.0f}/s, "
                      f"p50 {clu['accept_p50_ms']:.1f} ms), one node {solo['executed_per_s']:.0f}/s "
                      f"(accepted {solo['accepted_per_s']:.0f}/s); ratio {rounds[-1]['ratio']:.2f}", flush=True)
                for what, res in (("cluster", clu), ("one node", solo)):
                    print(f"  CPU ms per event, {what}: {res['cpu_ms_per_event_total']} = {res['cpu_ms_per_event']}",
                          flush=True)
            death = node_death(cluster, names)
            print(f"node killed: {death['failed']} failed of {death['ok'] + death['failed']} requests, errors over "
                  f"{death['error_window_s']:.2f} s, the last {death['last_error_after_kill_s']:.2f} s after the kill")
        finally:
            cluster.stop()
    med = {k: statistics.median(r["cluster"][k] for r in rounds) for k in ("accepted_per_s", "executed_per_s")}
    result = {"events": args.events, "functions": args.functions, "rounds": rounds,
              "median": {"cluster_executed_per_s": med["executed_per_s"],
                         "cluster_accepted_per_s": med["accepted_per_s"],
                         "one_node_executed_per_s": statistics.median(r["one_node"]["executed_per_s"] for r in rounds),
                         "ratio": statistics.median(r["ratio"] for r in rounds),
                         "cluster_cpu_ms_per_event": statistics.median(r["cluster"]["cpu_ms_per_event_total"]
                                                                       for r in rounds),
                         "one_node_cpu_ms_per_event": statistics.median(r["one_node"]["cpu_ms_per_event_total"]
                                                                        for r in rounds)},
              "node_death": death}
    print(json.dumps(result["median"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
