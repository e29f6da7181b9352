"""State documents as evidence: Azure JSON (VM, extensions, locks, restore points, jobs, disks) and agent files.

One call, one answer: ``read_state(path, data)`` says what a document is (``kind``), the typed
facts it holds (each with its JSON path) and the catalogue entries those facts point to
(``stated``), or why it was skipped. It never raises. ``sniff(path, head)`` is the cheap
check a triage makes before reading a member whole.

Sample::

    >>> from logparse.state import read_state
    >>> result = read_state("locks.json", b'[{"level": "CanNotDelete", "name": "keep", '
    ...     b'"id": "/subscriptions/0/resourceGroups/AzureBackupRG_westeurope_1/providers/'
    ...     b'Microsoft.Authorization/locks/keep"}]')
    >>> [(s.entry_id, s.json_path) for s in result.stated]
    [('rp-resource-group-lock', '[0].level')]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from logparse.state.detect import kind_of, path_kind, sniff
from logparse.state.model import Fact, Stated, StateResult, skipped

if TYPE_CHECKING:
    from logparse.catalogue import Catalogue
    from logparse.state._doc import Facts, Node
    from logparse.state.across import combined


def __getattr__(name: str) -> Any:
    if name == "combined":  # the cross-document rules load with the readers, on first use
        from logparse.state.across import combined

        return combined
    raise AttributeError(f"module 'logparse.state' has no attribute {name!r}")

__all__ = ["KINDS", "MAX_BYTES", "Fact", "StateResult", "Stated", "combined", "read_state", "sniff"]

# Documents are read whole; bigger files are not state documents (or not ones worth the memory).
MAX_BYTES = 16 << 20

_JSON_KINDS = ("instance_view", "extension_list", "locks", "restore_points", "backup_job", "disks",
               "ext_status", "handler_status", "waagent_status")


@functools.cache
def _json_readers() -> dict[str, Callable[[Node, Facts, str], None]]:
    # The readers load on the first state document: most triages meet none, and start-up matters.
    from logparse.state import (
        backup_job,
        disks,
        ext_status,
        extension_list,
        instance_view,
        locks,
        restore_points,
        waagent_status,
    )

    return {
        "instance_view": lambda root, facts, _: instance_view.read(root, facts),
        "extension_list": lambda root, facts, _: extension_list.read(root, facts),
        "locks": lambda root, facts, _: locks.read(root, facts),
        "restore_points": lambda root, facts, _: restore_points.read(root, facts),
        "backup_job": lambda root, facts, _: backup_job.read(root, facts),
        "disks": lambda root, facts, _: disks.read(root, facts),
        "ext_status": ext_status.read_status,
        "handler_status": ext_status.read_handler_status,
        "waagent_status": lambda root, facts, _: waagent_status.read(root, facts),
    }


KINDS = (*_JSON_KINDS, "handler_state", "goal_state_xml")


def read_state(path: str, data: bytes, catalogue: Catalogue | None = None) -> StateResult:
    """Read one document; a result with facts, or one with a ``skip_reason``. Never raises."""
    try:
        return _read(path, data, catalogue)
    except Exception as exc:  # noqa: BLE001 - one odd document must never stop a triage
        return skipped(f"internal error: {type(exc).__name__}: {str(exc)[:200]}")


def _read(path: str, data: bytes, catalogue: Catalogue | None) -> StateResult:
    from logparse.catalogue import load_catalogue
    from logparse.state import ext_status, goal_state, rules
    from logparse.state._doc import Facts, Node, decode, load_json

    if len(data) > MAX_BYTES:
        return skipped(f"larger than {MAX_BYTES >> 20} MiB")
    kind = path_kind(path)
    text = decode(data)
    if kind == "handler_state":
        facts = Facts(kind)
        reason = ext_status.read_handler_state(text, facts, path)
    elif kind == "goal_state_xml" or (kind is None and text.lstrip().startswith("<")):
        kind = "goal_state_xml"
        facts = Facts(kind)
        reason = goal_state.read(text, facts)
    else:
        value, reason = load_json(text)
        if reason is not None:
            return skipped(reason, kind)
        root = Node(value)
        kind = kind or kind_of(root)
        if kind is None:
            return skipped("JSON, but not a state document this reader knows")
        facts = Facts(kind)
        _json_readers()[kind](root, facts, path)
    if reason is not None:
        return skipped(reason, kind)
    if not facts.items:
        return skipped(f"no facts found in this {kind.replace('_', ' ')} document", kind)
    stated = rules.document(kind, facts.items, catalogue or load_catalogue())
    if kind in _JSON_KINDS:
        return _with_lines(StateResult(kind, facts.items, stated, None), text)
    return StateResult(kind, facts.items, stated, None)


def _with_lines(result: StateResult, text: str) -> StateResult:
    """The result with the document line of what may be cited: every stated value, and the facts the
    cross-document rules keep (they cite them later, when the text is gone)."""
    from dataclasses import replace

    from logparse.state._doc import json_lines
    from logparse.state.across import COMBINED_FACTS

    combined = [f for f in result.facts if f.name in COMBINED_FACTS]
    lines = json_lines(text, {s.json_path for s in result.stated} | {f.json_path for f in combined})
    if not lines:
        return result
    facts = [replace(f, line=lines.get(f.json_path, 0)) if f.name in COMBINED_FACTS else f for f in result.facts]
    stated = [replace(s, line=lines.get(s.json_path, 0)) for s in result.stated]
    return StateResult(result.kind, facts, stated, None)
