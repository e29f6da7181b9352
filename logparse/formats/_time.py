"""Timestamp conversion shared by the format transformers; bad values give None, never raise."""

from __future__ import annotations

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
