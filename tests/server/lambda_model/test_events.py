"""The event worker (wasmhost/server/lambda_model/events.py) against a stand-in
service: what it does with a function the registry has but this node's routes do not
yet (a cluster node whose change notice from another node's write is still on the way)."""

import asyncio
import time
from types import SimpleNamespace

from wasmhost.server.errors import not_found
from wasmhost.server.lambda_model.events import EventWorker


class Registry:
    def __init__(self):
        self.finished, self.dead, self.retried = [], [], []

    def get_function(self, name):
        return {"FunctionName": name}

    def finish_event(self, event_id):
        self.finished.append(event_id)

    def dead_letter(self, event, attempts, error):
        self.dead.append((attempts, error))

    def retry_event(self, event_id, attempts, delay, error):
        self.retried.append((attempts, error))


class Service:
    """Routes behind the registry until caught up (or for good: ``catches_up=False``)."""

    def __init__(self, catches_up=True):
        self.registry, self.catches_up, self.routed = Registry(), catches_up, False
        self.host = SimpleNamespace(ledger=SimpleNamespace(flush=lambda: None))

    def event_invoke_config(self, doc, qualifier):
        return {"MaximumRetryAttempts": 1}

    def catch_up(self):
        self.routed = self.catches_up

    def resolve(self, name, qualifier=None):
        if not self.routed:
            raise not_found(f"Function not found: {name}")
        return SimpleNamespace(name=name, version="$LATEST")

    async def invoke(self, r, payload, request_id):
        return SimpleNamespace(payload=b"1")


def _event():
    return {"id": 7, "attempts": 0, "function": "fresh", "qualifier": None, "payload": b"{}",
            "request_id": "r-1", "created_at": time.time()}


def test_a_function_this_node_has_not_caught_up_with_runs_after_catching_up():
    s = Service()
    asyncio.run(EventWorker(s, 0.01)._run(_event()))
    assert s.registry.finished == [7] and s.registry.dead == [] and s.registry.retried == []


def test_a_function_missing_after_catching_up_is_still_not_found():
    s = Service(catches_up=False)
    asyncio.run(EventWorker(s, 0.01)._run(_event()))
    assert s.registry.finished == [] and [a for a, _ in s.registry.dead] == [1]
    assert "ResourceNotFoundException" in s.registry.dead[0][1]
