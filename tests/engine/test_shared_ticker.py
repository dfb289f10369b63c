"""Hosts in one process share one engine and one epoch ticker (engine/shared.py):
closing one Host must leave the ticker running for the others' timeouts."""

from guestlib import guest

from wasmhost import FunctionConfig, Host, InvocationTimeout


def test_closing_one_host_leaves_the_shared_ticker_to_the_others(tmp_path):
    first = Host(tmp_path / "a")
    second = Host(tmp_path / "b")
    try:
        assert first.ticker is second.ticker and first.engine is second.engine
        first.deploy("spin", guest("spin"), FunctionConfig(timeout_ms=100))
        first.close()
        second.deploy("spin", guest("spin"), FunctionConfig(timeout_ms=100))
        for _ in range(3):  # a spinning guest still stops at its timeout, every time
            try:
                second.invoke("spin", b"")
                raise AssertionError("a spinning guest returned")
            except InvocationTimeout as e:
                assert e.report is not None and 95 <= e.report.duration_ms < 5000
    finally:
        second.close()
