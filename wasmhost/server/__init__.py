"""The HTTP front end: HTTP/1.1 on llhttp with the fast path for invocations (http/) and the aiohttp
app for everything (app.py): the Lambda REST API, ``/invoke``, HTTP triggers,
``/metrics``. Imported only by ``wasmhost serve``: ``import wasmhost`` stays free of it."""

from .auth import AuthConfig
from .run import serve

__all__ = ["AuthConfig", "serve"]
