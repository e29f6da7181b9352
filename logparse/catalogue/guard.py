"""Guards that keep catalogue regexes linear-time: a static check of the parse tree plus a timing probe."""

from __future__ import annotations

import importlib
import re
import time
from typing import Any

# re._parser has no type stubs and sre_parse is deprecated; only the tree walk uses it.
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT}
MIN_LEADING_LITERAL = 3


def flag_bits(flags: str) -> int:
    """The ``re`` flags for a catalogue flag string such as ``"i"``; ValueError on other letters."""
    bits = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}
    value = 0
    for letter in flags:
        if letter not in bits:
            raise ValueError(f"unknown flag {letter!r} (use i, m, s, x)")
        value |= bits[letter]
    return value


def static_problems(pattern: str, flags: str = "i") -> list[str]:
    """Reasons the pattern is unsafe or unanchored; empty when it passes.

    Rejects nested variable quantifiers (``(a+)+``, ``(.*)*``, ``(\\w+\\s?)+``), alternation
    or back-references inside a repeat, more than one unbounded ``.*``/``.+``, and patterns
    that do not start with a literal of at least three characters (the scanner anchors each
    search at that literal).
    """
    try:
        tree = _parser.parse(pattern, flag_bits(flags))
    except (re.error, ValueError) as exc:
        return [f"does not compile: {exc}"]
    problems: list[str] = []
    _walk(list(tree), inside_repeat=False, problems=problems)
    if _count_unbounded_any(list(tree)) > 1:
        problems.append("more than one unbounded .* or .+ (polynomial backtracking); bound one: .{0,200}")
    if _leading_literal_length(list(tree)) < MIN_LEADING_LITERAL:
        problems.append(f"must start with a literal of at least {MIN_LEADING_LITERAL} characters"
                        " (after an optional ^ or lookbehind)")
    return problems


def _is_variable_repeat(op: Any, av: Any) -> bool:
    return op in _REPEATS and av[1] != av[0] and (av[1] is _c.MAXREPEAT or av[1] > 1)


def _children(op: Any, av: Any) -> list[list[Any]]:
    """The sub-sequences of one parse-tree node."""
    if op in _REPEATS:
        return [list(av[2])]
    if op is _c.SUBPATTERN:
        return [list(av[3])]
    if op is _c.BRANCH:
        return [list(p) for p in av[1]]
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        return [list(av[1])]
    if op is _c.ATOMIC_GROUP:
        return [list(av)]
    if op is _c.GROUPREF_EXISTS:
        return [list(p) for p in av[1:] if p is not None]
    return []


def _walk(items: list[Any], inside_repeat: bool, problems: list[str]) -> None:
    for op, av in items:
        if op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
            problems.append("back-references are not allowed")
        if inside_repeat and _is_variable_repeat(op, av):
            problems.append("nested quantifier (a repeat inside a repeat) can backtrack exponentially")
        if inside_repeat and op is _c.BRANCH:
            problems.append("alternation inside a repeat can backtrack exponentially")
        child_inside = inside_repeat or _is_variable_repeat(op, av)
        for child in _children(op, av):
            _walk(child, child_inside, problems)


def _count_unbounded_any(items: list[Any]) -> int:
    count = 0
    for op, av in items:
        if op in _REPEATS and av[1] is _c.MAXREPEAT:
            body = list(av[2])
            if len(body) == 1 and body[0][0] is _c.ANY:
                count += 1
        for child in _children(op, av):
            count += _count_unbounded_any(child)
    return count


def _leading_literal_length(items: list[Any]) -> int:
    # Zero-width prefixes (^, a lookbehind such as (?<![A-Za-z])) do not move the anchor.
    start = 0
    while start < len(items) and items[start][0] in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        start += 1
    length = 0
    for op, _ in items[start:]:
        if op is not _c.LITERAL:
            break
        length += 1
    return length


def slowest_probe(pattern: str, flags: str, literal: str, size: int = 4000) -> float:
    """Seconds of the slowest ``re.search`` over adversarial strings built around ``literal``."""
    compiled = re.compile(pattern, flag_bits(flags))
    lit = literal or "a"
    probes = [
        lit * (size // len(lit) + 1),
        lit + "a" * size,
        lit + " a" * (size // 2),
        lit + "\t" * size + "!",
        ("x" + lit) * (size // (len(lit) + 1) + 1),
    ]
    worst = 0.0
    for probe in probes:
        started = time.perf_counter()
        compiled.search(probe)
        worst = max(worst, time.perf_counter() - started)
    return worst
