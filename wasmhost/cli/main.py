"""Parse the command line, run a subcommand, and make every failure one clear line.

Global options (``--data-dir``, ``--endpoint``, ``--api-key``, ``--debug``) are
accepted before or after the subcommand: each subparser shares them through a
parent parser whose defaults are suppressed, so a value given in either place wins
over the environment. Errors: a ``WasmhostError`` or an ``OSError`` is printed as
``wasmhost: error: …`` (an invocation error also prints Lambda's error document on
stdout, as the aws CLI would), anything else as one line naming the exception;
``--debug`` shows the traceback instead. The exit status is 1 for a failure, 2 for
a usage error, 130 for Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from types import ModuleType
from typing import NoReturn

from ..errors import InvocationError, WasmhostError

DEFAULT_ENDPOINT = "http://127.0.0.1:9000"
ENVIRONMENT = """environment variables:
  WASMHOST_ENDPOINT     the server for deploy, invoke NAME, ls, rm, logs, dlq (default: %s)
  WASMHOST_API_KEY      a Bearer key for that server
  WASMHOST_HOME         the data directory: registry, code, compiled artifacts, ledger,
                        build cache (default: ~/.wasmhost)
  WASMHOST_BUILD_CACHE  where built modules and runtimes are kept (default: $WASMHOST_HOME/build)
  WASMHOST_SDK          a guest_sdk/ folder to build against (default: the one shipped with wasmhost)
  WASMHOST_PROGRESS     0: no progress bars (slow steps are still logged)
""" % DEFAULT_ENDPOINT


class UsageError(WasmhostError):
    """A command that cannot run as given (exit status 2, like argparse's errors)."""

    exit_code = 2


class Parser(argparse.ArgumentParser):
    """A usage error is one line, not the whole usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _commands() -> list[ModuleType]:
    """The subcommand modules, in the order ``--help`` lists them."""
    from . import local, remote, serve, sources
    return [local, remote, serve, sources]


def common_options() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """Parents for the subparsers: options every command takes, and a server's address."""
    every = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    every.add_argument("--data-dir", metavar="DIR",
                       help="registry, code, compiled artifacts and ledger (default: $WASMHOST_HOME or ~/.wasmhost)")
    every.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    client = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    client.add_argument("--endpoint", metavar="URL",
                        help=f"a running `wasmhost serve` (default: $WASMHOST_ENDPOINT or {DEFAULT_ENDPOINT})")
    client.add_argument("--api-key", metavar="KEY", help="Bearer key for the server (default: $WASMHOST_API_KEY)")
    return every, client


def parser() -> argparse.ArgumentParser:
    every, client = common_options()
    ap = Parser(prog="wasmhost", parents=[every, client], epilog=ENVIRONMENT,
                formatter_class=argparse.RawDescriptionHelpFormatter,
                description="Serverless functions as WebAssembly modules, run by Wasmtime. "
                            "Global options go before or after the subcommand.")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="COMMAND", parser_class=Parser)
    for module in _commands():
        module.register(sub, (every, client))
    return ap


def _defaults(args: argparse.Namespace) -> argparse.Namespace:
    for name, value in (("data_dir", None), ("debug", False),
                        ("endpoint", os.environ.get("WASMHOST_ENDPOINT") or DEFAULT_ENDPOINT),
                        ("api_key", os.environ.get("WASMHOST_API_KEY"))):
        if not hasattr(args, name):
            setattr(args, name, value)
    return args


def one_line(message: str) -> str:
    """A message and the hint on its second line read as one line; longer details
    (a compiler's output) follow it, indented."""
    lines = [line.strip() for line in str(message).strip().splitlines() if line.strip()]
    if len(lines) == 2:
        return " ".join(lines)
    return "\n    ".join(lines) or "failed"


def report(e: BaseException) -> None:
    if isinstance(e, InvocationError):
        if e.logs:
            sys.stderr.write(e.logs)
        if e.report is not None:
            print(e.report.line(), file=sys.stderr)
        print(json.dumps(e.to_lambda()))
        print(f"wasmhost: error: {one_line(f'{type(e).__name__}: {e}')}", file=sys.stderr)
    elif isinstance(e, WasmhostError):
        print(f"wasmhost: error: {one_line(str(e))}", file=sys.stderr)
    elif isinstance(e, OSError):
        where = f"{e.filename}: " if e.filename else ""
        print(f"wasmhost: error: {where}{e.strerror or e}", file=sys.stderr)
    else:
        print(f"wasmhost: error: unexpected {type(e).__name__}: {one_line(str(e))} "
              "(run with --debug for the traceback)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    import logging
    args = _defaults(parser().parse_args(argv))
    # slow steps show a bar on a terminal; elsewhere their log lines reach stderr
    progress = logging.getLogger("wasmhost.progress")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("wasmhost: %(message)s"))
    progress.addHandler(handler)
    progress.setLevel(logging.INFO)
    progress.propagate = False
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        return args.func(args)  # tracebacks as they are
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - the one place every failure becomes one line
        report(e)
        return getattr(e, "exit_code", 1)
