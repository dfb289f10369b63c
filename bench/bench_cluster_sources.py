"""SQS queues and a mapping on a three-node cluster (JetStream) against one node
(SQLite) of the same run.

    python bench/bench_cluster_sources.py [--messages 3000] [--rounds 2] [--json FILE]

Each round, on one ``wasmhost serve`` (the baseline), then on three nodes of a
loopback cluster (three ``nats-server``, R3; loopback.py):

* **sends**: N 64-byte messages by SendMessageBatch (10 per call, 4 keep-alive
  connections per node; the cluster's senders spread over its three nodes) into a
  queue nothing reads;
* **end to end**: the same into a queue mapped to the 64-byte echo function
  (BatchSize 10; every node polls it), timed until the queue is empty.

Everything shares this machine's cores (3 NATS servers, 3 nodes, the clients), so
read the ratio to the same round's single node, not the absolute rates.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests" / "cluster"), str(ROOT / "tests")]
from bench_queues import Sender, api  # noqa: E402
from loopback import Cluster, get, wait_for  # noqa: E402

from live import Server, create, lambda_client  # noqa: E402


def parallel(jobs: list) -> float:
    threads = [threading.Thread(target=j) for j in jobs]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def round_on(urls: list[str], n: int, tag: str) -> dict:
    senders = [Sender(int(u.rsplit(":", 1)[1])) for u in urls]
    base = urls[0]
    share = [n // len(urls) // 10 * 10] * len(urls)
    alone = senders[0].queue(f"alone{tag}")
    e2e = senders[0].queue(f"e2e{tag}")
    for s in senders:  # every node knows both queues (a cluster's watch lags a write by milliseconds)
        wait_for(lambda s=s: s.depth(alone) == 0 and s.depth(e2e) == 0, "the queues on every node")
    t_alone = parallel([lambda s=s, k=k: s.send(alone, k) for s, k in zip(senders, share)])
    m = api(base, "POST", "/2015-03-31/event-source-mappings", {
        "EventSourceArn": f"arn:aws:sqs:us-east-1:000000000000:e2e{tag}", "FunctionName": "echo", "BatchSize": 10})
    time.sleep(1.5)  # every node's mapping follower starts its pollers
    t0 = time.perf_counter()
    parallel([lambda s=s, k=k: s.send(e2e, k) for s, k in zip(senders, share)])
    while senders[0].depth(e2e) > 0:
        time.sleep(0.1)
    t_e2e = time.perf_counter() - t0
    api(base, "DELETE", f"/2015-03-31/event-source-mappings/{m['UUID']}")
    total = sum(share)
    return {"sends_msg_s": total / t_alone, "end_to_end_msg_s": total / t_e2e}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "solo").mkdir()
        solo = Server(Path(tmp) / "solo" / "data").start()
        cluster = Cluster(Path(tmp) / "cluster", log_requests=False).start()
        try:
            create(lambda_client(solo.url), "echo", "echo")
            create(lambda_client(cluster.nodes[0].url), "echo", "echo")
            for n in cluster.nodes:
                wait_for(lambda n=n: "echo" in get(f"{n.url}/wasmhost/cluster")["functions"], "echo everywhere")
            round_on([solo.url], 600, "w")  # first runs of a process are slower: in no round
            round_on([n.url for n in cluster.nodes], 600, "w")
            for i in range(args.rounds):
                one = round_on([solo.url], args.messages, f"s{i}")
                three = round_on([n.url for n in cluster.nodes], args.messages, f"c{i}")
                row = {"one_node": one, "cluster": three,
                       "sends_ratio": three["sends_msg_s"] / one["sends_msg_s"],
                       "end_to_end_ratio": three["end_to_end_msg_s"] / one["end_to_end_msg_s"]}
                rows.append(row)
                print(f"round {i + 1}: one node sends {one['sends_msg_s']:,.0f} msg/s, end to end "
                      f"{one['end_to_end_msg_s']:,.0f} msg/s; cluster sends {three['sends_msg_s']:,.0f} msg/s "
                      f"({row['sends_ratio']:.2f}x), end to end {three['end_to_end_msg_s']:,.0f} msg/s "
                      f"({row['end_to_end_ratio']:.2f}x)", file=sys.stderr)
        finally:
            cluster.stop()
            solo.stop()
    result = {"messages": args.messages, "rounds": rows,
              "sends_ratio": statistics.median(r["sends_ratio"] for r in rows),
              "end_to_end_ratio": statistics.median(r["end_to_end_ratio"] for r in rows)}
    print(f"cluster / one node (median of {len(rows)} rounds): sends {result['sends_ratio']:.2f}x, "
          f"end to end {result['end_to_end_ratio']:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
