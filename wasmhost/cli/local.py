"""Subcommands that run in this process, with no server: ``invoke FILE``,
``examples``, ``build``, ``bench``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import WasmhostError
from .options import add_function_options, function_config, read_event

EXAMPLES_DIR = Path(__file__).resolve().parent.parent.parent / "examples"
EXAMPLE_EVENTS = {"hello.wat": b"world", "sum_to.wat": b"1000"}
SOURCE_SUFFIXES = (".wasm", ".wat", ".py", ".js", ".mjs", ".zip", ".c", ".zig", ".rs", ".ts")


def looks_like_a_path(arg: str) -> bool:
    """A function name never has a slash or a file suffix; a path usually has one."""
    return "/" in arg or arg.endswith(SOURCE_SUFFIXES) or Path(arg).exists()


def cmd_invoke(args: argparse.Namespace) -> int:
    if not looks_like_a_path(args.target):
        from .remote import invoke_remote
        return invoke_remote(args)
    from .. import Host
    path = Path(args.target)
    if not path.exists():
        raise WasmhostError(f"{args.target}: no such file (to invoke a deployed function, give its name)")
    event = read_event(args.event)
    name = args.name or "function"
    with Host(args.data_dir) as host:
        host.deploy(name, path if path.suffix in (".py", ".js", ".mjs") or path.is_dir() else module_bytes(path),
                    function_config(args, local=True))
        res = host.invoke(name, event)
        sys.stdout.buffer.write(res.payload + b"\n")
        sys.stderr.write(res.logs)
        print(res.report.line(), file=sys.stderr)
    return 0


def module_bytes(path: Path) -> bytes:
    """A module's bytes from a .wasm, a .wat, a zip (as it is: the server unpacks it),
    or a C/Zig/Rust/AssemblyScript source built first."""
    from ..build import LANGUAGES, build
    if not path.exists():
        raise WasmhostError(f"{path}: no such file")
    if path.is_dir() or (path.suffix in LANGUAGES and path.suffix != ".wat"):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            return build(path, Path(tmp) / "out.wasm").read_bytes()
    data = path.read_bytes()
    if data[:4] == b"\0asm" or data[:2] == b"PK":
        return data
    if path.suffix == ".wasm":
        raise WasmhostError(f"{path}: not a WebAssembly module (a .wasm file starts with \\0asm)")
    import wasmtime
    try:
        return bytes(wasmtime.wat2wasm(data.decode("utf-8", errors="replace")))
    except wasmtime.WasmtimeError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "invalid"
        raise WasmhostError(f"{path}: not a WebAssembly module, nor valid WebAssembly text ({first})") from None


def cmd_examples(args: argparse.Namespace) -> int:
    from .. import Host
    root = Path(args.dir)
    if not root.is_dir():
        raise WasmhostError(f"{root}: no such folder (the examples live in a wasmhost checkout)")
    failed = 0
    with Host(args.data_dir) as host:
        for path in sorted(root.glob("*.wat")):
            event = EXAMPLE_EVENTS.get(path.name, b"")
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


def cmd_build(args: argparse.Namespace) -> int:
    import time

    from ..build import build
    t = time.perf_counter()
    out = build(args.source, args.output, progress=lambda m: print(m, file=sys.stderr, flush=True))
    if out.suffix == ".wasm":
        print(f"{out} ({out.stat().st_size} bytes, {time.perf_counter() - t:.2f} s)", file=sys.stderr)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """The cold-start benchmark suite (bench/suite.py): it lives in the repository."""
    import json
    bench_dir = Path(__file__).resolve().parent.parent.parent / "bench"
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


def register(sub, parents) -> None:
    every, client = parents
    p = sub.add_parser("invoke", parents=[every, client],
                       help="run a module or source file once, in-process; or invoke a deployed function by name",
                       description="With a file (.wasm, .wat, .py, .js, a C/Zig/Rust/AssemblyScript source, a "
                                   "folder): deploy it in-process and run it once; the result on stdout, the log and "
                                   "the REPORT line on stderr, exit 1 with Lambda's error document when it fails. "
                                   "With a name: invoke that function on the server.")
    p.add_argument("target", metavar="FILE|NAME", help="a file to run here, or a deployed function's name")
    p.add_argument("event", nargs="?", default="", help="the event as text, @FILE, or - for stdin")
    p.add_argument("--name", default=None, help="the function's name in the local run's report")
    add_function_options(p, local=True)
    p.set_defaults(func=cmd_invoke)

    p = sub.add_parser("examples", parents=[every], help="deploy and run every .wat example once, in-process")
    p.add_argument("dir", nargs="?", default=str(EXAMPLES_DIR), help="a folder of .wat files (default: examples/)")
    p.set_defaults(func=cmd_examples)

    p = sub.add_parser("build", parents=[every], help="build a C, Zig, Rust, AssemblyScript or WAT source into a "
                                                      ".wasm (Python and JavaScript: check it and prepare the runtime)")
    p.add_argument("source", help="a source file, or a folder with one handler.<ext>")
    p.add_argument("-o", "--output", default=None, help="the .wasm to write (default: next to the source)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("bench", parents=[every], help="cold-start benchmark: every tier per guest kind, beside peers")
    p.add_argument("--quick", action="store_true", help="fewer iterations: about a minute")
    p.add_argument("--json", default=None, metavar="FILE", help="write the results (bench/schema.json)")
    p.add_argument("--report", default=None, metavar="DIR", help="write a Markdown report with PNG charts")
    p.add_argument("--kinds", default=None, help="comma-separated guest kinds (default: all)")
    p.add_argument("--no-http", action="store_true", help="skip the wrk HTTP tier")
    p.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="show each regression or gain")
    p.add_argument("--threshold", type=float, default=10.0, help="percent change that counts (with --compare)")
    p.set_defaults(func=cmd_bench)
