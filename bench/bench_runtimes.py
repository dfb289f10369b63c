"""Python and Node.js functions against the same handler outside the sandbox, same run.

For each language: the first response of a newly deployed function in a running Host
(runtime compiled and cached in memory; from ``deploy`` to the answer, removing it
afterwards is not timed), the same in a brand-new Host (the runtime component loaded
from the artifact cache on disk), and a warm invocation; beside the same handler in a
fresh `python3` / `node` process (a process per cold start) and called in-process by
plain CPython / plain Node (the warm floor). Handlers with real imports: Python's
standard library beyond the runtime's snapshot plus a boto3 client made at import,
Node's AWS SDK v3 client: their first response, and a cold start of one more instance
of a deployed function (concurrency, a reaped instance), beside a plain process
doing the same imports.

    .venv/bin/python bench/bench_runtimes.py [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from suite import GUESTS, PAYLOAD, measure, stats  # noqa: E402
from wasmhost import FunctionConfig, Host  # noqa: E402

SDK_JS = ROOT / "guest_sdk" / "javascript" / "aws-sdk" / "http-handler.mjs"
SDK_HANDLER = """const { S3Client } = require("@aws-sdk/client-s3");
const s3 = new S3Client({});
exports.handler = async (event) => event;
"""

# stdlib modules outside the runtime's snapshot, and a boto3 client made at import (as real handlers do)
PY_IMPORTS = """import asyncio, email.mime.multipart, email.mime.text, xml.dom.minidom, http.server
import boto3
s3 = boto3.client("s3")
"""
PY_IMPORTS_HANDLER = PY_IMPORTS + """
def handler(event, context):
    return event
