import pytest

from wasmhost import Host


@pytest.fixture
def host(tmp_path):
    h = Host(tmp_path / "data")
    yield h
    h.close()
