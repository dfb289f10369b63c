"""`pip install wasmhost` runs Python and JavaScript functions with nothing else.

Builds the wheel (with build isolation, as a release would), installs it into a
fresh virtualenv with the server extra and no toolchains (no componentize-py; the
process runs with Node.js off PATH, pip's index off, and outside the checkout),
then runs a Python and a JavaScript function through ``Host`` and through
``wasmhost serve`` + ``wasmhost deploy``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "server"))
from live import free_port  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (ROOT / "guest_sdk" / "javascript" / "node_modules" / ".bin" / "componentize-js").exists(),
    reason="building the wheel's JavaScript runtime needs `npm ci --prefix guest_sdk/javascript` (scripts/setup)")

APP_PY = "import json\n\ndef handler(event, context):\n    return {'py': event, 'fn': context.function_name}\n"
INDEX_JS = "export async function handler(event, context) { return {js: event}; }\n"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    wheel = next(dist.glob("wasmhost-*.whl"))
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # nothing but the venv's own packages
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", f"{wheel}[server]"], check=True,
                   capture_output=True, timeout=600, env=clean)
    work = tmp / "work"
    work.mkdir()
    (work / "app.py").write_text(APP_PY)
    (work / "index.js").write_text(INDEX_JS)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "node").exists())
    env = {"PATH": f"{env_dir / 'bin'}{os.pathsep}{path}", "HOME": str(tmp / "home"), "PIP_NO_INDEX": "1",
           "WASMHOST_HOME": str(tmp / "wasmhost-home"), "LANG": "C.UTF-8"}
    return {"wheel": wheel, "py": py, "bin": env_dir / "bin", "work": work, "env": env}


def run(installed, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=installed["work"], env=installed["env"], capture_output=True, text=True,
                          timeout=timeout)


def test_wheel_has_no_toolchain_and_is_small(installed):
    proc = run(installed, str(installed["py"]), "-c", "import importlib.util as u, wasmhost, wasmhost.build as b; "
               "print(u.find_spec('componentize_py'), b.SDK)")
    assert proc.returncode == 0, proc.stderr
    none, sdk = proc.stdout.split()
    assert none == "None" and "site-packages" in sdk
    assert installed["wheel"].stat().st_size < 24e6  # ~22 MB: both runtimes compressed (the JavaScript one
    # holds Node's synchronous crypto on @noble since session 9: +3 MB), the Python standard library


def test_host_runs_python_and_javascript(installed):
    script = ("from wasmhost import Host\n"
              "h = Host()\n"
              "h.deploy('p', 'app.py'); print(h.invoke('p', {'a': 1}).payload.decode())\n"
              "h.deploy('j', 'index.js'); print(h.invoke('j', {'a': 2}).payload.decode())\n")
    proc = run(installed, str(installed["py"]), "-c", script)
    assert proc.returncode == 0, proc.stderr
    py, js = (json.loads(line) for line in proc.stdout.splitlines())
    assert py == {"py": {"a": 1}, "fn": "p"} and js == {"js": {"a": 2}}


def test_serve_runs_python_and_javascript(installed):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(installed["bin"] / "wasmhost"), "serve", "--port", str(port)],
                              cwd=installed["work"], env=installed["env"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.time() < deadline, server.stderr and server.stderr.read()
                time.sleep(0.1)
        env = dict(installed["env"], WASMHOST_ENDPOINT=url)
        for name, source, event, want in (("p", "app.py", {"a": 3}, {"py": {"a": 3}, "fn": "p"}),
                                           ("j", "index.js", {"a": 4}, {"js": {"a": 4}})):
            proc = subprocess.run([str(installed["bin"] / "wasmhost"), "deploy", name, source],
                                  cwd=installed["work"], env=env, capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, proc.stderr
            req = urllib.request.Request(f"{url}/invoke/{name}", data=json.dumps(event).encode(), method="POST")
            with urllib.request.urlopen(req, timeout=120) as r:
                assert json.loads(r.read()) == want
    finally:
        server.terminate()
        server.wait(10)
