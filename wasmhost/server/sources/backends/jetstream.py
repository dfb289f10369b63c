"""The event sources' backend on a NATS JetStream cluster (``serve --cluster``):
one SQS queue across every node, and the records (queues, event source mappings,
schedule rules and targets) in one replicated KV bucket.

**Records.** The ``WH_SOURCES`` bucket (replicated like the registry), watched
into an in-memory mirror on every node (backends/nats/mirror.py, the registry's
too): reads never leave the node, so a ``PutRule`` or ``CreateEventSourceMapping``
on one node is seen by the others a moment later. ``compare_and_set`` writes with
the revision the mirror saw, guarded by ``Nats-Msg-Id`` de-duplication, so of two
nodes, stale or concurrent, exactly one wins.

**Messages.** A work-queue stream per queue (``WH_SQS_<name>``, ``max_age`` =
MessageRetentionPeriod) and one durable pull consumer every node fetches from, so
a message is handed to one receiver in the cluster. SQS's visibility timeout is
JetStream's redelivery: the shared consumer's ack wait is the queue's
VisibilityTimeout (at least a second), so a receive hides what it took, and what a
receiver killed meanwhile held comes back after it; a receive with a timeout of its
own hides each message with ``nak(delay)``, as ChangeMessageVisibility does;
DeleteMessage is the ack (a work-queue stream then drops the message). The
receipt handle is the delivery's ack subject, so any node can delete or change
what another received. ApproximateReceiveCount is the delivery count; past a
redrive policy's maxReceiveCount the message is republished to the dead-letter
queue's stream (de-duplicated by its sequence) and acked. A send's MessageId is
its ``Nats-Msg-Id``, so a publish retried within the stream's duplicate window
(two minutes) lands once.

Approximations, against SQS's own (also "approximate") semantics: a delayed
message (DelaySeconds) is held back by a first delivery that ``nak``s it until it
is due, which its receive count leaves out; a stale receipt handle (the message
was received again since) still deletes it, and ChangeMessageVisibility cannot
tell a message no longer in flight (no ``MessageNotInflight``);
ApproximateFirstReceiveTimestamp after the first receive is the send time; the counts of
GetQueueAttributes are the consumer's (delayed messages count as in flight); a
long poll cancelled mid-wait (a client gone) may leave one message invisible
until the consumer's ``ack_wait``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import time
from typing import Any, Callable, Coroutine, TypeVar

import msgpack

from ....backends.nats.buckets import key_value
from ....backends.nats.engine import Engine
from ....backends.nats.mirror import MirroredBucket
from ....backends.registry import Unavailable
from . import Message, NewMessage

log = logging.getLogger("wasmhost.sources")
T = TypeVar("T")

BUCKET = "WH_SOURCES"
CONSUMER = "receivers"
MAX_IN_FLIGHT = 120_000  # SQS's in-flight limit of a standard queue
_FIELDS = ("id", "body", "attributes", "md5", "md5_attributes", "sent_at", "not_before", "source_arn")
# an ack subject's tail after the consumer: v1 ``<delivered>.<sseq>.<cseq>.<ts>.<pending>``, v2 adds a token
_TAIL = re.compile(r"\d+(\.\d+){4}(\.[A-Za-z0-9_-]+)?")


def _ack_wait(attributes: dict[str, str]) -> float:
    """The shared consumer's ack wait: the queue's VisibilityTimeout (at least 1 s)."""
    return max(1.0, float(attributes.get("VisibilityTimeout", 30)))


def _nak(delay_s: float) -> bytes:
    """Redeliver after ``delay_s`` (at once for 0)."""
    return b"-NAK " + json.dumps({"delay": int(delay_s * 1e9)}).encode() if delay_s > 0 else b"-NAK"


def stream_of(queue: str) -> str:
    return f"WH_SQS_{queue}"


def subject_of(queue: str) -> str:
    return f"wh.sqs.{queue}"


def _kv_key(kind: str, key: str) -> str:
    """KV keys allow ``[-/_=.A-Za-z0-9]`` with non-empty dot-separated tokens; names
    may hold dots (rules): the key part travels base64url-encoded."""
    return f"{kind}.{base64.urlsafe_b64encode(key.encode()).decode().rstrip('=') or '_'}"


def _parse_key(kv_key: str) -> tuple[str, str] | None:
    kind, _, enc = kv_key.partition(".")
    if not enc:
        return None
    try:
        return kind, base64.urlsafe_b64decode(enc + "=" * (-len(enc) % 4)).decode() if enc != "_" else ""
    except ValueError:
        return None


class JetStreamSources:
    """Implements ``QueueStore`` and ``RecordStore`` (backends/__init__.py)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.records = MirroredBucket(engine, BUCKET, _parse_key)
        self.records.on_change = self._changed
        self._nc: Any = None  # the server loop's own connection (``open``)
        self._js: Any = None
        # called on the engine's thread with the kind of a record another node changed
        self.on_change: Callable[[str], None] | None = None
        self.engine.call(self._setup(), timeout=engine.config.start_timeout_s)

    async def _setup(self) -> None:
        await self.records.start(await key_value(self.engine.js, BUCKET, self.engine.config.replicas))

    def _changed(self, kind: str) -> None:
        if self.on_change is not None:
            self.on_change(kind)

    # -- records --------------------------------------------------------------------
    def put_record(self, kind: str, key: str, doc: dict) -> None:
        self.engine.call(self.records.put(_kv_key(kind, key), doc))

    def get_record(self, kind: str, key: str) -> dict | None:
        return self.records.get(kind, key)

    def list_records(self, kind: str) -> list[dict]:
        return [doc for _, doc in self.records.items(kind)]

    def delete_record(self, kind: str, key: str) -> None:
        self.engine.call(self.records.delete(_kv_key(kind, key)))

    def compare_and_set(self, kind: str, key: str, field: str, expected: Any, doc: dict) -> bool:
        kv_key = _kv_key(kind, key)
        current, rev = self.records.entry(kv_key)
        if current is None or current.get(field) != expected:
            return False
        return self.engine.call(self.records.update(kv_key, doc, last=rev)) is not None

    # -- queues (control plane: the engine's thread) -------------------------------------
    def create_queue(self, name: str, attributes: dict[str, str], tags: dict[str, str]) -> dict | None:
        now = time.time()
        doc = {"name": name, "attributes": attributes, "tags": tags, "created": now, "modified": now}

        async def create() -> int | None:
            await self._ensure_stream(name, attributes)
            existing, rev = self.records.entry(_kv_key("queue", name))
            if existing is not None:
                return None
            return await self.records.update(_kv_key("queue", name), doc, last=rev)
        if self.engine.call(create()) is None:
            return self.get_queue(name) or doc  # made by another node (a moment ago)
        return None

    async def _ensure_stream(self, name: str, attributes: dict[str, str]) -> None:
        from nats.js import api
        from nats.js.errors import BadRequestError
        js = self.engine.js
        cfg = api.StreamConfig(name=stream_of(name), subjects=[subject_of(name)],
                               retention=api.RetentionPolicy.WORK_QUEUE, num_replicas=self.engine.config.replicas,
                               storage=api.StorageType.FILE, duplicate_window=120.0,
                               max_age=float(attributes.get("MessageRetentionPeriod", 345600)))
        try:
            await js.add_stream(cfg)
        except BadRequestError:  # there already (made by another node, or kept from a crash)
            await js.update_stream(cfg)
        ack_wait = _ack_wait(attributes)
        consumer = api.ConsumerConfig(durable_name=CONSUMER, ack_policy=api.AckPolicy.EXPLICIT, ack_wait=ack_wait,
                                      max_ack_pending=MAX_IN_FLIGHT, max_deliver=-1, max_waiting=4096)
        try:  # (again with a changed VisibilityTimeout: an update)
            await js.add_consumer(stream_of(name), consumer)
        except BadRequestError as e:
            log.info("sources: the receivers of queue %s keep their settings: %s", name, e)

    def get_queue(self, name: str) -> dict | None:
        return self.get_record("queue", name)

    def list_queues(self) -> list[dict]:
        return self.list_records("queue")

    def update_queue(self, name: str, attributes: dict[str, str], tags: dict[str, str] | None = None) -> None:
        q = self.get_queue(name)
        if q is None:
            return
        doc = {**q, "attributes": attributes, "tags": q["tags"] if tags is None else tags, "modified": time.time()}
        if any(attributes.get(k) != q["attributes"].get(k) for k in ("MessageRetentionPeriod", "VisibilityTimeout")):
            self.engine.call(self._ensure_stream(name, attributes))
        self.put_record("queue", name, doc)

    def delete_queue(self, name: str) -> None:
        from nats.js.errors import NotFoundError
        self.delete_record("queue", name)

        async def delete() -> None:
            try:
                await self.engine.js.delete_stream(stream_of(name))
            except NotFoundError:
                pass
        self.engine.call(delete())

    def purge(self, name: str) -> int:
        async def purge() -> int:
            n = (await self.engine.js.stream_info(stream_of(name))).state.messages
            await self.engine.js.purge_stream(stream_of(name))
            return n
        return self.engine.call(purge())

    def counts(self, queue: str) -> tuple[int, int, int]:
        async def info() -> Any:
            return await self.engine.js.consumer_info(stream_of(queue), CONSUMER)
        try:
            ci = self.engine.call(info())
        except Exception as e:  # noqa: BLE001 - counts are approximate: say nothing rather than fail a listing
            log.info("sources: counts of %s: %r", queue, e)
            return 0, 0, 0
        return int(ci.num_pending), int(ci.num_ack_pending), 0

    # -- messages (the data plane: the server's loop) -------------------------------------
    async def open(self) -> None:
        """Connect from the server's event loop: long polls wait there, not on the
        control plane's thread (which would cost a thread switch per message)."""
        import nats
        cfg = self.engine.config
        self._nc = await nats.connect(list(cfg.servers), name=f"wasmhost-{cfg.node}-sources",
                                      connect_timeout=cfg.timeout_s, max_reconnect_attempts=-1,
                                      reconnect_time_wait=0.25)
        self._js = self._nc.jetstream(timeout=cfg.timeout_s)

    async def aclose(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None:
            try:
                await nc.drain()
            except Exception as e:  # noqa: BLE001 - closing: say it, do not fail the shutdown
                log.info("sources: closing the NATS connection: %r", e)

    def close(self) -> None:
        """The engine is the registry's: it closes it."""

    async def _data(self, coro: Callable[[Any, Any], Coroutine[Any, Any, T]]) -> T:
        """Run ``coro(nc, js)`` on this loop's connection (the engine's before ``open``);
        the engine's failures become ``Unavailable`` (503)."""
        if self._nc is None:
            return await self.engine.acall(coro(self.engine.nc, self.engine.js))
        try:
            return await coro(self._nc, self._js)
        except Exception as e:
            err = self.engine.failed(e)
            if err is e:
                raise
            raise err from None

    @staticmethod
    async def _publish(js: Any, queue: str, messages: list[NewMessage]) -> None:
        now = time.time()

        async def one(m: NewMessage) -> None:
            body = msgpack.packb([m.id, m.body, m.attributes, m.md5, m.md5_attributes, now,
                                  now + m.delay_s if m.delay_s else None, None])
            await js.publish(subject_of(queue), body, headers={"Nats-Msg-Id": m.id})
        await asyncio.gather(*(one(m) for m in messages))

    def send(self, queue: str, messages: list[NewMessage]) -> None:
        self.engine.call(self._publish(self.engine.js, queue, messages))

    async def asend(self, queue: str, messages: list[NewMessage]) -> None:
        await self._data(lambda nc, js: self._publish(js, queue, messages))

    async def receive(self, queue: str, n: int, visibility_s: float, dead_letter: tuple[str, int, str] | None,
                      retention_s: float, wait_s: float = 0.0) -> list[Message]:
        if self._nc is None:  # on the engine's connection (no own one): a call must end within its deadline
            wait_s = min(wait_s, self.engine.config.timeout_s)
        return await self._data(lambda nc, js: self._receive(nc, js, queue, n, visibility_s, dead_letter, wait_s))

    async def _receive(self, nc: Any, js: Any, queue: str, n: int, visibility_s: float,
                       dead_letter: tuple[str, int, str] | None, wait_s: float) -> list[Message]:
        until = time.time() + wait_s
        while True:
            # what is there now; else a long poll for one, then the rest of what is there
            msgs = await self._pull(nc, queue, {"batch": n, "no_wait": True}, self.engine.config.timeout_s)
            left = until - time.time()
            if not msgs and left > 0.05:
                msgs = await self._pull(nc, queue, {"batch": 1, "expires": int(left * 1e9)}, left + 1.0)
                if msgs and n > 1:
                    msgs += await self._pull(nc, queue, {"batch": n - 1, "no_wait": True},
                                             self.engine.config.timeout_s)
            q = self.get_queue(queue)
            # a receive with the queue's own timeout needs no nak: the consumer's ack wait is that timeout
            hide = visibility_s != _ack_wait(q["attributes"]) if q is not None else True
            out = [m for m in [await self._take(nc, js, msg, visibility_s if hide else None, dead_letter)
                               for msg in msgs] if m]
            if out or not msgs or time.time() >= until:
                return out  # (all of them delayed or dead-lettered: poll again while there is time)

    async def _pull(self, nc: Any, queue: str, request: dict, timeout: float) -> list[Any]:
        """One pull request on its own inbox; ends at ``batch`` messages, the
        server's "no messages" / "request expired" status, or ``timeout``."""
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox)
        out: list[Any] = []
        try:
            await nc.publish(f"$JS.API.CONSUMER.MSG.NEXT.{stream_of(queue)}.{CONSUMER}",
                             json.dumps(request).encode(), reply=inbox)
            deadline = time.monotonic() + timeout
            while len(out) < request["batch"]:
                try:
                    msg = await sub.next_msg(timeout=max(0.001, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    break
                status = msg.headers.get("Status") if msg.headers else None
                if status == "100":  # a heartbeat
                    continue
                if status is not None:  # 404 no messages, 408 expired, 409 …: this request is over
                    if status == "503" or (status == "404" and "Stream" in (msg.headers.get("Description") or "")):
                        raise Unavailable(f"queue {queue}: {msg.headers.get('Description')}")
                    break
                out.append(msg)
        finally:
            await sub.unsubscribe()
        return out

    async def _take(self, nc: Any, js: Any, msg: Any, visibility_s: float | None,
                    dead_letter: tuple[str, int, str] | None) -> Message | None:
        """A fetched delivery as a received message, hidden for ``visibility_s``; or
        None when it is not due yet (held back again) or goes to the dead-letter queue."""
        md = msg.metadata
        try:
            fields = dict(zip(_FIELDS, msgpack.unpackb(msg.data)))
            fields["id"], fields["body"], fields["md5"]  # noqa: B018 - present, or not a message of ours
        except Exception:  # noqa: BLE001 - published to the subject by something else: dropped, said
            log.warning("sources: message %s of %s is not an SQS message: dropped", md.sequence.stream, md.stream)
            await nc.publish(msg.reply, b"+TERM")
            return None
        now = time.time()
        not_before = fields.get("not_before")
        if not_before and not_before > now + 0.01:
            await nc.publish(msg.reply, _nak(not_before - now))
            return None
        receives = md.num_delivered - (1 if not_before else 0)
        if dead_letter is not None and receives > dead_letter[1]:  # received maxReceiveCount times already
            dlq, _, source_arn = dead_letter
            moved = msgpack.packb([fields["id"], fields["body"], fields["attributes"], fields["md5"],
                                   fields["md5_attributes"], fields["sent_at"], None, source_arn])
            await js.publish(subject_of(dlq), moved,
                             headers={"Nats-Msg-Id": f"dlq.{md.stream}.{md.sequence.stream}"})
            await nc.request(msg.reply, b"+ACK", timeout=self.engine.config.timeout_s)
            return None
        if visibility_s is not None:  # (None: the consumer's ack wait hides it already)
            await nc.publish(msg.reply, _nak(visibility_s))
        sent_at = float(fields["sent_at"])
        return Message(md.sequence.stream, fields["id"], fields["body"], fields["attributes"], fields["md5"],
                       fields["md5_attributes"], sent_at, receives, now if receives <= 1 else sent_at,
                       msg.reply[len("$JS.ACK."):], fields.get("source_arn"))

    @staticmethod
    def _ack_subject(queue: str, receipt: str) -> str | None:
        """The ack subject a receipt handle (``<seq>.<stream>.<consumer>.<numbers>``)
        names, if it is one of ``queue``'s deliveries."""
        seq, _, rest = receipt.partition(".")
        head, found, tail = rest.partition(f"{stream_of(queue)}.{CONSUMER}.")
        # v2 subjects put a domain and an account hash before the stream
        if not seq.isdigit() or not found or not _TAIL.fullmatch(tail) \
                or not re.fullmatch(r"([A-Za-z0-9_-]+\.){2}|", head) or tail.split(".")[1] != seq:
            return None
        return "$JS.ACK." + rest

    async def _settle(self, queue: str, receipts: list[str], payload: bytes) -> list[bool | None]:
        subjects = [self._ack_subject(queue, r) for r in receipts]

        async def settle(nc: Any, js: Any) -> None:
            timeout = self.engine.config.timeout_s
            await asyncio.gather(*(nc.request(s, payload, timeout=timeout) for s in subjects if s is not None))
        if any(subjects):
            await self._data(settle)
        return [None if s is None else True for s in subjects]

    async def delete(self, queue: str, receipts: list[str]) -> list[bool | None]:
        return await self._settle(queue, receipts, b"+ACK")

    async def change_visibility(self, queue: str, receipt: str, visibility_s: float) -> bool | None:
        return (await self._settle(queue, [receipt], _nak(visibility_s)))[0]

    async def release(self, queue: str, receipts: list[str]) -> None:
        await self._settle(queue, receipts, b"-NAK")
