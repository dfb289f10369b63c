"""Dates, times, datetimes and durations from text and numbers, as pydantic-core parses them
(its ``speedate`` crate: RFC 3339 / ISO 8601, unix timestamps in seconds or milliseconds),
with speedate's error wording, for the stand-in's temporal validators.
"""

from __future__ import annotations

import datetime
import re

from wasmhost_pydantic_core_types import OLDEST, TzInfo


class ParseError(ValueError):
    pass


_UTC = TzInfo(0)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)\Z")  # a timestamp (no spaces: speedate's)


def _digits(s, i, n, what):
    part = s[i:i + n]
    if len(part) < n:
        raise ParseError("input is too short")
    if not part.isascii() or not part.isdigit():
        raise ParseError(f"invalid character in {what}")
    return int(part)


def parse_date_part(s: str) -> tuple[int, int, int]:
    if len(s) < 10:
        raise ParseError("input is too short")
    year = _digits(s, 0, 4, "year")
    if s[4] != "-":
        raise ParseError("invalid date separator, expected `-`")
    month = _digits(s, 5, 2, "month")
    if s[7] != "-":
        raise ParseError("invalid date separator, expected `-`")
    day = _digits(s, 8, 2, "day")
    if not 1 <= month <= 12:
        raise ParseError("month value is outside expected range of 1-12")
    import calendar  # noqa: PLC0415
    if day < 1 or day > calendar.monthrange(year, month)[1] if year else day < 1 or day > 31:
        raise ParseError("day value is outside expected range")
    return year, month, day


def parse_time_part(s: str, i: int = 0):
    """(time fields, tzinfo or None, index after) from ``s[i:]``."""
    if len(s) - i < 5:
        raise ParseError("input is too short")
    hour = _digits(s, i, 2, "hour")
    if s[i + 2] != ":":
        raise ParseError("invalid time separator, expected `:`")
    minute = _digits(s, i + 3, 2, "minute")
    j = i + 5
    second = micro = 0
    if j < len(s) and s[j] == ":":
        second = _digits(s, j + 1, 2, "second")
        j += 3
        if j < len(s) and s[j] in ".,":
            k = j + 1
            while k < len(s) and s[k].isdigit() and s[k].isascii():
                k += 1
            frac = s[j + 1:k]
            if not frac:
                raise ParseError("second fraction digits missing after `.`")
            if len(frac) > 6:
                frac = frac[:6]
            micro = int(frac.ljust(6, "0"))
            j = k
    if hour > 23:
        raise ParseError("hour value is outside expected range of 0-23")
    if minute > 59:
        raise ParseError("minute value is outside expected range of 0-59")
    if second > 59:
        if second == 60:
            second = 59
        else:
            raise ParseError("second value is outside expected range of 0-59")
    tz = None
    if j < len(s):
        c = s[j]
        if c in "Zz":
            tz, j = _UTC, j + 1
        elif c in "+-":
            sign = -1 if c == "-" else 1
            th = _digits(s, j + 1, 2, "timezone hour") if len(s) >= j + 3 else None
            if th is None:
                raise ParseError("input is too short")
            j += 3
            tm = 0
            if j < len(s) and s[j] == ":":
                j += 1
            if j < len(s):
                tm = _digits(s, j, 2, "timezone minute")
                j += 2
            if tm > 59:
                raise ParseError("timezone minute value is outside expected range of 0-59")
            offset = sign * (th * 3600 + tm * 60)
            if abs(offset) >= 86400:
                raise ParseError("timezone offset must be less than 24 hours")
            tz = TzInfo(offset)
        else:
            raise ParseError("unexpected extra characters at the end of the input" if j > i + 5 or c != " "
                             else "unexpected extra characters at the end of the input")
    return (hour, minute, second, micro), tz, j


