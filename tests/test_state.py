"""State documents: golden facts per fixture, detection, rules per document and across documents, hostile input."""

from __future__ import annotations

import codecs
import importlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import logparse
from logparse.catalogue import load_catalogue
from logparse.cli import main
from logparse.state import KINDS, read_state, rules, sniff
from logparse.state.across import combined
from logparse.state.detect import path_kind
from logparse.state.model import Fact, Stated
from tests.conftest import FIXTURES
from tests.packing import write_tree

STATE = FIXTURES / "state"


def _cases() -> list[tuple[str, str, Path, str]]:
    """(kind folder, case name, file, path as a bundle would name it) for every fixture document."""
    found = []
    for folder in sorted(p for p in STATE.iterdir() if p.is_dir()):
        for entry in sorted(folder.iterdir()):
            if entry.name.endswith(".golden.json"):
                continue
            if entry.is_dir():
                files = [p for p in entry.rglob("*") if p.is_file()]
                assert len(files) == 1, f"{entry}: a nested case holds exactly one document"
                found.append((folder.name, entry.name, files[0], files[0].relative_to(entry).as_posix()))
            else:
                found.append((folder.name, entry.name.split(".")[0], entry, entry.name))
    return found


CASES = _cases()


def _golden(case: tuple[str, str, Path, str]) -> dict[str, Any]:
    folder, _, file, path = case
    result = read_state(path, file.read_bytes())
    return {"path": path, **result.to_dict()}


def _dump(data: dict[str, Any]) -> str:
    """JSON with one fact or stated entry per line, so a golden diff reads line by line."""
    def line(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    head = ", ".join(f"{line(k)}: {line(data[k])}" for k in ("path", "kind", "skip_reason"))
    body = [f'{line(k)}: [\n' + ",\n".join(f"  {line(item)}" for item in data[k]) + "\n ]" if data[k]
            else f"{line(k)}: []" for k in ("facts", "stated")]
    return "{" + head + ",\n " + ",\n ".join(body) + "}\n"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}/{c[1]}")
def test_golden(case: tuple[str, str, Path, str], update_goldens: bool) -> None:
    golden = STATE / case[0] / f"{case[1]}.golden.json"
    got = _dump(_golden(case))
    assert json.loads(got) == _golden(case)
    if update_goldens or not golden.exists():
        golden.write_text(got, encoding="utf-8")
        assert update_goldens, f"{golden} did not exist; written now, review and commit it"
        return
    assert got == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}/{c[1]}")
def test_fixture_is_read_as_its_folder_says(case: tuple[str, str, Path, str]) -> None:
    folder, _, file, path = case
    result = read_state(path, file.read_bytes())
    if folder == "skipped":
        assert result.skip_reason and not result.facts and not result.stated
        assert not result.skip_reason.startswith("internal error")
    else:
        assert result.kind == folder and result.skip_reason is None and result.facts
        assert sniff(path, file.read_bytes()[:65536]), "a triage would not even look at it"


def test_every_kind_and_surface_has_fixtures() -> None:
    folders = {c[0] for c in CASES}
    assert set(KINDS) <= folders
    names = {c[1] for c in CASES}
    # az camelCase, PowerShell PascalCase and REST (properties / value) shapes of the Azure documents.
    for kind in ("instance_view", "extension_list", "locks", "restore_points", "backup_job"):
        prefixes = {c[1].split("_")[0] for c in CASES if c[0] == kind}
        assert {"az", "ps", "rest"} <= prefixes, kind
    assert len(names) == len(CASES), "case names repeat"


# -- the Sample:: block of every reader module ------------------------------------------------------
SAMPLES = {  # module -> (path to read it under, kind, a fact that must be there)
    "instance_view": ("vm.json", "instance_view", ("agent.status", "Not Ready")),
    "extension_list": ("ext.json", "extension_list", ("extension.state", "failed")),
    "locks": ("locks.json", "locks", ("lock.backup_rg", True)),
    "restore_points": ("rpc.json", "restore_points", ("rp_collection.count", 1)),
    "disks": ("disk.json", "disks", ("disk.encrypted", True)),
    "backup_job": ("job.json", "backup_job", ("job.error_code", 400046)),
    "ext_status": ("var/lib/waagent/Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9241.0/status/3.status",
                   "ext_status", ("extension.state", "failed")),
    "waagent_status": ("var/lib/waagent/waagent_status.json", "waagent_status", ("agent.version", "2.9.1.1")),
    "goal_state": ("ExtensionsConfig.7.xml", "goal_state_xml", ("extension.goal_state", "enabled")),
}


def _sample(module: str) -> str:
    doc = importlib.import_module(f"logparse.state.{module}").__doc__ or ""
    block = doc.split("Sample::", 1)[1]
    return "\n".join(line[4:] for line in block.splitlines() if line.startswith("    ") or not line.strip())


