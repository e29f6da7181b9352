"""Hits and parsed facts -> ranked findings with confidence, bounded evidence and remediation.

State stays bounded: per entry a count, the signatures seen, the files seen and the first
few evidence lines. Confidence rules, in one place:

* log signatures: 0.65 for one, +0.10 per further distinct signature (up to +0.20), +0.05
  when seen three or more times, +0.05 when seen in two or more files; at most 0.95;
* job error text (a ticket in the bundle, or ``--error``): the fuzzy matcher's own calibrated
  confidence;
* an extension status code surfaces as its portal code at 0.9x its own confidence;
* a cause listed by an error that was found gains from it: ``1 - (1-c)(1 - 0.5 e)``;
* configuration and version facts (``Extensions.Enabled=n``, an outdated agent) as stated below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from logparse.catalogue import Catalogue, Entry
from logparse.findings import Evidence, Finding

# Agents older than this are the seed's "agent out of date" case (2.2.53, 2021, is the
# oldest release with the heartbeat and FastTrack fixes the backup service relies on).
MIN_LINUX_AGENT = (2, 2, 53)


@dataclass
class _Tally:
    signatures: set[int] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    count: int = 0
    evidence: list[Evidence] = field(default_factory=list)
    fixed: float = 0.0  # confidence from non-signature sources (job errors, facts)
    reasons: list[str] = field(default_factory=list)

    def add(self, evidence: Evidence) -> None:
        self.count += 1
        self.files.add(evidence.path)
        # The same line seen through two routes (a ticket's code and its signature) counts once;
        # state documents put every fact on line 0, told apart by their JSON path in the text.
        if len(self.evidence) < 5 and not any(
            (e.path, e.line, e.text) == (evidence.path, evidence.line, evidence.text) for e in self.evidence
        ):
            self.evidence.append(evidence)


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:4])


class Diagnosis:
    """Collects evidence during a triage and turns it into findings at the end."""

    def __init__(self, catalogue: Catalogue, lang: str = "en") -> None:
        self.catalogue = catalogue
        self.lang = lang
        self._tallies: dict[str, _Tally] = {}
        self._unknown: dict[str, tuple[float, list[Evidence]]] = {}

    def _tally(self, entry_id: str) -> _Tally:
        tally = self._tallies.get(entry_id)
        if tally is None:
            tally = self._tallies[entry_id] = _Tally()
        return tally

    # -- evidence in ----------------------------------------------------------------------
    def signature_hit(self, entry_id: str, signature: int, evidence: Evidence) -> None:
        tally = self._tally(entry_id)
        tally.signatures.add(signature)
        tally.add(evidence)

    def stated(self, entry_id: str, confidence: float, evidence: Evidence, reason: str) -> None:
        """Evidence that carries its own confidence (job error text, a configuration fact)."""
        if entry_id not in self.catalogue.entries:
            return
        tally = self._tally(entry_id)
        tally.fixed = max(tally.fixed, confidence)
        tally.add(evidence)
        if reason not in tally.reasons:
            tally.reasons.append(reason)

    def unknown_code(self, code: str, confidence: float, evidence: Evidence) -> None:
        best, items = self._unknown.get(code, (0.0, []))
        if len(items) < 5:
            items.append(evidence)
        self._unknown[code] = (max(best, confidence), items)

    def agent_versions(self, versions: dict[str, Evidence], autoupdate_off: Evidence | None) -> None:
        """The newest Linux agent seen; too old (and more so with auto-update off) is a cause."""
        if not versions:
            return
        newest_text = max(versions, key=version_tuple)
        newest, evidence = version_tuple(newest_text), versions[newest_text]
        if newest >= MIN_LINUX_AGENT:
            return
        confidence = 0.6 + (0.2 if autoupdate_off is not None else 0.0)
        version = ".".join(map(str, newest))
        self.stated("agent-outdated-linux", confidence, evidence,
                    f"newest agent seen is {version}, older than {'.'.join(map(str, MIN_LINUX_AGENT))}")
        if autoupdate_off is not None:
            self.stated("agent-outdated-linux", confidence, autoupdate_off, "agent auto-update is off")

    # -- findings out ---------------------------------------------------------------------
    def findings(self) -> list[Finding]:
        scores = {entry_id: self._score(t) for entry_id, t in self._tallies.items()}
        # Extension-side codes surface as portal codes.
        for entry_id, score in list(scores.items()):
            for portal in self.catalogue.entries[entry_id].surfaces_as:
                if portal in self.catalogue.entries and 0.9 * score > scores.get(portal, 0.0):
                    scores[portal] = 0.9 * score
                    self._tally(portal).evidence.extend(
                        e for e in self._tallies[entry_id].evidence if e not in self._tally(portal).evidence
                    )
                    self._tally(portal).count = max(self._tally(portal).count, self._tallies[entry_id].count)
                    self._tally(portal).reasons.append(f"surfaces as the portal code of {entry_id}")
        # A found error lends weight to its causes that have their own evidence.
        for entry_id, score in list(scores.items()):
            entry = self.catalogue.entries[entry_id]
            if entry.kind != "error":
                continue
            for cause in entry.causes:
                if cause in scores and cause != entry_id:
                    scores[cause] = min(0.98, 1 - (1 - scores[cause]) * (1 - 0.5 * score))
        out = [self._finding(self.catalogue.entries[i], s, scores) for i, s in scores.items() if s > 0]
        for code, (confidence, items) in self._unknown.items():
            finding = Finding(code, "unknown-code", confidence, f"Unknown error code {code}",
                              reasons=["a code in an error-code position that the catalogue does not know"])
            for item in items:
                finding.add(item)
            out.append(finding)
        out.sort(key=lambda f: (-f.confidence, f.id))
        return out

    @staticmethod
    def _score(tally: _Tally) -> float:
        score = tally.fixed
        if tally.signatures:
            sig = 0.65 + 0.10 * min(2, len(tally.signatures) - 1)
            sig += 0.05 if tally.count >= 3 else 0.0
            sig += 0.05 if len(tally.files) >= 2 else 0.0
            score = max(score, min(0.95, sig))
        return round(score, 4)

    def _finding(self, entry: Entry, score: float, scores: dict[str, float]) -> Finding:
        tally = self._tallies[entry.id]
        lang = self.lang
        finding = Finding(
            entry.id, entry.kind, score, entry.text(entry.title, lang),
            remediation=list(entry.steps(lang)), doc=entry.text(entry.doc, lang),
            reasons=list(tally.reasons), severity=entry.severity,
        )
        for item in tally.evidence:
            finding.add(item)
        finding.evidence_count = max(finding.evidence_count, tally.count)
        if tally.signatures:
            finding.reasons.insert(0, f"{len(tally.signatures)} log signature(s), {tally.count} line(s)")
        finding.causes = [self._cause(cause, scores) for cause in entry.causes]
        return finding

    def _cause(self, cause_id: str, scores: dict[str, float]) -> dict[str, Any]:
        cause = self.catalogue.entries.get(cause_id)
        if cause is None:
            return {"id": cause_id, "confidence": 0.0}
        return {
            "id": cause_id, "title": cause.text(cause.title, self.lang),
            "confidence": round(scores.get(cause_id, 0.0), 3),
            "remediation": list(cause.steps(self.lang)), "doc": cause.text(cause.doc, self.lang),
        }
