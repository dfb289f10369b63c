"""Schedule expressions: AWS's rate() and six-field cron() (no server)."""

import datetime as dt

import pytest

from wasmhost.server.sources.expressions import BadExpression, Cron, Rate, parse


def at(*args):
    return dt.datetime(*args, tzinfo=dt.timezone.utc).timestamp()


def test_rates_follow_aws_grammar():
    assert parse("rate(1 minute)") == Rate(60)
    assert parse("rate(5 minutes)") == Rate(300)
    assert parse("rate(2 hours)") == Rate(7200) and parse("rate(1 day)") == Rate(86400)
    for bad in ("rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(5 weeks)", "rate(-1 minute)",
                "rate(1 second)", "every minute", "", None):
        with pytest.raises(BadExpression):
            parse(bad)
    assert parse("rate(3 seconds)", seconds=True) == Rate(3)  # the non-AWS test setting


def test_rate_ticks_keep_their_phase_and_skip_what_passed():
    r = Rate(60)
    assert r.next_after(100.0, anchor=100.0) == 160.0
    assert r.next_after(159.9, anchor=100.0) == 160.0
    assert r.next_after(160.0, anchor=100.0) == 220.0  # strictly after: a tick never repeats
    assert r.next_after(1000.0, anchor=100.0) == 1060.0  # ticks missed meanwhile are not replayed


@pytest.mark.parametrize("fields, after, expected", [
    ("0/15 * * * ? *", at(2026, 11, 30, 5, 37), at(2026, 11, 30, 5, 45)),
    ("0 12 L * ? *", at(2026, 2, 3), at(2026, 2, 28, 12)),  # L: the last day of the month
    ("0 9 15W * ? *", at(2026, 8, 1), at(2026, 8, 14, 9)),  # W: Aug 15 2026 is a Saturday
    ("0 9 ? * 3#2 *", at(2026, 12, 1), at(2026, 12, 8, 9)),  # the second Tuesday (1 = Sunday)
    ("0 10 ? * 6L *", at(2026, 11, 1), at(2026, 11, 27, 10)),  # the last Friday
    ("15 10 ? * MON-FRI 2027", at(2026, 11, 30), at(2027, 1, 1, 10, 15)),  # years
    ("0 0 29 2 ? *", at(2026, 3, 1), at(2028, 2, 29)),
    ("0 8 1 JAN ? *", at(2026, 1, 1, 8), at(2027, 1, 1, 8)),  # strictly after
])
def test_cron_next_times(fields, after, expected):
    c = parse(f"cron({fields})")
    assert isinstance(c, Cron) and c.next_after(after) == expected


def test_cron_past_years_end_and_bad_fields_are_refused():
    assert parse("cron(0 0 1 1 ? 2025)").next_after(at(2026, 1, 1)) is None
    for bad in ("cron(0 0 * * * *)", "cron(61 * * * ? *)", "cron(0 0 ? * 8 *)", "cron(0 0 32 * ? *)",
                "cron(0 0 * *)", "cron(0 8 LW * ? *)", "cron()"):
        with pytest.raises(BadExpression):
            parse(bad)
