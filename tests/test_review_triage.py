"""Review findings on triage: a ticket alone is no clean bill, one line is one evidence line, a time
window that misses every log line says so, and a portal code's finding shows the log lines of the
extension codes that surface as it."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

import logparse
from logparse import batch
from logparse.analysis import unknown_layout_only
from logparse.catalogue import load_catalogue
from logparse.cli import main
from logparse.diagnose import Diagnosis
from logparse.findings import Evidence, Finding
from tests.conftest import FIXTURES
from tests.packing import write_tree

_NONETWORK = FIXTURES / "bundles" / "linux_nonetwork_snapshot"
_EXT_DIR = "var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux"
_EXT_LOG = f"{_EXT_DIR}/extension.log"


def _finding(result: logparse.TriageResult, entry_id: str) -> Finding:
    return next(f for f in result.findings if f.id == entry_id)


def _places(finding: Finding) -> list[tuple[str, int]]:
    return [(e.path, e.line) for e in finding.evidence]


# -- 1. a ticket alone ---------------------------------------------------------------------------------------

_HEALTHY_WORDS = "no sign of a healthy"


def test_a_ticket_alone_that_matches_nothing_is_no_clean_bill(tmp_path: Path) -> None:
    # ticket.txt is job error text by its name: a known layout, but it says nothing of the VM.
    bundle = write_tree(tmp_path / "a", {"ticket.txt": b"lorem ipsum\n"})
    for source in (bundle, bundle / "ticket.txt"):
        result = logparse.triage(str(source))
        assert [(f.format, f.status) for f in result.files] == [("job_error", "analyzed")]
        assert not result.findings_at(0.5)
        assert unknown_layout_only(result)
        [warning] = [w for w in result.warnings if _HEALTHY_WORDS in w]
        assert "ticket.txt read as job error text" in warning
    # A ticket that matches, or one beside a log of the VM: no such warning.
    ticket = (_NONETWORK / "ticket.txt").read_bytes()
    healthy = (FIXTURES / "bundles" / "linux_healthy" / "var" / "log" / "waagent.log").read_bytes()
    matched = write_tree(tmp_path / "matched", {"ticket.txt": ticket})
    beside = write_tree(tmp_path / "beside", {"ticket.txt": b"lorem ipsum\n", "var/log/waagent.log": healthy})
    for source in (matched, beside):
        result = logparse.triage(str(source))
        assert not unknown_layout_only(result)
        assert not any(_HEALTHY_WORDS in w for w in result.warnings), result.warnings


def test_batch_records_a_ticket_alone_as_failed(tmp_path: Path) -> None:
    healthy = (FIXTURES / "bundles" / "linux_healthy" / "var" / "log" / "waagent.log").read_bytes()
    write_tree(tmp_path / "nf", {"a/ticket.txt": b"lorem ipsum\n",
                                 "b/ticket.txt": (_NONETWORK / "ticket.txt").read_bytes(),
                                 "c/ticket.txt": b"lorem ipsum\n", "c/var/log/waagent.log": healthy})
    db = tmp_path / "x.sqlite"
    report = batch.run_batch([str(tmp_path / "nf")], db)
    assert (report.triaged, report.failed) == (2, 1)
    with sqlite3.connect(db) as conn:
        rows = {Path(location).name: (status, error)
                for location, status, error in conn.execute("SELECT location, status, error FROM bundles")}
    status, error = rows.pop("a")
    assert status == "error" and error.startswith("no known log layout") and "ticket.txt" in error
    assert rows == {"b": ("ok", None), "c": ("ok", None)}  # a ticket that matches; one beside a log


# -- 2. one line, one evidence line --------------------------------------------------------------------------

def _job(code: str, message: str, start: str, end: str) -> bytes:
    """A backup job as ``az backup job show`` prints it, failed with ``code``."""
    doc = {
        "id": "/subscriptions/3f2a9c4e-81b7-4d62-a0c5-7e19d04b6a11/resourceGroups/rg-vault/providers/"
              "Microsoft.RecoveryServices/vaults/rsv-prod/backupJobs/5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
        "name": "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
        "properties": {
            "backupManagementType": "AzureIaasVM",
            "endTime": end,
            "entityFriendlyName": "vm-web-03",
            "errorDetails": [{"errorCode": code, "errorString": message,
                              "recommendations": ["Retry the operation."]}],
            "jobType": "AzureIaaSVMJob",
            "operation": "Backup",
            "startTime": start,
            "status": "Failed",
        },
        "type": "Microsoft.RecoveryServices/vaults/backupJobs",
    }
    return json.dumps(doc, indent=2).encode()


_NONETWORK_JOB = _job("ExtensionSnapshotFailedNoNetwork",
                      "Snapshot operation failed due to no network connectivity on the virtual machine.",
                      "2024-05-06T01:30:01+00:00", "2024-05-06T02:32:18+00:00")


def _code_line(doc: bytes) -> int:
    return next(i for i, line in enumerate(doc.decode().split("\n"), 1) if '"errorCode"' in line)


@pytest.mark.parametrize("given", [True, False], ids=["--state", "in the bundle"])
def test_a_job_line_both_stated_and_matched_is_one_evidence_line(tmp_path: Path, given: bool) -> None:
    # The job document is read as a state document and as job error text: its errorCode line came
    # out twice (and under two paths for an absolute --state FILE), evidence_count counting both.
    healthy = (FIXTURES / "bundles" / "linux_healthy" / "var" / "log" / "waagent.log").read_bytes()
    if given:
        (tmp_path / "job.json").write_bytes(_NONETWORK_JOB)
        bundle = write_tree(tmp_path / "b", {"var/log/waagent.log": healthy})
        result = logparse.triage(str(bundle), state_files=[str(tmp_path / "job.json")])
    else:
        bundle = write_tree(tmp_path / "b", {"var/log/waagent.log": healthy, "backup_job.json": _NONETWORK_JOB})
        result = logparse.triage(str(bundle))
    finding = _finding(result, "ExtensionSnapshotFailedNoNetwork")
    places = _places(finding)
    assert len(places) == len(set(places)) == finding.evidence_count, places
    [told] = [e for e in finding.evidence if e.line == _code_line(_NONETWORK_JOB)]
    assert told.source == "state" and "errorCode: ExtensionSnapshotFailedNoNetwork" in told.text  # the richer text
    assert finding.evidence_count == 2  # the code's line and the message's


def test_jsonl_counts_the_job_line_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "job.json").write_bytes(_NONETWORK_JOB)
    main(["triage", str(FIXTURES / "bundles" / "linux_healthy"), "--state", str(tmp_path / "job.json"),
          "--format", "jsonl"])
    row = next(json.loads(line) for line in capsys.readouterr().out.splitlines()
               if json.loads(line)["id"] == "ExtensionSnapshotFailedNoNetwork")
    assert row["evidence_count"] == len(row["evidence"]) == len(set(row["evidence"])) == 2, row["evidence"]


def test_a_statement_and_its_plain_line_merge_in_any_order_and_a_weak_one_leaves_the_plain_line() -> None:
    catalogue = load_catalogue()
    code = "ExtensionSnapshotFailedNoNetwork"
    stated = Evidence("job.json", 12, f"properties.errorDetails[0].errorCode: {code}", None, "state")
    plain = Evidence("job.json", 12, f'"errorCode": "{code}",', None, "ticket")
    for first, second in ((stated, plain), (plain, stated)):
        diagnosis = Diagnosis(catalogue)
        for evidence in (first, second):
            diagnosis.stated(code, 0.9, evidence, "job error code" if evidence is stated else "job error text (code)")
        [finding] = diagnosis.findings()
        assert (finding.evidence, finding.evidence_count) == ([stated], 1)
    # A statement too weak to be cited leaves the line as job error text, still counted.
    diagnosis = Diagnosis(catalogue)
    diagnosis.stated(code, 0.3, stated, "job error string matches it")
    diagnosis.stated(code, 0.9, plain, "job error text (code)")
    [finding] = diagnosis.findings()
    assert (finding.evidence, finding.evidence_count) == ([plain], 1)


# -- 3. a time window that holds none of the logs ------------------------------------------------------------

def _window_warnings(result: logparse.TriageResult) -> list[str]:
    return [w for w in result.warnings if "timed log line(s)" in w]


@pytest.mark.parametrize("window", [{"since": datetime(2030, 1, 1, tzinfo=UTC)},
                                    {"until": datetime(2000, 1, 1, tzinfo=UTC)}], ids=["since", "until"])
def test_a_window_that_holds_no_log_line_says_so(window: dict[str, datetime]) -> None:
    result = logparse.triage(str(_NONETWORK), **window)
    assert not any(f.evidence and all(e.source == "log" for e in f.evidence) for f in result.findings)
    [warning] = _window_warnings(result)
    # How many lines fell outside, when the logs run, and that the left-out lines held known errors.
    assert "holds none of the" in warning and "which run from 2024-05-03" in warning and " to 2024-05-06" in warning
    assert "no-network-wireserver" in warning and "of them matching" in warning
    assert ("2030-01-01T00:00:00+00:00 .." if "since" in window else ".. 2000-01-01T00:00:00+00:00") in warning
    # A window that holds log lines, or one with no timed line at all to judge: no such warning.
    held = logparse.triage(str(_NONETWORK), since=datetime(2024, 5, 6, 1, tzinfo=UTC))
    assert not _window_warnings(held) and len(held.findings_at(0.5)) >= 3
    assert not _window_warnings(logparse.triage(str(_NONETWORK / "ticket.txt"), **window))


def test_the_cli_warns_of_a_window_after_every_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", str(_NONETWORK), "--since", "2030-01-01", "--json"]) == 0
    assert any("holds none of the 172 timed log line(s)" in w for w in json.loads(capsys.readouterr().out)["warnings"])


# -- 4. a portal code's finding shows the lines of the codes that surface as it ------------------------------

_PREFIX = "[Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]"
# VMSnapshotLinux extension.log, Python 3 layout (formats.md §1.2.3): UTC time, the prefix, no space,
# no level; safefreeze's own lines inside the binary output traces keep their local-time stamp.
_FREEZE_LOG = "".join(f"2024-05-01 10:31:{s} {_PREFIX}{text}\n" for s, text in [
    ("18.004112", "sequence number from environment variable is 41"),
    ("20.551077", "T:S freeze, timeout value 90"),
    ("31.100300", "============== Binary output traces start ================= "),
    ("31.100400", "2024-05-01 10:31:20 ****** 2. Binary Freeze Started"),
    ("31.100500", "2024-05-01 10:31:20 Failed to FIFREEZE: /srv/pgdata with error message: Device or resource busy"),
    ("31.100600", "============== Binary output traces end ================= "),
])
_FREEZE_LINE = 5


def test_the_portal_code_finding_shows_the_fifreeze_line(tmp_path: Path) -> None:
    bundle = write_tree(tmp_path / "b", {_EXT_LOG: _FREEZE_LOG.encode()})
    error = "Error Code | UserErrorFsFreezeFailed"
    result = logparse.triage(str(bundle), error_text=error)
    top = result.findings_at(0.5)[0]
    assert top.id == "UserErrorFsFreezeFailed"
    # The score rule stays: the pasted code alone rates it so.
    alone = _finding(logparse.triage(str(write_tree(tmp_path / "e", {"os-release": b"ID=ubuntu\n"})),
                                     error_text=error), "UserErrorFsFreezeFailed")
    assert top.confidence == alone.confidence
    assert ("--error", 1) in _places(top) and (_EXT_LOG, _FREEZE_LINE) in _places(top)
    shown = [(e.path, e.line) for e in top.shown()]
    assert (_EXT_LOG, _FREEZE_LINE) in shown and ("--error", 1) in shown
    assert any("FailedRetryableFsFreezeFailed" in r for r in top.reasons)
    # The extension code keeps its own finding and lines.
    assert _places(_finding(result, "FailedRetryableFsFreezeFailed")) == [(_EXT_LOG, _FREEZE_LINE)]


def test_a_hint_below_the_floor_lends_no_lines_to_a_stronger_portal_code() -> None:
    catalogue = load_catalogue()
    diagnosis = Diagnosis(catalogue)
    pasted = Evidence("--error", 1, "Error Code | UserErrorFsFreezeFailed", None, "--error")
    hint = Evidence("ticket.txt", 3, "some mount would not freeze", None, "ticket")
    logged = Evidence(_EXT_LOG, 5, "Failed to FIFREEZE: /srv/pgdata", "2024-05-01T10:31:31.100500+00:00")
    diagnosis.stated("UserErrorFsFreezeFailed", 0.985, pasted, "job error text (code)")
    diagnosis.stated("FailedRetryableFsFreezeFailed", 0.35, hint, "job error text (message)")
    diagnosis.stated("FailedRetryableFsFreezeTimeout", 0.65, logged, "a log line")
    diagnosis.stated("UserErrorFsFreezeTimeout", 0.95, pasted, "job error text (code)")
    found = {f.id: f for f in diagnosis.findings()}
    assert found["UserErrorFsFreezeFailed"].evidence == [pasted]
    assert found["UserErrorFsFreezeTimeout"].evidence == [pasted, logged]
    assert found["UserErrorFsFreezeTimeout"].confidence == 0.95


def test_a_backup_job_error_shows_the_no_network_log_lines(tmp_path: Path) -> None:
    (tmp_path / "job.json").write_bytes(_NONETWORK_JOB)
    tree = {p.relative_to(_NONETWORK).as_posix(): p.read_bytes() for p in _NONETWORK.rglob("*")
            if p.is_file() and p.name not in ("ticket.txt", "expected.toml")}
    result = logparse.triage(str(write_tree(tmp_path / "b", tree)), state_files=[str(tmp_path / "job.json")])
    top = result.findings_at(0.5)[0]
    assert top.id == "ExtensionSnapshotFailedNoNetwork"
    extension = _places(_finding(result, "FailedRetryableSnapshotFailedNoNetwork"))
    assert extension and set(extension) <= set(_places(top))
    # The job's own statement and a log line of the job's window among the lines shown first.
    shown = top.shown()
    assert any(e.source == "state" for e in shown)
    assert any(e.path == _EXT_LOG and i in top.in_window
               for i, e in ((top.evidence.index(e), e) for e in shown))
    assert top.evidence_count == len(set(_places(top)))