@pytest.mark.parametrize("module", sorted(SAMPLES))
def test_module_sample_is_read(module: str) -> None:
    path, kind, (name, value) = SAMPLES[module]
    result = read_state(path, _sample(module).encode())
    assert result.kind == kind and result.skip_reason is None
    assert any(f.name == name and f.value == value for f in result.facts), result.facts


# -- any input --------------------------------------------------------------------------------------
_KEYS = st.sampled_from([
    "instanceView", "vmAgent", "statuses", "code", "displayStatus", "level", "message", "time", "extensions",
    "extensionHandlers", "status", "substatuses", "type", "name", "properties", "value", "restorePoints", "source",
    "id", "timeCreated", "jobType", "operation", "startTime", "endTime", "errorDetails", "errorCode", "duration",
    "diskSizeGB", "encryptionSettingsCollection", "enabled", "storageProfile", "osDisk", "dataDisks", "disks",
    "encryptionSettings", "provisioningState", "publisher", "typeHandlerVersion", "lockId", "notes", "timestampUTC",
    "formattedMessage", "substatus", "Key", "Value", "agent_name", "extensions_status", "extension_status",
    "current_version", "last_successful_status_upload_time", "handlerName", "osType", "osName", "powerState",
])
_WORDS = [
    "ProvisioningState/failed/1", "PowerState/running", "Not Ready", "Failed", "CanNotDelete", "InProgress", "Backup",
    "2024-05-01T10:00:00Z", "/Date(1714557677442)/", "5/1/2024 1:00 PM", "UserErrorRpCollectionLimitReached",
    "error", "transitioning", "2.2.10", "Windows", '{"messageStr": "Snapshot operation failed"}',
    "/subscriptions/x/resourceGroups/AzureBackupRG_a_1/providers/Microsoft.Authorization/locks/l",
    "Microsoft.Compute/disks",
]
_SCALARS = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False)
            | st.sampled_from(_WORDS) | st.text(max_size=30))
JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    _KEYS | st.text(max_size=8), inner, max_size=6), max_leaves=40)
PATHS = st.sampled_from(["doc.json", "x/status/1.status", "a/config/HandlerStatus", "waagent_status.json",
                         "var/lib/waagent/Microsoft.Azure.Extensions.CustomScript-2.1.10/config/HandlerState",
                         "GoalState.1.xml", "Packages/Plugins/A.B/1.0/Status/0.status"])


def _answers(path: str, data: bytes) -> None:
    result = read_state(path, data)
    assert (result.skip_reason is None) == bool(result.facts), result
    assert result.skip_reason is None or not result.skip_reason.startswith("internal error"), result.skip_reason
    assert all(isinstance(s, Stated) and 0 < s.confidence <= 1 for s in result.stated)
    json.dumps(result.to_dict())  # every value is plain JSON


@given(JSON, PATHS)
def test_any_json_value_gives_facts_or_a_skip_reason(value: Any, path: str) -> None:
    _answers(path, json.dumps(value).encode())


@given(JSON, st.sampled_from(["instanceView", "vmAgent", "properties", "value", "restorePoints", "errorDetails",
                              "extensions_status", "statuses"]))
def test_any_json_value_inside_a_document_shape(value: Any, key: str) -> None:
    # Nest the value where the readers look, so their deeper branches meet it.
    for doc in ({key: value, "jobType": "AzureIaaSVMJob", "level": "CanNotDelete", "notes": None},
                [{key: value, "type": "Microsoft.Compute/restorePointCollections"}],
                {"value": [{"properties": {key: value, "level": "ReadOnly"}, "id": "/subscriptions/s/providers/"
                            "Microsoft.Authorization/locks/l"}]},
                [{"timestampUTC": "2024-01-01T00:00:00Z", "status": {"status": "error", key: value}}]):
        _answers("doc.json", json.dumps(doc).encode())


@given(st.binary(max_size=300), PATHS)
def test_any_bytes_give_facts_or_a_skip_reason(data: bytes, path: str) -> None:
    _answers(path, data)


def test_hostile_documents_are_skipped_with_a_reason() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    assert "deeply" in (read_state("deep.json", deep).skip_reason or "")
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><GoalState>&a;</GoalState>'
    assert "DOCTYPE" in (read_state("GoalState.1.xml", bomb).skip_reason or "")
    big = b"[" + b'{"level": "ReadOnly"},' * 800_000 + b"{}]"
    assert "MiB" in (read_state("locks.json", big).skip_reason or "")
    assert read_state("locks.json", b"").skip_reason


# -- surfaces -------------------------------------------------------------------------------------
LOCK_ID = "/subscriptions/s/resourceGroups/{rg}/providers/Microsoft.Authorization/locks/{name}"


