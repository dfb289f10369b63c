"""The one place the event sources touch the Lambda model's asynchronous path
(issue 10 is moving it into ``server/lambda_model/``: only this file follows)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..service import Service


def invoke_async(service: Service, function_arn: str, payload: bytes) -> str:
    """Accept ``payload`` as an ``Event`` invocation of ``function_arn`` (a name,
    ARN or qualified ARN): durable when this returns, run by the async worker with
    the function's retries and destinations. Returns the request id."""
    request_id = str(uuid.uuid4())
    service.accept_event(service.resolve(function_arn), payload, request_id)
    return request_id
