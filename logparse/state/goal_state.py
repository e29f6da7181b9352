"""The agent's copies of the fabric goal state: ``GoalState.<n>.xml`` and ``ExtensionsConfig.<n>.xml``.

Linux agents keep them in ``/var/lib/waagent/`` (older agents, with the incarnation in the
name) or in ``history/`` folders and zips; ``waagent -collect-logs`` includes them. Facts:
``goal_state.incarnation``, ``goal_state.expected_state`` (Started/Stopped),
``goal_state.role_state``, ``goal_state.created`` (from ``createdOnTicks``),
``goal_state.status_blob`` (whether a status upload blob is set; its SAS URL is never kept),
``ga.family_version`` (per GA family), and per plugin (subject: its name)
``extension.goal_state`` (enabled/disabled/uninstall), ``extension.version`` and
``extension.sequence``. Paths are XPath-like (``Extensions/Plugins/Plugin[1]/@state``).

Sample::

    <Extensions version="1.0.0.0" goalStateIncarnation="7"><Plugins>
      <Plugin name="Microsoft.Azure.RecoveryServices.VMSnapshotLinux" version="1.0.9241.0" state="enabled" />
    </Plugins></Extensions>
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from logparse.state._doc import Facts

KIND = "goal_state_xml"
# Entity declarations are never part of these files; refusing them rules out entity expansion bombs.
_UNSAFE = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def read(text: str, facts: Facts) -> str | None:
    """Facts of a goal-state XML document; the skip reason when it is not one."""
    if _UNSAFE.search(text):
        return "XML with a DOCTYPE or entity declaration is not read"
    try:
        root = ET.fromstring(text.strip().encode("utf-8", "replace"))
    except ET.ParseError as exc:
        return f"not well-formed XML ({exc})"
    _strip_namespaces(root)
    if root.tag == "GoalState":
        _goal_state(root, facts)
    elif root.tag == "Extensions":
        _extensions_config(root, facts)
    else:
        return f"XML root <{root.tag[:60]}> is not GoalState or Extensions"
    return None


def _strip_namespaces(root: ET.Element) -> None:
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]


def _text(root: ET.Element, path: str) -> str | None:
    found = root.find(path)
    text = found.text.strip() if found is not None and found.text else ""
    return text or None


def _goal_state(root: ET.Element, facts: Facts) -> None:
    facts.add("goal_state.incarnation", _text(root, "Incarnation"), "GoalState/Incarnation")
    facts.add("goal_state.expected_state", _text(root, "Machine/ExpectedState"), "GoalState/Machine/ExpectedState")
    role = "Container/RoleInstanceList/RoleInstance/State"
    facts.add("goal_state.role_state", _text(root, role), f"GoalState/{role}")


def _extensions_config(root: ET.Element, facts: Facts) -> None:
    facts.add("goal_state.incarnation", root.get("goalStateIncarnation"), "Extensions/@goalStateIncarnation")
    for i, family in enumerate(root.findall("GuestAgentExtension/GAFamilies/GAFamily"), 1):
        facts.add("ga.family_version", _text(family, "Version"),
                  f"Extensions/GuestAgentExtension/GAFamilies/GAFamily[{i}]/Version", subject=_text(family, "Name"))
    for i, plugin in enumerate(root.findall("Plugins/Plugin"), 1):
        where = f"Extensions/Plugins/Plugin[{i}]"
        name = plugin.get("name")
        facts.add("extension.goal_state", plugin.get("state"), f"{where}/@state", subject=name)
        facts.add("extension.version", plugin.get("version"), f"{where}/@version", subject=name)
    for i, plugin in enumerate(root.findall("PluginSettings/Plugin"), 1):
        settings = plugin.find("RuntimeSettings")
        if settings is not None:
            facts.add("extension.sequence", settings.get("seqNo"),
                      f"Extensions/PluginSettings/Plugin[{i}]/RuntimeSettings/@seqNo", subject=plugin.get("name"))
    facts.add("goal_state.status_blob", root.find("StatusUploadBlob") is not None, "Extensions/StatusUploadBlob")
    meta = root.find("InVMGoalStateMetaData")
    created = _ticks(meta.get("createdOnTicks")) if meta is not None else None
    facts.add("goal_state.created", created, "Extensions/InVMGoalStateMetaData/@createdOnTicks", time=created)


def _ticks(text: str | None) -> str | None:
    """.NET ticks (100 ns since 0001-01-01 UTC) as ISO."""
    if not text or not text.strip().isdigit() or len(text.strip()) > 19:
        return None
    try:
        value = datetime(1, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(text.strip()) // 10)
    except OverflowError:
        return None
    return value.isoformat()