def _lock_doc(surface: str, rg: str, level: str, name: str) -> Any:
    lock_id = LOCK_ID.format(rg=rg, name=name)
    if surface == "az":
        return [{"id": lock_id, "level": level, "name": name, "notes": None, "resourceGroup": rg,
                 "type": "Microsoft.Authorization/locks"}]
    if surface == "ps":
        return [{"Name": name, "ResourceId": lock_id, "ResourceGroupName": rg, "LockId": lock_id,
                 "Properties": {"level": level, "notes": "n"}}]
    return {"value": [{"properties": {"level": level}, "id": lock_id, "name": name,
                       "type": "Microsoft.Authorization/locks"}]}


_RG = st.from_regex(r"(AzureBackupRG_[a-z]{4,12}_[0-9]{1,2}|rg-[a-z]{1,8})", fullmatch=True)


@given(st.sampled_from(["az", "ps", "rest"]), _RG, st.sampled_from(["CanNotDelete", "ReadOnly", "NotSpecified"]),
       st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True))
def test_lock_round_trip_on_every_surface(surface: str, rg: str, level: str, name: str) -> None:
    result = read_state("locks.json", json.dumps(_lock_doc(surface, rg, level, name)).encode())
    facts = {f.name: f.value for f in result.facts}
    assert result.kind == "locks"
    assert facts["lock.level"] == level and facts["lock.resource_group"] == rg
    assert facts["lock.scope"] == "resource_group" and all(f.subject == name for f in result.facts)
    ids = {(s.entry_id, s.confidence) for s in result.stated}
    if level == "NotSpecified":
        assert ids == set()
    elif rg.startswith("AzureBackupRG_"):
        assert ids == {("rp-resource-group-lock", 0.85)}
    else:
        assert ids == {("rp-resource-group-lock", 0.35)}


@given(st.integers(0, 30), st.sampled_from(["az", "ps", "rest"]))
def test_restore_point_count_round_trip(count: int, surface: str) -> None:
    vm = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm9"
    points = [{"name": f"p{i}", "timeCreated": f"2024-05-{1 + i % 28:02d}T02:00:00+00:00"} for i in range(count)]
    doc: Any = {"name": "AzureBackup_vm9_1", "source": {"id": vm}, "restorePoints": points,
                "type": "Microsoft.Compute/restorePointCollections"}
    if surface == "ps":
        doc = {"Name": "AzureBackup_vm9_1", "Source": {"Id": vm}, "RestorePoints": points}
    elif surface == "rest":
        doc = {"name": "AzureBackup_vm9_1", "properties": {"source": {"id": vm}, "restorePoints": [
            {"name": p["name"], "properties": {"timeCreated": p["timeCreated"]}} for p in points]}}
    result = read_state("rpc.json", json.dumps(doc).encode())
    facts = {f.name: f.value for f in result.facts}
    assert facts["rp_collection.count"] == count and facts["rp_collection.vm"] == "vm9"
    ids = {s.entry_id: s.confidence for s in result.stated}
    if count >= 18:
        assert ids == {"UserErrorRpCollectionLimitReached": 0.8, "rp-collection-cleanup": 0.75}
    elif count >= 16:
        assert ids == {"UserErrorRpCollectionLimitReached": 0.4}
    else:
        assert ids == {}


@given(st.sampled_from(["Not Ready", "Ready", "Unresponsive"]),
       st.sampled_from(["running", "deallocated", "stopped", None]), st.sampled_from(["Windows", "Linux", None]),
       st.booleans())
def test_agent_status_round_trip(display: str, power: str | None, os_type: str | None, pascal: bool) -> None:
    statuses = [{"code": f"PowerState/{power}", "displayStatus": f"VM {power}"}] if power else []
    view: dict[str, Any] = {"vmAgent": {"vmAgentVersion": "Unknown", "statuses": [
        {"code": "ProvisioningState/Unavailable", "displayStatus": display, "level": "Warning"}]},
        "statuses": statuses, "osName": os_type}
    text = json.dumps({"name": "vm1", "instanceView": view})
    if pascal:  # PowerShell spells every key in PascalCase
        text = re.sub(r'"([a-z])(\w*)":', lambda m: f'"{m[1].upper()}{m[2]}":', text)
    result = read_state("vm.json", text.encode())
    ids = {s.entry_id: s.confidence for s in result.stated}
    down = display != "Ready" and power in ("running", None)
    assert ("UserErrorGuestAgentStatusUnavailable" in ids) == down
    if down:
        assert ids["UserErrorGuestAgentStatusUnavailable"] == (0.8 if power else 0.65)
        cause = {"Windows": "agent-unresponsive-windows", "Linux": "agent-outdated-linux"}.get(os_type or "")
        if cause:
            assert ids[cause] >= 0.55 and len(set(ids) & set(rules.AGENT_CAUSE.values())) == 1
        else:
            assert all(ids[c] == 0.4 for c in rules.AGENT_CAUSE.values())


# -- rules, one by one ------------------------------------------------------------------------------
CAT = load_catalogue()


