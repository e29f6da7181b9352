"""``match(text)``: gather the evidence of every kind, combine it per entry, rank the entries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from logparse.catalogue import Catalogue, load_catalogue
from logparse.fuzzy.codes import code_evidence, fuzzy_code, signature_evidence
from logparse.fuzzy.index import Index, build_index
from logparse.fuzzy.messages import message_evidence, prepare
from logparse.fuzzy.query import REPORT_FLOOR, WEAK, Evidence, Query
from logparse.fuzzy.rejoin import compose, origin_span, rejoin, unescape

_NAMES_MEMBER = ("message", "alias", "signature")  # evidence that tells family members apart
# Evidence that is a code's name as written (exact, misspelt, split, cut or extended), no more.
_CODE_NAMES = frozenset({"code", "alias", "fuzzy-code", "joined-code", "code-family"})
_PLATFORM_NOTE = "a platform code other Azure services raise too: the text does not say a backup raised it"
_UNKNOWN_TITLE = {"en": "Unknown error code (not in the catalogue)", "zh-CN": "未知错误代码（不在目录中）"}
_INDEX_CACHE: dict[int, tuple[Catalogue, Index]] = {}


@dataclass(frozen=True)
class MatchResult:
    """One catalogue entry (or an unknown code) the text points to, with how sure and why."""

    id: str
    kind: str  # "error" | "cause" | "unknown-code"
    confidence: float
    title: str
    # "code", "alias", "fuzzy-code", "joined-code", "code-family", "int-code", "signature",
    # "message" or "unknown-code": the strongest evidence
    matched: str
    language: str  # language of the evidence: "en" or "zh-CN"
    evidence: str  # the piece of the text that matched
    span: tuple[int, int] = (0, 0)  # where, as offsets into the case-folded text
    # Why the text leaves this open, when it does: it is shared by several entries' messages, or
    # its code may be cut short (``ties``: the other entries it does not tell this one from).
    note: str = ""
    ties: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "confidence": round(self.confidence, 3),
            "title": self.title, "matched": self.matched, "language": self.language,
            "evidence": self.evidence, "span": list(self.span), "note": self.note, "ties": list(self.ties),
        }


def match(text: str, catalogue: Catalogue | None = None, top: int | None = None,
          lang: str = "en", backup: bool = False) -> list[MatchResult]:
    """Rank the catalogue entries (and unknown codes) that ``text`` points to.

    Args:
        text: any pasted text: a code, a portal block, CLI/PowerShell output, a ticket.
        catalogue: defaults to the built-in one (``load_catalogue()``).
        top: keep only the best N results.
        lang: language of the returned titles (``en`` or ``zh-CN``; English when missing).
        backup: the caller knows the text is a backup job's error (``triage --error``), so a
            platform code in it (``ResourceNotFound``) is that job's, as if the text said "backup".

    Returns:
        Results with confidence >= 0.3, best first; those at >= 0.5 are meant to be acted on.
    """
    index = _index_for(catalogue if catalogue is not None else load_catalogue())
    # Spans are of the text as pasted: a wrapped code is matched whole, its span covers both lines.
    plain, unescaped = unescape(text)
    joined, rejoined = rejoin(plain, index.code_words, index.code_prefixes, index.message_words,
                              lambda token: bool(fuzzy_code(index, token, False)))
    origin = compose(unescaped, rejoined)
    query = Query(joined, backup)
    evidence = code_evidence(index, query)
    evidence += signature_evidence(index, query, any(e.matched != "unknown-code" and e.confidence >= 0.5
                                                     for e in evidence))
    named = {e.entry for e in evidence if e.matched != "unknown-code" and e.confidence >= 0.5}
    evidence += message_evidence(index, query, named)
    results = _combine(index, evidence, lang, query)
    if origin is not None:
        results = [replace(r, span=origin_span(origin, r.span)) for r in results]
    return results[:top] if top is not None else results


def _index_for(catalogue: Catalogue) -> Index:
    cached = _INDEX_CACHE.get(id(catalogue))
    if cached is None or cached[0] is not catalogue:
        if len(_INDEX_CACHE) > 8:
            _INDEX_CACHE.clear()
        index = build_index(catalogue)
        prepare(index)
        cached = _INDEX_CACHE[id(catalogue)] = (catalogue, index)
    return cached[1]


def _combine(index: Index, evidence: list[Evidence], lang: str, query: Query) -> list[MatchResult]:
    by_entry: dict[str, list[Evidence]] = defaultdict(list)
    for ev in evidence:
        by_entry[ev.entry].append(ev)
    _specialise(by_entry)
    results = []
    for entry_id, evs in by_entry.items():
        evs.sort(key=lambda e: -e.confidence)
        best = evs[0]
        conf = best.confidence
        other = next((e for e in evs[1:] if e.matched != best.matched), None)
        if other is not None and best.pending is not None and not best.pending():
            best.cap()
        if other is not None and not best.uncapped:
            # Independent evidence agrees (a hint, as it was before it was held): two hints
            # together are no proof.
            conf += (1 - conf) * 0.6 * (other.uncapped or other.confidence)
        platform = ""
        if entry_id.split(".", 1)[0].casefold() in index.generic and conf > WEAK and not query.backup_context and (
                not query.is_about(best.span) or _name_only(evs)):
            # A platform error (AllocationFailed, ResourceNotFound) raised outside any backup
            # is some other service's problem, whatever evidence names it. Its code alone, even
            # as the whole question, names that Azure-wide error, not the backup cause this entry
            # is: "BadRequest" is not "restore point API version too old". Its message, or the
            # backup's own number for it ("320001, ResourceNotFound"), says more than the code.
            conf = min(conf, WEAK)
            platform = _PLATFORM_NOTE
        note: str = ""
        ties: tuple[str, ...] = ()
        held = [e for e in evs if e.ceiling < 1.0] if best.ceiling < 1.0 or len(evs) > 1 else ()
        if held:
            # Where the text leaves it open (a shared part of several messages, a code that may be
            # cut), nothing on the same stretch settles which; evidence elsewhere in the text may.
            ceiling = min(held, key=lambda e: e.ceiling)
            elsewhere = max((e.confidence for e in evs if e.ceiling == 1.0
                             and not any(_overlap(e.span, h.span) for h in held)), default=0.0)
            conf = min(conf, max(ceiling.ceiling, elsewhere))
            if conf <= ceiling.ceiling:  # (held where it is open, the note says why)
                note, ties = ceiling.note, ceiling.ties
        else:
            noted = next((e for e in evs if e.note), None)  # a message two entries share (no ceiling)
            if noted is not None:
                note, ties = noted.note, noted.ties
        note = note or platform
        if conf < REPORT_FLOOR:
            continue
        entry = index.catalogue.entries.get(entry_id)
        kind = entry.kind if entry is not None else "unknown-code"
        title = entry.text(entry.title, lang) if entry is not None else _UNKNOWN_TITLE.get(lang, _UNKNOWN_TITLE["en"])
        results.append(MatchResult(entry_id, kind, round(min(conf, 0.995), 4), title, best.matched,
                                   best.lang, best.text, best.span, note, ties))
    results.sort(key=lambda r: (-r.confidence, r.span[0]))
    return results


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return min(a[1], b[1]) > max(a[0], b[0])


def _name_only(evs: list[Evidence]) -> bool:
    """Whether all the evidence is the entry's code as written (or a signature on that very word)."""
    names = [e.span for e in evs if e.matched in _CODE_NAMES]
    return bool(names) and all(any(_overlap(e.span, name) for name in names) for e in evs)


def _specialise(by_entry: dict[str, list[Evidence]]) -> None:
    """A family code (``VMRestorePointClientError``) plus a member's wording (``...ClientError.ComPlus``).

    The wording says which member; the family code supports it, and the bare family entry goes.
    """
    members = [e for e in by_entry if "." in e and any(ev.matched in _NAMES_MEMBER for ev in by_entry[e])]
    for member in members:
        family = by_entry.get(member.split(".", 1)[0], [])
        by_entry[member] += [ev for ev in family if ev.matched not in _NAMES_MEMBER]
    for member in members:
        by_entry.pop(member.split(".", 1)[0], None)
