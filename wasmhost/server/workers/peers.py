"""``/metrics``, ``/wasmhost/logs`` and ``/wasmhost/sources`` for the whole server, from any worker.

Each worker listens on a local socket of its own (Linux's abstract namespace:
no file to clean up, no path-length limit, reachable from this machine only). The
worker a scrape lands on asks every other for its metrics text and merges them
with its own: counters and histograms add up; gauges of per-worker things (warm
instances) add up; gauges of shared state (pending events, queue depths, schedule
times) are read by every worker from the same files and are taken once (max).
Before answering ``/wasmhost/logs`` it asks the others to flush their ledgers
into the shared ``ledger.sqlite``, so a log is there as soon as its invocation
answered. A worker that does not answer within ``timeout_s`` (restarting) is
left out of that scrape; ``wasmhost_worker_up`` shows who answered."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from ..lambda_model import Service

log = logging.getLogger("wasmhost.workers")

SHARED_GAUGES = frozenset({"wasmhost_async_pending_events", "wasmhost_queue_messages",
                           "wasmhost_queue_dead_letter_messages", "wasmhost_schedule_last_fire_timestamp_seconds",
                           "wasmhost_schedule_next_fire_timestamp_seconds"})


def address(server_id: str, index: int) -> str:
    return f"\0wasmhost-{server_id}-{index}"


class Peers:
    """This worker's end: answers its siblings, and asks them."""

    def __init__(self, service: Service, server_id: str, index: int, count: int, timeout_s: float = 2.0) -> None:
        self.service, self.server_id, self.index, self.count = service, server_id, index, count
        self.timeout_s = timeout_s
        self._server: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.render: Callable[[], str] | None = None  # this worker's metrics text (app.py sets it)
        self.on_outbox: Callable[[], None] | None = None  # another worker wrote bucket notifications down
        self.sources_status: Callable[[], dict] | None = None  # this worker's /wasmhost/sources (sources/ sets it)

    # -- a source of run.serve: started with the server, stopped before the host closes
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_unix_server(self._answer, path=address(self.server_id, self.index))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            command = (await asyncio.wait_for(reader.readline(), self.timeout_s)).strip()
            if command == b"metrics":
                writer.write(self.own_metrics().encode())
            elif command == b"flush":
                await asyncio.get_running_loop().run_in_executor(None, self.service.host.ledger.flush)
                writer.write(b"ok")
            elif command == b"outbox" and self.on_outbox is not None:
                self.on_outbox()
            elif command == b"sources" and self.sources_status is not None:
                writer.write(json.dumps(self.sources_status()).encode())
            await writer.drain()
        except (asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    def own_metrics(self) -> str:
        self.service.sync()  # a function deleted through another worker has no series left here either
        text = self.render() if self.render is not None else ""
        labels = f'worker="{self.index}",pid="{os.getpid()}"'
        return (text + "# HELP wasmhost_worker_up A worker process that answered this scrape.\n"
                "# TYPE wasmhost_worker_up gauge\n"
                f"wasmhost_worker_up{{{labels}}} 1\n"
                "# HELP wasmhost_worker_invocations_total Invocations that ran, by worker process.\n"
                "# TYPE wasmhost_worker_invocations_total counter\n"
                f"wasmhost_worker_invocations_total{{{labels}}} {sum(self.service.metrics.invocations.values())}\n")

    # -- asking the others ----------------------------------------------------------
    async def _ask(self, index: int, command: bytes) -> bytes | None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:  # connected by hand: uvloop refuses an abstract address given as a path
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, address(self.server_id, index)),
                                   self.timeout_s)
            reader, writer = await asyncio.open_unix_connection(sock=sock)
        except (OSError, asyncio.TimeoutError):
            sock.close()
            return None  # restarting: left out
        try:
            writer.write(command + b"\n")
            return await asyncio.wait_for(reader.read(), self.timeout_s)
        except (OSError, asyncio.TimeoutError):
            return None
        finally:
            writer.close()

    async def _ask_all(self, command: bytes) -> list[bytes]:
        others = [i for i in range(self.count) if i != self.index]
        answers = await asyncio.gather(*(self._ask(i, command) for i in others))
        return [a for a in answers if a is not None]

    async def metrics(self) -> str:
        """The whole server's metrics text."""
        texts = [self.own_metrics()] + [a.decode() for a in await self._ask_all(b"metrics")]
        return merge(texts)

    def tell_outbox(self) -> None:
        """From any thread: bucket notifications were written down here; the worker
        that delivers them wakes at once instead of at its next poll (1 s)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: loop.create_task(self._ask_all(b"outbox")))

    async def sources(self, own: dict) -> dict:
        """The whole server's ``/wasmhost/sources``, ``own`` being this worker's."""
        docs = [own]
        for answer in await self._ask_all(b"sources"):
            try:
                docs.append(json.loads(answer))
            except ValueError:  # cut short (a worker stopping): left out
                continue
        return merge_sources(docs)

    async def flush(self) -> None:
        """Every worker's pending reports and logs written to the shared ledger."""
        await self._ask_all(b"flush")


PER_WORKER = {"mappings": ("inFlight", "batches", "succeeded", "failed", "throttled", "unavailable"),
              "schedules": ("fired", "delivered", "failed")}  # each worker's own counts; the rest is shared


def merge_sources(docs: list[dict]) -> dict:
    """``/wasmhost/sources`` of several workers as one: queues as the first saw them
    (shared files), each mapping's and schedule's counters summed by uuid or name."""
    out = dict(docs[0])
    for kind, fields in PER_WORKER.items():
        key = "uuid" if kind == "mappings" else "name"
        merged: dict[str, dict] = {}
        for doc in docs:
            for entry in doc.get(kind, []):
                seen = merged.get(entry[key])
                if seen is None:
                    merged[entry[key]] = dict(entry)
                    continue
                for field in fields:
                    if isinstance(entry.get(field), int):
                        seen[field] = seen.get(field, 0) + entry[field]
        out[kind] = list(merged.values())
    out["workers"] = len(docs)
    return out


def merge(texts: list[str]) -> str:
    """Prometheus texts of several workers as one: samples with the same name and
    labels summed (max for ``SHARED_GAUGES``), families in first-seen order."""
    families: dict[str, list[str]] = {}  # family -> its HELP/TYPE lines
    samples: dict[str, dict[str, float | int]] = {}  # family -> series -> value
    for text in texts:
        family = ""
        for line in text.splitlines():
            if not line:
                continue
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                    family = parts[2]
                    meta = families.setdefault(family, [])
                    if len(meta) < 2 and line not in meta:
                        meta.append(line)
                    samples.setdefault(family, {})
                continue
            series, _, raw = line.rpartition(" ")
            try:
                value: float | int = int(raw) if raw.lstrip("-").isdigit() else float(raw)
            except ValueError:  # not a sample line: left out rather than failing the scrape
                continue
            table = samples.setdefault(family, {})
            if series in table:
                table[series] = max(table[series], value) if family in SHARED_GAUGES else table[series] + value
            else:
                table[series] = value
    out = []
    for family, table in samples.items():
        out += families.get(family, [])
        out += [f"{series} {value if isinstance(value, int) else round(value, 6)}" for series, value in table.items()]
    return "\n".join(out) + "\n"