def fact(name: str, value: Any, subject: str | None = None, path: str = "p", kind: str = "instance_view",
         time: str | None = None) -> Fact:
    return Fact(name, value, path, kind, time, subject)


def stated(facts: list[Fact], kind: str = "instance_view") -> dict[str, float]:
    out: dict[str, float] = {}
    for s in rules.document(kind, facts, CAT):
        out[s.entry_id] = max(out.get(s.entry_id, 0.0), s.confidence)
    return out


def test_vm_provisioning_state() -> None:
    failed = fact("vm.provisioning_state", "failed")
    assert stated([failed]) == {"UserErrorVmProvisioningStateFailed": 0.8, "extension-provisioning-failed": 0.45}
    by_extension = [failed, fact("vm.provisioning_code", "VMExtensionProvisioningError")]
    assert stated(by_extension)["extension-provisioning-failed"] == 0.75
    assert stated([fact("vm.provisioning_state", "updating")]) == {"UserErrorVmProvisioningStateFailed": 0.45}
    assert stated([fact("vm.provisioning_state", "succeeded")]) == {}


def test_extension_states() -> None:
    custom = "Microsoft.Azure.Extensions.CustomScript"
    snapshot = "Microsoft.Azure.RecoveryServices.VMSnapshotLinux"
    assert stated([fact("extension.state", "failed", custom)]) == {
        "UserErrorVmProvisioningStateFailed": 0.65, "extension-provisioning-failed": 0.7}
    assert stated([fact("extension.state", "failed", snapshot)]) == {
        "UserErrorVmProvisioningStateFailed": 0.55, "extension-provisioning-failed": 0.5}
    assert stated([fact("extension.state", "transitioning", custom)]) == {
        "UserErrorVmProvisioningStateFailed": 0.35, "extension-provisioning-failed": 0.4}
    # The snapshot extension's own status file: this run failed, its provisioning state is another matter.
    assert stated([fact("extension.state", "failed", snapshot, kind="ext_status")], "ext_status") == {}
    assert stated([fact("extension.state", "transitioning", snapshot)]) == {}
    assert stated([fact("extension.state", "succeeded", custom)]) == {}


def test_handler_status_and_state() -> None:
    assert stated([fact("extension.handler_status", "notready", "X")], "handler_status") == {
        "UserErrorVmProvisioningStateFailed": 0.45, "extension-provisioning-failed": 0.55}
    assert stated([fact("extension.handler_state", "FailedUpgrade", "X")], "handler_state") == {
        "extension-provisioning-failed": 0.45}
    assert stated([fact("extension.handler_state", "Enabled", "X")], "handler_state") == {}


def test_agent_silent_and_platform() -> None:
    silent = [fact("agent.reported", False), fact("vm.power_state", "running"), fact("vm.os", "linux")]
    assert stated(silent) == {"UserErrorGuestAgentStatusUnavailable": 0.8, "agent-outdated-linux": 0.65,
                              "agent-not-installed": 0.4}
    # Platform from extension names, then from the agent version's shape.
    by_name = [fact("agent.status", "Not Ready"), fact("extension.state", "succeeded",
                                                       "Microsoft.Azure.RecoveryServices.VMSnapshot")]
    assert stated(by_name)["agent-unresponsive-windows"] == 0.55
    assert rules.platform([fact("agent.version", "2.7.41491.1102")]) == "windows"
    assert rules.platform([fact("agent.version", "2.9.1.1")]) == "linux"
    assert rules.platform([fact("agent.version", "Unknown")]) is None


def test_agent_versions() -> None:
    assert stated([fact("agent.version", "2.2.45")]) == {"agent-outdated-linux": 0.6}
    assert stated([fact("agent.version", "2.2.53")]) == {}
    assert stated([fact("agent.version", "2.6.1198.700")]) == {"agent-unresponsive-windows": 0.45}
    assert stated([fact("agent.version", "2.7.41491.1102")]) == {}


def test_lock_scopes() -> None:
    def lock(**values: Any) -> list[Fact]:
        return [fact(f"lock.{k}", v, "l", kind="locks") for k, v in values.items()]

    assert stated(lock(level="ReadOnly", scope="subscription", backup_rg=False), "locks") == {
        "rp-resource-group-lock": 0.7}
    assert stated(lock(level="CanNotDelete", scope="resource", backup_rg=True), "locks") == {
        "rp-resource-group-lock": 0.85}
    assert stated(lock(level="CanNotDelete", scope=None, backup_rg=False), "locks") == {}
    assert stated(lock(scope="subscription", backup_rg=True), "locks") == {}


@pytest.mark.parametrize(("size", "encrypted", "fires"), [
    (32768, False, False), (32769, False, True), (4096, True, False), (4097, True, True), (8192, False, False)])
def test_disk_size_limits(size: int, encrypted: bool, fires: bool) -> None:
    facts = [fact("disk.size_gb", size, "d0", kind="disks")]
    facts += [fact("disk.encrypted", True, "d0")] if encrypted else []
    assert ("UserErrorUnsupportedDiskSize" in stated(facts, "disks")) is fires


