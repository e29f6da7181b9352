"""The bundle's timeline as inline SVG: event lanes, signature counts per time column, evidence marked.

Everything is aggregated into at most ``MAX_COLUMNS`` time columns (a "nice" step: 5 minutes up to
weeks), so a 30-day, 1 GB bundle draws the same few thousand shapes as a small one. Values from
sources that only wrote local time are placed as written and drawn hollow.
"""

from __future__ import annotations

import calendar
import math
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from logparse.findings import Finding, TriageResult
from logparse.render._common import html_text, parse_time
from logparse.render._text import message

MAX_COLUMNS = 200
MAX_SERIES = 14  # signature rows drawn; the rest share one "other signatures" row
WIDTH, LABEL, RIGHT, ROW, AXIS = 1120, 230, 16, 20, 34
PLOT = WIDTH - LABEL - RIGHT
_CHAR = 6.5  # px: wider than the average glyph of the 11 px axis text, to place labels safely
_HOUR = 3600
_YEARS = (1990, 2100)  # times outside are garbled values, not log history
_STEPS = (300, 600, 900, 1800, _HOUR, 2 * _HOUR, 3 * _HOUR, 4 * _HOUR, 6 * _HOUR, 12 * _HOUR,
          86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400)
# (event kind, English label); a lane's label in another language is the message ``svg.<kind>``.
LANES = (("agent_start", "agent starts"), ("agent_version", "agent version"),
         ("extension_state", "extension states"), ("snapshot_attempt", "snapshot attempts"))
# Worst first: a column holding a failed and a successful extension state shows the failure.
_STATES = (("bad", ("error", "fail")), ("warn", ("transitioning", "warning", "retry")),
           ("off", ("disabl", "uninstall", "stopp")), ("ok", ("success", "ready", "enabled", "running")))


@dataclass
class Drawn:
    """The SVG markup plus what a reader should know about it (for the legend under it)."""

    svg: str = ""
    notes: list[str] = field(default_factory=list)
    marked: int = 0  # evidence marks and events that are also evidence


@dataclass
class _Point:
    seconds: int
    local: bool
    title: str
    href: str = ""
    css: str = ""


class _Scale:
    """Maps seconds since the epoch (UTC, or local as written) to columns and x positions."""

    def __init__(self, low: int, high: int) -> None:
        span = max(high - low, 1)
        self.step = next((s for s in _STEPS if math.ceil(span / s) <= MAX_COLUMNS), 0)
        if not self.step:
            self.step = math.ceil(span / MAX_COLUMNS / 86400) * 86400
        self.low = low - low % self.step
        self.columns = max(1, math.ceil((high - self.low) / self.step))
        if self.low + self.columns * self.step <= high:
            self.columns += 1  # a point exactly on the last boundary still gets a column
        self.width = PLOT / self.columns

    def column(self, seconds: int) -> int:
        return min(max((seconds - self.low) // self.step, 0), self.columns - 1)

    def x(self, column: int) -> float:
        return LABEL + column * self.width

    def label(self, column: int, span: int = 1) -> str:
        start = self.low + column * self.step
        return f"{_fmt(start)} - {_fmt(start + span * self.step)} UTC"


def draw(result: TriageResult, findings: list[Finding], lang: str = "en") -> Drawn:
    """The timeline of ``result`` with the evidence of ``findings`` marked (linked to ``#ev-F-E``), its
    words in ``lang``."""
    timeline = result.timeline
    evidence_at = {(e.path, e.line) for f in findings for e in f.evidence}
    lanes: dict[str, list[_Point]] = {kind: [] for kind, _ in LANES}
    local_values = 0
    for event in timeline.events:
        when = _when(event.get("time"))
        if when is None or event.get("kind") not in lanes:
            continue
        local_values += when[1]
        marked = (event.get("path"), event.get("line")) in evidence_at
        css = _state(str(event.get("text", ""))) if event["kind"] == "extension_state" else ""
        lanes[event["kind"]].append(_Point(*when, _event_title(event), css=css + (" marked" if marked else "")))
    series = _series(timeline.buckets)
    marks: dict[str, list[_Point]] = defaultdict(list)
    for f_index, finding in enumerate(findings):
        for e_index, item in enumerate(finding.evidence):
            when = _when(item.timestamp)
            if when is not None:
                title = f"{finding.id}: {item.where()} {_fmt(*when)}\n{item.text[:200]}"
                marks[finding.id].append(_Point(*when, title, href=f"#ev-{f_index}-{e_index}"))
    seconds = [p.seconds for points in (*lanes.values(), *marks.values()) for p in points]
    seconds += [s for counts in series.values() for s in counts]
    if not seconds:
        return Drawn(notes=[message("svg.nothing", lang)])
    scale = _Scale(min(seconds), max(seconds) + (_HOUR if series else 0))
    return _render(scale, lanes, series, marks, findings, local_values, timeline.dropped_events, lang)


def _render(scale: _Scale, lanes: dict[str, list[_Point]], series: dict[str, dict[int, int]],
            marks: dict[str, list[_Point]], findings: list[Finding], local_values: int, dropped: int,
            lang: str) -> Drawn:
    shown_ids = [f.id for f in findings]
    order = sorted(series, key=lambda s: (s[4:] not in shown_ids, -sum(series[s].values()), s))
    rows: list[tuple[str, str, str]] = [(kind, message(f"svg.{kind}", lang), "lane") for kind, _ in LANES]
    folded = order[MAX_SERIES:]
    rows += [(name, name[4:], "series") for name in order[:MAX_SERIES]]
    if folded:
        other: dict[int, int] = defaultdict(int)
        for name in folded:
            for when, count in series[name].items():
                other[when] += count
        series["other"] = dict(other)
        rows.append(("other", message("svg.other_signatures", lang, count=len(folded)), "series"))
    loose = [fid for fid in marks if f"sig:{fid}" not in order[:MAX_SERIES]]
    if loose:
        rows.append(("evidence", message("svg.other_evidence", lang), "lane"))
    height = AXIS + ROW * len(rows) + 8
    title = message("svg.title", lang, columns=scale.columns, step=_duration(scale.step, lang))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height}" '
           f'width="100%" role="img" aria-labelledby="tl-title">',
           f'<title id="tl-title">{html_text(title)}</title>']
    out += _axis(scale, height, "UTC" if not local_values else message("svg.zone_local", lang), lang)
    peak = max((c for counts in series.values() for c in counts.values()), default=1)
    drawn = Drawn()
    for index, (key, label, kind) in enumerate(rows):
        top = AXIS + index * ROW
        finding_row = kind == "series" and label in shown_ids
        out.append(f'<g class="row {kind}" data-row="{html_text(key)}">')
        out.append(f'<rect class="band{index % 2}" x="0" y="{top}" width="{WIDTH}" height="{ROW}"/>')
        total = message("svg.hits", lang, count=sum(series[key].values())) if kind == "series" else ""
        out.append(f'<text class="label{" finding" if finding_row else ""}" x="6" y="{top + 14}">'
                   f'<title>{html_text(label + total)}</title>{html_text(_short(label))}</text>')
        if kind == "series":
            out += _cells(scale, series[key], top, peak, label, lang)
        elif key in lanes:
            out += _markers(scale, lanes[key], top, key, drawn, lang)
        own = marks.get(label, []) if finding_row else []
        if key == "evidence":
            own = [p for fid in loose for p in marks[fid]]
        out += _marks(scale, own, top, drawn, lang)
        out.append("</g>")
    out.append("</svg>")
    drawn.svg = "\n".join(out)
    if local_values:
        drawn.notes.append(message("svg.local_events", lang, count=local_values))
    if dropped:
        drawn.notes.append(message("svg.dropped", lang, count=dropped))
    if folded:
        drawn.notes.append(message("svg.folded", lang, count=len(folded)))
    return drawn


