"""PutObject's cost per request, in process: 1 KB PUT requests fed to the front
door's connections (``data_received``) with transports that only collect the
answers, the bucket store, its group commit and its directory watcher as
``serve`` runs them. No sockets, no wrk: what the server itself spends on an
upload. c=16 feeds one request to each of 16 connections per turn of the loop
(as wrk's 16 connections arrive together), c=1 one at a time.

    python bench/s3_inprocess.py [--dir DIR] [--n 2000] [--batches 7] [--conns 1,16]

Prints JSON: µs of the process's CPU time (user, system; every thread, so the
watcher's share counts) per PutObject, the best of ``--batches`` (the machine is
shared: the minimum sheds most of the other sessions' noise). ``--dir``: where the
data dir goes (the file system decides much of the system time).

Runs against whichever wasmhost is importable (``PYTHONPATH=<a tree before>``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile

from pathlib import Path

from wasmhost import Host
from wasmhost.server.auth import AuthConfig
from wasmhost.server.http.protocol import Connection, FrontDoor
from wasmhost.server.lambda_model import Registry, Service
from wasmhost.server.sources.buckets import BucketSource

from http_inprocess import Transport  # bench/ is the script's folder


def put(i: int) -> bytes:
    return (f"PUT /bench/k-{i} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: 1024\r\n\r\n").encode() + b"x" * 1024


def cpu() -> tuple[float, float, float]:
    """The process's user and system CPU seconds, and the event loop's thread's (both)."""
    r, t = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_THREAD)
    return r.ru_utime, r.ru_stime, t.ru_utime + t.ru_stime


async def run(conns: int, n: int, batches: int, tmp: Path) -> dict[str, float]:
    host = Host(tmp)
    service = Service(host, Registry(tmp))
    front = FrontDoor(service, AuthConfig())
    source = BucketSource(service, tmp)
    await source.start()
    front.claims = [source.fast_route]
    source.store.create_bucket("bench")
    await asyncio.sleep(0.05)  # the watcher is watching
    pairs = []
    for _ in range(conns):
        c, t = Connection(front), Transport()
        c.connection_made(t)
        pairs.append((c, t))
    seq = 0
    best: dict[str, float] = {}
    for b in range(batches + 1):  # the first batch warms up
        u0, s0, l0 = cpu()
        rounds = n // conns
        for _ in range(rounds):
            want = [t.answers + 1 for _, t in pairs]
            for c, _ in pairs:
                seq += 1
                c.data_received(put(seq))
            await asyncio.sleep(0)  # a turn of the loop, as between two reads of the sockets
            while any(t.answers < w for (_, t), w in zip(pairs, want)):
                await asyncio.sleep(0)
        await asyncio.sleep(0.01)  # the watcher's batch of the last renames
        u1, s1, l1 = cpu()
        done = rounds * conns
        if b:
            user, sys_ = (u1 - u0) / done * 1e6, (s1 - s0) / done * 1e6
            if not best or user + sys_ < best["total_us"]:
                best = {"user_us": user, "sys_us": sys_, "total_us": user + sys_,
                        "loop_thread_us": (l1 - l0) / done * 1e6}
    await source.stop()
    front.close()
    host.close()
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=None)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--batches", type=int, default=7)
    ap.add_argument("--conns", default="1,16", help="the concurrencies to run, comma-separated")
    args = ap.parse_args()
    out = {}
    for conns in (int(c) for c in args.conns.split(",")):
        tmp = Path(tempfile.mkdtemp(dir=args.dir, prefix="s3-inprocess-"))
        out[f"c{conns}"] = asyncio.run(run(conns, args.n, args.batches, tmp))
    json.dump({k: {m: round(v, 1) for m, v in r.items()} for k, r in out.items()}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
