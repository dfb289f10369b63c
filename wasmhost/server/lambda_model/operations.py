"""The operation table: each Lambda operation's name mapped to the function that
answers it, and ``dispatch``, which binds a request (bindings.py), validates it
against the model (validation.py), calls the operation and writes its answer.

An operation the model knows but this host does not implement answers 400
``UnsupportedOperationException`` naming it (not retried by any SDK, and never
"function not found"). Adding an operation is one line: ``register(name, fn)``
(event-source mappings register theirs from server/sources)."""

from __future__ import annotations

import inspect
import json
import uuid
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping, Union

from ..errors import ApiError, internal
from ..reply import Reply
from . import (aliases, concurrency, event_config, function_settings, functions, invoke, layers, permissions,
               tags, urls)

if TYPE_CHECKING:
    from .service import Service

Result = Union[dict[str, Any], Reply, None]
Handler = Callable[["Service", dict[str, Any]], Union[Result, Awaitable[Result]]]

HANDLERS: dict[str, Handler] = {}
STATUS = {"DeleteFunction": 204}  # what AWS sends where the model says otherwise (both parse)


def register(name: str, handler: Handler) -> None:
    HANDLERS[name] = handler


# Each family module's public functions are the operations of the same name in CamelCase
# (``list_function_url_configs`` answers ListFunctionUrlConfigs); three are helpers instead.
# invoke.invoke_answer and invoke_reply (the fast path's and aiohttp's route's), functions.configuration
_HELPERS = {"InvokeAnswer", "InvokeReply", "Configuration"}
for _module in (functions, aliases, concurrency, event_config, function_settings, tags, permissions, urls, layers,
                invoke):
    for _name, _fn in vars(_module).items():
        _op = "".join(part.capitalize() for part in _name.split("_"))
        if inspect.isfunction(_fn) and _fn.__module__ == _module.__name__ and not _name.startswith("_") \
                and _op not in _HELPERS:
            HANDLERS[_op] = _fn


def _json(status: int, data: Any) -> Reply:
    return Reply(status, {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())},
                 json.dumps(data).encode())


async def call(s: Service, name: str, params: dict[str, Any]) -> Reply:
    """One operation, by name, with parameters as the model names them."""
    op = s.bindings.operations[name]
    handler = HANDLERS.get(name)
    if handler is None:
        raise ApiError(400, "UnsupportedOperationException", f"{name} is not implemented by this host (wasmhost)")
    if op.input is not None:
        s.validator.check(op.input, params)
    if name.startswith(("Get", "List")):
        s.sync()
        result = handler(s, params)
    else:
        async with s.writing():
            result = handler(s, params)  # an Invoke's coroutine runs after: not under the lock
    if inspect.isawaitable(result):
        result = await result
    if isinstance(result, Reply):
        return result
    status = STATUS.get(name, op.status)
    if result is None:
        return Reply(status, {"x-amzn-RequestId": str(uuid.uuid4())})
    return _json(status, result)


async def dispatch(s: Service, method: str, path: str, raw_query: str, headers: Mapping[str, str],
                   body: bytes) -> Reply:
    """A Lambda API request to its answer. Nothing escapes as an exception: an
    unexpected one is logged once and answered 500 ``ServiceException``."""
    try:
        op, params = s.bindings.bind(method, path, raw_query, headers, body)
        urls.request_host.set(headers.get("host", ""))
        return await call(s, op.name, params)
    except ApiError as e:
        return e.reply()
    except Exception as e:
        return internal(e).reply()
