"""Extension lists: ``az vm extension list``/``show``, ``Get-AzVMExtension`` and the REST list.

Facts per extension (subject ``Publisher.Type``, else the extension's name): ``extension.state``
(its provisioning state: succeeded, failed, updating, ...), ``extension.version``, and where
the surface includes the instance view (``Get-AzVMExtension -Status``, ``--expand
instanceView``) its status message and failed substatuses.

Sample::

    [{"name": "VMSnapshotLinux", "provisioningState": "Failed", "publisher": "Microsoft.Azure.RecoveryServices",
      "typePropertiesType": "VMSnapshotLinux", "typeHandlerVersion": "1.0",
      "type": "Microsoft.Compute/virtualMachines/extensions"}]
"""

from __future__ import annotations

from logparse.state._doc import Facts, Node, arm_id, records
from logparse.state._status import normal_state, status_of, subject_of

KIND = "extension_list"
_RESOURCE_TYPE = "microsoft.compute/virtualmachines/extensions"


def read(root: Node, facts: Facts) -> None:
    for ext in records(root):
        vm = ext.string("vmName") or arm_id(ext.string("id")).get("virtualmachines")
        if vm and not facts.first("vm.name"):
            facts.add("vm.name", vm, (ext.get("vmName") or ext.get("id") or ext).path)
        publisher = ext.string("publisher")
        subject = subject_of(f"{publisher}.{_type(ext)}" if publisher and _type(ext) else None,
                             ext.string("name"), _type(ext))
        state = ext.get("provisioningState")
        if state is not None:
            facts.add("extension.state", normal_state(state.text()), state.path, subject=subject)
        facts.take("extension.version", ext.get("typeHandlerVersion"), subject=subject)
        view = ext.get("instanceView") or ext
        for node in view.each("statuses")[:1]:
            status = status_of(node)
            facts.add("extension.message", status.message, status.message_path, subject=subject, time=status.time)
        for node in view.each("substatuses", "subStatuses"):
            status = status_of(node)
            if status.level in ("Error", "Warning") or (status.code or "").casefold().endswith("/failed"):
                facts.add("extension.substatus", status.message, status.message_path, subject=subject,
                          time=status.time)


def _type(ext: Node) -> str | None:
    """The extension type (``VMSnapshotLinux``), not the ARM resource type every item shares."""
    named = ext.string("typePropertiesType", "extensionType", "virtualMachineExtensionType")
    if named:
        return named
    for node in (ext.get("properties"), ext):
        text = node.string("type") if node is not None else None
        if text and text.casefold() != _RESOURCE_TYPE:
            return text
    return None
