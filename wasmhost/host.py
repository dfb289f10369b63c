"""``Host``: deploy WebAssembly functions and invoke them, metered and limited.

This is the product's core. The HTTP server, the CLI and the triggers are thin
front ends over it; an edge device uses it directly, with no server.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any, Callable

import msgpack
import wasmtime

from . import abi
from .backends.kv import KVBackend, SQLiteKV
from .capabilities import Grants
from .config import FunctionConfig
from .engine import ArtifactCache, EngineSettings, shared_engine
from .errors import DeployError, FunctionError, FunctionNotFound, InvocationError, PayloadTooLarge, WasmhostError, cause
from .function import Function, FunctionInfo, InvokeResult, Overrun
from .clock import ALIASES
from .request import REQUESTS, Request
from .metering import Ledger

NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
VERSION_RE = re.compile(r"^(\$LATEST|[0-9]{1,10})$")
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024  # Lambda's synchronous request and response limit
CODECS = ("raw", "json", "msgpack")


def _info(message: str) -> None:
    """Runtime build messages, logged (``logging`` loads on first use, not with ``import wasmhost``)."""
    import logging
    logging.getLogger("wasmhost").info(message)


def default_data_dir() -> Path:
    return Path(os.environ.get("WASMHOST_HOME") or Path.home() / ".wasmhost")


class Host:
    """Deployed functions, their warm pools, the engine and the metering ledger.

    ``data_dir`` holds the compiled-artifact cache (``cache/``), the ledger
    (``ledger.sqlite``) and the functions' key-value stores (``kv.sqlite``); ``data_dir=None`` uses ``$WASMHOST_HOME`` or ``~/.wasmhost``.
    ``persist=False`` keeps both in memory (nothing written to disk).
    Thread-safe: invoke from any number of threads; guests run with the GIL released.
    ``inline_budget_ms``: how long ``ainvoke`` may run a guest on the event loop
    before handing it to a worker thread (0: never run on the loop). ``cache_dir``
    puts the compiled-artifact cache elsewhere, e.g. shared by several hosts. ``kv``: the
    key-value backend (default: SQLite in the data dir; see wasmhost/backends/kv.py).
    """

    def __init__(self, data_dir: str | Path | None = None, *, persist: bool = True,
                 engine: EngineSettings | None = None, tick_ms: float = 1.0,
                 max_payload: int = MAX_SYNC_PAYLOAD, max_response: int = MAX_SYNC_PAYLOAD,
                 flush_interval_s: float = 0.25, workers: int = 32, inline_budget_ms: float = 2.0,
                 cache_dir: str | Path | None = None, kv: KVBackend | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        if persist:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine, self.ticker = shared_engine(engine, tick_ms)  # one per process and settings
        self.cache = ArtifactCache((Path(cache_dir) if cache_dir else self.data_dir / "cache") if persist else None,
                                   self.engine)
        self.ledger = Ledger(self.data_dir / "ledger.sqlite" if persist else None)
        self.ledger_record = self.ledger.record
        # functions' key-value stores: kv.sqlite, opened on first use, unless another backend is given
        self.kv: KVBackend = kv if kv is not None else SQLiteKV(self.data_dir / "kv.sqlite" if persist else None)
        # a speculative inline run's deadline in ticks (0: always use a worker thread)
        self._inline_ticks = self.ticker.ticks_for(inline_budget_ms) - 1 if inline_budget_ms > 0 else 0
        self.max_payload = max_payload
        self.max_response = max_response
        self._functions: dict[str, Function] = {}
        self._code_dir: Path | None = None
        self._persist = persist
        self._deploy_lock = threading.Lock()
        self._seq = itertools.count(1).__next__
        self._workers = workers
        self._executor: Any = None  # a ThreadPoolExecutor, made on the first ainvoke
        self._closed = threading.Event()
        self._flush_interval = flush_interval_s
        self._janitor = threading.Thread(target=self._maintain, name="wasmhost-janitor", daemon=True)
        self._janitor.start()

    # -- deploy ---------------------------------------------------------------------
    def deploy(self, name: str, source: str | Path | bytes | Callable, config: FunctionConfig | None = None, *,
               version: str = "$LATEST", load: bool = True) -> FunctionInfo:
        """Check, compile (or load from the artifact cache), link and pre-warm a
        function. Everything that could be wrong with the module fails here, with
        ``DeployError``; replacing a function lets its in-flight invocations finish.
        A numbered ``version`` is a separate function, invoked as ``"name:version"``
        (Lambda's qualified name); ``$LATEST`` is just ``"name"``. ``source`` may be
        a plain Python function: it runs in the sandboxed Python runtime, with the
        helpers and closures it uses (``runtimes/shipping.py``).

        ``load=False``: a Python or JavaScript function's code is not loaded now but by
        its first invocation (a cold start, as Lambda's first after a deploy), for code
        that was checked when it was first deployed: a server restoring 40 functions
        whose imports take 0.1 s each listens in well under a second instead of four.
        ``min_warm`` instances are made either way."""
        if callable(source) and not isinstance(source, (str, bytes, bytearray, memoryview, os.PathLike)):
            import dataclasses
            import tempfile

            from .runtimes import shipping
            config = config or FunctionConfig()
            with tempfile.TemporaryDirectory(prefix="wasmhost-shipped-") as tmp:
                handler = shipping.write(source, Path(tmp) / "fn")
                return self.deploy(name, Path(tmp) / "fn", dataclasses.replace(config, handler=handler),
                                   version=version, load=load)
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise DeployError(f"function name must match [A-Za-z0-9_-]{{1,64}}, not {name!r}")
        if not isinstance(version, str) or not VERSION_RE.match(version):
            raise DeployError(f"version must be $LATEST or a number, not {version!r}")
        key = name if version == "$LATEST" else f"{name}:{version}"
        config = config or FunctionConfig()
        path = None if isinstance(source, (bytes, bytearray, memoryview)) else Path(source)
        grants = self._grants(name, config)
        if path is not None and (path.suffix in (".py", ".js", ".mjs", ".cjs") or path.is_dir() or config.runtime):
            guest, sha, size, from_cache = self._runtime_function(path, config, grants)
        else:
            wasm = _read_module(source)
            import hashlib
            sha, size = hashlib.sha256(wasm).hexdigest(), len(wasm)
            try:
                module, from_cache = self.cache.load_or_compile(wasm, sha)
            except wasmtime.WasmtimeError as e:
                raise DeployError(f"invalid WebAssembly module: {cause(str(e))}") from None
            assert isinstance(module, wasmtime.Module)  # load_or_compile gives a Component only when asked
            guest = abi.for_module(self.engine, self.ticker, module, config.memory_mb, dict(config.env),
                                   self.max_response, grants)
        fn = Function(self, name, version, guest, config, sha, size, from_cache)
        # A runtime function's code is loaded now (one instance, kept warm), so an import
        # error, a syntax error or a missing handler fails the deploy, not an invocation.
        loads_code = guest.kind in ("python", "javascript")
        try:
            fn.pool.prewarm(max(config.min_warm, 1) if loads_code and load else None)
        except FunctionError as e:
            fn.pool.close()
            raise DeployError(f"{e.error_type}: {e.error_message}") from None
        except InvocationError as e:
            fn.pool.close()
            what = "loading the code" if loads_code else f"pre-warming {config.min_warm} instance(s)"
            raise DeployError(f"{what} failed: {e}") from None
        with self._deploy_lock:
            old = self._functions.get(key)
            self._functions[key] = fn
        if old is not None:
            old.pool.close()
        return fn.info()

    def _grants(self, name: str, config: FunctionConfig) -> Grants:
        """What the function's capabilities may use (wasmhost/capabilities)."""
        return Grants(function=name, allowed_hosts=config.allowed_hosts, kv_stores=config.kv_stores, kv=self.kv)

    def _runtime_function(self, path: Path, config: FunctionConfig, grants: Grants):
        """A Python or JavaScript function: its language's shared runtime component
        (built once, compiled once per host) plus the user's code (runtimes/deploy.py)."""
        from .build import BuildError
        from .runtimes.deploy import runtime_function
        try:
            return runtime_function(path, config, self.engine, self._code_root(), self._runtime_component, grants,
                                    progress=_info)
        except BuildError as e:
            raise DeployError(str(e)) from None

    def _runtime_component(self, runtime: Path):
        """The runtime's compiled component, shared by every Host on this engine (the
        first loads or compiles it; the file name carries the hash of what built it)."""
        components = self.engine.components
        with self._deploy_lock:
            cached = components.get(runtime)
        if cached is None:
            import hashlib
            key = hashlib.sha256(runtime.name.encode()).hexdigest()
            component, _ = cached = self.cache.load_or_compile(runtime.read_bytes, key, component=True)
            with self._deploy_lock:
                components.setdefault(runtime, (component, True))  # from memory, for the next hosts
        return cached

    def _code_root(self) -> Path:
        if self._code_dir is None:
            import tempfile
            root = self.data_dir / "pycode" if self._persist else Path(tempfile.mkdtemp(prefix="wasmhost-code-"))
            root.mkdir(parents=True, exist_ok=True)
            self._code_dir = root
        return self._code_dir

    def remove(self, name: str) -> None:
        with self._deploy_lock:
            fn = self._functions.pop(name, None)
        if fn is None:
            raise FunctionNotFound(name)
        fn.pool.close()

    def functions(self) -> list[FunctionInfo]:
        return [fn.info() for fn in list(self._functions.values())]

    def function(self, name: str) -> FunctionInfo:
        return self._get(name).info()

    # -- invoke ---------------------------------------------------------------------
    def invoke(self, name: str, event: Any = b"", *, codec: str = "json") -> InvokeResult:
        """Run the function on ``event``. Bytes pass through untouched; a ``str`` is
        UTF-8; anything else is encoded with ``codec`` ("json" or "msgpack"), and
        ``result.value`` decodes the result the same way. Failures raise a subclass
        of ``InvocationError`` carrying the report (``FunctionError`` for the
        guest's own errors), or ``Throttled`` / ``PayloadTooLarge``."""
        fn = self._functions.get(name)
        if fn is None:
            raise self._missing(name)
        if type(event) is bytes:
            return fn.invoke(event, self._seq())
        payload, codec = _encode(event, codec)
        return fn.invoke(payload, self._seq(), codec)

    async def ainvoke(self, name: str, event: Any = b"", *, codec: str = "json",
                      request_id: str | None = None, inline: bool = True,
                      request: Request | None = None) -> InvokeResult:
        """``invoke`` for asyncio, holding the event loop for at most
        ``inline_budget_ms`` (plus one epoch tick).

        Handing an invocation to a worker thread costs ~150 µs here, thirty times a
        warm call. So a core-module function with a warm instance first runs
        *speculatively* on the loop with a deadline of ``inline_budget_ms``. If it
        finishes, that is the invocation. If not, the run is abandoned (its
        instance discarded, nothing recorded; such guests can only compute and log,
        so nothing outside saw it) and the invocation runs in full on a worker
        thread; the function then skips speculation for a while.

        ``request_id``: the id to run under (its context, logs and report: the
        ledger stores them under it), as an asynchronous event runs under the id its
        202 returned; by default a new one. ``inline=False``: straight to a worker
        thread (the caller has just tried ``invoke_now``). ``request``: what the
        invocation carries beyond its event (wasmhost.Request: ClientContext, a
        ResponseStream the writes of a streaming handler go to as they come); such a
        run always goes to a worker thread.
        """
        fn = self._functions.get(name)
        if fn is None:
            raise self._missing(name)
        payload, codec = (event, "raw") if type(event) is bytes else _encode(event, codec)
        seq = self._seq()
        if request_id is not None:
            ALIASES[seq] = request_id
        if request is not None:
            REQUESTS[seq] = request
            inline = False
        try:  # (free in 3.11 when nothing is raised)
            res = self._inline(fn, payload, seq, codec) if inline else None
            if res is not None:
                return res
            import asyncio  # here: edge users who never await do not pay for it, nor does the inline path
            if self._executor is None:
                from concurrent.futures import ThreadPoolExecutor
                with self._deploy_lock:
                    if self._executor is None:
                        self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="wasmhost-invoke")
            fn.thread_runs += 1
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn.invoke, payload, seq, codec)
        except BaseException as e:
            if request_id is not None and getattr(e, "report", None) is None:
                ALIASES.pop(seq, None)  # refused before it ran: no report will take the alias away
            raise
        finally:
            if request is not None:
                REQUESTS.pop(seq, None)

    def invoke_now(self, name: str, payload: bytes) -> InvokeResult | None:
        """``ainvoke(name, payload)`` without a coroutine, for a front end's hot path
        (~1 µs a request less): the result when the run finished inline (see ainvoke),
        else None, and then nothing was recorded: ``await ainvoke(name, payload,
        inline=False)``."""
        fn = self._functions.get(name)
        if fn is None:
            raise self._missing(name)
        return self._inline(fn, payload, None, "raw")

    def _inline(self, fn: Function, payload: bytes, seq: int | None, codec: str) -> InvokeResult | None:
        """The speculative inline run of ``ainvoke``, or None if the invocation must go
        to a thread. ``seq`` None: a new one, drawn only for a run."""
        if self._inline_ticks and fn.speculate and fn.pool.free:
            if fn.skip_speculation:
                fn.skip_speculation -= 1
            else:
                try:
                    res = fn.invoke(payload, self._seq() if seq is None else seq, codec, self._inline_ticks)
                    fn.overruns = 0
                    fn.inline_runs += 1
                    return res
                except Overrun:
                    fn.overran()
        return None

    def payload_too_large(self, payload: bytes) -> None:
        raise PayloadTooLarge(f"Request payload size ({len(payload)} bytes) exceeded the maximum allowed "
                              f"payload size ({self.max_payload} bytes)")

    def _get(self, name: str) -> Function:
        fn = self._functions.get(name)
        if fn is None:
            raise self._missing(name)
        return fn

    def _missing(self, name: str) -> WasmhostError:
        return WasmhostError("host is closed") if self._closed.is_set() else FunctionNotFound(name)

    # -- lifecycle ------------------------------------------------------------------
    def _maintain(self) -> None:
        """Flush the ledger every ``flush_interval``; reap idle instances every second."""
        last_reap = 0.0
        while not self._closed.wait(self._flush_interval):
            try:
                self.ledger.flush()
                kv_flush = getattr(self.kv, "flush", None)  # writes an invocation still running made
                if kv_flush is not None:
                    kv_flush()
                now = time.monotonic()
                if now - last_reap >= 1.0:
                    last_reap = now
                    t = time.perf_counter_ns()
                    for fn in list(self._functions.values()):
                        fn.pool.reap(t)
            except Exception:  # the janitor must outlive a full disk or a closed db
                import logging
                logging.getLogger("wasmhost").exception("maintenance failed")

    def close(self) -> None:
        """Refuse new invocations, let the ones in flight finish (each is bounded by
        its timeout: the epoch ticker runs until they are done), drop all instances,
        then write the ledger."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._janitor.join(timeout=5)
        with self._deploy_lock:
            fns, self._functions = list(self._functions.values()), {}
        for fn in fns:
            fn.pool.close()
        drain_until = time.monotonic() + max((fn.config.timeout_ms for fn in fns), default=0) / 1000 + 1
        while any(fn.pool.total for fn in fns) and time.monotonic() < drain_until:
            time.sleep(0.005)
            for fn in fns:
                fn.pool.close()  # an invocation that finished meanwhile may have put its sandbox back
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self.ledger.close()
        self.kv.close()
        if not self._persist and self._code_dir is not None:  # Python code copied to a temp dir
            import shutil
            shutil.rmtree(self._code_dir, ignore_errors=True)

    def __enter__(self) -> "Host":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_module(source: str | Path | bytes) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise DeployError(f"cannot read module {path}: {e.strerror or e}") from None
    if data[:4] == b"\0asm":
        if data[4:8] != b"\x01\x00\x00\x00":
            raise DeployError("WebAssembly components are not supported by this host yet; "
                              "build a core module (guest_sdk/ABI.md) or a WASI command")
        return data
    if b"(module" in data[:4096]:  # WebAssembly text, handy for small guests and tests
        try:
            return bytes(wasmtime.wat2wasm(data.decode("utf-8")))
        except (wasmtime.WasmtimeError, UnicodeDecodeError) as e:
            raise DeployError(f"invalid WebAssembly text: {cause(str(e))}") from None
    if data[:4] == b"PK\x03\x04":  # a Lambda deployment package
        raise DeployError("a zip archive, not a WebAssembly module: deploy a Python or JavaScript function from "
                          "its file or unzipped folder here, or the zip through the Lambda API "
                          "(wasmhost deploy, aws lambda create-function)")
    raise DeployError("not a WebAssembly module (no \\0asm header)")


def _encode(event: Any, codec: str) -> tuple[bytes, str]:
    if isinstance(event, (bytearray, memoryview)):
        return bytes(event), "raw"
    if isinstance(event, str):
        return event.encode("utf-8"), "raw"
    if codec == "json":
        return json.dumps(event, separators=(",", ":")).encode(), "json"
    if codec == "msgpack":
        return msgpack.packb(event), "msgpack"
    raise ValueError(f"codec must be one of {CODECS}, not {codec!r}")
