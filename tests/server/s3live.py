"""Clients for the S3 API of a live server, and what a test function logged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def s3_client(url: str, key: str = "x", secret: str = "x", **config):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 0}, **config))


def aws(url: str, *args: str, key: str = "x", secret: str = "x", check: bool = True) -> subprocess.CompletedProcess:
    """The aws CLI (awscli, installed with the test extras) against the server."""
    exe = Path(sys.executable).parent / "aws"
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    return subprocess.run([str(exe), "--endpoint-url", url, *args], env=env, capture_output=True, text=True,
                          check=check, timeout=120)


def logged_events(url: str, function: str) -> list[dict]:
    """The S3 event documents the log_event guest logged, oldest first."""
    with urllib.request.urlopen(f"{url}/wasmhost/logs?function={function}&limit=1000", timeout=10) as r:
        logs = json.load(r)["logs"]
    return [json.loads(entry["text"]) for entry in reversed(logs) if entry["text"].startswith("{")]


def wait_for(predicate, timeout: float = 20.0, step: float = 0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
