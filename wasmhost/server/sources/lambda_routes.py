"""The event source mapping operations of the Lambda REST API, as aiohttp handlers
that ``lambda_api.routes`` lists (one entry each)."""

from __future__ import annotations

import json
import uuid

from aiohttp import web

from ..errors import ApiError, invalid

PATH = "/2015-03-31/event-source-mappings"
MAX_PAGE = 100


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(status=status, body=json.dumps(data).encode(), content_type="application/json",
                        headers={"x-amzn-RequestId": str(uuid.uuid4())})


async def _body(request: web.Request) -> dict:
    try:
        data = json.loads(await request.read() or b"{}")
    except ValueError as e:
        raise ApiError(400, "InvalidRequestContentException", f"Could not parse request body into json: {e}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "InvalidRequestContentException", "Request body must be a JSON object")
    return data


def _mappings(request: web.Request):
    return request.app["sources"].mappings


async def create(request: web.Request) -> web.Response:
    return _json(_mappings(request).create(await _body(request)), 202)


async def get(request: web.Request) -> web.Response:
    return _json(_mappings(request).get(request.match_info["UUID"]))


async def update(request: web.Request) -> web.Response:
    return _json(_mappings(request).update(request.match_info["UUID"], await _body(request)), 202)


async def delete(request: web.Request) -> web.Response:
    return _json(_mappings(request).delete(request.match_info["UUID"]), 202)


async def list_(request: web.Request) -> web.Response:
    items = _mappings(request).list(request.query.get("FunctionName"), request.query.get("EventSourceArn"))
    marker = request.query.get("Marker", "")
    try:
        limit = int(request.query.get("MaxItems", MAX_PAGE))
    except ValueError:
        raise invalid("MaxItems must be an integer") from None
    if not 1 <= limit <= 10000:
        raise invalid("MaxItems must be from 1 to 10000")
    limit = min(limit, MAX_PAGE)
    start = int(marker) if marker.isdigit() else 0
    out: dict = {"EventSourceMappings": items[start:start + limit]}
    if start + limit < len(items):
        out["NextMarker"] = str(start + limit)
    return _json(out)
