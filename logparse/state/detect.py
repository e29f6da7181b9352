"""Which state document a file is: agent files by path, Azure documents by their keys and shapes."""

from __future__ import annotations

import codecs
import re

from logparse._paths import glob_matcher
from logparse.state._doc import Node, decode, records

# Agent files, by path (lower case, forward slashes). ``.status`` files are also known by content.
PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ext_status", ("*/status/*.status", "*.status")),
    ("handler_state", ("*/config/handlerstate", "handlerstate")),
    ("handler_status", ("*/config/handlerstatus", "handlerstatus")),
    ("waagent_status", ("*/waagent_status*.json", "waagent_status*.json")),
    ("goal_state_xml", ("*goalstate*.xml", "*extensionsconfig*.xml")),
)
_PATH_MATCHERS = tuple((kind, glob_matcher(patterns)) for kind, patterns in PATHS)

# Cheap look at a member's head: keys only these documents use (any case: PowerShell prints PascalCase).
_MARKERS = re.compile(
    r'"(?:vmAgent|instanceView|restorePoints|restorePointCollectionId|jobType|jobId|errorDetails|agent_name'
    r'|extensions_status|timestampUTC|handlerName|typeHandlerVersion|diskSizeGB|lockId|provisioningState)"'
    r'|Microsoft\.Authorization/locks|"level"\s*:\s*"(?:CanNotDelete|ReadOnly)"|<GoalState\b|<Extensions\b',
    re.IGNORECASE,
)

_TYPES = {
    "microsoft.authorization/locks": "locks",
    "microsoft.compute/restorepointcollections": "restore_points",
    "microsoft.compute/virtualmachines/extensions": "extension_list",
    "microsoft.compute/disks": "disks",
    "microsoft.recoveryservices/vaults/backupjobs": "backup_job",
}
LOCK_LEVELS = ("cannotdelete", "readonly", "notspecified")


def path_kind(path: str) -> str | None:
    """The agent file kind a path names, if any."""
    lowered = path.replace("\\", "/").lower()
    for kind, match in _PATH_MATCHERS:
        if match(lowered):
            return kind
    return None


def sniff(path: str, head: bytes) -> bool:
    """Worth reading as a state document? (Path patterns, or a JSON/XML head holding a known key.)"""
    if path_kind(path) is not None:
        return True
    # Most members are logs: one look at the first byte turns them away before any decoding.
    stripped = head.lstrip(b" \t\r\n\xef\xbb\xbf")
    utf16 = head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or head[1:2] == b"\x00"
    if not utf16 and not stripped.startswith((b"{", b"[", b"<", b"PS ", b"WARNING")):
        return False
    text = decode(head[:65536]).lstrip()
    if not text.startswith(("{", "[", "<")) and not text.startswith(("PS ", "WARNING")):
        return False
    return _MARKERS.search(text) is not None


def kind_of(root: Node) -> str | None:
    """The kind of a parsed JSON document, from its ``type`` or, failing that, its keys."""
    for obj in records(root)[:20]:
        kind = _by_type(obj) or _by_keys(obj)
        if kind is not None:
            return kind
    return None


def _by_type(obj: Node) -> str | None:
    type_name = (obj.string("type") or "").casefold()
    if type_name == "microsoft.compute/virtualmachines" and obj.has("instanceView"):
        return "instance_view"
    return _TYPES.get(type_name)


def _by_keys(obj: Node) -> str | None:
    view = obj.get("instanceView")
    if obj.has("vmAgent") or (view is not None and (view.has("vmAgent") or view.has("statuses"))):
        return "instance_view"
    if obj.has("statuses") and (obj.has("extensions") or obj.has("disks") or obj.has("osName")):
        return "instance_view"
    if obj.has("jobType") or (obj.has("jobId") and obj.has("operation") and obj.has("status")):
        return "backup_job"
    if obj.has("restorePoints") or obj.has("restorePointCollectionId"):
        return "restore_points"
    level = (obj.string("level") or "").casefold()
    ids = " ".join(obj.string(k) or "" for k in ("id", "lockId", "resourceId")).lower()
    if level in LOCK_LEVELS and ("/providers/microsoft.authorization/locks/" in ids
                                 or (level != "notspecified" and (obj.has("notes") or obj.has("owners")))):
        return "locks"
    if obj.has("publisher") and obj.has("typeHandlerVersion") and obj.has("provisioningState"):
        return "extension_list"
    if obj.has("diskSizeGB") and (obj.has("diskState") or obj.has("encryptionSettingsCollection")
                                  or obj.has("encryption")):
        return "disks"
    if obj.has("agent_name") or obj.has("extensions_status") or obj.has("last_successful_status_upload_time"):
        return "waagent_status"
    status = obj.get("status")
    if status is not None and isinstance(status.value, dict) and status.has("operation", "status") \
            and (obj.has("timestampUTC") or obj.has("version")):
        return "ext_status"
    if (obj.string("status") or "").casefold() in ("ready", "notready") and obj.has("name", "handlerName") \
            and obj.has("version", "handlerVersion"):
        return "handler_status"
    return None
