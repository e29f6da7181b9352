"""Extension status files the agents keep: ``<seq>.status``, ``config/HandlerStatus``, ``config/HandlerState``.

Linux: ``/var/lib/waagent/<Publisher.Type>-<version>/status/<seq>.status`` and ``config/``;
Windows: ``C:\\Packages\\Plugins\\<Publisher.Type>\\<version>\\Status\\<seq>.status``. The
extension's name comes from the path when it follows that layout, else from the document.

Facts (subject: the extension): ``extension.state`` (success/error/transitioning/warning,
normalised to succeeded/failed/...), ``extension.operation``, ``extension.code``,
``extension.message`` (the snapshot extension's JSON-in-JSON ``messageStr`` unwrapped),
``extension.substatus`` (failed substatus messages), ``extension.error_code`` (the
snapshot extension's ``extErrorCode`` telemetry), ``agent.version`` (its
``guestAgentVersion`` telemetry), ``extension.handler_status`` / ``extension.handler_code``
(HandlerStatus), ``extension.handler_state`` (HandlerState), and ``vm.os`` from the layout.

Sample::

    [{"version": "1.0", "timestampUTC": "2024-05-01T10:31:32Z", "status": {"name": "VMSnapshotLinux",
      "operation": "Enable", "status": "error", "code": 76, "formattedMessage": {"lang": "en-US",
      "message": "{\\"messageStr\\": \\"T:S Enable failed with FailedRetryableSnapshotFailedNoNetwork error\\"}"}}}]
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from logparse.state._doc import Facts, Node, walk, when
from logparse.state._status import add_status, status_of, subject_of

KINDS = ("ext_status", "handler_status", "handler_state")
HANDLER_STATES = ("notinstalled", "installed", "enabled", "disabled", "failedupgrade")
_VERSIONED_DIR = re.compile(r"(?P<name>[A-Za-z][\w.]*?)-(?P<version>\d+(?:\.\d+)+)")
_TELEMETRY = {"exterrorcode": "extension.error_code", "guestagentversion": "agent.version",
              "hoststatuscodepresnapshot": "snapshot.host_status_pre",
              "hoststatuscodedosnapshot": "snapshot.host_status_do"}
_TIMES = {"starttime": "snapshot.start", "snapshottime": "snapshot.time"}
PATH_ONLY = "(file path)"


def layout(path: str) -> tuple[str | None, str | None, str | None]:
    """``(extension, version, platform)`` from an agent's folder layout, or Nones."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    lowered = [p.casefold() for p in parts]
    if "plugins" in lowered[:-1]:
        at = len(lowered) - 1 - lowered[::-1].index("plugins")
        if len(parts) > at + 3:
            return parts[at + 1], parts[at + 2], "windows"
    if len(parts) >= 3:
        m = _VERSIONED_DIR.fullmatch(parts[-3])
        if m is not None:
            return m["name"], m["version"], "linux" if "waagent" in lowered else None
    return None, None, None


def _platform(path: str, facts: Facts) -> str | None:
    name, version, platform = layout(path)
    facts.add("vm.os", platform, PATH_ONLY)
    if name:
        facts.add("extension.version", version, PATH_ONLY, subject=name)
    return name


def read_status(root: Node, facts: Facts, path: str) -> None:
    """A ``<seq>.status`` file: a list of one status item (an object is accepted too)."""
    from_path = _platform(path, facts)
    for item in root.items():
        status_node = item.get("status")
        if status_node is None or not isinstance(status_node.value, dict):
            continue
        subject = subject_of(from_path, status_node.string("name"))
        time = when(item.get("timestampUTC"))
        status = status_of(status_node)
        status = replace(status, time=status.time or time)
        add_status(facts, status, subject)
        facts.take("extension.operation", status_node.get("operation"), subject=subject)
        code = status_node.get("code")
        if code is not None and code.integer() not in (0, None):
            facts.add("extension.code", code.integer(), code.path, subject=subject, time=time)
        for sub in status_node.each("substatus", "substatusList"):
            substatus = status_of(sub)
            if substatus.state in ("failed", "warning") and substatus.message:
                facts.add("extension.substatus", substatus.message, substatus.message_path, subject=subject,
                          time=time)
        _telemetry(item, facts, subject, time)


def _telemetry(item: Node, facts: Facts, subject: str | None, time: str | None) -> None:
    """``{"Key": "extErrorCode", "Value": ...}`` pairs anywhere, also inside JSON carried as a string."""
    for obj in _objects_with_embedded(item):
        keys = {k.casefold(): k for k in obj.value if isinstance(k, str)}
        if "key" in keys and "value" in keys:
            name = _TELEMETRY.get(str(obj.value[keys["key"]]).casefold())
            if name is not None:
                facts.take(name, obj.child(keys["value"]), subject=subject, time=time)
        for key, name in _TELEMETRY.items():
            if key in keys and not isinstance(obj.value[keys[key]], dict | list):
                facts.take(name, obj.child(keys[key]), subject=subject, time=time)
        for key, name in _TIMES.items():
            if key in keys and "<json>" in obj.path:  # .NET dates the snapshot extension writes in substatus
                stamp = when(obj.child(keys[key]))
                facts.add(name, stamp, obj.child(keys[key]).path, subject=subject, time=stamp)


def _objects_with_embedded(item: Node) -> list[Node]:
    found = []
    for obj in walk(item):
        found.append(obj)
        for key, value in list(obj.value.items()):
            if isinstance(value, str) and value.lstrip()[:1] in ("{", "[") and len(value) < 200_000:
                try:
                    inner = json.loads(value)
                except (ValueError, RecursionError):
                    continue
                found.extend(walk(Node(inner, f"{obj.child(key).path}<json>")))
        if len(found) > 2000:
            break
    return found


def read_handler_status(root: Node, facts: Facts, path: str) -> None:
    from_path = _platform(path, facts)
    for item in root.items():
        subject = subject_of(from_path, item.string("name", "handlerName"))
        status = status_of(item)
        state = item.get("status")
        facts.add("extension.handler_status", "".join((state.text() or "").split()).casefold() if state else None,
                  state.path if state else "", subject=subject)
        code = item.get("code")
        if code is not None and code.integer() not in (0, None):
            facts.add("extension.handler_code", code.integer(), code.path, subject=subject)
        facts.add("extension.handler_message", status.message, status.message_path, subject=subject)


def read_handler_state(text: str, facts: Facts, path: str) -> str | None:
    """A ``HandlerState`` file (one word); the skip reason when it holds anything else."""
    word = text.strip().strip("\x00")
    if word.casefold() not in HANDLER_STATES:
        return "not a handler state (expected one of NotInstalled, Installed, Enabled, Disabled, FailedUpgrade)"
    name = _platform(path, facts)
    facts.add("extension.handler_state", word, PATH_ONLY, subject=name)
    return None
