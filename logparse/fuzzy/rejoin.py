"""Codes and words cut by a hard wrap or a stray space, and JSON escapes, undone before matching.

A terminal, an e-mail client or a ticket form wraps at a fixed width, so a pasted
``ExtensionSnapshotFailedNoNetwork`` arrives as ``ExtensionSnapsho`` / ``tFailedNoNetwork`` and
"execution" as "execu" / "tion"; people also type a code in two CamelCase halves. Read as they
stand, the halves are no code at all, or worse, an unknown code. A break is removed only where
the halves make a catalogue code (or, for a wrap, a misspelt one or a word of a catalogue
message) and the halves look like pieces of one, so prose that happens to spell a code
("an internal\\nerror") stays prose.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping

_PIECE = re.compile(r"[A-Za-z0-9]+")
_WRAP = re.compile(r"[ \t]*\r?\n[ \t>]*")  # a line break, with a mail quote or indent after it
_SPACE = re.compile(r" {1,2}")


def rejoin(text: str, codes: Mapping[str, tuple[str, ...]], prefixes: frozenset[str], words: frozenset[str],
           misspelt: Callable[[str], bool]) -> tuple[str, list[int] | None]:
    """``text`` with the breaks inside codes and message words removed, and where each offset
    of the new text was in ``text`` (None when nothing changed).

    Args:
        codes: folded catalogue codes, each with its words ("ResourceNotFound": resource, not,
            found); prefixes: every prefix of them.
        words: the folded words of the catalogue's messages.
        misspelt: whether a CamelCase token is a near miss of a catalogue code.
    """
    cuts: list[tuple[int, int]] = []  # separators to delete
    done = -1  # text up to here is joined already
    for at in sorted(_candidates(text, prefixes, words)):
        if at < done:
            continue
        pieces = _run_from(text, at, prefixes)
        if len(pieces) < 2:
            continue
        end = _code_run(text, pieces, codes, prefixes)
        if end < 0:
            end = _wrapped_word(text, pieces, words, codes, misspelt)
        if end > 0:
            cuts += [(pieces[k].end(), pieces[k + 1].start()) for k in range(end)]
            done = pieces[end].end()
    if not cuts:
        return text, None
    out: list[str] = []
    origin: list[int] = []
    at = 0
    for start, stop in cuts:
        out.append(text[at:start])
        origin.extend(range(at, start))
        at = stop
    out.append(text[at:])
    origin.extend(range(at, len(text) + 1))  # one past the end maps too
    return "".join(out), origin


# Where a join can start: the word before a line break, or a capitalised word in a run of them
# (the pieces of a CamelCase code typed apart). Prose costs no Python per word: a regex finds the
# runs, and line breaks are few.
_CAPITAL_RUN = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9]*(?: {1,2}[A-Z][A-Za-z0-9]*)+")
_JOINABLE = re.compile(r"[ \t]*\r?\n[ \t>]*| {1,2}")
_TRAILING = re.compile(r"[A-Za-z0-9]+$")
# A capital after a lower-case letter or digit, matched at the capital: prose has few capitals,
# and a pattern that starts with one lets the regex engine skip to them.
_INNER_CAPITAL = re.compile(r"[A-Z](?<=[a-z0-9][A-Z])")
_CAMEL = re.compile(r"[a-z][A-Z]")
_MAX_PIECES = 8  # a code is rarely cut in more pieces than this


def _candidates(text: str, prefixes: frozenset[str], words: frozenset[str]) -> set[int]:
    """Offsets of the words a join could start at: the last word of a line that goes on as the
    start of a code or as a message word, and the capitalised words around a CamelCase one (a
    code typed in halves)."""
    out: set[int] = set()
    if "\n" in text:
        lines = text.split("\n")
        at = 0
        for line, following in zip(lines, lines[1:], strict=False):
            tail = line.rstrip(" \t\r")
            going = following.lstrip(" \t>")
            if tail[-1:].isalnum() and going[:1].isalnum():
                last = _TRAILING.search(tail, max(0, len(tail) - 64))
                first = _PIECE.match(going)
                if last is not None and first is not None:
                    a, b = last.group(), first.group()
                    if a.casefold() in prefixes or (a + b).casefold() in words or (
                            b[:1].islower() and _humps(a + b) >= 2):
                        out.add(at + last.start())
            at += len(line) + 1
    if " " in text:
        seen: set[int] = set()
        for capital in _INNER_CAPITAL.finditer(text):
            hump = capital.start() - 1
            word = text.rfind(" ", 0, hump) + 1
            if word in seen:
                continue
            seen.add(word)
            run = _spaced_run(text, word, hump)
            if run is not None:
                start, written = run
                out.update(start + m.start() for m in _PIECE.finditer(written) if m.group().casefold() in prefixes)
    return out


def _spaced_run(text: str, word: int, at: int) -> tuple[int, str] | None:
    """The run of capitalised words, one or two spaces apart, holding the CamelCase word at
    ``word``; None when it has no capitalised neighbour or fewer than four capitals in all."""
    end = text.find(" ", at)
    end = len(text) if end < 0 else end
    after = text[end:end + 3].lstrip(" ")[:1]
    before = text.rfind(" ", 0, max(word - 1, 0)) + 1 if word >= 2 and text[word - 2] != " " else -1
    if not after.isupper() and not (before >= 0 and text[before:before + 1].isupper()):
        return None  # a CamelCase word alone, as codes are usually written: no Python per word
    lo, hi = max(0, word - 160), min(len(text), end + 160)
    for run in _CAPITAL_RUN.finditer(text, lo, hi):
        if run.start() <= at < run.end():
            written = run.group()
            if " " in written and sum(map(str.isupper, written)) - written.count(" ") >= 3:
                return run.start(), written
            return None
    return None


def _run_from(text: str, at: int, prefixes: frozenset[str]) -> list[re.Match[str]]:
    """The word at ``at`` and those after it that only a line break or one or two spaces part,
    while they still spell the start of a code (two at least: a word cut by a wrap)."""
    piece = _PIECE.match(text, at)
    pieces: list[re.Match[str]] = []
    joined = ""
    while piece is not None and len(pieces) < _MAX_PIECES:
        pieces.append(piece)
        joined += piece.group().casefold()
        if len(pieces) >= 2 and joined not in prefixes:
            break
        sep = _JOINABLE.match(text, piece.end())
        piece = _PIECE.match(text, sep.end()) if sep is not None else None
    return pieces


def _code_run(text: str, pieces: list[re.Match[str]], codes: Mapping[str, tuple[str, ...]],
              prefixes: frozenset[str]) -> int:
    """Index of the last piece of the longest run of ``pieces`` that spells a catalogue code, else -1."""
    joined = pieces[0].group().casefold()
    best, spaced = -1, False
    j = 0
    while j + 1 < len(pieces) and joined in prefixes:
        sep = text[pieces[j].end():pieces[j + 1].start()]
        wrap = _WRAP.fullmatch(sep) is not None
        if not wrap and _SPACE.fullmatch(sep) is None:
            break
        spaced = spaced or not wrap
        j += 1
        joined += pieces[j].group().casefold()
        if joined in codes and _looks_cut(pieces[:j + 1], spaced, codes[joined]):
            best = j
    return best


def _looks_cut(run: list[re.Match[str]], spaced: bool, code_words: tuple[str, ...]) -> bool:
    """Whether these pieces are one code written apart rather than words that spell one."""
    written = [p.group() for p in run]
    camel = any(_CAMEL.search(piece) for piece in written)  # a lower-to-upper hump inside a piece
    if spaced:
        # Typed in CamelCase halves ("ExtensionConfig ParsingFailure"): every half capitalised,
        # one of them CamelCase, four words in all. "Backup Operation Failed" is a title, "Bad
        # Request" prose, and "Azure VM Offline" an alert's words: an acronym is no hump.
        return all(piece[:1].isupper() for piece in written) and camel and _humps("".join(written)) >= 3
    if camel and _humps("".join(written)) >= 2:
        return True  # CamelCase across the break: "ExtensionSnapsho" / "tFailedNoNetwork"
    # Otherwise only a cut inside one of the code's words: "Intern" / "alError", or a lowercase
    # code wrapped mid-word. Whole words on separate lines ("Allocation" / "failed", a table
    # column of "Backup" / "operation" / "failed") are prose.
    ends, at = set(), 0
    for word in code_words:
        at += len(word)
        ends.add(at)
    cut, at = [], 0
    for piece in written[:-1]:
        at += len(piece)
        cut.append(at)
    return any(offset not in ends for offset in cut)


def _wrapped_word(text: str, pieces: list[re.Match[str]], words: frozenset[str],
                  codes: Container[str], misspelt: Callable[[str], bool]) -> int:
    """1 when the first two ``pieces`` are one word cut by a line break, else -1."""
    first, second = pieces[0].group(), pieces[1].group()
    if _WRAP.fullmatch(text[pieces[0].end():pieces[1].start()]) is None:
        return -1
    joined = first + second
    folded = joined.casefold()
    if second[:1].islower() and _humps(joined) >= 2 and first.casefold() not in codes and misspelt(joined):
        return 1  # a misspelt code cut mid-word: "ExtensionSnaps" / "hotFailedNoNetwrk"
    if not joined.isalpha() or len(joined) < 5 or folded not in words:
        return -1
    # Both halves real words ("back" / "up") may be two words on two lines: leave them.
    return 1 if not (first.casefold() in words and second.casefold() in words) else -1


def _humps(word: str) -> int:
    return sum(map(str.isupper, word[1:]))


def origin_span(origin: list[int] | None, span: tuple[int, int]) -> tuple[int, int]:
    """A span of the rejoined text as a span of the text as pasted."""
    if origin is None or span == (0, 0):
        return span
    # Clamped: where NFKC folding made the text longer ("¼" is three characters folded), spans
    # of the folded text run past the map, and are approximate anyway.
    last = len(origin) - 1
    start, end = min(span[0], last), min(span[1], last + 1)
    return origin[start], origin[end - 1] + 1 if end > start else origin[start]


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def unescape(text: str) -> tuple[str, list[int] | None]:
    """``\\uXXXX`` escapes (CLI JSON with ensure_ascii: Chinese messages, ``doesn\\u0027t``) as
    the characters they stand for, and where each offset of the new text was (None: unchanged)."""
    if "\\u" not in text:
        return text, None
    out: list[str] = []
    origin: list[int] = []
    at = 0
    for m in _ESCAPE.finditer(text):
        code = int(m.group(1), 16)
        if 0xD800 <= code < 0xE000:
            continue  # half of a surrogate pair: left as written
        out.append(text[at:m.start()])
        origin.extend(range(at, m.start()))
        out.append(chr(code))
        origin.append(m.start())
        at = m.end()
    if not out:
        return text, None
    out.append(text[at:])
    origin.extend(range(at, len(text) + 1))
    return "".join(out), origin


def compose(outer: list[int] | None, inner: list[int] | None) -> list[int] | None:
    """Offsets through two rewrites: ``inner`` maps the last text to the middle one, ``outer`` the
    middle one to the first."""
    if inner is None:
        return outer
    if outer is None:
        return inner
    return [outer[i] for i in inner]