def _axis(scale: _Scale, height: int, zone: str, lang: str = "en") -> list[str]:
    span = scale.columns * scale.step
    tick = next((s for s in _STEPS if s >= scale.step and span / s <= 10), scale.step * math.ceil(scale.columns / 10))
    first = scale.low + (-scale.low) % tick
    out = ['<g class="axis">']
    for when in range(first, scale.low + span + 1, tick):
        x = LABEL + (when - scale.low) / span * PLOT
        # Dates need their year once the span crosses a few months; hours only under a day's step.
        text = _fmt(when)[:10] if span > 120 * 86400 else _fmt(when)[5:10] if tick >= 86400 else _fmt(when)[5:]
        out.append(f'<line x1="{x:.1f}" y1="{AXIS - 6}" x2="{x:.1f}" y2="{height - 8}"/>')
        half = _CHAR * len(text) / 2  # labels are centred on their tick
        if LABEL + 4 < x - half and x + half < WIDTH - 4:  # a label cut by the edge or over the caption helps nobody
            out.append(f'<text x="{x:.1f}" y="{AXIS - 10}">{text}</text>')
    # The caption stays in the label column, on two lines when one would reach the first label.
    step = _duration(scale.step, lang)
    caption = [message("svg.caption", lang, zone=zone, step=step)]
    if 6 + text_width(caption[0]) > LABEL - 4:
        caption = [message("svg.caption_zone", lang, zone=zone), message("svg.caption_step", lang, step=step)]
    for row, text in enumerate(caption):
        out.append(f'<text class="unit" x="6" y="{AXIS - 10 - 12 * (len(caption) - 1 - row)}">{html_text(text)}</text>')
    out[-1] += "</g>"
    return out


