"""Edge footprint: what ``import wasmhost`` and a host with one warm function cost,
beside ``import wasmtime`` and the bare interpreter measured in the same run.

    python bench/bench_footprint.py [--runs 21] [--json out.json]

Import cost: ``python -X importtime`` in fresh processes, alternating ``import
wasmtime`` and ``import wasmhost`` (whose cumulative time includes wasmtime); the
median of each and their ratio (target: at most 2x). Bytecode is precompiled and
PYTHONDONTWRITEBYTECODE unset, as a pip install leaves it. Memory: RSS of a fresh
interpreter, then after ``import wasmhost``, ``Host()`` and one deployed, invoked
core-module function (target: under 40 MB over the bare interpreter); the same
for a Python function when its runtime is compiled in the artifact cache.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

RSS = """
import sys
def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
base = rss()
import wasmhost
imported = rss()
host = wasmhost.Host(sys.argv[1])
host.deploy("f", sys.argv[2])
host.invoke("f", {"a": 1})
print(imported - base, rss() - base)
"""


def import_us(module: str) -> int:
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                         text=True, env=ENV, cwd=tempfile.gettempdir(), check=True).stderr
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[2].rstrip() == f" {module}":  # depth 0: what the statement cost
            return int(parts[1])
    raise RuntimeError(f"no importtime line for {module}")


def rss_mb(data: Path, source: Path) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", RSS, str(data), str(source)], capture_output=True, text=True,
                         env=ENV, check=True).stdout
    imported, warm = map(float, out.split())
    return imported, warm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--json", default=None)
    ap.add_argument("--python-function", action="store_true", help="also measure a Python function's RSS")
    args = ap.parse_args()
    compileall.compile_dir(str(ROOT / "wasmhost"), quiet=1)
    times: dict[str, list[int]] = {"wasmtime": [], "wasmhost": []}
    for _ in range(args.runs):
        for module in times:
            times[module].append(import_us(module))
    med = {m: statistics.median(v) / 1000 for m, v in times.items()}
    doc: dict = {"import_ms": med, "import_ratio": med["wasmhost"] / med["wasmtime"]}
    print(f"import wasmtime {med['wasmtime']:.1f} ms, import wasmhost {med['wasmhost']:.1f} ms "
          f"(median of {args.runs}): {doc['import_ratio']:.2f}x (target <= 2x)")
    with tempfile.TemporaryDirectory() as tmp:
        imported, warm = rss_mb(Path(tmp) / "data", ROOT / "tests" / "guests" / "echo.wat")
        imported, warm = rss_mb(Path(tmp) / "data", ROOT / "tests" / "guests" / "echo.wat")  # artifact cached
        doc["rss_mb"] = {"import": imported, "host_one_warm_core_function": warm}
        print(f"RSS over the bare interpreter: import {imported:.1f} MB, host + one warm core function "
              f"{warm:.1f} MB (target < 40 MB)")
        if args.python_function:
            app = Path(tmp) / "app.py"
            app.write_text("def handler(event, context):\n    return event\n")
            rss_mb(Path(tmp) / "data", app)  # compiles the runtime into the artifact cache
            doc["rss_mb"]["host_one_warm_python_function"] = py = rss_mb(Path(tmp) / "data", app)[1]
            print(f"host + one warm Python function (runtime artifact cached): {py:.1f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
