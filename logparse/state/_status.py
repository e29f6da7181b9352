"""Status objects shared by the documents: ARM ``InstanceViewStatus`` and agent status entries."""

from __future__ import annotations

import json
from dataclasses import dataclass

from logparse.state._doc import Facts, Node, walk, when

# PowerShell's ConvertTo-Json writes the StatusLevelTypes enum as its number.
_LEVELS = {"0": "Info", "1": "Warning", "2": "Error"}
# Extension states in every spelling, to one vocabulary (agent status files say success/error).
STATES = {
    "success": "succeeded", "succeeded": "succeeded", "provisioning succeeded": "succeeded", "ready": "succeeded",
    "error": "failed", "failed": "failed", "provisioning failed": "failed",
    "transitioning": "transitioning", "updating": "updating", "creating": "creating", "deleting": "deleting",
    "warning": "warning", "canceled": "canceled", "cancelled": "canceled",
}
_MESSAGE_KEYS = ("messageStr", "message", "Message", "errorMessage")


@dataclass(frozen=True)
class Status:
    """One status entry: normalised state, code, display text, level, message and time, with their paths."""

    path: str
    state: str | None
    state_path: str
    code: str | None
    display: str | None
    level: str | None
    message: str | None
    message_path: str
    time: str | None

    @property
    def parts(self) -> list[str]:
        return (self.code or "").split("/")


def normal_state(text: str | None) -> str | None:
    if not text:
        return None
    folded = " ".join(text.split()).casefold()
    return STATES.get(folded, folded)


def status_of(node: Node) -> Status:
    """Read an ``InstanceViewStatus`` (code ``ProvisioningState/failed/1``) or an agent status entry."""
    code_node, display_node = node.get("code"), node.get("displayStatus")
    code = code_node.text() if code_node is not None else None
    state, state_node = None, None
    parts = (code or "").split("/")
    if len(parts) >= 2 and parts[0].casefold() in ("provisioningstate", "powerstate"):
        state, state_node = normal_state(parts[1]), code_node
    for candidate in (display_node, node.get("status")):
        if state is None and candidate is not None and candidate.text():
            state, state_node = normal_state(candidate.text()), candidate
    message = node.get("formattedMessage", "message")
    if message is not None and isinstance(message.value, dict):
        message = message.get("message")
    level = node.string("level")
    return Status(
        node.path, state, state_node.path if state_node else node.path, code,
        display_node.text() if display_node is not None else None, _LEVELS.get(level or "", level),
        inner_message(message.text() if message is not None else None),
        message.path if message is not None else node.path, when(node.get("time", "timestampUTC")),
    )


def inner_message(text: str | None) -> str | None:
    """The message inside JSON-in-JSON (the snapshot extension's ``{"messageStr": ...}``), else the text."""
    if not text:
        return None
    stripped = text.strip()
    if stripped.startswith("{") and len(stripped) < 200_000:
        try:
            value = json.loads(stripped)
        except (ValueError, RecursionError):
            return stripped
        if isinstance(value, dict):
            for key in _MESSAGE_KEYS:
                inner = value.get(key)
                if isinstance(inner, str) and inner.strip():
                    return inner.strip()
            # No message at the top: the snapshot extension's substatus keeps its errors per disk.
            nested = [n.string("errorMessage") for n in walk(Node(value)) if n.string("errorMessage")]
            if nested:
                return "; ".join(dict.fromkeys(m for m in nested if m))[:2000]
    return stripped


def subject_of(*names: str | None) -> str | None:
    """The first name given, as a compact identifier."""
    for name in names:
        if name:
            return name.strip()[:200] or None
    return None


def is_backup_extension(name: str | None) -> bool:
    return name is not None and "vmsnapshot" in name.casefold()


def add_status(facts: Facts, status: Status, subject: str | None, prefix: str = "extension") -> None:
    """The state, level and message of one extension status entry."""
    facts.add(f"{prefix}.state", status.state, status.state_path, subject=subject, time=status.time)
    if status.level and status.level.casefold() != "info":
        facts.add(f"{prefix}.level", status.level, status.path + ".level", subject=subject)
    facts.add(f"{prefix}.message", status.message, status.message_path, subject=subject, time=status.time)
