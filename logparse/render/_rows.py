"""Rows for machine-readable reports: one per finding or one per evidence line, stable column names.

Column names are a contract like the ``--json`` keys: add columns at the end, never rename.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from logparse.findings import TriageResult
from logparse.render._common import RenderOptions, likely_causes, machine_time, shown_findings

# ``evidence`` lists the most telling lines (as the table shows them), ``evidence_count`` counts
# distinct lines, ``signature_hits`` the signature matches among them, ``evidence_dropped`` the
# lines counted but not kept.
FINDING_COLUMNS = (
    "input", "rank", "id", "kind", "severity", "confidence", "title", "evidence_count", "evidence",
    "causes", "remediation", "doc", "reasons", "signature_hits", "evidence_dropped",
)
# One row per kept line, in the order met; ``line`` is empty when not known, ``highlight`` is the
# line's place among the most telling (1 first; empty for the others), ``in_window`` whether it
# falls in the failing backup job's time window.
EVIDENCE_COLUMNS = (
    "input", "finding", "kind", "confidence", "path", "line", "time", "local_time", "origin", "text",
    "highlight", "in_window",
)


def columns(options: RenderOptions) -> tuple[str, ...]:
    return EVIDENCE_COLUMNS if options.per_evidence else FINDING_COLUMNS


def rows(result: TriageResult, options: RenderOptions) -> Iterator[dict[str, Any]]:
    """One dict per finding (lists stay lists) or, with ``per_evidence``, per kept evidence line."""
    for rank, finding in enumerate(shown_findings(result, options), 1):
        confidence = round(finding.confidence, 3)
        if not options.per_evidence:
            yield {
                "input": result.source, "rank": rank, "id": finding.id, "kind": finding.kind,
                "severity": finding.severity, "confidence": confidence, "title": finding.title,
                "evidence_count": finding.evidence_count,
                "evidence": [e.where() for e in finding.shown()],
                "causes": [c["id"] for c in likely_causes(finding, options.threshold)],
                "remediation": list(finding.remediation), "doc": finding.doc, "reasons": list(finding.reasons),
                "signature_hits": finding.signature_hits, "evidence_dropped": finding.evidence_dropped,
            }
            continue
        top = {e_index: place for place, e_index in enumerate(finding.shown_at(), 1)}
        inside = set(finding.in_window)
        for e_index, evidence in enumerate(finding.evidence):
            time, local = machine_time(evidence.timestamp)
            yield {
                "input": result.source, "finding": finding.id, "kind": finding.kind, "confidence": confidence,
                "path": evidence.path, "line": evidence.line or None, "time": time or None, "local_time": local,
                "origin": evidence.source, "text": evidence.text, "highlight": top.get(e_index),
                "in_window": e_index in inside,
            }
