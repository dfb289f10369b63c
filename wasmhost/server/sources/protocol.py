"""AWS's JSON protocols over ``POST /`` with ``X-Amz-Target: <prefix>.<Operation>``
(SQS: JSON 1.0, EventBridge: JSON 1.1): one dispatcher, errors as botocore parses
them (``__type``; for SQS also ``x-amzn-query-error``, which keeps the codes of
SQS's older query protocol, e.g. ``AWS.SimpleQueueService.NonExistentQueue``,
while ``client.exceptions.QueueDoesNotExist`` still matches)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from ...backends.registry import Unavailable
from ..reply import Reply

Handler = Callable[[dict, dict], Awaitable[dict | None]]  # (body, request context) -> output


class AwsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, query_code: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.query_code = code, message, status, query_code


def missing(name: str) -> AwsError:
    return AwsError("MissingParameter", f"The request must contain the parameter {name}.",
                    query_code="MissingParameter")


def _shape_error(key: str, expected: str) -> AwsError:
    return AwsError("SerializationException", f"{key} must be {expected}")


def string(body: dict, key: str) -> str | None:
    """``body[key]`` if it is a string (None when absent), else a 400."""
    v = body.get(key)
    if v is not None and not isinstance(v, str):
        raise _shape_error(key, "a string")
    return v


def strings(body: dict, key: str) -> list[str]:
    v = body.get(key)
    if v is None:
        return []
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _shape_error(key, "a list of strings")
    return v


def string_map(body: dict, key: str) -> dict[str, str]:
    v = body.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
        raise _shape_error(key, "a map of strings")
    return v


class JsonService:
    """The operations of one service, by name."""

    def __init__(self, prefix: str, content_type: str, namespace: str, operations: dict[str, Handler]) -> None:
        self.prefix, self.content_type, self.namespace, self.operations = prefix, content_type, namespace, operations

    def _reply(self, status: int, data: Any, extra: dict[str, str] | None = None) -> Reply:
        return Reply(status, {"Content-Type": self.content_type, "x-amzn-RequestId": str(uuid.uuid4()),
                              **(extra or {})}, json.dumps(data).encode())

    def error(self, e: AwsError) -> Reply:
        headers = {"x-amzn-query-error": f"{e.query_code};{'Sender' if e.status < 500 else 'Receiver'}"} \
            if e.query_code else {}
        if e.status == 503:
            headers["Retry-After"] = "1"
        return self._reply(e.status, {"__type": f"{self.namespace}#{e.code}", "message": e.message}, headers)

    async def call(self, operation: str, raw: bytes, context: dict) -> Reply:
        handler = self.operations.get(operation)
        try:
            if handler is None:
                raise AwsError("UnknownOperationException", f"Operation {operation} is not supported by this host",
                               query_code="InvalidAction")
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError as e:
                raise AwsError("SerializationException", f"Could not parse the request body as JSON: {e}") from None
            if not isinstance(body, dict):
                raise AwsError("SerializationException", "The request body must be a JSON object")
            out = await handler(body, context)
        except AwsError as e:
            return self.error(e)
        except Unavailable as e:  # a cluster's engine without quorum: SDKs retry a 503
            return self.error(AwsError("ServiceUnavailable", f"The service is unavailable: {e}. Retry later.",
                                       503, "ServiceUnavailable"))
        return self._reply(200, out or {})
