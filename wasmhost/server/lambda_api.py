"""The AWS Lambda REST API subset (shared/research/lambda_api.md), so that boto3 and
the aws CLI work unmodified. Routes translate HTTP to ``Service`` calls."""

from __future__ import annotations

import json
import uuid

from aiohttp import web

from .errors import ApiError, invalid
from .lambda_invoke import invoke_reply
from .service import Service

MAX_PAGE = 50


def _json(data: object, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(status=status, body=json.dumps(data).encode(), content_type="application/json",
                        headers={"x-amzn-RequestId": str(uuid.uuid4()), **(headers or {})})


def _empty(status: int) -> web.Response:
    return web.Response(status=status, headers={"x-amzn-RequestId": str(uuid.uuid4())})


async def _body(request: web.Request) -> dict:
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise ApiError(400, "InvalidRequestContentException", f"Could not parse request body into json: {e}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "InvalidRequestContentException", "Request body must be a JSON object")
    return data


def _page(items: list, request: web.Request, key: str) -> web.Response:
    marker = request.query.get("Marker")
    try:
        max_items = min(int(request.query.get("MaxItems", MAX_PAGE)), MAX_PAGE)
    except ValueError:
        raise invalid("MaxItems must be an integer") from None
    if max_items < 1:
        raise invalid("MaxItems must be at least 1")
    start = int(marker) if marker and marker.isdigit() else 0
    out: dict = {key: items[start:start + max_items]}
    if start + max_items < len(items):
        out["NextMarker"] = str(start + max_items)
    return _json(out)


def routes(service: Service) -> list[web.RouteDef]:
    s = service
    fn = "/2015-03-31/functions/{fn}"

    async def create_function(request: web.Request) -> web.Response:
        return _json(s.create_function(await _body(request)), 201)

    async def list_functions(request: web.Request) -> web.Response:
        return _page(s.list_functions(), request, "Functions")

    async def get_function(request: web.Request) -> web.Response:
        return _json(s.get_function(request.match_info["fn"], request.query.get("Qualifier")))

    async def get_configuration(request: web.Request) -> web.Response:
        return _json(s.get_function(request.match_info["fn"], request.query.get("Qualifier"))["Configuration"])

    async def update_code(request: web.Request) -> web.Response:
        return _json(s.update_code(request.match_info["fn"], await _body(request)))

    async def update_configuration(request: web.Request) -> web.Response:
        return _json(s.update_configuration(request.match_info["fn"], await _body(request)))

    async def delete_function(request: web.Request) -> web.Response:
        s.delete_function(request.match_info["fn"], request.query.get("Qualifier"))
        return _empty(204)

    async def invoke(request: web.Request) -> web.Response:
        payload = await request.read()
        return (await invoke_reply(s, request.match_info["fn"], request.query.get("Qualifier"), request.headers,
                                   payload)).response()

    async def invoke_async(request: web.Request) -> web.Response:
        r = s.resolve(request.match_info["fn"])
        s.accept_event(r, await request.read() or b"{}", str(uuid.uuid4()))
        return _json({"Status": 202}, 202)

    async def publish_version(request: web.Request) -> web.Response:
        return _json(s.publish_version(request.match_info["fn"], await _body(request)), 201)

    async def list_versions(request: web.Request) -> web.Response:
        return _page(s.list_versions(request.match_info["fn"]), request, "Versions")

    async def create_alias(request: web.Request) -> web.Response:
        return _json(s.create_alias(request.match_info["fn"], await _body(request)), 201)

    async def list_aliases(request: web.Request) -> web.Response:
        return _page(s.list_aliases(request.match_info["fn"], request.query.get("FunctionVersion")), request, "Aliases")

    async def get_alias(request: web.Request) -> web.Response:
        return _json(s.get_alias(request.match_info["fn"], request.match_info["alias"]))

    async def update_alias(request: web.Request) -> web.Response:
        return _json(s.update_alias(request.match_info["fn"], request.match_info["alias"], await _body(request)))

    async def delete_alias(request: web.Request) -> web.Response:
        s.delete_alias(request.match_info["fn"], request.match_info["alias"])
        return _empty(204)

    async def put_concurrency(request: web.Request) -> web.Response:
        return _json(s.put_concurrency(request.match_info["fn"], await _body(request)))

    async def get_concurrency(request: web.Request) -> web.Response:
        return _json(s.get_concurrency(request.match_info["fn"]))

    async def delete_concurrency(request: web.Request) -> web.Response:
        s.delete_concurrency(request.match_info["fn"])
        return _empty(204)

    async def put_provisioned(request: web.Request) -> web.Response:
        return _json(s.put_provisioned(request.match_info["fn"], request.query.get("Qualifier"),
                                       await _body(request)), 202)

    async def put_event_invoke_config(request: web.Request) -> web.Response:
        return _json(s.put_event_invoke_config(request.match_info["fn"], request.query.get("Qualifier"),
                                               await _body(request)))

    async def get_event_invoke_config(request: web.Request) -> web.Response:
        return _json(s.get_event_invoke_config(request.match_info["fn"]))

    return [
        web.post(fn + "/invocations", invoke),  # first: the hot route
        web.post("/2015-03-31/functions", create_function),
        web.post("/2015-03-31/functions/", create_function),
        web.get("/2015-03-31/functions", list_functions),
        web.get("/2015-03-31/functions/", list_functions),
        web.get(fn, get_function),
        web.delete(fn, delete_function),
        web.get(fn + "/configuration", get_configuration),
        web.put(fn + "/configuration", update_configuration),
        web.put(fn + "/code", update_code),
        web.post("/2014-11-13/functions/{fn}/invoke-async", invoke_async),
        web.post("/2014-11-13/functions/{fn}/invoke-async/", invoke_async),
        web.post(fn + "/versions", publish_version),
        web.get(fn + "/versions", list_versions),
        web.post(fn + "/aliases", create_alias),
        web.get(fn + "/aliases", list_aliases),
        web.get(fn + "/aliases/{alias}", get_alias),
        web.put(fn + "/aliases/{alias}", update_alias),
        web.delete(fn + "/aliases/{alias}", delete_alias),
        web.put("/2017-10-31/functions/{fn}/concurrency", put_concurrency),
        web.get("/2019-09-30/functions/{fn}/concurrency", get_concurrency),
        web.delete("/2017-10-31/functions/{fn}/concurrency", delete_concurrency),
        web.put("/2019-09-30/functions/{fn}/provisioned-concurrency", put_provisioned),
        web.put("/2019-09-25/functions/{fn}/event-invoke-config", put_event_invoke_config),
        web.get("/2019-09-25/functions/{fn}/event-invoke-config", get_event_invoke_config),
    ]
