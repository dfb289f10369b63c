"""The ``wasmhost`` command: a thin front end over ``Host``.

``wasmhost serve`` runs the HTTP server; ``deploy | invoke | ls | rm | logs | dlq``
talk to it. ``wasmhost invoke FILE [EVENT]`` runs a module once in-process (no
server): the result on stdout, the guest's log and the REPORT line on stderr, exit
status 1 with Lambda's error document when the invocation fails. ``wasmhost
examples`` runs every example once in-process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import FunctionConfig, Host, WasmhostError, cli_sources
from .errors import InvocationError

EXAMPLES = {"hello.wat": b"world", "sum_to.wat": b"1000"}


def _config(args: argparse.Namespace) -> FunctionConfig:
    return FunctionConfig(memory_mb=args.memory_mb, timeout_ms=args.timeout_ms, fuel=args.fuel,
                          isolation=args.isolation)


def _print_failure(e: WasmhostError) -> None:
    if isinstance(e, InvocationError):
        if e.logs:
            sys.stderr.write(e.logs)
        if e.report is not None:
            print(e.report.line(), file=sys.stderr)
        print(json.dumps(e.to_lambda()))
    else:
        print(f"wasmhost: {e}", file=sys.stderr)


def cmd_invoke(args: argparse.Namespace) -> int:
    event = args.event.encode()
    if args.event.startswith("@"):
        event = Path(args.event[1:]).read_bytes()
    if not Path(args.module).exists():  # a function name: invoke it on the server
        status, headers, body = _remote(args).call("POST", f"/invoke/{args.module}", event)
        sys.stdout.buffer.write(body + b"\n")
        report = {k[11:]: v for k, v in headers.items() if k.lower().startswith("x-wasmhost-")}
        print("  ".join(f"{k}: {v}" for k, v in report.items()), file=sys.stderr)
        if status >= 400:
            return 1
        return 0
    with Host(args.data_dir) as host:
        try:
            host.deploy(args.name or "function", args.module, _config(args))
            res = host.invoke(args.name or "function", event)
        except WasmhostError as e:
            _print_failure(e)
            return 1
        sys.stdout.buffer.write(res.payload + b"\n")
        sys.stderr.write(res.logs)
        print(res.report.line(), file=sys.stderr)
    return 0


def cmd_examples(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    failed = 0
    with Host(args.data_dir) as host:
        for path in sorted(root.glob("*.wat")):
            event = EXAMPLES.get(path.name, b"")
            try:
                host.deploy(path.stem, path)
                for _ in range(2):  # the second call shows a warm start
                    res = host.invoke(path.stem, event)
                    print(f"{path.stem}({event.decode()!r}) -> {res.payload.decode(errors='replace')!r}")
                    print("  " + res.report.line().rstrip("\t").replace("\t", "  "))
            except WasmhostError as e:
                failed += 1
                print(f"{path.stem}: FAILED: {e}")
    return 1 if failed else 0


class Remote:
    """Just enough of a client for a running ``wasmhost serve`` (urllib, no SDK)."""

    def __init__(self, endpoint: str, api_key: str | None) -> None:
        self.endpoint, self.api_key = endpoint.rstrip("/"), api_key

    def call(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
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
        except urllib.error.URLError as e:
            raise WasmhostError(f"cannot reach {self.endpoint} ({e.reason}): is `wasmhost serve` running? "
                                "(--endpoint or $WASMHOST_ENDPOINT)") from None

    def json(self, method: str, path: str, data: dict | None = None) -> dict:
        status, _, body = self.call(method, path, json.dumps(data).encode() if data is not None else None,
                                    {"Content-Type": "application/json"})
        doc = json.loads(body) if body else {}
        if status >= 400:
            raise WasmhostError(f"{doc.get('message') or doc.get('Message') or body.decode(errors='replace')} "
                                f"(HTTP {status})")
        return doc


def _remote(args: argparse.Namespace) -> Remote:
    return Remote(args.endpoint, args.api_key)


def _module_bytes(path: str) -> bytes:
    """A module, a zip, or a source file that ``wasmhost build`` turns into a module."""
    from .build import LANGUAGES, build
    p = Path(path)

    if p.is_dir() or (p.suffix in LANGUAGES and p.suffix != ".wat"):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            return build(p, Path(tmp) / "out.wasm", progress=lambda m: print(m, file=sys.stderr)).read_bytes()
    data = p.read_bytes()
    if data[:4] == b"\0asm" or data[:2] == b"PK":
        return data
    import wasmtime
    return bytes(wasmtime.wat2wasm(data.decode("utf-8")))


def cmd_build(args: argparse.Namespace) -> int:
    import time
    from .build import build
    t = time.perf_counter()
    out = build(args.source, args.output, progress=lambda m: print(m, file=sys.stderr, flush=True))
    if out.suffix == ".wasm":
        print(f"{out} ({out.stat().st_size} bytes, {time.perf_counter() - t:.2f} s)", file=sys.stderr)
    return 0


def _source_zip(path: Path) -> tuple[bytes, str, str] | None:
    """Python or JavaScript sources as Lambda wants them: a zip, a runtime, a handler."""
    import io
    import zipfile

    from .build import BuildError, detect
    from .runtimes.python import default_handler
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
    remote = _remote(args)
    source = _source_zip(Path(args.module))
    code, runtime, handler = source if source else (_module_bytes(args.module), "wasm32",
                                                    Path(args.module).stem + ".wasm")
    zip_b64 = base64.b64encode(code).decode()
    t = time.perf_counter()
    print(f"deploying {args.name} ({len(code) / 1024:.1f} KB) to {remote.endpoint} ... ", end="", file=sys.stderr,
          flush=True)
    status, _, _ = remote.call("GET", f"/2015-03-31/functions/{args.name}")
    cfg = {k: v for k, v in (("MemorySize", args.memory_mb), ("Timeout", args.timeout_s)) if v is not None}
    if status == 404:
        remote.json("POST", "/2015-03-31/functions", {"FunctionName": args.name, "Runtime": runtime, "Role": "local",
                                                      "Handler": handler, "Code": {"ZipFile": zip_b64}, **cfg})
    else:
        remote.json("PUT", f"/2015-03-31/functions/{args.name}/code", {"ZipFile": zip_b64})
        if cfg:
            remote.json("PUT", f"/2015-03-31/functions/{args.name}/configuration", cfg)
    print(f"ok ({time.perf_counter() - t:.2f} s)", file=sys.stderr)
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    fns = _remote(args).json("GET", "/2015-03-31/functions")["Functions"]
    print(f"{'NAME':24} {'RUNTIME':12} {'MEMORY':>7} {'TIMEOUT':>8} {'SIZE':>9}  LAST MODIFIED")
    for f in fns:
        print(f"{f['FunctionName']:24} {f['Runtime']:12} {f['MemorySize']:>5}MB {f['Timeout']:>7}s "
              f"{f['CodeSize']:>8}B  {f['LastModified']}")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    status, _, body = _remote(args).call("DELETE", f"/2015-03-31/functions/{args.name}")
    if status >= 400:
        raise WasmhostError(json.loads(body).get("message", body.decode()))
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    from urllib.parse import quote
    doc = _remote(args).json("GET", f"/wasmhost/logs?function={quote(args.name)}&limit={args.limit}")
    logs = {entry["request_id"]: entry["text"] for entry in doc["logs"]}
    for r in reversed(doc["reports"]):
        print(f"START RequestId: {r['request_id']} Version: {r['version']}")
        sys.stdout.write(logs.get(r["request_id"], ""))
        print(f"END RequestId: {r['request_id']}")
        print(r["report_line"])
    return 0


def cmd_dlq(args: argparse.Namespace) -> int:
    remote = _remote(args)
    if args.replay is not None:
        print(json.dumps(remote.json("POST", f"/wasmhost/dead-letters/{args.replay}/replay")))
        return 0
    path = "/wasmhost/dead-letters" + (f"?function={args.function}" if args.function else "")
    for d in remote.json("GET", path)["deadLetters"]:
        print(f"{d['id']:>5} {d['function']:20} attempts={d['attempts']} {d['error']}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """The cold-start benchmark suite (bench/suite.py): it lives in the repository."""
    bench_dir = Path(__file__).resolve().parent.parent / "bench"
    if not (bench_dir / "suite.py").exists():
        raise WasmhostError(f"the benchmark suite is not here ({bench_dir}); run from a wasmhost checkout")
    sys.path.insert(0, str(bench_dir))
    import report  # type: ignore[import-not-found]  # bench/report.py
    if args.compare:
        old, new = (json.loads(Path(p).read_text()) for p in args.compare)
        table, regressions = report.compare(old, new, args.threshold)
        print(table)
        return 1 if regressions else 0
    import suite  # type: ignore[import-not-found]  # bench/suite.py
    kinds = args.kinds.split(",") if args.kinds else None
    unknown = set(kinds or []) - set(suite.KINDS)
    if unknown:
        raise WasmhostError(f"unknown guest kinds {sorted(unknown)}; choose from {', '.join(suite.KINDS)}")
    doc = suite.run(quick=args.quick, kinds=kinds, http=not args.no_http)
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=1))
    out_dir = Path(args.report) if args.report else None
    charts = report.charts(doc, out_dir) if out_dir else {}
    text = report.markdown(doc, charts)
    if out_dir:
        (out_dir / "README.md").write_text(text)
        print(f"report: {out_dir / 'README.md'}", file=sys.stderr)
    print(text)
    return 0


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def cmd_serve(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from .server.lambda_model import Registry
    from .server import AuthConfig, serve
    from .server.service import Service

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    keys = dict(k.split(":", 1) for k in args.access_key)
    auth = AuthConfig(required=not _is_loopback(args.host) or args.require_auth, keys=keys, api_keys=set(args.api_key))
    if auth.required and not keys and not auth.api_keys:
        print(f"wasmhost: refusing to serve on {args.host} without credentials: pass --access-key AKID:SECRET "
              "(SigV4, as boto3 and the aws CLI sign) and/or --api-key KEY, or bind to 127.0.0.1", file=sys.stderr)
        return 2
    import socket
    try:  # a clear word about a busy port, not a traceback from deep inside the event loop
        with socket.create_server((args.host, args.port), reuse_port=False):
            pass
    except OSError as e:
        print(f"wasmhost: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 2
    data_dir = Path(args.data_dir) if args.data_dir else None
    host = Host(data_dir)
    service = Service(host, Registry(host.data_dir), retry_base_s=args.retry_base_s,
                      async_max_payload=args.async_max_payload)

    def deploy_examples(service: Service) -> None:
        import base64
        import wasmtime
        for path in sorted(Path(args.examples).glob("*.wat")):
            if service.registry.get_function(path.stem) is None:
                wasm = wasmtime.wat2wasm(path.read_text())
                service.create_function({"FunctionName": path.stem, "Runtime": "wasm32",
                                         "Handler": f"{path.stem}.wasm", "Role": "local",
                                         "Code": {"ZipFile": base64.b64encode(wasm).decode()}})
                print(f"deployed example {path.stem}", file=sys.stderr)

    try:
        import uvloop  # optional: ~10-15 % more requests per second
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    from .server.sources.buckets import BucketSource
    # boto3 (>= 1.28) in a function reaches this server's S3 API by itself (with outbound HTTP granted)
    local = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    service.deployer.base_env["AWS_ENDPOINT_URL_S3"] = f"http://{local}:{args.port}"
    buckets = BucketSource(service, host.data_dir, dict(b.split("=", 1) for b in args.bucket), auth=auth,
                           settle_s=args.bucket_settle_s)
    print(f"wasmhost serving on http://{args.host}:{args.port} (data: {host.data_dir})", file=sys.stderr, flush=True)
    serve(service, args.host, args.port, auth=auth, fast_path=not args.no_fast_path,
          on_start=deploy_examples if args.examples else None, sources=[buckets])
    return 0


def _bucket_arg(value: str) -> str:
    from .buckets import BucketError
    from .buckets.names import check_bucket_name
    name, sep, path = value.partition("=")
    if not sep or not name or not Path(path).is_dir():
        raise argparse.ArgumentTypeError(f"expected NAME=DIR with an existing directory, not {value!r}")
    try:
        check_bucket_name(name)
    except BucketError as e:
        raise argparse.ArgumentTypeError(f"{name!r}: {e.message} (S3's bucket names: 3-63 characters, lower-case "
                                         "letters, digits, dots and hyphens)") from None
    return value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="wasmhost", description="Serverless functions as WebAssembly modules.")
    ap.add_argument("--data-dir", default=None, help="artifact cache and ledger (default: $WASMHOST_HOME or ~/.wasmhost)")
    ap.add_argument("--endpoint", default=os.environ.get("WASMHOST_ENDPOINT", "http://127.0.0.1:9000"),
                    help="a running `wasmhost serve`, for deploy / ls / rm / logs / dlq and remote invoke")
    ap.add_argument("--api-key", default=os.environ.get("WASMHOST_API_KEY"), help="Bearer key for the server")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("invoke", help="run a module file once, locally; or invoke a function on the server")
    p.add_argument("module", help="a .wasm or .wat file (local run), or a deployed function's name")
    p.add_argument("event", nargs="?", default="", help="the event as text, or @FILE")
    p.add_argument("--name", default=None)
    p.add_argument("--memory-mb", type=int, default=128)
    p.add_argument("--timeout-ms", type=int, default=3000)
    p.add_argument("--fuel", type=int, default=None)
    p.add_argument("--isolation", choices=("warm", "strict"), default="warm")
    p.set_defaults(func=cmd_invoke)
    p = sub.add_parser("examples", help="deploy and run every example")
    p.add_argument("dir", nargs="?", default=str(Path(__file__).resolve().parent.parent / "examples"))
    p.set_defaults(func=cmd_examples)
    p = sub.add_parser("build", help="build a C, Zig, Rust, AssemblyScript or WAT source into a .wasm "
                                     "(Python and JavaScript: prepare their runtime)")
    p.add_argument("source", help="a source file, or a folder with one handler.<ext>")
    p.add_argument("-o", "--output", default=None, help="the .wasm to write (default: next to the source)")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("deploy", help="create or update a function on the server")
    p.add_argument("name")
    p.add_argument("module", help="a .wasm, .wat or .zip file, or a source file to build first")
    p.add_argument("--memory-mb", type=int, default=None)
    p.add_argument("--timeout-s", type=int, default=None)
    p.set_defaults(func=cmd_deploy)
    sub.add_parser("ls", help="list the server's functions").set_defaults(func=cmd_ls)
    p = sub.add_parser("rm", help="delete a function from the server")
    p.add_argument("name")
    p.set_defaults(func=cmd_rm)
    p = sub.add_parser("logs", help="recent invocations of a function: logs and REPORT lines")
    p.add_argument("name")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(func=cmd_logs)
    p = sub.add_parser("dlq", help="list asynchronous events that failed for good, or replay one")
    p.add_argument("--function", default=None)
    p.add_argument("--replay", type=int, default=None, metavar="ID")
    p.set_defaults(func=cmd_dlq)
    cli_sources.add_parser(sub)  # wasmhost sources: schedules, queues, mappings
    p = sub.add_parser("bench", help="cold-start benchmark: every tier per guest kind, beside peers")
    p.add_argument("--quick", action="store_true", help="fewer iterations: about a minute")
    p.add_argument("--json", default=None, metavar="FILE", help="write the results (bench/schema.json)")
    p.add_argument("--report", default=None, metavar="DIR", help="write a Markdown report with PNG charts")
    p.add_argument("--kinds", default=None, help="comma-separated guest kinds (default: all)")
    p.add_argument("--no-http", action="store_true", help="skip the wrk HTTP tier")
    p.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="show each regression or gain")
    p.add_argument("--threshold", type=float, default=10.0, help="percent change that counts (with --compare)")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("serve", help="run the HTTP server (Lambda REST API, /invoke, HTTP triggers, /metrics)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9000)
    p.add_argument("--examples", nargs="?", const=str(Path(__file__).resolve().parent.parent / "examples"),
                   default=None, help="deploy the examples (or the .wat files of DIR) at start")
    p.add_argument("--access-key", action="append", default=[], metavar="AKID:SECRET",
                   help="a key SigV4 signatures are checked against (repeatable)")
    p.add_argument("--api-key", action="append", default=[], help="a Bearer key for /invoke, /http, /metrics")
    p.add_argument("--require-auth", action="store_true", help="ask for credentials even on loopback")
    p.add_argument("--retry-base-s", type=float, default=60.0,
                   help="async retry backoff: base * 2^(attempt-1) seconds (Lambda waits about 1, then 2 minutes)")
    p.add_argument("--async-max-payload", type=int, default=256 * 1024)
    p.add_argument("--bucket", action="append", default=[], metavar="NAME=DIR", type=_bucket_arg,
                   help="serve DIR as S3 bucket NAME and treat files other programs write there as uploads")
    p.add_argument("--bucket-settle-s", type=float, default=2.0,
                   help="a file seen without a close-after-write is complete once unchanged this long")
    p.add_argument("--no-fast-path", action="store_true",
                   help="let aiohttp's routes answer invocations too (slower; for comparison and debugging)")
    p.set_defaults(func=cmd_serve)
    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except WasmhostError as e:
        _print_failure(e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
