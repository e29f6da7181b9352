"""The format registry: one module per grammar, detection by path first, then by content."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from logparse.errors import FormatError
from logparse.model import Detection, Record

# Format name -> module. The name is the one key used everywhere: grammar stem, module
# stem, fixture folder, --as value and catalogue ``formats = [...]``. Order matters for
# path detection: the first format whose path pattern matches wins.
REGISTRY: dict[str, str] = {
    "waagent": "logparse.formats.waagent",
    "vmsnapshot": "logparse.formats.vmsnapshot",
    "ext_handler": "logparse.formats.ext_handler",
    "windows_agent": "logparse.formats.windows_agent",
    "waagent_conf": "logparse.formats.waagent_conf",
    "job_error": "logparse.formats.job_error",
}

# A content score below this is a guess, not a detection.
MIN_CONTENT_SCORE = 0.5


class Format(Protocol):
    name: str
    description: str

    def match_path(self, path: str) -> bool: ...

    def score(self, head: Sequence[str]) -> float: ...

    def parse(self, lines: Iterable[str], path: str, *, slow: bool = False) -> Iterator[Record]: ...

    def parse_chunks(self, chunks: Iterable[str], path: str) -> Iterator[Record]: ...


def names() -> list[str]:
    return list(REGISTRY)


def get(name: str) -> Format:
    """The format object registered under ``name``.

    Raises:
        FormatError: no such format.
    """
    fmt = _LOADED.get(name)
    if fmt is None:
        module = REGISTRY.get(name)
        if module is None:
            raise FormatError(f"unknown format {name!r} (known: {', '.join(REGISTRY)})")
        fmt = _LOADED[name] = importlib.import_module(module).FORMAT
    return fmt


_LOADED: dict[str, Format] = {}  # import_module per call was a fifth of detecting a path


def all_formats() -> list[Format]:
    return [get(name) for name in REGISTRY]


def detect_path(path: str) -> str | None:
    """The format whose path patterns ``path`` matches, by name alone; None when none does."""
    # One module at a time, in registry order: a file found by its path never imports the
    # formats after it (start-up matters for small inputs).
    for name in REGISTRY:
        fmt = get(name)
        if fmt.match_path(path):
            return fmt.name
    return None


def detect(path: str, head: Sequence[str]) -> Detection:
    """Path patterns first (a bundle's layout is reliable), then the best content score."""
    by_path = detect_path(path)
    if by_path is not None:
        return Detection(path, by_path, 1.0, "path")
    best: tuple[float, str | None] = (0.0, None)
    for fmt in all_formats():
        score = fmt.score(head)
        if score > best[0]:
            best = (score, fmt.name)
    if best[0] < MIN_CONTENT_SCORE:
        return Detection(path, None, best[0], "content")
    return Detection(path, best[1], best[0], "content")
