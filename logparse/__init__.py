"""logparse: turn Azure VM guest-agent and backup-extension logs into a diagnosis."""

from logparse.catalogue import load_catalogue
from logparse.errors import CatalogueError, FormatError, LogparseError, ParseError, SourceError
from logparse.findings import Finding, TriageResult
from logparse.fuzzy import MatchResult, match
from logparse.model import Detection, Record
from logparse.triage import triage

__version__ = "0.1.0"

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
