"""Fuzzy matching of pasted error text (a code, a portal block, CLI JSON, a ticket) to catalogue entries.

One call, one answer: ``match(text)`` returns ranked ``MatchResult`` objects whose ``confidence``
is meant literally (on the labelled cases in ``fixtures/cases``, results at >= 0.5 are right at
least 95% of the time). Evidence, strongest first:

- an exact code or alias anywhere in the text, any case (generic ARM-style codes such as
  ``ResourceNotFound`` need backup context or their message, since other services use them too);
- a misspelt, truncated, re-cased or space-split code (``ExtensionSnapshotFailedNoNetwor``,
  ``usererror vm provisioning state failed``), scored by edit distance against the code length;
- a message in English or Chinese, partial, line-wrapped or reworded, found by a weighted word
  (for Chinese, character-bigram) window and confirmed character by character;
- an unknown code standing where an error code stands (``Error Code``, ``错误代码``, ``errorCode``,
  ``code``, PowerShell ``ErrorCode``) with an Azure Backup shape: reported as ``unknown-code``.

A text span explained well by one entry does not also count for a weaker look-alike, so a
portal block yields its own error and not every message sharing "Snapshot operation failed".
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from logparse.catalogue import Catalogue, load_catalogue
from logparse.errors import ParseError
from logparse.fuzzy_index import (
    BACKUP_CODE_SHAPE,
    CJK,
    MIN_VERBATIM,
    TOKEN,
    Index,
    Wording,
    build_index,
    camel_words,
    flat,
    fold,
    tokens,
)

__all__ = ["MAX_QUERY_BYTES", "MatchResult", "match", "query_text"]

REPORT_FLOOR = 0.3  # weaker candidates are noise and are never returned
MAX_QUERY_BYTES = 1 << 20  # pasted error text, not a whole log: ``logparse parse`` reads those
_EXACT, _EXACT_WEAK, _JOINED, _INT_CODE_CONF, _SIGNATURE = 0.97, 0.45, 0.9, 0.9, 0.85
_FAMILY = 0.6
_UNKNOWN_AT_POSITION = 0.75
_NAMES_MEMBER = ("message", "alias", "signature")  # evidence that tells family members apart
_UNKNOWN_TITLE = "Unknown error code (not in the catalogue)"

# Where a code stands, searched in the case-folded text: portal/PowerShell labels (EN, zh-CN;
# the value may follow a CLI integer as in "400094, BCMV2VMNotFound" or sit on the next line)
# and JSON / ARM dict keys.
_LABELLED_CODE = re.compile(
    r"(?:error ?code|错误代码|错误码)[*\s]{0,24}[:|=\t]?[*\s]{0,8}(?:\d{1,9}\s{0,3},\s{0,3})?"
    r"[\"'“]?([a-z][a-z0-9]{2,})"
)
_KEYED_CODE = re.compile(r"""(?<![a-z])(?:errorcode|code)["']?[ \t]{0,8}:[ \t]{0,8}["']([a-z][a-z0-9]{2,})""")
_BACKUP_CONTEXT = re.compile(
    r"backup|\bvault\b|recovery ?services|restore ?point|snapshot|\brestore\b|备份|保管库|快照|还原"
)
_INT_CODE = re.compile(r"""(?:["']?errorcode["']?\s{0,8}:)\s{0,8}(\d{3,9})\b""")
_SPLIT_WORDS = re.compile(f"({TOKEN.pattern})")
_SNAKE_WORD = re.compile(r"\b[a-z][a-z0-9]*+(?:_[a-z0-9]++)+")  # possessive: linear in the word length
_LONG_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{9,}")


@dataclass(frozen=True)
class MatchResult:
    """One catalogue entry (or an unknown code) the text points to, with how sure and why."""

    id: str
    kind: str  # "error" | "cause" | "unknown-code"
    confidence: float
    title: str
    matched: str  # "code" | "alias" | "fuzzy-code" | "joined-code" | "int-code" | "message" | "unknown-code"
    language: str  # language of the evidence: "en" or "zh-CN"
    evidence: str  # the piece of the text that matched
    span: tuple[int, int] = (0, 0)  # where, as offsets into the case-folded text

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "confidence": round(self.confidence, 3),
            "title": self.title, "matched": self.matched, "language": self.language,
            "evidence": self.evidence, "span": list(self.span),
        }


