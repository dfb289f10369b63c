"""Every module imports first, in a fresh interpreter: an import cycle hides while some
other module happens to be imported before (``server/apigateway.py`` and the Lambda
model's deployer did, until a test module importing apigateway first ran alone)."""

import subprocess
import sys
from pathlib import Path

import wasmhost

CHILD = r"""
import importlib, os, sys
for dep in ("asyncio", "sqlite3", "json", "aiohttp.web", "wasmtime", "msgpack", "cloudpickle", "httptools", "uvloop",
            "nats", "boto3"):  # imported once, before the forks: cycles are wasmhost's own
    try:
        importlib.import_module(dep)
    except ImportError:
        pass
failed = []
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException as e:
            print(f"{name}: {type(e).__name__}: {e}", flush=True)
            os._exit(1)
        os._exit(0)
    if os.waitpid(pid, 0)[1] != 0:
        failed.append(name)
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_on_its_own():
    root = Path(wasmhost.__file__).parent
    names = sorted("wasmhost." + ".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
                   for p in root.rglob("*.py") if p.name != "__main__.py")
    names = [n.removesuffix(".__init__") for n in names]
    assert len(names) > 100
    run = subprocess.run([sys.executable, "-c", CHILD, *names], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
