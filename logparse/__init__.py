"""logparse: turn Azure VM guest-agent and backup-extension logs into a diagnosis."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from logparse.errors import CatalogueError, FormatError, LogparseError, ParseError, SourceError
from logparse.model import Detection, Record

if TYPE_CHECKING:
    from logparse.analysis import triage
    from logparse.catalogue import load_catalogue
    from logparse.findings import Finding, TriageResult
    from logparse.fuzzy import MatchResult, match

__version__ = "0.1.0"

# Heavy parts load on first use (PEP 562): every command pays for start-up, not every
# command needs the matcher, the catalogue and the scanner.
_LAZY = {
    "load_catalogue": "logparse.catalogue",
    "Finding": "logparse.findings",
    "TriageResult": "logparse.findings",
    "MatchResult": "logparse.fuzzy",
    "match": "logparse.fuzzy",
    "triage": "logparse.analysis",
}


# The documented submodules, reachable after a bare ``import logparse`` as the README writes them.
_SUBMODULES = frozenset({"render", "parsing", "batch", "summary", "catalogue", "fuzzy", "formats", "state"})


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"logparse.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'logparse' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "CatalogueError",
    "Detection",
    "Finding",
    "FormatError",
    "LogparseError",
    "MatchResult",
    "ParseError",
    "Record",
    "SourceError",
    "TriageResult",
    "__version__",
    "load_catalogue",
    "match",
    "triage",
]
