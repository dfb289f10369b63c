"""Ship a plain Python function into the sandboxed Python runtime: ``host.deploy("f", fn)``.

The PyWren / Lithops pattern: a function written in a script or a notebook, with the
closures and module-level helpers it uses, becomes a deployed function. Two routes:

- **Bytecode** (host Python = the sandbox's CPython, ``SANDBOX_PYTHON``): cloudpickle
  pickles the function by value (its module's helpers too). The sandbox's curated
  standard library has no ``pickle``, so the host's own ``pickle.py`` and
  ``_compat_pickle.py`` (the same version, pure Python) and cloudpickle's package are
  shipped beside it.
- **Source** (any other host Python; bytecode is version-specific and cannot travel):
  the function's source, and the source of every helper function and class of its
  own module it reaches, its imports and its literal constants, written as one module.
  A closure's variables become that module's globals. What has no source form (a
  lambda, a function typed into the REPL, a closure over an object that is neither a
  literal nor importable) is refused with an error naming the Python needed for the
  bytecode route.

A function of one parameter is called as ``fn(event)``; of two, as Lambda's
``handler(event, context)``.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import shutil
import sys
import textwrap
import types
from pathlib import Path
from typing import Any, Callable

from ..errors import DeployError

SANDBOX_PYTHON = (3, 14)  # the CPython componentize-py 0.25.1 builds in (tests/runtimes/test_shipping.py checks)
MODULE = "shipped"
HANDLER = f"{MODULE}.wasmhost_handler"
_LITERALS = (type(None), bool, int, float, complex, str, bytes)


def write(fn: Callable, dest: Path, python: tuple[int, int] | None = None) -> str:
    """Write ``fn`` as a Python function folder into ``dest``; return its handler."""
    if not isinstance(fn, types.FunctionType):
        raise DeployError(f"deploy takes a plain Python function (def), not {type(fn).__name__} {fn!r}")
    params = [p for p in inspect.signature(fn).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    if len(params) not in (1, 2):
        raise DeployError(f"{fn.__qualname__} takes {len(params)} required arguments: a shipped function takes "
                          "(event) or (event, context)")
    call = f"_fn(event{', context' if len(params) == 2 else ''})"
    dest.mkdir(parents=True, exist_ok=True)
    if (python or sys.version_info[:2]) == SANDBOX_PYTHON:
        _write_pickled(fn, dest)
        body = (f"import os\nimport pickle\n\nwith open(os.path.join(os.path.dirname(__file__), '{MODULE}.pkl'), "
                "'rb') as _f:\n    _fn = pickle.load(_f)\n")
    else:
        body = f"{Source(fn).module()}\n_fn = {fn.__name__}\n"
    (dest / f"{MODULE}.py").write_text(f"{body}\n\ndef wasmhost_handler(event, context):\n    return {call}\n")
    return HANDLER


def _write_pickled(fn: Callable, dest: Path) -> None:
    import cloudpickle
    module = sys.modules.get(fn.__module__)
    by_value = module is not None and fn.__module__ != "__main__" and _users_own(fn.__module__)
    if by_value:  # a user's own module is not in the sandbox: ship its helpers by value too
        cloudpickle.register_pickle_by_value(module)
    try:
        (dest / f"{MODULE}.pkl").write_bytes(cloudpickle.dumps(fn))
    finally:
        if by_value:
            cloudpickle.unregister_pickle_by_value(module)
    for name in ("pickle", "_compat_pickle"):
        shutil.copyfile(inspect.getfile(importlib.import_module(name)), dest / f"{name}.py")
    shutil.copytree(Path(cloudpickle.__file__).parent, dest / "cloudpickle",
                    ignore=shutil.ignore_patterns("__pycache__"))


def _users_own(module_name: str | None) -> bool:
    """Defined by the user (a script, a notebook, their own module): not importable in
    the sandbox, so shipped. The standard library and installed packages are imported."""
    if not module_name or module_name in ("__main__", "__mp_main__"):
        return True
    if module_name.split(".")[0] in sys.stdlib_module_names:
        return False
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None) if module is not None else None
    if module is None or file is None:
        return module is None
    return not {"site-packages", "dist-packages"} & set(Path(file).parts)


class Source:
    """The source of a function and of what it reaches, as one module."""

    def __init__(self, fn: types.FunctionType) -> None:
        self.fn = fn
        self.imports: dict[str, str] = {}   # name -> import line
        self.values: dict[str, str] = {}    # name -> assignment
        self.defs: dict[str, str] = {}      # name -> def/class source
        self._seen: set[int] = set()
        self._bound: dict[str, Any] = {}    # name -> the object it stands for

    def module(self) -> str:
        self._function(self.fn, self.fn.__name__)
        parts = list(self.imports.values()) + list(self.values.values()) + list(self.defs.values())
        return "\n".join(parts) + "\n"

    def refuse(self, why: str) -> DeployError:
        have, need = ".".join(map(str, sys.version_info[:2])), ".".join(map(str, SANDBOX_PYTHON))
        return DeployError(f"cannot ship {self.fn.__qualname__} to the sandbox: {why}. The sandbox runs Python {need} "
                           f"and this host Python {have}, so its bytecode cannot travel; run the host on Python "
                           f"{need} (cloudpickle then ships it as it is), or define it in a file with plain "
                           "module-level helpers")

    def _source(self, obj: Any) -> str:
        try:
            return textwrap.dedent(inspect.getsource(obj))
        except (OSError, TypeError):
            raise self.refuse(f"the source of {getattr(obj, '__qualname__', obj)!r} is not available "
                              "(typed into the REPL?)") from None

    def _function(self, fn: types.FunctionType, name: str) -> None:
        if id(fn) in self._seen:
            return
        self._seen.add(id(fn))
        if fn.__name__ == "<lambda>":
            raise self.refuse(f"{name!r} is a lambda, whose source is not its own; write it with def")
        source = self._source(fn)
        tree = ast.parse(source)
        node = tree.body[0] if tree.body else None
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.decorator_list:
            raise self.refuse(f"{name!r} is decorated or not a plain def")
        if any(isinstance(n, ast.Nonlocal) for n in ast.walk(node)):
            raise self.refuse(f"{name!r} assigns a closure variable (nonlocal), which a module global cannot stand for")
        if node.name != name:  # bound under another name: define it, then alias it
            self.values[name] = f"{name} = {node.name}"
        self.defs[node.name] = source
        self._names(fn.__code__, fn.__globals__, fn)

    def _class(self, cls: type, name: str) -> None:
        if id(cls) in self._seen:
            return
        self._seen.add(id(cls))
        source = self._source(cls)
        node = ast.parse(source).body[0]
        if not isinstance(node, ast.ClassDef) or node.decorator_list or node.name != name:
            raise self.refuse(f"class {name!r} is decorated or bound under another name")
        self.defs[name] = source
        module_globals = vars(sys.modules[cls.__module__]) if cls.__module__ in sys.modules else {}
        for base in node.bases:
            if isinstance(base, ast.Name):
                self._global(base.id, module_globals)
        for member in vars(cls).values():
            fn = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            if isinstance(fn, types.FunctionType):
                self._names(fn.__code__, fn.__globals__, fn)

    def _names(self, code: types.CodeType, globals_: dict, fn: types.FunctionType | None) -> None:
        """Every global a code object (and the code nested in it) reads; a closure's cells."""
        for name in code.co_names:
            self._global(name, globals_)
        if fn is not None and fn.__closure__:
            for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
                try:
                    value = cell.cell_contents
                except ValueError:
                    raise self.refuse(f"its closure variable {name!r} is not set yet") from None
                self._value(name, value)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                self._names(const, globals_, None)

    def _global(self, name: str, globals_: dict) -> None:
        if name in globals_:
            self._value(name, globals_[name])
        # else a builtin, an attribute name, or a name the function would fail on anyway

    def _value(self, name: str, value: Any) -> None:
        if name in self._bound:
            if self._bound[name] is not value and not (_literal(value) and self._bound[name] == value):
                # a closure variable and a global of one name
                raise self.refuse(f"the name {name!r} means two things in the code it reaches")
            return
        self._bound[name] = value
        if isinstance(value, types.ModuleType):
            self.imports[name] = (f"import {value.__name__}" if value.__name__ == name
                                  else f"import {value.__name__} as {name}")
        elif isinstance(value, types.FunctionType) and not self._own(value):
            self.imports[name] = self._import_from(name, value)
        elif isinstance(value, types.FunctionType):
            self._function(value, name)
        elif isinstance(value, type) and not self._own(value):
            self.imports[name] = self._import_from(name, value)
        elif isinstance(value, type):
            self._class(value, name)
        elif _literal(value):
            self.values[name] = f"{name} = {value!r}"
        elif getattr(builtins, name, None) is value:
            pass
        elif getattr(value, "__module__", None) and getattr(value, "__qualname__", None) and \
                "<" not in value.__qualname__ and not self._own(value):
            self.imports[name] = self._import_from(name, value)
        else:
            raise self.refuse(f"it uses {name!r}, a {type(value).__name__} that is neither a literal, a module, "
                              "a function or class with source, nor importable")

    @staticmethod
    def _own(obj: Any) -> bool:
        return _users_own(getattr(obj, "__module__", None))

    @staticmethod
    def _import_from(name: str, obj: Any) -> str:
        top, _, rest = obj.__qualname__.partition(".")
        line = f"from {obj.__module__} import {top}" + ("" if top == name or rest else f" as {name}")
        return f"{line}\n{name} = {top}.{rest}" if rest else line


def _literal(value: Any) -> bool:
    """A value whose repr evaluates back to an equal value (numbers, strings, and
    containers of them)."""
    if isinstance(value, _LITERALS):
        try:
            return ast.literal_eval(repr(value)) == value
        except (ValueError, SyntaxError):
            return False
    if isinstance(value, (tuple, list, set, frozenset)):
        return all(_literal(v) for v in value) and type(value) in (tuple, list, set)
    if isinstance(value, dict):
        return type(value) is dict and all(_literal(k) and _literal(v) for k, v in value.items())
    return False
