"""A catalogue code or exact message written in an agent or extension log is log evidence.

Most catalogue entries carry only ``job_error`` signatures (what the portal shows), so the same
words in the backup extension's own log (Windows ``IaaSBcdrExtension.log``) went unrecognised and
a bundle without a ticket looked healthy. The loader derives log signatures from every error's
code and exact messages (see ``logparse.catalogue.derive``); these tests build small bundle trees
in ``tmp_path`` and check both the findings and what the rule must not do.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import logparse
from logparse.catalogue import Catalogue, load_catalogue
from logparse.catalogue.guard import flag_bits

_EXT = "WindowsAzure/Logs/Plugins/Microsoft.Azure.RecoveryServices.VMSnapshot/1.0.75.0"
_HEAD = [
    "[00000001] 2023-11-19T22:00:01.700Z [INFO]  IaaSBcdrExtension.exe version 1.0.75.0, command line: -enable"
    " -seqNo 54",
    "[00000001] 2023-11-19T22:00:02.302Z [INFO]  Task started: Take Snapshot, TaskId"
    " a1f8c5e6-a76f-4abc-ae5f-3b41a9079e2f",
]
_AGENT = (
    "[00000004] 2023-11-19T21:59:58.100Z [INFO]  WindowsAzureGuestAgent starting. Version 2.7.41491.1102\n"
    "[00000009] 2023-11-19T22:00:01.452Z [INFO]  Executing command: C:\\Packages\\Plugins\\"
    "Microsoft.Azure.RecoveryServices.VMSnapshot\\1.0.75.0\\IaaSBcdrExtension.exe -enable\n"
)


def _bundle(root: Path, extension_lines: list[str]) -> Path:
    ext = root / _EXT
    ext.mkdir(parents=True)
    (ext / "IaaSBcdrExtension.log").write_text("\n".join(_HEAD + extension_lines) + "\n")
    (root / "WindowsAzure/Logs/WaAppAgent.log").write_text(_AGENT)
    return root


def _findings(root: Path) -> dict[str, float]:
    data = logparse.triage(str(root)).to_dict()
    return {f["id"]: f["confidence"] for f in data["findings"]}


def test_windows_vss_writers_message_in_the_extension_log(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "vss", [
        "[00000001] 2023-11-19T22:00:03.302Z [WARN]  VSS writer SqlServerWriter is in a bad state (Failed); retrying",
        "[00000001] 2023-11-19T22:05:03.302Z [ERROR] Snapshot operation failed because VSS writers were in a bad"
        " state.",
    ])
    found = _findings(root)
    assert found.get("ExtensionFailedVssWriterInBadState", 0.0) >= 0.65, found
    assert [i for i, c in found.items() if c >= 0.5] == ["ExtensionFailedVssWriterInBadState"], found


def test_windows_com_plus_message_in_the_extension_log(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "com", [
        "[00000001] 2023-11-19T22:00:09.118Z [ERROR] Snapshot operation failed due to COM+ error",
        "[00000001] 2023-11-20T22:00:09.118Z [ERROR] Snapshot operation failed due to COM+ error.",
    ])
    found = _findings(root)
    assert found.get("ExtensionSnapshotFailedCOM", 0.0) >= 0.65, found
    # The COM+ installation error shares words, not the message.
    assert found.get("ExtensionInstallationFailedCOM", 0.0) < 0.5, found


def test_bare_code_in_the_extension_log(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "code", [
        "[00000001] 2023-11-19T22:05:03.302Z [ERROR] Task failed: ExtensionFailedVssWriterInBadState",
    ])
    assert _findings(root).get("ExtensionFailedVssWriterInBadState", 0.0) >= 0.65


def test_code_and_message_on_one_line_are_two_signatures(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "both", [
        "[00000001] 2023-11-19T22:05:03.302Z [ERROR] ExtensionSnapshotFailedCOM: Snapshot operation failed due to"
        " COM+ error",
    ])
    assert _findings(root).get("ExtensionSnapshotFailedCOM", 0.0) >= 0.75


def test_healthy_extension_log_stays_healthy(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "ok", [
        "[00000001] 2023-11-19T22:00:18.502Z [INFO]  VSS snapshot set created; writers: 11, all Stable",
        "[00000001] 2023-11-19T22:00:30.251Z [INFO]  Task completed: Take Snapshot, status Success",
    ])
    assert not [i for i, c in _findings(root).items() if c >= 0.5]


def test_codes_and_messages_named_where_nothing_failed_are_no_finding(tmp_path: Path) -> None:
    # Extension logs name codes outside any failure: a pre-check, a retry policy's list, a help
    # link's (lowercase) anchor, a message quoted at INFO. Derived signatures count only on a
    # line at an error or warning level, with the case as written.
    root = _bundle(tmp_path / "named", [
        "[00000001] 2023-11-19T22:00:02.400Z [INFO]  Health check: no UserErrorUnsupportedDiskSize, no "
        "ExtensionFailedVssWriterInBadState condition found",
        "[00000001] 2023-11-19T22:00:02.500Z [INFO]  Retry policy configured for: UserErrorBcmDatasourceNotPresent",
        "[00000001] 2023-11-19T22:00:02.600Z [INFO]  See https://learn.microsoft.com/en-us/azure/backup/"
        "backup-azure-vms-troubleshoot#extensionfailedvsswriterinbadstate---snapshot-operation-failed",
        "[00000001] 2023-11-19T22:00:02.700Z [INFO]  Known failure text: Snapshot operation failed due to COM+ error",
    ])
    assert not [i for i, c in _findings(root).items() if c >= 0.5], _findings(root)
    # The same code at ERROR is the failure.
    root = _bundle(tmp_path / "failed", [
        "[00000001] 2023-11-19T22:05:03.302Z [ERROR] Task failed: UserErrorUnsupportedDiskSize",
    ])
    assert _findings(root).get("UserErrorUnsupportedDiskSize", 0.0) >= 0.65


# -- the rule in the loader ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


def _derived(cat: Catalogue, entry_id: str) -> list[tuple[tuple[str, ...], str]]:
    return [(s.formats, s.literal) for s in cat.entries[entry_id].signatures if s.derived]


def test_windows_entry_gets_windows_log_signatures_for_code_and_messages(cat: Catalogue) -> None:
    derived = _derived(cat, "ExtensionFailedVssWriterInBadState")
    assert (("windows_agent",), "ExtensionFailedVssWriterInBadState") in derived
    assert (("windows_agent",), "Snapshot operation failed because VSS writers were in a bad state") in derived
    assert all(formats == ("windows_agent",) for formats, _ in derived)


def test_any_platform_entry_gets_every_extension_log_format(cat: Catalogue) -> None:
    # The extensions' own logs; not waagent.log, which carries no extension message (its scan,
    # the bulk of a bundle, would pay for the literals).
    formats = {f for fs, _ in _derived(cat, "ExtensionSnapshotFailedNoNetwork") for f in fs}
    assert formats == {"windows_agent", "vmsnapshot", "ext_handler"}


def test_entries_with_their_own_log_signatures_are_left_alone(cat: Catalogue) -> None:
    # Their authors chose what proves them in a log ("freeze failed for some mount" alone would not).
    for entry_id in ("FailedRetryableFsFreezeFailed", "ExtensionConfigParsingFailure",
                     "UserErrorGuestAgentStatusUnavailable"):
        assert _derived(cat, entry_id) == [], entry_id


def test_generic_codes_and_shared_messages_get_no_log_signature(cat: Catalogue) -> None:
    for entry_id in ("ResourceNotFound", "InternalError", "BadRequest", "AllocationFailed", "OperationNotAllowed"):
        assert not [lit for _, lit in _derived(cat, entry_id) if " " not in lit], entry_id
    # BackUpOperationFailed and its V2 share their message: it cannot say which one.
    for entry_id in ("BackUpOperationFailed", "BackUpOperationFailedV2"):
        assert [lit for _, lit in _derived(cat, entry_id)] == [entry_id]


def test_derived_signatures_are_guarded_and_match_only_their_own_entry(cat: Catalogue) -> None:
    derived = [(e.id, s) for e in cat.entries.values() for s in e.signatures if s.derived]
    assert len(derived) > 50
    compiled = [(eid, re.compile(s.pattern, flag_bits(s.flags))) for eid, s in cat.signatures()]
    for entry_id, sig in derived:
        for example in sig.examples:
            line = f"[00000001] 2023-11-19T22:05:03.302Z [ERROR] {example}"
            assert {eid for eid, rx in compiled if rx.search(line)} == {entry_id}, (entry_id, example)


def test_a_new_catalogue_entry_is_found_in_logs_without_code(tmp_path: Path) -> None:
    extra = tmp_path / "mine.toml"
    extra.write_text(
        "[ExtensionSnapshotFailedQuantumFlux]\nkind = 'error'\nplatform = 'windows'\n"
        "title.en = 'Snapshot failed: quantum flux'\ntitle.zh-CN = '快照失败'\n"
        "messages.en = ['Snapshot operation failed due to a quantum flux inversion.']\n"
        "examples = ['ExtensionSnapshotFailedQuantumFlux',\n"
        "  'Snapshot operation failed due to a quantum flux inversion.']\n"
    )
    cat = load_catalogue([extra])
    root = _bundle(tmp_path / "new", [
        "[00000001] 2023-11-19T22:05:03.302Z [ERROR] Snapshot operation failed due to a quantum flux inversion.",
    ])
    data = logparse.triage(str(root), catalogue=cat).to_dict()
    assert {f["id"] for f in data["findings"] if f["confidence"] >= 0.5} == {"ExtensionSnapshotFailedQuantumFlux"}
