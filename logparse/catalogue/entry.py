"""Plain value types of the error catalogue: Signature, Entry, Limit and the loaded Catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from logparse.errors import CatalogueError

KINDS = ("error", "cause")
PLATFORMS = ("any", "windows", "linux")
SEVERITIES = ("error", "warning", "info")
# The catalogue names formats before every format module exists, so the set is fixed here
# rather than read from the registry (which only lists formats whose tests pass).
FORMAT_NAMES = ("waagent", "vmsnapshot", "ext_handler", "windows_agent", "waagent_conf", "job_error")


@dataclass(frozen=True)
class Signature:
    """A log-line pattern that proves an entry, scoped to named formats.

    ``pattern`` is searched with Python ``re`` in ONE record's header message or raw line;
    ``literal`` is a plain substring every match contains (for fast pre-filters, compared
    case-insensitively when ``flags`` holds ``i``); ``examples`` are log lines it must match.
    """

    formats: tuple[str, ...]
    pattern: str
    literal: str
    examples: tuple[str, ...]
    flags: str = "i"
    # Made by the loader from the entry's own code or message (see ``catalogue.derive``), not
    # written in the TOML; the fuzzy matcher reads codes and messages itself and skips these.
    derived: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"formats": list(self.formats), "pattern": self.pattern, "literal": self.literal,
                               "examples": list(self.examples), "flags": self.flags}
        if self.derived:
            out["derived"] = True
        return out


@dataclass(frozen=True)
class Entry:
    """One error code or cause section; text fields are keyed by language (``en``, ``zh-CN``)."""

    id: str
    kind: str
    title: dict[str, str]
    messages: dict[str, tuple[str, ...]]
    aliases: tuple[str, ...] = ()
    platform: str = "any"
    causes: tuple[str, ...] = ()
    surfaces_as: tuple[str, ...] = ()
    int_codes: tuple[int, ...] = ()
    signatures: tuple[Signature, ...] = ()
    remediation: dict[str, tuple[str, ...]] = field(default_factory=dict)
    doc: dict[str, str] = field(default_factory=dict)
    examples: tuple[str, ...] = ()
    negatives: tuple[str, ...] = ()
    source: str = ""
    severity: str = "error"
    # VMSnapshotLinux numeric status codes (ExtensionErrorCodeEnum), not portal/CLI codes.
    status_codes: tuple[int, ...] = ()
    # True for codes whose doc section has no "Error message" line (matched by code only).
    no_message: bool = False

    def text(self, table: dict[str, str], lang: str) -> str:
        """``table[lang]``, falling back to English; empty when neither exists."""
        return table.get(lang) or table.get("en", "")

    def steps(self, lang: str) -> tuple[str, ...]:
        """Remediation steps in ``lang``, falling back to English."""
        return self.remediation.get(lang) or self.remediation.get("en", ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "title": dict(self.title),
            "messages": {k: list(v) for k, v in self.messages.items()},
            "aliases": list(self.aliases), "platform": self.platform, "causes": list(self.causes),
            "surfaces_as": list(self.surfaces_as), "int_codes": list(self.int_codes),
            "status_codes": list(self.status_codes),
            "signatures": [s.to_dict() for s in self.signatures],
            "remediation": {k: list(v) for k, v in self.remediation.items()}, "doc": dict(self.doc),
            "examples": list(self.examples), "negatives": list(self.negatives),
            "source": self.source, "severity": self.severity, "no_message": self.no_message,
        }


@dataclass(frozen=True)
class Limit:
    """A numeric or literal fact stated by the docs (e.g. 18 restore points per VM)."""

    id: str
    value: int | float | str | tuple[int, ...]
    unit: str
    text: dict[str, str]
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"id": self.id, "value": value, "unit": self.unit, "text": dict(self.text),
                "source": self.source}


@dataclass(frozen=True)
class Catalogue:
    """Every entry and limit by id; ``digest`` is the sha256 of the loaded files' bytes."""

    entries: dict[str, Entry]
    limits: dict[str, Limit]
    digest: str

    def get(self, id: str) -> Entry:
        """The entry ``id``, the one that lists ``id`` as an alias (case-insensitive), or the one the
        doc numbers so (``320001``).

        Raises:
            CatalogueError: no entry has that id, alias or number.
        """
        entry = self.entries.get(id)
        if entry is not None:
            return entry
        wanted = id.strip().casefold()
        for entry in self.entries.values():
            if entry.id.casefold() == wanted or any(a.casefold() == wanted for a in entry.aliases):
                return entry
        if wanted.isdigit():
            numbered = [e for e in self.entries.values() if int(wanted) in e.int_codes]
            if len(numbered) == 1:
                return numbered[0]
        raise CatalogueError(f"unknown catalogue entry {id!r} (see: logparse catalogue list)")

    def errors(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.kind == "error"]

    def causes(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.kind == "cause"]

    def signatures(self) -> list[tuple[str, Signature]]:
        """Every signature with the id of the entry it proves, in catalogue order."""
        return [(e.id, s) for e in self.entries.values() for s in e.signatures]