"""

NODE_WARM = """
const { handler } = require(process.argv[1]);
const event = JSON.parse(process.argv[2]);
(async () => {
  for (let i = 0; i < 2000; i++) await handler(event, {});
  const out = [];
  for (let i = 0; i < %d; i++) {
    const t = process.hrtime.bigint();
    await handler(event, {});
    out.push(Number(process.hrtime.bigint() - t));
  }
  out.sort((a, b) => a - b);
  console.log(JSON.stringify([out[out.length >> 1], out[Math.floor(out.length * 0.99)]]));
})();
"""


def python_sdk() -> bool:
    """Whether boto3 is installed beside wasmhost (bundled into the Python runtime)."""
    import importlib.util
    return importlib.util.find_spec("boto3") is not None


def settle() -> None:
    """Wait for the background bytecode compiles (runtimes/bytecode.py) a deploy started."""
    from wasmhost.runtimes import bytecode
    for job in list(bytecode._jobs.values()):
        job.join()


def us(d: dict) -> str:
    return f"p50 {d['p50_us']:9.1f} µs  p99 {d['p99_us']:9.1f} µs"


def bench(lang: str, it: int, cold_it: int, work: Path, artifacts: str | None = None) -> dict:
    src = GUESTS / ("echo.py" if lang == "python" else "echo.js")
    data = work / f"data-{lang}"
    out: dict[str, dict] = {}
    with Host(data, cache_dir=artifacts) as host:
        host.deploy("warm", src, FunctionConfig(min_warm=1))  # compiles the runtime (or loads it)
        settle()
        counter = iter(range(10**9))

        def first_response(key: str, source: Path, warmup: int, iters: int) -> None:
            """ns from deploy to the first answer of a new function (its removal untimed),
            and the thread's CPU time for it (``_cpu``: robust on a loaded machine)."""
            samples, cpu = [], []
            for _ in range(warmup + iters):
                name = f"new{next(counter)}"
                t, c = time.perf_counter_ns(), time.thread_time_ns()
                host.deploy(name, source)
                host.invoke(name, PAYLOAD)
                samples.append(time.perf_counter_ns() - t)
                cpu.append(time.thread_time_ns() - c)
                host.remove(name)
            out[key], out[key + "_cpu"] = stats([samples[warmup:]]), stats([cpu[warmup:]])

        def cold_instance(key: str, name: str, iters: int) -> None:
            """ns to make one more instance of a deployed function and answer from it."""
            pool = host._functions[name].pool
            samples, cpu = [], []
            for _ in range(iters):
                while pool.free:  # the next invocation finds no warm instance
                    pool.discard(pool.free.pop())
                t, c = time.perf_counter_ns(), time.thread_time_ns()
                host.invoke(name, PAYLOAD)
                samples.append(time.perf_counter_ns() - t)
                cpu.append(time.thread_time_ns() - c)
            out[key], out[key + "_cpu"] = stats([samples]), stats([cpu])
        first_response("first_response_same_host", src, 2, cold_it)
        cold_instance("cold_instance", "warm", cold_it)
        out["warm_invoke"] = measure(lambda: host.invoke("warm", PAYLOAD), it, it // 10, 3)
        if lang == "python" and python_sdk():
            real = work / "real"
            real.mkdir(exist_ok=True)
            (real / "app.py").write_text(PY_IMPORTS_HANDLER)
            host.deploy("real", real)
            settle()  # the code's bytecode, compiled once in the background after its first instance
            first_response("first_response_with_imports", real, 1, max(3, cold_it // 3))
            cold_instance("cold_instance_with_imports", "real", max(3, cold_it // 3))
            cmd = [sys.executable, "-c", PY_IMPORTS]
            env = {**os.environ, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
            out["plain_process_with_imports"] = measure(
                lambda: subprocess.run(cmd, capture_output=True, check=True, env=env), max(3, cold_it // 3), 1, 1)
        if lang == "javascript" and SDK_JS.parent.joinpath("node_modules", "@aws-sdk").is_dir():
            # what the AWS SDK costs a function that imports it (and only such a function)
            sdk = work / "sdk.js"
            sdk.write_text(SDK_HANDLER)
            host.deploy("sdk", sdk, FunctionConfig(min_warm=1))

            first_response("first_response_with_aws_sdk", sdk, 1, max(5, cold_it // 2))
            cold_instance("cold_instance_with_aws_sdk", "sdk", max(5, cold_it // 2))
            out["warm_invoke_with_aws_sdk"] = measure(lambda: host.invoke("sdk", PAYLOAD), it, it // 10, 3)
            cmd = ["node", "-e", "require(process.argv[1])", str(sdk)]
            env = {**os.environ, "NODE_PATH": str(SDK_JS.parent / "node_modules"), "AWS_REGION": "us-east-1"}
            out["plain_process_with_aws_sdk"] = measure(
                lambda: subprocess.run(cmd, capture_output=True, check=True, env=env), max(5, cold_it // 4), 1, 1)

    def first_new_host() -> int:
        """ns from Host() to the first response (closing it is not timed)."""
        t = time.perf_counter_ns()
        h = Host(data, flush_interval_s=60, cache_dir=artifacts)
        h.deploy("f", src)
        h.invoke("f", PAYLOAD)
        t = time.perf_counter_ns() - t
        h.close()
        return t
    first_new_host()
    out["first_response_new_host"] = stats([[first_new_host() for _ in range(max(5, cold_it // 4))]])
    # the same handler, no sandbox
    if lang == "python":
        ns: dict = {}
        exec(src.read_text(), ns)
        handler = ns["handler"]
        out["plain_warm_call"] = measure(lambda: json.dumps(handler(json.loads(PAYLOAD), None)).encode(), it, it // 10, 3)
        cmd = [sys.executable, "-S", "-c", f"import json,sys;exec(open({str(src)!r}).read());"
               "sys.stdout.write(json.dumps(handler(json.loads(sys.argv[1]), None)))", PAYLOAD.decode()]
    else:
        cjs = work / "echo.cjs"
        cjs.write_text("exports.handler = async (event, context) => event;\n")
        proc = subprocess.run(["node", "-e", NODE_WARM % it, str(cjs), PAYLOAD.decode()], capture_output=True,
                              text=True, check=True)
        p50, p99 = json.loads(proc.stdout)
        out["plain_warm_call"] = {"p50_us": p50 / 1000, "p99_us": p99 / 1000}
        cmd = ["node", "-e", "require(process.argv[1]).handler(JSON.parse(process.argv[2]))"
               ".then((r) => process.stdout.write(JSON.stringify(r)))", str(cjs), PAYLOAD.decode()]
    out["plain_process_per_call"] = measure(lambda: subprocess.run(cmd, capture_output=True, check=True),
                                            max(5, cold_it // 4), 1, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--artifact-cache", help="a compiled-artifact folder reused across runs (default: compile the "
                                             "runtimes once per run)")
    ap.add_argument("--lang", choices=("python", "javascript"), action="append")
    args = ap.parse_args()
    it, cold_it = (500, 10) if args.quick else (5000, 40)
    work = Path(tempfile.mkdtemp(prefix="wasmhost-bench-rt-"))
    doc = {}
    try:
        for lang in args.lang or ("python", "javascript"):
            if lang == "javascript" and not shutil.which("node"):
                print("javascript: node is not installed; skipped")
                continue
            t = time.time()
            res = doc[lang] = bench(lang, it, cold_it, work, args.artifact_cache)
            print(f"{lang} ({time.time() - t:.0f} s)")
            for k, v in res.items():
                print(f"  {k:34} {us(v)}")
            print(f"  ratio first response (same host) / plain process: "
                  f"{res['first_response_same_host']['p50_us'] / res['plain_process_per_call']['p50_us']:.2f}")
            print(f"  ratio first response (new Host) / plain process:  "
                  f"{res['first_response_new_host']['p50_us'] / res['plain_process_per_call']['p50_us']:.2f}")
            print(f"  ratio warm invoke / plain in-process call:        "
                  f"{res['warm_invoke']['p50_us'] / res['plain_warm_call']['p50_us']:.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
