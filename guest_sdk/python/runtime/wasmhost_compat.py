"""What Lambda's Python runtimes (CPython 3.9-3.13) have and the sandbox's CPython 3.14
removed, put back so that code written for them runs unchanged:

- ``asyncio.get_event_loop()`` with no loop set makes one in the main thread (3.14
  raises ``RuntimeError``). ``loop = asyncio.get_event_loop();
  loop.run_until_complete(main())`` is how many handlers run their coroutines. As in
  3.12, once a loop was set (or unset: ``asyncio.run`` does at its end) none is made.
- ``ast.Num``, ``ast.Str``, ``ast.Bytes``, ``ast.NameConstant``, ``ast.Ellipsis``
  (their nodes are ``ast.Constant``; ``isinstance`` tells them apart by the value),
  ``Constant.n`` / ``Constant.s``, and a ``NodeVisitor``'s ``visit_Str``-style methods
  (Werkzeug 1.x builds its URL rules with ``ast.Str``: Flask 1.x apps).
- ``pkgutil.get_loader`` and ``pkgutil.find_loader`` (Flask 1.x finds its root path
  with them).
- For a python3.9 function, ``collections.Iterable`` and the other ABCs 3.10 removed
  from ``collections``.
- For a python3.9 or 3.10 function, ``inspect.getargspec`` (3.11 removed it; libraries
  of that time call it to see a callback's parameters).
- For a python3.9-3.11 function, ``configparser.SafeConfigParser`` and
  ``RawConfigParser.readfp`` (3.12 removed them; older libraries read their settings
  with them).
- For a python3.9-3.13 function, ``importlib.abc.ResourceReader``, ``Traversable`` and
  ``TraversableResources`` (3.14 left them in ``importlib.resources.abc`` only).
- For a python3.9-3.12 function, tracebacks as its runtime prints them (``wasmhost_traceback``).
- For a python3.9-3.11 function, import finders with only the PEP 302 ``find_module``
  (3.12 skips them): six before 1.16 makes ``six.moves`` with one, and urllib3 1.25
  (botocore before 1.19 pins it) vendors that six, so ``urllib3.packages.six.moves``
  failed to import. A python3.12+ function fails as on Lambda.

The modules 3.12 and 3.13 removed (``distutils``, ``asyncore``, ``cgi``, ``imghdr``, ...)
come from their ``standard-*`` redistributions (``wasmhost/runtimes/python.py``), for
the runtimes that still have them: a function whose runtime no longer has one gets
Lambda's ``ModuleNotFoundError`` (a ``try: import cgi`` fallback takes its other branch,
as there).
"""

import ast
import collections
import configparser
import importlib.abc
import importlib.util
import inspect
import pkgutil
import sys
import threading
import types

import wasmhost_sdk
import wasmhost_traceback


# -- asyncio ------------------------------------------------------------------------------
def _event_loop_as_before(events):
    policy = getattr(events, "_BaseDefaultEventLoopPolicy", None) or getattr(events, "BaseDefaultEventLoopPolicy")
    get_loop, set_loop = policy.get_event_loop, policy.set_event_loop

    def get_event_loop(self):
        local = self._local
        if local._loop is None and not getattr(local, "set_called", False) \
                and threading.current_thread() is threading.main_thread():
            self.set_event_loop(self.new_event_loop())
        return get_loop(self)

    def set_event_loop(self, loop):
        self._local.set_called = True
        set_loop(self, loop)

    policy.get_event_loop, policy.set_event_loop = get_event_loop, set_event_loop


# -- ast ----------------------------------------------------------------------------------
class _Deprecated(type):
    """An old node class: ``isinstance`` asks the ``Constant``'s value."""

    def __instancecheck__(cls, node):
        if not isinstance(node, ast.Constant):
            return False
        if cls in _KINDS:
            value = getattr(node, "value", _KINDS)
            return isinstance(value, _KINDS[cls]) and not (cls is ast.Num and isinstance(value, bool))
        return type.__instancecheck__(cls, node)


_KINDS: dict = {}  # old node class -> the value types its Constants hold


def _old_nodes():
    if hasattr(ast, "Str"):
        return
    kinds = {"Num": ((int, float, complex), ("n",)), "Str": ((str,), ("s",)), "Bytes": ((bytes,), ("s",)),
             "NameConstant": ((type(None), bool), ("value", "kind")), "Ellipsis": ((type(...),), ())}
    for name, (values, fields) in kinds.items():
        def new(cls, *args, _ellipsis=name == "Ellipsis", **kwargs):
            if cls not in _KINDS:  # a user's subclass
                return ast.Constant.__new__(cls, *args, **kwargs)
            return ast.Constant(..., *args, **kwargs) if _ellipsis else ast.Constant(*args, **kwargs)
        cls = _Deprecated(name, (ast.Constant,), {"_fields": fields, "__new__": new, "__module__": "ast"})
        _KINDS[cls] = values
        setattr(ast, name, cls)
    ast.Constant.n = ast.Constant.s = property(lambda self: self.value, lambda self, v: setattr(self, "value", v))
    names = {type(None): "NameConstant", bool: "NameConstant", int: "Num", float: "Num", complex: "Num",
             str: "Str", bytes: "Bytes", type(...): "Ellipsis"}

    def visit_Constant(self, node):  # reached only when the visitor has no visit_Constant of its own
        old = getattr(self, "visit_" + names.get(type(node.value), "Constant_"), None)
        return old(node) if old is not None else self.generic_visit(node)
    ast.NodeVisitor.visit_Constant = visit_Constant


