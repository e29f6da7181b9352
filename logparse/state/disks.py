"""Managed disks: ``az disk show``/``list``, ``Get-AzDisk`` and the REST disk.

Facts per disk (subject: its name): ``disk.size_gb``, ``disk.encrypted`` (Azure Disk
Encryption settings enabled: the backup limit for such disks is 4 TB, 32 TB otherwise) and
``disk.vm`` (the VM it is attached to).

Sample::

    {"name": "vm01-data0", "diskSizeGB": 8192, "encryptionSettingsCollection": {"enabled": true},
     "managedBy": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm01",
     "type": "Microsoft.Compute/disks"}
"""

from __future__ import annotations

from logparse.state._doc import Facts, Node, arm_id, records

KIND = "disks"


def read(root: Node, facts: Facts) -> None:
    for disk in records(root):
        size = disk.get("diskSizeGB", "diskSizeGb")
        if size is None:
            continue
        name = disk.string("name") or disk.path or "disk"
        facts.add("disk.size_gb", size.integer(), size.path, subject=name)
        settings = disk.get("encryptionSettingsCollection", "encryptionSettings")
        enabled = settings.get("enabled") if settings is not None else None
        if enabled is not None and enabled.flag():
            facts.add("disk.encrypted", True, enabled.path, subject=name)
        managed_by = disk.get("managedBy")
        vm = arm_id(managed_by.text() if managed_by else None).get("virtualmachines")
        facts.add("disk.vm", vm, managed_by.path if managed_by else "", subject=name)
