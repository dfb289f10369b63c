"""Async events across a three-node cluster on loopback, against one node of the same run.

    python bench/bench_cluster.py [--events 3000] [--functions 6] [--rounds 3] [--json FILE]

Each round:

* **one node** (the baseline): ``wasmhost serve`` on SQLite; N ``Event`` invocations
  of the 64-byte echo function (64 at a time, raw keep-alive HTTP), timed from the
  first send until the ledger counts all N: accepted → executed per second;
* **cluster**: three ``nats-server`` (JetStream, R3), three ``wasmhost serve
  --cluster`` nodes and HAProxy (deploy/haproxy/haproxy.cfg); the same N events
  through HAProxy, spread over ``--functions`` names (HAProxy hashes on the name),
  timed until the cluster's ledger (``/wasmhost/totals``) counts all N.

Then, once: synchronous invocations through HAProxy from 8 threads while one node is
killed with SIGKILL; reported: failed requests and the window from the first failure
to the last (HAProxy's health checks take the node out).

Everything runs on this one machine (3 NATS servers, 3 nodes, HAProxy and the
client share its cores), so the ratio to the same run's single node is the figure
to read, not the absolute rate; the CPU seconds each kind of process used in a
round say where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
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


async def send_events(urls: list[str], names: list[str], n: int) -> float:
    """N Event invocations over keep-alive connections; returns when all are accepted."""
    import aiohttp
    body = b'"' + b"x" * 62 + b'"'  # 64 bytes of JSON
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as s:
        sem = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int) -> None:
            url, name = urls[i % len(urls)], names[i % len(names)]
            async with sem:
                for _ in range(50):  # a 503 (engine failover) is retried, as botocore would
                    async with s.post(f"{url}/2015-03-31/functions/{name}/invocations", data=body,
                                      headers={"X-Amz-Invocation-Type": "Event"}) as r:
                        if r.status == 202:
                            return
                        answer = f"{r.status} {await r.text()}"
                    await asyncio.sleep(0.1)
                raise RuntimeError(f"{name}: {answer}")
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - t0


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cluster_cpu(cluster: Cluster) -> dict[str, float]:
    procs = {"nats": [n.proc for n in cluster.nats], "nodes": [n.proc for n in cluster.nodes],
             "haproxy": [cluster.haproxy]}
    return {k: sum(cpu_s(p.pid) for p in ps if p is not None and p.poll() is None) for k, ps in procs.items()}


def total(url: str, names: list[str]) -> int:
    return sum(get(f"{url}/wasmhost/totals?function={name}")["invocations"] for name in names)


def run_events(urls: list[str], totals_url: str, names: list[str], n: int) -> dict:
    base = total(totals_url, names)
    t0 = time.perf_counter()
    accept_s = asyncio.run(send_events(urls, names, n))
    wait_for(lambda: total(totals_url, names) >= base + n, "every event to run", timeout=600)
    done_s = time.perf_counter() - t0
    return {"accepted_per_s": n / accept_s, "executed_per_s": n / done_s}


def one_node(root: Path, names: list[str], n: int) -> dict:
    root.mkdir(parents=True)
    server = Server(root / "solo").start()
    try:
        client = lambda_client(server.url)
        for name in names:
            create(client, name, "echo")
        return run_events([server.url], server.url, names, n)
    finally:
        server.stop()


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
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--functions", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    names = [f"echo{i}" for i in range(args.functions)]
    rounds = []
    with tempfile.TemporaryDirectory(prefix="wasmhost-bench-cluster-") as tmp:
        root = Path(tmp)
        cluster = Cluster(root / "cluster").start()
        try:
            client = lambda_client(cluster.nodes[0].url)
            for name in names:
                create(client, name, "echo")
            for node in cluster.nodes:
                wait_for(lambda node=node: all(n in get(f"{node.url}/wasmhost/cluster")["functions"] for n in names),
                         "the functions on every node")
            for r in range(args.rounds):
                solo = one_node(root / f"round{r}", names, args.events)
                before = cluster_cpu(cluster)
                clu = run_events([cluster.lb], cluster.nodes[0].url, names, args.events)
                cpu = {k: round(v - before[k], 2) for k, v in cluster_cpu(cluster).items()}
                rounds.append({"one_node": solo, "cluster": clu, "cluster_cpu_s": cpu,
                               "ratio": clu["executed_per_s"] / solo["executed_per_s"]})
                print(f"round {r + 1}: one node {solo['executed_per_s']:.0f}/s, cluster {clu['executed_per_s']:.0f}/s "
                      f"(accepted {clu['accepted_per_s']:.0f}/s), ratio {rounds[-1]['ratio']:.2f}; CPU seconds "
                      f"of the cluster's processes: {cpu}", flush=True)
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
                         "ratio": statistics.median(r["ratio"] for r in rounds)},
              "node_death": death}
    print(json.dumps(result["median"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
