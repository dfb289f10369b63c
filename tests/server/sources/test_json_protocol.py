"""The JSON protocols' dispatcher (protocol.py): a backend that cannot take writes
now (a cluster without quorum) answers 503 with Retry-After, which SDKs retry; not a 500."""

from __future__ import annotations

import asyncio
import json

from wasmhost.backends.registry import Unavailable
from wasmhost.server.sources.protocol import JsonService


def test_an_unavailable_backend_is_a_503_the_sdks_retry():
    async def send(body: dict, ctx: dict) -> dict:
        raise Unavailable("the cluster engine (NATS JetStream) has no quorum")
    api = JsonService("AmazonSQS", "application/x-amz-json-1.0", "com.amazonaws.sqs", {"SendMessage": send})
    reply = asyncio.run(api.call("SendMessage", b"{}", {}))
    assert reply.status == 503 and reply.headers["Retry-After"] == "1"
    assert json.loads(reply.body)["__type"] == "com.amazonaws.sqs#ServiceUnavailable"
    assert reply.headers["x-amzn-query-error"] == "ServiceUnavailable;Receiver"
