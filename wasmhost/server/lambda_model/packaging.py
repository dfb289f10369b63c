"""Deployment packages: the zip (or bare ``.wasm``) a client uploads, checked as
Lambda checks it (sizes zipped and unzipped), plus our own check that no member
would land outside the folder it is unpacked into."""

from __future__ import annotations

import base64
import calendar
import binascii
import hashlib
import io
import os
import zipfile
from pathlib import Path
from typing import Callable

from ..errors import ApiError, invalid

MAX_ZIP = 50 * 1024 * 1024
MAX_UNZIPPED = 262_144_000
BAD_ZIP = "Could not unzip uploaded file. Please check your file, then try to upload again."


def is_source_runtime(runtime: str) -> bool:
    """Python and Node.js functions arrive as a zip of sources, not as a module."""
    return runtime.startswith(("python", "nodejs"))


def b64(value: object, member: str = "ZipFile") -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise invalid(f"{member} must be base64-encoded bytes")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"{member} must be base64-encoded bytes") from None


S3_LOCATION = ("S3Bucket", "S3Key", "S3ObjectVersion")


def zip_of(code: dict, read_object: Callable[[str, str, str | None], bytes] | None, member: str) -> bytes:
    """The zip a request names: in itself (``ZipFile``) or, as SAM, the Serverless
    Framework, CDK and Terraform deploy, an object in the server's own buckets
    (``S3Bucket``/``S3Key``; ``read_object`` is None where the server has none)."""
    s3 = {k: code[k] for k in S3_LOCATION if code.get(k)}
    if code.get("ZipFile") is not None:
        if s3:
            raise invalid(f"Please provide either {member}ZipFile or an S3 location ({member}S3Bucket and "
                          f"{member}S3Key), not both")
        return b64(code["ZipFile"], member + "ZipFile")
    if not s3:
        raise invalid(f"Please provide a source for the code: {member}ZipFile, or {member}S3Bucket and {member}S3Key")
    if not (s3.get("S3Bucket") and s3.get("S3Key")):
        raise invalid(f"{member}S3Bucket and {member}S3Key go together")
    if read_object is None:
        raise invalid("Code in S3 is read from this server's own buckets, which this server does not serve: "
                      "send ZipFile instead")
    return read_object(s3["S3Bucket"], s3["S3Key"], s3.get("S3ObjectVersion"))


def sha256_b64(data: bytes) -> str:
    """Lambda's ``CodeSha256``: base64, not hex."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def open_zip(data: bytes) -> zipfile.ZipFile:
    if len(data) > MAX_ZIP:
        raise ApiError(413, "RequestEntityTooLargeException", f"Zipped size must be smaller than {MAX_ZIP} bytes")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError):
        raise invalid(BAD_ZIP) from None
    if sum(i.file_size for i in infos) > MAX_UNZIPPED:
        raise invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
    if any(n.startswith("/") or "\\" in n or ".." in n.split("/") for n in zf.namelist()):
        raise invalid("The zip file has paths outside its root")
    return zf


def check_zip(data: bytes) -> None:
    open_zip(data).close()


def extract(data: bytes, target: Path) -> None:
    """Unpack a checked zip, each file with its time in the zip (as Lambda's /var/task
    has them: Express's Last-Modified and ETag, ``fs.statSync``, ``os.path.getmtime``);
    a member that fails to decompress is Lambda's bad-zip error."""
    with open_zip(data) as zf:
        try:
            placed = [(zf.extract(info, target), info.date_time) for info in zf.infolist()]
        except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, zipfile.LargeZipFile):
            raise invalid(BAD_ZIP) from None
    for path, when in reversed(placed):  # a folder after what is in it: making those changed its time
        try:
            t = calendar.timegm((*when, 0, 0, 0))  # the zip's local time, read as UTC (Lambda's TZ)
            os.utime(path, (t, t))
        except (OSError, ValueError, OverflowError):
            pass  # a time the file system cannot hold: the file stays, with the time it has


def code_from_zip(data: bytes, runtime: str, handler: str | None) -> bytes:
    """What to store: the module for Wasm runtimes (a bare ``.wasm`` is accepted as
    the "zip"), the checked zip itself for Python and Node.js."""
    if is_source_runtime(runtime):
        check_zip(data)
        return data
    if data[:4] == b"\0asm":
        return data
    with open_zip(data) as zf:
        names = zf.namelist()
        if handler and handler in names:
            member = handler
        else:
            wasm = [n for n in names if n.endswith(".wasm")]
            if handler or len(wasm) != 1:
                raise invalid(f"The handler '{handler}' names no .wasm file in the zip (it has: "
                              f"{', '.join(names[:20]) or 'nothing'})")
            member = wasm[0]
        try:
            return zf.read(member)
        except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError):
            raise invalid(BAD_ZIP) from None
