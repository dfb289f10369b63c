"""Where event sources keep their state, behind small interfaces: queues and their
messages, event source mappings, schedules. ``sqlite`` is the single-node and edge
default (one WAL file in the data dir); ``nats`` implements the same protocols on a
NATS JetStream cluster (``serve --cluster``: a stream per queue, a KV bucket of records)."""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol


class Message(NamedTuple):
    """A message as a receive hands it out (``receipt`` is this receive's)."""

    seq: int
    id: str
    body: str
    attributes: dict[str, Any] | None  # MessageAttributes as SQS's JSON protocol carries them
    md5: str
    md5_attributes: str | None
    sent_at: float
    receives: int
    first_receive: float
    receipt: str
    source_arn: str | None  # the queue it was moved from, for a dead-letter queue


class NewMessage(NamedTuple):
    id: str
    body: str
    attributes: dict[str, Any] | None
    md5: str
    md5_attributes: str | None
    delay_s: int


class QueueStore(Protocol):
    """Queues and their messages. The control plane's calls (queues, counts) are
    synchronous: a cluster backend waits for its engine's quorum there, as the
    registry does. The message path is asynchronous (a cluster's receive
    long-polls the engine) but for ``send``, which the async worker's Lambda
    destinations call from synchronous code; ``asend`` is the same for a coroutine."""

    def create_queue(self, name: str, attributes: dict[str, str], tags: dict[str, str]) -> dict | None:
        """None when created; the existing record when the name is taken."""
    def get_queue(self, name: str) -> dict | None: ...
    def list_queues(self) -> list[dict]: ...
    def update_queue(self, name: str, attributes: dict[str, str], tags: dict[str, str] | None = None) -> None: ...
    def delete_queue(self, name: str) -> None: ...
    def purge(self, name: str) -> int: ...
    def counts(self, queue: str) -> tuple[int, int, int]:
        """(visible, in flight, delayed): approximate, as SQS's are."""
    def send(self, queue: str, messages: list[NewMessage]) -> None:
        """All of them durable once this returns. A message's ``id`` is also its
        de-duplication key where the backend has one (a schedule's tick delivered
        again after a crash)."""
    async def asend(self, queue: str, messages: list[NewMessage]) -> None: ...
    async def receive(self, queue: str, n: int, visibility_s: float, dead_letter: tuple[str, int, str] | None,
                      retention_s: float, wait_s: float = 0.0) -> list[Message]:
        """Up to ``n`` visible messages, hidden for ``visibility_s``; waits up to
        ``wait_s`` for the first (long polling). With ``dead_letter = (queue,
        maxReceiveCount, source_arn)`` a message already received that often moves
        there instead of being handed out again."""
    async def delete(self, queue: str, receipts: list[str]) -> list[bool | None]:
        """Per receipt: True deleted, False stale (already deleted or received again), None malformed."""
    async def change_visibility(self, queue: str, receipt: str, visibility_s: float) -> bool | None: ...
    async def release(self, queue: str, receipts: list[str]) -> None:
        """Visible again at once, this receive not counted (a throttled delivery)."""
    def close(self) -> None: ...


class RecordStore(Protocol):
    """Event source mappings and schedules: JSON documents by key."""

    def put_record(self, kind: str, key: str, doc: dict) -> None: ...
    def get_record(self, kind: str, key: str) -> dict | None: ...
    def list_records(self, kind: str) -> list[dict]: ...
    def delete_record(self, kind: str, key: str) -> None: ...
    def compare_and_set(self, kind: str, key: str, field: str, expected: Any, doc: dict) -> bool:
        """Store ``doc`` only if the stored one's ``field`` is still ``expected``:
        a schedule's tick is claimed once, even by two processes on one data dir or two
        nodes of a cluster."""


class SourceStore(QueueStore, RecordStore, Protocol):
    """What ``Sources`` is given: both (sqlite.py on a data dir, jetstream.py on a cluster)."""
