"""``/wasmhost/*``: what the CLI needs beyond the Lambda API: recent logs and
reports from the ledger, and the dead-letter store (list, replay)."""

from __future__ import annotations

import base64

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
        return web.json_response({"logs": service.host.ledger.logs(fn, limit=limit),
                                  "reports": service.host.ledger.query(fn, limit=limit)})

    async def dead_letters(request: web.Request) -> web.Response:
        items = service.registry.dead_letters(request.query.get("function"))
        for d in items:
            d["payload"] = base64.b64encode(d["payload"]).decode()
        return web.json_response({"deadLetters": items})

    async def replay(request: web.Request) -> web.Response:
        event_id = service.registry.replay_dead_letter(int(request.match_info["id"]))
        if event_id is None:
            raise not_found(f"no dead letter {request.match_info['id']}")
        service.wake()
        return web.json_response({"eventId": event_id}, status=202)

    return [web.get("/wasmhost/logs", logs), web.get("/wasmhost/dead-letters", dead_letters),
            web.post(r"/wasmhost/dead-letters/{id:[0-9]{1,18}}/replay", replay)]
