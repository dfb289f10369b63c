"""Where the test guests are (WebAssembly text, compiled at deploy)."""

from pathlib import Path

GUESTS = Path(__file__).parent / "guests"


def guest(name: str) -> Path:
    return GUESTS / f"{name}.wat"
