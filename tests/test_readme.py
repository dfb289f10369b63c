"""The README's commands, run in order as a new user would, against a live server.

Every ``sh`` or ``python`` block in README.md is preceded by a marker:
``<!-- readme-test: run -->`` (run here, in order), ``<!-- readme-test: server -->``
(starts the server: here ``wasmhost serve --examples``, which is what ``scripts/run``
runs after setting up .venv) or ``<!-- readme-test: skip (why) -->``. A block with
no marker fails the test, so a new block is either run or says why not. The
``sh`` blocks are one shell session: what one block exports, the next one has.
Blocks run in a scratch folder that links the checkout's ``.venv``, ``examples``,
``tests`` and ``guest_sdk``, with ``$WASMHOST_HOME`` there too (the build cache is shared), and the server's
address in place of ``127.0.0.1:9000``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "server"))
from live import Server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(?:<!-- readme-test: (?P<mark>[^\n]*?) -->\n)?```(?P<lang>[a-z]*)\n(?P<body>.*?)```", re.S)


def blocks() -> list[tuple[str, str, str]]:
    return [(m["mark"] or "", m["lang"], m["body"]) for m in BLOCK.finditer((ROOT / "README.md").read_text())
            if m["lang"] in ("sh", "python")]


def test_every_block_is_run_or_says_why_not():
    for mark, _lang, body in blocks():
        assert mark == "run" or mark == "server" or re.fullmatch(r"skip \(.+\)", mark), \
            f"README block without a readme-test marker:\n{body}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not (ROOT / ".venv" / "bin" / "wasmhost").exists():
        pytest.skip("the README's commands use .venv/bin: run scripts/setup (CI does, through scripts/test)")
    s = Server(tmp_path_factory.mktemp("readme") / "data", "--examples").start()
    yield s
    s.stop()


def test_readme_runs_as_written(server, tmp_path):
    work = tmp_path / "checkout"
    work.mkdir()
    for name in (".venv", "examples", "tests", "guest_sdk", "scripts"):
        (work / name).symlink_to(ROOT / name)
    from wasmhost.build import cache_dir
    # a fresh data directory; the build cache (deterministic outputs: runtimes, C builds) is shared
    env = dict(os.environ, WASMHOST_HOME=str(tmp_path / "home"), WASMHOST_BUILD_CACHE=str(cache_dir()),
               WASMHOST_ENDPOINT=server.url, WASMHOST_PROGRESS="0")
    env.pop("VIRTUAL_ENV", None)
    assert [m for m, _, _ in blocks()].count("server") == 1
    transcript, exports = [], ""
    for mark, lang, body in blocks():
        if mark != "run":
            continue
        body = body.replace("127.0.0.1:9000", f"127.0.0.1:{server.port}")
        if lang == "sh":  # one shell session: what a block exports, the next has
            cmd = ["bash", "-euo", "pipefail", "-c", exports + body]
            exports += "".join(line + "\n" for line in body.splitlines() if line.startswith("export "))
        else:  # as a user runs it: saved to a file (a function typed into `python -c` has no source)
            script = work / f"readme_block_{len(transcript)}.py"
            script.write_text(body)
            cmd = [str(ROOT / ".venv/bin/python"), script.name]
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
        transcript.append(proc.stdout)
        assert proc.returncode == 0, f"README block failed:\n{body}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        assert "Traceback" not in proc.stderr, proc.stderr
    out = "\n".join(transcript)
    for expected in ("Hello, world!", '{"a": 1}', "Hello, ada!", "you asked for /some/path", '{"hello": "world"}',
                     "b'{\"a\": 1}'", "500500", "{'words': 4}"):
        assert expected in out, f"{expected!r} not in the README's output:\n{out}"
