"""Queue → function throughput and schedule punctuality of `wasmhost serve`.

    python bench/bench_queues.py [--messages 20000] [--rounds 3] [--ticks 8] [--json FILE]

The server runs pinned to CPU 0 (one core); the senders on CPU 1. Each round:

* **sends alone** (the baseline): N 64-byte messages by SendMessageBatch (10 per
  call, 4 keep-alive connections) into a queue no mapping reads;
* **end to end**: the same sends into a queue mapped to the 64-byte echo function
  with BatchSize 10, timed until the queue is empty (delivered, invoked, deleted).

Reported: messages/s of both, and their ratio within each round (median over
rounds); and, since this machine is shared, the same per second of the server's
own CPU time (/proc), which is what one dedicated core would do. Then a ``rate(2 seconds)`` schedule (the non-AWS WASMHOST_SCHEDULE_SECONDS
setting) fires the echo function ``--ticks`` times: lateness = the invocation's
start (from the ledger) minus its tick (from /metrics), p50 and max.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http import deploy, free_port, taskset, wait_ok  # noqa: E402

PY = sys.executable
BODY = "x" * 64


class Sender:
    """SendMessageBatch over raw keep-alive HTTP, the JSON body boto3 would send:
    the client must outrun the server, which boto3 on one core does not."""

    def __init__(self, port: int) -> None:
        self.port = port

    def call(self, conn: http.client.HTTPConnection, target: str, body: dict) -> dict:
        # bytes, so that http.client sends head and body in one write (a str goes in two,
        # and Nagle's algorithm with delayed ACKs then costs ~40 ms a request)
        conn.request("POST", "/", json.dumps(body).encode(), {"X-Amz-Target": f"AmazonSQS.{target}",
                                                      "Content-Type": "application/x-amz-json-1.0"})
        r = conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"{target}: {r.status} {data[:200]!r}")
        return json.loads(data)

    def send(self, url: str, n: int, conns: int = 4) -> float:
        """Send n messages; returns the seconds it took."""
        batches = n // 10
        per = [batches // conns + (1 if i < batches % conns else 0) for i in range(conns)]
        entries = [{"Id": str(i), "MessageBody": BODY} for i in range(10)]

        def run(k: int) -> None:
            c = http.client.HTTPConnection("127.0.0.1", self.port)
            body = {"QueueUrl": url, "Entries": entries}
            for _ in range(k):
                self.call(c, "SendMessageBatch", body)
            c.close()

        threads = [threading.Thread(target=run, args=(k,)) for k in per]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - t0

    def depth(self, url: str) -> int:
        c = http.client.HTTPConnection("127.0.0.1", self.port)
        a = self.call(c, "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]})["Attributes"]
        c.close()
        return sum(int(a[k]) for k in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                       "ApproximateNumberOfMessagesDelayed"))

    def queue(self, name: str) -> str:
        c = http.client.HTTPConnection("127.0.0.1", self.port)
        url = self.call(c, "CreateQueue", {"QueueName": name})["QueueUrl"]
        c.close()
        return url


def api(base: str, method: str, path: str, body: dict | None = None, target: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if target:
        headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                                 headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used: on this shared machine the
    wall clock measures the neighbours too; the server's own CPU time per message
    is what one dedicated core would give."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(base: str, s: Sender, n: int, rounds: int, pid: int) -> dict:
    s.send(s.queue("warmup"), 2000)  # the first requests of a process are slower: not in any round
    rows = []
    for i in range(rounds):
        alone = s.queue(f"alone{i}")
        c0 = cpu_s(pid)
        t_alone = s.send(alone, n)
        cpu_alone = cpu_s(pid) - c0
        e2e = s.queue(f"e2e{i}")
        m = api(base, "POST", "/2015-03-31/event-source-mappings", {
            "EventSourceArn": f"arn:aws:sqs:us-east-1:000000000000:e2e{i}", "FunctionName": "echo",
            "BatchSize": 10})
        t0, c0 = time.perf_counter(), cpu_s(pid)
        s.send(e2e, n)
        t_sent = time.perf_counter() - t0
        while s.depth(e2e) > 0:  # counting costs the server too: not too often
            time.sleep(0.1)
        t_e2e, cpu_e2e = time.perf_counter() - t0, cpu_s(pid) - c0
        api(base, "DELETE", f"/2015-03-31/event-source-mappings/{m['UUID']}")
        rows.append({"sends_alone_msg_s": n / t_alone, "end_to_end_msg_s": n / t_e2e,
                     "sends_during_e2e_msg_s": n / t_sent, "ratio": t_alone / t_e2e,
                     "sends_alone_msg_per_cpu_s": n / cpu_alone, "end_to_end_msg_per_cpu_s": n / cpu_e2e,
                     "cpu_ratio": cpu_alone / cpu_e2e})
        print(f"round {i + 1}: sends alone {n / t_alone:,.0f} msg/s ({n / cpu_alone:,.0f} per server CPU s), "
              f"end to end {n / t_e2e:,.0f} msg/s ({n / cpu_e2e:,.0f} per server CPU s; sends {n / t_sent:,.0f} "
              f"msg/s meanwhile), ratio {t_alone / t_e2e:.2f} wall, {cpu_alone / cpu_e2e:.2f} CPU", file=sys.stderr)
    return {"rounds": rows, **{k: statistics.median(r[k] for r in rows) for k in rows[0]}}


def metric(base: str, name: str) -> float | None:
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
    return None


def punctuality(base: str, ticks: int) -> dict:
    period = 2.0
    api(base, "POST", "/", {"Name": "tick", "ScheduleExpression": "rate(2 seconds)"}, "AWSEvents.PutRule")
    api(base, "POST", "/", {"Rule": "tick", "Targets": [{"Id": "echo", "Arn":
        "arn:aws:lambda:us-east-1:000000000000:function:tick", "Input": "{}"}]}, "AWSEvents.PutTargets")
    time.sleep(period * ticks + 1.0)
    api(base, "POST", "/", {"Name": "tick"}, "AWSEvents.DisableRule")
    last_tick = metric(base, 'wasmhost_schedule_last_fire_timestamp_seconds{rule="tick"}')
    reports = api(base, "GET", "/wasmhost/logs?function=tick&limit=1000")["reports"]
    since = last_tick - period * (ticks + 1)
    starts = sorted(r["started_at"] for r in reports if r["started_at"] > since)
    late = [(t - last_tick) % period for t in starts]  # each start after its tick (ticks are last_tick - k·period)
    return {"ticks": len(late), "lateness_p50_ms": statistics.median(late) * 1000, "lateness_max_ms": max(late) * 1000}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ticks", type=int, default=8)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, WASMHOST_SCHEDULE_SECONDS="1")
        import subprocess
        proc = subprocess.Popen(taskset(0) + [PY, "-m", "wasmhost.cli", "--data-dir", tmp, "serve", "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            wait_ok(base + "/healthz")
            deploy(base, "echo")
            deploy(base, "tick")  # the schedule's target: the same echo under its own name
            if taskset(1):
                os.sched_setaffinity(0, {1})
            s = Sender(port)
            result = {"messages": args.messages, "batch_size": 10, "body_bytes": len(BODY),
                      "throughput": throughput(base, s, args.messages, args.rounds, proc.pid),
                      "schedule": punctuality(base, args.ticks)}
        finally:
            proc.terminate()
            proc.wait(10)
    t = result["throughput"]
    print(f"queue -> function, one core, BatchSize 10, 64-byte echo: {t['end_to_end_msg_s']:,.0f} msg/s end to end "
          f"vs {t['sends_alone_msg_s']:,.0f} msg/s sends alone (median ratio {t['ratio']:.2f}); per second of server "
          f"CPU: {t['end_to_end_msg_per_cpu_s']:,.0f} vs {t['sends_alone_msg_per_cpu_s']:,.0f} "
          f"(ratio {t['cpu_ratio']:.2f})")
    sch = result["schedule"]
    print(f"schedule: {sch['ticks']} ticks, lateness p50 {sch['lateness_p50_ms']:.1f} ms, max {sch['lateness_max_ms']:.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
