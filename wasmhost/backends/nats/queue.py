"""Asynchronous invocations (``backends/registry.py``'s ``EventQueue``) on a
JetStream work-queue stream, shared by every node through one durable pull
consumer.

- **Accept**: published with ``Nats-Msg-Id = request id`` (a retried publish is
  de-duplicated); the 202 goes out only after the stream's acknowledgement, which
  comes after a quorum of servers wrote it.
- **Claim**: each node fetches as many as it has free slots (load-aware by
  construction); a message is in flight on one node until acked. A node that
  dies mid-run never acks, so after ``ack_wait`` another node runs it (at least
  once, as Lambda). A run longer than that is kept claimed with ``in_progress``.
- **Retry**: a function error republishes the event with its attempt count and a
  not-before time (``Nats-Msg-Id = request id:attempt``, so a crash between the
  republish and the ack is de-duplicated), then acks the original; a throttle,
  which is not an attempt, is ``nak(delay)``.
- **Dead letters**: a ``WH_DLQ`` stream, listed and replayed by sequence number.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from typing import Any, Callable

from .engine import CONSUMER, DLQ_STREAM, DLQ_SUBJECT, INVOKE_STREAM, INVOKE_SUBJECT, Engine

log = logging.getLogger("wasmhost.cluster")
H = "Wh-"  # our headers' prefix


def _headers(event: dict[str, Any], msg_id: str, **extra: Any) -> dict[str, str]:
    return {"Nats-Msg-Id": msg_id, H + "Function": event["function"], H + "Qualifier": event["qualifier"] or "",
            H + "Request-Id": event["request_id"], H + "Attempts": str(event["attempts"]),
            H + "Created": repr(event["created_at"]), **{H + k.replace("_", "-").title(): str(v)
                                                        for k, v in extra.items()}}


def _event(msg: Any) -> dict[str, Any]:
    h = msg.headers or {}
    return {"function": h.get(H + "Function", ""), "qualifier": h.get(H + "Qualifier") or None,
            "payload": msg.data, "request_id": h.get(H + "Request-Id", ""), "attempts": int(h.get(H + "Attempts", 0)),
            "created_at": float(h.get(H + "Created", 0.0)), "not_before": float(h.get(H + "Not-Before", 0.0))}


class WorkQueue:
    def __init__(self, engine: Engine, slots: int = 64) -> None:
        self.engine = engine
        self.slots = slots  # events this node runs at once
        self._inflight: dict[int, tuple[Any, dict[str, Any], float]] = {}  # id -> (message, event, claimed at)
        self._ids = itertools.count(1).__next__
        self._lock = threading.Lock()
        self._free: asyncio.Event | None = None  # on the engine's loop: a slot came free
        self._tasks: list[asyncio.Task[None]] = []

    # -- accept ---------------------------------------------------------------------
    async def _publish(self, event: dict[str, Any], msg_id: str, **extra: Any) -> Any:
        return await self.engine.js.publish(f"{INVOKE_SUBJECT}.{event['function']}", event["payload"],
                                            headers=_headers(event, msg_id, **extra))

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
        return (await self.engine.acall(self._publish(event, request_id, **extra))).seq

    # -- claim ----------------------------------------------------------------------
    def consume(self, dispatch: Callable[[dict[str, Any]], None]) -> None:
        """Fetch events for this node and hand each (with its ``id``) to
        ``dispatch``, called on the engine's thread; settle them with
        ``finish_event``, ``retry_event`` or ``dead_letter`` from any thread."""
        async def start() -> None:
            self._free = asyncio.Event()
            psub = await self.engine.js.pull_subscribe_bind(durable=CONSUMER, stream=INVOKE_STREAM)
            loop = asyncio.get_running_loop()
            self._tasks = [loop.create_task(self._pull(psub, dispatch)), loop.create_task(self._keep_claimed())]
        self.engine.call(start())

    async def _pull(self, psub: Any, dispatch: Callable[[dict[str, Any]], None]) -> None:
        import nats.errors
        assert self._free is not None
        while True:
            free = self.slots - len(self._inflight)
            if free <= 0:
                self._free.clear()
                await self._free.wait()
                continue
            try:
                msgs = await psub.fetch(batch=free, timeout=1.0)
            except nats.errors.TimeoutError:
                continue
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the engine is away: wait for it (nats-py reconnects)
                log.info("cluster: fetching events: %r", e)
                await asyncio.sleep(0.5)
                continue
            now = time.time()
            for msg in msgs:
                try:
                    event = _event(msg)
                except (ValueError, TypeError):
                    log.error("cluster: an unreadable event message; terminating it")
                    await msg.term()
                    continue
                if event.pop("not_before") > now + 0.01:  # a retry's backoff
                    await msg.nak(delay=event_delay(msg, now))
                    continue
                eid = self._ids()
                event["id"] = eid
                with self._lock:
                    self._inflight[eid] = (msg, event, time.monotonic())
                dispatch(event)

    async def _keep_claimed(self) -> None:
        """Tell the engine a long run is still going, so its message is not handed
        to another node after ``ack_wait``."""
        period = self.engine.config.ack_wait_s / 3
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            with self._lock:
                long = [msg for msg, _, t in self._inflight.values() if now - t > period]
            for msg in long:
                try:
                    await msg.in_progress()
                except Exception as e:  # noqa: BLE001 - the next round tries again
                    log.info("cluster: in_progress: %r", e)

    def _take(self, eid: Any) -> tuple[Any, dict[str, Any]] | None:
        with self._lock:
            item = self._inflight.pop(eid, None)
        if item is None:
            return None
        self.engine.loop.call_soon_threadsafe(self._freed)
        return item[0], item[1]

    def _freed(self) -> None:
        if self._free is not None:
            self._free.set()

    # -- settle ---------------------------------------------------------------------
    def finish_event(self, event_id: Any) -> None:
        item = self._take(event_id)
        if item is not None:
            self.engine.submit(_quiet(item[0].ack()))

    def retry_event(self, event_id: Any, attempts: int, delay_s: float, error: str) -> None:
        item = self._take(event_id)
        if item is None:
            return
        msg, event = item
        if attempts == event["attempts"]:  # a throttle: the same attempt, later
            self.engine.submit(_quiet(msg.nak(delay=delay_s)))
            return

        async def again() -> None:
            await self._publish(dict(event, attempts=attempts), f"{event['request_id']}:{attempts}",
                                not_before=time.time() + delay_s, error=error[:1024].replace("\n", " "))
            await msg.ack()
        self.engine.submit(_quiet(again()))  # no quorum: no ack, so the engine hands it out again

    def dead_letter(self, event: dict[str, Any], attempts: int, error: str) -> None:
        item = self._take(event.get("id"))

        async def bury() -> None:
            dead = dict(event, attempts=attempts)
            await self.engine.js.publish(f"{DLQ_SUBJECT}.{event['function']}", event["payload"],
                                         headers=_headers(dead, f"{event['request_id']}:dead",
                                                          error=error[:4096].replace("\n", " "),
                                                          failed_at=time.time()))
            if item is not None:
                await item[0].ack()
        self.engine.submit(_quiet(bury()))

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
                h = raw.headers or {}
                if function and h.get(H + "Function") != function:
                    continue
                out.append({"id": seq, "function": h.get(H + "Function"), "qualifier": h.get(H + "Qualifier") or None,
                            "payload": raw.data or b"", "request_id": h.get(H + "Request-Id"),
                            "attempts": int(h.get(H + "Attempts", 0)), "error": h.get(H + "Error", ""),
                            "failed_at": float(h.get(H + "Failed-At", 0.0))})
            return out
        return self.engine.call(read(), timeout=self.engine.config.timeout_s * 10)

    def replay_dead_letter(self, dl_id: int) -> int | None:
        async def replay() -> int | None:
            from nats.js.errors import NotFoundError
            try:
                raw = await self.engine.js.get_msg(DLQ_STREAM, dl_id)
            except NotFoundError:
                return None
            h = raw.headers or {}
            event: dict[str, Any] = {"function": h.get(H + "Function"), "qualifier": h.get(H + "Qualifier") or None,
                     "payload": raw.data or b"", "request_id": h.get(H + "Request-Id"), "attempts": 0,
                     "created_at": time.time()}
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
        """Waiting plus in flight, cluster-wide (-1 when the engine does not answer)."""
        async def count() -> int:
            info = await self.engine.js.consumer_info(INVOKE_STREAM, CONSUMER)
            return int(info.num_pending or 0) + int(info.num_ack_pending or 0)
        try:
            return self.engine.call(count())
        except Exception as e:  # noqa: BLE001 - /metrics must answer anyway
            log.info("cluster: counting pending events: %r", e)
            return -1

    def stop(self) -> None:
        async def cancel() -> None:
            for t in self._tasks:
                t.cancel()
        if self._tasks:
            self.engine.call(cancel())


def event_delay(msg: Any, now: float) -> float:
    return max(0.0, float((msg.headers or {}).get(H + "Not-Before", now)) - now)


async def _quiet(coro: Any) -> None:
    """Fire-and-forget settling: a failure leaves the message unacked, so the
    engine redelivers it after ``ack_wait``: logged, never raised into nowhere."""
    try:
        await coro
    except Exception as e:  # noqa: BLE001
        log.warning("cluster: settling an event failed (it will be delivered again): %r", e)
