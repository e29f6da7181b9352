"""Restore point collections: ``az restore-point collection show --expand restorePoints``/``list``, REST, PS.

Facts per collection (subject: its name): ``rp_collection.vm`` (the source VM's
name), ``rp_collection.count`` (restore points listed in it), ``rp_collection.listed`` (False
when the document does not include the restore points: ``az`` needs ``--expand restorePoints``,
REST ``$expand=restorePoints``), ``rp_collection.resource_group``, ``rp_collection.backup_rg``,
``rp_collection.newest`` and ``rp_collection.oldest`` (times). Per VM, ``restore_points.vm_total`` adds up every
collection of the document; the limit of 18 counts all collections and resource groups.

Sample::

    {"name": "AzureBackupRG_vm01_1",
     "source": {"id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm01"},
     "restorePoints": [{"name": "rp1", "timeCreated": "2024-05-01T02:00:00+00:00"}],
     "type": "Microsoft.Compute/restorePointCollections"}
"""

from __future__ import annotations

from logparse.state._doc import Facts, Node, arm_id, records, when
from logparse.state.locks import BACKUP_RG

KIND = "restore_points"


def read(root: Node, facts: Facts) -> None:
    totals: dict[str, tuple[int, str]] = {}
    for coll in records(root):
        id_node = coll.get("id")
        id_text = id_node.text() if id_node is not None else None
        name = coll.string("name") or arm_id(id_text).get("restorepointcollections")
        subject = name or coll.path or "collection"
        source = coll.get("source")
        source_id = source.get("id") if source is not None else None
        vm = arm_id(source_id.text() if source_id else None).get("virtualmachines")
        facts.add("rp_collection.vm", vm, source_id.path if source_id else "", subject=subject)
        group_node = coll.get("resourceGroup", "resourceGroupName") or id_node
        group = coll.string("resourceGroup", "resourceGroupName") or arm_id(id_text).get("resourcegroups")
        facts.add("rp_collection.resource_group", group, group_node.path if group_node else "", subject=subject)
        facts.add("rp_collection.backup_rg", bool(group and BACKUP_RG.fullmatch(group)),
                  group_node.path if group_node else "", subject=subject)
        points = coll.get("restorePoints")
        if points is None or not isinstance(points.value, list):
            facts.add("rp_collection.listed", False, f"{coll.path}.restorePoints" if coll.path else "restorePoints",
                      subject=subject)
            continue
        items = points.items()
        facts.add("rp_collection.count", len(items), points.path, subject=subject)
        times = sorted(t for t in (when(p.get("timeCreated", "creationTime")) for p in items) if t)
        if times:
            facts.add("rp_collection.oldest", times[0], points.path, subject=subject, time=times[0])
            facts.add("rp_collection.newest", times[-1], points.path, subject=subject, time=times[-1])
        key = (vm or subject).casefold()
        count, _ = totals.get(key, (0, points.path))
        totals[key] = (count + len(items), points.path)
    for vm, (count, path) in totals.items():
        facts.add("restore_points.vm_total", count, path, subject=vm)
