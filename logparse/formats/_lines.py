"""The engine shared by line-oriented formats: header lines start records, others continue them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from logparse._paths import glob_matcher
from logparse.grammar import Fields, HeaderGrammar, load
from logparse.model import LAZY_TIME, Record

# build(generation, terminal fields) -> Record fields it knows (message, timestamp, level...).
# Fields it leaves out keep the Record defaults.
Builder = Callable[[str, Fields], dict[str, Any]]
# finalize(record values, continuation lines): lets a format read structure out of the
# continuation (nested freeze-window records, JSON blobs) once the record is complete.
Finalizer = Callable[[dict[str, Any], list[str]], None]

_LINES_PER_BATCH = 4096


class LineFormat:
    """A format whose records begin with a line the format's header grammar accepts."""

    def __init__(
        self,
        name: str,
        paths: Sequence[str],
        build: Builder,
        *,
        grammar: str | None = None,
        finalize: Finalizer | None = None,
        description: str = "",
    ) -> None:
        self.name = name
        self.paths = tuple(p.lower() for p in paths)
        self._path_match = glob_matcher(self.paths)
        self.description = description
        self._build = build
        self._finalize = finalize
        self._grammar_name = grammar or name

    @property
    def grammar(self) -> HeaderGrammar:
        return load(self._grammar_name)

    def header_time(self, line: str) -> tuple[bool, datetime | None]:
        """``(is a header, its record time)`` for one line, with this format's own time rules.

        The scanner uses it to date a hit without parsing the file: the record time is the
        header's, interpreted as the format's builder does (zones, inferred UTC switches).
        """
        hit = self.grammar.match(line)
        if hit is None:
            return False, None
        values = self._build(*hit)
        lazy = values.get(LAZY_TIME)
        timestamp = lazy[0](lazy[1]) if lazy is not None else values.get("timestamp")
        return True, timestamp if isinstance(timestamp, datetime) else None

    def match_path(self, path: str) -> bool:
        norm = path.replace("\\", "/").lower()
        return self._path_match(norm)

    def score(self, head: Sequence[str]) -> float:
        """Share of the non-blank first lines that are headers of this format."""
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        match = self.grammar.match
        return sum(1 for line in lines if match(line) is not None) / len(lines)

    def parse(self, lines: Iterable[str], path: str, *, slow: bool = False) -> Iterator[Record]:
        """Records in file order from lines without terminators (see ``parse_chunks``)."""
        if slow:
            return self._parse_slow(lines, path)
        return self.parse_chunks(_batches(lines), path)

    def parse_chunks(self, chunks: Iterable[str], path: str) -> Iterator[Record]:
        """Records from text pieces that each end at a ``\\n`` (the last one may not).

        Every input line ends up in exactly one record: a header starts a record, the
        lines after it are its continuation, lines before the first header are
        ``unparsed`` records. The header pattern runs over the whole piece, so lines
        that continue a record never reach Python code one by one.
        """
        finditer = self.grammar.multiline.finditer
        extractors = self.grammar.extractors
        emit = self._emit
        number = 1
        pending: tuple[int, str, str, Fields] | None = None
        continuation: list[str] = []
        for chunk in chunks:
            pos = 0
            for m in finditer(chunk):
                start = m.start()
                if start == len(chunk):
                    # A grammar that accepts an empty line also matches the empty
                    # "line" after the piece's final \n, which is not a line at all.
                    break
                if start > pos:
                    gap = chunk[pos : start - 1].split("\n")
                    if pending is None:
                        yield from self._unparsed(path, number, gap)
                    else:
                        continuation.extend(gap)
                    number += len(gap)
                if pending is not None:
                    yield emit(path, pending, continuation)
                    if continuation:
                        continuation = []
                pending = (number, m.group(), *extractors[m.lastgroup](m))  # type: ignore[index]
                number += 1
                pos = m.end() + 1
            if pos < len(chunk):
                tail = chunk[pos:-1] if chunk.endswith("\n") else chunk[pos:]
                rest = tail.split("\n")
                if pending is None:
                    yield from self._unparsed(path, number, rest)
                else:
                    continuation.extend(rest)
                number += len(rest)
        if pending is not None:
            yield emit(path, pending, continuation)

    def _parse_slow(self, lines: Iterable[str], path: str) -> Iterator[Record]:
        # The reference path: one full LALR parse per line. Tests compare it with the fast path.
        parse = self.grammar.parse_slow
        pending: tuple[int, str, str, Fields] | None = None
        continuation: list[str] = []
        for number, line in enumerate(lines, 1):
            hit = parse(line)
            if hit is None:
                if pending is None:
                    yield from self._unparsed(path, number, [line])
                else:
                    continuation.append(line)
                continue
            if pending is not None:
                yield self._emit(path, pending, continuation)
                continuation = []
            pending = (number, line, *hit)
        if pending is not None:
            yield self._emit(path, pending, continuation)

    def _unparsed(self, path: str, number: int, lines: list[str]) -> Iterator[Record]:
        for offset, line in enumerate(lines):
            yield Record.make(
                {"path": path, "line": number + offset, "format": self.name,
                 "generation": "unparsed", "message": line, "raw": line}
            )

    def _emit(self, path: str, pending: tuple[int, str, str, Fields], continuation: list[str]) -> Record:
        number, header, generation, fields = pending
        values = self._build(generation, fields)
        values["path"] = path
        values["line"] = number
        values["format"] = self.name
        values["generation"] = generation
        if continuation:
            if self._finalize is not None:
                self._finalize(values, continuation)
            values["raw"] = header + "\n" + "\n".join(continuation)
            values["continuation"] = tuple(continuation)
        else:
            values["raw"] = header
        return Record.make(values)


def _batches(lines: Iterable[str]) -> Iterator[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= _LINES_PER_BATCH:
            yield "\n".join(batch) + "\n"
            batch = []
    if batch:
        yield "\n".join(batch) + "\n"


def split_extension(prefix: str | None) -> tuple[str | None, str | None]:
    """``[Publisher.Type-1.2.3]`` -> (``Publisher.Type``, ``1.2.3``); other prefixes -> (None, None)."""
    if not prefix or not prefix.startswith("["):
        return None, None
    body = prefix.strip("[] ")
    name, sep, version = body.rpartition("-")
    # Versions start with a digit; publisher and type names contain dots, rarely dashes.
    while sep and not version[:1].isdigit():
        name, sep, rest = name.rpartition("-")
        version = f"{rest}-{version}"
    if not sep:
        return body, None
    return name, version
