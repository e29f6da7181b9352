"""Log signatures derived from an error's own code and exact messages.

Most entries are written from the portal's side and carry only ``job_error`` signatures, yet the
backup extension writes the same code and message into its own log (``IaaSBcdrExtension.log`` on
Windows, ``extension.log`` on Linux). Without a signature for that log a bundle with no ticket
reads as healthy. Writing those signatures by hand for every entry would repeat the message in
two places and be forgotten for the next entry, so the loader derives them: the catalogue stays
data, and a new error needs no code.

The rule is narrow, because a log line is proof on its own (no context check as in ``match``):

* only on a line at an error or warning level, and with the case as written;
* only errors, and only those with no log signature of their own (an author who wrote one chose
  what proves the entry in a log; "freeze failed for some mount" alone would not);
* formats by platform: Windows -> ``windows_agent``, Linux -> ``vmsnapshot``, ``ext_handler``
  (the extensions' own logs; waagent.log carries no extension message), any -> all three;
* a code counts whole (no letter or digit on either side), unless it is made only of everyday
  service words (``ResourceNotFound``, ``InternalError``): other programs log those; nor does a
  family's code (``VMRestorePointClientError``), whose members' messages say which error it is;
* an English message (or message-like alias) counts whole, its final full stop optional, when it
  has four words or more, no placeholder, and no other entry's message contains it or is
  contained in it (a shared message cannot say which entry).

What such a hit weighs is the diagnosis' rule: ``exact_kind`` tells a code from a message, and
``OWN_LOG`` the backup extension's own logs, where an ERROR line holding either is strong evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from logparse.catalogue import guard
from logparse.catalogue.entry import Entry, Signature

# The logs the extensions write themselves. Not waagent.log: the agent reports an extension's
# status without its message or code, and its scan (the bulk of a bundle) would pay for ~100
# more literals (+5% triage time measured) to find what is not there.
LOG_FORMATS = {
    "windows": ("windows_agent",),
    "linux": ("vmsnapshot", "ext_handler"),
    "any": ("windows_agent", "vmsnapshot", "ext_handler"),
}
_ALL_LOGS = frozenset({"waagent", *LOG_FORMATS["any"]})  # an author's own signature in any log
# The words generic service error codes are made of (ARM, Compute, HTTP); a code built only
# from them says nothing about which service raised it.
EVERYDAY = frozenset(
    "resource not found operation allowed bad request internal error execution allocation failed failure "
    "conflict invalid parameter argument timeout time out unknown server service unavailable forbidden "
    "unauthorized access denied quota exceeded limit gateway exception".split()
)
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_]{5,}\Z")
_PLACEHOLDER = re.compile(r"<[^>]*>|\{[^}]*\}")
_MIN_WORDS = 4


def camel_words(code: str) -> tuple[str, ...]:
    """``BackUpOperationFailedV2`` -> ``("back", "up", "operation", "failed", "v", "2")``."""
    return tuple(w.casefold() for w in _CAMEL.findall(code))


def is_generic(code: str, words: tuple[str, ...] | None = None) -> bool:
    """A short code made of everyday service words only: other Azure services raise it too
    (``words``: its ``camel_words``, when already split)."""
    words = camel_words(code) if words is None else words
    return len(words) <= 3 and set(words) <= EVERYDAY and "_" not in code


def with_log_signatures(entries: dict[str, Entry]) -> dict[str, Entry]:
    """``entries`` with each error's derived log signatures appended (see the module doc)."""
    texts = [(e.id, _plain(t)) for e in entries.values() for t in _wordings(e)]
    families = {i.split(".", 1)[0] for i in entries if "." in i}
    out: dict[str, Entry] = {}
    for entry_id, entry in entries.items():
        derived = _derive(entry, texts, entry_id in families)
        if derived:
            entry = Entry(**{**vars(entry), "signatures": entry.signatures + derived})
        out[entry_id] = entry
    return out


def _wordings(entry: Entry) -> list[str]:
    return [*entry.messages.get("en", ()), *(a for a in entry.aliases if " " in a.strip())]


def _plain(text: str) -> str:
    return " ".join(text.split()).rstrip(".").casefold()


