"""Library entry points for one file: detect its format and stream its records."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from logparse import formats
from logparse.errors import FormatError, SourceError
from logparse.model import Detection, Record
from logparse.sources import Limits
from logparse.textio import iter_chunks, open_input

HEAD_LINES = 50


def _head(chunk: str) -> list[str]:
    return chunk.split("\n", HEAD_LINES)[:HEAD_LINES]


def detect_file(path: str, limits: Limits | None = None) -> Detection:
    """The format of one file (path patterns first, then a content score).

    Raises:
        SourceError: the file cannot be opened or decompressed (under ``limits``, triage's caps).
    """
    with open_input(path, limits) as (name, stream):
        first = next(iter_chunks(stream, name, size=64 * 1024, limits=limits), "")
    return formats.detect(name, _head(first))


@contextmanager
def open_records(path: str, as_format: str | None = None,
                 limits: Limits | None = None) -> Iterator[tuple[Detection, Iterator[Record]]]:
    """Open ``path`` (or ``-``) and yield its detection and a lazy stream of records.

    ``limits`` are triage's caps (``sources.Limits``: decompressed size, total, ratio); by default
    its defaults. A cap that trips ends the records with a ``SourceError`` that says which, in
    the words triage uses for a member.

    Raises:
        SourceError: unreadable input, or a cap tripped (also raised while iterating, after the
            records that could be read).
        FormatError: unknown ``as_format``, or a format that cannot be detected.
    """
    with open_input(path, limits) as (name, stream):
        chunks = iter_chunks(stream, name, limits=limits)
        first = next(chunks, "")
        if as_format is not None:
            fmt = formats.get(as_format)
            detection = Detection(name, fmt.name, 1.0, "--as")
        elif not first:
            raise SourceError(f"{name}: empty input, nothing to parse")
        else:
            detection = formats.detect(name, _head(first))
            if detection.format is None:
                raise FormatError(
                    f"{name}: cannot tell the format (best content score {detection.score:.2f}); "
                    f"name one with --as ({', '.join(formats.names())})"
                )
            fmt = formats.get(detection.format)
        yield detection, _then_raise(fmt, itertools.chain([first] if first else [], chunks), name)


def _then_raise(fmt: Any, chunks: Iterator[str], name: str) -> Iterator[Record]:
    """The records, the one a format holds when the text breaks off (a cut .gz) included; the
    read error is raised after them."""
    cut: list[SourceError] = []

    def until_cut() -> Iterator[str]:
        try:
            yield from chunks
        except SourceError as exc:
            cut.append(exc)

    yield from fmt.parse_chunks(until_cut(), name)
    if cut:
        raise cut[0]
