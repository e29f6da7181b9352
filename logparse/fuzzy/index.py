"""Per-catalogue index of the fuzzy matcher: folded codes, weighted message words, signature probes.

Built once per catalogue (and cached by the matcher), so that a query only does set
intersections, dict lookups and a few rapidfuzz calls on short windows.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field, replace
from itertools import chain

from logparse.catalogue import Catalogue
from logparse.catalogue.derive import camel_words, is_generic
from logparse.catalogue.guard import flag_bits

# Codes of the Azure Backup family have recognisable shapes; a word shaped like one counts as
# an unknown code only where an error code stands, never in prose.
BACKUP_CODE_SHAPE = re.compile(
    r"(?:BMS)?UserError[A-Z0-9]\w{3,}|Cloud\w{2,}Error|Extension[A-Z]\w{4,}|GuestAgent[A-Z]\w{4,}"
    r"|BCM[A-Z0-9]\w{4,}|VMRestorePoint\w{3,}"
)
CJK = re.compile(r"[\u3400-\u9fff]")
TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]+")
_NON_WORD = re.compile(r"[^a-z0-9\u3400-\u9fff]+")
# Share of a wording's weight that must appear verbatim before it is considered: typos are
# forgiven in a few words, not in most.
MIN_VERBATIM = 0.5
HEAD_WORDS = 3  # a wording's first words (Chinese: bigrams) that find it from a cut-short paste
_ADVICE_STRENGTH = 0.6  # a message's later sentences (see _own_sentences)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])|(?<=[。！？])")
_STOP = frozenset(
    "a an the to of for on in at is are was were be been as by with from this that it its or and "
    "due has have had see".split()
)
# Words (and Chinese bigrams) every product's error text uses, plus the portal's own labels:
# they count a quarter, so a message made mostly of them ("Backup failed with an internal
# error - Please retry ...") needs a near-verbatim paste before it is believed.
_BOILERPLATE = frozenset(
    "error errors message code details detail failed failure fail fails please retry try again later "
    "occurred operation internal unable could job minutes few "
    "错误 失败 操作 重试 消息 信息 代码 详细 内部 发生 请在 分钟 无法".split()
)


# A word of a program rather than of English: a hump inside it, a dotted or snake_case name.
_IDENTIFIER = re.compile(r"[a-z][A-Z]|[A-Za-z]\.[A-Za-z]|[A-Za-z]_[A-Za-z]")
_IDENTIFIER_WORD = re.compile(r"[A-Za-z0-9]*[a-z][A-Z][A-Za-z0-9]*")
_ESCAPE = re.compile(r"\\.")  # "\S", "\d" in a pattern: not letters of a name
_ASCII_WORD = re.compile(r"[a-z0-9]+")
# Where Compute documents its errors: an entry documented there is a platform error (Wording.platform).
_COMPUTE_DOC = "/azure/virtual-machines/"
# Formats whose lines are pasted job errors (portal, CLI, PowerShell); the others are agent logs.
_JOB_FORMATS = frozenset({"job_error"})
# Words that stand in any sentence, or label one: never what tells one error text from another.
PLAIN = _STOP | _BOILERPLATE
# Words every backup error says, which a text about backups holds whatever its error: with the
# stop words and boilerplate, they are no evidence of one wording.
# "Virtual machine" (虚拟机: its bigrams) is "VM" written out.
GENERIC = PLAIN | frozenset(
    "backup backups azure vm vms virtual machine machines snapshot snapshots 备份 快照 虚拟 拟机".split())

_Wording = tuple[str, str, str, str, float]  # (entry id, matched, lang, text, strength) while building


@dataclass(frozen=True)
class Wording:
    """One matchable wording of an entry: a message or a message-like alias."""

    entry: str
    matched: str
    lang: str
    flat: str  # folded, punctuation-free; no spaces at all for Chinese
    weights: dict[str, float]
    total: float
    words: frozenset[str]  # the weighted words, for set arithmetic with a query
    span_max: int  # widest query window (in tokens) that can still be this wording
    cjk: bool
    strength: float = 1.0  # below 1 for a message's later sentences, which are mostly advice
    long_words: frozenset[str] = frozenset()  # words long enough to carry a typo (five letters or more)
    # The weighted words once each, in the order they first appear, with how much of a word each
    # is (see ``_unit``), and all of them in order: what a text must hold, and where, before the
    # wording's own sense is in it.
    order: tuple[str, ...] = ()
    units: dict[str, float] = field(default_factory=dict)
    sequence: tuple[str, ...] = ()
    size: float = 1.0  # sum of ``units``: how many words the wording is
    places: dict[str, tuple[int, ...]] = field(default_factory=dict)  # word -> where in ``sequence``
    repeats: bool = False  # some word stands twice in ``sequence``
    # The words as written with "not" joined or split off ("doesn" for ``does``, "can" for
    # ``cannot``) -> the wording's word: "doesn't" and "does not" say the same.
    negated: dict[str, str] = field(default_factory=dict)
    vocab: frozenset[str] = frozenset()  # every word of ``flat`` (stop words too); Chinese: every character
    content: float = 0.0  # how many words of ``units`` are not GENERIC: what it says beyond "backup failed"
    text: str = ""  # as written in the catalogue
    # An agent log's line in plain words: one of the entry's signatures for a log (not a job
    # error), written without a program's names, finds it. Other programs log the same words
    # ("freeze took longer than timeout"), so, as for the signature, the text must show where it
    # comes from (see ``messages._specific``).
    log_words: bool = False
    # The entry is a platform's error (Compute's, documented with the VMs, not with Backup): its
    # wording ends other operations on a VM too, a deployment or a resize.
    platform: bool = False


@dataclass(frozen=True)
class Probe:
    """One log signature, with the cheap checks that rule it out for most texts."""

    entry: str
    literal: str  # case-folded when the signature ignores case
    folds: bool
    pattern: re.Pattern[str]
    anchor: str | None  # a whole word (or Chinese bigram) of the literal every match contains
    # Proof in any pasted text: a job error's wording, or a literal only a program writes (a CamelCase
    # or dotted name). Plain words from an agent's log ("DHCP not available") are also other
    # programs' words, and prove the entry only in a paste from that log (see ``Query.azure_backup``).
    free: bool = True
    word: bool = False  # the literal is one folded ASCII word, so it lies inside one word of a text
    # A platform error's words (see ``Wording.platform``), without a program's names: proof only
    # where the text is about backups (or is just these words).
    platform: bool = False


@dataclass
class Index:
    """Everything ``match`` needs, precomputed once per catalogue."""

    catalogue: Catalogue
    codes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # folded code -> [(id, how)]
    code_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fuzzy_choices: list[str] = field(default_factory=list)
    # Folded specific (not generic) codes in order, to find the codes a cut-short token starts.
    sorted_codes: list[str] = field(default_factory=list)
    snake_codes: tuple[str, ...] = ()  # codes with "_", which the word split cuts apart
    # Folded code -> the longer codes of other entries that start with it (BackUpOperationFailed:
    # BackUpOperationFailedV2): what the code may be when a paste cuts it where it ends.
    extensions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    code_prefixes: frozenset[str] = frozenset()  # every prefix of every folded code, for joined words
    generic: frozenset[str] = frozenset()
    int_codes: dict[int, list[str]] = field(default_factory=dict)
    wordings: list[Wording] = field(default_factory=list)
    # word -> wordings for which it is a key word: one of the heaviest words that together hold
    # more than half the weight, so a wording with none of them present cannot reach half.
    key_postings: dict[str, list[int]] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()
    word_postings: dict[str, frozenset[int]] = field(default_factory=dict)  # every weighted word -> its wordings
    word_owners: dict[str, frozenset[str]] = field(default_factory=dict)  # every weighted word -> their entries
    flat_owners: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a wording several entries share -> them
    head_postings: dict[str, list[int]] = field(default_factory=dict)  # first words -> wordings
    head_counts: list[int] = field(default_factory=list)  # per wording, how many first words it is keyed by
    # per wording, where (flattened) its first sentences end, when they are wordings of their own
    sentence_ends: list[frozenset[int]] = field(default_factory=list)
    message_words: frozenset[str] = frozenset()  # every word of the wordings (stop words too), for rejoin
    least_coverage: list[float] = field(default_factory=list)  # per wording, set by fuzzy.messages
    fuzzy_cache: dict[tuple[str, bool], list[tuple[str, float]]] = field(default_factory=dict)
    near_cache: dict[str, bool] = field(default_factory=dict)  # folded word -> one edit from a code
    shortest_word_literal: int = 1 << 16  # of the signatures whose literal is one word (see Probe.word)
    anchored: dict[str, list[Probe]] = field(default_factory=dict)  # anchor word -> its signatures
    unanchored: list[Probe] = field(default_factory=list)


def fold(text: str) -> str:
    """Case-folded NFKC: full-width letters, digits and colons become their ASCII forms."""
    return unicodedata.normalize("NFKC", text).casefold()


def flat(folded: str, cjk: bool) -> str:
    """Punctuation and runs of space become one space; Chinese drops the spaces too."""
    out = _NON_WORD.sub(" ", folded).strip()
    return out.replace(" ", "") if cjk else out


def tokens(folded: str) -> list[tuple[str, int]]:
    """Words, and overlapping bigrams inside Chinese runs, with their start offsets."""
    out = [(m.group(), m.start()) for m in TOKEN.finditer(folded)]
    if folded.isascii() or not CJK.search(folded):
        return out
    expanded: list[tuple[str, int]] = []
    for run, start in out:
        if run[0] <= "z" or len(run) == 1:
            expanded.append((run, start))
        else:
            expanded.extend((run[i : i + 2], start + i) for i in range(len(run) - 1))
    return expanded


def head_keys(flattened: str, cjk: bool) -> set[str]:
    """The first words (Chinese: bigrams) of a flattened text, by which a cut-short paste finds its wording."""
    if cjk:
        head = flattened[:HEAD_WORDS + 1]
        return {head[i:i + 2] for i in range(len(head) - 1)}
    return head_words(flattened.split(None, HEAD_WORDS + 5)[:HEAD_WORDS + 5])


def head_words(words: list[str]) -> set[str]:
    """The first words that key a wording's start, of a text's first words."""
    # Stop words and boilerplate ("the", "error", "failed") start half of everything: as keys
    # they would find every wording.
    return set([w for w in words if w not in _STOP and w not in _BOILERPLATE][:HEAD_WORDS])


def build_index(catalogue: Catalogue) -> Index:
    """Precompute folded codes, code pieces and weighted message tokens for ``catalogue``."""
    index = Index(catalogue)
    wordings: list[_Wording] = []
    for entry in catalogue.entries.values():
        if entry.kind == "error":
            names = [(entry.id, "code")] + [(a, "alias") for a in entry.aliases if " " not in a.strip()]
            for name, how in names:
                index.codes.setdefault(name.casefold(), []).append((entry.id, how))
                index.code_words[name.casefold()] = camel_words(name)
            for number in entry.int_codes:
                index.int_codes.setdefault(number, []).append(entry.id)
        for lang, messages in entry.messages.items():
            wordings.extend((entry.id, "message", lang, m, 1.0) for m in messages)
        wordings.extend((entry.id, "alias", "en", a, 1.0) for a in entry.aliases if " " in a.strip())
    wordings += _own_sentences(wordings)
    index.fuzzy_choices = list(index.codes)
    index.snake_codes = tuple(code for code in index.codes if "_" in code)
    index.code_prefixes = frozenset(code[:n] for code in index.codes for n in range(1, len(code) + 1))
    # A short code made of everyday words (ResourceNotFound, BadRequest) is used by many
    # Azure services; it needs backup context or its own message before it counts.
    index.generic = frozenset(name for name, words in index.code_words.items() if is_generic(name, words))
    index.sorted_codes = sorted(set(index.codes) - index.generic)
    index.extensions = _extensions(index)
    _index_wordings(index, wordings)
    shortest = 1 << 16
    compute = {e.id for e in catalogue.entries.values() if _COMPUTE_DOC in e.doc.get("en", "")}
    for entry_id, sig in catalogue.signatures():
        if sig.derived:
            # A code or message in its own words: the code and message evidence read those, and
            # check what a log line cannot (context, specificity).
            continue
        folds = "i" in sig.flags
        written = f"{sig.literal} {_ESCAPE.sub(' ', sig.pattern)}"
        named = _IDENTIFIER.search(written) is not None
        free = not _JOB_FORMATS.isdisjoint(sig.formats) or named
        literal = sig.literal.casefold() if folds else sig.literal
        word = folds and _ASCII_WORD.fullmatch(literal) is not None
        probe = Probe(entry_id, literal, folds, re.compile(sig.pattern, flag_bits(sig.flags)), _anchor(sig.literal),
                      free, word, entry_id in compute and not named)
        if word:
            shortest = min(shortest, len(literal))
        if probe.anchor is None:
            index.unanchored.append(probe)
        else:
            index.anchored.setdefault(probe.anchor, []).append(probe)
    index.shortest_word_literal = shortest
    plain: dict[str, list[re.Pattern[str]]] = defaultdict(list)
    for probe in [*index.unanchored, *chain.from_iterable(index.anchored.values())]:
        if not probe.free:
            plain[probe.entry].append(probe.pattern)
    index.wordings = [replace(w, log_words=not _IDENTIFIER.search(w.text)
                              and any(p.search(w.text) for p in plain.get(w.entry, ())),
                              platform=w.entry in compute) for w in index.wordings]
    return index


def _extensions(index: Index) -> dict[str, tuple[str, ...]]:
    """Codes that other entries' longer codes start with, and those codes (see ``Index.extensions``).

    A dotted member (``VMRestorePointClientError.ComPlus``) is the catalogue's name for a family
    code with one wording, not a code any surface writes: none is cut, and none is the rest of a cut.
    """
    codes = index.sorted_codes
    out: dict[str, tuple[str, ...]] = {}
    for code, owners in index.codes.items():
        if "." in code:
            continue
        mine = {entry for entry, _ in owners}
        at = bisect_left(codes, code)
        longer = []
        while at < len(codes) and codes[at].startswith(code):
            other = codes[at]
            if other != code and "." not in other and not mine.issuperset(e for e, _ in index.codes[other]):
                longer.append(other)
            at += 1
        if longer:
            out[code] = tuple(longer)
    return out


def _anchor(literal: str) -> str | None:
    """The longest word of ``literal`` that is whole wherever the literal occurs.

    A word touching either end of the literal may continue in the text ("FailedPrepost" inside
    "FailedPrepostPreScriptFailed"), so only inner words qualify; any bigram of a Chinese run does.
    """
    folded = fold(literal)
    inner = [m.group() for m in TOKEN.finditer(folded) if 0 < m.start() and m.end() < len(folded)]
    inner += [m.group()[:2] for m in TOKEN.finditer(folded) if m.group()[0] > "z" and len(m.group()) > 1]
    return max(inner, key=len) if inner else None


def _own_sentences(wordings: list[_Wording]) -> list[_Wording]:
    """Sentences of multi-sentence wordings that no other entry shares, as wordings of their own.

    People paste the first sentence of a long message, the one that names the failure; later
    sentences are mostly advice ("Increase VM resources ...") that other errors' recommended
    actions repeat, so they count for less. A sentence several entries share ("If the issue
    persists, restart the VM.") is no evidence at all and stays out.
    """
    owners: dict[str, set[str]] = defaultdict(set)
    split: list[tuple[str, str, str, list[str]]] = []
    for entry_id, how, lang, text, _ in wordings:
        sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
        split.append((entry_id, how, lang, sentences))
        for sentence in sentences:
            owners[flat(fold(sentence), False)].add(entry_id)
    out = []
    for entry_id, how, lang, sentences in split:
        if len(sentences) < 2:
            continue
        for n, sentence in enumerate(sentences):
            key = flat(fold(sentence), False)
            if len(owners[key]) == 1 and len(tokens(fold(sentence))) >= 4:
                out.append((entry_id, how, lang, sentence, 1.0 if n == 0 else _ADVICE_STRENGTH))
    return out


def _unit(token: str) -> float:
    """How much of a word ``token`` is, to count how much of a wording a text holds.

    Boilerplate is half a word ("failed", "error"), and so is a Chinese bigram (two characters,
    overlapping: a run of n characters has n - 1 of them, about n / 2 words).
    """
    unit = 0.5 if token in _BOILERPLATE else 1.0
    return unit / 2 if token[0] > "z" and len(token) == 2 else unit


def _negated(words: tuple[str, ...]) -> dict[str, str]:
    """Other spellings of ``words`` with "not" joined to or split off them (see Wording.negated)."""
    out: dict[str, str] = {}
    for word in words:
        if word[0] > "z":
            continue
        for other in (word + "n", word + "not", word[:-1] if word.endswith("n") else "",
                      word[:-3] if word.endswith("not") else ""):
            if other and other not in words and other not in PLAIN:  # "then" is not "the" + "n"
                out.setdefault(other, word)
    return out


def _weight_factor(token: str, index: Index) -> float:
    """A code inside a message is its most specific word; boilerplate is nearly none."""
    if token in index.codes:
        return 3.0
    return 0.25 if token in _BOILERPLATE else 1.0


def _index_wordings(index: Index, wordings: list[_Wording]) -> None:
    # Inverse document frequency over the catalogue's own wordings: "snapshot" says little,
    # "bitlocker" a lot.
    prepared = []
    df: dict[str, int] = defaultdict(int)
    for entry_id, how, lang, text, strength in wordings:
        folded = fold(text)
        toks = [t for t, _ in tokens(folded)]
        content = {t for t in toks if t not in _STOP and (len(t) > 1 or t[0] > "z")}
        # A program's name ("PreScript", "DiskEncryptionSet") is as many words as its humps say.
        names = {name.casefold(): len(camel_words(name)) for name in _IDENTIFIER_WORD.findall(text)}
        prepared.append((entry_id, how, lang, folded, content, len(toks), strength, names, text))
        for t in content:
            df[t] += 1
    n = len(prepared) + 1
    postings: dict[str, list[int]] = defaultdict(list)
    for entry_id, how, lang, folded, content, count, strength, names, text in prepared:
        weights = {t: (math.log(n / df[t]) + 0.5) * _weight_factor(t, index) for t in content}
        if not weights:
            continue  # nothing but stop words: no evidence either way
        cjk = CJK.search(folded) is not None
        held = 0.0
        for t, w in sorted(weights.items(), key=lambda tw: -tw[1]):
            if held > (1 - MIN_VERBATIM) * sum(weights.values()):
                break
            postings[t].append(len(index.wordings))
            held += w
        long_words = frozenset(t for t in weights if len(t) >= 5 and t[0] <= "z")
        sequence = tuple(t for t, _ in tokens(folded) if t in weights)
        order = tuple(dict.fromkeys(sequence))
        units = {t: names.get(t) or _unit(t) for t in order}
        # n Chinese characters are about n / 2 words, and a run of them has n - 1 bigrams: its
        # first bigram counts twice.
        for t, at in tokens(folded):
            if t[0] > "z" and len(t) == 2 and (at == 0 or CJK.match(folded, at - 1) is None) and t in units:
                units[t] = 2 * _unit(t)
        flattened = flat(folded, cjk)
        index.wordings.append(Wording(entry_id, how, lang, flattened, weights, sum(weights.values()),
                                      frozenset(weights), int(count * 1.4) + 4, cjk, strength, long_words,
                                      order, units, sequence, sum(units.values()),
                                      {t: tuple(i for i, s in enumerate(sequence) if s == t) for t in order},
                                      len(order) < len(sequence), _negated(order),
                                      frozenset(flattened if cjk else flattened.split()),
                                      sum(u for t, u in units.items() if t not in GENERIC), text))
    index.key_postings = dict(postings)
    everywhere: dict[str, set[int]] = defaultdict(set)
    owners: dict[str, set[str]] = defaultdict(set)
    for wid, wording in enumerate(index.wordings):
        for t in wording.order:
            everywhere[t].add(wid)
        owners[wording.flat].add(wording.entry)
    index.word_postings = {t: frozenset(wids) for t, wids in everywhere.items()}
    index.word_owners = {t: frozenset(index.wordings[wid].entry for wid in wids) for t, wids in everywhere.items()}
    index.flat_owners = {text: tuple(sorted(entries)) for text, entries in owners.items() if len(entries) > 1}
    heads: dict[str, list[int]] = defaultdict(list)
    for wid, wording in enumerate(index.wordings):
        keys = head_keys(wording.flat, wording.cjk)
        for key in keys:
            heads[key].append(wid)
        index.head_counts.append(len(keys))
    index.head_postings = dict(heads)
    by_entry: dict[str, list[str]] = defaultdict(list)
    for wording in index.wordings:
        by_entry[wording.entry].append(wording.flat)
    index.sentence_ends = [frozenset(len(other) for other in by_entry[w.entry]
                                     if other != w.flat and w.flat.startswith(other)) for w in index.wordings]
    index.vocabulary = frozenset(postings)
    index.message_words = frozenset(t for _, _, _, folded, _, _, _, _, _ in prepared for t, _ in tokens(folded)
                                    if t[0] <= "z")
