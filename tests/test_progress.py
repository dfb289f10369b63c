"""Progress for slow steps: nothing for a quick one, a named bar on a terminal,
log lines elsewhere."""

import io
import re
import logging
import time

from wasmhost.progress import step


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_quick_step_shows_nothing(caplog):
    out = Tty()
    with caplog.at_level(logging.INFO, "wasmhost.progress"), step("quick", 5, stream=out, delay_s=0.5):
        pass
    assert out.getvalue() == "" and caplog.records == []


def test_slow_step_draws_a_named_bar_on_a_terminal(monkeypatch):
    monkeypatch.delenv("WASMHOST_PROGRESS", raising=False)
    out = Tty()
    with step("building the python runtime", 1, stream=out, delay_s=0.05):
        time.sleep(0.4)
    text = out.getvalue()
    assert "\r[" in text and "] building the python runtime  0." in text and "of ~1 s" in text
    assert re.search(r"\rbuilding the python runtime: done in \d\.\d s\x1b\[K\n$", text)


def test_slow_step_off_a_terminal_is_logged(caplog):
    out = io.StringIO()
    with caplog.at_level(logging.INFO, "wasmhost.progress"):
        try:
            with step("compiling", stream=out, delay_s=0.05):
                time.sleep(0.2)
                raise ValueError
        except ValueError:
            pass
    assert out.getvalue() == ""
    assert [r.getMessage() for r in caplog.records][0] == "compiling ..."
    assert caplog.records[1].getMessage().startswith("compiling: failed in 0.")


def test_bar_fills_towards_the_estimate_and_stops_short():
    s = step("x", 10)
    assert s.line(5).startswith("[" + "#" * 12 + " " * 12 + "] x  5.0 s of ~10 s")
    assert s.line(100).count("#") < 24
