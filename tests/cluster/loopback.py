"""A NATS JetStream cluster, wasmhost nodes and HAProxy on 127.0.0.1, started and
stopped by pid: what tests/cluster/test_cluster.py and bench/bench_cluster.py run on."""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))
from live import Server, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
NATS, HAPROXY = shutil.which("nats-server") or "/usr/sbin/nats-server", shutil.which("haproxy") or "/usr/sbin/haproxy"
NEEDS = [  # the cluster tests' skips, each saying what CI installs (.ci/run)
    pytest.mark.skipif(not os.access(NATS, os.X_OK), reason="needs nats-server (Debian: apt-get install nats-server)"),
    pytest.mark.skipif(not os.access(HAPROXY, os.X_OK), reason="needs haproxy (Debian: apt-get install haproxy)"),
    pytest.mark.skipif(__import__("importlib").util.find_spec("nats") is None,
                       reason="needs nats-py: pip install 'wasmhost[cluster]'"),
]


class Nats:
    def __init__(self, root: Path, i: int, ports: list[tuple[int, int]], gomaxprocs: int | None = None) -> None:
        self.port, cport = ports[i]
        routes = ", ".join(f"nats-route://127.0.0.1:{c}" for _, c in ports)
        self.conf = root / f"nats{i}.conf"
        self.conf.write_text(f'server_name: n{i}\nlisten: 127.0.0.1:{self.port}\nmax_payload: 2MB\n'
                             f'jetstream {{ store_dir: "{root / f"js{i}"}", max_memory_store: 64MB, '
                             f'max_file_store: 1GB }}\n'
                             f'cluster {{ name: wh, listen: 127.0.0.1:{cport}, routes: [{routes}] }}\n')
        self.log = root / f"nats{i}.log"
        self.proc: subprocess.Popen | None = None
        self.env = dict(os.environ, **({"GOMAXPROCS": str(gomaxprocs)} if gomaxprocs else {}))

    def start(self) -> "Nats":
        self.proc = subprocess.Popen([NATS, "-c", str(self.conf)], stdout=open(self.log, "ab"), env=self.env,
                                     stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


class Cluster:
    def __init__(self, root: Path, ack_wait_s: float = 30.0, gomaxprocs: int | None = None,
                 log_requests: bool = True) -> None:
        """``gomaxprocs``: Go schedulers for each nats-server (three sharing a machine's
        cores: idle schedulers spin looking for work, which costs the others);
        ``log_requests``: HAProxy's log of each request (server, retries, redispatch)
        and health check in ``haproxy.log`` (benchmarks leave it off: a write a request)."""
        self.log_requests = log_requests
        root.mkdir(parents=True, exist_ok=True)
        ports = [(free_port(), free_port()) for _ in range(3)]
        self.nats = [Nats(root, i, ports, gomaxprocs) for i in range(3)]
        self.urls = ",".join(f"nats://127.0.0.1:{n.port}" for n in self.nats)
        self.nodes = [Server(root / f"node{i}", "--cluster", self.urls, "--node", f"w{i}",
                             "--ack-wait-s", str(ack_wait_s)) for i in range(3)]
        self.lb_port = free_port()
        self.lb = f"http://127.0.0.1:{self.lb_port}"
        self.haproxy: subprocess.Popen | None = None
        self.root = root

    def start(self) -> "Cluster":
        for n in self.nats:
            n.start()
        with concurrent.futures.ThreadPoolExecutor(3) as pool:  # each waits for JetStream, then loads
            list(pool.map(start_node, self.nodes))
        env = dict(os.environ, WASMHOST_LB=f"127.0.0.1:{self.lb_port}",
                   **{f"WASMHOST_N{i + 1}": f"127.0.0.1:{n.port}" for i, n in enumerate(self.nodes)})
        logging = self.root / "haproxy-log.cfg"
        logging.write_text("global\n    log stdout format raw local0 info\n" if self.log_requests else "")
        self.haproxy = subprocess.Popen([HAPROXY, "-f", str(logging), "-f", str(ROOT / "deploy/haproxy/haproxy.cfg"),
                                         "-db"], env=env,
                                        stdout=open(self.root / "haproxy.log", "ab"), stderr=subprocess.STDOUT)
        wait_for(lambda: get(self.lb + "/healthz")["status"] == "ok", "haproxy")
        return self

    def stop(self) -> None:
        if self.haproxy and self.haproxy.poll() is None:
            self.haproxy.terminate()
            self.haproxy.wait(10)
        for s in self.nodes:
            s.stop()
        for n in self.nats:
            n.kill()


def start_node(node: Server) -> Server:
    """``Server.start`` with more patience: a node connects to NATS and loads its
    buckets before it answers, which on a loaded machine (a load average of 20 on two
    cores here) can take longer than the 30 s a single server is given."""
    try:
        return node.start()
    except RuntimeError:
        if node.proc is None or node.proc.poll() is not None:
            raise  # it exited: say why
        wait_for(lambda: get(node.url + "/healthz")["status"] == "ok", f"node {node.url}", timeout=90)
        return node


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def wait_for(check, what: str, timeout: float = 30.0):
    """``check()`` until it is true; connection errors and AWS errors (a function
    not yet seen by a node: the registry's watch lags a write by milliseconds) mean
    not yet, and the last one is reported on timeout."""
    from botocore.exceptions import ClientError
    deadline = time.time() + timeout
    last: Exception | None = None
    while True:
        try:
            result = check()
            if result:
                return result
        except (OSError, ClientError) as e:
            last = e
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what} (last error: {last!r})")
        time.sleep(0.05)