def _derive(entry: Entry, texts: list[tuple[str, str]], family: bool) -> tuple[Signature, ...]:
    if entry.kind != "error" or any(_ALL_LOGS.intersection(s.formats) for s in entry.signatures):
        return ()
    formats = LOG_FORMATS[entry.platform]
    # A family's code (VMRestorePointClientError) is shared by its members' messages, which say
    # which error it is; alone it would be a second, vaguer finding beside the member's.
    own = [] if "." in entry.id or family else [entry.id]
    codes = [c for c in own + list(entry.aliases)
             if _CODE.match(c) and not is_generic(c)]
    out = [_signature(formats, rf"(?<![A-Za-z0-9]){re.escape(c)}(?![A-Za-z0-9])", c, c) for c in codes]
    # One signature per wording, however its spaces and final stop are written.
    for plain, text in {_plain(t): t for t in reversed(_wordings(entry))}.items():
        if len(plain.split()) < _MIN_WORDS or _PLACEHOLDER.search(text) or _shared(entry.id, plain, texts):
            continue
        parts = re.split(r"(\s+)", text.strip().rstrip("."))
        # Spaces as written; the portal's doubled space ("machine  is not") may be single in a log.
        pattern = "".join(re.escape(p) if i % 2 == 0 else " " if p == " " else " {1,2}" for i, p in enumerate(parts))
        # The prefilter's literal must lie inside every match: the longest stretch of single spaces.
        literal = max(re.split(r"\s{2,}|[\t\n]", text.strip().rstrip(".")), key=len)
        out.append(_signature(formats, pattern, literal, text))
    return tuple(s for s in out if s is not None)


def _shared(entry_id: str, plain: str, texts: Iterable[tuple[str, str]]) -> bool:
    return any(other != entry_id and (plain in text or text in plain) for other, text in texts)


# Where a derived signature counts: a line at an error or warning level. Extension logs also name
# codes where nothing failed (a pre-check "no ExtensionSnapshotFailedNoNetwork seen", the codes a
# retry policy covers), and a derived signature, unlike one its author wrote, knows no context.
# The scanner checks it on the whole line (chunks._build_scanner): a pattern must start with its
# literal (the guard), and the level stands before it. A line that states a quieter level first
# ("[INFO]  Last run's Error: ...", " INFO " in the agent's layouts) quotes a failure, it is not
# one: the first level word on the line decides, so no quiet level may come before the fault.
_FAULT = (r"\[(?:ERROR|WARN|WARNING|FATAL)\]|\b(?:ERROR|Error|WARNING|Warning|WARN|FATAL|CRITICAL|"
          r"Critical)\b")
_QUIET = r"\[(?:INFO|TRACE|DEBUG|VERBOSE)\]|\b(?:INFO|TRACE|DEBUG|VERBOSE|Info|Verbose)\b"
AT_FAULT = re.compile(rf"^(?:(?!{_QUIET}).)*?(?:{_FAULT})", re.DOTALL)

# The backup extension's own log folder (Windows ``Logs\Plugins\Microsoft.Azure.RecoveryServices.
# VMSnapshot\<version>\``, Linux ``/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/``):
# the extension that writes these codes and messages. The agent's WaAppAgent.log and other
# extensions' logs are in the derived formats too, but there the words are only relayed or quoted.
OWN_LOG = re.compile(r"(?:^|[/\\])Microsoft\.Azure\.RecoveryServices\.VMSnapshot(?:Linux)?[/\\]", re.IGNORECASE)


def exact_kind(signature: Signature) -> str | None:
    """``"code"`` or ``"message"`` for a derived signature (its example is the code or the wording
    it was made from, see ``_derive``), None for a signature its author wrote."""
    if not signature.derived or not signature.examples:
        return None
    return "code" if _CODE.match(signature.examples[0]) else "message"


def _signature(formats: tuple[str, ...], pattern: str, literal: str, example: str) -> Signature | None:
    """The signature for ``pattern``, or None when the pattern fails the catalogue's guard."""
    if guard.static_problems(pattern, ""):
        return None
    # Case kept: the extension writes its codes and messages as the catalogue does, and a
    # lowercase anchor (#usererrorfsfreezefailed---...) is a link, not the error.
    return Signature(formats=formats, pattern=pattern, literal=literal, examples=(example,), flags="",
                     derived=True)