def _job(subject: str, status: str, start: str, end: str | None = None, vm: str = "vm1",
         operation: str = "Backup") -> list[Fact]:
    out = [fact("job.status", status, subject, kind="backup_job"), fact("job.operation", operation, subject),
           fact("job.vm", vm, subject), fact("job.start", start, subject)]
    return out + ([fact("job.end", end, subject)] if end else [])


def test_backup_in_progress_needs_a_new_job_started_while_one_ran() -> None:
    running = _job("a", "InProgress", "2024-05-06T22:00:00+00:00")
    assert stated(running, "backup_job") == {}
    later = _job("b", "Failed", "2024-05-07T09:00:00+00:00", "2024-05-07T09:00:10+00:00")
    assert stated(running + later, "backup_job") == {"UserErrorBackupOperationInProgress": 0.75}
    other_vm = _job("b", "Failed", "2024-05-07T09:00:00+00:00", vm="vm2")
    assert stated(running + other_vm, "backup_job") == {}
    done = _job("a", "Completed", "2024-05-06T22:00:00+00:00", "2024-05-07T01:00:00+00:00")
    inside = _job("c", "Failed", "2024-05-07T00:30:00+00:00")
    after = _job("c", "Completed", "2024-05-07T02:00:00+00:00")
    assert stated(done + inside, "backup_job") == {"UserErrorBackupOperationInProgress": 0.75}
    assert stated(done + after, "backup_job") == {}
    configure = _job("d", "Failed", "2024-05-07T00:30:00+00:00", operation="ConfigureBackup")
    assert stated(done + configure, "backup_job") == {}


def test_codes_name_entries() -> None:
    assert stated([fact("job.error_code", "UserErrorRpCollectionLimitReached", "j")], "backup_job") == {
        "UserErrorRpCollectionLimitReached": 0.9}
    assert stated([fact("job.error_code", 320001, "j")], "backup_job") == {"ResourceNotFound": 0.9}
    assert stated([fact("job.error_code", "UserErrorNoSuchThing", "j")], "backup_job") == {}
    assert stated([fact("job.error_code", 123456, "j")], "backup_job") == {}
    snapshot = "Microsoft.Azure.RecoveryServices.VMSnapshotLinux"
    assert stated([fact("extension.code", 76, snapshot)], "ext_status") == {
        "FailedRetryableSnapshotFailedNoNetwork": 0.85}
    assert stated([fact("extension.code", 76, "Microsoft.Azure.Extensions.CustomScript")], "ext_status") == {}


def test_messages_are_matched_only_for_failing_extensions() -> None:
    text = "Snapshot operation failed due to no network connectivity on the virtual machine"
    ext = "Microsoft.Azure.RecoveryServices.VMSnapshot"
    quiet = [fact("extension.state", "succeeded", ext), fact("extension.message", text, ext)]
    assert stated(quiet) == {}
    loud = [fact("extension.state", "failed", ext), fact("extension.message", text, ext)]
    assert stated(loud)["ExtensionSnapshotFailedNoNetwork"] >= 0.7
    assert stated([fact("job.error_string", text, "j")], "backup_job")["ExtensionSnapshotFailedNoNetwork"] >= 0.7


def test_combined_rules() -> None:
    def rpc(name: str, count: int) -> list[Fact]:
        return [fact("rp_collection.count", count, name, kind="restore_points"), fact("rp_collection.vm", "vm1", name)]

    both = combined([("a.json", rpc("c1", 12)), ("b.json", rpc("c2", 6))], CAT)
    # Each document is cited with its own collection's count; the total is in the reason.
    assert {(p, s.entry_id, s.text) for p, s in both} == {
        (p, e, n) for p, n in (("a.json", "12"), ("b.json", "6"))
        for e in ("UserErrorRpCollectionLimitReached", "rp-collection-cleanup")}
    assert all("18 restore points for vm1 across 2 collections in 2 documents (12 + 6)" in s.reason for _, s in both)
    # The same collection printed twice is counted once; one document alone was already judged.
    assert combined([("a.json", rpc("c1", 12)), ("b.json", rpc("c1", 12))], CAT) == []
    assert combined([("a.json", rpc("c1", 12) + rpc("c2", 6))], CAT) == []
    # Jobs from two documents overlap.
    jobs = combined([("a.json", _job("a", "InProgress", "2024-05-06T22:00:00+00:00")),
                           ("b.json", _job("b", "Failed", "2024-05-07T09:00:00+00:00"))], CAT)
    assert [(p, s.entry_id) for p, s in jobs] == [("b.json", "UserErrorBackupOperationInProgress")]
    # An agent Not Ready in a document that does not tell the platform; another document (or the logs) does.
    down = [fact("agent.status", "Not Ready"), fact("vm.power_state", "running")]
    told = combined([("vm.json", down), ("s.json", [fact("vm.os", "windows")])], CAT)
    assert [(p, s.entry_id, s.confidence) for p, s in told] == [("vm.json", "agent-unresponsive-windows", 0.65)]
    hinted = combined([("vm.json", down)], CAT, hint="linux")
    assert [(p, s.entry_id) for p, s in hinted] == [("vm.json", "agent-outdated-linux")]
    # The Linux agent's last status upload long before a failed job.
    silent = combined([("w.json", [fact("agent.last_status_upload", "2024-05-01T08:00:00+00:00")]),
                             ("j.json", _job("j", "Failed", "2024-05-01T10:30:00+00:00"))], CAT)
    assert {s.entry_id for _, s in silent} == {"UserErrorGuestAgentStatusUnavailable", "agent-outdated-linux"}
    recent = combined([("w.json", [fact("agent.last_status_upload", "2024-05-01T10:20:00+00:00")]),
                             ("j.json", _job("j", "Failed", "2024-05-01T10:30:00+00:00"))], CAT)
    assert recent == []


