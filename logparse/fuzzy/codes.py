"""Evidence from codes in the text: exact, misspelt, split or family codes, unknown codes, log signatures.

An exact code (any case) is near-certain; a slip of a letter or two in a long code is almost as
good, scored by edit distance against the code's length; a code cut short (the start of one
code: ``UserErrorGuestAgentStatus``) by the share of the code it holds, and never as a code whose
next letters it contradicts; the same letters split into words
(``usererror vm provisioning state failed``) count when there are four words or more. A code
the catalogue does not know counts only where an error code stands and when it has the shape
of an Azure Backup code, so new codes surface and prose words do not.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from rapidfuzz import process
from rapidfuzz.distance import OSA

from logparse.catalogue.derive import camel_words
from logparse.fuzzy.index import BACKUP_CODE_SHAPE, Index
from logparse.fuzzy.query import REPORT_FLOOR, WEAK, Evidence, Query

EXACT, JOINED, INT_CODE, SIGNATURE, FAMILY, UNKNOWN_AT_POSITION = 0.97, 0.9, 0.9, 0.85, 0.6, 0.75
_ONE_CASE_MIN = 16
# A code the text may have cut where it ends (see _maybe_cut): right before "..." or "…", or last.
_ELLIPSIS, _LAST = "ellipsis", "last"
_CLOSING = " \t\r\n\"'`”’)]>"  # what may still follow the last word of a text
_LAST_CEILING, _LONGER_HINT = 0.85, 0.35
# A word of two humps (one inner capital) that may be a short code with a slip (see _short_codes;
# nine letters at least, the ten of the shortest codes less one): a moderate confidence at most.
_TWO_HUMPS = re.compile(r"[A-Z][a-z]+[A-Z][a-z]+")
_SHORT_MAX = 0.7
# A code cut short: long enough (three words, fourteen letters) that few codes start so; one
# that holds all of its code is as sure as a one-letter slip, one that holds half is a guess.
_PREFIX_MIN, _PREFIX_WORDS, _PREFIX_BASE, _PREFIX_SPAN, _PREFIX_HALF = 14, 3, 0.4, 0.55, 0.5

# Where a code stands, searched in the case-folded text: portal/PowerShell labels (EN, zh-CN;
# the value may follow a CLI integer as in "400094, BCMV2VMNotFound" or sit on the next line)
# and JSON / ARM dict keys.
_LABELLED_CODE = re.compile(
    r"(?:error ?code|错误代码|错误码)[*\s]{0,24}[:|=\t]?[*\s]{0,8}(?:\d{1,9}\s{0,3},\s{0,3})?"
    r"[\"'“]?([a-z][a-z0-9]{2,})"
)
# JSON / dict keys ("errorCode": "X", 'code': 'X') and az CLI's "Code: X" line. Starting with
# the literal lets the regex engine skip to each "code"; what precedes it is checked after.
_KEYED_CODE = re.compile(r"""code(["']?)[ \t]{0,8}:[ \t]{0,8}(["']?)([a-z][a-z0-9]{2,})""")
_CLI_PAREN_CODE = re.compile(r"^[ \t]{0,8}\(([a-z][a-z0-9]{2,})\)", re.MULTILINE)  # "(ResourceNotFound) The ..."
_INT_CODE = re.compile(r"""(?:(?:["']?error ?code["']?|错误代码)\s{0,8}[:=|\t]?\s{0,8}|^\s*)(\d{3,9})\b""")
# A text that starts with a number and a comma: a job's error as "320001, ResourceNotFound" (its number, its code).
_INT_LEADS = re.compile(r"\s*\d{3,9}\s{0,3},")
_INT_ALONE = re.compile(r"""\s*(?:["']?error ?code["']?|错误代码)?\s{0,8}[:=|\t]?\s{0,8}\d{3,9}[\s.]*""")


def code_evidence(index: Index, query: Query) -> list[Evidence]:
    """Exact, misspelt, family, joined, integer and unknown codes in the text."""
    text, folded, lang = query.text, query.folded, query.lang
    out: list[Evidence] = []
    positioned = code_positions(query)
    present = index.codes.keys() & query.wordset
    if "_" in folded:  # VMSnapshotLinux names such as error_http_failure span several words
        present.update(code for code in index.snake_codes if code in folded)
    for code in present:
        found = re.search(rf"(?<![a-z0-9]){code}(?![a-z0-9])", folded)
        if found is None:
            continue
        original = text[found.start():found.end()] if query.same_offsets else code
        conf = EXACT
        if code in index.generic:
            # Inside other text it needs backup context and to stand as a code; alone (a query
            # that is just the code) it is what it says, the Azure-wide error, and whether that
            # is this entry's backup cause is for ``matcher._combine`` to weigh with the rest.
            stands = code in positioned or original[:1].isupper()
            if not query.is_about(found.span()) and not (query.backup_context and stands):
                conf = WEAK
        evs = [Evidence(e, conf, how, lang, found.span(), original) for e, how in index.codes[code]]
        if code in index.extensions:
            evs += _maybe_cut(index, query, code, found, evs)
        out += evs
    candidates = {w for w in query.long_words() if _looks_like_code(w) or _one_case_code(w)}
    candidates.update(positioned.values())
    for token in candidates:
        folded_token = token.casefold()
        if folded_token in index.codes:
            continue
        at_position = folded_token in positioned
        start = max(folded.find(folded_token), 0)
        span = (start, start + len(token))
        # Before the edit distance: a cut code is nearer a short code it contradicts
        # ("...FailedNo" is two edits from "...FailedCOM") than the long code it starts.
        matches = _code_prefix(index, token) or fuzzy_code(index, token, at_position)
        if matches:
            out.extend(Evidence(e, c, "fuzzy-code", lang, span, token) for e, c in matches)
            continue
        out.extend(Evidence(e, c, "code-family", lang, span, token) for e, c in _code_family(index, token))
        if at_position and BACKUP_CODE_SHAPE.fullmatch(token):
            out.append(Evidence(token, UNKNOWN_AT_POSITION, "unknown-code", lang, span, token))
    out += _short_codes(index, query, candidates)
    out += _joined_codes(index, query)
    if "code" in folded or "错误代码" in folded or folded.strip().isdigit() or _INT_LEADS.match(folded):
        # Other products number their errors too ("SAP error code: 380008"): a number counts
        # in backup context, or when it is all the question ("320001", "Error code: 380008").
        conf = INT_CODE if query.backup_context or _INT_ALONE.fullmatch(folded) else WEAK
        for m in _INT_CODE.finditer(folded):
            for entry_id in index.int_codes.get(int(m.group(1)), ()):
                out.append(Evidence(entry_id, conf, "int-code", lang, m.span(1), m.group(1)))
    return out


def _maybe_cut(index: Index, query: Query, code: str, found: re.Match[str], evs: list[Evidence]) -> list[Evidence]:
    """Hints for the longer codes ``code`` may be cut from, when the text stops where it ends.

    ``BackUpOperationFailed...`` was cut right there: it may as well be ``BackUpOperationFailedV2``,
    so they tie as hints. A code that only ends the text is most likely whole, and stays believed,
    a little less, with the longer codes as weaker hints. Written whole anywhere (followed by a
    space and more words, a newline and the message) it is the code as written.
    Sets the ceiling of ``evs`` (the code's own evidence); returns the longer codes' evidence.
    """
    folded = query.folded
    ends = []
    for at in re.finditer(rf"(?<![a-z0-9]){re.escape(code)}(?![a-z0-9])", folded):
        if folded.startswith("..", at.end()):  # ("…" is "..." once folded)
            ends.append(_ELLIPSIS)
        elif folded[at.end():].strip(_CLOSING):
            return []
        else:
            ends.append(_LAST)
    cut = _LAST not in ends
    longer = list(dict.fromkeys(entry for other in index.extensions[code] for entry, _ in index.codes[other]))
    written = query.text[found.start():found.end()] if query.same_offsets else code
    ceiling, hint = (WEAK, WEAK) if cut else (_LAST_CEILING, _LONGER_HINT)
    why = "'...' follows it" if cut else "it ends the text"
    for ev in evs:
        ev.ceiling, ev.ties = ceiling, tuple(longer)
        ev.note = f"the code may be cut short ({why}): {' and '.join(longer)} start{'s' * (len(longer) == 1)} with it"
    mine = tuple(dict.fromkeys(ev.entry for ev in evs))
    return [Evidence(entry, hint, "fuzzy-code", query.lang, found.span(), written, ceiling=hint,
                     note=f"{written} may be this code cut short ({why})", ties=mine) for entry in longer]


def code_positions(query: Query) -> dict[str, str]:
    """Values standing where an error code stands: folded value -> value as written."""
    text, folded = query.text, query.folded
    spans: list[tuple[int, int]] = []
    if "code" in folded or "错误" in folded:
        spans += [m.span(1) for m in _LABELLED_CODE.finditer(folded)]
    if "code" in folded:
        for m in _KEYED_CODE.finditer(folded):
            key_start = m.start() - 5 if folded.endswith("error", 0, m.start()) else m.start()
            if key_start > 0 and folded[key_start - 1].isalpha():
                continue  # "statuscode", "barcode"
            line_start = folded.rfind("\n", 0, key_start) + 1
            quoted = m.group(1) or m.group(2)
            if quoted or not folded[line_start:key_start].strip():
                spans.append(m.span(3))
    if "(" in folded:
        spans += [m.span(1) for m in _CLI_PAREN_CODE.finditer(folded)]
    out: dict[str, str] = {}
    for start, end in spans:
        out.setdefault(folded[start:end], text[start:end] if query.same_offsets else folded[start:end])
    return out


def signature_evidence(index: Index, query: Query, coded: bool = False) -> list[Evidence]:
    """Log lines in the text that a catalogue signature proves (pasted extension.log, waagent.log).

    An agent log's signature in plain words ("DHCP not available") proves its entry only in a
    paste that shows it comes from Azure Backup or its agents, or that names a catalogue code
    (``coded``): other programs log the same words. A platform error's in plain words ("OS
    Provisioning did not finish", which ends any VM deployment) needs a text about backups, a
    code, or to be all the text. Elsewhere it is a hint.
    """
    out: list[Evidence] = []
    text, folded = query.text, query.folded
    anchored = [p for anchor in index.anchored.keys() & query.wordset for p in index.anchored[anchor]]
    # A literal that is one word (most are codes) lies inside one word of the text: looked for
    # among the long words only, not through the whole text once per literal.
    long_words: str | None = None
    for probe in anchored + index.unanchored:
        if probe.word:
            if long_words is None:
                shortest, words = index.shortest_word_literal, query.tokens[0]
                long_words = " ".join([words[i] for i in query.long_at if len(words[i]) >= shortest])
            if probe.literal not in long_words:
                continue
        haystack = folded if probe.folds else text
        at = haystack.find(probe.literal)
        if at < 0:
            continue
        if not query.same_offsets:
            at = 0  # offsets differ after folding: scan the whole text line by line
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            found = probe.pattern.search(text[start:end])  # a slice, so that ^ anchors at the line start
            if found:
                span = (start + found.start(), start + found.end())
                ev = Evidence(probe.entry, SIGNATURE, "signature", query.lang, span, found.group())
                if not (probe.free or coded or query.azure_backup) or probe.platform and not (
                        coded or query.backup_context or query.alone(span)):
                    ev.cap()
                out.append(ev)
                break
            if query.same_offsets:
                at = haystack.find(probe.literal, end)
            else:
                at = end + 1 if end < len(text) else -1
    return out


def _looks_like_code(token: str) -> bool:
    """CamelCase with at least three humps, the shape of every portal code."""
    return sum(map(str.isupper, token[1:])) >= 2 and not token.isupper()


def _one_case_code(token: str) -> bool:
    """A code typed all in lower or upper case: too long (16 letters) to be an English word."""
    return len(token) >= _ONE_CASE_MIN and (token.islower() or token.isupper()) and token.isalnum()


def fuzzy_code(index: Index, token: str, at_position: bool) -> list[tuple[str, float]]:
    """Catalogue codes ``token`` is a typo, truncation or re-spelling of, with a confidence."""
    key = (token, at_position)
    cached = index.fuzzy_cache.get(key)
    if cached is None:
        if len(index.fuzzy_cache) > 50_000:
            index.fuzzy_cache.clear()
        cached = index.fuzzy_cache[key] = _fuzzy_code(index, token, at_position)
    return cached


def _fuzzy_code(index: Index, token: str, at_position: bool) -> list[tuple[str, float]]:
    folded = token.casefold()
    best = process.extract(folded, index.fuzzy_choices, scorer=OSA.distance, limit=3,
                           score_cutoff=max(1, len(folded) // 8))
    if not best:
        return []
    name, distance, _ = best[0]
    words = _undoubled(camel_words(token))
    if _whole_word_difference(words, index.code_words[name]):
        return []  # a different (maybe newer) code, not a typo: V2 added, a prefix dropped
    one_case = _one_case_code(token)
    if one_case and (name in folded or distance > 1):
        # The code with letters added is a newer code, as above; and with no humps to confirm
        # the words, one slip is all a one-case token may have.
        return []
    if words != index.code_words[name] and _plural_of(folded, index.code_words[name]):
        # (a capital typed twice, "ExtensionSSnapshot", reads as "Extensions" + "napshot")
        return []  # "allocationsfailed", "BackupOperationsFailed": other words (a metric, a counter)
    # Edit distance relative to length: one slip in a 30-letter code is near-certain; in one
    # case the word boundaries that would confirm it are gone.
    conf = 0.93 - 2.2 * distance / max(len(name), 1) + (0.03 if at_position else 0.0) - (0.03 if one_case else 0.0)
    owners = {e for e, _ in index.codes[name]}
    if any(d - distance <= 1 and {e for e, _ in index.codes[n]} != owners for n, d, _ in best[1:]):
        conf = min(conf, 0.4)  # the slip lies between two entries' codes: say so rather than guess
    return [(e, conf) for e in sorted(owners)] if conf >= REPORT_FLOOR else []


def _code_prefix(index: Index, token: str) -> list[tuple[str, float]]:
    """Catalogue codes ``token`` is the start of (a paste cut short), with a confidence.

    One entry: its confidence grows with the share of the code the token holds. Several: a
    hint each, the code the token holds more of first; the text does not say which.
    Generic codes (``InternalExecution...``) are left out, their stems are everyday words.
    """
    folded = token.casefold()
    codes = index.sorted_codes
    at = bisect_left(codes, folded)
    if at == len(codes) or not codes[at].startswith(folded) or len(folded) < _PREFIX_MIN:
        return []  # most long words start no code: settled before their words are counted
    if not (_one_case_code(token) or len(camel_words(token)) >= _PREFIX_WORDS):
        return []
    shares: dict[str, float] = {}
    while at < len(codes) and codes[at].startswith(folded):
        code = codes[at]
        if code != folded:
            for entry_id, _ in index.codes[code]:
                shares[entry_id] = max(shares.get(entry_id, 0.0), len(folded) / len(code))
        at += 1
    if len(shares) == 1:
        [(entry_id, share)] = shares.items()
        conf = _PREFIX_BASE + _PREFIX_SPAN * share
        return [(entry_id, conf if share >= _PREFIX_HALF else min(conf, WEAK))]
    return [(entry_id, REPORT_FLOOR + 0.15 * share) for entry_id, share in sorted(shares.items())]


def _short_codes(index: Index, query: Query, seen: set[str]) -> list[Evidence]:
    """A two-word code with a slip of one letter: ``FailedPrepst``, ``BadReqest``, ``AzuremOffline``.

    Two humps are a shape prose has too ("PowerShell", "JavaScript"), so only one edit is
    forgiven, the token must be as long as the shortest codes less a letter, and exactly one
    entry's code may be that close (``fuzzy_code`` holds a slip between two codes at a hint).
    What two words say is less than three: believed moderately, never as a longer code is.
    """
    out: list[Evidence] = []
    if not query.same_offsets:
        return out  # (a code and Chinese in one text: the long CamelCase words are read already)
    text = query.text
    words, starts = query.tokens
    for i in query.nine_at:
        start = starts[i]
        if not "A" <= text[start] <= "Z":
            continue  # most long words of prose: settled before a slice and a regex
        token = text[start:start + len(words[i])]
        if not _TWO_HUMPS.fullmatch(token) or token in seen or words[i] in index.codes:
            continue
        near = index.near_cache.get(words[i])
        if near is None:
            if len(index.near_cache) > 50_000:
                index.near_cache.clear()
            # (fuzzy_code forgives two slips from 16 letters on)
            near = index.near_cache[words[i]] = process.extractOne(
                words[i], index.fuzzy_choices, scorer=OSA.distance, score_cutoff=1) is not None
        if not near:
            continue
        for entry, conf in fuzzy_code(index, token, False):
            out.append(Evidence(entry, min(conf, _SHORT_MAX), "fuzzy-code", query.lang, (start, start + len(token)),
                                token))
    return out


def _plural_of(folded: str, words: tuple[str, ...]) -> bool:
    """Whether ``folded`` is the code with an "s" put after one of its words."""
    code, at = "".join(words), 0
    for word in words:
        at += len(word)
        if folded == code[:at] + "s" + code[at:]:
            return True
    return False


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
            conf = FAMILY * (0.5 if name in index.generic else 1.0)
            return [(e, conf) for e, _ in owners]
    return []


def _undoubled(words: tuple[str, ...]) -> tuple[str, ...]:
    """``words`` without a one-letter word that only repeats the next word's first letter: a
    capital typed twice ("UserErrorFsFreezeFFailed") is a slip, not a word added ("...FailedV2")."""
    return tuple(w for i, w in enumerate(words)
                 if not (len(w) == 1 and w.isalpha() and i + 1 < len(words) and words[i + 1].startswith(w)))


def _whole_word_difference(words: tuple[str, ...], code_words: tuple[str, ...]) -> bool:
    """True when one word sequence is the other with whole words added (a different code)."""
    shorter, longer = sorted((words, code_words), key=len)
    if len(shorter) == len(longer):
        return False
    rest = iter(longer)
    return all(any(w == x for x in rest) for w in shorter)


def _joined_codes(index: Index, query: Query) -> list[Evidence]:
    """Codes written as four or more separate words: ``usererror vm provisioning state failed``.

    Three everyday words ("backup operation failed") are prose, not a code.
    """
    words, prefixes = query.words, index.code_prefixes
    out: list[Evidence] = []
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
                piece = query.folded[span[0]:span[1]]
                out.extend(Evidence(e, JOINED, "joined-code", query.lang, span, piece) for e, _ in index.codes[joined])
    return out
