"""EventBridge schedule expressions: ``rate(N unit)`` and ``cron(…)`` in AWS's
six-field syntax (minutes hours day-of-month month day-of-week year, UTC; ``?``,
``L``, ``W``, ``#``, names, years 1970–2199). The cron arithmetic is aws-croniter's
(a PyPI package written for exactly this syntax, with AWS's field rules); we check
every expression once more by asking it for a next time, so that what it accepts
but cannot compute (``LW``) is refused at ``PutRule``, not at the first tick.

Non-AWS: with ``seconds=True`` (``WASMHOST_SCHEDULE_SECONDS=1``) ``rate(N second[s])``
is accepted too, for tests and demos that cannot wait a minute."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

UNITS = {"minute": 60, "hour": 3600, "day": 86400, "second": 1}
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days|second|seconds)\)")
_CRON = re.compile(r"cron\((.+)\)")


class BadExpression(ValueError):
    pass


@dataclass(frozen=True)
class Rate:
    period_s: int

    def next_after(self, t: float, anchor: float) -> float:
        """The first tick ``anchor + k * period`` (k ≥ 1) after ``t``."""
        k = max(1, int((t - anchor) // self.period_s) + 1)
        return anchor + k * self.period_s


@dataclass(frozen=True)
class Cron:
    fields: str

    def next_after(self, t: float, anchor: float = 0.0) -> float | None:
        from aws_croniter import AwsCroniter
        start = dt.datetime.fromtimestamp(t, dt.timezone.utc)
        (nxt,) = AwsCroniter(self.fields).get_next(start)
        return None if nxt is None else nxt.timestamp()


def parse(expr: object, seconds: bool = False) -> Rate | Cron:
    if not isinstance(expr, str):
        raise BadExpression("Parameter ScheduleExpression is not valid.")
    m = _RATE.fullmatch(expr.strip())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if unit.startswith("second") and not seconds:
            raise BadExpression("Parameter ScheduleExpression is not valid. (rate(N seconds) is a non-AWS setting: "
                                "start the server with WASMHOST_SCHEDULE_SECONDS=1)")
        if n < 1 or (n == 1) != (not unit.endswith("s")):  # AWS: "1 minute", "5 minutes"
            raise BadExpression("Parameter ScheduleExpression is not valid.")
        return Rate(n * UNITS[unit.rstrip("s")])
    m = _CRON.fullmatch(expr.strip())
    if m:
        from aws_croniter import AwsCroniter
        fields = m.group(1).strip()
        try:
            AwsCroniter(fields).get_next(dt.datetime.now(dt.timezone.utc))
        except ValueError:  # the library's own errors derive from it, and what it parses but cannot compute
            raise BadExpression("Parameter ScheduleExpression is not valid.") from None
        return Cron(fields)
    raise BadExpression("Parameter ScheduleExpression is not valid.")
