"""Management locks: ``az lock list``/``show``, ``Get-AzResourceLock`` and the REST list.

Facts per lock (subject: the lock's name): ``lock.level`` (CanNotDelete, ReadOnly),
``lock.scope`` (subscription, resource_group or resource, from the lock's id),
``lock.resource_group``, ``lock.resource_type`` (for a lock on one resource) and
``lock.backup_rg`` (True when the locked group is one Azure Backup creates for restore
points, ``AzureBackupRG_<geo>_<n>``, or the lock sits on a restore point collection).

Sample::

    [{"id": "/subscriptions/0/resourceGroups/AzureBackupRG_westeurope_1/providers/Microsoft.Authorization/locks/k",
      "level": "CanNotDelete", "name": "k", "notes": null, "resourceGroup": "AzureBackupRG_westeurope_1",
      "type": "Microsoft.Authorization/locks"}]
"""

from __future__ import annotations

import re

from logparse.state._doc import Facts, Node, records
from logparse.state._status import subject_of

KIND = "locks"
# The resource group Azure Backup keeps restore point collections in (the seed's AzureBackupRG_<Geo>_<number>).
BACKUP_RG = re.compile(r"AzureBackupRG_[A-Za-z0-9]+_\d+", re.IGNORECASE)
_LOCKS = "/providers/microsoft.authorization/locks/"


def read(root: Node, facts: Facts) -> None:
    for lock in records(root):
        level = lock.get("level")
        if level is None:
            continue
        id_node = lock.get("id", "lockId", "resourceId")
        lock_id = id_node.text() if id_node is not None else None
        subject = subject_of(lock.string("name"), lock_id)
        facts.add("lock.level", level.text(), level.path, subject=subject)
        facts.take("lock.notes", lock.get("notes"), subject=subject)
        scope, group, resource_type = scope_of(lock_id)
        group_node = lock.get("resourceGroup", "resourceGroupName")
        if group is None and group_node is not None:
            group, scope = group_node.text(), scope or "resource_group"
        where = id_node.path if id_node is not None else (group_node.path if group_node else level.path)
        facts.add("lock.scope", scope, where, subject=subject)
        facts.add("lock.resource_group", group, where, subject=subject)
        facts.add("lock.resource_type", resource_type, where, subject=subject)
        on_rpc = (resource_type or "").casefold() == "microsoft.compute/restorepointcollections"
        facts.add("lock.backup_rg", bool(group and BACKUP_RG.fullmatch(group)) or on_rpc, where, subject=subject)


def scope_of(lock_id: str | None) -> tuple[str | None, str | None, str | None]:
    """``(scope, resource group, resource type)`` of a lock from the part of its id before ``/providers/...locks``."""
    if not lock_id:
        return None, None, None
    at = lock_id.lower().find(_LOCKS)
    if at < 0:
        return None, None, None
    parts = [p for p in lock_id[:at].split("/") if p]
    if len(parts) < 2 or parts[0].casefold() != "subscriptions":
        return None, None, None
    if len(parts) < 4 or parts[2].casefold() != "resourcegroups":
        return "subscription", None, None
    group = parts[3]
    if len(parts) < 8 or parts[4].casefold() != "providers":
        return "resource_group", group, None
    return "resource", group, f"{parts[5]}/{parts[6]}"
