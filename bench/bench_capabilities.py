"""Capabilities benchmark: outbound HTTP and key-value calls from a Python function,
beside the same work in plain CPython in the same run.

    python bench/bench_capabilities.py [--iters 300] [--json out.json]

- ``http.get.python_function``: one ``urllib.request.urlopen`` GET of a small local
  page, timed inside the guest (perf_counter around the call), against
  ``http.get.cpython_urllib``: the same GET from plain CPython (this process). The
  server is a separate process (aiohttp on 127.0.0.1), so neither side shares its
  GIL. The two alternate in short rounds; the ratio is the median of the rounds'
  ratios of p50s. Target: ratio <= 1.5.
- ``kv.get`` / ``kv.set``: one ``wasmhost_sdk.kv`` call from a warm Python
  function, timed inside the guest. Target: <= 50 µs each.
- ``invocation.one_kv.set`` / ``invocation.one_kv.get``: a whole warm invocation that
  makes one call, timed by the host. Sets are group-committed when their invocation
  ends (backends/kv.py), so the difference between the two is what a commit costs.

A benchmark, not a test: the machines are shared and noisy; read the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wasmhost import FunctionConfig, Host  # noqa: E402

APP = textwrap.dedent('''
    import time, urllib.request
    from wasmhost_sdk import kv

    def handler(event, context):
        n, out = event["n"], []
        if event["what"] == "http":
            for _ in range(n):
                t = time.perf_counter_ns()
                with urllib.request.urlopen(event["url"]) as r:
                    r.read()
                out.append(time.perf_counter_ns() - t)
        elif event["what"] == "kv.set":
            for i in range(n):
                t = time.perf_counter_ns()
                kv.set("key", b"value-%d" % i)
                out.append(time.perf_counter_ns() - t)
        elif event["what"] == "kv.get":
            for _ in range(n):
                t = time.perf_counter_ns()
                kv.get("key")
                out.append(time.perf_counter_ns() - t)
        return out
''')

SERVER = textwrap.dedent('''
    import sys, time
    sys.path.insert(0, sys.argv[1])
    from internet import Internet
    net = Internet().start()
    print(net.port, flush=True)
    time.sleep(3600)
''')


def summary(samples_ns: list[int]) -> dict:
    s = sorted(samples_ns)
    return {"p50_us": round(statistics.median(s) / 1000, 1), "p99_us": round(s[int(len(s) * 0.99) - 1] / 1000, 1),
            "n": len(s)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--json")
    args = ap.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(ROOT / "tests")], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}/hello"
        with tempfile.TemporaryDirectory() as tmp:
            app = Path(tmp) / "app.py"
            app.write_text(APP)
            with Host(Path(tmp) / "data") as h:
                h.deploy("bench", app, FunctionConfig(allowed_hosts=(f"127.0.0.1:{port}",), timeout_ms=60_000))
                results = {}
                ratios = []
                per_round = max(20, args.iters // 5)
                h.invoke("bench", {"what": "http", "url": url, "n": 10})  # the host's connection, kept alive
                for _round in range(args.iters * 3 // per_round):
                    # short interleaved rounds, a ratio per round: this shared machine's load swings
                    # within a minute, and a long batch on one side measures the swing
                    guest = h.invoke("bench", {"what": "http", "url": url, "n": per_round}).value
                    host = []
                    for _ in range(per_round):
                        t = time.perf_counter_ns()
                        with urllib.request.urlopen(url) as r:
                            r.read()
                        host.append(time.perf_counter_ns() - t)
                    ratios.append(statistics.median(guest[2:]) / statistics.median(host[2:]))
                    results.setdefault("http.get.python_function", []).extend(guest[2:])
                    results.setdefault("http.get.cpython_urllib", []).extend(host[2:])
                for what in ("kv.set", "kv.get"):
                    results[what] = h.invoke("bench", {"what": what, "n": args.iters * 10}).value[50:]
                # whole invocations doing one call each, timed by the host: a set's commit happens
                # as its invocation ends (group commit), so it shows here, not in kv.set
                for what in ("kv.set", "kv.get"):
                    samples = []
                    for _ in range(args.iters * 3):
                        t = time.perf_counter_ns()
                        h.invoke("bench", {"what": what, "n": 1})
                        samples.append(time.perf_counter_ns() - t)
                    results[f"invocation.one_{what}"] = samples[50:]
    finally:
        server.kill()
    out = {k: summary(v) for k, v in results.items()}
    ratio = statistics.median(ratios)
    print(f"{'tier':34} {'p50 µs':>9} {'p99 µs':>9} {'n':>6}")
    for k, v in out.items():
        print(f"{k:34} {v['p50_us']:9.1f} {v['p99_us']:9.1f} {v['n']:6}")
    print(f"\nratio http.get python function / cpython urllib  {ratio:.2f}x  (target <= 1.5; median of "
          f"{len(ratios)} rounds' ratios, range {min(ratios):.2f}-{max(ratios):.2f}x)")
    print(f"kv.get p50 {out['kv.get']['p50_us']} µs, kv.set p50 {out['kv.set']['p50_us']} µs  (target <= 50 each)")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": out, "http_ratio": ratio, "http_round_ratios": ratios},
                                              indent=2))


if __name__ == "__main__":
    main()
