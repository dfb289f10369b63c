"""Edge footprint: ``import wasmhost`` brings no server and none of the standard
library it only needs later (a module-set assertion, not a timing: the import time
against ``import wasmtime`` is measured by bench/bench_footprint.py), and a host
with one warm function stays small."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# loaded on first use instead: the server, asyncio, build and packaging tools; buckets (with
# logging, hashlib, uuid, shutil: wasmhost/__init__'s lazy names); the SQLite key-value backend
# (sqlite3: backends/kv.py); outbound HTTP's client (http.client, email, socket, ssl:
# capabilities/http_connection.py); the component model (wasmtime.component: with the first
# Python or JavaScript function). dataclasses (and inspect) still load: five value types use it.
NOT_ON_IMPORT = {"aiohttp", "asyncio", "uvloop", "httptools", "tempfile", "mmap", "subprocess", "zipfile",
                 "tarfile", "urllib.request", "cloudpickle", "componentize_py", "boto3", "botocore",
                 "wasmhost.buckets", "inotify_simple", "logging", "hashlib", "uuid", "shutil", "sqlite3", "http.client",
                 "email", "socket", "ssl", "wasmtime.component"}


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


def test_lazy_names_resolve_on_first_use():
    import wasmhost
    from wasmhost.buckets import Buckets, LocalBuckets
    assert wasmhost.Buckets is Buckets and wasmhost.LocalBuckets is LocalBuckets
    assert set(wasmhost.__all__) <= set(dir(wasmhost))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        wasmhost.Nope  # noqa: B018
