"""Flow control for one connection: whether the client's bytes may come in and our
answers go out. Reading pauses when the client is ahead of its answers (requests
read but not answered, a pipelined body past the limit) or when the parser has
stopped; writing pauses when the transport's buffer is full (the client does not
read), and then no new request is answered until it drains."""

from __future__ import annotations

import asyncio


class Flow:
    __slots__ = ("transport", "reading_paused", "writing_paused")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.reading_paused = False
        self.writing_paused = False

    def pause_reading(self) -> None:
        if not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.reading_paused:
            self.reading_paused = False
            self.transport.resume_reading()
