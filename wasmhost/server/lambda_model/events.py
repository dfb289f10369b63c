"""Asynchronous invocation: accepted events are written down before the 202,
run oldest-due first, retried with exponential backoff (throttles without
counting as attempts), and after the last attempt sent to the OnSuccess /
OnFailure destination or kept as a dead letter.

Every worker process of a server runs one ``EventWorker`` over the shared queue:
an event is leased to the worker that claims it (store.py), renewed from a
thread while it runs (so a guest or a compile holding the event loop does not
lose it), and taken by another worker only if its own died."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from ...errors import InvocationError, WasmhostError
from ..errors import ApiError
from .names import now_str
from .store import EVENT_LEASE_S, Registry

if TYPE_CHECKING:
    from .routing import Resolved
    from .service import Service

log = logging.getLogger("wasmhost.server")


def too_large_event(size: int, limit: int) -> str:
    """Lambda's words for an asynchronous event over its limit."""
    return f"{size} byte payload is too large for the Event invocation type (limit {limit} bytes)"


class EventWorker:
    def __init__(self, service: Service, retry_base_s: float) -> None:
        self.s, self.registry, self.retry_base_s = service, service.registry, retry_base_s
        self._wake = asyncio.Event()  # set when there may be an event to run
        self._task: asyncio.Task[None] | None = None
        self.stats = {"accepted": 0, "succeeded": 0, "retried": 0, "failed": 0}
        # who holds this process's leases: "<server run>/<worker>" (server/workers/ sets both)
        self.server_id = f"{os.getpid()}.{os.urandom(4).hex()}"
        self.owner = f"{self.server_id}/0"
        self._renewing = threading.Event()

    def accept(self, r: Resolved, payload: bytes, request_id: str) -> None:
        """Durable once this returns: only then may the caller answer 202."""
        self.registry.enqueue(r.name, self._check(r, payload), payload, request_id)
        self.stats["accepted"] += 1
        self._wake.set()

    async def aaccept(self, r: Resolved, payload: bytes, request_id: str) -> None:
        self.accept(r, payload, request_id)  # SQLite: a local write (a cluster's worker awaits its engine)

    def _check(self, r: Resolved, payload: bytes) -> str | None:
        """Refuse what Lambda refuses; the qualifier to store (None: $LATEST by name)."""
        if len(payload) > self.s.async_max_payload:
            raise ApiError(413, "RequestEntityTooLargeException", too_large_event(len(payload), self.s.async_max_payload))
        return None if r.key == r.name else r.version

    def wake(self) -> None:
        self._wake.set()

    def _durable(self) -> None:
        """Write the ledger down before an event is settled (a cluster's queue does it
        once for each group of settlements instead)."""
        self.s.host.ledger.flush()

    def start(self) -> None:
        if isinstance(self.registry, Registry):  # SQLite, shared by the server's worker processes: leases
            self.registry.owner = self.owner
            self.registry.release_leases(self.owner, self.server_id + "/")
            threading.Thread(target=self._renew, args=(self.registry,), name="wasmhost-event-leases",
                             daemon=True).start()
        self._task = asyncio.get_running_loop().create_task(self._work())

    def _renew(self, registry: Registry) -> None:
        while not self._renewing.wait(EVENT_LEASE_S / 3):
            try:
                registry.renew_leases(self.owner)
            except Exception:  # a closed or busy database: the next round tries again
                log.warning("could not renew the leases of running async events", exc_info=True)

    async def stop(self) -> None:
        self._renewing.set()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _work(self) -> None:
        while True:
            self.s.sync()  # another worker's deploy: its events run here against it
            events = self.registry.due_events()
            if events:
                await asyncio.gather(*(self._run_guarded(e) for e in events))
                continue
            nxt = self.registry.next_event_at()
            timeout = 1.0 if nxt is None else max(0.0, min(1.0, nxt - time.time()))
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except asyncio.TimeoutError:
                pass

    async def _run_guarded(self, event: dict[str, Any]) -> None:
        """A bug in one event's handling must not stop the worker for everyone."""
        try:
            await self._run(event)
        except Exception:
            log.exception("async event %s failed in the host; dead-lettering it", event.get("id"))
            self.registry.dead_letter(event, event["attempts"], "internal error in the host")

    async def _run(self, event: dict[str, Any]) -> None:
        attempts = event["attempts"] + 1
        doc = self.registry.get_function(event["function"])
        if doc is None:  # the function was deleted: keep the event where it can be seen
            self.registry.dead_letter(event, attempts - 1, "function no longer exists")
            return
        cfg = self.s.event_invoke_config(doc, event["qualifier"])
        max_retries = cfg.get("MaximumRetryAttempts", 2)
        max_age = cfg.get("MaximumEventAgeInSeconds", 21600)
        try:
            r = self._resolve(event)
            res = await self.s.invoke(r, event["payload"], event["request_id"])  # under its 202's id
        except (InvocationError, ApiError, WasmhostError) as e:
            self._durable()  # the run's report is durable before the event moves on
            error = _error_doc(e)
            too_old = time.time() - event["created_at"] > max_age
            if _throttled(e) and not too_old:  # as Lambda: throttles are retried, not counted as attempts
                self.registry.retry_event(event["id"], attempts - 1, self.retry_base_s, json.dumps(error))
                return
            if attempts <= max_retries and not too_old and not _permanent(e):
                self.stats["retried"] += 1
                self.registry.retry_event(event["id"], attempts, self.retry_base_s * 2 ** (attempts - 1),
                                          json.dumps(error))
                return
            self.stats["failed"] += 1
            self._on_failure(event, attempts, error, cfg, "RetriesExhausted" if not too_old else "EventAgeExceeded")
            return
        self._durable()  # the run's report is durable before the event leaves its queue
        self.stats["succeeded"] += 1
        target = ((cfg.get("DestinationConfig") or {}).get("OnSuccess") or {}).get("Destination")
        if target:
            try:
                self._send_record(target, event, attempts, "Success", None, res.payload, r.version)
            except ApiError as e:
                log.error("on-success destination %s unusable: %s", target, e.message)
        self.registry.finish_event(event["id"])

    def _resolve(self, event: dict[str, Any]) -> Resolved:
        """The event's function here. The registry has it (``_run`` read it), so a
        not-found means this node's routes have not caught up with another node's write
        yet (its change notice still on the way): catch up once, then the answer is final.
        Otherwise a cluster could dead-letter a new function's first event unrun."""
        try:
            return self.s.resolve(event["function"], event["qualifier"])
        except ApiError as e:
            if e.status != 404:
                raise
            self.s.catch_up()
            return self.s.resolve(event["function"], event["qualifier"])

    def _on_failure(self, event: dict[str, Any], attempts: int, error: dict[str, Any], cfg: dict[str, Any],
                    condition: str) -> None:
        target = ((cfg.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if target:
            try:
                self._send_record(target, event, attempts, condition, error, json.dumps(error).encode(), None)
                self.registry.finish_event(event["id"])
                return
            except ApiError as e:
                log.error("on-failure destination %s unusable (%s): dead-lettering", target, e.message)
        self.registry.dead_letter(event, attempts, json.dumps(error))

    def _send_record(self, target: str, event: dict[str, Any], attempts: int, condition: str,
                     error: dict[str, Any] | None, response: bytes, version: str | None) -> None:
        """A Lambda destination record, as an event for the target function."""
        record = {"version": "1.0", "timestamp": now_str(),
                  "requestContext": {"requestId": event["request_id"],
                                     "functionArn": self.s.arn(event["function"], event["qualifier"]),
                                     "condition": condition, "approximateInvokeCount": attempts},
                  "requestPayload": _json_or_b64(event["payload"] or b"{}"),
                  "responseContext": {"statusCode": 200, "executedVersion": version or "$LATEST",
                                      **({"functionError": "Unhandled"} if error else {})},
                  "responsePayload": _json_or_b64(response) if response else None}
        if target.startswith("arn:aws:sqs:") and self.s.destination_queues is not None:
            self.s.destination_queues.send(target, json.dumps(record))
            return
        r = self.s.resolve(target, route=False)
        self.registry.enqueue(r.name, None if r.key == r.name else r.version, json.dumps(record).encode(),
                              str(uuid.uuid4()))
        self._wake.set()


def _json_or_b64(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return base64.b64encode(data).decode()


def _throttled(e: Exception) -> bool:
    return isinstance(e, ApiError) and e.status == 429  # Service.invoke turns Throttled into this


def _permanent(e: Exception) -> bool:
    """Errors that a retry cannot fix."""
    return isinstance(e, ApiError) and e.status in (400, 404, 413)


def _error_doc(e: Exception) -> dict[str, Any]:
    if isinstance(e, InvocationError):
        return e.to_lambda()
    if isinstance(e, ApiError):
        return {"errorType": e.code, "errorMessage": e.message}
    return {"errorType": type(e).__name__, "errorMessage": str(e)}