def text_width(text: str) -> float:
    """A safe (wide) estimate of the px width of ``text`` in the 11 px axis font.

    A CJK character is about a full em wide, twice a Latin one: counting characters would let a
    Chinese caption run over the first axis label.
    """
    return _CHAR * sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cells(scale: _Scale, counts: dict[int, int], top: int, peak: int, name: str, lang: str) -> list[str]:
    columns: dict[int, int] = defaultdict(int)
    for when, count in counts.items():
        columns[scale.column(when)] += count
    out = []
    # Hourly counts cover several columns when a column is shorter than an hour.
    span = max(1, _HOUR // scale.step)
    for column, count in sorted(columns.items()):
        level = 0.2 + 0.8 * math.log1p(count) / math.log1p(max(peak, 1))
        width = min(scale.width * span, LABEL + PLOT - scale.x(column))
        title = message("svg.cell", lang, name=name, count=count, when=scale.label(column, span))
        out.append(f'<rect class="cell" x="{scale.x(column):.1f}" y="{top + 3}" width="{max(width - 0.5, 1):.1f}" '
                   f'height="{ROW - 6}" fill-opacity="{level:.2f}"><title>{html_text(title)}</title></rect>')
    return out


def _markers(scale: _Scale, points: list[_Point], top: int, kind: str, drawn: Drawn, lang: str) -> list[str]:
    groups: dict[int, list[_Point]] = defaultdict(list)
    for point in points:
        groups[scale.column(point.seconds)].append(point)
    columns = sorted(groups)
    out = []
    for index, column in enumerate(columns):
        group = groups[column]
        x = scale.x(column) + scale.width / 2
        states = {c for p in group for c in p.css.split()}
        css = next((name for name, _ in _STATES if name in states), "")
        if "marked" in states:
            css += " marked"
            drawn.marked += 1
        if all(p.local for p in group):
            css += " local"
        examples = "\n".join(p.title for p in group[:3]) + _more(len(group) - 3, lang)
        heading = message("svg.events", lang, count=len(group), when=scale.label(column))
        out.append(f'<circle class="event {kind} {css.strip()}" cx="{x:.1f}" cy="{top + ROW / 2}" r="4.5">'
                   f"<title>{html_text(heading)}\n{html_text(examples)}</title></circle>")
        if kind == "agent_version":
            # The version a column ends on, written beside it when the next marker leaves room.
            version = group[-1].title.split("\n", 1)[0].rsplit(" ", 1)[-1][:16]
            room = scale.x(columns[index + 1]) - x if index + 1 < len(columns) else LABEL + PLOT - x
            if room > 12 + 6.5 * len(version):
                out.append(f'<text class="version" x="{x + 7:.1f}" y="{top + 14}">{html_text(version)}</text>')
    return out


def _more(count: int, lang: str) -> str:
    return message("svg.more", lang, count=count) if count > 0 else ""


def _marks(scale: _Scale, points: list[_Point], top: int, drawn: Drawn, lang: str) -> list[str]:
    groups: dict[int, list[_Point]] = defaultdict(list)
    for point in points:
        groups[scale.column(point.seconds)].append(point)
    out = []
    for column, group in sorted(groups.items()):
        x, y = scale.x(column) + scale.width / 2, top + ROW / 2
        drawn.marked += 1
        titles = "\n".join(p.title for p in group[:3]) + _more(len(group) - 3, lang)
        local = " local" if all(p.local for p in group) else ""
        out.append(f'<a href="{group[0].href}"><path class="mark{local}" d="M{x:.1f} {y - 7:.1f}l6 7-6 7-6-7z">'
                   f"<title>{html_text(message('svg.evidence_label', lang))}{html_text(titles)}</title></path></a>")
    return out


def _series(buckets: dict[str, dict[str, int]]) -> dict[str, dict[int, int]]:
    """Bucket counts keyed by epoch seconds (hour keys carry no zone: UTC or as written)."""
    out: dict[str, dict[int, int]] = {}
    for name, hours in buckets.items():
        if not name.startswith("sig:"):
            continue  # event:<kind> counts back the lanes; only signatures get heat rows
        counts: dict[int, int] = {}
        for hour, count in hours.items():
            when = _when(hour)
            if when is not None and count > 0:
                counts[when[0]] = counts.get(when[0], 0) + count
        if counts:
            out[name] = counts
    return out


def _when(value: str | None) -> tuple[int, bool] | None:
    """(epoch seconds, local) of a time worth drawing; a garbled year would squash the whole axis."""
    stamp, local = parse_time(value)
    if stamp is None or not _YEARS[0] <= stamp.year < _YEARS[1]:
        return None
    return _epoch(stamp), local


def _event_title(event: dict[str, Any]) -> str:
    when = _when(event.get("time"))
    return f"{event.get('text', '')}\n{event.get('path')}:{event.get('line')} {_fmt(*when) if when else ''}"


def _state(text: str) -> str:
    lowered = text.lower()
    return next((name for name, words in _STATES if any(w in lowered for w in words)), "")


def _epoch(stamp: datetime) -> int:
    return calendar.timegm(stamp.timetuple())


def _fmt(seconds: int, local: bool = False) -> str:
    text = (datetime(1970, 1, 1) + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M")
    return text + (" local" if local else "")


def _duration(seconds: int, lang: str = "en") -> str:
    if seconds % 86400 == 0:
        return message("svg.days", lang, count=seconds // 86400)
    if seconds % _HOUR == 0:
        return message("svg.hours", lang, count=seconds // _HOUR)
    return message("svg.minutes", lang, count=seconds // 60)


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"