class _Query:
    """The text in the forms the evidence finders share, each computed once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = text.lower() if text.isascii() else fold(text)  # NFKC changes no ASCII
        # Split keeping the words: [gap, word, gap, word, ..., gap]. The words are ASCII words
        # and whole Chinese runs; the lengths give every offset without a match object each.
        self._parts: list[str] = _SPLIT_WORDS.split(self.folded)
        self.words: list[str] = self._parts[1::2]
        self.cjk = CJK.search(self.folded) is not None
        self.lang = "zh-CN" if self.cjk else "en"
        self.wordset = set(self.words)
        if "_" in self.folded:  # VMSnapshotLinux codes such as error_http_failure
            self.wordset.update(_SNAKE_WORD.findall(self.folded))
        if self.cjk:  # Chinese wordings are indexed by character bigrams
            self.wordset.update(w[i : i + 2] for w in self.words if w[0] > "z" for i in range(len(w) - 1))
        self._tokens: tuple[list[str], list[int]] | None = None
        self._context: bool | None = None

    @property
    def backup_context(self) -> bool:
        """Whether the text talks about backup at all (vault, snapshot, restore point, 备份 ...)."""
        if self._context is None:
            self._context = _BACKUP_CONTEXT.search(self.folded) is not None
        return self._context

    def is_about(self, span: tuple[int, int]) -> bool:
        """Whether the text is little more than this span: the question is this code or message."""
        return len(self.words) <= 6 or span[1] - span[0] >= 0.75 * len(self.folded.strip())

    def long_words(self) -> list[str]:
        """Words of ten or more letters as written (case kept), where a code could hide."""
        if len(self.text) != len(self.folded):  # folding moved offsets: search the text itself
            return _LONG_WORD.findall(self.text)
        words, starts = self.tokens
        text = self.text
        return [text[at:at + len(w)] for w, at in zip(words, starts, strict=True)
                if len(w) >= 10 and w[0].isalpha() and w[0] <= "z"]

    @property
    def tokens(self) -> tuple[list[str], list[int]]:
        """Tokens (Chinese runs as bigrams) and their start offsets in the folded text."""
        if self._tokens is None:
            if self.cjk:
                pairs = tokens(self.folded)
                self._tokens = ([t for t, _ in pairs], [at for _, at in pairs])
            else:  # the words are the tokens already; only offsets are missing
                ends = list(accumulate(map(len, self._parts)))  # part i ends where part i + 1 starts
                self._tokens = (self.words, ends[0:-1:2])
        return self._tokens


@dataclass
class _Evidence:
    entry: str
    confidence: float
    matched: str
    lang: str
    span: tuple[int, int]
    text: str


_INDEX_CACHE: dict[int, tuple[Catalogue, Index]] = {}


def _index_for(catalogue: Catalogue) -> Index:
    cached = _INDEX_CACHE.get(id(catalogue))
    if cached is None or cached[0] is not catalogue:
        if len(_INDEX_CACHE) > 8:
            _INDEX_CACHE.clear()
        index = build_index(catalogue)
        index.least_coverage = [_least_coverage(w) for w in index.wordings]
        cached = (catalogue, index)
        _INDEX_CACHE[id(catalogue)] = cached
    return cached[1]


def match(text: str, catalogue: Catalogue | None = None, top: int | None = None,
          lang: str = "en") -> list[MatchResult]:
    """Rank the catalogue entries (and unknown codes) that ``text`` points to.

    Args:
        text: any pasted text: a code, a portal block, CLI/PowerShell output, a ticket.
        catalogue: defaults to the built-in one (``load_catalogue()``).
        top: keep only the best N results.
        lang: language of the returned titles (``en`` or ``zh-CN``; English when missing).

    Returns:
        Results with confidence >= 0.3, best first; those at >= 0.5 are meant to be acted on.
    """
    index = _index_for(catalogue if catalogue is not None else load_catalogue())
    query = _Query(text)
    evidence = _code_evidence(index, query) + _signature_evidence(index, query)
    named = {e.entry for e in evidence if e.matched != "unknown-code" and e.confidence >= 0.5}
    evidence += _message_evidence(index, query, named)
    results = _combine(index, evidence, lang, query)
    return results[:top] if top is not None else results


def query_text(data: bytes | str) -> str:
    """Validate pasted input and return it as text.

    Raises:
        ParseError: empty or whitespace-only input, binary data (NUL bytes or mostly
            undecodable bytes), or more than ``MAX_QUERY_BYTES``.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_QUERY_BYTES:
        raise ParseError(f"match: input is larger than {MAX_QUERY_BYTES // 1024} KiB; pass the error text, "
                         "not a whole log (logparse parse reads logs)")
    if b"\x00" in raw:
        raise ParseError("match: input is binary (NUL bytes); pass the error text")
    text = raw.decode("utf-8-sig", errors="replace")
    if text.count("\ufffd") > max(8, len(text) // 20):
        raise ParseError("match: input is not UTF-8 text (mostly undecodable bytes); pass the error text")
    if not text.strip():
        raise ParseError("match: no text to match; pass TEXT or pipe the error text on stdin")
    return text


def _code_evidence(index: Index, query: _Query) -> list[_Evidence]:
    text, folded, lang = query.text, query.folded, query.lang
    out: list[_Evidence] = []
    positioned = _code_positions(text, folded)
    for code in index.codes.keys() & query.wordset:
        found = re.search(rf"(?<![a-z0-9]){code}(?![a-z0-9])", folded)
        if found is None:
            continue
        original = text[found.start():found.end()] if len(text) == len(folded) else code
        conf = _EXACT
        if code in index.generic:
            # Alone (a query that is just the code) it means what it says; inside other text
            # it needs backup context and to stand as a code.
            stands = code in positioned or original[:1].isupper()
            if not query.is_about(found.span()) and not (query.backup_context and stands):
                conf = _EXACT_WEAK
        out.extend(_Evidence(e, conf, how, lang, found.span(), original) for e, how in index.codes[code])
    candidates = {w for w in query.long_words() if not w.islower() and _looks_like_code(w)}
    candidates.update(positioned.values())
    for token in candidates:
        folded_token = token.casefold()
        if folded_token in index.codes:
            continue
        at_position = folded_token in positioned
        start = max(folded.find(folded_token), 0)
        span = (start, start + len(token))
        matches = _fuzzy_code(index, token, at_position)
        if matches:
            out.extend(_Evidence(e, c, "fuzzy-code", lang, span, token) for e, c in matches)
            continue
        out.extend(_Evidence(e, c, "code-family", lang, span, token) for e, c in _code_family(index, token))
        if at_position and BACKUP_CODE_SHAPE.fullmatch(token):
            out.append(_Evidence(token, _UNKNOWN_AT_POSITION, "unknown-code", lang, span, token))
    out += _joined_codes(index, query)
    if "errorcode" in folded:
        for m in _INT_CODE.finditer(folded):
            for entry_id in index.int_codes.get(int(m.group(1)), ()):
                out.append(_Evidence(entry_id, _INT_CODE_CONF, "int-code", lang, m.span(1), m.group(1)))
    return out


def _signature_evidence(index: Index, query: _Query) -> list[_Evidence]:
    """Log lines in the text that a catalogue signature proves (pasted extension.log, waagent.log)."""
    out: list[_Evidence] = []
    text, folded, wordset = query.text, query.folded, query.wordset
    same_length = len(text) == len(folded)
    anchored = [p for anchor in index.anchored.keys() & wordset for p in index.anchored[anchor]]
    for probe in anchored + index.unanchored:
        haystack = folded if probe.folds else text
        at = haystack.find(probe.literal)
        if at < 0:
            continue
        if not same_length:
            at = 0  # offsets differ after folding: scan the whole text line by line
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            found = probe.pattern.search(text[start:end])  # a slice, so that ^ anchors at the line start
            if found:
                span = (start + found.start(), start + found.end())
                out.append(_Evidence(probe.entry, _SIGNATURE, "signature", query.lang, span, found.group()))
                break
            at = haystack.find(probe.literal, end) if same_length else (end + 1 if end < len(text) else -1)
    return out


def _code_positions(text: str, folded: str) -> dict[str, str]:
    """Values standing where an error code stands: folded value -> value as written."""
    out: dict[str, str] = {}
    same_length = len(text) == len(folded)  # NFKC/casefold kept offsets, so the original case is at hand
    labelled = "code" in folded or "错误" in folded
    for pattern, wanted in ((_LABELLED_CODE, labelled), (_KEYED_CODE, "code" in folded)):
        if wanted:
            for m in pattern.finditer(folded):
                out.setdefault(m.group(1), text[m.start(1):m.end(1)] if same_length else m.group(1))
    return out


def _looks_like_code(token: str) -> bool:
    """CamelCase with at least three humps, the shape of every portal code."""
    return sum(1 for ch in token[1:] if ch.isupper()) >= 2 and not token.isupper()


def _fuzzy_code(index: Index, token: str, at_position: bool) -> list[tuple[str, float]]:
    """Catalogue codes ``token`` is a typo, truncation or re-spelling of, with a confidence."""
    key = (token, at_position)
    cached = index.fuzzy_cache.get(key)
    if cached is None:
        if len(index.fuzzy_cache) > 50_000:
            index.fuzzy_cache.clear()
        cached = index.fuzzy_cache[key] = _fuzzy_code_uncached(index, token, at_position)
    return cached


def _fuzzy_code_uncached(index: Index, token: str, at_position: bool) -> list[tuple[str, float]]:
    folded = token.casefold()
    best = process.extract(folded, index.fuzzy_choices, scorer=OSA.distance, limit=3,
                           score_cutoff=max(1, len(folded) // 8))
    if not best:
        return []
    name, distance, _ = best[0]
    if _whole_word_difference(camel_words(token), index.code_words[name]):
        return []  # a different (maybe newer) code, not a typo: V2 added, a prefix dropped
    # Edit distance relative to length: one slip in a 30-letter code is near-certain.
    conf = 0.93 - 2.2 * distance / max(len(name), 1) + (0.03 if at_position else 0.0)
    if len(best) > 1 and best[1][1] - distance <= 1 and index.codes[best[1][0]] != index.codes[name]:
        conf = min(conf, 0.4)  # the slip lies between two codes: say so rather than guess
    return [(e, conf) for e, _ in index.codes[name]] if conf >= REPORT_FLOOR else []


def _code_family(index: Index, token: str) -> list[tuple[str, float]]:
    """A known code followed by more words (``FailedWorkloadQuiesceError``): a member of its family.

    Likely related, not the same error, so the confidence stays moderate; a generic family
    (``ResourceNotFoundException``) is only a hint.
    """
    words = camel_words(token)
    for n in range(len(words) - 1, 1, -1):
        name = "".join(words[:n])
        owners = index.codes.get(name)
        if owners:
            conf = _FAMILY * (0.5 if name in index.generic else 1.0)
            return [(e, conf) for e, _ in owners]
    return []


def _whole_word_difference(words: tuple[str, ...], code_words: tuple[str, ...]) -> bool:
    """True when one word sequence is the other with whole words added (a different code)."""
    shorter, longer = sorted((words, code_words), key=len)
    if len(shorter) == len(longer):
        return False
    rest = iter(longer)
    return all(any(w == x for x in rest) for w in shorter)


def _joined_codes(index: Index, query: _Query) -> list[_Evidence]:
    """Codes written as four or more separate words: ``usererror vm provisioning state failed``.

    Three everyday words ("backup operation failed") are prose, not a code.
    """
    words, prefixes = query.words, index.code_prefixes
    out: list[_Evidence] = []
    for a, word in enumerate(words):
        if word not in prefixes:
            continue
        joined, b = word, a + 1
        while b < len(words) and joined + words[b] in prefixes:
            joined += words[b]
            b += 1
            if b - a >= 4 and joined in index.codes:
                found = re.search(r"[^a-z0-9]+".join(words[a:b]), query.folded)
                span = found.span() if found else (0, 0)
                out.extend(_Evidence(e, _JOINED, "joined-code", query.lang, span, query.folded[span[0]:span[1]])
                           for e, _ in index.codes[joined])
    return out


def _message_evidence(index: Index, q: _Query, named: set[str]) -> list[_Evidence]:
    wordset = q.wordset
    keyed: set[int] = set()
    for tok in index.vocabulary & wordset:
        keyed.update(index.key_postings[tok])
    # Half of a wording's weight must appear verbatim; then an upper bound before any window:
    # every word found anywhere, perfectly aligned, every long word missing from the whole
    # text forgiven as a typo. Most wordings sharing a few words with the text stop here.
    candidates: list[tuple[Wording, frozenset[str], frozenset[str]]] = []
    least = index.least_coverage
    for wid in keyed:
        wording = index.wordings[wid]
        found_words = wording.words & wordset
        got = sum(map(wording.weights.__getitem__, found_words)) / wording.total
        if got < MIN_VERBATIM:
            continue
        missing = wording.long_words - wordset
        if got < least[wid] and got + _room(wording, missing) < least[wid]:
            continue
        candidates.append((wording, found_words, missing))
    if not candidates:
        return []
    folded = q.folded
    words, starts = q.tokens
    wanted = set().union(*(found_words for _, found_words, _ in candidates))
    positions: dict[str, list[int]] = defaultdict(list)
    for i, tok in enumerate(words):
        if tok in wanted:
            positions[tok].append(i)
    found: list[_Evidence] = []
    for wording, found_words, missing in candidates:
        hits = sorted(p for t in found_words for p in positions[t])
        first, last, covered = _best_window(wording, words, hits)
        coverage = covered / wording.total
        needed = _ratio_needed(min(1.0, coverage + _room(wording, missing)), wording)
        if needed > 1.0:
            continue
        start, end = starts[first], starts[last] + len(words[last])
        # The cutoff lets rapidfuzz give up early on windows that cannot reach the floor.
        window = flat(folded[start:end], wording.cjk)
        ratio = fuzz.partial_ratio(wording.flat, window, score_cutoff=needed * 100) / 100
        if ratio == 0.0:
            continue
        if missing and coverage < 0.999 and _message_confidence(ratio, 1.0, wording) >= REPORT_FLOOR:
            coverage = min(1.0, coverage + _typo_credit(wording, missing, words, first, last) / wording.total)
        conf = _message_confidence(ratio, coverage, wording)
        if conf >= REPORT_FLOOR:
            found.append(_Evidence(wording.entry, conf, wording.matched, wording.lang, (start, end),
                                   folded[start:end]))
    return _explain_away(found, named)


def _room(wording: Wording, missing: frozenset[str]) -> float:
    """Coverage the typo credit could add at most: long words absent from the text, forgiven."""
    return 0.8 * sum(map(wording.weights.__getitem__, missing)) / wording.total


def _least_coverage(wording: Wording) -> float:
    """The smallest coverage that, perfectly aligned, still reaches the report floor."""
    needed_similarity = _ratio_needed(0.0, wording) * 0.4  # the similarity a ratio of 1 must give
    return (needed_similarity - 0.4) / 0.6


def _ratio_needed(coverage: float, wording: Wording) -> float:
    """The smallest character ratio that still reaches the report floor (the inverse of the below)."""
    base = REPORT_FLOOR / (_information(wording) * wording.strength)
    if base > 0.95:
        return 2.0
    return (0.75 + (base - 0.5) / 2.25) / (0.4 + 0.6 * coverage)


def _information(wording: Wording) -> float:
    # Typical summed weight of a wording specific enough on its own (bigrams weigh more).
    return min(1.0, 0.45 + wording.total / (100.0 if wording.cjk else 50.0))


def _message_confidence(ratio: float, coverage: float, wording: Wording) -> float:
    """Calibrated confidence that a query window is this wording.

    ``ratio`` (character alignment) carries order and spelling, ``coverage`` (weighted share of
    the wording's words inside the window) carries completeness; a wording with little specific
    information is capped, because other products print similar text.
    """
    similarity = ratio * (0.4 + 0.6 * coverage)
    base = min(0.95, 0.5 + (similarity - 0.75) * 2.25)
    return base * _information(wording) * wording.strength


def _best_window(wording: Wording, words: list[str], hits: list[int]) -> tuple[int, int, float]:
    """The query window (at most ``span_max`` tokens) holding the most of the wording's weight."""
    inside: dict[str, int] = {}
    weights, span_max = wording.weights, wording.span_max
    best = (hits[0], hits[0], 0.0)
    covered, lo = 0.0, 0
    for pos in hits:
        tok = words[pos]
        count = inside.get(tok, 0)
        inside[tok] = count + 1
        if count == 0:
            covered += weights[tok]
        while pos - hits[lo] >= span_max:
            old = words[hits[lo]]
            inside[old] -= 1
            if inside[old] == 0:
                covered -= weights[old]
            lo += 1
        if covered > best[2] + 1e-9:
            best = (hits[lo], pos, covered)
    return best


def _typo_credit(wording: Wording, missing: frozenset[str], words: list[str], first: int, last: int) -> float:
    """Weight of wording words absent from the text but present near the window with a small typo."""
    nearby = [t for t in words[max(0, first - 3):last + 4] if len(t) >= 4 and t not in wording.weights]
    if not nearby:
        return 0.0
    # One slip per five letters: "comunicate", "staus"; a longer word that merely contains this
    # one ("vmsnapshotlinux" for "vmsnapshot") is not a typo of it.
    return sum(0.8 * wording.weights[word] for word in missing
               if process.extractOne(word, nearby, scorer=Levenshtein.distance, score_cutoff=len(word) // 5))


def _explain_away(found: list[_Evidence], named: set[str]) -> list[_Evidence]:
    """Keep, per overlapping text span, only the entries that explain it best.

    An entry the text names (by code or log signature) owns the wording it matches. Otherwise two entries
    sharing one wording (BackUpOperationFailed / V2) tie and both stay, and a weaker
    look-alike of a better match goes.
    """
    found.sort(key=lambda e: (e.entry not in named, -e.confidence))
    kept: list[_Evidence] = []
    for ev in found:
        rivals = [k for k in kept if k.entry != ev.entry and _overlap(k.span, ev.span)]
        tie = all(k.confidence - ev.confidence < 0.02 for k in rivals)
        if not rivals or ev.entry in named or (tie and not any(k.entry in named for k in rivals)):
            kept.append(ev)
    return kept


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter > 0.5 * min(a[1] - a[0], b[1] - b[0])


def _specialise(by_entry: dict[str, list[_Evidence]]) -> None:
    """A family code (``VMRestorePointClientError``) plus a member's wording (``...ClientError.ComPlus``).

    The wording says which member; the family code supports it, and the bare family entry goes.
    """
    members = [e for e in by_entry if "." in e and any(ev.matched in _NAMES_MEMBER for ev in by_entry[e])]
    for member in members:
        family = by_entry.get(member.split(".", 1)[0], [])
        by_entry[member] += [ev for ev in family if ev.matched not in _NAMES_MEMBER]
    for member in members:
        by_entry.pop(member.split(".", 1)[0], None)


def _combine(index: Index, evidence: list[_Evidence], lang: str, query: _Query) -> list[MatchResult]:
    by_entry: dict[str, list[_Evidence]] = defaultdict(list)
    for ev in evidence:
        by_entry[ev.entry].append(ev)
    _specialise(by_entry)
    results = []
    for entry_id, evs in by_entry.items():
        evs.sort(key=lambda e: -e.confidence)
        best = evs[0]
        conf = best.confidence
        other = next((e for e in evs[1:] if e.matched != best.matched), None)
        if other is not None:
            conf += (1 - conf) * 0.6 * other.confidence  # independent evidence agrees
        if entry_id.split(".", 1)[0].casefold() in index.generic and not (
                query.backup_context or query.is_about(best.span)):
            # A platform error (AllocationFailed, ResourceNotFound) raised outside any backup
            # is some other service's problem, whatever evidence names it.
            conf = min(conf, _EXACT_WEAK)
        if conf < REPORT_FLOOR:
            continue
        entry = index.catalogue.entries.get(entry_id)
        kind = entry.kind if entry is not None else "unknown-code"
        title = entry.text(entry.title, lang) if entry is not None else _UNKNOWN_TITLE
        results.append(MatchResult(entry_id, kind, round(min(conf, 0.995), 4), title, best.matched,
                                   best.lang, best.text, best.span))
    results.sort(key=lambda r: (-r.confidence, r.span[0]))
    return results
