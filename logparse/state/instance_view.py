"""VM instance view: ``az vm get-instance-view``, ``Get-AzVM -Status``, REST ``instanceView`` / ``$expand``.

Facts: ``vm.name``, ``vm.os`` (windows/linux, from the OS disk type, the OS name or the
extension types), ``vm.power_state``, ``vm.provisioning_state`` (+ ``vm.provisioning_code``,
``vm.provisioning_message``), ``agent.status`` (the display status; ``agent.reported`` is
False when the agent never reported), ``agent.version``, ``agent.message``, per extension
``extension.state`` / ``extension.message`` / ``extension.substatus`` and per handler
``extension.handler_status``, per disk ``disk.size_gb`` / ``disk.encrypted``.

Sample::

    {"name": "vm01", "instanceView": {"osName": "ubuntu", "vmAgent": {"vmAgentVersion": "2.2.45",
     "statuses": [{"code": "ProvisioningState/Unavailable", "displayStatus": "Not Ready"}]},
     "statuses": [{"code": "PowerState/running", "displayStatus": "VM running"}]}}
"""

from __future__ import annotations

from logparse.state._doc import Facts, Node
from logparse.state._status import add_status, normal_state, status_of, subject_of

KIND = "instance_view"
# Extensions that encrypt disks in the guest (ADE): their disks fall under the 4 TB limit.
_ADE = ("azurediskencryption",)


def read(root: Node, facts: Facts) -> None:
    vm = _vm(root)
    view = vm.get("instanceView") or vm
    name = vm.get("name", "vmName", "computerName")
    facts.take("vm.name", name)
    _os(vm, view, facts)
    _vm_statuses(vm, view, facts)
    _agent(view, facts)
    _extensions(view, facts)
    _disks(vm, view, facts)


def _vm(root: Node) -> Node:
    # A list (``az vm list -d``) is read for its first VM; one VM per document is the norm.
    for item in root.items():
        if isinstance(item.value, dict):
            return item
    return root


def _os(vm: Node, view: Node, facts: Facts) -> None:
    storage = vm.get("storageProfile")
    os_disk = storage.get("osDisk") if storage is not None else None
    os_type = os_disk.get("osType") if os_disk is not None else None
    facts.take("vm.os_name", view.get("osName"))
    for found in (os_type, view.get("osType"), vm.get("osType"), view.get("osName")):
        text = (found.text() or "").casefold() if found is not None else ""
        if found is not None and text:
            facts.add("vm.os", "windows" if "windows" in text else "linux", found.path)
            return


def _vm_statuses(vm: Node, view: Node, facts: Facts) -> None:
    provisioning = False
    for node in view.each("statuses"):
        status = status_of(node)
        kind = status.parts[0].casefold()
        if kind == "powerstate":
            facts.add("vm.power_state", status.state, status.state_path, time=status.time)
        elif kind == "provisioningstate":
            provisioning = True
            facts.add("vm.provisioning_state", status.state, status.state_path, time=status.time)
            if len(status.parts) >= 3:
                facts.add("vm.provisioning_code", "/".join(status.parts[2:]), status.state_path)
            facts.add("vm.provisioning_message", status.message, status.message_path, time=status.time)
    if not provisioning:
        # The ARM model's own provisioningState (``az vm show``, REST without the instance view).
        model = vm.get("provisioningState")
        facts.add("vm.provisioning_state", normal_state(model.text()) if model else None, model.path if model else "")
    power = vm.get("powerState")  # ``az vm show -d``: "VM running"
    if power is not None and not facts.first("vm.power_state"):
        text = (power.text() or "").casefold().removeprefix("vm ").strip()
        facts.add("vm.power_state", text or None, power.path)


def _agent(view: Node, facts: Facts) -> None:
    agent = view.get("vmAgent")
    if agent is None:
        facts.add("agent.reported", False, f"{view.path}.vmAgent" if view.path else "vmAgent")
        return
    version = agent.get("vmAgentVersion")
    if version is not None and (version.text() or "").casefold() not in ("unknown", ""):
        facts.take("agent.version", version)
    statuses_node = agent.get("statuses")
    statuses = statuses_node.items() if statuses_node is not None else []
    facts.add("agent.reported", bool(statuses), statuses_node.path if statuses_node else agent.path + ".statuses")
    for node in statuses[:1]:
        status = status_of(node)
        display = node.get("displayStatus")
        facts.add("agent.status", status.display or status.state, display.path if display else status.state_path,
                  time=status.time)
        facts.add("agent.message", status.message, status.message_path, time=status.time)
    for handler in agent.each("extensionHandlers"):
        subject = subject_of(handler.string("type"), handler.string("name"))
        status_node = handler.get("status")
        if status_node is None:
            continue
        status = status_of(status_node)
        display = status_node.get("displayStatus")
        facts.add("extension.handler_status", _handler_state(status.display or status.state),
                  display.path if display is not None else status.state_path, subject=subject, time=status.time)
        facts.add("extension.handler_message", status.message, status.message_path, subject=subject)


def _handler_state(text: str | None) -> str | None:
    return "".join(text.split()).casefold() if text else None


def _extensions(view: Node, facts: Facts) -> None:
    for ext in view.each("extensions"):
        subject = subject_of(ext.string("type"), ext.string("name"))
        facts.take("extension.version", ext.get("typeHandlerVersion"), subject=subject)
        statuses = ext.each("statuses")
        for node in statuses[:1]:
            add_status(facts, status_of(node), subject)
        for node in ext.each("substatuses", "subStatuses"):
            status = status_of(node)
            if status.level in ("Error", "Warning") or (status.state or "").endswith(("failed", "error")):
                facts.add("extension.substatus", status.message, status.message_path, subject=subject,
                          time=status.time)
            elif status.message and not statuses:
                facts.add("extension.message", status.message, status.message_path, subject=subject)


def _disks(vm: Node, view: Node, facts: Facts) -> None:
    encrypted: dict[str, str] = {}
    listed: set[str] = set()
    for disk in view.each("disks"):
        name = disk.string("name")
        listed.add((name or "").casefold())
        for i, setting in enumerate(disk.each("encryptionSettings")):
            enabled = setting.get("enabled")
            if name and enabled is not None and enabled.flag():
                encrypted[name.casefold()] = f"{disk.path}.encryptionSettings[{i}].enabled"
    ade = next((e for e in view.each("extensions") if any(a in (e.string("type") or "").casefold() for a in _ADE)),
               None)
    storage = vm.get("storageProfile")
    if storage is None:
        for name, path in encrypted.items():
            facts.add("disk.encrypted", True, path, subject=name)
        return
    disks = storage.each("osDisk") + storage.each("dataDisks")
    for disk in disks:
        name = disk.string("name") or disk.path
        size = disk.get("diskSizeGB", "diskSizeGb")
        facts.add("disk.size_gb", size.integer() if size is not None else None, size.path if size else "",
                  subject=name)
        settings = disk.get("encryptionSettings")
        flag = settings.get("enabled") if settings is not None else None
        if flag is not None and flag.flag():
            facts.add("disk.encrypted", True, flag.path, subject=name)
        elif name.casefold() in encrypted:
            facts.add("disk.encrypted", True, encrypted[name.casefold()], subject=name)
        elif ade is not None and name.casefold() not in listed:
            # Not in the instance view's disk list: ADE encrypts every volume unless told otherwise.
            facts.add("disk.encrypted", True, f"{ade.path}.type", subject=name)


__all__ = ["KIND", "read"]