def _timestamp(value: float) -> datetime.datetime:
    if abs(value) > 2e10:
        value = value / 1000
    if value < -62135596800:
        raise ParseError("dates before 0000 are not supported as unix timestamps")
    if value > 253402300799:
        raise ParseError("dates after 9999 are not supported as unix timestamps")
    seconds = int(value // 1)
    micro = round((value - seconds) * 1_000_000)
    return _EPOCH + datetime.timedelta(seconds=seconds, microseconds=micro)


def parse_datetime(s: str) -> datetime.datetime:
    if _NUMBER.match(s):
        return _timestamp(float(s))
    y, mo, d = parse_date_part(s)
    if len(s) == 10:
        return datetime.datetime(y, mo, d)
    if s[10] not in "Tt _":
        raise ParseError("invalid datetime separator, expected `T`, `t`, `_` or space")
    (h, mi, sec, us), tz, j = parse_time_part(s, 11)
    if j != len(s):
        raise ParseError("unexpected extra characters at the end of the input")
    return datetime.datetime(y, mo, d, h, mi, sec, us, tzinfo=tz)


def datetime_from_number(value) -> datetime.datetime:
    return _timestamp(float(value))


def parse_date(s: str) -> tuple[datetime.date | None, str | None]:
    """(the date, None), or (None, 'inexact') when it names a time of day, or raises."""
    if _NUMBER.match(s):
        d = date_from_number(float(s))
        return d, None if d is not None else "inexact"
    if len(s) == 10:
        return datetime.date(*parse_date_part(s)), None
    dt = parse_datetime(s)
    if (dt.hour, dt.minute, dt.second, dt.microsecond) != (0, 0, 0, 0):
        return None, "inexact"
    return dt.date(), None


def date_from_number(value) -> datetime.date | None:
    dt = _timestamp(float(value))
    if (dt.hour, dt.minute, dt.second, dt.microsecond) != (0, 0, 0, 0):
        return None
    return dt.date()


def parse_time(s: str) -> datetime.time:
    """A time of day from text (a number of seconds only as a number, not as text)."""
    (h, mi, sec, us), tz, j = parse_time_part(s, 0)
    if j != len(s):
        raise ParseError("unexpected extra characters at the end of the input")
    return datetime.time(h, mi, sec, us, tzinfo=tz)


def time_from_number(value) -> datetime.time:
    if value >= 86400:
        raise ParseError("numeric times may not exceed 86,399 seconds")
    if value < 0:
        raise ParseError("time in seconds should be positive")
    seconds = int(value)
    micro = round((value - seconds) * 1_000_000)
    h, rest = divmod(seconds, 3600)
    return datetime.time(h, rest // 60, rest % 60, micro, tzinfo=_UTC)


_ISO_DURATION = re.compile(
    r"([+-])?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?\Z")  # upper case only, as speedate
_DAYS_TIME = re.compile(r"([+-])?(?:(\d+) days?,? ?)?(?:(\d+):(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?\Z")


def parse_duration(s: str) -> datetime.timedelta:
    """A duration from text: ISO 8601 or ``[-]D days, HH:MM:SS`` (a number of seconds only as a number)."""
    if not s:
        raise ParseError("input is too short")
    m = _ISO_DURATION.match(s)
    if m and s.lstrip("+-") not in ("P", "PT"):
        sign = -1 if m[1] == "-" else 1
        y, mo, w, d, h, mi, sec = (float(g.replace(",", ".")) if g else 0.0 for g in m.groups()[1:])
        return sign * datetime.timedelta(days=y * 365 + mo * 30 + w * 7 + d, hours=h, minutes=mi, seconds=sec)
    m = _DAYS_TIME.match(s)
    if m and (m[2] or m[3]):
        sign = -1 if m[1] == "-" else 1
        days = int(m[2] or 0)
        h, mi, sec = int(m[3] or 0), int(m[4] or 0), int(m[5] or 0)
        us = int((m[6] or "0")[:6].ljust(6, "0"))
        if mi > 59:
            raise ParseError("minute value is outside expected range of 0-59")
        if sec > 59:
            raise ParseError("second value is outside expected range of 0-59")
        return sign * datetime.timedelta(days=days, hours=h, minutes=mi, seconds=sec, microseconds=us)
    if s[:1] == "P" or s[1:2] == "P":
        raise ParseError("input is too short" if s.lstrip("+-") in ("P", "PT") else "invalid digit in duration")
    if s and not s[0].isdigit() and s[0] not in "+-":
        raise ParseError("invalid digit in duration")
    if ":" in s:
        raise ParseError("unexpected extra characters at the end of the input")
    if not OLDEST and len(re.match(r"[+-]?(\d*)", s)[1]) > 2:
        raise ParseError("invalid character in hour")
    raise ParseError('"day" identifier in duration not correctly formatted')
