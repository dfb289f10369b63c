"""Options shared by ``invoke`` (a local run) and ``deploy`` (the server), with one
name and one unit each: ``--memory-mb`` (MB, as Lambda's MemorySize) and
``--timeout-s`` (seconds, as Lambda's Timeout; a fraction is allowed locally)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import WasmhostError


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    return key, value


def positive(kind: type):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value
    parse.__name__ = kind.__name__  # argparse names the type in its errors
    return parse


def add_function_options(p: argparse.ArgumentParser, local: bool) -> None:
    p.add_argument("--memory-mb", type=positive(int), default=128 if local else None, metavar="MB",
                   help="memory cap in MB" + (" (default: 128)" if local else ""))
    p.add_argument("--timeout-s", type=positive(float), default=3.0 if local else None, metavar="SECONDS",
                   help="wall-clock limit per invocation" + (" (default: 3)" if local else ", whole seconds"))
    if local:  # the old spelling, kept working
        p.add_argument("--timeout-ms", type=positive(int), default=None, help=argparse.SUPPRESS)
    p.add_argument("--fuel", type=positive(int), default=None, help="Wasmtime fuel per invocation (default: unlimited)")
    p.add_argument("--isolation", choices=("warm", "strict"), default=None,
                   help="warm: reuse instances (default); strict: a fresh instance per invocation")
    p.add_argument("--handler", default=None,
                   help="Python/JavaScript: module.function to call (default: <file>.handler)"
                        + ("" if local else "; a core module: the .wasm in the zip"))
    p.add_argument("--env", type=key_value, action="append", default=[], metavar="KEY=VALUE",
                   help="an environment variable (repeatable)")


def function_config(args: argparse.Namespace, local: bool):
    from ..config import FunctionConfig
    timeout_ms = args.timeout_ms if getattr(args, "timeout_ms", None) else round(args.timeout_s * 1000)
    return FunctionConfig(memory_mb=args.memory_mb, timeout_ms=timeout_ms, fuel=args.fuel,
                          isolation=args.isolation or "warm", env=dict(args.env), handler=args.handler)


def read_event(arg: str) -> bytes:
    """The event as text, ``@FILE`` or ``-`` (stdin)."""
    if arg == "-":
        return sys.stdin.buffer.read()
    if arg.startswith("@"):
        path = Path(arg[1:])
        if not path.is_file():
            raise WasmhostError(f"{path}: no such file (the event after @)")
        return path.read_bytes()
    return arg.encode()
