"""The AWS SDK for JavaScript v3 drives every operation tools call (js_sdk/lambda_ops.mjs,
one step each, waiters and a paginator included) against a live server."""

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from live import zipped

HERE = Path(__file__).parent / "js_sdk"


def test_js_sdk_v3_drives_every_operation(server):
    if shutil.which("node") is None or not (HERE / "node_modules/@aws-sdk/client-lambda").is_dir():
        pytest.skip("needs node and `npm install --prefix tests/server/js_sdk` (scripts/setup runs it)")
    proc = subprocess.run(["node", str(HERE / "lambda_ops.mjs"), server.url, base64.b64encode(zipped("echo")).decode()],
                          capture_output=True, text=True, timeout=300, cwd=HERE)
    assert proc.returncode == 0, proc.stderr[-2000:]
    steps = [json.loads(line) for line in proc.stdout.splitlines()]
    failed = [s for s in steps if not s["ok"]]
    assert len(steps) >= 50 and failed == [], failed
