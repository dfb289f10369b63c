"""The HTTP front end's cost per request, in process: request bytes fed to one
connection's ``data_received`` with a transport that only collects the answer, the
echo guest run warm. No sockets, no wrk, no other process: what the front end itself
adds to a warm invocation. Prints JSON: µs of this thread's CPU time per request, the
best of 15 batches (the machine is shared: CPU time and the minimum shed most of the
other sessions' noise).

Runs against whichever wasmhost is importable (bench_http.py runs it for the current
tree and for --before's): ``server/http`` (httptools) or the older ``server/fastpath``."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import tempfile
import time
from pathlib import Path

import wasmtime

from wasmhost import Host
from wasmhost.server.auth import AuthConfig

try:
    from wasmhost.server.lambda_model import Registry, Service
except ImportError:  # the tree before server/lambda_model
    from wasmhost.registry import Registry  # type: ignore[no-redef]
    from wasmhost.server.service import Service  # type: ignore[no-redef]

try:
    from wasmhost.server.http.protocol import Connection, FrontDoor as Front
except ImportError:  # the tree before server/http
    from wasmhost.server.fastpath import Connection, FastPath as Front  # type: ignore[no-redef]

ECHO_WAT = Path(__file__).resolve().parent.parent / "tests/guests/echo.wat"
BODY = b'"' + b"x" * 62 + b'"'
REQUESTS = {
    "wrk_invoke": (b"POST /invoke/echo HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/octet-stream\r\n"
                   b"Content-Length: 64\r\n\r\n" + BODY),
    "boto3_invoke": (b"POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                     b"Accept-Encoding: identity\r\nUser-Agent: Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.1 "
                     b"md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.0\r\n"
                     b"X-Amz-Date: 20261130T050000Z\r\nX-Amz-Content-SHA256: e3b0c44298fc1c149afbf4c8996fb924\r\n"
                     b"Authorization: AWS4-HMAC-SHA256 Credential=x/20261130/us-east-1/lambda/aws4_request, "
                     b"SignedHeaders=host;x-amz-date, Signature=abc\r\namz-sdk-invocation-id: 1b0e\r\n"
                     b"amz-sdk-request: attempt=1\r\nContent-Length: 64\r\nX-Amz-Invocation-Type: RequestResponse\r\n"
                     b"Connection: keep-alive\r\n\r\n" + BODY),
}


class Transport:
    """Collects how many 200 answers the connection wrote (also bench/s3_inprocess.py's)."""

    def __init__(self) -> None:
        self.answers = 0

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 5000) if name == "peername" else default

    def write(self, data) -> None:
        self.answers += data.count(b"HTTP/1.1 200")

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        pass


async def main() -> dict:
    tmp = Path(tempfile.mkdtemp())
    host = Host(tmp, inline_budget_ms=1000)  # a loaded machine must not push runs to threads: inline only
    service = Service(host, Registry(tmp))
    service.create_function({"FunctionName": "echo", "Runtime": "wasm32", "Role": "r", "Handler": "echo.wasm",
                             "Code": {"ZipFile": base64.b64encode(wasmtime.wat2wasm(ECHO_WAT.read_text())).decode()}})
    front = Front(service, AuthConfig())
    results: dict[str, float] = {}
    n = 2000
    for name, data in REQUESTS.items():
        conn = Connection(front)
        t = Transport()
        conn.connection_made(t)
        for _ in range(200):  # warm: the first run (cold start) goes to a thread
            conn.data_received(data)
            await asyncio.sleep(0.001)
        assert t.answers > 0 and not conn.busy
        batches = []
        for _ in range(15):
            before = t.answers
            t0 = time.thread_time()
            for _ in range(n):
                conn.data_received(data)
            batches.append((time.thread_time() - t0) / n * 1e6)
            assert t.answers - before == n, f"{name}: {t.answers - before} of {n} answered inline"
        results[name] = min(batches)
    r = service.resolve("echo")
    batches = []
    for _ in range(15):
        inline = 0
        t0 = time.thread_time()
        for _ in range(n):
            coro = service.invoke(r, BODY)
            try:
                coro.send(None)
            except StopIteration:
                inline += 1
        batches.append((time.thread_time() - t0) / n * 1e6)
        # a run handed to a worker thread would count only its hand-off here (the
        # thread's CPU is not this thread's): such a batch measures something else
        assert inline == n, f"service_invoke_alone: {n - inline} of {n} runs left the loop"
    results["service_invoke_alone"] = min(batches)
    front.close()
    host.close()
    return results


if __name__ == "__main__":
    json.dump(asyncio.run(main()), sys.stdout)
