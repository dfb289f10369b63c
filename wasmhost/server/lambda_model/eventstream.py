"""AWS's event-stream framing (``application/vnd.amazon.eventstream``), writing only:
what InvokeWithResponseStream answers with. botocore reads it (botocore.eventstream)
but writes none, and the one library that does (awscrt) is a native build of the whole
CRT for thirty lines, so it is written here.

A message: total length, headers' length (both uint32, big-endian), the CRC32 of those
eight bytes, the headers (name length byte, name, type byte 7 = string, uint16 value
length, value), the payload, then the CRC32 of everything before it."""

from __future__ import annotations

import struct
import zlib


def message(event_type: str, payload: bytes, content_type: str = "application/octet-stream") -> bytes:
    """One event of an event stream, as botocore's parser expects it."""
    headers = b"".join(_header(k, v) for k, v in ((":event-type", event_type), (":content-type", content_type),
                                                   (":message-type", "event")))
    prelude = struct.pack(">II", 16 + len(headers) + len(payload), len(headers))
    head = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + payload
    return head + struct.pack(">I", zlib.crc32(head))


def _header(name: str, value: str) -> bytes:
    n, v = name.encode(), value.encode()
    return struct.pack(">B", len(n)) + n + struct.pack(">BH", 7, len(v)) + v
