"""Evidence from message wordings: partial, line-wrapped, reworded or Chinese messages in the text.

A wording is found in three steps, each cheaper than the next is costly: half its weighted
words must appear verbatim somewhere (words rare in the catalogue weigh most, boilerplate
least); the densest window of the text must hold enough of them; and the window must align
with the wording character by character (rapidfuzz ``partial_ratio``). Coverage and alignment
give a similarity that maps to a calibrated confidence; wordings with little specific
information are capped, because other products print similar text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from logparse.fuzzy.index import CJK, HEAD_WORDS, MIN_VERBATIM, TOKEN, Index, Wording, flat, head_keys, head_words
from logparse.fuzzy.query import REPORT_FLOOR, Evidence, Query

# A cut-short paste: lines read (the first 200), their length in characters once flattened,
# the least character ratio to a wording's start, and what a cut wording is worth against a whole one.
_CUT_LINES, _CUT_MIN, _CUT_MAX, _CUT_RATIO, _CUT = 200, 16, 400, 0.85, 0.9
_CUT_TAIL = 12  # characters at the end of a cut paste that must be the wording's
# The line after a paste cut short: nothing, a blank line, or the next field of a portal block,
# PowerShell list or table ("Recommended Action<tab>", "Recommendations : ", "| ...").
_ENDS_PASTE = re.compile(r"\s*$|\s*[>|]?\s*[^\s:：|\t][^:：|\t]{0,40}(?:\t|\s*[:：|])")
# A portal or PowerShell label before the message on its line.
_LABEL = re.compile(r"[\W_]*(?:(?:error ?)?message|错误消息|错误信息)?[\W_]*")


def prepare(index: Index) -> None:
    """Precompute, per wording, the least coverage that can still reach the report floor."""
    index.least_coverage = [(_ratio_needed(0.0, w) * 0.4 - 0.4) / 0.6 for w in index.wordings]


def message_evidence(index: Index, query: Query, named: set[str]) -> list[Evidence]:
    """Wordings found in the text; ``named`` entries (by code or signature) own what they match."""
    wordset = query.wordset
    keyed: set[int] = set()
    for tok in index.vocabulary & wordset:
        keyed.update(index.key_postings[tok])
    # Half the weight verbatim; then a bound before any window: every word found anywhere,
    # perfectly aligned, every long word missing from the whole text forgiven as a typo.
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
    found = _window_evidence(query, candidates) if candidates else []
    # A cut reading is worth at most 0.95 x _CUT: a line a whole wording explains better needs none.
    # One of text that a whole wording of the same entry also matched is the same evidence twice,
    # not two independent pieces: the stronger of the two stays.
    settled = [f.span for f in found if f.confidence > 0.95 * _CUT]
    for ev in _cut_evidence(index, query, settled):
        same = [f for f in found if f.entry == ev.entry and _overlap(f.span, ev.span)]
        if all(f.confidence < ev.confidence for f in same):
            found = [f for f in found if f not in same] + [ev]
    return _explain_away(found, named)


def _window_evidence(query: Query, candidates: list[tuple[Wording, frozenset[str], frozenset[str]]]) -> list[Evidence]:
    """The densest window of the text per candidate wording, aligned character by character."""
    folded = query.folded
    words, starts = query.tokens
    wanted = set().union(*(found_words for _, found_words, _ in candidates))
    positions: dict[str, list[int]] = defaultdict(list)
    for i, tok in enumerate(words):
        if tok in wanted:
            positions[tok].append(i)
    found: list[Evidence] = []
    for wording, found_words, missing in candidates:
        hits = sorted(p for t in found_words for p in positions[t])
        first, last, covered = _best_window(wording, words, hits)
        coverage = covered / wording.total
        needed = _ratio_needed(min(1.0, coverage + _room(wording, missing)), wording)
        if needed > 1.0:
            continue
        start, end = starts[first], starts[last] + len(words[last])
        # The cutoff lets rapidfuzz give up early on windows that cannot reach the floor.
        ratio = fuzz.partial_ratio(wording.flat, flat(folded[start:end], wording.cjk), score_cutoff=needed * 100)
        if ratio == 0.0:
            continue
        ratio /= 100.0
        if missing and coverage < 0.999 and confidence(ratio, 1.0, wording) >= REPORT_FLOOR:
            coverage = min(1.0, coverage + _typo_credit(wording, missing, words, first, last) / wording.total)
        conf = confidence(ratio, coverage, wording)
        if conf >= REPORT_FLOOR:
            found.append(Evidence(wording.entry, conf, wording.matched, wording.lang, (start, end),
                                  folded[start:end]))
    return found


def _cut_evidence(index: Index, query: Query, settled: Sequence[tuple[int, int]] = ()) -> list[Evidence]:
    """Wordings cut short where a line of the text ends: a paste that stops mid-message.

    The line must read as the start of the wording (typos forgiven by the character ratio);
    what it is worth is what that start says: the weight of the wording's words it holds, so
    "Snapshot operation failed due to no network" counts and "Snapshot operation failed" does
    not. A start that two entries share names neither.
    """
    out: list[Evidence] = []
    offset = 0
    heads = index.head_postings.keys()
    lines = query.folded.split("\n")
    for number, line in enumerate(lines):
        start, offset = offset, offset + len(line) + 1
        if number >= _CUT_LINES:
            break
        if not _CUT_MIN <= len(line) <= 2 * _CUT_MAX or any(a < offset and start < b for a, b in settled):
            continue
        if number + 1 < len(lines) and not _ENDS_PASTE.match(lines[number + 1]):
            continue  # the sentence goes on on the next line (a wrap): it was not cut here
        body_at = _LABEL.match(line).end()  # type: ignore[union-attr]  # matches the empty string
        body = line[body_at:]
        cjk = query.cjk and CJK.search(body) is not None
        if cjk:
            pasted = flat(body, cjk)
            keys = head_keys(pasted, cjk)
        else:
            # Most lines of a ticket start like no wording: ruled out on their first words, unflattened.
            keys = head_words(TOKEN.findall(body, 0, 100)[:HEAD_WORDS + 5])
            if heads.isdisjoint(keys):
                continue
        shared: dict[int, int] = defaultdict(int)
        for key in keys:
            for wid in index.head_postings.get(key, ()):
                shared[wid] += 1
        # Two of its first words at least (a typo may hide one): one common word ("azure",
        # "backup") starts too many lines of a ticket to be worth a character comparison.
        wids = [wid for wid, count in shared.items() if count >= min(2, index.head_counts[wid])]
        if not wids:
            continue
        if not cjk:
            pasted = flat(body, cjk)
        if not _CUT_MIN <= len(pasted) <= _CUT_MAX:
            continue
        scored: list[tuple[float, float, Wording]] = []
        for wid in wids:
            wording = index.wordings[wid]
            if wording.cjk != cjk or len(wording.flat) < len(pasted) + 4:
                continue
            # Cut as long as the paste first: far off there, three characters either way
            # (a letter dropped or doubled) cannot bring it up to the bar.
            if not fuzz.ratio(pasted, wording.flat[:len(pasted)], score_cutoff=100 * _CUT_RATIO - 15):
                continue
            ratio, cut = max((fuzz.ratio(pasted, wording.flat[:c]), c)
                             for c in range(len(pasted) - 3, len(pasted) + 4))
            # Its last words must be the wording's too: a line that starts like a message and
            # then goes elsewhere ("... permissions to the SMB share") is another sentence.
            tail = min(_CUT_TAIL, cut)
            if ratio < 100 * _CUT_RATIO or fuzz.ratio(pasted[-tail:], wording.flat[cut - tail:cut]) < 75:
                continue
            if any(abs(cut - end) <= 4 for end in index.sentence_ends[wid]):
                continue  # a whole first sentence, which is a wording of its own: not cut, compared whole
            scored.append((ratio / 100, _head_weight(wording, cut), wording))
        if not scored:
            continue
        ratio, weight, wording = max(scored, key=lambda s: s[0])
        if len({w.entry for r, _, w in scored if r >= ratio - 0.03}) > 1:
            continue  # a start that several entries' wordings share names none of them
        # As a whole wording's confidence, on the start's own weight, and worth _CUT of it.
        conf = _base(ratio) * _information(weight, cjk) * wording.strength * _CUT
        if conf >= REPORT_FLOOR:
            out.append(Evidence(wording.entry, conf, wording.matched, wording.lang,
                                (start + body_at, start + len(line)), body))
    return out


def _head_weight(wording: Wording, cut: int) -> float:
    """Weight of the wording's words (Chinese bigrams) wholly inside its first ``cut`` characters."""
    head = wording.flat[:cut]
    if wording.cjk:
        grams = {head[i:i + 2] for i in range(len(head) - 1)}
    else:
        grams = set(head.split()) if cut >= len(wording.flat) or wording.flat[cut] == " " else set(head.split()[:-1])
    return sum(wording.weights.get(g, 0.0) for g in grams)


