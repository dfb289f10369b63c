"""Lambda's error responses: ``x-amzn-ErrorType`` plus a JSON body botocore parses."""

from __future__ import annotations

import json
import logging
import uuid
from typing import TYPE_CHECKING

from .reply import Reply

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("wasmhost.server")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
                 **extra: object) -> None:
        """``extra``: modeled members of the error's body (``Reason``); ``headers``:
        more response headers (a throttle's ``Retry-After``)."""
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra
        self.headers = headers or {}

    def reply(self) -> Reply:
        body = {"Type": "User" if self.status < 500 else "Service", "message": self.message,
                "Message": self.message, **self.extra}
        return Reply(self.status, {"Content-Type": "application/json", "x-amzn-ErrorType": self.code,
                                   "x-amzn-RequestId": str(uuid.uuid4()), **self.headers}, json.dumps(body).encode())

    def response(self) -> web.Response:
        return self.reply().response()


def internal(exc: BaseException) -> ApiError:
    """An unexpected failure in the host: logged with an id the client also gets.
    A backend's refusals (a cluster engine without quorum, a concurrent write) are
    expected ones, with their own answers."""
    from ..backends.registry import Conflict, Unavailable
    if isinstance(exc, Unavailable):
        log.warning("refused while the backend is unavailable: %s", exc)
        return ApiError(503, "ServiceException", f"The service is unavailable: {exc}. Retry later.",
                        headers={"Retry-After": "1"})
    if isinstance(exc, Conflict):
        return ApiError(409, "ResourceConflictException", f"{exc}: read it again and retry")
    rid = str(uuid.uuid4())
    log.error("unhandled error, request %s", rid, exc_info=exc)
    return ApiError(500, "ServiceException", f"Internal error in the host (request {rid})")


def not_found(what: str) -> ApiError:
    return ApiError(404, "ResourceNotFoundException", what)


def invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidParameterValueException", message)


def validation(value: object, field: str, constraint: str) -> ApiError:
    return ApiError(400, "ValidationException",
                    f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}")
