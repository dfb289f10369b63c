from pathlib import Path

import pytest

from live import Server, lambda_client


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One live server per test module; ``clean`` empties it between tests."""
    s = Server(tmp_path_factory.mktemp("server") / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(server):
    return lambda_client(server.url)


@pytest.fixture(autouse=True)
def clean(request):
    """After each test that used this file's ``server``: delete every function it
    left (with their versions, aliases and metrics), so tests stay independent."""
    yield
    defs = request.node._fixtureinfo.name2fixturedefs.get("server")
    if not defs or defs[-1].baseid != _BASEID:  # a module with a server of its own keeps its state
        return
    live = request.getfixturevalue("server")
    if live.proc is None or live.proc.poll() is not None:
        return
    c = lambda_client(live.url)
    for page in c.get_paginator("list_functions").paginate():
        for f in page["Functions"]:
            c.delete_function(FunctionName=f["FunctionName"])


_BASEID = Path(__file__).parent.relative_to(Path(__file__).parents[2]).as_posix()  # "tests/server"
