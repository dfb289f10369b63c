"""Two Services over one data dir, as two worker processes of ``serve --workers``
are: what one writes, the other routes and runs at its next request, without
redeploying what did not change; a deploy between the other's start and its
restore is routed too."""

import asyncio
import base64

import pytest
import wasmtime

from guestlib import guest
from wasmhost import Host
from wasmhost.server.errors import ApiError
from wasmhost.server.lambda_model import Registry, Service, operations


def code(name: str) -> str:
    return base64.b64encode(wasmtime.wat2wasm(guest(name).read_text())).decode()


@pytest.fixture
def pair(tmp_path):
    services = [Service(Host(tmp_path / "data"), Registry(tmp_path / "data")) for _ in range(2)]
    yield services
    for s in services:
        s.host.close()
        s.registry.close()


def call(s, name, **params):
    return asyncio.run(operations.call(s, name, params))


def run(s, name, payload=b"x", qualifier=None):
    return asyncio.run(s.invoke(s.resolve(name, qualifier), payload)).payload


def test_a_write_on_one_is_routed_and_run_by_the_other(pair):
    a, b = pair
    a.restore(), b.restore()
    a.create_function({"FunctionName": "f", "Role": "r", "Runtime": "wasm32", "Code": {"ZipFile": code("echo")}})
    assert run(b, "f", b"hi") == b"hi"
    call(a, "UpdateFunctionCode", FunctionName="f", ZipFile=code("counter"))
    assert run(b, "f") == (1).to_bytes(4, "little")  # the counter: redeployed before it ran
    call(a, "PublishVersion", FunctionName="f")
    call(a, "CreateAlias", FunctionName="f", Name="live", FunctionVersion="1")
    assert run(b, "f", qualifier="live") == (1).to_bytes(4, "little")
    assert {f"{i.name}:{i.version}" for i in b.host.functions()} == {"f:$LATEST", "f:1"}
    assert run(b, "f") == (2).to_bytes(4, "little")  # $LATEST kept its warm instance: not redeployed
    call(a, "DeleteFunction", FunctionName="f")
    with pytest.raises(ApiError) as e:
        b.resolve("f")
    assert e.value.status == 404 and b.host.functions() == []


def test_a_deploy_before_the_others_restore_is_routed(pair):
    a, b = pair  # b is made (its routing table built) before a deploys
    a.restore()
    a.create_function({"FunctionName": "g", "Role": "r", "Runtime": "wasm32", "Code": {"ZipFile": code("echo")}})
    assert b.restore() == 1
    assert "g" in b.routes and run(b, "g", b"ok") == b"ok"
