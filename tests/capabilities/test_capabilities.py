"""The wasmhost imports: log, context, remaining_ms, error."""

import msgpack
import pytest

from guestlib import guest
from wasmhost import FunctionConfig, FunctionError


def test_log_lines_are_captured_per_invocation(host):
    host.deploy("h", guest("host_imports"))
    res = host.invoke("h", b"log")
    assert res.payload == b"ok"
    assert res.logs == "first line\nsecond line\n"
    assert host.invoke("h", b"remaining").logs == ""  # the next invocation starts clean


def test_context_map(host):
    host.deploy("h", guest("host_imports"), FunctionConfig(memory_mb=64, timeout_ms=1500, env={"STAGE": "test"}))
    res = host.invoke("h", b"context")
    ctx = msgpack.unpackb(res.payload)
    assert ctx["request_id"] == res.report.request_id
    assert ctx["function_name"] == "h" and ctx["function_version"] == "$LATEST"
    assert ctx["memory_limit_in_mb"] == 64 and ctx["env"] == {"STAGE": "test"}
    start_ms = res.report.started_at * 1000
    assert abs(ctx["deadline_ms"] - (start_ms + 1500)) < 50


def test_remaining_ms(host):
    host.deploy("h", guest("host_imports"), FunctionConfig(timeout_ms=2000))
    left = int.from_bytes(host.invoke("h", b"remaining").payload, "little")
    assert 1500 < left <= 2000


def test_guest_error_is_lambda_style_and_keeps_the_instance(host):
    host.deploy("h", guest("host_imports"))
    host.invoke("h", b"log")
    with pytest.raises(FunctionError) as e:
        host.invoke("h", b"fail")
    err = e.value
    assert err.to_lambda() == {"errorType": "ValidationError", "errorMessage": "event was rejected"}
    assert err.payload == b'{"errorType": "ValidationError", "errorMessage": "event was rejected"}'
    assert err.report.status == "error" and err.report.error_type == "ValidationError"
    assert host.function("h").warm == 1  # a function error is not a trap: the instance stays
    assert host.invoke("h", b"log").payload == b"ok"


def test_import_called_with_a_bad_buffer_fails_only_that_invocation(host):
    from wasmhost import InvalidResult
    host.deploy("badlog", b"""(module
        (import "wasmhost" "log" (func $log (param i32 i32)))
        (memory (export "memory") 1)
        (func (export "wasmhost_alloc") (param i32) (result i32) i32.const 1024)
        (func (export "wasmhost_handle") (param i32 i32) (result i64)
            (call $log (i32.const 65000) (i32.const 100000)) (i64.const 0)))""")
    host.deploy("echo", guest("echo"))
    with pytest.raises(InvalidResult, match="out-of-bounds buffer"):
        host.invoke("badlog", b"")
    assert host.invoke("echo", b"fine").payload == b"fine"
    with pytest.raises(InvalidResult):  # and again: nothing stale left behind
        host.invoke("badlog", b"")