def confidence(ratio: float, coverage: float, wording: Wording) -> float:
    """Calibrated confidence that a text window is this wording.

    ``ratio`` (character alignment) carries order and spelling, ``coverage`` (weighted share of
    the wording's words inside the window) carries completeness.
    """
    return _base(ratio * (0.4 + 0.6 * coverage)) * _information(wording.total, wording.cjk) * wording.strength


def _base(similarity: float) -> float:
    return min(0.95, 0.5 + (similarity - 0.75) * 2.25)


def _information(weight: float, cjk: bool) -> float:
    """Below 1 for wordings (or their starts) with little specific weight (a typical specific one
    sums to 50, or 100 in Chinese bigrams, which weigh more)."""
    return min(1.0, 0.45 + weight / (100.0 if cjk else 50.0))


def _ratio_needed(coverage: float, wording: Wording) -> float:
    """The smallest character ratio that still reaches the report floor (``confidence`` inverted)."""
    base = REPORT_FLOOR / (_information(wording.total, wording.cjk) * wording.strength)
    if base > 0.95:
        return 2.0
    return (0.75 + (base - 0.5) / 2.25) / (0.4 + 0.6 * coverage)


def _room(wording: Wording, missing: frozenset[str]) -> float:
    """Coverage the typo credit could add at most: long words absent from the text, forgiven."""
    return 0.8 * sum(map(wording.weights.__getitem__, missing)) / wording.total


def _best_window(wording: Wording, words: list[str], hits: list[int]) -> tuple[int, int, float]:
    """The text window (at most ``span_max`` tokens) holding the most of the wording's weight."""
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


def _explain_away(found: list[Evidence], named: set[str]) -> list[Evidence]:
    """Keep, per overlapping text span, only the entries that explain it best.

    An entry the text names (by code or log signature) owns the wording it matches. Otherwise
    two entries sharing one wording (BackUpOperationFailed / V2) tie and both stay, and a
    weaker look-alike of a better match goes.
    """
    found.sort(key=lambda e: (e.entry not in named, -e.confidence))
    kept: list[Evidence] = []
    for ev in found:
        rivals = [k for k in kept if k.entry != ev.entry and _overlap(k.span, ev.span)]
        tie = all(k.confidence - ev.confidence < 0.02 for k in rivals)
        if not rivals or ev.entry in named or (tie and not any(k.entry in named for k in rivals)):
            kept.append(ev)
    return kept


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter > 0.5 * min(a[1] - a[0], b[1] - b[0])
