"""What every report renderer shares: its options, which findings it shows, and how it writes times."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from logparse.findings import FileReport, Finding, TriageResult
from logparse.render._text import message, reason, term

LOCAL_NOTE = "times are UTC; 'local' marks a source that only wrote local time, shown as written"


def _picture(code: int) -> str:
    # C0 and DEL have Unicode control pictures (one column, and unlike a backslash escape they
    # cannot be mistaken for text such as a Windows path); C1 has none, so it is spelled out.
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else f"\\x{code:02x}"


# Bidirectional controls reorder what follows them: a path or line can show other than it is.
_BIDI = (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_CONTROLS = {code: _picture(code) for code in (*range(0x20), *range(0x7F, 0xA0))} | {
    code: f"\\u{code:04x}" for code in _BIDI}
_TABLES: dict[str, dict[int, str]] = {}


def visible(text: str, keep: str = "\t") -> str:
    """``text`` with every C0/C1 control character except those in ``keep`` shown as a visible symbol.

    Paths and lines come from the bundle: a raw ESC (or CSI, CR, BS) in a report printed to a
    terminal would let the bundle recolour, retitle, clear or overwrite what the reader sees.
    """
    table = _TABLES.get(keep)
    if table is None:
        table = _TABLES[keep] = {code: shown for code, shown in _CONTROLS.items() if chr(code) not in keep}
    return text.translate(table)


# JSON must escape only C0: with ensure_ascii=False, DEL and C1 (CSI is 0x9b) would reach a terminal
# raw. Outside strings JSON is ASCII, so a \u escape of these is the same document, value for value.
_JSON_CONTROLS = {code: f"\\u{code:04x}" for code in range(0x7F, 0xA0)}


def json_text(document: str) -> str:
    """Serialised JSON with DEL and C1 control characters written as ``\\u`` escapes (the same values)."""
    return document.translate(_JSON_CONTROLS)


def html_text(text: str) -> str:
    """``text`` escaped for HTML (attribute values too), control characters but tab and newline shown.

    Control characters are invalid in HTML and XML (the inline SVG), and the page may well be
    printed to a terminal.
    """
    return html.escape(visible(text, "\t\n"))


@dataclass(frozen=True)
class RenderOptions:
    """How to render: the confidence shown, one row per evidence line, the terminal width, the language."""

    threshold: float = 0.5
    verbose: bool = False  # show findings below the threshold too
    per_evidence: bool = False  # csv/jsonl: one row per evidence line instead of per finding
    width: int | None = None  # table: None follows the terminal (or COLUMNS)
    # Of the human reports' own words (table, markdown, html); machine-readable output has none to translate.
    lang: str = "en"


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


def file_status(report: FileReport, lang: str = "en") -> str:
    """A file's status in words of ``lang``, with whether text was lost (truncated) or may be altered (damaged)."""
    return (term("status", report.status, lang) + (message("truncated", lang) if report.truncated else "")
            + (message("damaged", lang) if report.damaged else ""))


def not_fully_read(result: TriageResult) -> list[FileReport]:
    """The files a report lists as not fully analysed: skipped, failed, cut short, or failing a check."""
    return [f for f in result.files if f.status != "analyzed" or f.truncated or f.damaged]


def more_lines(finding: Finding, shown: int, lang: str = "en") -> str:
    """``... 10 more line(s)`` after the ``shown`` lines, with how many of them ``--json`` lists when the
    cap left some out; empty when nothing more was seen."""
    more = finding.evidence_count - shown
    if more <= 0:
        return ""
    kept = len(finding.evidence) - shown
    return message("more_lines", lang, more=more) + (message("json_lists", lang, kept=kept) if kept < more else "")


def finding_title(finding: Finding, lang: str = "en") -> str:
    """The title a report shows: the catalogue's comes in ``lang`` already; an unknown code's is the analysis' own."""
    return reason(finding.title, lang) if finding.kind == "unknown-code" else finding.title


def likely_causes(finding: Finding, threshold: float) -> list[dict[str, Any]]:
    """The causes the diagnosis rated at or above the threshold, in its order."""
    return [c for c in finding.causes if float(c.get("confidence", 0) or 0) >= threshold]
