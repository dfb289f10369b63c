"""WASI command modules: event on stdin, result on stdout, stderr to the log."""

import pytest

from guestlib import guest
from wasmhost import FunctionConfig, FunctionError, InvocationTimeout


def test_command_roundtrip(host):
    info = host.deploy("cmd", guest("cmd"))
    assert info.kind == "wasi_command"
    res = host.invoke("cmd", b"hello")
    assert res.payload == b"cmd:hello"
    assert res.logs == "stderr line\n"
    assert res.report.cold and res.report.fuel_used > 0
    big = b"b" * 100_000
    assert host.invoke("cmd", big).payload == b"cmd:" + big
    assert host.invoke("cmd", b"").payload == b"cmd:"


def test_nonzero_exit_is_a_function_error(host):
    host.deploy("cmd", guest("cmd"))
    with pytest.raises(FunctionError) as e:
        host.invoke("cmd", b"exit3")
    assert e.value.error_type == "Runtime.ExitError"
    assert "exit status 3" in e.value.error_message and "stderr line" in e.value.error_message
    assert e.value.report.status == "error"
    assert host.invoke("cmd", b"fine").payload == b"cmd:fine"


def test_command_timeout(host):
    src = b"""(module (memory (export "memory") 1)
        (func (export "_start") (loop $l (br $l))))"""
    host.deploy("loop", src, FunctionConfig(timeout_ms=50))
    with pytest.raises(InvocationTimeout):
        host.invoke("loop", b"")
    assert host.function("loop").busy == 0


def test_stdout_beyond_the_response_limit(tmp_path):
    from wasmhost import Host, InvalidResult
    with Host(tmp_path, max_response=10) as h:
        h.deploy("cmd", guest("cmd"))
        with pytest.raises(InvalidResult, match="10-byte result limit"):
            h.invoke("cmd", b"x" * 20)
        assert h.invoke("cmd", b"ok").payload == b"cmd:ok"
