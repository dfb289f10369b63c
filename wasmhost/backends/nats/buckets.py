"""Creating what a node needs on the engine at start, whichever node comes first."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

log = logging.getLogger("wasmhost.cluster")


async def ensure(make: Callable[[], Awaitable[Any]], get: Callable[[], Awaitable[Any]] | None = None,
                 what: str = "", attempts: int = 20) -> Any:
    """``make()``; ``get()`` when another node made it first (the same configuration
    from every node); retried for a few seconds while a cluster just started places
    its replicas (the create fails meanwhile)."""
    from nats.js.errors import BadRequestError
    for attempt in range(attempts):
        try:
            try:
                return await make()
            except BadRequestError:
                return await get() if get is not None else None
        except Exception as e:  # noqa: BLE001 - not ready: wait, then say why
            if attempt == attempts - 1:
                raise
            log.info("cluster: creating %s: %r; retrying", what, e)
            await asyncio.sleep(0.25)


async def key_value(js: Any, bucket: str, replicas: int) -> Any:
    """A KV bucket keeping each key's latest value."""
    return await ensure(lambda: js.create_key_value(bucket=bucket, history=1, replicas=replicas),
                        lambda: js.key_value(bucket), bucket)
