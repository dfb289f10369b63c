"""The poller of one event source mapping: Lambda's SQS semantics.

``lanes`` coroutines (``ScalingConfig.MaximumConcurrency``, default 5) each
receive a batch (up to ``BatchSize``, waiting up to ``MaximumBatchingWindowInSeconds``
to fill it), invoke the function synchronously with Lambda's SQS event, and then
delete what succeeded: everything, or with ``ReportBatchItemFailures`` everything
but the reported ``itemIdentifier``s. What failed stays hidden until the queue's
visibility timeout ends and comes back (to the queue's dead-letter queue after
``maxReceiveCount`` receives). A throttled batch is released at once without
counting the receive, and the lane backs off: throttling slows the poller and
never costs a message, nor a step towards the dead-letter queue (AWS counts
those receives; we do not).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from ...errors import InvocationError, WasmhostError
from ..errors import ApiError
from .backends import Message
from .sqs import Queues

if TYPE_CHECKING:
    from ..lambda_model import Service

log = logging.getLogger("wasmhost.sources")

DEFAULT_LANES = 5
MAX_PAYLOAD = 6 * 1024 * 1024  # a synchronous invocation's limit
IDLE_WAIT_S = 1.0
MAX_BACKOFF_S = 5.0


def _attribute(a: dict) -> dict:
    """A message attribute as Lambda's SQS event spells it (lower camel case)."""
    out: dict[str, Any] = {}
    if "StringValue" in a:
        out["stringValue"] = a["StringValue"]
    if "BinaryValue" in a:
        out["binaryValue"] = a["BinaryValue"]
    out.update({"stringListValues": [], "binaryListValues": [], "dataType": a["DataType"]})
    return out


def record(m: Message, arn: str, region: str) -> dict:
    """One ``Records[]`` entry of Lambda's SQS event."""
    r: dict[str, Any] = {"messageId": m.id, "receiptHandle": f"{m.seq}.{m.receipt}", "body": m.body,
                         "attributes": Queues.system_attributes(m),
                         "messageAttributes": {k: _attribute(v) for k, v in (m.attributes or {}).items()},
                         "md5OfBody": m.md5}
    if m.md5_attributes:
        r["md5OfMessageAttributes"] = m.md5_attributes
    r.update({"eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": region})
    return r


def failed_items(payload: bytes, ids: set[str]) -> set[str] | None:
    """The ``itemIdentifier``s a ReportBatchItemFailures response names; None when
    the response makes the whole batch a failure (Lambda's rules: unparsable JSON,
    an empty or null identifier, a bad key, an id not in the batch)."""
    text = payload.strip()
    if not text or text == b"null":
        return set()
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return set()
    items = doc.get("batchItemFailures")
    if not items:
        return set()
    if not isinstance(items, list):
        return None
    out = set()
    for item in items:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or not ident or ident not in ids:
            return None
        out.add(ident)
    return out


