"""Hits and parsed facts -> ranked findings with confidence, bounded evidence and remediation.

State stays bounded: per entry the signatures seen, the files seen, exact counts of evidence
lines and signature hits, and an ``EvidencePool`` of candidate lines. Confidence rules, in one place:

* log signatures: 0.65 for one, +0.10 per further distinct signature (up to +0.20), +0.05
  when seen on three or more lines, +0.05 when seen in two or more files; at most 0.95;
* an error's own code or exact catalogue message (a signature ``catalogue.derive`` made) on an
  ERROR line of the backup extension's own log (``derive.OWN_LOG``) starts at 0.80, its code and
  a message both at 0.90, instead of 0.65 and 0.75: the extension wrote that error in its own
  words, at its own error level. The bonuses and the 0.95 cap above still apply; on a warning line
  or in another log (the agent's, another extension's) such a hit is an ordinary signature;
* job error text (a ticket in the bundle, or ``--error``): the fuzzy matcher's own calibrated
  confidence;
* an extension status code surfaces as its portal code at 0.9x its own confidence, when that is
  more than the portal code has; the portal code's finding takes in its evidence lines either way
  (when the extension code rates ``CITE_FLOOR`` or more on its own);
* a cause listed by an error that was found gains from it: ``1 - (1-c)(1 - 0.5 e)``;
* configuration and version facts (``Extensions.Enabled=n``, an outdated agent) as stated below.

A state document's statement is about one object (a lock, an extension, a collection). One that
rates an entry below ``CITE_FLOOR`` on its own (a lock on some other resource group) is not cited
as evidence when the finding has evidence of its own at or above it (the lock on the restore
point group, the job error): it would be read as that finding's proof, and its remediation (delete
the lock) applied to it. It is named in the finding's reasons instead, with its own confidence.

Which evidence lines a finding keeps (``MAX_EVIDENCE``) and lists first (``HIGHLIGHTS``), most
telling first: the first line inside the failing backup job's window (``Diagnosis.focus``: a
backup job of a state document, else from the latest burst of snapshot attempts on), statements
that are not log lines (job error text, configuration, state documents), the last line inside
the window, one line per signature and per file (the one nearest the window), the last and
first line seen, the rest of the window, then lines nearest the window, then lines spread
over the rest (from both ends inwards).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from logparse.catalogue import Catalogue, Entry
from logparse.catalogue.derive import OWN_LOG, exact_kind
from logparse.findings import HIGHLIGHTS, MAX_EVIDENCE, Evidence, Finding

# Agents older than this are the seed's "agent out of date" case (2.2.53, 2021, is the
# oldest release with the heartbeat and FastTrack fixes the backup service relies on).
MIN_LINUX_AGENT = (2, 2, 53)

# An error's own code or exact message at ERROR in the backup extension's log: one of the two, both.
EXACT_ONE = 0.80
EXACT_BOTH = 0.90
# Below this on its own, a state document's statement is not cited beside stronger evidence
# (the reports' default threshold: what rates lower is not a finding on its own).
CITE_FLOOR = 0.5


# Files of one finding whose first and last lines are kept as candidates.
_POOL_FILES = 64
# Width of the time cells that spread candidates over the span: the ISO prefix of an hour, a
# day, a month, a year; a cell keeps its earliest and latest line, and cells widen past the cap.
_CELL_WIDTHS = (13, 10, 7, 4)
_POOL_CELLS = 96


# What makes an evidence line one line (``Evidence.key()``).
_Key = tuple[str, int] | tuple[str, int, str]

# A line while the scan runs: [order met, evidence, first signature, further signatures (a tuple,
# mostly empty)]. A plain list: one is made per distinct evidence line, and a class instance
# costs several times more. Only the pool's bounded structures hold one, so memory stays bounded.
_Met = list[Any]


class _Candidate:
    """A kept line as ``choose`` sees it: the order it was met in and the signatures that matched it."""

    __slots__ = ("evidence", "seq", "signatures")

    def __init__(self, seq: int, evidence: Evidence, signatures: list[int]) -> None:
        self.seq = seq
        self.evidence = evidence
        self.signatures = signatures


class EvidencePool:
    """The lines behind one finding: counted exactly, kept as candidates within fixed bounds.

    Which lines tell most is known only at the end (the failing job's window may come from a
    document read last), so the pool keeps lines useful for any choice: the first
    ``MAX_EVIDENCE``, the last ``TAIL``, each file's first and last, each signature's first, and
    the earliest and latest line of each time cell. A bundle with millions of hits holds at most
    ``BOUND`` candidates per finding. Distinct lines are counted exactly: a line a second
    signature matches arrives right after the first (the same ``Evidence``), and a line met
    again through another route (a ticket's code and its pasted log line) is found among the
    ``SEEN`` lines remembered; past that many, only the first kind is told apart. A state
    statement is keyed with its text (facts of compact JSON share a line), so ``distinct`` counts
    it and the same line met as job error text once.
    """

    TAIL = 32
    SEEN = 8192
    BOUND = MAX_EVIDENCE + TAIL + 2 * _POOL_FILES + 2 * (_POOL_CELLS + 1) + 64

    def __init__(self) -> None:
        self.lines = 0
        self.hits = 0  # signature hits
        self._next = 0
        self._last: _Met | None = None
        self._seen: set[tuple[str, int] | tuple[str, int, str]] | None = set()
        self._head: list[_Met] = []
        self._tail: deque[_Met] = deque(maxlen=self.TAIL)
        self._files: dict[str, list[_Met]] = {}  # path -> [first, last]
        self._signatures: dict[int, _Met] = {}
        # time prefix -> [earliest stamp, its line, latest stamp, its line]
        self._cells: dict[str, list[Any]] = {}
        self._width = _CELL_WIDTHS[0]

    def add(self, evidence: Evidence, signature: int | None = None) -> None:
        if signature is not None:
            self.hits += 1
        last = self._last
        if last is not None and last[1] is evidence:  # the same line, another signature
            if signature is not None and signature != last[2] and signature not in last[3]:
                last[3] = (*last[3], signature)
                self._signatures.setdefault(signature, last)
            return
        seen = self._seen
        if seen is not None:
            size = len(seen)
            # Evidence.key(), inline: this runs once per hit.
            seen.add((evidence.path, evidence.line) if evidence.line > 0 and evidence.source != "state"
                     else (evidence.path, evidence.line, evidence.text))
            if len(seen) == size:
                return
            if size >= self.SEEN:
                self._seen = None
        self.lines += 1
        met = [self._next, evidence, signature, ()]
        self._next += 1
        self._last = met
        self._place(met)

    def _place(self, met: _Met) -> None:
        if len(self._head) < MAX_EVIDENCE:
            self._head.append(met)
        else:
            self._tail.append(met)
        evidence = met[1]
        ends = self._files.get(evidence.path)
        if ends is not None:
            ends[1] = met
        elif len(self._files) < _POOL_FILES:
            self._files[evidence.path] = [met, met]
        signature = met[2]
        if signature is not None and signature not in self._signatures:
            self._signatures[signature] = met
        stamp = evidence.timestamp
        if stamp:
            prefix = stamp[: self._width]
            cell = self._cells.get(prefix)
            if cell is None:
                self._cells[prefix] = [stamp, met, stamp, met]
                if len(self._cells) > _POOL_CELLS:
                    self._widen()
            elif stamp >= cell[2]:  # logs run forward: the latest first
                cell[2] = stamp
                cell[3] = met
            elif stamp < cell[0]:
                cell[0] = stamp
                cell[1] = met

    def _widen(self) -> None:
        while len(self._cells) > _POOL_CELLS and self._width != _CELL_WIDTHS[-1]:
            self._width = _CELL_WIDTHS[_CELL_WIDTHS.index(self._width) + 1]
            cells: dict[str, list[Any]] = {}
            for prefix, cell in self._cells.items():
                wider = cells.get(prefix[: self._width])
                if wider is None:
                    cells[prefix[: self._width]] = list(cell)
                    continue
                if cell[0] < wider[0]:
                    wider[0], wider[1] = cell[0], cell[1]
                if cell[2] > wider[2]:
                    wider[2], wider[3] = cell[2], cell[3]
            self._cells = cells
        while len(self._cells) > _POOL_CELLS:  # years apart: a garbled clock; the latest cells matter more
            del self._cells[min(self._cells)]

    def candidates(self) -> list[_Candidate]:
        """Every kept candidate once, in the order met."""
        found: dict[int, _Met] = {}
        for group in (self._head, self._tail, *self._files.values(), self._signatures.values()):
            for met in group:
                found[met[0]] = met
        for cell in self._cells.values():
            found[cell[1][0]], found[cell[3][0]] = cell[1], cell[3]
        return [_Candidate(seq, met[1], ([] if met[2] is None else [met[2]]) + list(met[3]))
                for seq, met in sorted(found.items())]

    def distinct(self, uncited: Collection[_Key] = ()) -> int:
        """Distinct lines, leaving out the state statements in ``uncited``.

        A backup job document is read both as a state document and as job error text, so one of
        its lines can arrive as a statement (keyed with its text: facts of compact JSON share a
        line) and as a plain line (keyed by its place): it is one line, shown as the statement
        (``one_per_line``). A plain line whose statements are all uncited still counts. Past
        ``SEEN`` lines, only ``uncited`` is taken off.
        """
        seen = self._seen
        if seen is None:
            return max(0, self.lines - len(uncited))
        # Keys with their text: statements, and lines whose number is not known (0). Of these only
        # statements have a place that a plain line can share.
        texts = [key for key in seen if len(key) == 3 and key not in uncited]
        stated = {key[:2] for key in texts if key[1] > 0}
        return len(texts) + sum(1 for key in seen if len(key) == 2 and key not in stated)

    def absorb(self, other: EvidencePool) -> None:
        """Take in the lines of another finding (an extension code that surfaces as this portal code)."""
        mine, theirs = self._seen, other._seen
        union = mine | theirs if mine is not None and theirs is not None else None
        lines = len(union) if union is not None else max(self.lines, other.lines)
        known = {c.evidence.key() for c in self.candidates()}
        for candidate in other.candidates():
            if candidate.evidence.key() in known:
                continue
            first = candidate.signatures[0] if candidate.signatures else None
            met = [self._next, candidate.evidence, first, tuple(candidate.signatures[1:])]
            self._next += 1
            self._place(met)
            for signature in candidate.signatures[1:]:
                self._signatures.setdefault(signature, met)
        self.lines, self.hits = lines, self.hits + other.hits
        self._seen = union
        self._last = None


@dataclass
class _Tally:
    signatures: set[int] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    pool: EvidencePool = field(default_factory=EvidencePool)
    fixed: float = 0.0  # confidence from non-signature sources (job errors, facts)
    reasons: list[str] = field(default_factory=list)
    exact: set[str] = field(default_factory=set)  # "code", "message": derived hits at ERROR in the extension's log
    # State statements below CITE_FLOOR: evidence key -> (confidence, reason); and the keys and
    # reasons stated at or above it (one object can be stated twice, by two rules or documents).
    weak: dict[_Key, tuple[float, str]] = field(default_factory=dict)
    cited_keys: set[_Key] = field(default_factory=set)
    cited_reasons: set[str] = field(default_factory=set)
    backed: bool = False  # lines taken in from a finding with evidence at or above CITE_FLOOR

    def add(self, evidence: Evidence, signature: int | None = None) -> None:
        self.files.add(evidence.path)
        self.pool.add(evidence, signature)

    def state(self, confidence: float, evidence: Evidence, reason: str) -> None:
        """Remember how strongly a state document's statement rates the entry on its own."""
        key = evidence.key()
        if confidence >= CITE_FLOOR:
            self.cited_keys.add(key)
            self.cited_reasons.add(reason)
        elif len(self.weak) < EvidencePool.SEEN:  # past that many, every statement is cited
            old = self.weak.get(key)
            if old is None or old[0] < confidence:
                self.weak[key] = (confidence, reason)

    def strong(self) -> bool:
        """Evidence at or above CITE_FLOOR of its own: a log signature, or a statement rated so."""
        return self.backed or bool(self.signatures) or self.fixed >= CITE_FLOOR

    def uncited(self) -> dict[_Key, tuple[float, str]]:
        """The weak state statements left out of the evidence: only beside evidence at or above the floor
        (alone, they are all there is to show)."""
        if not self.weak or not self.strong():
            return {}
        return {key: said for key, said in self.weak.items() if key not in self.cited_keys}


# Picks of one kind before the next kind gets its turn (statements, say: a ticket quoting ten
# codes must not push every log line out of the reports' first lines).
_STATEMENTS_FIRST = 2


def one_per_line(candidates: list[_Candidate]) -> list[_Candidate]:
    """Each line once: a line a state document states and that was also met as job error text or
    a log line (a backup job document is read both ways) is kept as the statement, whose JSON path
    and value say more, with the signatures that matched the plain line."""
    stated: dict[tuple[str, int], _Candidate] = {}
    for candidate in candidates:
        evidence = candidate.evidence
        if evidence.source == "state" and evidence.line > 0:
            stated.setdefault((evidence.path, evidence.line), candidate)
    if not stated:
        return candidates
    out = []
    for candidate in candidates:
        evidence = candidate.evidence
        told = stated.get((evidence.path, evidence.line)) if evidence.source != "state" else None
        if told is None:
            out.append(candidate)
            continue
        told.signatures += [s for s in candidate.signatures if s not in told.signatures]
    return out


def choose(candidates: list[_Candidate], window: tuple[datetime, datetime | None] | None,
           keep: int = MAX_EVIDENCE, top: int = 2 * HIGHLIGHTS) -> tuple[list[Evidence], list[int], list[int]]:
    """``(kept lines in the order met, indexes of the most telling best first, indexes inside the window)``."""
    candidates = one_per_line(candidates)
    distance = {c.seq: _distance(c.evidence.timestamp, window) for c in candidates}
    ranked: dict[int, _Candidate] = {}

    def take(items: list[_Candidate] | Iterator[_Candidate], limit: int | None = None) -> None:
        for candidate in items:
            if limit is not None and limit <= 0:
                return
            if candidate.seq not in ranked:
                ranked[candidate.seq] = candidate
                limit = None if limit is None else limit - 1

    def nearest(group: list[_Candidate]) -> list[_Candidate]:
        return [min(group, key=lambda c: (distance[c.seq], c.seq))] if group else []

    inside = [c for c in candidates if distance[c.seq] == 0.0]
    statements = [c for c in candidates if c.evidence.source != "log"]
    take(inside[:1])
    take(statements, _STATEMENTS_FIRST)
    take(inside[-1:])
    signatures: dict[int, list[_Candidate]] = {}
    files: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        for signature in candidate.signatures:
            signatures.setdefault(signature, []).append(candidate)
        files.setdefault(candidate.evidence.path, []).append(candidate)
    for signature, group in signatures.items():
        if not any(signature in c.signatures for c in ranked.values()):
            take(nearest(group))
    for path, group in files.items():
        if not any(c.evidence.path == path for c in ranked.values()):
            take(nearest(group))
    if candidates:
        take([candidates[-1], candidates[0]])
    take(_spread(inside))  # a window open to the end can hold most lines: cover all of it
    take(statements)
    take(sorted((c for c in candidates if distance[c.seq] != float("inf")), key=lambda c: distance[c.seq]))
    take(_spread([c for c in candidates if c.seq not in ranked]))
    order = list(ranked.values())[:keep]
    kept = sorted(order, key=lambda c: c.seq)
    index = {c.seq: i for i, c in enumerate(kept)}
    return ([c.evidence for c in kept], [index[c.seq] for c in order[:top]],
            [index[c.seq] for c in kept if distance[c.seq] == 0.0])


def _spread(candidates: list[_Candidate]) -> Iterator[_Candidate]:
    """Lines from both ends inwards, so what is kept covers the whole span rather than its start."""
    low, high = 0, len(candidates) - 1
    while low <= high:
        yield candidates[low]
        if high != low:
            yield candidates[high]
        low, high = low + 1, high - 1


def _distance(stamp: str | None, window: tuple[datetime, datetime | None] | None) -> float:
    """Seconds from the window (0 inside); infinite with no time or no window. A local time is
    taken as written, as the time filter of a triage takes it."""
    if window is None or not stamp:
        return float("inf")
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return float("inf")
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    since, until = window
    if when < since:
        return (since - when).total_seconds()
    if until is not None and when > until:
        return (when - until).total_seconds()
    return 0.0


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:4])


