"""Functions that run inside a language runtime component: Python (componentize-py)
and JavaScript (componentize-js).

A runtime exports ``init(...)`` (Lambda's INIT phase: the function's static context,
and for Python importing the code preopened at ``/var/task``, for JavaScript
evaluating the bundle) and ``handle(event, request-id, deadline-ms, request)``
(guest_sdk/wit/): ``request`` is "" unless the invocation has a ``Request``
(wasmhost/request.py: Invoke's ClientContext, a response stream). The JavaScript
runtime imports ``response`` (start, write), linked here: a streaming handler's
writes go to the invocation's ResponseStream as they are written. Payloads cross as
strings: wasmtime-py 50 marshals ``list<u8>`` one byte at a time. Calls go through wasmtime-py's component API (~0.1 ms per call,
small beside CPython's own work, so the raw fast path of core modules would not show).

Each instance gets its own writable ``/tmp`` on the host's disk, emptied when the
instance goes, and capped at the function's ephemeral storage: WASI has no quota,
so the cap is checked after each invocation, and an instance over it is discarded
(tmp_dirs.py: where these folders live, and how a killed process's are removed).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from typing import Any, Callable, Sequence

import wasmtime
from wasmtime import component as wc

from .. import capabilities
from ..capabilities import Grants
from ..clock import request_id, wall_ms
from ..engine import ffi
from ..errors import FunctionError, InvalidResult, InvocationError
from ..request import REQUESTS
from ..runtimes.memory_export import EXPORT
from . import tmp_dirs
from .base import INIT_FUEL, GuestState
from .imports import linker_for
from .sandbox import classify


RUNTIME_DIR = "/var/runtime"
TASK_ROOT = "/var/task"
RESPONSE_INTERFACE = "wasmhost:runtime/response@0.1.0"
# Lambda's Init phase (importing the handler's module) may take 10 s whatever the function's
# timeout: code that imports boto3 and makes its clients at module level fits a 3 s timeout
INIT_MS = 10_000


def _linker(engine) -> wc.Linker:
    def build() -> wc.Linker:
        linker = wc.Linker(engine.wasmtime)
        linker.add_wasip2()
        capabilities.define_component(linker)
        response = linker.root().add_instance(RESPONSE_INTERFACE)
        ffi.add_component_func(response, "start", _response_start, ("s32",))
        ffi.add_component_func(response, "write", _response_write, ("s32",))
        return linker
    return linker_for(engine, "component-wasip2", build)


def _response_start(sb: "ComponentSandbox", prelude: str, content_type: str) -> tuple[int]:
    stream = sb.request.stream if sb.request is not None else None
    return (stream.start(prelude, content_type) if stream is not None else 0,)


def _response_write(sb: "ComponentSandbox", data: str) -> tuple[int]:
    stream = sb.request.stream if sb.request is not None else None
    return (stream.write(data.encode("latin-1"), sb.deadline_ns) if stream is not None else 0,)


def dir_bytes(path: str) -> int:
    """Bytes in the files under ``path`` (an empty folder costs one scandir)."""
    total = 0
    with os.scandir(path) as it:
        for entry in it:
            if entry.is_dir(follow_symlinks=False):
                total += dir_bytes(entry.path)
            else:
                total += entry.stat(follow_symlinks=False).st_size
    return total


def _remove(path: str) -> None:
    try:
        os.rmdir(path)  # mostly empty: one call
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


class ComponentSandbox(GuestState):
    """One instance of the runtime component in its own store, with the user's code loaded."""

    live = False
    tmp_dir: str | None = None
    error: Any = None  # (errorType, errorMessage, the runtime's whole error document)
    store: wasmtime.Store
    _handle: Any = None
    _pages: Any = None
    _memory_seen = 0  # the last size memory_size read
    request: Any = None  # the running invocation's wasmhost.request.Request, if it has one

    def __init__(self, abi: "RuntimeABI", fuel: int, ticks: int, timeout_ns: int, meta: dict) -> None:
        self.abi, self.meta, self.timeout_ns = abi, meta, timeout_ns
        self.memory_limit = abi.memory_limit
        self.caps = capabilities.new_states(abi.capabilities, abi.grants)
        self._instantiate(fuel, ticks)

    def _instantiate(self, fuel: int, ticks: int) -> None:
        abi = self.abi
        self.t0 = time.perf_counter_ns()
        self.store = store = ffi.new_store_for(abi.engine.wasmtime, self)  # host imports find us from it
        store.set_limits(memory_size=abi.memory_limit)
        wasi = wasmtime.WasiConfig()
        stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{self.meta.get('function_version', '$LATEST')}]" \
                 f"{uuid.uuid4().hex}"
        config = abi.init_config(self.meta, stream)
        wasi.env = list(config["env"].items())
        wasi.stdout_custom = self.log_sink
        wasi.stderr_custom = self.log_sink
        for host_dir, guest_dir in abi.mounts:
            wasi.preopen_dir(host_dir, guest_dir, fs_mutable=guest_dir in abi.writable)
        self.tmp_dir = tmp_dirs.instance_dir()
        wasi.preopen_dir(self.tmp_dir, "/tmp")
        store.set_wasi(wasi)
        self.fuel_budget, self.ticks = INIT_FUEL, ticks
        self._limits(max(ticks, -(-ticks * INIT_MS // max(1, abi.config.timeout_ms))))  # Lambda's Init: 10 s
        try:
            inst = _linker(abi.engine).instantiate(store, abi.component)
            init = ffi.ComponentFunc(inst.get_func(store, "init"), store, "s" * len(abi.init_args("")))
            self._handle = ffi.ComponentFunc(inst.get_func(store, "handle"), store, "ssUs")
            pages = inst.get_func(store, EXPORT)  # runtimes/memory_export.py
            self._pages = ffi.ComponentFunc(pages, store, "") if pages is not None else None
            ok, err = self._call(init, *(a.encode() for a in abi.init_args(json.dumps(config))))
            self.fuel_budget = fuel
        except InvocationError:
            self.close()
            raise
        if not ok:  # the user's code failed to load: a function error, as in Lambda
            memory = self.memory_size()
            self.close()
            doc = json.loads(err)
            raise FunctionError(doc.get("errorType", "Runtime.Unknown"), doc.get("errorMessage", ""),
                                document=doc).usage(None, memory)
        self.live = True
        self.memory_size()  # (what a run that traps reports: see memory_size)
        if abi.after_init:  # the function's first instance is up: its deferred work may start
            jobs, abi.after_init = abi.after_init, []
            for job in jobs:
                job()

    def _limits(self, ticks: int) -> None:
        self.store.set_fuel(self.fuel_budget)
        self.store.set_epoch_deadline(ticks + self.abi.engine.due())  # (engine/ticker.py: periods a late ticker owes)

    def _call(self, func: ffi.ComponentFunc, *args):
        try:
            return func.call(*args)
        except InvocationError as e:  # a host import ended the invocation (its deadline passed)
            raise e.usage(self.fuel_used(), self.memory_size()) from None
        except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
            ffi.take_host_exception()
            raise classify(e, f"the {self.abi.kind} runtime", self.fuel_used(), self.memory_size(), self.fuel_budget,
                           self.memory_limit) from None

    def fuel_used(self) -> int:
        return self.fuel_budget - self.store.get_fuel()

    def memory_size(self) -> int:
        """Bytes of the runtime's linear memory: its high-water mark, as memory never
        shrinks (read through the export runtimes/memory_export.py adds). Once a trap
        (a timeout, say) has poisoned the instance it cannot be entered: the last size
        read stands for it, so the report's Max Memory Used is not 0."""
        if self._pages is None:
            return self._memory_seen
        try:
            pages = self._pages.call()
        except (wasmtime.Trap, wasmtime.WasmtimeError):
            ffi.take_host_exception()
            return self._memory_seen
        self._memory_seen = pages << 16
        return self._memory_seen

    def invoke(self, payload: bytes, budget: int | None = None) -> tuple[bytes, int, int]:
        self._limits(budget if budget is not None else self.ticks)
        if type(payload) is not bytes:
            payload = bytes(payload)
        if not payload.isascii():
            try:
                payload.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidResult(f"a {self.abi.kind} function's event must be UTF-8 (JSON) text").usage(None, 0) \
                    from None
        req = self.request = REQUESTS.get(self.seq) if REQUESTS else None
        try:
            ok, out = self._call(self._handle, payload, request_id(self.seq).encode(), wall_ms(self.deadline_ns),
                                 req.guest_json() if req is not None else b"")
        finally:
            self.request = None
        self._check_tmp()
        if not ok:
            doc = json.loads(out)
            etype, message = doc.get("errorType", "Error"), doc.get("errorMessage", "")
            if doc.pop("instanceEnds", False):  # its runtime's process would have exited: a new instance follows
                # an exit is the platform's answer (no document: worded and prefixed as Python's, sandbox.py)
                raise FunctionError(etype, message, document=None if etype == "Runtime.ExitError"
                                    else doc).usage(self.fuel_used(), self.memory_size())
            self.error = (etype, message, doc)
            return b"", self.fuel_used(), self.memory_size()
        return out, self.fuel_used(), self.memory_size()

    def _check_tmp(self) -> None:
        used = dir_bytes(self.tmp_dir) if self.tmp_dir else 0
        if used > self.abi.tmp_limit:
            raise FunctionError("Runtime.EphemeralStorageExceeded",
                                f"/tmp holds {used} bytes, more than the function's ephemeral storage of "
                                f"{self.abi.tmp_limit >> 20} MB; the instance was discarded").usage(self.fuel_used(),
                                                                                       self.memory_size())

    def renew(self, fuel: int, ticks: int) -> None:
        self.close()
        self.logs, self.error = None, None
        self._instantiate(fuel, ticks)

    def close(self) -> None:
        self.live = False
        capabilities.close_states(self.caps)
        self.store = None  # type: ignore[assignment]  # dropped: frees the instance
        self._handle = self._pages = None
        if self.tmp_dir is not None:
            _remove(self.tmp_dir)
            self.tmp_dir = None

    def __del__(self) -> None:
        if self.tmp_dir is not None:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)


class RuntimeABI:
    """A deployed function of a language runtime: the shared runtime component, the
    user's code (folders mounted read-only for Python, a bundled script for
    JavaScript), its handler and the Lambda settings its environment shows.

    Never run speculatively (``speculative = False``): abandoning a run would discard
    the instance and its warm state (module globals, /tmp), and a handler may have
    written to /tmp or called out meanwhile."""

    uses_context = True
    pooled = True
    speculative = False
    init_ns = INIT_MS * 1_000_000  # the epoch ticker runs at least this long for an instance's init
    capabilities = capabilities.ALL  # the WIT world imports every capability's interface

    def __init__(self, kind: str, engine, component, handler: str, config, *,
                 mounts: Sequence[tuple[str, str]] = (), source: str | None = None, entry: str = "",
                 native: dict | None = None, grants: Grants,
                 writable: Sequence[str] = ()) -> None:
        self.grants = grants
        self.after_init: list[Callable[[], None]] = []  # run once, when the first instance has loaded the code
        self.writable = frozenset(writable)  # guest folders mounted writable (runtimes/bytecode.py)
        self.kind, self.engine, self.component, self.handler = kind, engine, component, handler
        self.config = config
        self.mounts = list(mounts)
        self.source, self.entry = source, entry
        self.native = native or {}
        self.memory_limit = config.memory_mb << 20
        self.tmp_limit = config.ephemeral_mb << 20
        default = "python3.12" if kind == "python" else "nodejs20.x"
        self.runtime = config.runtime if config.runtime and config.runtime[:4] in ("pyth", "node") else default

    def init_args(self, config_json: str) -> tuple:
        return (config_json,) if self.kind == "python" else (self.source or "", config_json)

    def init_config(self, meta: dict, log_stream: str) -> dict:
        """What ``init`` tells the runtime: the handler, the context's static part, and
        the environment with Lambda's reserved variables (which user variables cannot
        override, as in Lambda)."""
        cfg = self.config
        name, version = meta.get("function_name", ""), meta.get("function_version", "$LATEST")
        arn = f"arn:aws:lambda:{cfg.region}:000000000000:function:{name}"
        group = f"/aws/lambda/{name}"
        # what Lambda's process has beside the documented variables (a function may set these)
        env = {"PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LANG": "en_US.UTF-8",
               "LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:"
                                  "/var/task/lib:/opt/lib",
               "LC_CTYPE": "C.UTF-8", "PWD": TASK_ROOT, "SHLVL": "0", "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
               "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000", "_AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129",
               "_AWS_XRAY_DAEMON_PORT": "2000"}
        if self.kind == "javascript":
            env["NODE_PATH"] = "/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules"
        else:
            env["PYTHONPATH"] = RUNTIME_DIR
        env.update(meta.get("env") or {})
        env.update({
            "AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_VERSION": version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(cfg.memory_mb), "AWS_REGION": cfg.region,
            "AWS_DEFAULT_REGION": cfg.region, "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.runtime}",
            "AWS_LAMBDA_LOG_GROUP_NAME": group, "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency" if cfg.min_warm else "on-demand",
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",  # libraries test it to know they run in Lambda
            "LAMBDA_TASK_ROOT": TASK_ROOT, "LAMBDA_RUNTIME_DIR": RUNTIME_DIR, "_HANDLER": self.handler,
            "TZ": ":UTC"})
        if cfg.log_format == "JSON":
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            if cfg.log_level:
                env["AWS_LAMBDA_LOG_LEVEL"] = cfg.log_level
        return {"handler": self.handler, "function_name": name, "function_version": version,
                "invoked_function_arn": arn if version == "$LATEST" else f"{arn}:{version}",
                "memory_limit_in_mb": cfg.memory_mb, "ephemeral_mb": cfg.ephemeral_mb, "log_group_name": group, "log_stream_name": log_stream,
                "entry": self.entry, "log_format": cfg.log_format, "log_level": cfg.log_level if cfg.log_format == "JSON" else None, "env": env, "native": self.native,
                # sys.path after the code and layers: the requirements, then the bundled SDK
                "path": [m[1] for m in self.mounts if m[1].startswith((TASK_ROOT + "/", "/var/lang/"))]}

    def instantiate(self, fuel: int, ticks: int, timeout_ns: int, meta: dict) -> ComponentSandbox:
        return ComponentSandbox(self, fuel, ticks, timeout_ns, meta)

    def renew(self, sb: ComponentSandbox, fuel: int, ticks: int) -> None:
        sb.renew(fuel, ticks)
