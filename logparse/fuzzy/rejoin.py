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
from collections.abc import Callable, Container

_PIECE = re.compile(r"[A-Za-z0-9]+")
_WRAP = re.compile(r"[ \t]*\r?\n[ \t>]*")  # a line break, with a mail quote or indent after it
_SPACE = re.compile(r" {1,2}")


def rejoin(text: str, codes: Container[str], prefixes: frozenset[str], words: frozenset[str],
           misspelt: Callable[[str], bool]) -> tuple[str, list[int] | None]:
    """``text`` with the breaks inside codes and message words removed, and where each offset
    of the new text was in ``text`` (None when nothing changed).

    Args:
        codes: folded catalogue codes; prefixes: every prefix of them.
        words: the folded words of the catalogue's messages.
        misspelt: whether a CamelCase token is a near miss of a catalogue code.
    """
    pieces = list(_PIECE.finditer(text))
    cuts: list[tuple[int, int]] = []  # separators to delete
    i = 0
    while i < len(pieces) - 1:
        end = _code_run(text, pieces, i, codes, prefixes)
        if end < 0:
            end = _wrapped_word(text, pieces, i, words, codes, misspelt)
        if end <= i:
            i += 1
            continue
        cuts += [(pieces[k].end(), pieces[k + 1].start()) for k in range(i, end)]
        i = end + 1
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


def _code_run(text: str, pieces: list[re.Match[str]], i: int, codes: Container[str],
              prefixes: frozenset[str]) -> int:
    """Index of the last piece of the longest run from ``i`` that spells a catalogue code, else -1."""
    joined = pieces[i].group().casefold()
    best, spaced = -1, False
    j = i
    while j + 1 < len(pieces) and joined in prefixes:
        sep = text[pieces[j].end():pieces[j + 1].start()]
        wrap = _WRAP.fullmatch(sep) is not None
        if not wrap and _SPACE.fullmatch(sep) is None:
            break
        spaced = spaced or not wrap
        j += 1
        joined += pieces[j].group().casefold()
        if joined in codes and _looks_cut(text, pieces[i:j + 1], spaced):
            best = j
    return best


def _looks_cut(text: str, run: list[re.Match[str]], spaced: bool) -> bool:
    """Whether these pieces are one code written apart rather than words that spell one."""
    written = "".join(p.group() for p in run)
    if spaced:
        # Typed in CamelCase halves ("ExtensionConfig ParsingFailure"): every half capitalised,
        # one a compound, four words in all; "Backup Operation Failed" is a title, "Bad Request" prose.
        return (all(p.group()[:1].isupper() for p in run) and any(_humps(p.group()) >= 1 for p in run)
                and _humps(written) >= 3)
    # Wrapped: CamelCase across the break, cut mid-word ("Intern" / "alError"), or a lowercase
    # run too long to be an English word; "an internal" / "error" is prose.
    mid_word = any(p.group()[:1].islower() for p in run[1:])
    return _humps(written) >= 2 or (mid_word and _humps(written) >= 1) or len(written) >= 16


def _wrapped_word(text: str, pieces: list[re.Match[str]], i: int, words: frozenset[str],
                  codes: Container[str], misspelt: Callable[[str], bool]) -> int:
    """``i + 1`` when pieces ``i`` and ``i + 1`` are one word cut by a line break, else -1."""
    first, second = pieces[i].group(), pieces[i + 1].group()
    if _WRAP.fullmatch(text[pieces[i].end():pieces[i + 1].start()]) is None:
        return -1
    joined = first + second
    folded = joined.casefold()
    if second[:1].islower() and _humps(joined) >= 2 and first.casefold() not in codes and misspelt(joined):
        return i + 1  # a misspelt code cut mid-word: "ExtensionSnaps" / "hotFailedNoNetwrk"
    if not joined.isalpha() or len(joined) < 5 or folded not in words:
        return -1
    # Both halves real words ("back" / "up") may be two words on two lines: leave them.
    return i + 1 if not (first.casefold() in words and second.casefold() in words) else -1


def _humps(word: str) -> int:
    return sum(1 for ch in word[1:] if ch.isupper())


def origin_span(origin: list[int] | None, span: tuple[int, int]) -> tuple[int, int]:
    """A span of the rejoined text as a span of the text as pasted."""
    if origin is None or span == (0, 0):
        return span
    start, end = span
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
