"""Exception hierarchy: every error the CLI turns into a one-line message and an exit code."""

from __future__ import annotations


class LogparseError(Exception):
    """Base of every error logparse raises on purpose; the CLI maps it to exit code 2."""

    exit_code = 2


class SourceError(LogparseError):
    """An input cannot be opened or read (missing file, corrupt container)."""


class FormatError(LogparseError):
    """An unknown format name or a grammar that cannot be loaded."""


class ParseError(LogparseError):
    """Input that a parser had to reject as a whole (never raised for a single bad line)."""


class CatalogueError(LogparseError):
    """An invalid catalogue file: names the file, the entry and the field."""
