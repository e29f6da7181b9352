"""Findings quality: what exact catalogue words in the backup extension's log weigh, which state
statements a finding cites, and a bundle that holds the logs of several VMs."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

import logparse
from logparse.analysis import vm_groups, vms_warning
from logparse.cli import main
from tests.conftest import FIXTURES
from tests.packing import write_tree

_EXT_LOG = "WindowsAzure/Logs/Plugins/Microsoft.Azure.RecoveryServices.VMSnapshot/1.0.75.0/IaaSBcdrExtension.log"
_AGENT_LOG = "WindowsAzure/Logs/WaAppAgent.log"
_LINUX_EXT_LOG = "var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log"
_COM_CODE = "ExtensionSnapshotFailedCOM"
_COM_MESSAGE = "Snapshot operation failed due to COM+ error"


def _win(level: str, text: str, minute: int = 5) -> str:
    # The Windows agent pads its level to one width: two spaces after [INFO] and [WARN], one after [ERROR].
    return f"[00000001] 2023-11-19T22:{minute:02d}:03.302Z [{level}]{' ' if level == 'ERROR' else '  '}{text}"


def _windows(tmp_path: Path, name: str, lines: list[str], path: str = _EXT_LOG) -> dict[str, float]:
    head = [_win("INFO", "IaaSBcdrExtension.exe version 1.0.75.0, command line: -enable", 0)]
    tree = {path: ("\n".join(head + lines) + "\n").encode()}
    if path != _AGENT_LOG:
        tree[_AGENT_LOG] = (_win("INFO", "WindowsAzureGuestAgent starting. Version 2.7.41491.1102", 0) + "\n").encode()
    result = logparse.triage(str(write_tree(tmp_path / name, tree)))
    return {f.id: f.confidence for f in result.findings}


# -- exact catalogue words in the extension's own log --------------------------------------------------------

def test_code_and_message_rank_above_message_above_a_generic_signature(tmp_path: Path) -> None:
    both = _windows(tmp_path, "both", [_win("ERROR", f"Task failed: {_COM_CODE}"), _win("ERROR", _COM_MESSAGE, 6)])
    message = _windows(tmp_path, "message", [_win("ERROR", _COM_MESSAGE)])
    code = _windows(tmp_path, "code", [_win("ERROR", f"Task failed: {_COM_CODE}")])
    # An author-written signature of another entry, on one ERROR line: the generic rating.
    generic = _windows(tmp_path, "generic", [_win("ERROR", "Did not discover fabric address on interface Ethernet 2")],
                       path=_AGENT_LOG)
    assert both[_COM_CODE] > message[_COM_CODE] > generic["dhcp-disabled"], (both, message, generic)
    assert code[_COM_CODE] > generic["dhcp-disabled"]
    # A real finding, above what one generic line gives, and still under the cap.
    assert 0.75 < message[_COM_CODE] < both[_COM_CODE] <= 0.95


def test_the_strong_rating_needs_an_error_line_of_the_extensions_own_log(tmp_path: Path) -> None:
    own = _windows(tmp_path, "own", [_win("ERROR", _COM_MESSAGE)])[_COM_CODE]
    # At a warning level, or relayed in the agent's log, the same words are an ordinary signature.
    warned = _windows(tmp_path, "warn", [_win("WARN", _COM_MESSAGE)])[_COM_CODE]
    relayed = _windows(tmp_path, "agent", [_win("ERROR", _COM_MESSAGE)], path=_AGENT_LOG)[_COM_CODE]
    assert 0.5 <= warned < own and 0.5 <= relayed < own


def test_an_info_quote_of_the_message_gives_nothing(tmp_path: Path) -> None:
    # The word "Error" inside an INFO line quotes an earlier failure; the line's own level says so.
    found = _windows(tmp_path, "info", [
        _win("INFO", f"Result of the previous run: Error: {_COM_MESSAGE}."),
        _win("INFO", f"Known failure text: {_COM_MESSAGE}", 6),
    ])
    assert _COM_CODE not in found, found
    # The same message at ERROR is the failure.
    assert _windows(tmp_path, "error", [_win("ERROR", f"Error: {_COM_MESSAGE}.")]).get(_COM_CODE, 0.0) >= 0.75


def test_linux_extension_log_error_line_counts_as_strongly(tmp_path: Path) -> None:
    # The Python 2 layout of VMSnapshotLinux extension.log writes ERROR: before the prefix.
    line = ("2024/05/01 10:15:30 ERROR:[Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]Snapshot operation failed "
            "due to no network connectivity on the virtual machine\n")
    result = logparse.triage(str(write_tree(tmp_path / "linux", {_LINUX_EXT_LOG: line.encode()})))
    finding = next(f for f in result.findings if f.id == "ExtensionSnapshotFailedNoNetwork")
    assert finding.confidence >= 0.75
    assert any("own message at ERROR in the backup extension's log" in r for r in finding.reasons), finding.reasons


# -- state statements a finding cites ------------------------------------------------------------------------

_LOCK_IDS = "/subscriptions/3f2a9c4e-81b7-4d62-a0c5-7e19d04b6a11"


def _lock(name: str, group: str | None) -> dict[str, object]:
    scope = f"{_LOCK_IDS}/resourceGroups/{group}" if group else _LOCK_IDS
    return {"id": f"{scope}/providers/Microsoft.Authorization/locks/{name}", "level": "CanNotDelete", "name": name,
            "notes": None, "owners": None, "resourceGroup": group, "type": "Microsoft.Authorization/locks"}


def _lock_finding(tmp_path: Path, locks: list[dict[str, object]],
                  extra: dict[str, bytes] | None = None) -> logparse.Finding:
    tree = {"az_lock_list.json": json.dumps(locks, indent=2).encode(), **(extra or {})}
    result = logparse.triage(str(write_tree(tmp_path, tree)))
    return next(f for f in result.findings if f.id == "rp-resource-group-lock")


def test_the_lock_finding_cites_only_the_lock_on_the_restore_point_group() -> None:
    result = logparse.triage(str(FIXTURES / "bundles" / "state_backup_rg_lock"))
    lock = next(f for f in result.findings if f.id == "rp-resource-group-lock")
    assert lock.confidence >= 0.85
    assert [e.text for e in lock.evidence] == [
        "[1].level: CanNotDelete (lock guard-all-rgs on resource group AzureBackupRG_westeurope_1)"]
    assert lock.evidence_count == 1
    # The other lock is named apart, with what it would weigh on its own, and is not the finding's proof.
    weaker = [r for r in lock.reasons if "prod-guard" in r]
    assert len(weaker) == 1 and weaker[0].startswith("not cited, weaker on its own (0.35, az_lock_list.json)")
    assert "rg-shop" in weaker[0]


def test_a_subscription_lock_also_concerns_the_restore_point_group(tmp_path: Path) -> None:
    lock = _lock_finding(tmp_path, [_lock("sub-guard", None), _lock("rp-guard", "AzureBackupRG_westeurope_1"),
                                    _lock("shop", "rg-shop")])
    cited = [e.text for e in lock.evidence]
    assert [t for t in cited if "lock sub-guard on the subscription" in t or "lock rp-guard on" in t] == cited
    assert len(cited) == 2


def test_a_lock_elsewhere_is_cited_when_it_is_all_there_is(tmp_path: Path) -> None:
    lock = _lock_finding(tmp_path, [_lock("shop", "rg-shop")])
    assert lock.confidence < 0.5
    assert [e.text for e in lock.evidence] == ["[0].level: CanNotDelete (lock shop on resource group rg-shop)"]
    assert not any(r.startswith("not cited") for r in lock.reasons)


def test_beside_a_job_error_a_lock_elsewhere_is_not_its_proof(tmp_path: Path) -> None:
    ticket = (FIXTURES / "bundles" / "linux_rp_collection_limit_lock" / "ticket.txt").read_bytes()
    lock = _lock_finding(tmp_path, [_lock("shop", "rg-shop")], {"ticket.txt": ticket})
    assert lock.confidence >= 0.9
    assert {e.path for e in lock.evidence} == {"ticket.txt"}
    assert any(r.startswith("not cited, weaker on its own (0.35") and "rg-shop" in r for r in lock.reasons)


# -- logs of several VMs in one bundle -----------------------------------------------------------------------

_WAAGENT_A = (FIXTURES / "bundles" / "linux_nonetwork_snapshot" / "var" / "log" / "waagent.log").read_bytes()
_WAAGENT_B = (FIXTURES / "bundles" / "linux_healthy" / "var" / "log" / "waagent.log").read_bytes()


def _vm_warnings(result: logparse.TriageResult) -> list[str]:
    return [w for w in result.warnings if "different VMs" in w]


def test_loose_logs_of_two_vms_are_named_with_their_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "loose", {"vm1-waagent.log": _WAAGENT_A,
                                           "vm2-waagent.log.gz": gzip.compress(_WAAGENT_B)})
    warnings = _vm_warnings(logparse.triage(str(root)))
    assert len(warnings) == 1, warnings
    assert "logs of 2 different VMs" in warnings[0]
    assert "vm1: vm1-waagent.log" in warnings[0] and "vm2: vm2-waagent.log.gz" in warnings[0]
    # Every report format that shows warnings shows it: the terminal table and --json.
    assert main(["triage", str(root), "--quiet"]) == 0
    assert "vm1: vm1-waagent.log" in " ".join(capsys.readouterr().out.split())
    assert main(["triage", str(root), "--json", "--quiet"]) == 0
    assert _vm_warnings(logparse.TriageResult.from_dict(json.load(io.StringIO(capsys.readouterr().out)))) == warnings


def test_two_vms_trees_in_one_archive_are_told_apart(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "trees", {"web-01/var/log/waagent.log": _WAAGENT_A,
                                           "web-02/var/log/waagent.log": _WAAGENT_B,
                                           # Its own rotation: lines of web-02's, not web-01's.
                                           "web-02/var/log/waagent.log.1": b"".join(_WAAGENT_B.splitlines(True)[5:])})
    warnings = _vm_warnings(logparse.triage(str(root)))
    assert len(warnings) == 1
    assert "web-01: web-01/var/log/waagent.log;" in warnings[0]
    assert "web-02: web-02/var/log/waagent.log, web-02/var/log/waagent.log.1" in warnings[0]


def test_rotations_and_copies_of_one_vms_log_are_one_vm(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "one", {
        "var/log/waagent.log": _WAAGENT_A,
        "var/log/waagent.log.1": _WAAGENT_B,
        "var/log/waagent.log.2.gz": gzip.compress(_WAAGENT_B),
        "var/log/waagent.log-2024-05-01-1714567890.gz": gzip.compress(_WAAGENT_B),
        # Saved twice, or named by whoever collected it: the same log, starting with the same line.
        "waagent (1).log": _WAAGENT_A,
        "waagent.log.old": _WAAGENT_A,
        "myvm-waagent.log": _WAAGENT_A,
        # A second collection of the same VM, put in a folder of its own.
        "collect-2/var/log/waagent.log": _WAAGENT_A,
    })
    assert _vm_warnings(logparse.triage(str(root))) == []


def test_a_file_that_could_be_either_vms_is_counted_not_placed() -> None:
    groups = vm_groups([
        ("a/vm1_waagent.log", "a/vm1_waagent.log", "2024-01-01 first line of vm1"),
        ("a/waagent-vm2.log", "a/waagent-vm2.log", "2024-01-01 first line of vm2"),
        # No VM in its name, no log the others hold: it could be either VM's.
        ("a/var/log/azure/X/extension.log", "a/var/log/azure/X/extension.log", "2024-01-01 ext"),
    ])
    assert groups == [("vm1", ["a/vm1_waagent.log"]), ("vm2", ["a/waagent-vm2.log"])]
    assert vms_warning(groups, 3).endswith("vm1: a/vm1_waagent.log; vm2: a/waagent-vm2.log; "
                                           "1 other log file(s) could be any of them")


def test_copies_join_groups_into_one_vm_through_any_shared_log() -> None:
    # Three collections of one VM, each rotated since the last: each shares a file's first line
    # with the next only. A fourth tree shares none.
    def log(root: str, rotated: str, first: str) -> tuple[str, str, str]:
        return (f"{root}/var/log/waagent.log{rotated}", f"{root}/var/log/waagent.log", first)

    one_vm = [log("a", "", "X"), log("b", "", "Y"), log("b", ".1", "X"), log("c", "", "Z"), log("c", ".1", "Y")]
    assert vm_groups(one_vm) == []
    groups = vm_groups([*one_vm, log("d", "", "W")])
    assert [name for name, _ in groups] == ["a, b, c", "d"]
    assert groups[0][1] == sorted(path for path, _, _ in one_vm)
