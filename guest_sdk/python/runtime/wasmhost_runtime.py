"""wasmhost_runtime: wasmhost's Python runtime. CPython (componentize-py) calling
`def handler(event, context)` the way Lambda's Python runtime (awslambdaric) does:
the same environment, `context`, logging, error documents and file system layout.

Built once per runtime version, not per function. At run time the host mounts the
full standard library at /python (componentize-py's PYTHONHOME), the function's
code at /var/task (the working directory), merged layers at /opt, a writable /tmp
per instance and the host's time zone database. The modules imported below are in
the build's snapshot, so importing them costs a handler nothing; the rest of the
standard library is read from /python on first import.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import logging
import os
import sys
import time

# Pre-imported (free at run time): what Lambda handlers and their libraries import most.
# A module that cannot exist in WebAssembly (no sockets, no threads) fails on use instead.
PRELOAD = """abc argparse ast base64 binascii bisect calendar collections collections.abc configparser
contextlib contextvars copy csv dataclasses datetime decimal difflib dis email email.message email.utils
enum errno fnmatch fractions functools gettext glob gzip hashlib heapq hmac html html.parser http
http.client http.cookies importlib.metadata importlib.resources importlib.util inspect io ipaddress
itertools json.decoder keyword linecache locale logging.handlers math mimetypes numbers operator pathlib
pkgutil platform pprint queue random re secrets shlex shutil signal socket statistics string struct
tempfile textwrap threading tokenize types typing unicodedata urllib.error urllib.parse urllib.request
uuid warnings weakref xml.etree.ElementTree zipfile zlib zoneinfo
concurrent.futures concurrent.futures.thread getpass multiprocessing multiprocessing.pool subprocess""".split()
for _name in PRELOAD:
    try:
        importlib.import_module(_name)
    except Exception:  # noqa: BLE001 - absent in this build: fails on use, as elsewhere
        pass

import wit_world
from componentize_py_types import Err

import wasmhost_sdk  # noqa: F401  outbound HTTP through the host; `from wasmhost_sdk import kv`
import wasmhost_sandbox  # no sockets, no threads: the standard library adjusted
import wasmhost_compat  # what Lambda's CPython 3.9-3.13 have and 3.14 removed
import wasmhost_rpds  # noqa: F401  (STAND_INS: in the snapshot, as this runtime's files are only there)
import wasmhost_hashlib  # noqa: F401  hashlib.pbkdf2_hmac and scrypt, which CPython has only from OpenSSL
import wasmhost_orjson  # noqa: F401  (STAND_INS: the stand-ins of orjson and, imported by it, ujson)
import wasmhost_cryptography  # noqa: F401  (STAND_INS; its code runs only when a function imports cryptography)
import wasmhost_errors  # errors in Lambda's words: Linux's errno numbers, the standard library's path
import wasmhost_processes  # noqa: F401  multiprocessing's Process and Pipe; semaphores fail as on Lambda
import wasmhost_marshal  # the result as awslambdaric gives it back (Decimal, bytes, UTF-8)

TASK_ROOT = "/var/task"
_runtime = "python3.12"  # the function's (AWS_EXECUTION_ENV), set at init
_handler = None
_request_id = ""
_config: dict = {}


class LambdaContext:
    """Lambda's Python `context` (awslambdaric's LambdaContext)."""

    __slots__ = ("aws_request_id", "_deadline_ms", "client_context", "identity")
    function_name = function_version = invoked_function_arn = memory_limit_in_mb = ""
    log_group_name = log_stream_name = ""
    tenant_id = None

    def __init__(self, request_id, deadline_ms):
        self.aws_request_id = request_id
        self._deadline_ms = deadline_ms
        self.client_context = None
        self.identity = None

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
                f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
                f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
                f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
                f"identity={self.identity}])")


# -- what an invocation's request adds to the context, shaped as awslambdaric's objects --
class Client:
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")


class ClientContext:
    __slots__ = ("custom", "env", "client")


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")


def _from_dict(cls, doc):
    if not isinstance(doc, dict):
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, doc.get(field))
    return obj


def _request_context(context, request):
    """``request`` (wasmhost/abi/component.py): the ClientContext as JSON text, the identity."""
    if request.get("client_context"):
        cc = _from_dict(ClientContext, json.loads(request["client_context"]))
        if cc is not None:
            cc.client = _from_dict(Client, cc.client)
        context.client_context = cc
    identity = request.get("identity")
    if identity:
        context.identity = ident = CognitoIdentity()
        ident.cognito_identity_id = identity.get("cognitoIdentityId")
        ident.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")


# -- logging, as awslambdaric wires it -------------------------------------------------
_LEVELS = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING,
           "WARNING": logging.WARNING, "ERROR": logging.ERROR, "FATAL": logging.CRITICAL}


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id
        return True


class _JsonFormatter(logging.Formatter):
    """awslambdaric's JSON log format (LoggingConfig.LogFormat = JSON)."""

    def format(self, record):
        doc = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
               + f".{int(record.msecs):03d}Z",
               "level": "WARN" if record.levelname == "WARNING" else record.levelname,
               "message": record.getMessage(), "logger": record.name,
               "stackTrace": None, "errorType": None, "errorMessage": None,
               "requestId": _request_id or None}
        if record.exc_info:
            etype, value, tb = record.exc_info
            doc.update(errorType=etype.__name__, errorMessage=wasmhost_errors.message(value, _runtime),
                       stackTrace=wasmhost_errors.frames(tb, _runtime))
        for key, value in record.__dict__.items():  # extra=... fields, as Lambda keeps them
            if key not in _RECORD_KEYS and key != "aws_request_id":
                doc[key] = value
        return json.dumps({k: v for k, v in doc.items() if v is not None}, default=str)


