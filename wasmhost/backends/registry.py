"""The registry and async-event interfaces the Lambda front end keeps its state
behind. ``server/lambda_model/store.py`` (SQLite in the data dir, code under
``code/<sha256>``) is the embedded default; ``backends/nats`` implements the same
methods on NATS JetStream for a cluster (a KV bucket, an object store, a work-queue
stream).

Records are JSON documents the front end owns; a backend only keeps them. Reads
come from an in-memory mirror (they are on the invocation path); writes are
durable once they return. A cluster backend refuses a write made against a stale
read (``Conflict``: compare-and-swap on the record's revision, which Lambda's
``RevisionId`` relies on) and any write while its engine has no quorum
(``Unavailable``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ..errors import WasmhostError


class Unavailable(WasmhostError):
    """The backend cannot take writes now (a cluster engine without quorum): retry later."""


class Conflict(WasmhostError):
    """Another writer changed the record since it was read: read it again and retry."""


class DocumentRecords:
    """The registry's per-record methods, written once over four primitives each
    backend supplies: ``_put``, ``_get``, ``_list`` (one function's or layer's records;
    ``None``: the whole table) and ``_delete``, each on a table and the record's key.
    ``delete_function`` stays with the backend (it removes versions and aliases too)."""

    def _put(self, table: str, key: tuple, doc: dict) -> None:
        raise NotImplementedError

    def _get(self, table: str, key: tuple) -> dict | None:
        raise NotImplementedError

    def _list(self, table: str, name: str | None) -> list[dict]:
        raise NotImplementedError

    def _delete(self, table: str, key: tuple) -> None:
        raise NotImplementedError

    def put_function(self, name: str, doc: dict) -> None:
        self._put("functions", (name,), doc)

    def get_function(self, name: str) -> dict | None:
        return self._get("functions", (name,))

    def list_functions(self) -> list[dict]:
        return self._list("functions", None)

    def put_version(self, name: str, version: int, doc: dict) -> None:
        self._put("versions", (name, version), doc)

    def get_version(self, name: str, version: int) -> dict | None:
        return self._get("versions", (name, version))

    def list_versions(self, name: str) -> list[dict]:
        return self._list("versions", name)

    def delete_version(self, name: str, version: int) -> None:
        self._delete("versions", (name, version))

    def put_alias(self, name: str, alias: str, doc: dict) -> None:
        self._put("aliases", (name, alias), doc)

    def get_alias(self, name: str, alias: str) -> dict | None:
        return self._get("aliases", (name, alias))

    def list_aliases(self, name: str) -> list[dict]:
        return self._list("aliases", name)

    def delete_alias(self, name: str, alias: str) -> None:
        self._delete("aliases", (name, alias))

    def put_layer(self, name: str, version: int, doc: dict) -> None:
        self._put("layers", (name, version), doc)

    def get_layer(self, name: str, version: int) -> dict | None:
        return self._get("layers", (name, version))

    def list_layers(self, name: str | None = None) -> list[dict]:
        """One layer's versions, or every layer's, oldest first."""
        return self._list("layers", name)

    def delete_layer(self, name: str, version: int) -> None:
        self._delete("layers", (name, version))


class RegistryStore(Protocol):
    """Functions, versions, aliases and layers (JSON documents) and code by sha256."""

    dir: Path  # this node's data directory (event sources keep their own files there)

    def put_code(self, data: bytes) -> str:
        """Store code by its sha256 (idempotent); returns the hex digest."""
    def code_path(self, sha: str) -> Path:
        """A local file holding the code (a cluster backend fetches it on first use)."""
    def layer_path(self, name: str, version: int) -> Path: ...

    def put_function(self, name: str, doc: dict) -> None: ...
    def get_function(self, name: str) -> dict | None: ...
    def list_functions(self) -> list[dict]: ...
    def delete_function(self, name: str) -> None:
        """The function with its versions and aliases."""

    def put_version(self, name: str, version: int, doc: dict) -> None: ...
    def get_version(self, name: str, version: int) -> dict | None: ...
    def list_versions(self, name: str) -> list[dict]: ...
    def delete_version(self, name: str, version: int) -> None: ...

    def put_alias(self, name: str, alias: str, doc: dict) -> None: ...
    def get_alias(self, name: str, alias: str) -> dict | None: ...
    def list_aliases(self, name: str) -> list[dict]: ...
    def delete_alias(self, name: str, alias: str) -> None: ...

    def put_layer(self, name: str, version: int, doc: dict) -> None: ...
    def get_layer(self, name: str, version: int) -> dict | None: ...
    def list_layers(self, name: str | None = None) -> list[dict]: ...
    def delete_layer(self, name: str, version: int) -> None: ...

    def changed(self) -> bool:
        """Whether another process wrote since the last call (the caller reads again and
        redeploys); a backend that applies other writers' changes itself (a cluster's
        watch) answers False."""
    def close(self) -> None: ...


class EventQueue(Protocol):
    """Accepted asynchronous invocations (Lambda's ``Event``), run at least once.

    An event is a dict with ``id``, ``function``, ``qualifier``, ``payload``,
    ``request_id``, ``attempts`` and ``created_at``; the worker that ran it settles
    it with exactly one of ``retry_event``, ``finish_event`` or ``dead_letter``."""

    def enqueue(self, function: str, qualifier: str | None, payload: bytes, request_id: str,
                delay_s: float = 0.0) -> Any:
        """Durable once this returns: only then may the caller answer 202."""
    def due_events(self, limit: int = 64) -> list[dict[str, Any]]: ...
    def next_event_at(self) -> float | None: ...
    def retry_event(self, event_id: Any, attempts: int, delay_s: float, error: str) -> None:
        """Run it again after ``delay_s``; ``attempts`` unchanged for a throttle (not an attempt)."""
    def finish_event(self, event_id: Any) -> None: ...
    def dead_letter(self, event: dict, attempts: int, error: str) -> Any: ...
    def dead_letters(self, function: str | None = None) -> list[dict[str, Any]]: ...
    def replay_dead_letter(self, dl_id: int) -> Any: ...
    def pending_events(self) -> int: ...


class Store(RegistryStore, EventQueue, Protocol):
    """What ``Service`` is given: both, as the SQLite ``Registry`` provides them in one file."""
