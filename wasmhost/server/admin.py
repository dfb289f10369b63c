"""``/wasmhost/*``: what the CLI needs beyond the Lambda API: recent logs and
reports from the ledger, totals, the dead-letter store (list, replay) and, in a
cluster, this node's view of it. In a cluster, logs, reports and totals are the
whole cluster's (the ledger's streams)."""

from __future__ import annotations

import base64
import datetime
from typing import Any

from aiohttp import web

from .errors import invalid, not_found
from .lambda_model import Service


def routes(service: Service) -> list[web.RouteDef]:
    async def logs(request: web.Request) -> web.Response:
        fn = request.query.get("function")
        limit_text = request.query.get("limit", "20")
        if not (limit_text.isascii() and limit_text.isdigit() and 0 < len(limit_text) < 7):
            raise invalid("limit must be a positive integer")
        limit = int(limit_text)
        service.host.ledger.flush()
        if service.peers is not None:  # the other workers' too: the ledger file is shared
            await service.peers.flush()
        return web.json_response({"logs": await _ledger(request, lambda r: r.logs(fn, limit=limit)),
                                  "reports": await _ledger(request, lambda r: r.query(fn, limit=limit))})

    async def totals(request: web.Request) -> web.Response:
        """Invocations, errors, billed ms, fuel and GB-seconds of a function (or of
        all), since/until a time (Unix seconds or ISO 8601)."""
        fn = request.query.get("function")
        since, until = _time(request, "since"), _time(request, "until")
        service.host.ledger.flush()
        out = await _ledger(request, lambda r: r.totals(fn, since, until))
        return web.json_response({"function": fn, "since": since, "until": until, **out})

    async def _ledger(request: web.Request, read: Any) -> Any:
        """The cluster's ledger stream or this node's."""
        if service.cluster is None:
            return read(service.host.ledger)
        return await _off_loop(read, service.cluster.ledger)

    async def _off_loop(f: Any, *args: Any) -> Any:
        """In a cluster, on a thread: it waits on the engine, invocations must not."""
        if service.cluster is None:
            return f(*args)
        import asyncio
        return await asyncio.get_running_loop().run_in_executor(None, f, *args)

    async def cluster(request: web.Request) -> web.Response:
        if service.cluster is None:
            raise not_found("this server is not a cluster node (wasmhost serve --cluster)")
        functions = {i.name if i.version == "$LATEST" else f"{i.name}:{i.version}": {"fromCache": i.from_cache}
                     for i in service.host.functions()}
        return web.json_response({**service.cluster.status(), "functions": functions})

    async def dead_letters(request: web.Request) -> web.Response:
        items = await _off_loop(service.registry.dead_letters, request.query.get("function"))
        for d in items:
            d["payload"] = base64.b64encode(d["payload"]).decode()
        return web.json_response({"deadLetters": items})

    async def replay(request: web.Request) -> web.Response:
        event_id = await _off_loop(service.registry.replay_dead_letter, int(request.match_info["id"]))
        if event_id is None:
            raise not_found(f"no dead letter {request.match_info['id']}")
        service.wake()
        return web.json_response({"eventId": event_id}, status=202)

    return [web.get("/wasmhost/logs", logs), web.get("/wasmhost/totals", totals),
            web.get("/wasmhost/cluster", cluster), web.get("/wasmhost/dead-letters", dead_letters),
            web.post(r"/wasmhost/dead-letters/{id:[0-9]{1,18}}/replay", replay)]


def _time(request: web.Request, name: str) -> float | None:
    text = request.query.get(name)
    if text is None:
        return None
    try:
        value = float(text) if text.replace(".", "", 1).isdigit() else _iso(text)
        if not 0 <= value < 1e11:  # before 1970 or after the year 5000
            raise ValueError(text)
        return value
    except (ValueError, OverflowError):
        raise invalid(f"{name} must be a Unix time in seconds or an ISO 8601 time, not {text[:64]!r}") from None


def _iso(text: str) -> float:
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)).timestamp()
