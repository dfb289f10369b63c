"""IANA time zones in Node.js functions, against plain Node 20: Intl.DateTimeFormat and
toLocaleString with a timeZone (format and formatToParts over a matrix of options, zones,
links and instants either side of DST changes), V8's error for an unknown zone, and the
libraries built on them (date-fns-tz, dayjs's timezone plugin, luxon), as
js_libraries/timezones.js runs them. StarlingMonkey has no ICU: wasmhost carries the
IANA database (moment-timezone's packed build) in the bundle of a function whose code names
timeZone, and parses it only when a zone is named."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from wasmhost import FunctionConfig

HERE = Path(__file__).parent / "js_libraries"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (HERE / "node_modules" / "date-fns-tz").is_dir(),
    reason="needs node and `npm ci --prefix tests/runtimes/js_libraries` (scripts/setup runs it)")


def test_time_zones_format_as_on_node(js_host):
    script = "require('./timezones.js').handler().then((r) => console.log(JSON.stringify(r)))"
    want = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=120,
                                     cwd=HERE, env={"TZ": "UTC", "PATH": "/usr/bin:/bin:/usr/local/bin"}).stdout)
    js_host.deploy("zones", HERE, FunctionConfig(handler="timezones.handler", runtime="nodejs20.x", timeout_ms=30000,
                                               memory_mb=512))
    got = js_host.invoke("zones", {}).value
    for want_row, got_row in zip(want["intl"], got["intl"]):
        assert got_row == want_row
    assert got == want
    # what Node answers, so the comparison means something: New York's wall time moves with DST,
    # ICU's older spelling of Kolkata, V8's words for a zone that does not exist
    rows = {(row[0], json.dumps(row[2:4])) for row in want["intl"] if isinstance(row[0], str)}
    assert ("America/New_York", json.dumps(["Monday, January 15, 2024 at 7:34:56 AM EST",
                                            "Thursday, July 4, 2024 at 7:05:09 PM EDT"])) in rows
    assert ["Asia/Kolkata", "Asia/Calcutta"] in [row[:2] for row in want["intl"]]
    assert want["unknown"] == "RangeError: Invalid time zone specified: Mars/Olympus_Mons"
    assert want["luxon"][0] == "2024-03-10T01:30:00.000-05:00" and want["luxon"][3] is False


def test_only_a_function_naming_timezone_carries_the_database(js_host, tmp_path):
    """The database travels with the bundle of a function whose code names `timeZone` (a
    header line, ~1 ms of a cold start), not in the runtime's snapshot (2.4 MB more for every
    instance): a function that never names it has none, and a zone it gets from its event is
    V8's RangeError saying why."""
    from wasmhost.runtimes import javascript
    names = write_fn(tmp_path / "names", "exports.handler = async (e) => new Date(0).toLocaleString('en-US', "
                                          "{ timeZone: e.zone });\n")
    silent = write_fn(tmp_path / "silent", "exports.handler = async (e) => { try { return new Date(0).toLocaleString("
                                           "'en-US', e.options); } catch (x) { return `${x.name}: ${x.message}`; } };\n")
    carried = javascript.bundle(names, "index.handler", None, tmp_path / "cache")[0]
    assert f"\n{javascript.ZONES_MARK}" in carried or carried.startswith(javascript.ZONES_MARK)
    assert javascript.ZONES_MARK not in javascript.bundle(silent, "index.handler", None, tmp_path / "cache")[0]
    js_host.deploy("names", names, FunctionConfig(runtime="nodejs20.x"))
    assert js_host.invoke("names", {"zone": "Asia/Tokyo"}).value == "1/1/1970, 9:00:00 AM"
    js_host.deploy("silent", silent, FunctionConfig(runtime="nodejs20.x"))
    assert js_host.invoke("silent", {"options": {"timeZone": "Asia/Tokyo"}}).value == (
        "RangeError: Invalid time zone specified: Asia/Tokyo (wasmhost bundles the IANA time zone database into a "
        "function whose code names timeZone; this one's does not)")
    assert js_host.invoke("silent", {"options": {"timeZone": "UTC"}}).value == "1/1/1970, 12:00:00 AM"


def write_fn(root: Path, source: str) -> Path:
    root.mkdir(parents=True)
    (root / "index.js").write_text(source)
    return root
