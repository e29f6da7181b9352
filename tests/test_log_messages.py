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


# -- the Linux backup extension: handler exit codes, shell.log and status-code lines ------------------------
# Layouts of formats.md §3.2/§3.3 (waagent.log G1, G3), §3.4 (CommandExecution.log), §3.5 (extension.log,
# Python 3), §3.6 (shell.log); values invented.

_VMB = "var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux"
_LINUX_HEAD = [
    "2024-05-01T10:00:03.412907Z INFO Daemon Daemon Azure Linux Agent Version: 2.9.1.1",
    "2024-05-01T10:00:07.551290Z INFO ExtHandler ExtHandler Azure Linux Agent (Goal State Agent version 2.13.1.1)",
    "2024-05-01T10:31:17.284761Z INFO ExtHandler [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9241.0]"
    " Target handler state: enabled [incarnation_7]",
]


def _linux_bundle(root: Path, waagent: list[str], files: dict[str, list[str]] | None = None) -> Path:
    (root / "var/log").mkdir(parents=True)
    (root / "var/log/waagent.log").write_text("\n".join(_LINUX_HEAD + waagent) + "\n")
    for name, lines in (files or {}).items():
        path = root / _VMB / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
    return root


def _strong(found: dict[str, float]) -> list[str]:
    return sorted(i for i, c in found.items() if c >= 0.5)


def _unrecognized(root: Path) -> list[str]:
    return [t["template"] for t in logparse.triage(str(root)).to_dict()["unrecognized"]]


def test_backup_handler_exit_127_without_python_is_the_python_cause(tmp_path: Path) -> None:
    # formats.md §2.5 row 47: 127 = interpreter/command not found (e.g. no python); the stderr is env's.
    root = _linux_bundle(tmp_path / "g3", [
        "2024-05-01T10:31:17.410987Z ERROR ExtHandler ExtHandler Event: name=Microsoft.Azure.RecoveryServices."
        "VMSnapshotLinux, op=Enable, message=[ExtensionOperationError] Non-zero exit code: 127, main/handle.sh enable",
        "[stdout]", "", "", "[stderr]", "/usr/bin/env: 'python': No such file or directory", ", duration=0",
    ])
    assert _strong(_findings(root)) == ["python-missing-linux"], _findings(root)
    assert not [t for t in _unrecognized(root) if "exit code" in t], _unrecognized(root)


def test_handle_sh_python_not_found_in_waagent_and_command_execution_logs(tmp_path: Path) -> None:
    # formats.md §3.2: a 2.2.x agent with the exit code and the shell's "python: not found" under [stderr].
    not_found = ("/var/lib/waagent/Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9117.0/main/handle.sh: 1:"
                 " python: not found")
    root = _linux_bundle(tmp_path / "g1", [
        "2019/10/02 21:10:01.100001 INFO [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9117.0] Enable"
        " extension [main/handle.sh enable]",
        "2019/10/02 21:10:04.993817 ERROR Event: name=Microsoft.Azure.RecoveryServices.VMSnapshotLinux, op=Enable,"
        " message=[ExtensionError] Non-zero exit code: 127, main/handle.sh enable",
        "[stdout]", "", "", "[stderr]", not_found, ", duration=0",
    ], {"CommandExecution.log": [
        "2019/10/02 21:10:04.993817 ERROR [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9117.0] Non-zero"
        " exit code: 127, main/handle.sh enable", "[stdout]", "", "", "[stderr]", not_found,
    ]})
    found = _findings(root)
    assert _strong(found) == ["python-missing-linux"], found
    # The exit code and the shell's words are two signatures, seen in two files.
    assert found["python-missing-linux"] >= 0.8, found


def test_shell_log_python_version_unknown_is_the_python_cause(tmp_path: Path) -> None:
    # formats.md §1.2.4: handle.sh found an interpreter but not a version it can run (rc 3).
    root = _linux_bundle(tmp_path / "shell", [], {"shell.log": [
        "Thu May  2 10:31:17 UTC 2024- ConfigSequenceNumber from environment variable seqNo:42",
        "Thu May  2 10:31:17 UTC 2024- python path exists",
        "Thu May  2 10:31:18 UTC 2024- python version unknown",
        "Thu May  2 10:31:18 UTC 2024- 3 returned from handle.py",
    ]})
    assert _strong(_findings(root)) == ["python-missing-linux"], _findings(root)


def test_exit_127_of_another_extension_is_not_the_backup_extensions_python(tmp_path: Path) -> None:
    # The same exit code and env message from an old extension on a python3-only VM: not the backup extension.
    root = _linux_bundle(tmp_path / "other", [
        "2024-05-01T10:40:17.410987Z ERROR ExtHandler ExtHandler Event: name=Microsoft.OSTCExtensions."
        "CustomScriptForLinux, op=Enable, message=[ExtensionOperationError] Non-zero exit code: 127, customscript.py"
        " -enable",
        "[stdout]", "", "", "[stderr]", "/usr/bin/env: 'python': No such file or directory", ", duration=0",
    ])
    assert "python-missing-linux" not in _findings(root)


@pytest.mark.parametrize(("line", "entry_id"), [
    # formats.md §1.2.3 status-report echo: the status code's name on the record's second line.
    ("Enable,error,122,T:S ###### Enable failed\n StatusCode.FailedRetryableFsFreezeTimeout, ,True",
     "FailedRetryableFsFreezeTimeout"),
    ("Enable,error,16,T:S Enable failed\n StatusCode.FailedHandlerGuestAgentCertificateNotFound, ,True",
     "FailedHandlerGuestAgentCertificateNotFound"),
    ("Enable,error,17,T:S Enable failed\n StatusCode.FailedInvalidDataDiskLunList, ,True",
     "FailedInvalidDataDiskLunList"),
    ("Enable,error,501,T:S Enable failed\n StatusCode.FailedWorkloadQuiesceError, ,True", "FailedWorkload"),
    # formats.md §2.6 rows 74-75: the post-script twins of the pre-script messages, the root-owner check.
    ("Postscript for oracle timed out.", "FailedPrepost"),
    ("Postscript for oracle failed with error code: 2 .", "FailedPrepost"),
    ("The owner of the PostScript file /etc/azure/postscript.sh is oracle but not root", "FailedPrepost"),
    ("Error in reading PluginHost config file : File contains no section headers., stack trace: Traceback",
     "FailedPrepost"),
])
def test_extension_log_messages_and_status_codes_of_formats_reference(
        tmp_path: Path, line: str, entry_id: str) -> None:
    root = _linux_bundle(tmp_path / "ext", [], {"extension.log": [
        "2024-05-01 10:31:18.004112 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]sequence number from"
        " environment variable is 41",
        f"2024-05-01 10:31:32.007000 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]{line}",
    ]})
    assert _findings(root).get(entry_id, 0.0) >= 0.65, _findings(root)


def test_dependent_extension_that_did_not_succeed_is_a_failed_extension(tmp_path: Path) -> None:
    # formats.md §2.5 row 52, the wording beside "did not reach a terminal state".
    root = _linux_bundle(tmp_path / "dep", [
        "2024-01-10T10:12:10.101010Z WARNING ExtHandler ExtHandler Dependent Extension"
        " Microsoft.Azure.Extensions.CustomScript did not succeed. Status was error",
    ])
    assert _strong(_findings(root)) == ["extension-provisioning-failed"], _findings(root)
