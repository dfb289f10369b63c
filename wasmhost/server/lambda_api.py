"""The AWS Lambda REST API on aiohttp, so that boto3, the aws CLI and the AWS SDKs
work unmodified. Every operation goes through one table (lambda_model/operations.py);
Invoke keeps a route of its own, first, because it is the hot one. Function URLs
(``/lambda-url/<id>/...``) and the code links of GetFunction and GetLayerVersion
(``/lambda-code/...``, lambda_model/code_links.py) are answered here too."""

from __future__ import annotations

from aiohttp import web

from . import function_url
from .auth import AuthConfig
from .lambda_model import Service, code_links, operations
from .lambda_model.invoke import invoke_reply
from .octets import as_text
from .streaming import respond

API_PREFIXES = r"{date:20[0-9]{2}-[0-9]{2}-[0-9]{2}}"


def routes(service: Service, auth: AuthConfig | None = None) -> list[web.RouteDef]:
    s = service
    keys = (auth or AuthConfig()).keys

    async def invoke(request: web.Request) -> web.Response:
        payload = await request.read()
        return (await invoke_reply(s, request.match_info["fn"], request.query.get("Qualifier"), as_text(request.headers),
                                   payload)).response()

    async def api(request: web.Request) -> web.StreamResponse:
        path, _, query = request.raw_path.partition("?")
        return await respond(await operations.dispatch(s, request.method, path, query, as_text(request.headers),
                                                       await request.read()), request)  # streamed: InvokeWithResponseStream

    async def url(request: web.Request) -> web.StreamResponse:
        raw, _, query = request.raw_path.partition("?")
        rest = raw[len(function_url.PREFIX):]
        url_id, _, sub = rest.partition("/")
        headers: dict[str, str] = {}
        for name, value in as_text(request.headers).items():
            name = name.lower()
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        version = request.version
        return await respond(await function_url.serve(
            s, url_id, request.method, "/" + sub, query, headers, await request.read(), target=request.raw_path,
            keys=keys, protocol=f"HTTP/{version.major}.{version.minor}", source_ip=request.remote or ""), request)

    async def code(request: web.Request) -> web.StreamResponse:
        m = request.match_info
        path = code_links.find(s, m["kind"], m["name"], m.get("version", ""), m["token"])
        if path is None:  # (S3's answer to a presigned URL that is wrong or expired)
            return web.Response(status=403, content_type="application/xml", text=(
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has '
                'expired or the code it names was replaced</Message></Error>'))
        return web.FileResponse(path, headers={"Content-Type": "application/zip"})

    return [
        web.post("/2015-03-31/functions/{fn}/invocations", invoke),  # first: the hot route
        web.get(code_links.PREFIX + "{kind:function}/{name}/{token}", code),
        web.get(code_links.PREFIX + "{kind:layer}/{name}/{version}/{token}", code),
        web.route("*", function_url.PREFIX + "{url_id}", url),
        web.route("*", function_url.PREFIX + "{url_id}/{path:.*}", url),
        # Routes of aiohttp handlers of their own go here, before the catch-all; an
        # operation written as ``fn(service, params)`` registers in operations.HANDLERS instead.
        web.route("*", "/" + API_PREFIXES + "/{tail:.*}", api),  # last: every other Lambda operation
        web.route("*", "/" + API_PREFIXES, api),
    ]
