"""The invocation routes the fast path answers itself, one table: ``POST
/invoke/{name}``, Lambda's ``POST /2015-03-31/functions/{name}/invocations``, any
method under an HTTP trigger's ``/http/{name}/`` and under a function URL's
``/lambda-url/{id}/``. Each calls the same handler as aiohttp's route
(invoke.answer, lambda_invoke.invoke_answer, http_trigger.reply, function_url.serve),
so both paths give the same answers; every other request is lent to aiohttp.

The server's auth rules were applied before a handler runs (protocol.py; a function
URL checks its own ``AuthType``, auth.SELF_AUTHENTICATING), and a body is held whole
up to ``MAX_BODY`` (413 past it)."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Protocol, Union
from urllib.parse import parse_qsl, unquote

from ..auth import AuthConfig
from ..function_url import PREFIX as URL_PREFIX, serve as url_reply
from ..http_trigger import reply as trigger_reply
from ..invoke import answer as invoke_answer
from ..lambda_invoke import invoke_answer as lambda_invoke_answer
from ..reply import Reply
from ..lambda_model import Service
from .exchange import Request, text


class Front(Protocol):
    """What a handler reads of the front door (protocol.FrontDoor)."""

    service: Service
    auth: AuthConfig


# a handler answers at once (a warm run inline), or with an awaitable of its answer or of a future of
# it (an answer that waits for others: S3's group commit)
Handler = Callable[[Front, Request, str], Union[Reply, Awaitable["Reply | asyncio.Future[Reply]"]]]
LAMBDA_PREFIX, LAMBDA_SUFFIX = "/2015-03-31/functions/", "/invocations"
MAX_BODY = 8 * 1024 * 1024  # an invocation's body: above Lambda's 6 MB, whose 413 the handlers give


def _unquoted(name: str) -> str:
    return unquote(name) if "%" in name else name


def _param(query: str, key: str) -> str | None:
    return dict(parse_qsl(query)).get(key) if query else None


def plain(front: Front, req: Request, peer: str) -> Reply | Awaitable[Reply]:
    name = req.path[8:]
    return invoke_answer(front.service, unquote(name) if "%" in name else name,
                         _param(req.query, "qualifier") if req.query else None, req.body,
                         req.headers.get("content-type", "application/octet-stream"))


def lambda_invoke(front: Front, req: Request, peer: str) -> Reply | Awaitable[Reply]:
    name = req.path[len(LAMBDA_PREFIX):-len(LAMBDA_SUFFIX)]
    return lambda_invoke_answer(front.service, _unquoted(name), _param(req.query, "Qualifier"), req.headers, req.body)


def trigger(front: Front, req: Request, peer: str) -> Awaitable[Reply]:
    name, _, sub = req.path[6:].partition("/")
    return trigger_reply(front.service, _unquoted(name), "/" + sub, req.method, req.query, req.headers, req.body,
                         protocol=f"HTTP/{req.version}", source_ip=peer,
                         pairs=[(k.decode("latin-1"), text(v)) for k, v in req.raw])


def function_url(front: Front, req: Request, peer: str) -> Awaitable[Reply]:
    url_id, _, sub = req.path[len(URL_PREFIX):].partition("/")
    return url_reply(front.service, url_id, req.method, "/" + sub, req.query, req.headers, req.body,
                     target=req.target, keys=front.auth.keys, protocol=f"HTTP/{req.version}", source_ip=peer)


def route(method: str, path: str) -> Handler | None:
    """The handler for an invocation, or None: aiohttp answers the rest."""
    if method == "POST":
        if path.startswith("/invoke/") and path.count("/") == 2:
            return plain
        if path.startswith(LAMBDA_PREFIX) and path.endswith(LAMBDA_SUFFIX) and path.count("/") == 4:
            return lambda_invoke
    if path.startswith("/http/") and len(path) > 6 and path[6] != "/":
        return trigger
    if path.startswith(URL_PREFIX) and len(path) > len(URL_PREFIX):
        return function_url
    return None
