"""Start-up benchmark: ``wasmhost serve`` from process spawn to the first successful
invoke, with ten functions in the registry (the functions are restored from the
artifact cache: a restart, the case that matters for a crashed or upgraded server).

    python bench/bench_startup.py [--runs 9] [--functions 10] [--python] [--before DIR] [--json out.json]

Each run spawns ``python -m wasmhost.cli serve`` and polls ``POST /invoke/f{N-1}``
every 2 ms until it answers 200 (the time to the first invoke), then polls ``GET
/healthz`` (answered by aiohttp, loaded after the socket listens: the time until the
whole API is up), then invokes every function once (the time until all answer).
``--python``: the functions are Python handlers, each zip with a ``requirements.txt``
(``--requirements``, default ``requests``: its install is cached by content, so a
restart installs nothing) — issue 11's target, 40 of them healthy in <= 2 s. ``--before DIR``: a tree of the code before a change (``git archive
REF | tar -x -C DIR``), run alternately with the current one in the same sitting, so
the two medians share the machine's load. Target: first invoke <= 500 ms (p50).
"""

from __future__ import annotations

import argparse
import base64
import compileall
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ECHO_WAT = ROOT / "tests/guests/echo.wat"
PY_HANDLER = """import json  # a real handler: its requirement imported at load
{imports}

def handler(event, context):
    return {{"statusCode": 200, "body": json.dumps(event)}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(tree: Path, data: Path, port: int, extra: list[str] | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as a pip install leaves it
    env.update(PYTHONPATH=str(tree), WASMHOST_PROGRESS="0")
    return subprocess.Popen([sys.executable, "-m", "wasmhost.cli", "--data-dir", str(data), "serve", "--port",
                             str(port), *(extra or [])], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tree, env=env)


def poll(url: str, data: bytes | None, t0: float, proc: subprocess.Popen, timeout: float = 60) -> float:
    """Seconds from ``t0`` until ``url`` answers 200."""
    while time.perf_counter() - t0 < timeout:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except (OSError, urllib.error.HTTPError):
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}") from None
            time.sleep(0.002)
    raise RuntimeError(f"{url} never answered")


def code(python: bool, requirements: str) -> dict:
    """CreateFunction's fields for the code: a core-module echo, or a Python handler
    with a requirements.txt."""
    if not python:
        import wasmtime
        return {"Runtime": "wasm32", "Handler": "echo.wasm",
                "Code": {"ZipFile": base64.b64encode(wasmtime.wat2wasm(ECHO_WAT.read_text())).decode()}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", PY_HANDLER.format(imports=f"import {requirements}\n" if requirements else ""))
        z.writestr("requirements.txt", requirements + "\n")
    return {"Runtime": "python3.12", "Handler": "app.handler", "Code": {"ZipFile": base64.b64encode(buf.getvalue()).decode()}}


def populate(tree: Path, data: Path, functions: int, extra: list[str], fields: dict) -> None:
    """Deploy ``functions`` functions through the Lambda API, then stop the server."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = spawn(tree, data, port, extra)
    try:
        poll(url + "/healthz", None, time.perf_counter(), proc)
        for i in range(functions):
            body = {"FunctionName": f"f{i}", "Role": "r", **fields}
            req = urllib.request.Request(url + "/2015-03-31/functions", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=600).read()
    finally:
        proc.terminate()
        proc.wait(30)


def one_run(tree: Path, data: Path, functions: int, extra: list[str]) -> tuple[float, float, float]:
    """(ms to the first invoke, ms to the whole API, ms until every function answered) for one spawn."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = spawn(tree, data, port, extra)
    try:
        first = poll(f"{url}/invoke/f{functions - 1}", b"{}", t0, proc)
        whole = poll(url + "/healthz", None, t0, proc)
        every = max(poll(f"{url}/invoke/f{i}", b"{}", t0, proc) for i in range(functions))
    finally:
        proc.terminate()
        proc.wait(30)
    return first * 1000, whole * 1000, every * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--functions", type=int, default=10)
    ap.add_argument("--python", action="store_true", help="Python functions with a requirements.txt")
    ap.add_argument("--requirements", default="requests", help="with --python: the package each one requires")
    ap.add_argument("--before", type=Path, help="a tree of the code before a change, run alternately with this one")
    ap.add_argument("--serve-args", default="",
                    help="options for the current tree's serve only, e.g. '--workers 1' (serve's default is a "
                         "worker per core, behind a supervisor process)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    trees = {"current": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    tmp = Path(tempfile.mkdtemp(prefix="wasmhost-startup-"))
    try:
        doc = measure(args, trees, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(doc, indent=1))


def extra(args: argparse.Namespace, tree: str) -> list[str]:
    return args.serve_args.split() if tree == "current" else []


def measure(args: argparse.Namespace, trees: dict[str, Path], tmp: Path) -> dict:
    fields = code(args.python, args.requirements)
    for name, tree in trees.items():
        compileall.compile_dir(str(tree / "wasmhost"), quiet=1)
        populate(tree, tmp / name, args.functions, extra(args, name), fields)
        one_run(tree, tmp / name, args.functions, extra(args, name))  # warm the page cache and bytecode
    keys = ("first_invoke_ms", "whole_api_ms", "every_function_ms")
    got: dict[str, dict[str, list[float]]] = {n: {k: [] for k in keys} for n in trees}
    for rep in range(args.runs):
        for name in (list(trees) if rep % 2 == 0 else list(trees)[::-1]):
            for key, ms in zip(keys, one_run(trees[name], tmp / name, args.functions, extra(args, name))):
                got[name][key].append(ms)
    kind = f"Python functions requiring {args.requirements or 'nothing'}" if args.python else "core-module functions"
    print(f"wasmhost serve, spawn to first successful invoke ({args.functions} {kind} restored; "
          f"{args.runs} runs, alternating)")
    doc: dict = {}
    for name, series in got.items():
        doc[name] = {k: {"p50": statistics.median(v), "min": min(v), "max": max(v), "all": v} for k, v in series.items()}
        f, w, e = (doc[name][k] for k in keys)
        print(f"  {name:8} first invoke p50 {f['p50']:.0f} ms ({f['min']:.0f}-{f['max']:.0f}); "
              f"whole API (/healthz) p50 {w['p50']:.0f} ms ({w['min']:.0f}-{w['max']:.0f}); "
              f"every function answered p50 {e['p50']:.0f} ms ({e['min']:.0f}-{e['max']:.0f})")
    if "before" in doc:
        ratio = doc["current"]["first_invoke_ms"]["p50"] / doc["before"]["first_invoke_ms"]["p50"]
        doc["first_invoke_ratio_current_to_before"] = ratio
        print(f"  first invoke, current / before: {ratio:.2f}x")
    return doc


if __name__ == "__main__":
    main()