class Diagnosis:
    """Collects evidence during a triage and turns it into findings at the end."""

    def __init__(self, catalogue: Catalogue, lang: str = "en") -> None:
        self.catalogue = catalogue
        self.lang = lang
        self._tallies: dict[str, _Tally] = {}
        # (entry, signature index) -> "code" or "message", for the signatures the loader derived.
        self._exact = {(entry.id, index): kind for entry in catalogue.entries.values()
                       for index, sig in enumerate(entry.signatures) if (kind := exact_kind(sig)) is not None}
        self._unknown: dict[str, tuple[float, EvidencePool]] = {}
        self._window: tuple[datetime, datetime | None] | None = None

    def focus(self, since: datetime, until: datetime | None) -> None:
        """The failing backup job's time window (aware times): its lines are the most telling."""
        self._window = (since, until)

    def _tally(self, entry_id: str) -> _Tally:
        tally = self._tallies.get(entry_id)
        if tally is None:
            tally = self._tallies[entry_id] = _Tally()
        return tally

    # -- evidence in ----------------------------------------------------------------------
    def signature_hit(self, entry_id: str, signature: int, evidence: Evidence, level: str | None = None) -> None:
        """A signature matched ``evidence``; ``level``: the line's own level, as the scanner read it."""
        tally = self._tally(entry_id)
        tally.signatures.add(signature)
        tally.add(evidence, signature)
        if level == "ERROR":
            kind = self._exact.get((entry_id, signature))
            if kind is not None and kind not in tally.exact and OWN_LOG.search(evidence.path):
                tally.exact.add(kind)

    def stated(self, entry_id: str, confidence: float, evidence: Evidence, reason: str) -> None:
        """Evidence that carries its own confidence (job error text, a configuration fact)."""
        if entry_id not in self.catalogue.entries:
            return
        tally = self._tally(entry_id)
        tally.fixed = max(tally.fixed, confidence)
        tally.add(evidence)
        if evidence.source == "state":
            tally.state(confidence, evidence, reason)
        if reason not in tally.reasons:
            tally.reasons.append(reason)

    def unknown_code(self, code: str, confidence: float, evidence: Evidence) -> None:
        best, pool = self._unknown.get(code, (0.0, EvidencePool()))
        pool.add(evidence)
        self._unknown[code] = (max(best, confidence), pool)

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
        # Extension-side codes surface as portal codes. The portal code's finding is the one read
        # first, so it shows their lines (the log line that says which mount would not freeze)
        # even when its own evidence (the pasted job error) rates it higher; lines of a code
        # that is no finding on its own (a hint below CITE_FLOOR) are no proof of it, though.
        for entry_id, score in list(scores.items()):
            for portal in self.catalogue.entries[entry_id].surfaces_as:
                if portal not in self.catalogue.entries or portal == entry_id:
                    continue
                raises = 0.9 * score > scores.get(portal, 0.0)
                if raises or score >= CITE_FLOOR:
                    if raises:
                        scores[portal] = 0.9 * score
                    tally, source = self._tally(portal), self._tallies[entry_id]
                    tally.pool.absorb(source.pool)
                    tally.reasons.append(f"surfaces as the portal code of {entry_id}")
                    # Its lines come with how strongly each was stated, so what was not cited stays so.
                    tally.backed = tally.backed or source.strong()
                    for key, said in source.weak.items():
                        tally.weak.setdefault(key, said)
                    tally.cited_keys |= source.cited_keys
                    tally.cited_reasons |= source.cited_reasons
        # A found error lends weight to its causes that have their own evidence.
        for entry_id, score in list(scores.items()):
            entry = self.catalogue.entries[entry_id]
            if entry.kind != "error":
                continue
            for cause in entry.causes:
                if cause in scores and cause != entry_id:
                    scores[cause] = min(0.98, 1 - (1 - scores[cause]) * (1 - 0.5 * score))
        out = [self._finding(self.catalogue.entries[i], s, scores) for i, s in scores.items() if s > 0]
        for code, (confidence, pool) in self._unknown.items():
            finding = Finding(code, "unknown-code", confidence, f"Unknown error code {code}",
                              reasons=["a code in an error-code position that the catalogue does not know"])
            finding.evidence, finding.highlights, finding.in_window = choose(pool.candidates(), self._window)
            finding.evidence_count = pool.distinct()
            out.append(finding)
        out.sort(key=lambda f: (-f.confidence, f.id))
        return out

    @staticmethod
    def _score(tally: _Tally) -> float:
        score = tally.fixed
        if tally.signatures:
            sig = 0.65 + 0.10 * min(2, len(tally.signatures) - 1)
            if tally.exact:
                sig = max(sig, EXACT_BOTH if len(tally.exact) > 1 else EXACT_ONE)
            sig += 0.05 if tally.pool.distinct() >= 3 else 0.0
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
        pool = tally.pool
        candidates = pool.candidates()
        uncited = tally.uncited()
        if uncited:
            candidates = [c for c in candidates if c.evidence.key() not in uncited]
            # Only the statement's own reason goes: another statement, cited, may share it.
            dropped = {reason for _, reason in uncited.values()} - tally.cited_reasons
            finding.reasons = [r for r in finding.reasons if r not in dropped]
            weaker: dict[tuple[str, str], float] = {}
            for key, (confidence, reason) in uncited.items():
                weaker[(key[0], reason)] = max(confidence, weaker.get((key[0], reason), 0.0))
            finding.reasons += [f"not cited, weaker on its own ({confidence:.2f}, {path}): {reason}"
                                for (path, reason), confidence in sorted(weaker.items(), key=lambda kv: -kv[1])]
        finding.evidence, finding.highlights, finding.in_window = choose(candidates, self._window)
        finding.evidence_count, finding.signature_hits = pool.distinct(uncited), pool.hits
        if tally.signatures:
            finding.reasons.insert(0, f"{len(tally.signatures)} log signature(s), {finding.evidence_count} line(s)")
        if tally.exact:
            said = " and ".join(sorted(tally.exact, key=("code", "message").index))
            finding.reasons.insert(1, f"the error's own {said} at ERROR in the backup extension's log")
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
