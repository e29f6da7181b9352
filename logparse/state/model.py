"""Value types of the state readers: facts read from a document, entries they state, and the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Fact:
    """One typed value read from a state document, and where in it (``json_path``) it sits.

    ``subject`` names what the fact is about when a document holds several things of one
    kind (an extension, a lock, a job, a restore point collection, a disk); ``time`` is an
    ISO string (UTC with an offset, or naive when the document gave local time). ``line`` is
    the line of the document where the value starts, 0 when not worked out (only facts a
    citation may need get one); it is where the fact is, not what it says, so ``to_dict``
    (a document's reading, what the goldens pin) leaves it out.
    """

    name: str
    value: Scalar
    json_path: str
    kind: str
    time: str | None = None
    subject: str | None = None
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "json_path": self.json_path, "kind": self.kind,
                "time": self.time, "subject": self.subject}


@dataclass(frozen=True)
class Stated:
    """A catalogue entry a document points to, with its own confidence and the value behind it.

    ``line`` is where in the document the value starts (0: not known), ``label`` what the value
    is about in words (``lock no-delete-backup on resource group AzureBackupRG_westeurope_1``):
    both are for showing the citation, and like ``Fact.line`` stay out of ``to_dict``.
    """

    entry_id: str
    confidence: float
    json_path: str
    text: str
    reason: str
    time: str | None = None
    line: int = 0
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"entry_id": self.entry_id, "confidence": self.confidence, "json_path": self.json_path,
                "text": self.text, "reason": self.reason, "time": self.time}


@dataclass(frozen=True)
class StateResult:
    """What one document is (``kind``), what it says, and why it was skipped when it says nothing."""

    kind: str | None
    facts: list[Fact] = field(default_factory=list)
    stated: list[Stated] = field(default_factory=list)
    skip_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "skip_reason": self.skip_reason,
                "facts": [f.to_dict() for f in self.facts], "stated": [s.to_dict() for s in self.stated]}


def skipped(reason: str, kind: str | None = None) -> StateResult:
    return StateResult(kind, [], [], reason)
