"""A fuzzer for the Lambda API, generated from the service model: every
operation's HTTP binding, with members drawn from valid values, edge values
(one past each range, wrong JSON types, ``true`` for integers, Unicode digits,
lone surrogates, huge strings, non-finite numbers, nesting 2,000 deep) and
names of functions that exist, so requests reach past the first check.

Checks each answer: no 5xx; every 4xx is JSON with ``x-amzn-ErrorType``; and a
normal Invoke still works afterwards. As a script, against a server it starts::

    python tests/server/lambda_fuzz.py --seconds 120 [--seed 1]
"""

from __future__ import annotations

import http.client
import json
import random
import string
import time
from typing import Any
from urllib.parse import quote, urlencode

from wasmhost.server.lambda_model import model

FUNCTION = "fz"
HEAD_ROOM = 2000  # characters of a URL part: heads past 8 KB are the HTTP front end's to refuse (test_conformance)
ODD_STRINGS = ["", "¹", "١٢", "\ud800", "a" * 70_000, "../../etc", "fz:¹", f"{FUNCTION}:$LATEST", "$LATEST", "1",
               "NaN", "arn:aws:lambda:us-east-1:000000000000:function:fz", "x y", "\x00", "😀" * 5, "%2F"]


class Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.m = model.load()
        self.shapes = self.m["shapes"]

    def value(self, shape_name: str, depth: int = 0, located: bool = False) -> Any:
        """``located``: also the members bound to the URL and headers (for boto3)."""
        r, shape = self.rng, self.shapes[shape_name]
        kind = shape["type"]
        roll = r.random()
        if roll < 0.04:  # a value of the wrong type
            return r.choice([True, 5, -1, 1.5, "5", [], {}, [1, "a"], {"a": 1}, 1e308])
        if roll < 0.05:
            return Deep()
        if roll < 0.06:
            return NonFinite(r.choice(["NaN", "Infinity", "-Infinity", "1e999"]))
        if kind == "structure":
            members = shape.get("members", {})
            out = {}
            for name, ref in members.items():
                if "location" in ref and not located:
                    continue
                if ref.get("location") == "uri":
                    out[name] = str(self.value(ref["shape"], depth + 1))[:HEAD_ROOM] or "x"
                    continue
                if name in shape.get("required", ()) and r.random() < 0.95 or r.random() < 0.3:
                    out[name] = self.value(ref["shape"], depth + 1)
            return out
        if kind == "list":
            return [self.value(shape["member"]["shape"], depth + 1) for _ in range(r.choice([0, 1, 1, 2, 3, 60]))]
        if kind == "map":
            return {self.string(self.shapes[shape["key"]["shape"]]): self.value(shape["value"]["shape"], depth + 1)
                    for _ in range(r.choice([0, 1, 2, 60]))}
        if kind == "string":
            return self.string(shape)
        if kind in ("integer", "long"):
            lo, hi = shape.get("min", 0), shape.get("max", 10_000)
            return r.choice([lo, hi, lo - 1, hi + 1, (lo + hi) // 2, 10 ** 30, 0, -1])
        if kind in ("double", "float"):
            return r.choice([0.0, 0.5, 1.0, 1.5, -0.1, 1e300])
        if kind == "boolean":
            return r.choice([True, False, "true", 1])
        if kind == "blob":
            return r.choice(["", "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==", "AGFzbQEAAAA=", "not base64!", "AA=="])
        if kind == "timestamp":
            return r.choice([0, 1.5, "2020-01-01T00:00:00Z", "yesterday"])
        return None

    def string(self, shape: dict[str, Any]) -> str:
        r = self.rng
        if shape.get("enum") and r.random() < 0.7:
            return r.choice(shape["enum"])
        roll = r.random()
        if roll < 0.35:
            return FUNCTION
        if roll < 0.5:
            return r.choice(ODD_STRINGS)
        n = r.choice([1, 3, 8, shape.get("max", 64), shape.get("max", 64) + 1, shape.get("min", 1) - 1])
        return "".join(r.choice(string.ascii_letters + string.digits + "-_") for _ in range(max(n, 0) if n < 5000 else 5000))

    def request(self, op_name: str) -> tuple[str, str, dict[str, str], bytes]:
        op = self.m["operations"][op_name]
        params = self.value(op["input"]) if "input" in op else {}
        shape = self.shapes.get(op.get("input", ""), {})
        path, _, fixed = op["uri"].partition("?")
        query: list[tuple[str, str]] = [tuple(p.split("=", 1)) for p in fixed.split("&") if p]  # type: ignore[misc]
        headers: dict[str, str] = {}
        body: Any = {}
        for name, ref in shape.get("members", {}).items():
            where, key = ref.get("location"), ref.get("locationName", name)
            if where == "uri":
                label = self.string(self.shapes[ref["shape"]])[:HEAD_ROOM]
                path = path.replace("{" + key + "}", quote(label.encode("utf-8", "surrogatepass"), safe="") or "x")
            elif where == "querystring" and self.rng.random() < 0.5:
                value = self.value(ref["shape"])
                if isinstance(value, list):
                    query += [(key, str(v)[:HEAD_ROOM // 40]) for v in value]
                else:
                    text = value if isinstance(value, str) else encode(value).decode("utf-8", "replace")
                    query.append((key, text[:HEAD_ROOM]))
            elif where == "header" and self.rng.random() < 0.5:
                headers[key] = self.rng.choice(["Event", "DryRun", "RequestResponse", "Tail", "Bogus", "¹"])
            elif where is None and isinstance(params, dict) and name in params:
                body[name] = params[name]
        if op_name == "Invoke":
            raw = self.rng.choice([b"{}", b'{"a": NaN}', b"[" * 3000, b"1e999", b'"\\ud800"', b"\xff", b"", b"[]"])
        elif self.rng.random() < 0.03:
            raw = self.rng.choice([b"{", b"[]", b"5", b"\xff\xfe", b'{"a":' * 5000])
        else:
            raw = encode(body)
        qs = urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in query])
        return op["method"], path + ("?" + qs if qs else ""), headers, raw


class Deep:
    """A value nested 2,000 deep (rendered by ``encode``)."""


class NonFinite:
    def __init__(self, text: str) -> None:
        self.text = text


def encode(value: Any) -> bytes:
    if isinstance(value, Deep):
        return b"[" * 2000 + b"]" * 2000
    if isinstance(value, NonFinite):
        return value.text.encode()
    if isinstance(value, dict):
        return b"{" + b",".join(encode(str(k)) + b":" + encode(v) for k, v in value.items()) + b"}"
    if isinstance(value, list):
        return b"[" + b",".join(encode(v) for v in value) + b"]"
    return json.dumps(value).encode("utf-8", "surrogatepass")


def ensure_function(client: Any) -> None:
    """The function most requests name, (re)created with boto3 if the fuzzer deleted it."""
    from live import create
    try:
        client.get_function(FunctionName=FUNCTION)
    except client.exceptions.ResourceNotFoundException:
        create(client, FUNCTION, "echo")
    client.delete_function_concurrency(FunctionName=FUNCTION)


def check(status: int, headers: dict[str, str], body: bytes) -> str | None:
    """What is wrong with an answer, or None."""
    if status >= 500:
        return f"{status}: {body[:300]!r}"
    if status >= 400:
        if not headers.get("x-amzn-errortype"):
            return f"{status} without x-amzn-ErrorType: {body[:200]!r}"
        try:
            doc = json.loads(body)
        except ValueError:
            return f"{status} body is not JSON: {body[:200]!r}"
        if not isinstance(doc, dict) or not ("message" in doc or "Message" in doc):
            return f"{status} body has no message: {body[:200]!r}"
    return None


def run(host: str, port: int, *, seconds: float = 0, requests: int = 0, seed: int = 1,
        reseed: Any = None) -> dict[str, Any]:
    """Fuzz until ``seconds`` pass or ``requests`` are sent; returns counts and failures.
    ``reseed()``, every 100 requests, puts back what the fuzzer deleted."""
    rng = random.Random(seed)
    gen = Generator(rng)
    names = sorted(gen.m["operations"])
    conn = http.client.HTTPConnection(host, port, timeout=30)
    statuses: dict[int, int] = {}
    failures: list[str] = []
    sent = 0
    deadline = time.time() + seconds if seconds else None
    while (deadline is None or time.time() < deadline) and (not requests or sent < requests):
        if reseed is not None and sent % 100 == 0:
            reseed()
        op = rng.choice(names)
        method, target, headers, body = gen.request(op)
        try:
            conn.request(method, target, body=body, headers={"Content-Type": "application/json", **headers})
            resp = conn.getresponse()
            data = resp.read()
        except (http.client.HTTPException, OSError) as e:
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
            failures.append(f"{op} {method} {target[:120]}: connection error {e!r}")
            continue
        sent += 1
        statuses[resp.status] = statuses.get(resp.status, 0) + 1
        problem = check(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        if problem:
            failures.append(f"{op} {method} {target[:120]}: {problem}")
        if resp.getheader("connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.close()
    return {"sent": sent, "statuses": statuses, "failures": failures}


def run_boto3(client: Any, *, requests: int, seed: int = 1, reseed: Any = None) -> dict[str, Any]:
    """The same values through boto3 with its client-side validation off, so they
    travel in botocore's own serialization (query lists, headers, blobs, timestamps)."""
    import botocore.exceptions
    from botocore import xform_name
    rng = random.Random(seed)
    gen = Generator(rng)
    names = sorted(n for n in gen.m["operations"] if "input" in gen.m["operations"][n])
    failures: list[str] = []
    sent = 0
    for i in range(requests):
        if reseed is not None and i % 100 == 0:
            reseed()
        op = rng.choice(names)
        params = gen.value(gen.m["operations"][op]["input"], located=True)
        if not isinstance(params, dict) or _unencodable(params):
            continue
        try:
            getattr(client, xform_name(op))(**params)
        except botocore.exceptions.ClientError as e:
            status = e.response["ResponseMetadata"]["HTTPStatusCode"]
            code = e.response["Error"].get("Code", "")
            if status >= 500 or not code or code.isdigit():
                failures.append(f"{op} {params!r:.200}: {status} {code} {e}")
        except (botocore.exceptions.ParamValidationError, botocore.exceptions.BotoCoreError, TypeError,
                ValueError, AttributeError, KeyError, UnicodeError, OverflowError):
            continue  # botocore could not serialize this value: nothing was sent
        sent += 1
    return {"sent": sent, "failures": failures}


def _unencodable(value: Any) -> bool:
    if isinstance(value, (Deep, NonFinite)):
        return True
    if isinstance(value, dict):
        return any(_unencodable(k) or _unencodable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unencodable(v) for v in value)
    return False


if __name__ == "__main__":
    import argparse
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    sys.path.insert(0, str(Path(__file__).parent.parent))
    from live import Server, lambda_client  # noqa: E402

    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--boto3-requests", type=int, default=3000, help="then this many through boto3")
    args = ap.parse_args()
    server = Server(Path(tempfile.mkdtemp()) / "data").start()
    try:
        client = lambda_client(server.url)
        out = run("127.0.0.1", server.port, seconds=args.seconds, seed=args.seed,
                  reseed=lambda: ensure_function(client))
        ensure_function(client)
        boto = run_boto3(lambda_client(server.url, validate=False), requests=args.boto3_requests, seed=args.seed,
                         reseed=lambda: ensure_function(client))
        ensure_function(client)
        ok = client.invoke(FunctionName=FUNCTION, Payload=b'{"still": "serving"}')["Payload"].read()
        print(json.dumps({"sent": out["sent"], "statuses": out["statuses"], "failures": len(out["failures"]),
                          "boto3_sent": boto["sent"], "boto3_failures": len(boto["failures"]),
                          "invoke_after": ok.decode()}, indent=1))
        for f in (out["failures"] + boto["failures"])[:40]:
            print(f)
    finally:
        server.stop()
