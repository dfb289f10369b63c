"""Edge footprint: what ``import wasmhost`` and a host with one warm function cost,
beside ``import wasmtime`` and the bare interpreter measured in the same run.

    python bench/bench_footprint.py [--runs 21] [--before DIR] [--json out.json]

Measured as a pip install leaves things: a throw-away virtualenv whose site-packages
names this environment's packages in a plain ``.pth`` line, and the tree on
PYTHONPATH, so the editable install's import hook (which loads ``pathlib``, ``re``,
``urllib.parse`` and ``ipaddress`` at start-up) does not hide what wasmhost loads;
bytecode precompiled. Import cost: in each fresh process ``import wasmtime`` and
then ``import wasmhost`` are timed (wall and CPU); the ratio is (wasmtime + the rest
of wasmhost) / wasmtime, the median over runs (target: at most 2x). ``--before DIR``:
a tree of the code before a change (``git archive REF | tar -x -C DIR``), run
alternately in the same sitting. Memory: RSS of a fresh interpreter, then after
``import wasmhost``, ``Host()`` and one deployed, invoked core-module function
(target: under 40 MB over the bare interpreter); the same for a Python function
with ``--python-function`` (its runtime compiled into the artifact cache first; run
by this environment's interpreter, which has the build toolchain).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import site
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

IMPORTS = """
import time
w0, c0 = time.perf_counter(), time.process_time()
import wasmtime
w1, c1 = time.perf_counter(), time.process_time()
import wasmhost
w2, c2 = time.perf_counter(), time.process_time()
print(w1 - w0, w2 - w0, c1 - c0, c2 - c0)
"""

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


def clean_python(tmp: Path) -> Path:
    """A virtualenv that sees this environment's packages the way a pip install would."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp / "venv")], check=True)
    packages = [p for p in site.getsitepackages() if Path(p).is_dir()]
    target = Path(subprocess.run([str(tmp / "venv/bin/python"), "-c", "import site; print(site.getsitepackages()[0])"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    (target / "wasmhost-bench.pth").write_text("\n".join(packages) + "\n")  # plain paths: no import hooks run
    return tmp / "venv/bin/python"


def run(python: Path, tree: Path, code: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env["PYTHONPATH"] = str(tree)
    return subprocess.run([str(python), "-c", code, *args], capture_output=True, text=True, env=env,
                          cwd=tempfile.gettempdir(), check=True).stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--before", type=Path, help="a tree of the code before a change, run alternately with this one")
    ap.add_argument("--json", default=None)
    ap.add_argument("--python-function", action="store_true", help="also measure a Python function's RSS")
    args = ap.parse_args()
    trees = {"current": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    doc: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        python = clean_python(Path(tmp))
        samples: dict[str, list[list[float]]] = {name: [] for name in trees}
        for tree in trees.values():
            compileall.compile_dir(str(tree / "wasmhost"), quiet=1)
            run(python, tree, IMPORTS)  # the page cache
        for i in range(args.runs):
            for name in (list(trees) if i % 2 == 0 else list(trees)[::-1]):
                samples[name].append([float(x) * 1000 for x in run(python, trees[name], IMPORTS).split()])
        print(f"import wasmtime, then import wasmhost, in fresh processes ({args.runs} runs, medians; "
              f"target: wasmhost at most 2x wasmtime)")
        for name, rows in samples.items():
            col = list(zip(*rows))
            med = [statistics.median(c) for c in col]
            wall_ratio = statistics.median(r[1] / r[0] for r in rows)
            cpu_ratio = statistics.median(r[3] / r[2] for r in rows)
            doc[name] = {"import_ms": {"wasmtime_wall": med[0], "wasmhost_wall": med[1], "wasmtime_cpu": med[2],
                                       "wasmhost_cpu": med[3]},
                         "import_ratio": {"wall": wall_ratio, "cpu": cpu_ratio}}
            print(f"  {name:8} wall: wasmtime {med[0]:.1f} ms, wasmhost {med[1]:.1f} ms, {wall_ratio:.2f}x; "
                  f"CPU: {med[2]:.1f} / {med[3]:.1f} ms, {cpu_ratio:.2f}x")
        echo = ROOT / "tests" / "guests" / "echo.wat"
        for name, tree in trees.items():
            data = Path(tmp) / f"data-{name}"
            run(python, tree, RSS, str(data), str(echo))  # the artifact cached, as on a restart
            imported, warm = map(float, run(python, tree, RSS, str(data), str(echo)).split())
            doc[name]["rss_mb"] = {"import": imported, "host_one_warm_core_function": warm}
            print(f"  {name:8} RSS over the bare interpreter: import {imported:.1f} MB, host + one warm core "
                  f"function {warm:.1f} MB (target < 40 MB)")
        if args.python_function:
            app = Path(tmp) / "app.py"
            app.write_text("def handler(event, context):\n    return event\n")
            # this environment (the build toolchain's; the runtime found by its build cache key)
            run(Path(sys.executable), ROOT, RSS, str(Path(tmp) / "data-py"), str(app))
            py = float(run(Path(sys.executable), ROOT, RSS, str(Path(tmp) / "data-py"), str(app)).split()[1])
            doc["current"]["rss_mb"]["host_one_warm_python_function"] = py
            print(f"  current  host + one warm Python function (runtime artifact cached): {py:.1f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
