"""Bucket notifications into the server's asynchronous invocation queue.

``deliver`` is the one adapter between buckets and Lambda's async path
(lambda_model's EventWorker, through ``Service.accept_event``).
The ``Notifier`` drains the bucket store's outbox into it: an outbox row is
deleted only after the async queue has written the event down, so an upload is
delivered at least once through any crash, and the async queue's retries,
destinations and dead letters apply as to any ``Event`` invocation."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING

from ...buckets import Buckets, Watcher
from ...errors import WasmhostError
from ..errors import ApiError

if TYPE_CHECKING:
    from ..lambda_model import Service

log = logging.getLogger("wasmhost.s3")


def deliver(service: Service, function_arn: str, payload: bytes) -> None:
    """Accept an S3 event for asynchronous invocation of ``function_arn``. Durable
    when this returns."""
    r = service.resolve(function_arn)
    service.accept_event(r, payload, str(uuid.uuid4()))


def function_exists(service: Service, function_arn: str) -> bool:
    try:
        service.resolve(function_arn, route=False)
        return True
    except (ApiError, WasmhostError):
        return False


class Notifier:
    """Runs on the server's event loop: the watcher over external directories, and
    the outbox drained into the async queue."""

    def __init__(self, service: Service, store: Buckets, watcher: Watcher | None = None) -> None:
        self.service, self.store, self.watcher = service, store, watcher
        self.delivered = 0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.store.on_outbox = self._poke
        self._task = self._loop.create_task(self._run())
        if self.watcher is not None:
            self.watcher.start()

    def _poke(self) -> None:  # from any thread
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return
        try:
            if asyncio.get_running_loop() is loop:
                wake.set()
                return
        except RuntimeError:
            pass
        loop.call_soon_threadsafe(wake.set)

    async def stop(self) -> None:
        if self.watcher is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.watcher.stop)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            rows = self.store.pending()
            done = []
            for oid, arn, payload in rows:
                try:
                    deliver(self.service, arn, payload)
                except ApiError as e:
                    if e.status == 404:  # the function was deleted: S3 drops such events too
                        log.warning("bucket notification for %s dropped: %s", arn, e.message)
                    else:
                        log.error("bucket notification for %s not accepted (%s): kept for retry", arn, e.message)
                        continue
                except Exception:  # a bug or a full disk must not stop the deliveries for good
                    log.exception("bucket notification for %s not accepted: kept for retry", arn)
                    continue
                done.append(oid)
            if done:
                self.store.delivered(done)
                self.delivered += len(done)
            if len(rows) == len(done) and rows:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), 1.0 if not rows else 5.0)
            except asyncio.TimeoutError:
                pass
