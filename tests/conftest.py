import pytest

from wasmhost import Host


@pytest.fixture
def host(tmp_path):
    h = Host(tmp_path / "data")
    yield h
    h.close()


@pytest.fixture(scope="module")
def internet():
    """A real HTTP server on 127.0.0.1 (tests/internet.py), standing for the outside
    world that functions call out to; one per test module."""
    from internet import Internet
    server = Internet().start()
    yield server
    server.stop()
