"""Asynchronous invocations (``backends/registry.py``'s ``EventQueue``) on a
JetStream work-queue stream, shared by every node through one durable pull
consumer.

- **Accept**: the 202 goes out only after the stream's acknowledgement, which
  comes after a quorum of servers wrote it. The events a node accepts together
  go as **one message**, a group commit that is Nagle-like: an event arriving
  when no group went for ``GROUP_EVERY_S`` goes at the next turn of the loop;
  under load a group goes each ``GROUP_EVERY_S`` with what arrived meanwhile.
  So the servers replicate, deliver and take acks once per group instead of
  once per event (their cost is per message, not per byte: measured, the
  servers used more CPU per event than the nodes). The acknowledgements come
  back on one reply subscription, with one deadline sweep. No ``Nats-Msg-Id``:
  a publish is never retried by the node (a timeout answers 503 and the
  client's retry is a new event), so de-duplication would cost the servers a
  two-minute map of ids for nothing.
- **Claim**: one pull request at a time, for as many messages as the node has
  free slots (load-aware by construction), held open so messages stream in as
  they are published; the next goes out when it is filled or expires.
  (nats-py's ``fetch`` asked again for every message or two under load: a
  request, a status reply and a timer each.) A message is in flight on one
  node until acked. A node that dies mid-run never acks, so after ``ack_wait``
  another node runs it (at least once, as Lambda). A run longer than that is
  kept claimed with ``in_progress``. A group's message is acked when all of its
  events are settled; a node that dies before that has the whole group run
  again elsewhere (at least once).
- **Settle**: acks are fire-and-forget (an ack lost with its connection means a
  run again, which at-least-once allows); the ledger is flushed once before each
  group of settlements, and groups are at least ``SETTLE_S`` apart.
- **Retry**: a function error republishes the event alone with its attempt
  count and a not-before time (its ``Nats-Msg-Id`` names the message and place
  it came from, so a crash between the republish and the ack is de-duplicated),
  and counts it settled in its group; a throttle, which is not an attempt, is
  ``nak(delay)`` for an event alone in its message, republished likewise in a group.
- **Dead letters**: a ``WH_DLQ`` stream, listed and replayed by sequence number.

Accepting, claiming and settling run on the server's own event loop with a
connection of their own (``open``): handing each event between that loop and the
engine's thread cost a GIL switch interval (5 ms) per hop under load, and capped a
node at a few hundred events a second (measured). Control-plane calls keep the
engine's thread.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from typing import Any, Callable

import msgpack

from ..registry import Unavailable
from .engine import CONSUMER, DLQ_STREAM, DLQ_SUBJECT, INVOKE_STREAM, INVOKE_SUBJECT, Engine

log = logging.getLogger("wasmhost.cluster")
_FIELDS = ("function", "qualifier", "request_id", "attempts", "created_at", "not_before", "error", "failed_at",
           "payload")
SETTLE_S = 0.02  # settlements (and the ledger flush before them) gather this long
GROUP_EVERY_S = 0.005  # a node sends at most one group of accepted events this often (none waits when idle)
PULL_EXPIRES_S = 5.0  # a pull request left open this long expires (the servers say so: 408)
GROUP_BYTES = 512 * 1024  # a group's message stays under NATS's 1 MB default max payload
EVENT_OVERHEAD = 8192  # an event's message beyond its payload: its fields, a dead letter's error


def _fields(event: dict[str, Any], **extra: Any) -> list[Any]:
    e = {**event, **extra}
    return [e.get(k) for k in _FIELDS]


def _body(event: dict[str, Any], **extra: Any) -> bytes:
    """An event alone as a message: one msgpack array (nats-py's header parsing was
    the largest cost of a claim when the fields were headers, profiled); only
    ``Nats-Msg-Id`` travels as a header. A group is an array of these arrays."""
    return msgpack.packb(_fields(event, **extra))


def _event(fields: Any) -> dict[str, Any]:
    e = dict(zip(_FIELDS, fields))
    if not isinstance(e.get("function"), str) or not isinstance(e.get("payload"), bytes):
        raise ValueError("not an event")
    e["attempts"] = int(e["attempts"] or 0)
    e["not_before"] = float(e["not_before"] or 0.0)
    return e


def _events(data: bytes) -> list[dict[str, Any]]:
    """The events of a message: one alone, or a group."""
    fields = msgpack.unpackb(data)
    if not isinstance(fields, list) or not fields:
        raise ValueError("not an event")
    return [_event(f) for f in fields] if isinstance(fields[0], list) else [_event(fields)]


class _Claim:
    """A delivered message and how many of its events are not settled yet."""
    __slots__ = ("msg", "left", "size", "at")

    def __init__(self, msg: Any, size: int) -> None:
        self.msg, self.left, self.size, self.at = msg, size, size, time.monotonic()


class WorkQueue:
    def __init__(self, engine: Engine, slots: int = 64) -> None:
        self.engine = engine
        self.slots = slots  # events this node runs at once
        self._inflight: dict[int, tuple[_Claim, dict[str, Any]]] = {}  # id -> (its message, event)
        self._ids = itertools.count(1).__next__
        self._free: asyncio.Event | None = None  # a slot came free
        self._tasks: set[asyncio.Task[Any]] = set()
        self._nc: Any = None  # the server loop's own connection (``open``)
        self._js: Any = None
        # accepted events waiting for the stream's acknowledgement: token -> (their futures, deadline)
        self._acks: dict[str, tuple[list[asyncio.Future[int]], float]] = {}
        self._group: list[tuple[list[Any], asyncio.Future[int]]] = []  # accepted in this turn of the loop
        self._sent_at = 0.0  # when the last group went
        self._ack_prefix = ""
        # settlements wait for one call of this, then go together: the ledger's
        # flush, once per group instead of once per event
        self.before_settle: Callable[[], object] | None = None
        self._to_ack: list[Any] = []  # finished events' messages
        self._settling: list[Any] = []  # the other settlements (coroutines: republish, then ack)
        self._settle_wake: asyncio.Event | None = None
        self._pending = -1

    # -- accept ---------------------------------------------------------------------
    async def open(self) -> None:
        """Connect from the server's event loop (the data plane's connection)."""
        import nats
        cfg = self.engine.config
        self._nc = await nats.connect(list(cfg.servers), name=f"wasmhost-{cfg.node}-events",
                                      connect_timeout=cfg.timeout_s, max_reconnect_attempts=-1,
                                      reconnect_time_wait=0.25)
        self._js = self._nc.jetstream(timeout=cfg.timeout_s)
        self._ack_prefix = self._nc.new_inbox() + "."
        await self._nc.subscribe(self._ack_prefix + "*", cb=self._on_ack)
        self._spawn(self._expire_acks())

    async def _publish(self, event: dict[str, Any], msg_id: str, js: Any = None, **extra: Any) -> Any:
        return await (js or self.engine.js).publish(f"{INVOKE_SUBJECT}.{event['function']}", _body(event, **extra),
                                                    headers={"Nats-Msg-Id": msg_id})

    def _new(self, function: str, qualifier: str | None, payload: bytes, request_id: str,
             delay_s: float) -> tuple[dict[str, Any], dict[str, Any]]:
        now = time.time()
        event = {"function": function, "qualifier": qualifier, "payload": payload, "request_id": request_id,
                 "attempts": 0, "created_at": now}
        return event, ({"not_before": now + delay_s} if delay_s > 0 else {})

    def enqueue(self, function: str, qualifier: str | None, payload: bytes, request_id: str,
                delay_s: float = 0.0) -> int:
        event, extra = self._new(function, qualifier, payload, request_id, delay_s)
        return self.engine.call(self._publish(event, request_id, **extra)).seq

    async def aenqueue(self, function: str, qualifier: str | None, payload: bytes, request_id: str,
                       delay_s: float = 0.0) -> int:
        """``enqueue`` for the server's event loop: it waits for the quorum's
        acknowledgement without blocking invocations meanwhile."""
        event, extra = self._new(function, qualifier, payload, request_id, delay_s)
        if self._nc is None or extra:  # (a delayed event goes alone: a group is run as it comes)
            return (await self.engine.acall(self._publish(event, request_id, **extra))).seq
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._group.append((_fields(event), fut))
        if len(self._group) == 1:  # the group goes a turn of the loop later, with what joined it
            loop = asyncio.get_running_loop()
            wait = self._sent_at + GROUP_EVERY_S - loop.time()
            if wait > 0:  # under load: at most one group each GROUP_EVERY_S
                loop.call_later(wait, self._send_group)
            else:
                loop.call_soon(self._send_group)
        try:
            return await fut
        except Exception as e:
            err = self.engine.failed(e)  # no quorum: the control plane's calls fail at once meanwhile
            if err is e:
                raise
            raise err from None

    def _send_group(self) -> None:
        self._sent_at = asyncio.get_running_loop().time()
        group, self._group = self._group, []
        self._spawn(self._send(group))

    async def _send(self, group: list[tuple[list[Any], asyncio.Future[int]]]) -> None:
        """A group of accepted events as one message (several if it is big)."""
        deadline = asyncio.get_running_loop().time() + self.engine.config.timeout_s
        start, size = 0, 0
        for i, (fields, _) in enumerate(group):
            size += len(fields[-1]) + 256  # the payload and room for the other fields
            if i + 1 == len(group) or size + len(group[i + 1][0][-1]) + 256 > GROUP_BYTES:
                part = group[start:i + 1]
                token = str(self._ids())
                self._acks[token] = ([f for _, f in part], deadline)
                try:
                    await self._nc.publish(f"{INVOKE_SUBJECT}.{self.engine.config.node}",
                                           msgpack.packb([f for f, _ in part]), reply=self._ack_prefix + token)
                except Exception as e:
                    del self._acks[token]
                    for _, f in part:
                        if not f.done():
                            f.set_exception(e)
                start, size = i + 1, 0

    async def _on_ack(self, msg: Any) -> None:
        """The stream's acknowledgement of an accepted event (or its refusal: no
        leader, no responders)."""
        item = self._acks.pop(msg.subject[len(self._ack_prefix):], None)
        if item is None:
            return
        try:
            seq: int | None = int(json.loads(msg.data)["seq"])
        except (ValueError, KeyError, TypeError):
            seq = None
        for fut in item[0]:
            if fut.done():
                continue
            if seq is not None:
                fut.set_result(seq)
            else:
                fut.set_exception(Unavailable(f"the cluster engine (NATS JetStream) refused the event: "
                                              f"{bytes(msg.data[:200])!r} {msg.headers or ''}"))

    async def _expire_acks(self) -> None:
        """Accepts the stream has not acknowledged in time fail (503): one sweep for all."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(0.1)
            now = loop.time()
            while self._acks:
                token, (futs, deadline) = next(iter(self._acks.items()))  # oldest first
                if deadline > now:
                    break
                del self._acks[token]
                for fut in futs:
                    if not fut.done():
                        fut.set_exception(Unavailable("the cluster engine (NATS JetStream) did not acknowledge "
                                                      "the event in time"))

    # -- claim ----------------------------------------------------------------------
    async def consume(self, dispatch: Callable[[dict[str, Any]], None]) -> None:
        """Claim events for this node and hand each (with its ``id``) to
        ``dispatch``; settle them with ``finish_event``, ``retry_event`` or
        ``dead_letter``: all on the server's loop, after ``open``."""
        self._free, self._settle_wake = asyncio.Event(), asyncio.Event()
        await self._js.consumer_info(INVOKE_STREAM, CONSUMER)  # there (the engine made it), or fail now
        self._spawn(self._pull(dispatch))
        self._spawn(self._keep_claimed())
        self._spawn(self._settler())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _pull(self, dispatch: Callable[[dict[str, Any]], None]) -> None:
        """One pull request open at a time, for the free slots; events are claimed
        as they arrive on it."""
        assert self._free is not None
        over = asyncio.Event()  # the open request is filled, expired or refused
        left = 0

        async def on_msg(msg: Any) -> None:
            nonlocal left
            status = msg.headers.get("Status") if msg.headers else None
            if status is None:
                left -= 1
                if left <= 0:
                    over.set()
                await self._claim(msg, dispatch)
            elif status != "100":  # 408: expired; 409: a new consumer leader, ...: ask again
                over.set()
        inbox = self._nc.new_inbox()
        sub = await self._nc.subscribe(inbox, cb=on_msg)
        subject = f"$JS.API.CONSUMER.MSG.NEXT.{INVOKE_STREAM}.{CONSUMER}"
        try:
            while True:
                free = self.slots - len(self._inflight)
                if free <= 0:
                    self._free.clear()
                    await self._free.wait()
                    continue
                left = free
                over.clear()
                try:
                    await self._nc.publish(subject, json.dumps({"batch": free, "expires": int(PULL_EXPIRES_S * 1e9)})
                                           .encode(), reply=inbox)
                except Exception as e:  # noqa: BLE001 - the engine is away: wait for it (nats-py reconnects)
                    log.info("cluster: asking for events: %r", e)
                    await asyncio.sleep(0.5)
                    continue
                try:
                    await asyncio.wait_for(over.wait(), PULL_EXPIRES_S + 1.0)
                except asyncio.TimeoutError:  # lost with a server or a reconnect: ask again
                    pass
        finally:
            try:
                await sub.unsubscribe()
            except Exception:  # noqa: BLE001 - the connection is closing anyway
                pass

    async def _claim(self, msg: Any, dispatch: Callable[[dict[str, Any]], None]) -> None:
        try:
            events = _events(msg.data)
        except (ValueError, TypeError, msgpack.UnpackException):
            log.error("cluster: an unreadable event message; terminating it")
            await _quiet(msg.term())
            return
        now = time.time()
        if events[0]["not_before"] > now + 0.01:  # a retry's backoff (such events go alone)
            await _quiet(msg.nak(delay=events[0]["not_before"] - now))
            return
        claim = _Claim(msg, len(events))
        for index, event in enumerate(events):
            del event["not_before"]
            eid = self._ids()
            event["id"], event["_index"] = eid, index
            self._inflight[eid] = (claim, event)
        for event in events:
            dispatch(event)

    async def _keep_claimed(self) -> None:
        """Tell the engine a long run is still going, so its message is not handed
        to another node after ``ack_wait``."""
        period = self.engine.config.ack_wait_s / 3
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            long = {id(c): c.msg for c, _ in self._inflight.values() if now - c.at > period}
            for msg in long.values():
                try:
                    await msg.in_progress()
                except Exception as e:  # noqa: BLE001 - the next round tries again
                    log.info("cluster: in_progress: %r", e)

    def _take(self, eid: Any) -> tuple[_Claim, dict[str, Any]] | None:
        item = self._inflight.pop(eid, None)
        if item is None:
            return None
        if self._free is not None:
            self._free.set()
        return item

    def _settled(self, claim: _Claim) -> None:
        """One more of the message's events settled: the last acks it."""
        claim.left -= 1
        if claim.left == 0:
            self._to_ack.append(claim.msg)
            if self._settle_wake is not None:
                self._settle_wake.set()

    # -- settle ---------------------------------------------------------------------
    def _settle(self, coro: Any) -> None:
        self._settling.append(coro)
        if self._settle_wake is not None:
            self._settle_wake.set()

    async def _settler(self) -> None:
        assert self._settle_wake is not None
        while True:
            await self._settle_wake.wait()
            await asyncio.sleep(SETTLE_S)  # the runs finishing meanwhile join the group
            self._settle_wake.clear()
            acks, group = self._to_ack, self._settling
            self._to_ack, self._settling = [], []
            if self.before_settle is not None:
                try:
                    self.before_settle()
                except Exception:  # noqa: BLE001 - unsettled: the engine hands them out again
                    log.exception("cluster: before settling %d events", len(acks) + len(group))
                    for coro in group:
                        coro.close()
                    continue
            for msg in acks:  # each appended to the connection's buffer: one write for all
                await _quiet(msg.ack())
            if group:
                await asyncio.gather(*map(_quiet, group))

    def finish_event(self, event_id: Any) -> None:
        item = self._take(event_id)
        if item is not None:
            self._settled(item[0])

    def retry_event(self, event_id: Any, attempts: int, delay_s: float, error: str) -> None:
        item = self._take(event_id)
        if item is None:
            return
        claim, event = item
        if attempts == event["attempts"] and claim.size == 1:  # a throttle: the same attempt, later
            self._settle(claim.msg.nak(delay=delay_s))
            return

        async def again() -> None:
            await self._publish(dict(event, attempts=attempts), _next_id(claim.msg, "retry", event), self._js,
                                not_before=time.time() + delay_s, error=error[:1024])
            self._settled(claim)
        self._settle(again())  # no quorum: no ack, so the engine hands it out again

    def dead_letter(self, event: dict[str, Any], attempts: int, error: str) -> None:
        item = self._take(event.get("id"))

        async def bury() -> None:
            dead = dict(event, attempts=attempts)
            await self._js.publish(f"{DLQ_SUBJECT}.{event['function']}",
                                   _body(dead, error=error[:4096], failed_at=time.time()),
                                   headers={"Nats-Msg-Id": _next_id(item[0].msg if item else None, "dead", event)})
            if item is not None:
                self._settled(item[0])
        self._settle(bury())

    def dead_letters(self, function: str | None = None) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            from nats.js.errors import NotFoundError
            info = await self.engine.js.stream_info(DLQ_STREAM)
            out = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1) if info.state.messages else ():
                try:
                    raw = await self.engine.js.get_msg(DLQ_STREAM, seq)
                except NotFoundError:  # replayed (deleted)
                    continue
                try:
                    e = _events(raw.data)[0]
                except (ValueError, TypeError, msgpack.UnpackException):
                    continue
                if function and e["function"] != function:
                    continue
                out.append({"id": seq, **{k: e[k] for k in ("function", "qualifier", "payload", "request_id",
                                                            "attempts", "error", "failed_at")}})
            return out
        return self.engine.call(read(), timeout=self.engine.config.timeout_s * 10)

    def replay_dead_letter(self, dl_id: int) -> int | None:
        async def replay() -> int | None:
            from nats.js.errors import NotFoundError
            try:
                raw = await self.engine.js.get_msg(DLQ_STREAM, dl_id)
            except NotFoundError:
                return None
            event = dict(_events(raw.data)[0], attempts=0, created_at=time.time(), error=None, failed_at=None)
            ack = await self._publish(event, f"{event['request_id']}:replay:{dl_id}")
            await self.engine.js.delete_msg(DLQ_STREAM, dl_id)
            return ack.seq
        return self.engine.call(replay())

    # -- counts (the SQLite queue's polling methods have nothing to do here) --------
    def due_events(self, limit: int = 64) -> list[dict[str, Any]]:
        return []

    def next_event_at(self) -> float | None:
        return None

    def pending_events(self) -> int:
        """Waiting plus in flight, cluster-wide, as last counted (-1: not yet): the
        count is refreshed in the background, so a scrape never waits on the engine."""
        async def count() -> None:
            try:
                info = await self.engine.js.consumer_info(INVOKE_STREAM, CONSUMER)
                self._pending = int(info.num_pending or 0) + int(info.num_ack_pending or 0)
            except Exception as e:  # noqa: BLE001 - the last count stands
                log.info("cluster: counting pending events: %r", e)
        self.engine.submit(count())
        return self._pending

    async def aclose(self) -> None:
        """Stop claiming; events in flight and not settled go to another node after ``ack_wait``."""
        for t in list(self._tasks):
            t.cancel()
        if self._nc is not None:
            try:  # acks sent, then closed (a drain would wait for the pull that is still open)
                await self._nc.flush(timeout=self.engine.config.timeout_s)
                await self._nc.close()
            except Exception as e:  # noqa: BLE001 - closing anyway
                log.info("cluster: closing the events connection: %r", e)
            self._nc = self._js = None


def _next_id(msg: Any, what: str, event: dict[str, Any]) -> str:
    """The ``Nats-Msg-Id`` of the message that follows an event of ``msg`` (its retry,
    its dead letter): the same for every delivery of ``msg``, so a crash between
    publishing it and acking ``msg`` de-duplicates; new for a replayed event's."""
    if msg is None:
        import uuid
        return f"{what}:{uuid.uuid4()}"
    return f"{what}:{msg.metadata.stream}:{msg.metadata.sequence.stream}:{event.get('_index', 0)}"


async def _quiet(coro: Any) -> None:
    """Fire-and-forget settling: a failure leaves the message unacked, so the
    engine redelivers it after ``ack_wait``: logged, never raised into nowhere."""
    try:
        await coro
    except Exception as e:  # noqa: BLE001
        log.warning("cluster: settling an event failed (it will be delivered again): %r", e)
