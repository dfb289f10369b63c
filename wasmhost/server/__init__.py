"""The HTTP front end (aiohttp): the Lambda REST API, ``/invoke``, HTTP triggers,
``/metrics``. Imported only by ``wasmhost serve``: ``import wasmhost`` stays free of it."""

from .app import make_app
from .auth import AuthConfig

__all__ = ["AuthConfig", "make_app"]
