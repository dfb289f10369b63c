"""The HTTP front end: HTTP/1.1 on llhttp with the fast path for invocations (http/) and the aiohttp
app for everything (app.py): the Lambda REST API, ``/invoke``, HTTP triggers,
``/metrics``. Imported only by ``wasmhost serve``: ``import wasmhost`` stays free of it.
Its names load on first use, so ``serve --workers N``'s supervisor (server/workers/)
imports none of the server it runs in other processes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auth import AuthConfig
    from .run import serve

_LAZY = {"AuthConfig": "auth", "serve": "run"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wasmhost.server' has no attribute {name!r}")
    from importlib import import_module
    return getattr(import_module(f".{module}", __name__), name)


__all__ = ["AuthConfig", "serve"]
