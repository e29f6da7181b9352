"""What every report renderer shares: its options, which findings it shows, and how it writes times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from logparse.findings import Finding, TriageResult

LOCAL_NOTE = "times are UTC; 'local' marks a source that only wrote local time, shown as written"


@dataclass(frozen=True)
class RenderOptions:
    """How to render: the confidence shown, one row per evidence line, the terminal width."""

    threshold: float = 0.5
    verbose: bool = False  # show findings below the threshold too
    per_evidence: bool = False  # csv/jsonl: one row per evidence line instead of per finding
    width: int | None = None  # table: None follows the terminal (or COLUMNS)


def shown_findings(result: TriageResult, options: RenderOptions) -> list[Finding]:
    """The findings a report lists: those at the threshold, or all of them with ``verbose``."""
    return list(result.findings) if options.verbose else result.findings_at(options.threshold)


def parse_time(value: str | None) -> tuple[datetime | None, bool]:
    """(naive UTC datetime, local) from an ISO string; a value without an offset is local time.

    Never raises: a value that is not ISO 8601 gives ``(None, False)``.
    """
    if not value:
        return None, False
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if stamp.tzinfo is None:
            return stamp, True
        return stamp.astimezone(UTC).replace(tzinfo=None), False
    except (ValueError, OverflowError):  # not ISO, or an offset that leaves years 1-9999
        return None, False


def display_time(value: str | None) -> str:
    """A time for people: ``2024-05-05 14:06:12Z`` in UTC, ``2024-05-01 21:07:47 local`` otherwise."""
    stamp, local = parse_time(value)
    if stamp is None:
        return value or ""
    return stamp.strftime("%Y-%m-%d %H:%M:%S") + (" local" if local else "Z")


def machine_time(value: str | None) -> tuple[str, bool]:
    """(ISO time, local) for machines: UTC values end in ``Z``, local ones carry no offset."""
    stamp, local = parse_time(value)
    if stamp is None:
        return value or "", False
    return stamp.isoformat() + ("" if local else "Z"), local


def likely_causes(finding: Finding, threshold: float) -> list[dict[str, Any]]:
    """The causes the diagnosis rated at or above the threshold, in its order."""
    return [c for c in finding.causes if float(c.get("confidence", 0) or 0) >= threshold]
