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


@pytest.fixture(scope="session")
def runtime_cache(tmp_path_factory):
    """A compiled-artifact cache shared by the test modules that use it (a data dir's
    ``cache`` may be a link to it): the Python and Node.js runtime components are
    compiled once per test session instead of once per data directory (each is
    seconds of Cranelift, a minute on a loaded machine)."""
    return tmp_path_factory.mktemp("runtime-cache")
