# A core guest's warm call in one C call (_warmcall.c), built by setup.py where there is a C compiler.
from typing import Callable, NoReturn

class WarmCall:
    def __init__(self, api: tuple[int, ...], ctx: int, alloc: int, handle: int, memory: int,
                 trap: int, fuel: int, ticks: int, epoch: int, fail: Callable[[int, int, int], NoReturn],
                 keep: object = None) -> None: ...
    def call(self, payload: bytes, budget: int | None = None, /) -> tuple[bytes, int, int]: ...
