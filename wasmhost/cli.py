"""The ``wasmhost`` command: a thin front end over ``Host``.

``wasmhost invoke MODULE [EVENT]`` deploys a module into a host and runs it once:
the result on stdout, the guest's log and the REPORT line on stderr, exit status 1
with Lambda's error document when the invocation fails. ``wasmhost examples``
runs every example once. The HTTP server (``serve``) comes as its own front end.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import FunctionConfig, Host, WasmhostError
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


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def cmd_serve(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import wasmtime
    from aiohttp import web

    from .registry import Registry
    from .server import AuthConfig, make_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    keys = dict(k.split(":", 1) for k in args.access_key)
    auth = AuthConfig(required=not _is_loopback(args.host) or args.require_auth, keys=keys, api_keys=set(args.api_key))
    if auth.required and not keys and not auth.api_keys:
        print(f"wasmhost: refusing to serve on {args.host} without credentials: pass --access-key AKID:SECRET "
              "(SigV4, as boto3 and the aws CLI sign) and/or --api-key KEY, or bind to 127.0.0.1", file=sys.stderr)
        return 2
    data_dir = Path(args.data_dir) if args.data_dir else None
    host = Host(data_dir)
    registry = Registry(host.data_dir)
    app = make_app(host, registry, auth=auth, retry_base_s=args.retry_base_s,
                   async_max_payload=args.async_max_payload)
    if args.examples:
        async def deploy_examples(app: web.Application) -> None:
            import base64
            service = app["service"]
            for path in sorted(Path(args.examples).glob("*.wat")):
                if registry.get_function(path.stem) is None:
                    wasm = wasmtime.wat2wasm(path.read_text())
                    service.create_function({"FunctionName": path.stem, "Runtime": "wasm32",
                                             "Handler": f"{path.stem}.wasm", "Role": "local",
                                             "Code": {"ZipFile": base64.b64encode(wasm).decode()}})
                    print(f"deployed example {path.stem}", file=sys.stderr)
        app.on_startup.append(deploy_examples)
    try:
        import uvloop  # optional: ~10-15 % more requests per second
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    print(f"wasmhost serving on http://{args.host}:{args.port} (data: {host.data_dir})", file=sys.stderr, flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="wasmhost", description="Serverless functions as WebAssembly modules.")
    ap.add_argument("--data-dir", default=None, help="artifact cache and ledger (default: $WASMHOST_HOME or ~/.wasmhost)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("invoke", help="deploy a module and run it once")
    p.add_argument("module", help="a .wasm or .wat file")
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
    p.set_defaults(func=cmd_serve)
    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except WasmhostError as e:
        _print_failure(e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
