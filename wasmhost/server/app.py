"""The aiohttp application: every front end over one ``Service``."""

from __future__ import annotations

import logging

from aiohttp import web

from .. import Host
from ..registry import Registry
from . import admin, http_trigger, invoke, lambda_api, metrics
from .auth import AuthConfig, middleware as auth_middleware
from .errors import ApiError, internal
from .service import Service

log = logging.getLogger("wasmhost.server")
MAX_REQUEST = 70 * 1024 * 1024  # a 50 MB zip is ~67 MB of base64 JSON


@web.middleware
async def errors(request: web.Request, handler):
    """Every error is a JSON body with ``x-amzn-ErrorType``: botocore and plain
    clients both get a code and a message, never an HTML page. Outermost, so it
    also tells the fast path when a request lent to aiohttp has been answered."""
    try:
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
    except Exception as e:
        resp = internal(e).response()
    answered = getattr(request.transport, "answered", None)  # a fastpath.Lease
    if answered is not None:
        await resp.prepare(request)
        await resp.write_eof()
        answered()
    return resp


def make_app(host: Host, registry: Registry, *, auth: AuthConfig | None = None, **service_opts) -> web.Application:
    service = Service(host, registry, **service_opts)
    auth = auth or AuthConfig()
    app = web.Application(client_max_size=MAX_REQUEST,
                          middlewares=[errors] + ([auth_middleware(auth)] if auth.required else []))
    app["service"] = service
    app["auth"] = auth

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "functions": len(host.functions())})

    # the invoke routes first: aiohttp tries dynamic routes in order
    app.add_routes([invoke.handler(service)] + lambda_api.routes(service) + http_trigger.handler(service)
                   + admin.routes(service) + [metrics.handler(service.metrics, service), web.get("/healthz", healthz)])

    async def start(app: web.Application) -> None:
        n = service.restore()
        log.info("restored %d function versions", n)
        service.start_worker()

    async def stop(app: web.Application) -> None:
        await service.stop_worker()
        host.close()
        registry.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app
