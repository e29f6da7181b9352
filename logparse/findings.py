"""Value types of a triage: evidence, findings, per-file status and the result that renders itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Evidence lines a finding keeps in the result (--json, csv --per-evidence), chosen by the diagnosis
# from a bounded pool (``logparse.diagnose.EvidencePool``); ``evidence_count`` goes on counting.
MAX_EVIDENCE = 50
# Lines the reports for people (table, markdown, html) list first: the most telling of those kept.
HIGHLIGHTS = 5


@dataclass(frozen=True)
class Evidence:
    """One line that supports a finding, where it is, and what kind of source it came from."""

    path: str
    line: int
    text: str
    timestamp: str | None = None
    source: str = "log"  # log | config | ticket | --error | fact

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "text": self.text,
                "timestamp": self.timestamp, "source": self.source}

    def key(self) -> tuple[str, int] | tuple[str, int, str]:
        """What makes it one evidence line: its place, or with no line known (0) or for a state
        document (several facts can share a line of compact JSON) its text too."""
        if self.line > 0 and self.source != "state":
            return self.path, self.line
        return self.path, self.line, self.text

    def where(self) -> str:
        """``path:line`` as people read it; just the path when the line is not known."""
        return f"{self.path}:{self.line}" if self.line > 0 else self.path


@dataclass
class Finding:
    """A catalogue entry (or unknown code) the bundle points to, how sure, why, and what to do.

    ``evidence`` holds the kept lines in the order they were met (at most ``MAX_EVIDENCE``);
    ``evidence_count`` counts every distinct evidence line seen and ``signature_hits`` the
    signature matches among them (a line two signatures match is one line, two hits).
    ``highlights`` indexes ``evidence``, most telling first; ``in_window`` indexes the kept lines
    inside the failing backup job's time window, when one is known (see ``logparse.diagnose``).
    """

    id: str
    kind: str
    confidence: float
    title: str
    evidence: list[Evidence] = field(default_factory=list)
    evidence_count: int = 0
    remediation: list[str] = field(default_factory=list)
    doc: str = ""
    causes: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    severity: str = "error"
    signature_hits: int = 0
    highlights: list[int] = field(default_factory=list)
    in_window: list[int] = field(default_factory=list)

    def add(self, evidence: Evidence) -> None:
        """One more evidence line (kept while there is room); the same line again changes nothing."""
        key = evidence.key()
        if any(e.key() == key for e in self.evidence):
            return
        self.evidence_count += 1
        if len(self.evidence) < MAX_EVIDENCE:
            self.evidence.append(evidence)

    @property
    def evidence_dropped(self) -> int:
        """Evidence lines counted but not kept (the cap, or a saved result that lists fewer)."""
        return max(0, self.evidence_count - len(self.evidence))

    def shown_at(self, limit: int = HIGHLIGHTS) -> list[int]:
        """Indexes of the ``limit`` most telling kept lines, as a report for people lists them: those
        in the failing job's window first, then in the order they were met."""
        picked = [i for i in dict.fromkeys(self.highlights) if 0 <= i < len(self.evidence)][:limit]
        picked += [i for i in range(len(self.evidence)) if i not in picked][: limit - len(picked)]
        inside = set(self.in_window)
        return sorted(picked, key=lambda i: (i not in inside, i))

    def shown(self, limit: int = HIGHLIGHTS) -> list[Evidence]:
        """The lines of ``shown_at``."""
        return [self.evidence[i] for i in self.shown_at(limit)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "confidence": round(self.confidence, 3), "title": self.title,
            "evidence": [e.to_dict() for e in self.evidence], "evidence_count": self.evidence_count,
            "remediation": list(self.remediation), "doc": self.doc, "causes": self.causes,
            "reasons": list(self.reasons), "severity": self.severity,
            "signature_hits": self.signature_hits, "evidence_dropped": self.evidence_dropped,
            "highlights": list(self.highlights), "in_window": list(self.in_window),
        }


@dataclass
class FileReport:
    """What happened to one member: analysed (with its format and line count), skipped or failed."""

    path: str
    format: str | None
    status: str  # analyzed | skipped | failed
    reason: str | None = None
    lines: int = 0
    truncated: bool = False  # text was lost: the file was cut short, or read only in part
    damaged: bool = False  # a check over the text failed (a CRC-32): all of it read, some maybe altered

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "status": self.status, "reason": self.reason,
                "lines": self.lines, "truncated": self.truncated, "damaged": self.damaged}


@dataclass
class Template:
    """ERROR/WARNING lines no signature explains, grouped with numbers, ids and paths masked."""

    template: str
    level: str
    count: int = 0
    examples: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"template": self.template, "level": self.level, "count": self.count,
                "examples": [e.to_dict() for e in self.examples]}


# Timeline bounds: events kept per frequent kind (later ones are counted per hour only).
MAX_EVENTS_PER_KIND = 1000
# Kinds that are rare by nature (an agent start, a version change) are always kept.
RARE_KINDS = frozenset({"agent_start", "agent_version"})