# -- modules removed from the standard library ----------------------------------------------
REMOVED_IN = {(3, 12): ("distutils", "asyncore", "asynchat", "smtpd"),
              (3, 13): ("cgi", "cgitb", "chunk", "imghdr", "mailcap", "nntplib", "pipes", "sndhdr", "telnetlib",
                        "uu", "xdrlib")}


class _Removed:
    """Before the path finder: the modules the function's Python no longer has."""

    def __init__(self, names):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return None


def runtime_modules(runtime):
    """Hide what ``runtime`` (``python3.12``) lacks; called at init, when it is known."""
    try:
        version = tuple(int(p) for p in runtime.removeprefix("python").split(".")[:2])
    except ValueError:
        return
    gone = {name for since, names in REMOVED_IN.items() if version >= since for name in names}
    if gone:
        sys.meta_path.insert(0, _Removed(frozenset(gone)))
    wasmhost_traceback.as_runtime(version)
    if version < (3, 10):
        _abc_aliases()
    if version < (3, 11):
        inspect.getargspec = getargspec
    if version < (3, 12):
        sys.meta_path.append(_LegacyFinders())
        configparser.SafeConfigParser = configparser.ConfigParser
        configparser.RawConfigParser.readfp = _readfp
    if version < (3, 14):
        from importlib.resources import abc  # noqa: PLC0415 - imported with importlib.resources (PRELOAD)
        for name in ("ResourceReader", "Traversable", "TraversableResources"):
            setattr(importlib.abc, name, getattr(abc, name))


ArgSpec = collections.namedtuple("ArgSpec", "args varargs keywords defaults")


def getargspec(func):
    """3.10's: ``getfullargspec``'s first four, refusing what they cannot tell."""
    args, varargs, varkw, defaults, kwonlyargs, _, annotations = inspect.getfullargspec(func)
    if kwonlyargs or annotations:
        raise ValueError("Function has keyword-only parameters or annotations, use inspect.signature() API which "
                         "can support them")
    return ArgSpec(args, varargs, varkw, defaults)


def _readfp(self, fp, filename=None):
    self.read_file(fp, source=filename)


class _LegacyFinders:
    """On ``sys.meta_path`` for a python3.9-3.11 function: asks each finder that has
    ``find_module`` and no ``find_spec`` as 3.11's import system did (``_find_spec_legacy``),
    once every finder with ``find_spec`` has found nothing."""

    def find_spec(self, name, path, target=None):
        for finder in sys.meta_path:
            if hasattr(finder, "find_spec") or not hasattr(finder, "find_module"):
                continue
            loader = finder.find_module(name, path)
            if loader is not None:
                return importlib.util.spec_from_loader(name, loader)
        return None


def _abc_aliases():
    """python3.9's ``collections.Mapping``, ``collections.Iterable``, ... (the ABCs under
    their pre-3.3 names, removed in 3.10): PyJWT 1.x, old requests and yaml-era packages
    still import them."""
    import collections.abc  # noqa: PLC0415 - only for a python3.9 function

    for name in collections.abc.__all__:
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))


# -- pkgutil ------------------------------------------------------------------------------
def find_loader(fullname):
    """The loader of module ``fullname`` (pkgutil's, before 3.14)."""
    if fullname.startswith("."):
        raise ImportError(f"Relative module name {fullname!r} not supported")
    try:
        spec = importlib.util.find_spec(fullname)
    except (ImportError, AttributeError, TypeError, ValueError) as e:
        raise ImportError(f"Error while finding loader for {fullname!r} ({type(e)}: {e})") from e
    return spec.loader if spec is not None else None


def get_loader(module_or_name):
    """The loader of a module or of a module's name (pkgutil's, before 3.14)."""
    if module_or_name in sys.modules:
        module_or_name = sys.modules[module_or_name]
        if module_or_name is None:
            return None
    if isinstance(module_or_name, types.ModuleType):
        loader = getattr(module_or_name, "__loader__", None)
        if loader is not None:
            return loader
        if getattr(module_or_name, "__spec__", None) is None:
            return None
        return find_loader(module_or_name.__name__)
    return find_loader(module_or_name)


def install():
    wasmhost_sdk.after_import("asyncio.events", _event_loop_as_before)
    _old_nodes()
    for name, fn in (("find_loader", find_loader), ("get_loader", get_loader)):
        if not hasattr(pkgutil, name):
            setattr(pkgutil, name, fn)


install()