class Acker:
    """Deletes what the pollers processed, only once the reports of those runs are
    durable: ledger flush, then one delete transaction for everything pending. A
    crash in between delivers the messages again (SQS's at-least-once) but never
    loses the report of a run whose messages are gone. Batching the deletes of
    all lanes into one transaction also makes them cheaper."""

    def __init__(self, service: Service, queues: Queues) -> None:
        self.service, self.queues = service, queues
        self.pending: dict[str, list[str]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def add(self, queue: str, receipts: list[str]) -> None:
        self.pending.setdefault(queue, []).extend(receipts)
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()  # what was processed before the stop is acknowledged

    async def flush(self) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, {}
        self.service.host.ledger.flush()
        for queue, receipts in pending.items():
            await self.queues.store.delete(queue, receipts)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # the messages come back after their visibility timeout
                log.exception("acknowledging processed messages")


class Poller:
    def __init__(self, service: Service, queues: Queues, doc: dict, acker: Acker) -> None:
        self.service, self.queues, self.doc, self.acker = service, queues, doc, acker
        self.queue = Queues.name_of_arn(doc["EventSourceArn"]) or ""
        self.tasks: list[asyncio.Task] = []
        self.stats = {"batches": 0, "succeeded": 0, "failed": 0, "throttled": 0, "unavailable": 0}
        self.in_flight = 0
        self.last_result = "No records processed"

    def start(self) -> None:
        lanes = (self.doc.get("ScalingConfig") or {}).get("MaximumConcurrency") or DEFAULT_LANES
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self._lane()) for _ in range(lanes)]

    async def stop(self) -> None:
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []

    async def _lane(self) -> None:
        backoff = 0.0
        while True:
            try:
                backoff = await self._once(backoff)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not stop the poller for good
                log.exception("poller of mapping %s", self.doc["UUID"])
                backoff = MAX_BACKOFF_S
            await asyncio.sleep(backoff)  # at least a turn for the others: a warm run may never suspend

    async def _collect(self) -> tuple[dict | None, list[Message]]:
        q = self.queues.store.get_queue(self.queue)
        if q is None:
            self.last_result = "PROBLEM: Queue does not exist"
            return None, []
        size = int(self.doc["BatchSize"])
        window = float(self.doc.get("MaximumBatchingWindowInSeconds") or 0)
        until = time.time() + window
        batch: list[Message] = []
        while len(batch) < size:
            left = until - time.time()
            if batch and left <= 0:
                break
            # the first message waits up to the idle wait (a long poll), the rest the window
            got = await self.queues.receive(self.queue, q, size - len(batch),
                                            wait_s=max(left, 0.0) if batch else max(left, IDLE_WAIT_S))
            if not got:
                break
            batch += got
        return q, batch

    async def _once(self, backoff: float) -> float:
        q, batch = await self._collect()
        if q is None:
            return MAX_BACKOFF_S
        if not batch:
            return 0.0
        records = [record(m, self.doc["EventSourceArn"], self.queues.region) for m in batch]
        payload = json.dumps({"Records": records}).encode()
        while len(payload) > MAX_PAYLOAD and len(batch) > 1:  # give back the tail, uncounted
            cut = max(1, len(batch) // 2)
            await self.queues.store.release(self.queue, [r["receiptHandle"] for r in records[cut:]])
            batch, records = batch[:cut], records[:cut]
            payload = json.dumps({"Records": records}).encode()
        receipts = {r["messageId"]: r["receiptHandle"] for r in records}
        self.stats["batches"] += 1
        self.in_flight += len(batch)
        try:
            failed = await self._invoke(payload, set(receipts))
        finally:
            self.in_flight -= len(batch)
        if failed in ("throttled", "unavailable"):
            self.stats[failed] += 1
            await self.queues.store.release(self.queue, list(receipts.values()))
            return min(MAX_BACKOFF_S, max(0.05, backoff * 2))
        done = [h for i, h in receipts.items() if i not in failed]
        if done:
            self.acker.add(self.queue, done)
        self.stats["succeeded"] += len(done)
        self.stats["failed"] += len(receipts) - len(done)
        return 0.0 if not failed else backoff

    async def _invoke(self, payload: bytes, ids: set[str]):
        """The ids that failed (all on a function error), or ``"throttled"`` /
        ``"unavailable"`` (the function cannot run now: the batch goes back uncounted)."""
        try:
            r = self.service.resolve(self.doc["FunctionArn"])
            res = await self.service.invoke(r, payload)
        except InvocationError as e:
            self.last_result = f"PROBLEM: Function call failed ({e.to_lambda().get('errorType')})"
            return ids
        except ApiError as e:
            if e.status == 429:
                self.last_result = "PROBLEM: Function throttled"
                return "throttled"
            self.last_result = f"PROBLEM: {e.message}"
            return "unavailable"  # (function deleted, payload too large…): hand the batch back, slow down
        except WasmhostError as e:
            self.last_result = f"PROBLEM: {e}"
            return "unavailable"
        self.last_result = "OK"
        if "ReportBatchItemFailures" not in (self.doc.get("FunctionResponseTypes") or []):
            return set()
        failed = failed_items(res.payload, ids)
        return ids if failed is None else failed
