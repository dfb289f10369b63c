"""Smoke test of the benchmark suite: quick mode on one guest kind, checked against
bench/schema.json and for sane numbers; the comparison flags a regression."""

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))


@pytest.fixture(scope="module")
def result():
    import suite
    return suite.run(quick=True, kinds=["wat"], http=False, quiet=True)


def test_quick_run_matches_the_schema(result):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra (.ci/run installs it)")
    jsonschema.validate(json.loads(json.dumps(result)), json.loads((BENCH / "schema.json").read_text()))


def test_numbers_are_sane(result):
    tiers = result["kinds"]["wat"]
    for name, v in [*tiers.items(), *result["peers"].items()]:
        assert 0 < v["p50_us"] <= v["p90_us"] <= v["p99_us"] <= v["max_us"], name
        assert len(v["repeat_p50_us"]) == result["settings"]["repeats"] or v["n"] < 5
    assert tiers["compile"]["p50_us"] >= tiers["load_cached"]["p50_us"]
    assert tiers["first_invoke"]["p50_us"] > tiers["warm_invoke"]["p50_us"]
    assert tiers["strict_invoke"]["p50_us"] > tiers["warm_invoke"]["p50_us"]
    assert result["peers"]["naive_wasmtime_py"]["p50_us"] > tiers["warm_invoke"]["p50_us"]
    # the floor calls the C API through ctypes: the ctypes path cannot beat it, the one-C-call
    # path (engine/_warmcall.c, where it was built) does
    from wasmhost.abi import core
    ratio = result["ratios"]["wat.warm_invoke/raw_c_api_floor"]
    assert ratio > 1 if core._WarmCall is None else 0 < ratio
    # the HTTP tier (with workerd) was not run: reported, never dropped in silence
    assert any("workerd" in m["peer"] for m in result["missing"]) or "http" in result


def test_report_and_compare(result, tmp_path):
    import report
    charts = report.charts(result, tmp_path)
    text = report.markdown(result, charts)
    assert "| wat |" in text and "naive_wasmtime_py" in text
    for png in charts.values():
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    slower = json.loads(json.dumps(result))
    slower["kinds"]["wat"]["warm_invoke"]["p50_us"] *= 1.5
    table, regressions = report.compare(result, slower)
    assert regressions == 1 and "kinds.wat.warm_invoke" in table and "+50.0%" in table
    assert report.compare(result, result)[1] == 0


def test_cli_compare_exit_status(result, tmp_path, capsys):
    from wasmhost.cli import main
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(result))
    slower = json.loads(json.dumps(result))
    slower["kinds"]["wat"]["strict_invoke"]["p50_us"] *= 2
    new.write_text(json.dumps(slower))
    assert main(["bench", "--compare", str(old), str(new)]) == 1  # a regression fails a CI step
    assert "kinds.wat.strict_invoke" in capsys.readouterr().out
    assert main(["bench", "--compare", str(old), str(old)]) == 0