# -- detection ------------------------------------------------------------------------------------
def test_paths_name_agent_files() -> None:
    assert path_kind("var/lib/waagent/Microsoft.A.B-1.0/status/12.status") == "ext_status"
    assert path_kind("C:\\Packages\\Plugins\\Microsoft.A.B\\1.0\\Status\\3.status") == "ext_status"
    assert path_kind("var/lib/waagent/Microsoft.A.B-1.0/config/HandlerState") == "handler_state"
    assert path_kind("var/lib/waagent/waagent_status.json") == "waagent_status"
    assert path_kind("var/lib/waagent/history/2024-05-01T10-00-00__7/ExtensionsConfig.xml") == "goal_state_xml"
    assert path_kind("var/log/waagent.log") is None
    assert path_kind("var/lib/waagent/Microsoft.A.B-1.0/HandlerEnvironment.json") is None


def test_sniff_is_cheap_and_narrow() -> None:
    assert sniff("vm.json", b'{"name": "vm1", "instanceView": {}}')
    assert sniff("out.txt", b'PS C:\\> Get-AzResourceLock | ConvertTo-Json\n[{"LockId": "x"}]')
    assert not sniff("var/log/waagent.log", b"2024-05-01T10:00:00.000000Z INFO ExtHandler ExtHandler {\"vmAgent\"}")
    assert not sniff("data.json", b'{"a": 1}')
    utf16 = codecs.BOM_UTF16_LE + '{"vmAgent": {"statuses": [], "vmAgentVersion": "2.2.45"}}'.encode("utf-16-le")
    assert sniff("vm.json", utf16)
    assert read_state("vm.json", utf16).kind == "instance_view"


def test_pasted_terminal_output_and_utf16_are_read() -> None:
    doc = json.dumps([{"level": "ReadOnly", "id": LOCK_ID.format(rg="AzureBackupRG_x_1", name="l"), "name": "l"}])
    pasted = f"PS C:\\> Get-AzResourceLock | ConvertTo-Json\n{doc}\nPS C:\\>\n"
    assert read_state("t.txt", pasted.encode()).kind == "locks"
    assert read_state("t.json", codecs.BOM_UTF16_LE + pasted.encode("utf-16-le")).kind == "locks"
    # A log that embeds a JSON block is not a document.
    log = "[00000004] 2024-06-01T02:00:00Z [INFO]  report\n" * 20 + doc + "\n" + "[00000004] more\n" * 200
    assert read_state("WaAppAgent.log", log.encode()).skip_reason


# -- inside a triage --------------------------------------------------------------------------------
JOB = (STATE / "backup_job" / "az_list_overlap.json").read_bytes()
WAAGENT = (FIXTURES / "bundles" / "linux_healthy" / "var" / "log" / "waagent.log").read_bytes()


def test_triage_reads_state_members_and_cites_json_paths(tmp_path: Path) -> None:
    tree = {"var/log/waagent.log": WAAGENT,
            "locks.json": (STATE / "locks" / "az_lock_list.json").read_bytes(),
            "Packages/Plugins/A.B/1.0/HandlerEnvironment.json": (STATE / "skipped" / "handler_environment.json")
            .read_bytes()}
    result = logparse.triage(str(write_tree(tmp_path, tree)))
    files = {f.path.split(str(tmp_path.name) + "/")[-1]: f for f in result.files}
    assert files["locks.json"].format == "state:locks" and files["locks.json"].status == "analyzed"
    assert files["Packages/Plugins/A.B/1.0/HandlerEnvironment.json"].status == "skipped"
    lock = next(f for f in result.findings if f.id == "rp-resource-group-lock")
    assert lock.confidence >= 0.85
    # The line of the lock's "level" in the document (0 would mean not known).
    assert any(e.line == 13 and e.source == "state" and e.text.startswith("[1].level: ") for e in lock.evidence)


