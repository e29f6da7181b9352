"""Timestamp conversion shared by the format transformers; bad values give None, never raise."""

from __future__ import annotations

import re
from datetime import UTC, datetime


def iso_utc(text: str) -> datetime | None:
    """``2024-05-01T10:00:03.412907Z`` (or with a space, or no fraction) as aware UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def slash_local(text: str) -> datetime | None:
    """``2017/08/09 16:40:02[.118342]`` as a naive (local, zone unknown) datetime."""
    try:
        return datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return None


def iso_naive(text: str) -> datetime | None:
    """An ISO-like value without a zone, kept naive."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=None)


_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
)}


def date_u(text: str) -> datetime | None:
    """``Wed May  1 10:31:17 UTC 2024`` (``date -u`` in the C locale) as aware UTC."""
    try:
        _, month, day, clock, _, year = text.split()
        hour, minute, second = clock.split(":")
        return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    except (ValueError, KeyError):
        return None


def date_u_12h(text: str) -> datetime | None:
    """``Wed 01 May 2024 10:31:17 AM UTC`` (``date -u`` in en_US, glibc 2.29+) as aware UTC."""
    try:
        _, day, month, year, clock, half, _ = text.split()
        hour, minute, second = (int(part) for part in clock.split(":"))
        if not 1 <= hour <= 12 or half not in ("AM", "PM"):
            return None
        hour = hour % 12 + (12 if half == "PM" else 0)
        return datetime(int(year), _MONTHS[month], int(day), hour, minute, second, tzinfo=UTC)
    except (ValueError, KeyError):
        return None


def mdy_utc(text: str) -> datetime | None:
    """``10/03/2022 14:07:55.31`` (month first, any fraction) as aware UTC; the zone is assumed."""
    date, _, clock = text.partition(" ")
    month, _, rest = date.partition("/")
    day, _, year = rest.partition("/")
    whole, _, fraction = clock.partition(".")
    if fraction and not (fraction.isascii() and fraction.isdigit()):
        return None
    try:
        value = datetime.fromisoformat(f"{year}-{month}-{day}T{whole}")
        # .NET writes centiseconds here; pad (or cut) to microseconds.
        micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    except ValueError:
        return None
    return value.replace(microsecond=micro, tzinfo=UTC)


_TIMESPAN = re.compile(r"(?:(\d{1,6}) days?, |(\d{1,6})\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d{1,9})?)")
_ISO_DURATION = re.compile(
    r"P(?:(\d{1,9}(?:\.\d+)?)D)?(?:T(?:(\d{1,9}(?:\.\d+)?)H)?(?:(\d{1,9}(?:\.\d+)?)M)?(?:(\d{1,12}(?:\.\d+)?)S)?)?"
)


def duration_seconds(text: str) -> float | None:
    """A job duration in seconds, in any spelling the job surfaces print.

    ``1:30:04.112233`` and ``1 day, 2:03:04`` (Python timedelta, az CLI), ``01:30:04.1122330``
    and ``1.02:03:04`` (.NET TimeSpan, PowerShell and 2016 REST), ``PT9.8782791S`` (ISO 8601,
    newer REST). Anything else gives None.
    """
    text = text.strip()
    if m := _TIMESPAN.fullmatch(text):
        days = int(m.group(1) or m.group(2) or 0)
        seconds = days * 86400 + int(m.group(3)) * 3600 + int(m.group(4)) * 60 + float(m.group(5))
    elif (m := _ISO_DURATION.fullmatch(text)) and any(m.groups()):
        d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
        seconds = d * 86400 + h * 3600 + mi * 60 + s
    else:
        return None
    return round(seconds, 6)


def us_local(text: str) -> datetime | None:
    """``5/1/2024 10:01:17 AM`` (PowerShell's en-US DateTime) as naive, zone unknown.

    A 24-hour clock is accepted too; day first (``13/05/2024``) when the month cannot be.
    """
    try:
        date, _, clock = text.strip().partition(" ")
        first, second, year = (int(part) for part in date.split("/"))
        clock, _, half = clock.partition(" ")
        hour, minute, sec = (int(part) for part in clock.split(":"))
        if half:
            if half.upper() not in ("AM", "PM") or not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if half.upper() == "PM" else 0)
        month, day = (second, first) if first > 12 else (first, second)
        return datetime(year, month, day, hour, minute, sec)
    except ValueError:
        return None


_DOTNET_DATE = re.compile(r"/Date\((-?\d{1,15})(?:[+-]\d{4})?\)/")


def dotnet_date(text: str) -> datetime | None:
    """``/Date(1714557677442)/`` (.NET JSON, milliseconds since the epoch) as aware UTC."""
    m = _DOTNET_DATE.fullmatch(text.strip().replace("\\/", "/"))
    if m is None:
        return None
    try:
        return datetime.fromtimestamp(int(m.group(1)) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None
