"""Lambda's error responses: ``x-amzn-ErrorType`` plus a JSON body botocore parses."""

from __future__ import annotations

import json
import uuid

from aiohttp import web


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self, headers: dict[str, str] | None = None) -> web.Response:
        body = {"Type": "User" if self.status < 500 else "Service", "message": self.message,
                "Message": self.message, **self.extra}
        hdrs = {"x-amzn-ErrorType": self.code, "x-amzn-RequestId": str(uuid.uuid4()), **(headers or {})}
        return web.Response(status=self.status, body=json.dumps(body).encode(), headers=hdrs,
                            content_type="application/json")


def not_found(what: str) -> ApiError:
    return ApiError(404, "ResourceNotFoundException", what)


def invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidParameterValueException", message)


def validation(value: object, field: str, constraint: str) -> ApiError:
    return ApiError(400, "ValidationException",
                    f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}")
