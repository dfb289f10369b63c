"""The one error the bucket store raises: S3's code and HTTP status, no HTTP in it."""

from __future__ import annotations

from ..errors import WasmhostError

_STATUS = {"NoSuchBucket": 404, "NoSuchKey": 404, "NoSuchUpload": 404, "BucketAlreadyOwnedByYou": 409,
           "BucketNotEmpty": 409, "InvalidRange": 416, "PreconditionFailed": 412, "NotImplemented": 501,
           "AccessDenied": 403, "SignatureDoesNotMatch": 403, "MethodNotAllowed": 405,
           "InternalError": 500, "NoSuchConfiguration": 404}


class BucketError(WasmhostError):
    """``code`` is S3's error code; ``fields`` go into S3's error document
    (``BucketName``, ``Key``, ...)."""

    def __init__(self, code: str, message: str, status: int | None = None, **fields: str) -> None:
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields
        self.status = status if status is not None else _STATUS.get(code, 400)
