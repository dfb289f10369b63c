"""A well-formed client's latency while hostile clients work on the same server.

    python bench/bench_hostile.py [--seconds 10] [--no-fast-path]

One ``wasmhost serve`` (pinned to CPU 0 like bench_http.py). A well-formed client
POSTs /invoke/echo on one keep-alive connection throughout; first alone, then while
(a) 20 connections trickle a 16 KB head of ~4,000 tiny headers, (b) 20 slowloris
connections send a byte every 100 ms, (c) a loop replays the refused requests of
tests/server/test_conformance.py plus random bytes, each on a new connection, and
checks each is answered or closed within 5 s (else: wedged). Reports the client's
p50/p99 alone and under attack (same run), the wedged count and whether the
server's log holds a traceback. Target (issue 9): p99 under 10 ms throughout.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests/server"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_http import deploy, free_port, start_wasmhost, wait_ok  # noqa: E402
from test_conformance import CASES  # noqa: E402

POST = b"POST /invoke/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\necho"


def client(port: int, stop: threading.Event, out: list[float]) -> None:
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while not stop.is_set():
        t0 = time.perf_counter()
        s.sendall(POST)
        buf = b""
        while not buf.endswith(b"\r\n\r\necho"):
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("the well-formed client's connection was closed")
            buf += chunk
        out.append((time.perf_counter() - t0) * 1e3)
        time.sleep(0.002)
    s.close()


def trickle_headers(port: int, stop: threading.Event) -> None:
    head = b"POST /invoke/echo HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X%d: a\r\n" % i for i in range(4000))
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port))
            for i in range(0, len(head), 64):
                s.sendall(head[i:i + 64])
                time.sleep(0.001)
            s.close()
        except OSError:
            pass  # closed on us (431): start over


def slowloris(port: int, stop: threading.Event) -> None:
    data = b"POST /invoke/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port))
            for b in data:
                if stop.is_set():
                    break
                s.sendall(bytes([b]))
                time.sleep(0.1)
            s.close()
        except OSError:
            pass


def refused(port: int, stop: threading.Event, wedged: list[bytes], sent: list[int]) -> None:
    corpus = [c[1] for c in CASES if c[3] == "closed"]
    rnd = random.Random(9)
    while not stop.is_set():
        data = rnd.choice(corpus) if rnd.random() < 0.7 else bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(5)
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
        except socket.timeout:
            wedged.append(data)
        except OSError:
            pass
        s.close()
        sent[0] += 1


def measure(port: int, seconds: float) -> list[float]:
    stop, out = threading.Event(), []
    t = threading.Thread(target=client, args=(port, stop, out))
    t.start()
    time.sleep(seconds)
    stop.set()
    t.join()
    return out


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--no-fast-path", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wasmhost-hostile-"))
    port = free_port()
    log = tmp / "server.log"
    os.environ["PYTHONUNBUFFERED"] = "1"
    proc = start_wasmhost(tmp / "data", port, *(["--no-fast-path"] if args.no_fast_path else []), log=log)
    try:
        wait_ok(f"http://127.0.0.1:{port}/healthz")
        deploy(f"http://127.0.0.1:{port}", "echo")
        alone = measure(port, args.seconds / 2)
        stop, wedged, sent = threading.Event(), [], [0]
        attackers = ([threading.Thread(target=trickle_headers, args=(port, stop), daemon=True) for _ in range(20)]
                     + [threading.Thread(target=slowloris, args=(port, stop), daemon=True) for _ in range(20)]
                     + [threading.Thread(target=refused, args=(port, stop, wedged, sent), daemon=True)
                        for _ in range(2)])
        for a in attackers:
            a.start()
        attacked = measure(port, args.seconds)
        stop.set()
    finally:
        proc.terminate()
        proc.wait(10)
    text = log.read_text(errors="replace")
    print(f"well-formed client, {'--no-fast-path' if args.no_fast_path else 'serve'}:")
    print(f"  alone        n={len(alone):5}  p50 {pct(alone, 50):6.2f} ms  p99 {pct(alone, 99):6.2f} ms")
    print(f"  under attack n={len(attacked):5}  p50 {pct(attacked, 50):6.2f} ms  p99 {pct(attacked, 99):6.2f} ms"
          f"  max {max(attacked):.1f} ms")
    print(f"refused/random requests sent: {sent[0]}, wedged (no answer nor close in 5 s): {len(wedged)}")
    print(f"server log: {text.count('Traceback')} tracebacks, {text.count(' ERROR ')} lines at ERROR, "
          f"{text.count(' INFO ')} at INFO")


if __name__ == "__main__":
    main()