_RECORD_KEYS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class _TextFormatter(logging.Formatter):
    """awslambdaric's text log line; a traceback (``logger.exception``) names the standard
    library's files where Lambda keeps them, as the error document's ``stackTrace`` does."""

    def formatException(self, ei):
        return super().formatException(ei).replace(f'File "{wasmhost_errors.STDLIB}',
                                                   f'File "{wasmhost_errors.stdlib_path(_runtime)}')


def _setup_logging(log_format, log_level):
    handler = logging.StreamHandler(sys.stdout)
    if log_format == "JSON":
        handler.setFormatter(_JsonFormatter())
    else:
        fmt = _TextFormatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                                "%Y-%m-%dT%H:%M:%S")
        fmt.converter = time.gmtime
        handler.setFormatter(fmt)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    if log_level:  # Lambda filters JSON logs below the level, whatever the code's loggers say
        level = _LEVELS.get(log_level.upper(), logging.INFO)
        root.setLevel(level)
        handler.setLevel(level)


# -- native extensions that were left out of the package ---------------------------------
# native modules with no pure-Python form of their own, and a stand-in in this runtime
STAND_INS = {"rpds.rpds": "wasmhost_rpds",  # rpds-py: referencing's, so jsonschema's
             "cryptography.hazmat.bindings._rust": "wasmhost_cryptography",  # pyca/cryptography's Rust/OpenSSL
             "orjson.orjson": "wasmhost_orjson", "ujson": "wasmhost_ujson",  # native-only JSON packages
             # pydantic v2's Rust core: not in the snapshot but in the bundled SDK folder, imported on first use
             "pydantic_core._pydantic_core": "wasmhost_pydantic_core"}


class _NativeFinder(importlib.abc.MetaPathFinder):
    """Before the path finder: a module whose only form is a native extension (which
    cannot load in WebAssembly: left out of requirements, or vendored) fails with an ImportError that names
    its package, instead of a folder of type stubs loading as a namespace package
    (cryptography's ``_rust``) and failing later, elsewhere, unexplained. A module with a
    pure-Python form too loads that one, and one with a stand-in here (``STAND_INS``) loads that."""

    def __init__(self, modules):
        self.modules = modules

    def find_spec(self, name, path=None, target=None):
        package = self.modules.get(name)
        if package is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.origin is not None and \
                not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            return None  # a .py module or a regular package
        stand_in = STAND_INS.get(name)
        if stand_in is not None:
            try:  # the snapshot's, or a file of the bundled SDK folder (absent when boto3 is not installed for it)
                module = sys.modules.get(stand_in) or importlib.import_module(stand_in)
            except ModuleNotFoundError as e:
                if e.name != stand_in:
                    raise
            else:
                return importlib.util.spec_from_loader(name, _StandIn(module))
        # another version of a package with a stand-in runs (cryptography 2.x's _constant_time)
        runs = next((getattr(sys.modules.get(s), "SUPPORTED", None) for m, s in STAND_INS.items()
                     if m.partition(".")[0] == name.partition(".")[0]), None)
        raise ImportError(f"No module named '{name}': it is a native extension of the package "
                          f"'{package}', and native code cannot run in wasmhost's WebAssembly sandbox "
                          f"({f'{runs} runs: its native module has a pure-Python stand-in' if runs else 'use a pure-Python package or version'})",
                          name=name)