def test_a_log_whose_head_looks_like_state_is_still_read_as_a_log(tmp_path: Path) -> None:
    # The Windows agent's health report embeds JSON with a key the sniffer knows; the member is handed back.
    log = ("\ufeff[00000006] 2024-07-01T05:10:44.300Z [INFO]  WindowsAzureGuestAgent starting. Version 2.7.41491.1102\n"
           '[00000021] 2024-07-01T12:00:00.107Z [INFO]  report\n{"handlerName": "x", "provisioningState": "y"}\n'
           "[00000009] 2024-07-01T12:01:00.000Z [ERROR] Failed to get fabric address: DHCP option 245 missing\n")
    tree = {"WindowsAzure/Logs/WaAppAgent.log": log.encode()}
    result = logparse.triage(str(write_tree(tmp_path, tree)))
    assert [f.format for f in result.files] == ["windows_agent"]
    assert result.files[0].lines == 4


def test_backup_job_member_is_state_and_job_error_text(tmp_path: Path) -> None:
    job = (STATE / "backup_job" / "az_show_vm_deleted.json").read_bytes()
    result = logparse.triage(str(write_tree(tmp_path, {"backup_job.json": job})))
    assert result.files[0].format == "state:backup_job" and result.files[0].lines == job.count(b"\n")
    found = next(f for f in result.findings if f.id == "ResourceNotFound")
    sources = {(e.source, e.line > 0) for e in found.evidence}
    assert ("state", True) in sources  # the job's code at its own line
    # Also matched as job error text, that line is one evidence line: the statement, its JSON path shown.
    places = [(e.path, e.line) for e in found.evidence]
    assert len(places) == len(set(places)) == found.evidence_count


def test_state_file_sets_the_job_window_unless_one_was_given(tmp_path: Path) -> None:
    (tmp_path / "jobs.json").write_bytes(JOB)
    bundle = write_tree(tmp_path / "b", {"var/log/waagent.log": WAAGENT})
    result = logparse.triage(str(bundle), state_files=[str(tmp_path / "jobs.json")])
    assert any("around backup job 9b2c4e1a" in w for w in result.warnings), result.warnings
    assert "UserErrorBackupOperationInProgress" in {f.id for f in result.findings_at(0.5)}
    assert any(f.format == "state:backup_job" for f in result.files)
    from datetime import UTC, datetime

    since = datetime(2024, 1, 1, tzinfo=UTC)
    chosen = logparse.triage(str(bundle), state_files=[str(tmp_path / "jobs.json")], since=since)
    assert not any("around backup job" in w for w in chosen.warnings)


def test_state_file_that_is_not_a_document_is_still_analysed(tmp_path: Path) -> None:
    ticket = tmp_path / "ticket.txt"
    ticket.write_text("Error Code | UserErrorGuestAgentStatusUnavailable\n")
    result = logparse.triage(str(write_tree(tmp_path / "b", {"var/log/waagent.log": WAAGENT})),
                             state_files=[str(ticket)])
    assert any("not read as a state document" in w for w in result.warnings)
    assert "UserErrorGuestAgentStatusUnavailable" in {f.id for f in result.findings_at(0.5)}


