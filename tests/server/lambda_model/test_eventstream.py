"""The event-stream writer against botocore's own reader (and its CRC checks)."""

from botocore.eventstream import EventStreamBuffer

from wasmhost.server.lambda_model import eventstream


def test_messages_read_back_with_botocore():
    data = eventstream.message("PayloadChunk", b"\x00hello" * 100) \
        + eventstream.message("InvokeComplete", b'{"ErrorCode": "x"}', "application/json")
    buf = EventStreamBuffer()
    buf.add_data(data)
    got = [(m.headers[":event-type"], m.headers[":content-type"], m.headers[":message-type"], m.payload) for m in buf]
    assert got == [("PayloadChunk", "application/octet-stream", "event", b"\x00hello" * 100),
                   ("InvokeComplete", "application/json", "event", b'{"ErrorCode": "x"}')]


def test_a_flipped_byte_fails_botocores_checksum():
    data = bytearray(eventstream.message("PayloadChunk", b"abc"))
    data[-5] ^= 1
    buf = EventStreamBuffer()
    buf.add_data(bytes(data))
    try:
        list(buf)
    except Exception as e:
        assert "checksum" in type(e).__name__.lower() or "crc" in str(e).lower(), e
    else:
        raise AssertionError("a corrupt message was read")
