"""pydantic 2.5 to 2.11 on the sandbox's CPython 3.14 (part of the pydantic-core stand-in, see
``wasmhost_pydantic_core``).

Why: Lambda's Python is 3.9-3.13; the sandbox's is 3.14, whose class bodies no longer fill
``__annotations__`` but keep an ``__annotate__`` function (PEP 649/749). pydantic before 2.12
reads a model's fields from ``namespace['__annotations__']`` in its metaclass, so every
``BaseModel`` of those versions failed with "A non-annotated attribute was detected". When
such a pydantic is imported, its metaclass is given the annotations first (as
``annotationlib`` computes them, names not yet defined kept as forward references), which
is what Python 3.12 put there; and pydantic < 2.8's test for ``Annotated`` asks it of the
annotation's origin alone (see ``_patch_typing_extra``).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.metadata
import sys



def _pydantic() -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in importlib.metadata.version("pydantic").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return (0, 0)


def _annotations(namespace) -> None:
    if "__annotations__" in namespace:
        return
    annotate = namespace.get("__annotate__") or namespace.get("__annotate_func__")
    if annotate is None:
        return
    import annotationlib  # noqa: PLC0415 - Python 3.14's
    namespace["__annotations__"] = annotationlib.call_annotate_function(annotate, annotationlib.Format.FORWARDREF)


def _patch_metaclass(module) -> None:
    meta = module.ModelMetaclass
    original = meta.__new__

    def __new__(mcs, cls_name, bases, namespace, *args, **kwargs):
        _annotations(namespace)
        return original(mcs, cls_name, bases, namespace, *args, **kwargs)

    meta.__new__ = staticmethod(__new__)


def _materialize(obj) -> None:
    """Give the classes of ``obj``'s MRO the ``__annotations__`` entry 3.12 put in their
    ``__dict__`` (3.14 keeps an ``__annotate_func__`` there instead, and assigning
    ``__annotations__`` fills a cache, not the entry these versions read)."""
    import annotationlib  # noqa: PLC0415
    import gc  # noqa: PLC0415
    for base in getattr(obj, "__mro__", ()):
        if "__annotations__" in base.__dict__ or "__annotate_func__" not in base.__dict__:
            continue
        try:
            annotations = annotationlib.get_annotations(base, format=annotationlib.Format.FORWARDREF)
        except Exception:  # noqa: BLE001 - left as it was: these versions then see no annotations, as before
            continue
        for namespace in gc.get_referents(base.__dict__):  # the class's own dict, behind its read-only proxy
            if isinstance(namespace, dict):
                namespace["__annotations__"] = annotations


def _materializing(module, *names) -> None:
    """``module``'s functions ``names``, taking a class first, given its annotations first."""
    for name in names:
        original = getattr(module, name, None)
        if original is not None:
            def call(obj, *args, _original=original, **kwargs):
                _materialize(obj)
                return _original(obj, *args, **kwargs)
            setattr(module, name, call)


def _patch_fields(module) -> None:
    """Dataclass fields: pydantic < 2.12 kept those named in each base's ``__annotations__`` entry."""
    _materializing(module, "collect_dataclass_fields")


def _patch_typing_extra(module) -> None:
    """pydantic < 2.12 read a class's annotations from ``cls.__dict__['__annotations__']``
    (TypedDicts, generics' bases), which 3.14 leaves empty; and pydantic < 2.8 asked
    ``issubclass(origin, Annotated)`` of every annotation's origin, which raises for 3.14's
    ``typing.Union`` class instead of answering False."""
    from typing_extensions import Annotated, get_origin  # noqa: PLC0415

    _materializing(module, "get_cls_type_hints", "get_cls_type_hints_lenient")
    if _pydantic() < (2, 8):
        def is_annotated(ann_type) -> bool:
            return get_origin(ann_type) is Annotated

        module.is_annotated = is_annotated


def _patch_generate_schema(module) -> None:
    """pydantic < 2.8 took any ``TypeVar.__default__`` for a default type; since 3.13 every
    TypeVar has one, ``typing.NoDefault`` (RootModel, generic models): those are asked
    about a TypeVar whose default these versions read as none."""
    import typing  # noqa: PLC0415
    no_default = getattr(typing, "NoDefault", None)
    cls = module.GenerateSchema
    original = cls._unsubstituted_typevar_schema

    def _unsubstituted_typevar_schema(self, typevar):
        if no_default is not None and getattr(typevar, "__default__", None) is no_default:
            # a default of None reads as no default to these versions (as on Python 3.12)
            typevar = typing.TypeVar(typevar.__name__, *typevar.__constraints__, bound=typevar.__bound__,
                                     default=None)
        return original(self, typevar)

    cls._unsubstituted_typevar_schema = _unsubstituted_typevar_schema


# module: (its patch, the first pydantic version that needs none)
PATCHES = {"pydantic._internal._model_construction": (_patch_metaclass, (2, 12)),
           "pydantic._internal._typing_extra": (_patch_typing_extra, (2, 12)),
           "pydantic._internal._fields": (_patch_fields, (2, 12)),
           "pydantic._internal._generate_schema": (_patch_generate_schema, (2, 8))}


class _Hook(importlib.abc.MetaPathFinder):
    """Patches pydantic's modules (``PATCHES``) as they are imported."""

    def __init__(self, todo):
        self.todo = todo

    def find_spec(self, name, path=None, target=None):
        patch = self.todo.pop(name, None)
        if patch is None:
            return None
        if not self.todo:
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            patch(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install() -> None:
    if sys.version_info < (3, 14):
        return
    version = _pydantic()
    todo = {name: patch for name, (patch, fixed) in PATCHES.items() if version < fixed}
    if todo:
        sys.meta_path.insert(0, _Hook(todo))