def test_cli_state_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = write_tree(tmp_path / "b", {"var/log/waagent.log": WAAGENT})
    view = STATE / "instance_view" / "ps_windows_agent_not_ready.json"
    assert main(["triage", str(bundle), "--state", str(view), "--state", str(STATE / "locks" /
                 "rest_subscription_lock.json"), "--json", "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    found = {f["id"]: f for f in data["findings"] if f["confidence"] >= 0.5}
    assert {"UserErrorGuestAgentStatusUnavailable", "rp-resource-group-lock"} <= set(found)
    evidence = found["UserErrorGuestAgentStatusUnavailable"]["evidence"][0]
    assert evidence["source"] == "state" and evidence["text"].startswith("VMAgent.Statuses[0].DisplayStatus: ")
    with pytest.raises(SystemExit):
        main(["triage", "--help"])
    assert "--state FILE" in capsys.readouterr().out


def _status(state: str, code: int) -> bytes:
    return json.dumps([{"version": "1.0", "timestampUTC": "2024-05-01T10:31:32Z", "status": {
        "name": "Microsoft.Azure.RecoveryServices.VMSnapshotLinux", "operation": "Enable", "status": state,
        "code": code, "formattedMessage": {"lang": "en-US", "message": "done"}}}]).encode()


def test_only_the_newest_status_file_of_an_extension_counts(tmp_path: Path) -> None:
    folder = "var/lib/waagent/Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9241.0/status"
    old_failure = {f"{folder}/7.status": _status("error", 76), f"{folder}/12.status": _status("success", 0),
                   "var/log/waagent.log": WAAGENT}
    result = logparse.triage(str(write_tree(tmp_path / "a", old_failure)))
    assert "FailedRetryableSnapshotFailedNoNetwork" not in {f.id for f in result.findings}
    assert any(f.path.endswith("7.status") and "older than status 12" in (f.reason or "") for f in result.files)
    new_failure = {f"{folder}/7.status": _status("success", 0), f"{folder}/12.status": _status("error", 76)}
    result = logparse.triage(str(write_tree(tmp_path / "b", new_failure)))
    assert "FailedRetryableSnapshotFailedNoNetwork" in {f.id for f in result.findings_at(0.5)}


def test_agent_history_copies_go_on_the_timeline_only(tmp_path: Path) -> None:
    waagent_status = (STATE / "waagent_status" / "snapshot_error" / "var" / "lib" / "waagent" /
                      "waagent_status.json").read_bytes()
    tree = {"var/lib/waagent/history/2024-05-01T10-36-02__41/waagent_status.json": waagent_status}
    result = logparse.triage(str(write_tree(tmp_path / "h", tree)))
    assert result.findings == [] and "history" in (result.files[0].reason or "")
    result = logparse.triage(str(write_tree(tmp_path / "c", {"var/lib/waagent/waagent_status.json": waagent_status})))
    assert "FailedRetryableSnapshotFailedNoNetwork" in {f.id for f in result.findings_at(0.5)}


def test_package_docstring_example_runs() -> None:
    import doctest

    import logparse.state

    assert doctest.testmod(logparse.state).failed == 0


# -- what the evidence of a state document says ------------------------------------------------------
def test_restore_point_limit_cites_each_document_with_its_own_count_and_line() -> None:
    # 12 points in rpc_westeurope_1.json (az) and 6 in rpc_vm_group_rest.json (REST): each file is cited
    # with its own count at the line of its restorePoints array; the total is in the reason.
    result = logparse.triage(str(FIXTURES / "bundles" / "state_restore_point_limit"))
    for entry_id in ("UserErrorRpCollectionLimitReached", "rp-collection-cleanup"):
        finding = next(f for f in result.findings if f.id == entry_id)
        cited = {(e.path, e.line): e.text for e in finding.evidence}
        assert set(cited) == {("restore_points/rpc_westeurope_1.json", 8), ("restore_points/rpc_vm_group_rest.json", 8)}
        assert cited["restore_points/rpc_westeurope_1.json", 8].startswith("restorePoints: 12 ")
        assert cited["restore_points/rpc_vm_group_rest.json", 8].startswith("properties.restorePoints: 6 ")
        assert any("18 restore points" in r and "12 + 6" in r for r in finding.reasons), finding.reasons
    from logparse.render import RenderOptions, render

    for fmt in ("table", "markdown", "csv"):
        out = io.StringIO()
        render(result, fmt, out, RenderOptions(width=200))
        assert "rpc_westeurope_1.json:8" in out.getvalue() and "rpc_vm_group_rest.json:8" in out.getvalue(), fmt
        assert ".json:0" not in out.getvalue(), fmt


def test_one_document_with_two_collections_of_a_vm_cites_both() -> None:
    doc = {"value": [
        {"name": f"c{n}", "source": {"id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/"
                                           "virtualMachines/vm1"},
         "restorePoints": [{"name": f"rp{i}"} for i in range(count)]} for n, count in ((1, 11), (2, 7))]}
    result = read_state("rpc.json", json.dumps(doc, indent=1).encode())
    limit = [s for s in result.stated if s.entry_id == "UserErrorRpCollectionLimitReached"]
    assert sorted((s.json_path, s.text) for s in limit) == [("value[0].restorePoints", "11"),
                                                          ("value[1].restorePoints", "7")]
    assert all("18 restore points for vm1" in s.reason for s in limit)


def test_lock_evidence_names_the_lock_and_its_scope_and_keeps_the_path_as_given() -> None:
    given = str((STATE / "locks" / "az_lock_list.json").resolve())
    assert given.startswith("/")
    result = logparse.triage(str(FIXTURES / "bundles" / "linux_healthy"), state_files=[given])
    lock = next(f for f in result.findings if f.id == "rp-resource-group-lock")
    texts = {e.text.split(":", 1)[0]: e.text for e in lock.evidence}
    assert "lock no-delete-backup on resource group AzureBackupRG_westeurope_1" in texts["[1].level"]
    assert "freeze" in texts["[2].level"] and "AzureBackupRG_westeurope_2" in texts["[2].level"]
    assert "restore point collection" in texts["[2].level"]
    # A lock on another resource group is no proof of this finding: named in its reasons, not cited.
    assert "[0].level" not in texts
    assert any(r.startswith("not cited, weaker on its own (0.35") and "protect-prod" in r and "rg-web" in r
               for r in lock.reasons)
    assert {e.path for e in lock.evidence} == {given}
    assert given in {f.path for f in result.files}
    assert all(e.line > 0 for e in lock.evidence)  # the line of each lock's "level"
