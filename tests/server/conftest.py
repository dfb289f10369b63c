import pytest

from live import Server, lambda_client


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data").start()
    yield s
    s.stop()


@pytest.fixture
def client(server):
    return lambda_client(server.url)
