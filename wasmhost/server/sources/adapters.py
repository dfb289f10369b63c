"""The one place the event sources touch the Lambda model's asynchronous path
(issue 10 is moving it into ``server/lambda_model/``: only this file follows)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ..errors import ApiError
from .protocol import AwsError

if TYPE_CHECKING:
    from ..lambda_model import Service
    from .sqs import Queues


async def invoke_async(service: Service, function_arn: str, payload: bytes, request_id: str | None = None) -> str:
    """Accept ``payload`` as an ``Event`` invocation of ``function_arn`` (a name,
    ARN or qualified ARN): durable when this returns, run by the async worker with
    the function's retries and destinations. Returns the request id (a cluster
    de-duplicates a second accept of the same id)."""
    request_id = request_id or str(uuid.uuid4())
    await service.aaccept_event(service.resolve(function_arn), payload, request_id)
    return request_id


class QueueDestinations:
    """SQS queues as Lambda destinations (``DestinationConfig.OnSuccess/OnFailure``):
    what the async worker calls to check and to send a destination record."""

    def __init__(self, queues: Queues) -> None:
        self.queues = queues

    def exists(self, arn: str) -> bool:
        name = self.queues.name_of_arn(arn)
        return name is not None and self.queues.store.get_queue(name) is not None

    def send(self, arn: str, body: str) -> None:
        try:
            self.queues.send_internal(arn, body)
        except AwsError as e:  # the queue is gone: the worker dead-letters the event instead
            raise ApiError(404, "ResourceNotFoundException", f"Destination {arn}: {e.message}") from None
