"""The aiohttp application: every route over one ``Service``, the middlewares
(JSON errors, auth), and aiohttp's protocol made to answer its parser errors the
same way. The fast path (http/) lends it what it does not answer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Sequence

from aiohttp import web

from . import admin, lambda_api, sources
from .auth import AuthConfig, check
from .errors import ApiError, internal
from .http.exchange import one_line
from .octets import as_text
from .http_trigger import reply as trigger_reply
from .invoke import reply as invoke_reply
from .lambda_model import Service

MAX_REQUEST = 70 * 1024 * 1024  # a 50 MB zip is ~67 MB of base64 JSON
log = logging.getLogger("wasmhost.server.http")


class _Protocol(web.RequestHandler):
    """aiohttp's protocol, but a request its parser refuses gets AWS's JSON error (a
    code botocore reads, not plain text) and one line at INFO, not a traceback at ERROR."""

    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status >= 500:
            return super().handle_error(request, status, exc, message)
        text = one_line(message or exc)
        log.info("malformed request from %s: %s", request.remote or "?", text)
        resp = ApiError(status, "InvalidRequestContentException", f"Malformed HTTP request: {text}").response()
        resp.force_close()
        return resp


def protocol_factory(server: web.Server, **kwargs: Any) -> Callable[[], web.RequestHandler]:
    """What makes aiohttp's protocol for a connection (``--no-fast-path``) or a lent request."""
    loop = asyncio.get_running_loop()
    kwargs.setdefault("access_log", None)  # no access log: a line per request costs more than the request
    return lambda: _Protocol(server, loop=loop, **kwargs)


@web.middleware
async def errors(request: web.Request, handler):
    """Every error is a JSON body with ``x-amzn-ErrorType``: botocore and plain
    clients both get a code and a message, never an HTML page. Outermost, so it
    also tells the fast path when a request lent to aiohttp has been answered."""
    try:
        if request.version >= (1, 1) and "Host" not in request.headers:  # as the fast path refuses it
            raise ApiError(400, "InvalidRequestContentException",
                           "Malformed HTTP request: an HTTP/1.1 request needs exactly one Host header")
        resp = await handler(request)
    except ApiError as e:
        resp = e.response()
    except web.HTTPRequestEntityTooLarge as e:
        resp = ApiError(413, "RequestEntityTooLargeException", e.text or "Request too large").response()
    except web.HTTPException as e:
        if e.status < 400:
            resp = web.Response(status=e.status, headers=e.headers, text=e.text)
        else:
            code = {404: "ResourceNotFoundException", 405: "MethodNotAllowed"}.get(e.status, "InvalidRequestException")
            resp = ApiError(e.status, code, e.reason).response()
    except ConnectionError as e:  # the client went away mid-request: nobody to answer, one line to log
        log.info("client %s went away: %s", request.remote or "?", e)
        resp = ApiError(400, "InvalidRequestContentException", "Connection lost").response()
        resp.force_close()
    except Exception as e:
        resp = internal(e).response()
    answered = getattr(request.transport, "answered", None)  # an http.lease.Lease
    if answered is not None:
        try:
            await resp.prepare(request)
            await resp.write_eof()
        except ConnectionError:  # gone before its answer: the connection closes
            pass
        answered()
    return resp


def make_app(service: Service, auth: AuthConfig | None = None, started: Sequence[Any] = ()) -> web.Application:
    """Every route, over a ``Service`` whose lifecycle (restore, async worker,
    shutdown) ``run.serve`` owns. ``started``: the sources run.serve started (buckets);
    a source's middleware (S3's) takes the requests that are its own before auth: it
    checks signatures itself, on streamed bodies."""
    auth = auth or AuthConfig()
    own = [s.middleware() for s in started if hasattr(s, "middleware")]
    app = web.Application(client_max_size=MAX_REQUEST,
                          middlewares=[errors] + own + ([authenticate(auth)] if auth.required else []))
    app["service"] = service

    async def invoke(request: web.Request) -> web.Response:
        return (await invoke_reply(service, request.match_info["name"], request.query.get("qualifier"),
                                   await request.read(),
                                   request.headers.get("Content-Type", "application/octet-stream"))).response()

    async def trigger(request: web.Request) -> web.Response:
        raw, _, query = request.raw_path.partition("?")
        parts = raw.split("/", 3)  # "", "http", name, the function's own path
        headers: dict[str, str] = {}
        sent = as_text(request.headers)
        for k, v in sent.items():
            k = k.lower()
            headers[k] = f"{headers[k]},{v}" if k in headers else v
        ver = request.version
        return (await trigger_reply(service, request.match_info["name"], "/" + (parts[3] if len(parts) > 3 else ""),
                                    request.method, query, headers, await request.read(),
                                    protocol=f"HTTP/{ver.major}.{ver.minor}", source_ip=request.remote or "",
                                    pairs=list(sent.items()))).response()

    def render_metrics() -> str:
        functions = {(i.name if i.version == "$LATEST" else f"{i.name}:{i.version}"): i
                     for i in service.host.functions()}
        return service.metrics.render(functions, service.registry.pending_events(), service.async_stats)

    if service.peers is not None:  # one of several workers: the scrape answers for all (workers/peers.py)
        service.peers.render = render_metrics

    async def metrics(request: web.Request) -> web.Response:
        text = render_metrics() if service.peers is None else await service.peers.metrics()
        return web.Response(text=text, content_type="text/plain", charset="utf-8",
                            headers={"X-Content-Type-Options": "nosniff"})

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "functions": len(service.host.functions())})

    # the invoke routes first: aiohttp tries dynamic routes in order
    app.add_routes([web.post("/invoke/{name}", invoke)] + lambda_api.routes(service, auth)
                   + [web.route("*", "/http/{name}", trigger), web.route("*", "/http/{name}/{path:.*}", trigger)]
                   + admin.routes(service) + [web.get("/metrics", metrics), web.get("/healthz", healthz)])
    sources.install(app, service)  # SQS, event source mappings, EventBridge schedules
    return app


def authenticate(cfg: AuthConfig):
    @web.middleware
    async def middleware(request: web.Request, handler):
        body = await request.read() if request.headers.get("Authorization", "").startswith("AWS4") else b""
        check(cfg, request.method, request.raw_path, as_text(request.headers), body)
        return await handler(request)
    return middleware
