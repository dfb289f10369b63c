from pathlib import Path

import pytest

from wasmhost import Host

GUESTS = Path(__file__).parent / "guests"


def guest(name: str) -> Path:
    """A test guest module (WebAssembly text, compiled at deploy)."""
    return GUESTS / f"{name}.wat"


@pytest.fixture
def host(tmp_path):
    h = Host(tmp_path / "data")
    yield h
    h.close()
