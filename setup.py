"""Wheels carry what Python and JavaScript functions need: the guest SDK (copied from
``guest_sdk/``, which stays where it is in the repository) and the two runtime
components, built here with componentize-py and componentize-js so that
``pip install wasmhost`` runs them with no toolchain, Node.js or network.

``WASMHOST_WHEEL_RUNTIMES=none`` builds a wheel without the runtimes (their
toolchains then come from ``pip install 'wasmhost[guests]'`` and ``npm``).

Two optional C extensions: the epoch ticker's thread (``wasmhost/engine/_ticker.c``)
and a core guest's warm call in one C call (``wasmhost/engine/_warmcall.c``). Where
no C compiler is found the install goes on without them: the ticker uses a POSIX
timer instead (engine/ticker.py says what that costs), and the warm call goes
through ctypes (abi/core.py).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads guest_sdk/ and builds runtimes in place
        target = Path(self.build_lib) / "wasmhost"
        sdk = target / "guest_sdk"
        shutil.rmtree(sdk, ignore_errors=True)
        shutil.copytree(ROOT / "guest_sdk", sdk, ignore=shutil.ignore_patterns("node_modules", "__pycache__", "*.pyc"))
        shutil.rmtree(target / "prebuilt", ignore_errors=True)  # build/ is reused: no runtimes of earlier builds
        if os.environ.get("WASMHOST_WHEEL_RUNTIMES") == "none":
            return
        # PYTHONPATH: this tree first, then pip's isolated build environment (which it names there)
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "PYTHONPATH": path, "WASMHOST_SDK": str(ROOT / "guest_sdk")}
        proc = subprocess.run([sys.executable, "-m", "wasmhost.runtimes.prebuilt", str(target / "prebuilt")],
                              cwd=ROOT, env=env)
        if proc.returncode != 0:
            sys.exit("building the runtimes for the wheel failed (see above); they need componentize-py and "
                     "`npm ci --prefix guest_sdk/javascript`, or set WASMHOST_WHEEL_RUNTIMES=none")


setup(cmdclass={"build_py": BuildPy},
      ext_modules=[Extension(f"wasmhost.engine.{name}", [f"wasmhost/engine/{name}.c"], optional=True,
                             extra_compile_args=["-O2", "-std=c11"]) for name in ("_ticker", "_warmcall")]
      if sys.platform.startswith("linux") else [])
