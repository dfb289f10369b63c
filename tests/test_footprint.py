"""Edge footprint: ``import wasmhost`` brings no server and none of the standard
library it only needs later (a module-set assertion, not a timing: the import time
against ``import wasmtime`` is measured by bench/bench_footprint.py), and a host
with one warm function stays small."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# loaded on first use instead: the server, asyncio, build and packaging tools. Not yet listed,
# since later merges load them eagerly (to be made lazy): sqlite3 (backends/kv), http.client
# and email (capabilities/http), wasmtime.component (engine/ffi), and logging, hashlib, shutil
# (wasmhost.buckets, imported by wasmhost/__init__.py).
NOT_ON_IMPORT = {"aiohttp", "asyncio", "uvloop", "httptools", "tempfile", "mmap", "subprocess", "zipfile",
                 "tarfile", "urllib.request", "cloudpickle", "componentize_py", "boto3", "botocore"}


def test_import_wasmhost_leaves_heavy_modules_out():
    code = "import sys; from wasmhost import Host, FunctionConfig, InvocationError; print(' '.join(sys.modules))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert "wasmhost.host" in loaded  # the statement did import the library
    assert sorted(NOT_ON_IMPORT & loaded) == []


def test_a_host_with_one_warm_function_stays_under_40_mb():
    code = ("import sys\n"
            "def rss():\n"
            "    return int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1]) / 1024\n"
            "base = rss()\n"
            "import wasmhost\n"
            "host = wasmhost.Host(persist=False)\n"
            "host.deploy('echo', sys.argv[1])\n"
            "assert host.invoke('echo', b'hi').payload == b'hi'\n"
            "print(rss() - base)\n")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "tests" / "guests" / "echo.wat")],
                         capture_output=True, text=True, check=True).stdout
    assert float(out) < 40, f"{float(out):.1f} MB over the bare interpreter"
