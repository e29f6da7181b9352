"""Evidence from message wordings: partial, line-wrapped, reworded or Chinese messages in the text.

A wording is found in three steps, each cheaper than the next is costly: half its weighted
words must appear verbatim somewhere (words rare in the catalogue weigh most, boilerplate
least); the densest window of the text must hold enough of them; and the window must align
with the wording character by character (rapidfuzz ``partial_ratio``). Coverage and alignment
give a similarity that maps to a calibrated confidence; wordings with little specific
information are capped, because other products print similar text. A match is then checked
word by word (``_specific``): another product's error in the same frame ("The cluster is in
failed provisioning state") or a few generic words stay a hint unless the text shows it comes
from Azure Backup.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence, Set
from functools import partial
from itertools import chain, compress, count

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from logparse.fuzzy.index import (
    CJK,
    GENERIC,
    HEAD_WORDS,
    MIN_VERBATIM,
    PLAIN,
    TOKEN,
    Index,
    Wording,
    flat,
    head_keys,
    head_words,
    tokens,
)
from logparse.fuzzy.query import REPORT_FLOOR, WEAK, Evidence, Query

# A cut-short paste: lines read (the first 200), their length in characters once flattened,
# the least character ratio to a wording's start, and what a cut wording is worth against a whole one.
_CUT_LINES, _CUT_MIN, _CUT_MAX, _CUT_RATIO, _CUT = 200, 16, 400, 0.85, 0.9
_CUT_TAIL = 12  # characters at the end of a cut paste that must be the wording's
# The line after a paste cut short: nothing, a blank line, or the next field of a portal block,
# PowerShell list or table ("Recommended Action<tab>", "Recommendations : ", "| ...").
_ENDS_PASTE = re.compile(r"\s*$|\s*[>|]?\s*[^\s:：|\t][^:：|\t]{0,40}(?:\t|\s*[:：|])")
# A portal or PowerShell label before the message on its line.
_LABEL = re.compile(r"[\W_]*(?:(?:error ?)?message|错误消息|错误信息)?[\W_]*")
# Evidence a wording needs before it is acted on (see _specific), in words (see index._unit):
# three, so that "unable to load certificate" (OpenSSL's words as much as the extension's) is a
# hint, five when the text's sentence goes on past the wording ("虚拟机不存在或已被删除"); and the
# share of its words that may stand replaced by others, or be missing at all.
_LEAST_WORDS, _LEAST_IN_SENTENCE, _REPLACED, _MISSING = 3.0, 5.0, 1 / 10, 1 / 3
# Words of a wording's own (not GENERIC) it needs to be proof outside a text about backups, and
# what a word put into it costs, against one put in the place of one of its words.
_LEAST_OWN, _ADDED = 3.0, 0.5
# Near-verbatim (a typo at most), and what each word of its own adds to a wording's information.
_VERBATIM, _PER_WORD = 0.97, 0.05
# A window this share of a wording's length or more is compared with all of it, not a part.
_WHOLE = 0.7
# A text this share of a wording or more is the whole of it (a word or two dropped), not a part
# that other wordings may hold as well (see _shared).
_SHARED_PART = 0.9
# What _shared needs of a window match: its evidence, wording, flattened text, character ratio,
# whether it holds (nearly) all of the wording, and the wording's words in it.
_Window = tuple[Evidence, Wording, str, float, bool, frozenset[str]]
# Chinese slips (see _slips): one allowed per this many characters of a wording; and the
# characters that negate, which no slip may touch.
_SLIP_EVERY, _SLIP_REACH = 8, 3
_NEGATION = re.compile("[不无未非没否别勿]")
_FLAT_CHAR = re.compile(r"[a-z0-9\u3400-\u9fff]")  # a character ``flat`` keeps
# The text's sentence goes straight on: a word follows on the line, no punctuation between.
_GOES_ON = re.compile(r"[ \t]*([a-z0-9]+|[\u3400-\u9fff]+)")


def prepare(index: Index) -> None:
    """Precompute, per wording, the least coverage that can still reach the report floor."""
    index.least_coverage = [(_ratio_needed(0.0, w) * 0.4 - 0.4) / 0.6 for w in index.wordings]


def message_evidence(index: Index, query: Query, named: set[str]) -> list[Evidence]:
    """Wordings found in the text; ``named`` entries (by code or signature) own what they match.

    Every candidate must also be specific (see ``_specific``); one that is not stays a hint.
    """
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
        if got < least[wid] and got + _room(wording, missing, found_words) < least[wid]:
            continue
        if wording.content and found_words <= GENERIC:
            # "backup" is in every backup text: it says nothing of which message, when the
            # message has words of its own (one made of nothing else is judged whole).
            continue
        candidates.append((wording, found_words, missing))

    def context() -> bool:  # asked only of a wording that is not proof on its own
        """Whether the text shows it comes from Azure Backup: it names a catalogue entry, or says so."""
        return bool(named) or query.azure_backup

    found = _window_evidence(index, query, candidates, named, context) if candidates else []
    # A cut reading is worth at most 0.95 x _CUT: a line a whole wording explains better needs none.
    # One of text that a whole wording of the same entry also matched is the same evidence twice,
    # not two independent pieces: the stronger of the two stays.
    settled = [f.span for f in found if f.confidence > 0.95 * _CUT]
    for ev in _cut_evidence(index, query, context, settled, named):
        same = [f for f in found if f.entry == ev.entry and _overlap(f.span, ev.span)]
        if all(f.confidence < ev.confidence for f in same):
            found = [f for f in found if f not in same] + [ev]
    return _explain_away(found, named)


def _window_evidence(index: Index, query: Query, candidates: list[tuple[Wording, frozenset[str], frozenset[str]]],
                     named: set[str], context: Callable[[], bool]) -> list[Evidence]:
    """The densest window of the text per candidate wording, aligned character by character."""
    folded = query.folded
    words, starts = query.tokens
    wanted = set().union(*(found_words for _, found_words, _ in candidates))
    positions: dict[str, list[int]] = defaultdict(list)
    for i in compress(count(), map(wanted.__contains__, words)):  # the few wanted, picked out in C
        positions[words[i]].append(i)
    found: list[Evidence] = []
    windows: list[_Window] = []
    for wording, found_words, missing in candidates:
        hits = sorted(chain.from_iterable(map(positions.__getitem__, found_words)))
        first, last, covered = _best_window(wording, words, hits)
        coverage = covered / wording.total
        needed = _ratio_needed(min(1.0, coverage + _room(wording, missing, found_words)), wording)
        if needed > 1.0:
            continue
        start, end = starts[first], starts[last] + len(words[last])
        # The cutoff lets rapidfuzz give up early on windows that cannot reach the floor.
        window = flat(folded[start:end], wording.cjk)
        ratio = fuzz.partial_ratio(wording.flat, window, score_cutoff=needed * 100)
        if _WHOLE * len(wording.flat) <= len(window) < len(wording.flat):
            # Nearly the whole wording with a word dropped: aligned as a part, the rest of the
            # wording would count the dropped word twice (coverage counts it already).
            ratio = max(ratio, fuzz.ratio(wording.flat, window, score_cutoff=needed * 100))
        if ratio == 0.0:
            continue
        ratio /= 100.0
        credited: frozenset[str] = frozenset()
        if missing and coverage < 0.999 and confidence(ratio, 1.0, wording) >= REPORT_FLOOR:
            credited = _typo_credit(wording, missing, words, first, last)
            coverage = min(1.0, coverage + 0.8 * sum(map(wording.weights.__getitem__, credited)) / wording.total)
        if wording.cjk and coverage < 0.999:
            # A slip at either end leaves its bigrams out of the window: the characters around
            # it (on its line) are aligned too.
            line_start = folded.rfind("\n", 0, start) + 1
            line_end = folded.find("\n", end, end + _SLIP_REACH)
            before = flat(folded[max(line_start, start - _SLIP_REACH):start], True)
            after = flat(folded[end:line_end if line_end >= 0 else end + _SLIP_REACH], True)
            credited, reach = _slips(wording, before + window + after, words[first:last + 1])
            if reach > len(before) + len(window):  # the wording's last characters follow a slip
                end = _advance(folded, end, reach - len(before) - len(window))
            coverage += 0.8 * sum(map(wording.weights.__getitem__, credited)) / wording.total
            coverage = min(1.0, coverage + _junctions(wording, window, [*words[first:last + 1], *credited]))
        conf = confidence(ratio, coverage, wording)
        if conf >= REPORT_FLOOR:
            ev = Evidence(wording.entry, conf, wording.matched, wording.lang, (start, end), folded[start:end])
            # (most wordings are first sentences, no advice: asked without a call)
            advice = wording.strength < 1.0 and _advises_another(index, wording, named)
            if conf <= WEAK:  # a hint already: asked only if another piece would back it
                ev.pending = _never if advice else partial(
                    _window_proof, wording, query, first, last, end, credited, context)
            elif wording.entry not in named and (advice or not _window_proof(
                    wording, query, first, last, end, credited, context)):
                ev.cap()  # (the code of a named entry is its proof, whatever its wording adds)
            found.append(ev)
            if conf >= WEAK:  # (what _shared looks at)
                windows.append((ev, wording, window, ratio, coverage >= _SHARED_PART,
                                wording.words.intersection(words[first:last + 1])))
    return found + _shared(index, windows, named)


def _advises_another(index: Index, wording: Wording, named: Set[str]) -> bool:
    """Whether ``wording`` is advice (a message's later sentence) in a text whose code names another error.

    Recommended actions are advice, and related errors advise alike: the portal's action for
    ExtensionSnapshotFailedNoNetwork ("Ensure that the VM has network access") is the second
    sentence of VMRestorePointClientError.NoNetwork's message. Such a sentence is no span of the
    code's own evidence, so ``_explain_away`` never weighs the two; but next to a code that names
    another error it is most likely that error's recommendation, and no finding of its own entry
    (a hint still). Next to its own family's code, or the portal code one of the two surfaces as,
    it is the same error's advice, and says which one as before, whatever else the text names.
    """
    if wording.strength >= 1.0 or not named or wording.entry in named:
        return False  # (most often: a first sentence, or a text that names no code)
    entries = index.catalogue.entries
    mine = entries.get(wording.entry)
    family = wording.entry.split(".", 1)[0]
    another = False
    for other in named:
        entry = entries.get(other)
        if entry is None or entry.kind != "error":
            continue  # a cause's log line says why, not which error
        if other.split(".", 1)[0] == family or other in (mine.surfaces_as if mine else ()) or (
                wording.entry in entry.surfaces_as):
            return False
        another = True
    return another


def _never() -> bool:
    """A proof check that always fails (see ``Evidence.pending``)."""
    return False


def _shared(index: Index, windows: list[_Window], named: set[str]) -> list[Evidence]:
    """Ties where the text matched is as much other entries' wording as its own; their evidence.

    A text that is only part of several entries' messages ("Operation failed as Cross Subscription
    Restore is not supported" starts six) says which kind of error, not which one: the longest
    message would otherwise lose for its length alone. Each of them is then a hint, all alike,
    and the result says why. A text that is the whole of a message several entries share
    (BackUpOperationFailed and its V2) is either of them, believed as before; the result names
    the others. An entry the text names by code owns its wording (see ``_explain_away``).
    """
    out: list[Evidence] = []
    done: list[tuple[int, int]] = []
    for ev, wording, window, ratio, whole, held in sorted(windows, key=lambda w: -w[0].confidence):
        if ev.entry in named or any(_overlap(ev.span, span) for span in done):
            continue  # the text's strongest reading decides: a whole wording is no part of another
        done.append(ev.span)
        whole = whole or len(window) >= _SHARED_PART * len(wording.flat)
        same = [e for e in index.flat_owners.get(wording.flat, ()) if e != ev.entry]  # this very wording
        wider: list[str] = []  # entries with a longer wording that holds the text as well
        if not whole and held and len(index.word_owners[min(held, key=lambda t: len(index.word_owners[t]))]) > 1:
            rare = sorted(held, key=lambda t: len(index.word_postings[t]))[:3]
            least = max(ratio * 100 - 1, 90)
            for wid in sorted(index.word_postings[rare[0]].intersection(*(index.word_postings[t] for t in rare[1:]))):
                other = index.wordings[wid]
                if other.entry == ev.entry or other.entry in wider or other.cjk != wording.cjk:
                    continue
                if other.flat != wording.flat and len(window) < _SHARED_PART * len(other.flat) and fuzz.partial_ratio(
                        window, other.flat, score_cutoff=least):
                    wider.append(other.entry)
        others = dict.fromkeys([*same, *wider])
        if not others or named.intersection(others):
            continue
        group = [ev.entry, *sorted(others)]
        members = [ev] + [w[0] for w in windows if w[0].entry in others and _overlap(w[0].span, ev.span)]
        for member in members:
            member.ties = tuple(e for e in group if e != member.entry)
            member.note = f"the same message as {' and '.join(member.ties)}: the text does not say which"
        if not set(wider).difference(same):
            continue
        note = f"part of the messages of {len(group)} entries alike: the text does not say which"
        for member in members:
            member.confidence, member.ceiling, member.note = ev.confidence, WEAK, note
        wordings = {w.entry: w for w in map(index.wordings.__getitem__, chain.from_iterable(
            index.word_postings[t] for t in held)) if w.entry in others}
        for entry in sorted(others.keys() - {m.entry for m in members}):
            other = wordings.get(entry, wording)
            out.append(Evidence(entry, ev.confidence, other.matched, other.lang, ev.span, ev.text, ceiling=WEAK,
                                note=note, ties=tuple(e for e in group if e != entry)))
    return out


def _advance(folded: str, at: int, count: int) -> int:
    """The offset after the next ``count`` characters from ``at`` that ``flat`` keeps."""
    for found in _FLAT_CHAR.finditer(folded, at):
        count -= 1
        if count <= 0:
            return found.end()
    return len(folded)


def _slips(wording: Wording, window: str, held: list[str]) -> tuple[frozenset[str], int]:
    """Bigrams of a Chinese wording that the window lacks only for slips of one character.

    A character typed twice, dropped, or replaced ("VM 代理无法与与 Azure 备份进行通信") costs
    two bigrams, which would read as a word replaced by another: another sentence. Aligned
    character by character, a few such slips inside the wording (one per ``_SLIP_EVERY``
    characters, none next to another) are typos, as one slip per five letters is in English.
    A negation is never a slip: "虚拟机已存在" is not "虚拟机不存在" mistyped.
    Returns the bigrams, and where in ``window`` the aligned wording ends (0 for none).
    """
    text = wording.flat
    allowed = len(text) // _SLIP_EVERY
    if not allowed:
        return frozenset(), 0
    blocks = Levenshtein.opcodes(text, window)
    equal = [b for b in blocks if b.tag == "equal"]
    if not equal:
        return frozenset(), 0
    head, tail = equal[0], equal[-1]
    inner = [b for b in blocks if b.tag != "equal" and head.src_end <= b.src_start and b.src_end <= tail.src_start]
    if not inner or len(inner) > allowed:
        return frozenset(), 0
    previous = -2
    for b in inner:
        changed = text[b.src_start:b.src_end] + window[b.dest_start:b.dest_end]
        if max(b.src_end - b.src_start, b.dest_end - b.dest_start) > 1 or b.src_start - previous < 2 or (
                _NEGATION.search(changed)):
            return frozenset(), 0
        previous = b.src_end
    present = set(held)
    return frozenset(text[i:i + 2] for i in range(head.src_start, tail.src_end - 1)
                     if text[i:i + 2] in wording.weights and text[i:i + 2] not in present), tail.dest_end


def _junctions(wording: Wording, window: str, held: list[str]) -> float:
    """Coverage a Chinese window has in the bigrams it lacks only next to a word it lacks.

    A word dropped from a Chinese wording takes with it the two bigrams where it met its
    neighbours ("备份进行通信" without "进行" also loses "份进" and "行通"): three bigrams gone for
    one word. A missing bigram with one character in the window counts half, so one word
    dropped costs about one word's weight, as in English.
    """
    lacking = wording.words.difference(held)
    half = sum(wording.weights[g] for g in lacking
               if len(g) == 2 and g[0] > "z" and (g[0] in window) != (g[1] in window))
    return 0.5 * half / wording.total


def _window_proof(wording: Wording, query: Query, first: int, last: int, end: int, credited: frozenset[str],
                  context: Callable[[], bool]) -> bool:
    """Whether the text's tokens ``first`` to ``last`` (ending at offset ``end``) are proof of ``wording``."""
    words, starts = query.tokens
    held = wording.words.intersection(words[first:last + 1]) | credited
    missing = [word for word in wording.order if word not in held]
    gaps = (0.0, 0.0)
    if missing:
        contracted = _contracted(wording, missing, words[max(0, first - 1):last + 2])
        if contracted:
            held |= contracted
            missing = [word for word in missing if word not in contracted]
        gaps = _gaps(wording, held, missing, partial(_sides, wording, query, first, last, end))
    span = (starts[first], end)
    if not gaps[0] and not wording.cjk and last - first > 1 and "\n" not in query.folded[span[0]:end]:
        # Words put into the wording's sentence are another sentence in its frame, as words put
        # in place of its own are, if less so: "OS Provisioning for VM 'web01' did not finish ...".
        gaps = (_ADDED * _added(wording, words[first:last + 1]), gaps[1])
    return _specific(wording, missing, gaps, context, lambda: _embedded(wording, query.folded, end),
                     lambda: query.alone(span), lambda: query.backup_context)


def _added(wording: Wording, said: list[str]) -> int:
    """How many words not its own the text ``said`` puts inside the wording, aligned word by word.

    Only between the first and the last of the wording's words it holds in order: a window
    that starts at an earlier "failed" or "vault" of the text has other words before the
    wording, not in it.
    """
    mine = [w for w in wording.sequence if w not in PLAIN]
    theirs = [w for w in said if w not in PLAIN and len(w) > 1]
    blocks = Levenshtein.opcodes(mine, theirs)
    equal = [b for b in blocks if b.tag == "equal"]
    if len(equal) < 2:
        return 0
    return sum(1 for b in blocks if b.tag == "insert" and equal[0].dest_end <= b.dest_start < equal[-1].dest_start
               for w in theirs[b.dest_start:b.dest_end] if w not in wording.vocab)


def _specific(wording: Wording, missing: list[str], gaps: tuple[float, float], context: Callable[[], bool],
              embedded: Callable[[], bool] = lambda: False, about: Callable[[], bool] = lambda: False,
              backup: Callable[[], bool] = lambda: False) -> bool:
    """Whether a text that lacks the words ``missing`` of ``wording``, with ``gaps`` (words
    replaced, words dropped: see ``_gaps``), is proof of it; ``embedded``: whether the text's
    sentence goes on past the wording; ``about``: whether the text is little more than it (the
    question is this message); ``backup``: whether the text talks about backups at all.

    IDF weights tell the catalogue's wordings apart, so the words they share ("VM", "snapshot")
    weigh little; another product's error differs from a wording in exactly those ("The cluster
    is in failed provisioning state") and shares the words the catalogue rarely uses. So, word
    by word: of a wording, one word in ten may stand replaced by another (a paraphrase) and a
    third may be missing in all; in a text that shows it comes from Azure Backup (``context``),
    where a paraphrase of its own messages is what one expects, twice that. More is another
    sentence. And a few generic words, even all of a short wording's, say nothing of which
    product wrote them, unless in that context; fewer still when they are only part of a longer
    sentence ("The virtual machine doesn't exist in the inventory of host esx-07"). Context
    does not make words that every backup error says ("Backup failed due to an error") say
    which error it is: one word other than those must be held.

    Some wordings are other products' words too, however exactly a text holds them: an agent
    log's line in plain words (``Wording.log_words``: "freeze took longer than timeout") needs
    that context, as its log signature does; one with fewer than three words of its own beyond
    those every backup error says ("Workload Patch failed with error message", "The virtual
    machine doesn't exist", "虚拟机不存在") at least a text about backups, as does a platform
    error's (``Wording.platform``: "OS Provisioning did not finish in the allotted time" ends
    any VM deployment). Each is believed as the whole question, where it is what was asked about.
    """
    replaced, dropped = gaps
    strain = max(replaced / _REPLACED, (replaced + dropped) / _MISSING) / wording.size
    if strain > 1 + 1e-9 and (strain > 2 + 1e-9 or not context()):
        return False
    if wording.log_words and not (context() or about()):
        return False
    own = wording.content - sum([wording.units[word] for word in missing if word not in GENERIC]) if missing else (
        wording.content)
    if (own < _LEAST_OWN or wording.platform) and not (backup() or context() or about()):
        return False
    kept = wording.size - sum(map(wording.units.__getitem__, missing))
    if kept >= _LEAST_IN_SENTENCE or kept >= _LEAST_WORDS and not embedded():
        return True
    gone = set(missing)
    return any(word not in GENERIC and word not in gone for word in wording.order) and context()


def _gaps(wording: Wording, held: Set[str], missing: list[str],
          sides: Callable[[bool, bool, bool], tuple[bool, bool, bool]]) -> tuple[float, float]:
    """The wording's words the text lacks (``missing``): replaced by other words, and dropped, in words.

    A word missing where the text has other words (``sides``: before the first word held on its
    line, inside the window, after the last on its line; asked only about the sides needed) was
    replaced: another product's sentence in the same frame. A word missing inside where the text
    goes straight on was dropped (retyped by hand); a missing head or tail where the paste starts
    late or stops early was cut, no gap.
    """
    places = wording.places
    if not held:
        return float(len(wording.order)), 0.0
    if wording.repeats:
        first, last = _span(wording.sequence, held)
    else:
        first = min([places[word][0] for word in held])
        last = max([places[word][0] for word in held])
    where = []  # per missing word: 0 head, 1 middle, 2 tail
    for word in missing:
        at = places[word]
        where.append(1 if first < at[0] < last or len(at) > 1 and any(first < i < last for i in at)
                     else 0 if at[0] < first else 2)
    before, inside, after = sides(0 in where, 0 in where or 1 in where, 2 in where)
    replaced = dropped = 0.0
    for word, kind in zip(missing, where, strict=True):
        if kind == 1 and inside or kind == 0 and (before or inside) or kind == 2 and after:
            replaced += 0.5 if wording.cjk and word[0] > "z" else 1.0  # a bigram is half a word
        elif kind == 1:
            dropped += wording.units[word]
        # else cut: the paste starts late or stops early
    return replaced, dropped


def _span(sequence: tuple[str, ...], held: Set[str]) -> tuple[int, int]:
    """The shortest stretch of ``sequence`` holding every word of ``held`` it has (first, last).

    Words repeat ("RestorePoint creation failed since a concurrent 'Create RestorePoint'
    operation ..."): the stretch the text holds is where its words sit closest together.
    """
    wanted = {word for word in sequence if word in held}
    best = (0, len(sequence) - 1)
    count: dict[str, int] = {}
    lo = 0
    for hi, word in enumerate(sequence):
        if word in wanted:
            count[word] = count.get(word, 0) + 1
        while len(count) == len(wanted):
            if hi - lo < best[1] - best[0]:
                best = (lo, hi)
            gone = sequence[lo]
            lo += 1
            if gone in count:
                count[gone] -= 1
                if not count[gone]:
                    del count[gone]
    return best


def _held(wording: Wording, said: list[str]) -> tuple[set[str], list[str]]:
    """The wording's words among the words ``said``, misspelt (one slip in five letters) or
    contracted; and the others, missing."""
    present = set(said)
    held = {word for word in wording.order if word in present}
    missing = [word for word in wording.order if word not in held]
    others = [t for t in said if len(t) >= 4 and t not in wording.weights]
    typos = [word for word in missing if len(word) >= 5 and word[0] <= "z"]
    if typos and others:
        held.update(word for word in typos
                    if process.extractOne(word, others, scorer=OSA.distance, score_cutoff=len(word) // 5))
    held |= _contracted(wording, [word for word in missing if word not in held], said)
    return held, [word for word in missing if word not in held]


def _contracted(wording: Wording, missing: list[str], near: list[str]) -> set[str]:
    """Of the ``missing`` words, those the text writes with "not" joined or split: "can't"
    (``can``) as "cannot", "doesn't" (``doesn``) as "does not"."""
    negated = wording.negated
    return {negated[t] for t in negated.keys() & near}.intersection(missing)


def _foreign(wording: Wording, token: str) -> bool:
    """Whether ``token`` is a word the wording does not use (labels and stop words aside)."""
    if token in PLAIN or len(token) < 2:
        return False
    if not wording.cjk:
        return token not in wording.vocab
    if token[0] <= "z":
        return token not in wording.flat
    # A bigram of two wording characters is where two of its words meet once one between them
    # is dropped; a character the wording never uses is another word.
    return not wording.vocab.issuperset(token)


def _sides(wording: Wording, query: Query, first: int, last: int, end: int,
           ask_before: bool, ask_inside: bool, ask_after: bool) -> tuple[bool, bool, bool]:
    """Whether other words stand just before the tokens ``first`` to ``last`` (on their line),
    between them, and after them (``end`` on) on their line; each only if asked."""
    folded = query.folded
    words, starts = query.tokens
    before = False
    if ask_before:
        line = folded.rfind("\n", 0, starts[first]) + 1
        seen, at = 0, first - 1
        while seen < 2 and at >= 0 and starts[at] >= line:
            if words[at] not in PLAIN:
                if _foreign(wording, words[at]):
                    before = True
                    break
                seen += 1
            at -= 1
    inside = False
    if ask_inside and not before:  # (a head missing is replaced if either is true)
        if wording.cjk:
            inside = any(_foreign(wording, w) for w in words[first + 1:last])
        else:  # the same test, as set arithmetic: a ticket window is many words
            inside = any(len(w) > 1 for w in set(words[first + 1:last]).difference(wording.vocab, PLAIN))
    return before, inside, ask_after and _after(wording, folded, end)


def _after(wording: Wording, folded: str, end: int) -> bool:
    """Whether other words follow ``end`` on its line, not the wording's own going on."""
    # The rest of the line, as far as the wording could still go on in it: a longer rest is
    # more than the wording, and another sentence's words are in its first part already.
    reach = end + len(wording.flat) + 2
    stop = folded.find("\n", end, reach)
    stop = stop if stop >= 0 else reach
    going = TOKEN.search(folded, end, stop)
    if going is None:
        return False
    if _foreign(wording, going.group()) and TOKEN.search(folded, going.end(), stop) is not None:
        return True  # most often: another word, and more after it
    return not _goes_on(wording, TOKEN.findall(folded, end, stop))


def _line_sides(wording: Wording, said: list[str], held: Set[str],
                ask_before: bool, ask_inside: bool, ask_after: bool) -> tuple[bool, bool, bool]:
    """``_sides`` of a line read as the wording's start: other words can only stand among its own."""
    return False, ask_inside and any(_foreign(wording, t) for t in said if t not in held), False


def _embedded(wording: Wording, folded: str, end: int) -> bool:
    """Whether the text's sentence goes straight on at ``end`` with a word that is not the wording's.

    A repeated last word can end a window early ("... see Job Error Message Details"), so the
    wording's own words do not count; a space ends a Chinese sentence.
    """
    going = _GOES_ON.match(folded, end)
    if going is None or wording.cjk and going.start(1) > end:
        return False
    word = going.group(1)
    return not wording.vocab.issuperset(word[:2]) if word[0] > "z" else word not in wording.vocab


def _goes_on(wording: Wording, rest: list[str]) -> bool:
    """Whether the words ``rest`` are the wording's own, the last one perhaps cut short."""
    if not all(word in wording.vocab or word in PLAIN for word in rest[:-1]):
        return False
    if wording.cjk:
        return any(word.startswith(rest[-1]) for word in wording.order)
    return f" {wording.flat}".find(f" {rest[-1]}") >= 0


def _cut_evidence(index: Index, query: Query, context: Callable[[], bool],
                  settled: Sequence[tuple[int, int]] = (), named: Set[str] = frozenset()) -> list[Evidence]:
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
        scored: list[tuple[float, int, Wording]] = []
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
            scored.append((ratio / 100, cut, wording))
        if not scored:
            continue
        ratio, cut, wording = max(scored, key=lambda s: s[0])
        rivals = [w for r, _, w in scored if r >= ratio - 0.03 and w.entry != wording.entry]
        if any(w.flat != wording.flat for w in rivals):
            continue  # a start that several entries' wordings share names none of them
        # As a whole wording's confidence, on the start's own weight, and worth _CUT of it.
        head = _head_words(wording, cut)
        information = _information(sum(wording.weights.get(g, 0.0) for g in head), cjk)
        if ratio >= _VERBATIM:  # as for a whole wording (see ``confidence``), on the start's words
            information = min(1.0, information + _PER_WORD * sum(wording.units.get(g, 0.0) for g in head
                                                                  if g not in GENERIC))
        conf = _base(ratio) * information * wording.strength * _CUT
        if conf >= REPORT_FLOOR:
            span = (start + body_at, start + len(line))
            # Checked on the line's own words: a start can read alike, character for character,
            # with a word replaced ("Unable to initiate scan as another scan operation ..."), and
            # a short start is still only a few generic words.
            said = [t for t, _ in tokens(body)]
            held, missing = _held(wording, said)
            gaps = _gaps(wording, held, missing, partial(_line_sides, wording, said, held)) if missing else (0.0, 0.0)
            specific = _specific(wording, missing, gaps, context, about=partial(query.alone, span),
                                 backup=lambda: query.backup_context)
            # Entries whose wording is the very same text (BackUpOperationFailed and its V2) tie.
            group = list(dict.fromkeys([wording.entry, *(w.entry for w in rivals)]))
            for entry in group:
                ev = Evidence(entry, conf, wording.matched, wording.lang, span, body)
                if len(group) > 1:
                    ev.ties = tuple(e for e in group if e != entry)
                    ev.note = f"the same message as {' and '.join(ev.ties)}: the text does not say which"
                if not specific or wording.strength < 1.0 and _advises_another(index, wording, named):
                    ev.cap()
                out.append(ev)
    return out


def _head_words(wording: Wording, cut: int) -> set[str]:
    """The wording's words (Chinese bigrams) wholly inside its first ``cut`` characters."""
    head = wording.flat[:cut]
    if wording.cjk:
        return {head[i:i + 2] for i in range(len(head) - 1)}
    return set(head.split()) if cut >= len(wording.flat) or wording.flat[cut] == " " else set(head.split()[:-1])


def confidence(ratio: float, coverage: float, wording: Wording) -> float:
    """Calibrated confidence that a text window is this wording.

    ``ratio`` (character alignment) carries order and spelling, ``coverage`` (weighted share of
    the wording's words inside the window) carries completeness.
    """
    similarity = ratio * (0.4 + 0.6 * coverage)
    information = _information(wording.total, wording.cjk)
    if similarity >= _VERBATIM:
        # The whole wording, as written: each word of its own ("VMSnapshot extension") is a
        # word the text matched in place, not one that might be found by chance. Generic
        # words earn nothing ("Backup failed due to an error" stays as modest as its weight).
        information = min(1.0, information + _PER_WORD * wording.content)
    return _base(similarity) * information * wording.strength


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


def _room(wording: Wording, missing: frozenset[str], found: frozenset[str]) -> float:
    """Coverage the typo credit could add at most: long words absent from the text, forgiven;
    in Chinese, the two bigrams each slip may cost (see ``_slips``), the heaviest ones absent."""
    room = sum(map(wording.weights.__getitem__, missing))
    slips = len(wording.flat) // _SLIP_EVERY if wording.cjk else 0
    if slips:
        room += sum(sorted((wording.weights[g] for g in wording.words - found if g[0] > "z"), reverse=True)[:2 * slips])
    return 0.8 * room / wording.total


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


def _typo_credit(wording: Wording, missing: frozenset[str], words: list[str], first: int, last: int) -> frozenset[str]:
    """Wording words absent from the text but present near the window with a small typo."""
    nearby = [t for t in words[max(0, first - 3):last + 4] if len(t) >= 4 and t not in wording.weights]
    if not nearby:
        return frozenset()
    # One slip per five letters: "comunicate", "staus", "sanpshot" (two letters swapped are one
    # slip); a longer word that merely contains this one ("vmsnapshotlinux" for "vmsnapshot") is
    # not a typo of it.
    return frozenset(word for word in missing
                     if process.extractOne(word, nearby, scorer=OSA.distance, score_cutoff=len(word) // 5))


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
