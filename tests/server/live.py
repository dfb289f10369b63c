"""A real ``wasmhost serve`` process on 127.0.0.1, and real clients for it (helpers).

``WASMHOST_TEST_NO_FAST_PATH=1`` serves with ``--no-fast-path``, so the same tests check
aiohttp's routes alone (all but tests/server/test_fastpath.py apply).
``WASMHOST_TEST_WORKERS=N`` serves with ``--workers N`` (default 1: one process, as the
tests' kill and restart steps expect; tests/server/test_workers.py runs 2)."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import wasmtime

from guestlib import GUESTS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path, *extra: str, bind: str = "127.0.0.1") -> None:
        self.data_dir, self.extra, self.bind = data_dir, extra, bind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = data_dir.parent / f"server-{self.port}.log"
        self._started = False

    def start(self) -> "Server":
        """Start and wait for /healthz. A first start whose port was taken meanwhile (the
        port is picked free, then bound by the server a moment later: another process on
        the machine may take it between) moves to another port; a restart keeps its own."""
        for _ in range(3):
            try:
                return self._start()
            except RuntimeError as e:
                if self._started or "address already in use" not in str(e).lower():
                    raise
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
                self.log = self.data_dir.parent / f"server-{self.port}.log"
        return self._start()

    def _start(self) -> "Server":
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wasmhost.cli", "--data-dir", str(self.data_dir), "serve",
             "--host", self.bind, "--port", str(self.port), "--retry-base-s", "0.3",
             "--workers", os.environ.get("WASMHOST_TEST_WORKERS", "1"), *self.extra,
             *(["--no-fast-path"] if os.environ.get("WASMHOST_TEST_NO_FAST_PATH") else [])],
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        self._started = True
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start: " + self.log.read_text()[-2000:])

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, as a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def metric(self, line_start: str) -> float:
        with urllib.request.urlopen(self.url + "/metrics", timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(line_start + " "):
                    return float(line.split()[-1])
        return 0.0


def lambda_client(url: str, key: str = "x", secret: str = "x", validate: bool = True):
    """``validate=False``: botocore sends what it is given (a fuzzer's values)."""
    import boto3
    from botocore.config import Config
    return boto3.client("lambda", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret,
                        # a first Python or Node.js deploy compiles its runtime: minutes on a loaded machine
                        config=Config(retries={"max_attempts": 0}, read_timeout=300, parameter_validation=validate))


def wasm(name: str) -> bytes:
    return wasmtime.wat2wasm((GUESTS / f"{name}.wat").read_text())


def zip_files(files: dict[str, str]) -> bytes:
    """A zip of ``{name: text}``, as a function's code is uploaded."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def zipped(name: str, member: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(member or f"{name}.wasm", wasm(name))
    return buf.getvalue()


def create(client, name: str, guest: str, **kw):
    return client.create_function(FunctionName=name, Runtime="wasm32", Role="arn:aws:iam::000000000000:role/any",
                                  Handler=f"{guest}.wasm", Code={"ZipFile": zipped(guest)}, **kw)
