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
    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except WasmhostError as e:
        _print_failure(e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