class _StandIn(importlib.abc.Loader):
    """Gives the stand-in module already loaded (the runtime's files are in its snapshot,
    not on a path; the bigger stand-ins are files of the bundled SDK folder, imported on
    first use) as the native module asked for."""

    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        self.module.__name__ = spec.name
        return self.module

    def exec_module(self, module):
        pass


# Everything an instance imports from is mounted read-only for its life (the code, the
# layers, the bundled SDK, the standard library, this runtime); only /tmp is writable.
FIXED = ("/var/", "/opt", "/python", "/0")

# The top-level modules Lambda's Python runtime (awslambdaric, with site) has imported
# when it imports the handler: a module of the code's own named like one of them is not
# used there either, as sys.modules answers before sys.path.
LAMBDA_IMPORTED = frozenset("""abc atexit builtins codecs collections contextlib copyreg decimal encodings enum
functools genericpath importlib io itertools json keyword linecache logging marshal math numbers operator os
posix posixpath re reprlib site stat string sys textwrap threading time token tokenize traceback types
warnings weakref zipimport""".split())


def _own_modules_first(folders):
    """A module of the code's own (or a layer's) named like one of the standard library's
    that PRELOAD put in the snapshot (``secrets.py``, ``queue.py``, a ``calendar/``
    package, a handler module ``csv.py``) comes first on Lambda's sys.path, where that
    module is not imported yet; here the snapshot's copy in sys.modules would answer.
    Dropped from sys.modules (with its submodules), the import finds the code's. The
    folders' listings are their path finders', which the handler's import makes anyway
    (a listing is a host call, ~0.13 ms for /var/task: not made twice)."""
    for folder in folders:
        finder = importlib.machinery.PathFinder._path_importer_cache(folder)
        if finder is None:
            continue
        finder.find_spec("-")  # lists the folder once, as the first import from it would
        for entry in getattr(finder, "_path_cache", ()):
            name = entry[:-3] if entry.endswith(".py") else entry
            if name not in sys.modules or name in LAMBDA_IMPORTED or name.startswith("wasmhost"):
                continue
            if entry.endswith(".py") or os.path.exists(f"{folder}/{entry}/__init__.py"):
                for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
                    del sys.modules[key]


def _fixed_stats():
    """importlib's stat, answered once per path under the read-only mounts. The path
    finder stats every ``sys.path`` folder again on every import (to notice new files),
    and a stat is a host call (~0.1 ms, several times that on a loaded host): ``import
    boto3`` made ~820 of them, ~150 distinct. Installed at init, not at build: the
    build's snapshot must not keep the build machine's answers."""
    import importlib._bootstrap_external as bootstrap  # noqa: PLC0415 - importlib's own (frozen)
    stat = bootstrap._path_stat
    known = {}

    def path_stat(path):
        hit = known.get(path)
        if hit is None:
            if not path.startswith(FIXED):
                return stat(path)
            try:
                hit = known[path] = stat(path)
            except OSError as e:
                known[path] = (type(e), e.errno, e.strerror)
                raise
            return hit
        if type(hit) is tuple:
            raise hit[0](hit[1], hit[2], path)
        return hit
    bootstrap._path_stat = path_stat


# -- errors, as awslambdaric reports them ------------------------------------------------
def _trace(tb):
    return wasmhost_errors.frames(tb, _runtime)


def _exit(exc):
    """``sys.exit()`` in a handler or at import ends Lambda's runtime process: Lambda
    answers ``Runtime.ExitError`` and starts a new one, which imports the code again.
    Ending the instance does both here (the host reports the exit, a new instance
    follows)."""
    code = wasmhost_errors.exit_status(exc)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _error(etype, message, trace=()):
    return json.dumps({"errorMessage": message, "errorType": etype, "requestId": _request_id,
                       "stackTrace": list(trace)})