@dataclass
class Timeline:
    """What happened when: discrete events and hourly counts per series, bounded in size.

    Events are agent starts, agent version changes, extension state changes and snapshot
    attempts (time, kind, text, path, line); every event is also counted per UTC hour in the
    series ``event:<kind>``, and signature hits in ``sig:<id>``, so a 30-day, 1 GB bundle stays
    a few thousand numbers. Frequent kinds keep their first ``MAX_EVENTS_PER_KIND`` events as
    points; rare kinds keep all. ``local`` marks values from layouts that only give local time
    (shown as written). ``start`` and ``end`` are the first and last record times seen (events,
    hits, and any record time given to ``span``), as ISO strings with their zone when known:
    ordered as written, as the drawing places them, since a local time has no known offset.
    """

    events: list[dict[str, Any]] = field(default_factory=list)
    dropped_events: int = 0
    buckets: dict[str, dict[str, int]] = field(default_factory=dict)
    _per_kind: dict[str, int] = field(default_factory=dict, repr=False)
    first: str | None = None
    last: str | None = None

    def span(self, when: str | None) -> None:
        """A record time the span must cover (a file's first or last record, say) without an event."""
        if when is None:
            return
        if self.first is None or when < self.first:
            self.first = when
        if self.last is None or when > self.last:
            self.last = when

    def event(self, when: str | None, kind: str, text: str, path: str, line: int) -> None:
        if when is None:
            return
        self.count(when, f"event:{kind}")
        kept = self._per_kind.get(kind, 0)
        if kind not in RARE_KINDS and kept >= MAX_EVENTS_PER_KIND:
            self.dropped_events += 1
            return
        self._per_kind[kind] = kept + 1
        # An ISO value without an offset came from a layout that writes local time.
        local = not (when.endswith("Z") or "+" in when[10:] or when[19:].count("-"))
        self.events.append({"time": when, "kind": kind, "text": text[:300], "path": path, "line": line,
                            "local": local})

    def count(self, when: str | None, series: str) -> None:
        if when is None:
            return
        # The span check inline, cheapest first: this runs once per signature hit, logs run forward.
        last = self.last
        if last is None:
            self.first = self.last = when
        elif when > last:
            self.last = when
        elif self.first is not None and when < self.first:
            self.first = when
        hour = when[:13] + ":00"
        bucket = self.buckets.setdefault(series, {})
        bucket[hour] = bucket.get(hour, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        events = sorted(self.events, key=lambda e: e["time"])
        # Events and counts put together by hand (not through event/count) still bound the span;
        # hour keys only when nothing else is known, since they are no record's time.
        times = [t for t in (self.first, self.last) if t is not None] + [e["time"] for e in events]
        if not times:
            times = [h for b in self.buckets.values() for h in b]
        return {
            "start": min(times) if times else None, "end": max(times) if times else None,
            "events": events, "dropped_events": self.dropped_events,
            "buckets": {k: dict(sorted(v.items())) for k, v in sorted(self.buckets.items())},
        }


@dataclass
class TriageResult:
    """Everything ``logparse triage`` found; ``to_dict()`` is the JSON contract of ``--json``."""

    source: str
    findings: list[Finding] = field(default_factory=list)
    files: list[FileReport] = field(default_factory=list)
    unrecognized: list[Template] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    timeline: Timeline = field(default_factory=Timeline)

    def findings_at(self, threshold: float) -> list[Finding]:
        return [f for f in self.findings if f.confidence >= threshold]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TriageResult:
        """The result behind a ``to_dict()`` (``logparse triage --json`` output, loaded), so a saved
        triage renders again in any format; ``from_dict(d).to_dict() == d``. Fields added to the
        contract later may be missing from older files: they take their defaults."""

        def evidence(items: list[dict[str, Any]]) -> list[Evidence]:
            return [Evidence(e["path"], e["line"], e["text"], e.get("timestamp"), e.get("source", "log"))
                    for e in items]

        findings = [Finding(f["id"], f["kind"], f["confidence"], f["title"], evidence(f.get("evidence", [])),
                            f.get("evidence_count", 0), list(f.get("remediation", [])), f.get("doc", ""),
                            list(f.get("causes", [])), list(f.get("reasons", [])), f.get("severity", "error"),
                            f.get("signature_hits", 0), list(f.get("highlights", [])), list(f.get("in_window", [])))
                    for f in data.get("findings", [])]
        files = [FileReport(f["path"], f.get("format"), f["status"], f.get("reason"), f.get("lines", 0),
                            f.get("truncated", False), f.get("damaged", False)) for f in data.get("files", [])]
        templates = [Template(t["template"], t["level"], t.get("count", 0), evidence(t.get("examples", [])))
                     for t in data.get("unrecognized", [])]
        timeline = data.get("timeline") or {}
        events = list(timeline.get("events", []))
        per_kind: dict[str, int] = {}
        for event in events:  # so that events added later keep the same bounds
            per_kind[event["kind"]] = per_kind.get(event["kind"], 0) + 1
        return cls(data["source"], findings, files, templates, list(data.get("warnings", [])),
                   dict(data.get("stats", {})),
                   Timeline(events, timeline.get("dropped_events", 0),
                            {k: dict(v) for k, v in (timeline.get("buckets") or {}).items()}, per_kind,
                            timeline.get("start"), timeline.get("end")))

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "findings": [f.to_dict() for f in self.findings],
            "files": [f.to_dict() for f in self.files],
            "unrecognized": [t.to_dict() for t in self.unrecognized],
            "warnings": list(self.warnings),
            "stats": dict(self.stats),
            "timeline": self.timeline.to_dict(),
        }
