"""The invocation routing table and the operation table, on a real Host."""

import asyncio
import base64
import json
from pathlib import Path

import pytest
import wasmtime

from guestlib import guest
from wasmhost import Host
from wasmhost.server.errors import ApiError
from wasmhost.server.lambda_model import Registry, Service, operations


@pytest.fixture
def service(tmp_path):
    host = Host(tmp_path / "data")
    s = Service(host, Registry(tmp_path / "data"))
    yield s
    host.close()
    s.registry.close()


def call(s, name, **params):
    reply = asyncio.run(operations.call(s, name, params))
    return reply


def test_names_route_without_the_registry(service):
    wasm = base64.b64encode(wasmtime.wat2wasm(guest("echo").read_text())).decode()
    service.create_function({"FunctionName": "echo", "Role": "r", "Runtime": "wasm32", "Code": {"ZipFile": wasm}})
    call(service, "PublishVersion", FunctionName="echo")
    call(service, "CreateAlias", FunctionName="echo", Name="live", FunctionVersion="1")
    assert set(service.routes) == {"echo", "echo:$LATEST", "echo:1", "echo:live"}
    assert service.resolve("echo").key == "echo"
    assert service.resolve("echo", "live").key == "echo:1"
    assert service.resolve("arn:aws:lambda:us-east-1:000000000000:function:echo:1").version == "1"
    with pytest.raises(ApiError) as e:
        service.resolve("echo", "2")
    assert e.value.status == 404 and e.value.message.endswith("function:echo:2")
    call(service, "PutFunctionConcurrency", FunctionName="echo", ReservedConcurrentExecutions=0)
    assert service.resolve("echo").throttled and service.resolve("echo", "live").throttled
    with pytest.raises(ApiError) as e:
        asyncio.run(service.invoke(service.resolve("echo"), b"{}"))
    assert e.value.status == 429 and e.value.headers == {"Retry-After": "1"}
    call(service, "DeleteFunction", FunctionName="echo")
    assert service.routes == {}


def test_unimplemented_and_unknown_operations(service):
    with pytest.raises(ApiError) as e:
        call(service, "ListCodeSigningConfigs")
    assert (e.value.status, e.value.code) == (400, "UnsupportedOperationException")
    reply = asyncio.run(operations.dispatch(service, "GET", "/2015-03-31/nothing", "", {}, b""))
    assert reply.status == 404 and reply.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    reply = asyncio.run(operations.dispatch(service, "PATCH", "/2015-03-31/functions/f", "", {}, b""))
    assert reply.status == 405


def test_layers_reach_the_host_config_in_order(service):
    import io
    import zipfile

    def layer(text):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("python/lib.py", text)
        return base64.b64encode(buf.getvalue()).decode()
    a = asyncio.run(operations.call(service, "PublishLayerVersion", {"LayerName": "a", "Content": {"ZipFile": layer("A")}}))
    b = asyncio.run(operations.call(service, "PublishLayerVersion", {"LayerName": "b", "Content": {"ZipFile": layer("B")}}))
    arns = [json.loads(r.body)["LayerVersionArn"] for r in (a, b)]
    wasm = base64.b64encode(wasmtime.wat2wasm(guest("echo").read_text())).decode()
    service.create_function({"FunctionName": "f", "Role": "r", "Runtime": "wasm32", "Code": {"ZipFile": wasm},
                             "Layers": arns})
    dirs = service.host.function("f").config.layers
    assert [(Path(d) / "python/lib.py").read_text() for d in dirs] == ["A", "B"]
