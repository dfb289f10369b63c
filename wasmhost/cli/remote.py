"""Subcommands that talk to a running ``wasmhost serve`` over its Lambda API and
``/wasmhost/*``: ``deploy``, ``invoke NAME``, ``ls``, ``rm``, ``logs``, ``dlq``.
The client is urllib: the CLI needs no SDK."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import quote

from ..errors import WasmhostError
from .options import add_function_options, key_value, read_event

FUNCTIONS = "/2015-03-31/functions"


class Remote:
    """Just enough of a client for a running ``wasmhost serve``."""

    def __init__(self, endpoint: str, api_key: str | None) -> None:
        self.endpoint, self.api_key = endpoint.rstrip("/"), api_key

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict | None = None) -> tuple[int, dict, bytes]:
        import urllib.error
        import urllib.request
        req = urllib.request.Request(self.endpoint + path, data=body, method=method, headers=headers or {})
        if self.api_key:
            req.add_header("Authorization", f"Bearer {self.api_key}")
        try:
            with urllib.request.urlopen(req, timeout=900) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise WasmhostError(f"cannot reach {self.endpoint} ({reason}): is `wasmhost serve` running? "
                                "(--endpoint or $WASMHOST_ENDPOINT)") from None

    def json(self, method: str, path: str, data: dict | None = None) -> dict:
        status, _, body = self.call(method, path, json.dumps(data).encode() if data is not None else None,
                                    {"Content-Type": "application/json"})
        try:
            doc = json.loads(body) if body else {}
        except ValueError:
            doc = {}
        if status >= 400:
            message = doc.get("message") or doc.get("Message") or body.decode(errors="replace").strip()
            raise WasmhostError(f"{message} (HTTP {status} from {self.endpoint})")
        return doc

    def require_function(self, name: str) -> dict:
        status, _, body = self.call("GET", f"{FUNCTIONS}/{quote(name)}")
        if status == 404:
            raise WasmhostError(f"function {name!r} not found on {self.endpoint} (`wasmhost ls` lists them)")
        if status >= 400:
            raise WasmhostError(f"{body.decode(errors='replace').strip()} (HTTP {status} from {self.endpoint})")
        return json.loads(body)


def remote(args: argparse.Namespace) -> Remote:
    return Remote(args.endpoint, args.api_key)


def invoke_remote(args: argparse.Namespace) -> int:
    """``wasmhost invoke NAME``: the result on stdout, the report on stderr."""
    server = remote(args)
    status, headers, body = server.call("POST", f"/invoke/{quote(args.target, safe=':')}", read_event(args.event))
    if status == 404 and not any(k.lower() == "x-wasmhost-request-id" for k in headers):
        server.require_function(args.target.partition(":")[0])  # says which is missing
    sys.stdout.buffer.write(body + b"\n")
    report = {k[11:]: v for k, v in headers.items() if k.lower().startswith("x-wasmhost-")}
    if report:
        print("  ".join(f"{k}: {v}" for k, v in report.items()), file=sys.stderr)
    return 1 if status >= 400 else 0


def _source_zip(path: Path) -> tuple[bytes, str, str] | None:
    """Python or JavaScript sources as Lambda wants them: a zip, a runtime, a handler."""
    import io
    import zipfile

    from ..build import BuildError, detect
    from ..runtimes.python import default_handler
    try:
        path, lang = detect(path)
    except BuildError:
        return None
    if lang not in ("python", "javascript"):
        return None
    if path.is_file():
        files, runtime = [path], ("python3.12" if lang == "python" else "nodejs20.x")
        handler, root = f"{path.stem}.handler", path.parent
    else:
        files = [f for f in path.rglob("*") if f.is_file() and "__pycache__" not in f.parts]
        runtime, root = "python3.12", path
        handler = default_handler(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            z.write(f, str(f.relative_to(root)))
    return buf.getvalue(), runtime, handler


def cmd_deploy(args: argparse.Namespace) -> int:
    import base64
    import time

    from .local import module_bytes
    path = Path(args.source)
    if not path.exists():
        raise WasmhostError(f"{args.source}: no such file or folder")
    if args.timeout_s is not None and args.timeout_s != int(args.timeout_s):
        raise WasmhostError(f"--timeout-s {args.timeout_s:g}: the server takes whole seconds (Lambda's Timeout)")
    server = remote(args)
    source = _source_zip(path)
    code, runtime, handler = source if source else (module_bytes(path), "wasm32", path.stem + ".wasm")
    runtime, handler = args.runtime or runtime, args.handler or handler
    tags = dict(args.tag)
    if args.fuel is not None:
        tags["wasmhost:fuel"] = str(args.fuel)
    if args.isolation is not None:
        tags["wasmhost:isolation"] = args.isolation
    cfg: dict = {"Runtime": runtime, "Handler": handler}
    for key, value in (("MemorySize", args.memory_mb), ("Timeout", args.timeout_s and int(args.timeout_s)),
                       ("Description", args.description)):
        if value is not None:
            cfg[key] = value
    if args.env:
        cfg["Environment"] = {"Variables": dict(args.env)}
    zip_b64 = base64.b64encode(code).decode()
    t = time.perf_counter()
    print(f"deploying {args.name} ({len(code) / 1024:.1f} KB) to {server.endpoint} ... ", end="", file=sys.stderr,
          flush=True)
    try:
        status, _, _ = server.call("GET", f"{FUNCTIONS}/{quote(args.name)}")
        if status == 404:
            server.json("POST", FUNCTIONS, {"FunctionName": args.name, "Role": "local", "Code": {"ZipFile": zip_b64},
                                            **cfg, **({"Tags": tags} if tags else {})})
        else:
            if tags:
                raise WasmhostError(f"{args.name} exists: tags (--tag, --fuel, --isolation) are set when a function "
                                    f"is created; `wasmhost rm {args.name}` first")
            server.json("PUT", f"{FUNCTIONS}/{quote(args.name)}/code", {"ZipFile": zip_b64})
            server.json("PUT", f"{FUNCTIONS}/{quote(args.name)}/configuration", cfg)
    except WasmhostError:
        print("failed", file=sys.stderr)
        raise
    print(f"ok ({time.perf_counter() - t:.2f} s)", file=sys.stderr)
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    fns = remote(args).json("GET", FUNCTIONS)["Functions"]
    print(f"{'NAME':24} {'RUNTIME':12} {'MEMORY':>7} {'TIMEOUT':>8} {'SIZE':>9}  LAST MODIFIED")
    for f in fns:
        print(f"{f['FunctionName']:24} {f['Runtime']:12} {f['MemorySize']:>5}MB {f['Timeout']:>7}s "
              f"{f['CodeSize']:>8}B  {f['LastModified']}")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    remote(args).json("DELETE", f"{FUNCTIONS}/{quote(args.name)}")
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    server = remote(args)
    server.require_function(args.name)
    doc = server.json("GET", f"/wasmhost/logs?function={quote(args.name)}&limit={args.limit}")
    logs = {entry["request_id"]: entry["text"] for entry in doc["logs"]}
    for r in reversed(doc["reports"]):
        print(f"START RequestId: {r['request_id']} Version: {r['version']}")
        sys.stdout.write(logs.get(r["request_id"], ""))
        print(f"END RequestId: {r['request_id']}")
        print(r["report_line"])
    if not doc["reports"]:
        print(f"wasmhost: {args.name} has not been invoked yet", file=sys.stderr)
    return 0


def cmd_dlq(args: argparse.Namespace) -> int:
    server = remote(args)
    if args.replay is not None:
        print(json.dumps(server.json("POST", f"/wasmhost/dead-letters/{args.replay}/replay")))
        return 0
    path = "/wasmhost/dead-letters" + (f"?function={quote(args.function)}" if args.function else "")
    for d in server.json("GET", path)["deadLetters"]:
        print(f"{d['id']:>5} {d['function']:20} attempts={d['attempts']} {d['error']}")
    return 0


def register(sub, parents) -> None:
    p = sub.add_parser("deploy", parents=parents, help="create or update a function on the server",
                       description="Create the function, or update its code and configuration. Python (.py, a "
                                   "folder) and JavaScript (.js) sources are zipped with the matching runtime and "
                                   "handler; C/Zig/Rust/AssemblyScript sources are built first.")
    p.add_argument("name", help="the function's name (Lambda's FunctionName)")
    p.add_argument("source", metavar="FILE", help="a .wasm, .wat or .zip file, a source file, or a Python folder")
    p.add_argument("--runtime", default=None,
                   help="wasm32 (core modules and WASI commands), python3.9-3.14, nodejs18.x-24.x "
                        "(default: from the file)")
    add_function_options(p, local=False)
    p.add_argument("--tag", type=key_value, action="append", default=[], metavar="KEY=VALUE",
                   help="a tag, set at creation (repeatable)")
    p.add_argument("--description", default=None, help="the function's description (Lambda's Description)")
    p.set_defaults(func=cmd_deploy)

    sub.add_parser("ls", parents=parents, help="list the server's functions").set_defaults(func=cmd_ls)

    p = sub.add_parser("rm", parents=parents, help="delete a function from the server")
    p.add_argument("name", help="the function's name")
    p.set_defaults(func=cmd_rm)

    p = sub.add_parser("logs", parents=parents, help="recent invocations of a function: logs and REPORT lines")
    p.add_argument("name", help="the function's name")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="how many invocations (default: 20)")
    p.set_defaults(func=cmd_logs)

    p = sub.add_parser("dlq", parents=parents, help="list asynchronous events that failed for good, or replay one")
    p.add_argument("--function", default=None, metavar="NAME", help="only this function's")
    p.add_argument("--replay", type=int, default=None, metavar="ID", help="run this dead letter again")
    p.set_defaults(func=cmd_dlq)
