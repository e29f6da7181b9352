"""Value types of a triage: evidence, findings, per-file status and the result that renders itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Evidence lines kept per finding; the count goes on, the list does not (bounded memory).
MAX_EVIDENCE = 5


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


@dataclass
class Finding:
    """A catalogue entry (or unknown code) the bundle points to, how sure, why, and what to do."""

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

    def add(self, evidence: Evidence) -> None:
        self.evidence_count += 1
        if len(self.evidence) < MAX_EVIDENCE and evidence not in self.evidence:
            self.evidence.append(evidence)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "confidence": round(self.confidence, 3), "title": self.title,
            "evidence": [e.to_dict() for e in self.evidence], "evidence_count": self.evidence_count,
            "remediation": list(self.remediation), "doc": self.doc, "causes": self.causes,
            "reasons": list(self.reasons), "severity": self.severity,
        }


@dataclass
class FileReport:
    """What happened to one member: analysed (with its format and line count), skipped or failed."""

    path: str
    format: str | None
    status: str  # analyzed | skipped | failed
    reason: str | None = None
    lines: int = 0
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "status": self.status, "reason": self.reason,
                "lines": self.lines, "truncated": self.truncated}


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
    (shown as written).
    """

    events: list[dict[str, Any]] = field(default_factory=list)
    dropped_events: int = 0
    buckets: dict[str, dict[str, int]] = field(default_factory=dict)
    _per_kind: dict[str, int] = field(default_factory=dict, repr=False)

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
        hour = when[:13] + ":00"
        bucket = self.buckets.setdefault(series, {})
        bucket[hour] = bucket.get(hour, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        events = sorted(self.events, key=lambda e: e["time"])
        times = [e["time"] for e in events] + [h for b in self.buckets.values() for h in b]
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
                            list(f.get("causes", [])), list(f.get("reasons", [])), f.get("severity", "error"))
                    for f in data.get("findings", [])]
        files = [FileReport(f["path"], f.get("format"), f["status"], f.get("reason"), f.get("lines", 0),
                            f.get("truncated", False)) for f in data.get("files", [])]
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
                            {k: dict(v) for k, v in (timeline.get("buckets") or {}).items()}, per_kind))

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
