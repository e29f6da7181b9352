"""Frozen value types shared by every pipeline stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Record:
    """One logical log record: a header line plus the continuation lines that belong to it.

    ``timestamp`` is an aware UTC datetime when the layout states its zone; when the layout
    writes local time with no zone the naive value is kept and ``local_time`` is True.
    ``generation`` names the layout variant that matched (``unparsed`` for a line no
    layout accepts).
    """

    path: str
    line: int
    format: str
    generation: str
    message: str
    raw: str
    timestamp: datetime | None = None
    local_time: bool = False
    level: str | None = None
    thread: str | None = None
    component: str | None = None
    extension: str | None = None
    extension_version: str | None = None
    continuation: tuple[str, ...] = ()
    fields: dict[str, Any] | None = None

    @classmethod
    def make(cls, values: dict[str, Any]) -> Record:
        """Build from a complete field dict, skipping the per-field frozen ``__setattr__``.

        The hot path creates one record per header line; the generated frozen ``__init__``
        costs about 3 us for 15 fields, this about 0.3 us. Fields missing from ``values``
        read as their class-level defaults (every field has an immutable default).
        """
        record = object.__new__(cls)
        record.__dict__.update(values)
        return record

    def __getattr__(self, name: str) -> Any:
        # Only reached for ``timestamp`` when a builder deferred it (see LAZY_TIME): parsing a
        # time costs as much as the rest of a record, and many consumers never read it.
        if name != "timestamp":
            raise AttributeError(name)
        lazy = self.__dict__.get(LAZY_TIME)
        value = lazy[0](lazy[1]) if lazy is not None else None
        self.__dict__["timestamp"] = value
        return value

    @property
    def unparsed(self) -> bool:
        return self.generation == "unparsed"

    @property
    def line_count(self) -> int:
        """Physical lines this record covers."""
        return 1 + len(self.continuation)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; timestamps as ISO 8601 (``Z`` suffix only for UTC values)."""
        ts = self.timestamp
        if ts is None:
            ts_text = None
        elif ts.tzinfo is None:
            ts_text = ts.isoformat()
        else:
            ts_text = ts.isoformat().replace("+00:00", "Z")
        out: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "format": self.format,
            "generation": self.generation,
            "timestamp": ts_text,
            "local_time": self.local_time,
            "level": self.level,
            "thread": self.thread,
            "component": self.component,
            "extension": self.extension,
            "extension_version": self.extension_version,
            "message": self.message,
            "continuation": list(self.continuation),
            "raw": self.raw,
        }
        if self.fields:
            out["fields"] = self.fields
        return out


# A builder may put (parser, text) under this key instead of a parsed ``timestamp``.
LAZY_TIME = "_lazy_time"
# The class-level default would shadow __getattr__; the generated __init__ keeps its own.
del Record.timestamp


@dataclass(frozen=True, slots=True)
class Detection:
    """Which format a file is, how sure, and why (``path`` or ``content``)."""

    path: str
    format: str | None
    score: float
    by: str