def _load(handler):
    """Import the handler's module and find the function, reporting failures as Lambda's
    Python runtime names them."""
    try:
        module_name, func_name = handler.rsplit(".", 1)
    except ValueError as e:
        raise Err(_error("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {e}"))
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise Err(_error("Runtime.ImportModuleError",
                         f"Unable to import module '{module_name}': {wasmhost_errors.message(e, _runtime)}"))
    except SyntaxError as e:
        where = f'  File "{e.filename}" Line {e.lineno}\n    {(e.text or "").strip()}\n'
        raise Err(_error("Runtime.UserCodeSyntaxError",
                         f"Syntax error in module '{module_name}': {e.msg} ({os.path.basename(e.filename or '')}, "
                         f"line {e.lineno})", [where]))
    except SystemExit as e:
        _exit(e)
    except Exception as e:  # noqa: BLE001 - the module's own code failed at import
        raise Err(_error(type(e).__name__, wasmhost_errors.message(e, _runtime), _trace(e.__traceback__)))
    func = getattr(module, func_name, None)
    if func is None:
        raise Err(_error("Runtime.HandlerNotFound", f"Handler '{func_name}' missing on module '{module_name}'"))
    return func


class WitWorld(wit_world.WitWorld):
    def init(self, config: str) -> None:
        global _handler, _config, _runtime
        _config = cfg = json.loads(config)
        for key in ("function_name", "function_version", "invoked_function_arn", "log_group_name",
                    "log_stream_name"):
            setattr(LambdaContext, key, cfg.get(key, ""))
        LambdaContext.memory_limit_in_mb = str(cfg.get("memory_limit_in_mb", ""))
        os.environ.update(cfg.get("env", {}))
        sys.argv = ["/var/runtime/bootstrap.py"]  # Lambda's process: python3.x /var/runtime/bootstrap.py (argparse's prog)
        wasmhost_sandbox.TMP_BYTES = cfg.get("ephemeral_mb", 512) << 20
        wasmhost_sandbox.CPU_START = time.process_time()
        # Lambda's sys.path: the code, then the layers (their site-packages named by the
        # function's runtime, python3.9 ...), then the runtime's own packages
        _runtime = runtime = os.environ.get("AWS_EXECUTION_ENV", "").removeprefix("AWS_Lambda_") or "python3.12"
        path = [TASK_ROOT, f"/opt/python/lib/{runtime}/site-packages", "/opt/python"] + cfg.get("path", [])
        sys.path[:0] = [p for p in path if p not in sys.path]  # their finders are made on first import
        wasmhost_compat.runtime_modules(runtime)
        wasmhost_marshal.configure(runtime)
        if "WASMHOST_COMPILE" not in os.environ:  # the bytecode job writes into its folder
            _fixed_stats()
        native = cfg.get("native", {})
        if native:
            at = next((i for i, f in enumerate(sys.meta_path) if f is importlib.machinery.PathFinder), len(sys.meta_path))
            sys.meta_path.insert(at, _NativeFinder(native))
        try:
            os.chdir(TASK_ROOT)
        except OSError:
            pass
        _setup_logging(cfg.get("log_format", "Text"), cfg.get("log_level"))
        _own_modules_first(path[:3])
        _handler = _load(cfg["handler"])
        sys.stdout.flush()

    def handle(self, event: str, request_id: str, deadline_ms: int, request: str) -> str:
        global _request_id
        _request_id = request_id
        context = LambdaContext(request_id, deadline_ms)
        if request:  # Invoke's ClientContext (and identity): only when the caller sent one
            _request_context(context, json.loads(request))
        hexid = request_id.replace("-", "")  # Lambda's header when tracing is PassThrough: not sampled
        os.environ["_X_AMZN_TRACE_ID"] = f"Root=1-{int(time.time()):08x}-{hexid[:24]};Parent={hexid[-16:]};Sampled=0"
        try:
            try:
                ev = json.loads(event) if event else {}
            except ValueError:
                ev = event
            result = _handler(ev, context)
            try:
                return wasmhost_marshal.marshal(result)
            except wasmhost_marshal.MarshalError as e:
                raise Err(_error("Runtime.MarshalError", str(e)))
        except Err:
            raise
        except SystemExit as exc:
            _exit(exc)
        except BaseException as exc:  # noqa: BLE001 - reported to the host
            trace = _trace(exc.__traceback__)
            message = wasmhost_errors.message(exc, _runtime)
            sys.stdout.write(wasmhost_errors.log_text(type(exc).__name__, message, trace))
            raise Err(_error(type(exc).__name__, message, trace))
        finally:
            if wasmhost_sandbox._timers:
                wasmhost_sandbox.run_due_timers()
            sys.stdout.flush()
            sys.stderr.flush()

