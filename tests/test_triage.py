"""logparse triage: the JSON contract, exit codes, windows, tickets, templates and hostile inputs."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import logparse
from logparse.cli import main
from tests.conftest import FIXTURES
from tests.packing import Entry, gzip_bomb, hostile_tar, pack, tar_gz_bomb, write_tree, zip_bad_crc

WAAGENT = (FIXTURES / "formats" / "waagent" / "g3_current.log").read_bytes()
TREE = {
    "var/log/waagent.log": WAAGENT,
    "etc/waagent.conf": b"Extensions.Enabled=n\nProvisioning.Agent=auto\n",
    "var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log":
        b"2023-07-08 00:00:02.500500 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]T:S Enable failed with "
        b"FailedRetryableSnapshotFailedNoNetwork error StatusCode.FailedRetryableSnapshotFailedNoNetwork,\n",
}
HEALTHY = {
    "var/log/waagent.log": b"2024-05-01T10:00:03.412907Z INFO Daemon Daemon Azure Linux Agent Version: 2.10.0.8\n"
    b"2024-05-01T10:00:07.551290Z INFO ExtHandler ExtHandler Azure Linux Agent (Goal State Agent version 2.10.0.8)\n"
    b"2024-05-01T10:30:00.000000Z WARNING ExtHandler ExtHandler Disk usage of /var/log is 51%\n"
    b"2024-05-01T11:30:00.000000Z WARNING ExtHandler ExtHandler Disk usage of /var/log is 52%\n",
    "etc/waagent.conf": b"Extensions.Enabled=y\nProvisioning.Agent=auto\n",
}
CONTRACT_FINDING = {"id", "kind", "confidence", "title", "evidence", "remediation", "doc"}
CONTRACT_FILE = {"path", "format", "status", "reason", "lines"}


def _ids(result: logparse.TriageResult, threshold: float = 0.5) -> set[str]:
    return {f.id for f in result.findings_at(threshold)}


def test_json_keeps_the_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, TREE)
    assert main(["triage", str(tmp_path), "--json", "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"findings", "files", "unrecognized", "warnings"} <= set(data)
    assert data["findings"] and all(CONTRACT_FINDING <= set(f) for f in data["findings"])
    assert all({"path", "line", "text"} <= set(e) for f in data["findings"] for e in f["evidence"])
    assert all(CONTRACT_FILE <= set(f) and f["status"] in ("analyzed", "skipped", "failed") for f in data["files"])
    found = {f["id"] for f in data["findings"] if f["confidence"] >= 0.5}
    assert {"agent-config-options-linux", "FailedRetryableSnapshotFailedNoNetwork",
            "ExtensionSnapshotFailedNoNetwork", "no-network-wireserver"} <= found
    conf = next(f for f in data["findings"] if f["id"] == "agent-config-options-linux")
    assert any(e["path"] == "etc/waagent.conf" and e["line"] == 1 for e in conf["evidence"])


def test_healthy_bundle_has_no_finding_and_keeps_unrecognised_warnings(tmp_path: Path) -> None:
    write_tree(tmp_path, HEALTHY)
    result = logparse.triage(str(tmp_path))
    assert not result.findings_at(0.5)
    (template,) = result.unrecognized
    assert template.count == 2 and "<N>%" in template.template and template.level == "WARNING"
    # Each example is dated from its own header, as an evidence line is (it was always null).
    assert template.examples and all(e.timestamp and e.text.startswith(e.timestamp[:10]) for e in template.examples)


def test_fail_on_sets_exit_code_1(tmp_path: Path) -> None:
    write_tree(tmp_path, TREE)
    assert main(["triage", str(tmp_path), "--quiet", "--fail-on", "0.5"]) == 1
    assert main(["triage", str(tmp_path), "--quiet", "--fail-on", "0.999"]) == 0
    healthy = tmp_path / "healthy"
    write_tree(healthy, HEALTHY)
    assert main(["triage", str(healthy), "--quiet", "--fail-on", "any"]) == 0


def test_since_until_focus_the_window(tmp_path: Path) -> None:
    write_tree(tmp_path, {"var/log/waagent.log": WAAGENT})
    everything = logparse.triage(str(tmp_path))
    from datetime import UTC, datetime

    late = logparse.triage(str(tmp_path), since=datetime(2024, 5, 1, 10, 6, tzinfo=UTC))
    assert "no-network-wireserver" in _ids(everything)
    goal_state = [e for f in late.findings if f.id == "no-network-wireserver" for e in f.evidence]
    assert all(e.timestamp is None or e.timestamp >= "2024-05-01T10:06" for e in goal_state)
    assert not any("Error fetching the goal state" in e.text for e in goal_state)


def test_error_text_alone_and_a_ticket_file(tmp_path: Path) -> None:
    write_tree(tmp_path, HEALTHY)
    result = logparse.triage(str(tmp_path), error_text="Error Code\tUserErrorGuestAgentStatusUnavailable")
    assert _ids(result) == {"UserErrorGuestAgentStatusUnavailable"}
    ticket = tmp_path / "ticket.txt"
    ticket.write_text("Hi team, backup fails every night.\n错误代码：GuestAgentSnapshotTaskStatusError\n"
                      "Also saw this in the log:\n2024-05-01T10:06:02.113009Z WARNING EnvHandler ExtHandler "
                      "Dhcp client is not running.\n", encoding="utf-8")
    alone = logparse.triage(str(ticket))
    assert {"GuestAgentSnapshotTaskStatusError", "dhcp-disabled"} <= _ids(alone)
    evidence = next(f for f in alone.findings if f.id == "dhcp-disabled").evidence[0]
    assert evidence.line == 4


def test_error_text_is_the_backup_jobs_so_a_platform_code_counts(tmp_path: Path) -> None:
    # --error is the failed backup job's own text: ResourceNotFound in it is the job's error, even
    # though the block never says "backup" (``logparse match`` alone only hints at it).
    write_tree(tmp_path, HEALTHY)
    block = ("Error Code\tResourceNotFound\nError Message\tCould not perform the operation as VM no longer "
             "exists.\nRecommended Action\tRetry the operation.\n")
    finding = next(f for f in logparse.triage(str(tmp_path), error_text=block).findings if f.id == "ResourceNotFound")
    assert finding.confidence >= 0.9


def test_error_text_with_a_wrapped_code_points_at_its_first_line(tmp_path: Path) -> None:
    write_tree(tmp_path, HEALTHY)
    text = "Job 7f3a failed\nError Code: ExtensionSnapsho\ntFailedNoNetwork\n"
    finding = next(f for f in logparse.triage(str(tmp_path), error_text=text).findings
                   if f.id == "ExtensionSnapshotFailedNoNetwork")
    assert finding.confidence >= 0.95
    assert (finding.evidence[0].line, finding.evidence[0].text) == (2, "Error Code: ExtensionSnapsho")


def test_unknown_code_in_a_ticket_surfaces(tmp_path: Path) -> None:
    ticket = tmp_path / "case.ticket.txt"
    ticket.write_text("Error Code | UserErrorBrandNewFailureMode\nError Message | Something new happened\n")
    result = logparse.triage(str(ticket))
    assert any(f.kind == "unknown-code" and f.id == "UserErrorBrandNewFailureMode" for f in result.findings)


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "tar.bz2", "tar.xz", "tar.zst", "zip"])
def test_same_findings_in_every_container(tmp_path: Path, kind: str) -> None:
    write_tree(tmp_path / "tree", TREE)
    reference = [(f.id, f.confidence) for f in logparse.triage(str(tmp_path / "tree")).findings]
    archive = tmp_path / f"bundle.{kind}"
    archive.write_bytes(pack(TREE, kind))
    assert [(f.id, f.confidence) for f in logparse.triage(str(archive)).findings] == reference


def test_stdin_gives_the_same_findings(tmp_path: Path) -> None:
    write_tree(tmp_path, TREE)
    reference = {f.id for f in logparse.triage(str(tmp_path)).findings_at(0.5)}
    proc = subprocess.run([sys.executable, "-m", "logparse", "triage", "-", "--json"],
                          input=pack(TREE, "tar.gz"), capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert {f["id"] for f in json.loads(proc.stdout)["findings"] if f["confidence"] >= 0.5} == reference


def _run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "logparse", "triage", *args, "--json"], input=stdin,
                          capture_output=True, timeout=300, check=False)


def test_hostile_members_are_listed_and_the_rest_analysed(tmp_path: Path) -> None:
    before = set(os.listdir(tmp_path))
    evil = hostile_tar([
        Entry("../../etc/passwd", data=b"root:x:0:0\n"),
        Entry("/etc/shadow", data=b"x\n"),
        Entry("var/log/link", kind=tarfile.SYMTYPE, link="/etc/passwd"),
        Entry("var/log/hard", kind=tarfile.LNKTYPE, link="var/log/waagent.log"),
        Entry("dev/null", kind=tarfile.CHRTYPE),
        Entry("var/log/waagent.log", data=WAAGENT),
    ])
    proc = _run_cli("-", stdin=evil)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    status = {f["path"]: (f["status"], f["reason"]) for f in data["files"]}
    assert status["var/log/waagent.log"][0] == "analyzed"
    skipped = [s for s in status.values() if s[0] == "skipped"]
    assert len(skipped) == 5 and all(reason for _, reason in skipped)
    assert "no-network-wireserver" in {f["id"] for f in data["findings"]}
    assert set(os.listdir(tmp_path)) == before


def test_bomb_truncation_bad_crc_random_and_empty(tmp_path: Path) -> None:
    # 256 MiB of zeros: skipped (binary), its data inflated past (under sources.SKIP_GRACE, so not
    # judged a bomb), and the member after it read. Bigger bombs end the archive (test_sources).
    bomb = tar_gz_bomb(tmp_path / "bomb.tar.gz", size=256 << 20, after={"var/log/waagent.log": WAAGENT})
    proc = _run_cli(str(bomb))
    assert b"Traceback" not in proc.stderr and proc.returncode == 0
    data = json.loads(proc.stdout)
    assert [(f["path"], f["status"]) for f in data["files"]] == [
        ("var/log/zeros.log", "skipped"), ("var/log/waagent.log", "analyzed")]

    packed = pack(TREE, "tar.gz")
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    proc = _run_cli(str(cut))
    assert b"Traceback" not in proc.stderr and proc.returncode in (0, 2)
    if proc.returncode == 0:
        assert json.loads(proc.stdout)["warnings"]

    crc = tmp_path / "crc.zip"
    crc.write_bytes(zip_bad_crc(TREE, "etc/waagent.conf"))
    data = json.loads(_run_cli(str(crc)).stdout)
    conf = next(f for f in data["files"] if f["path"] == "etc/waagent.conf")
    # One byte flipped: all of it read, and said to be damaged rather than cut.
    assert (conf["status"], conf["truncated"], conf["damaged"]) == ("analyzed", False, True)
    assert conf["reason"].startswith("etc/waagent.conf: damaged: zip CRC-32 mismatch")
    assert "no-network-wireserver" in {f["id"] for f in data["findings"]}

    noise = tmp_path / "random.bin"
    noise.write_bytes(random.Random(3).randbytes(20000))
    proc = _run_cli(str(noise))
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr and proc.stderr.count(b"\n") == 1

    proc = _run_cli("-", stdin=b"")
    assert proc.returncode == 2 and b"empty" in proc.stderr and b"Traceback" not in proc.stderr

    single = gzip_bomb(tmp_path / "bomb.gz", size=64 << 20)
    proc = _run_cli(str(single))
    assert b"Traceback" not in proc.stderr and proc.returncode in (0, 2)


def test_a_cut_compressed_log_keeps_what_it_held(tmp_path: Path) -> None:
    # A rotated log cut short (a copy that stopped): the lines before the cut are evidence.
    import gzip

    packed = gzip.compress(WAAGENT)
    cut = tmp_path / "var" / "log" / "waagent.log.1.gz"
    cut.parent.mkdir(parents=True)
    cut.write_bytes(packed[: int(len(packed) * 0.95)])
    whole = logparse.triage(str(tmp_path / "var" / "log" / "waagent.log.1.gz"))  # alone: no "nothing readable"
    for result in (whole, logparse.triage(str(tmp_path))):
        assert "no-network-wireserver" in _ids(result)
        report = next(f for f in result.files if f.path.endswith("waagent.log.1.gz"))
        assert (report.status, report.truncated) == ("analyzed", True)
        assert "truncated" in (report.reason or "") and 0 < report.lines < WAAGENT.count(b"\n")


def test_junk_after_a_compressed_log_is_named_not_fatal(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "waagent.log.1.gz").write_bytes(gzip.compress(WAAGENT) + b"<html>404</html>")
    result = logparse.triage(str(tmp_path))
    report = next(f for f in result.files if f.path.endswith("waagent.log.1.gz"))
    assert (report.status, report.truncated, report.lines) == ("analyzed", False, WAAGENT.count(b"\n"))
    assert "after the compressed data ignored" in (report.reason or "")
    assert "no-network-wireserver" in _ids(result) and any("ignored" in w for w in result.warnings)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-16-le-no-bom", "utf-16-be-no-bom"])
def test_a_utf16_agent_log_gives_what_its_utf8_copy_gives(tmp_path: Path, codec: str) -> None:
    bundle = FIXTURES / "bundles" / "windows_dhcp_disabled"
    plain = logparse.triage(str(bundle))
    log = "WindowsAzure/Logs/WaAppAgent.log"
    text = (bundle / log).read_text(encoding="utf-8")
    if codec == "utf-16-be":
        data = "\ufeff".encode("utf-16-be") + text.encode("utf-16-be")
    elif codec == "utf-16-be-no-bom":
        data = text.encode("utf-16-be")
    else:
        data = text.encode("utf-16-le" if codec.endswith("no-bom") else "utf-16")
    tree = {str(p.relative_to(bundle)): p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    tree[log] = data
    write_tree(tmp_path, tree)
    wide = logparse.triage(str(tmp_path))

    def evidence(result: logparse.TriageResult) -> list[tuple[str, int, str]]:
        return sorted((e.path, e.line, e.text) for f in result.findings if f.id == "dhcp-disabled" for e in f.evidence)

    assert _ids(wide) == _ids(plain) and "dhcp-disabled" in _ids(wide)
    assert evidence(wide) == evidence(plain)
    assert next(f.lines for f in wide.files if f.path == log) == next(f.lines for f in plain.files if f.path == log)


def test_binary_data_named_like_a_log_is_not_an_all_clear(tmp_path: Path) -> None:
    noise = random.Random(5).randbytes(200_000)
    write_tree(tmp_path, {"var/log/waagent.log": noise, "var/log/waagent.log.1": WAAGENT})
    result = logparse.triage(str(tmp_path))
    report = next(f for f in result.files if f.path == "var/log/waagent.log")
    assert (report.status, report.reason) == ("skipped", "binary data, not a waagent log")
    assert "no-network-wireserver" in _ids(result)  # the readable rotation still counts
    # A real log with a NUL block (left by a crash) is still read.
    padded = WAAGENT[:2000] + b"\x00" * 6000 + WAAGENT[2000:]
    write_tree(tmp_path / "padded", {"var/log/waagent.log": padded})
    assert next(f for f in logparse.triage(str(tmp_path / "padded")).files).status == "analyzed"


@pytest.mark.parametrize("size", [4 << 10, 64 << 10, 1 << 20])
def test_chunk_size_changes_no_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    # Chunks are how the scan reads, not what it finds: template examples are a file's first lines
    # of the template (two timestamp layouts make two shapes of one template), whatever the cut.
    from benches.gen_waagent import generate
    from logparse import analysis, scanner

    lines = list(generate(20_000, seed=7))
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "waagent.log").write_text("\n".join(lines) + "\n")
    default = logparse.triage(str(tmp_path)).to_dict()
    monkeypatch.setattr(analysis, "byte_chunks", lambda stream, _size=0: scanner.byte_chunks(stream, size))
    cut = logparse.triage(str(tmp_path)).to_dict()
    for key in ("findings", "unrecognized", "files", "timeline"):
        assert cut[key] == default[key], key
    layouts = {example["text"][4] for t in default["unrecognized"] for example in t["examples"]}
    assert layouts >= {"/", "-"}, "the generated log mixes two timestamp layouts"


def test_read_ahead_thread_gives_the_same_result(tmp_path: Path) -> None:
    from benches.gen_waagent import generate

    lines = list(generate(40_000, seed=5))
    lines.insert(12_345, "2024-05-01T10:06:02.113009Z WARNING EnvHandler ExtHandler Dhcp client is not running.")
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "waagent.log").write_text("\n".join(lines) + "\n")
    serial = logparse.triage(str(tmp_path), jobs=1).to_dict()
    pooled = logparse.triage(str(tmp_path), jobs=2).to_dict()
    assert serial["findings"] == pooled["findings"] and serial["unrecognized"] == pooled["unrecognized"]
    assert "dhcp-disabled" in {f["id"] for f in serial["findings"]}
    assert serial["files"][0]["lines"] == len(lines)


def test_a_closed_pipe_ends_triage_quietly() -> None:
    bundle = FIXTURES / "bundles" / "linux_nonetwork_snapshot"
    proc = subprocess.run(f"{sys.executable} -m logparse triage {bundle} --quiet | head -1; exit ${{PIPESTATUS[0]}}",
                          shell=True, executable="/bin/bash", capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr and proc.stdout.count(b"\n") == 1


# -- evidence: lines counted once, many kept, the telling ones shown ------------------------------
NONET = FIXTURES / "bundles" / "linux_nonetwork_snapshot"
# One agent line that two signatures of no-network-wireserver match (HostGAPlugin, and the timed-out call).
DOUBLE = (b"2024-05-05T14:13:12.795216Z ERROR ExtHandler ExtHandler HostGAPlugin: Exception Get API versions: "
          b"[HttpError] [HTTP Failed] GET http://168.63.129.16:32526/versions -- IOError timed out -- "
          b"6 attempts made\n")


def _finding(result: logparse.TriageResult, finding_id: str) -> logparse.Finding:
    return next(f for f in result.findings if f.id == finding_id)


def _report(result: logparse.TriageResult, fmt: str, **options: object) -> str:
    import io

    from logparse.render import RenderOptions, render

    out = io.StringIO()
    render(result, fmt, out, RenderOptions(width=200, **options))  # type: ignore[arg-type]
    return out.getvalue()


def test_evidence_count_is_distinct_lines_not_signature_hits() -> None:
    # waagent.log 171-217: 10 lines, five of which two signatures match (15 signature hits).
    finding = _finding(logparse.triage(str(NONET)), "no-network-wireserver")
    assert (finding.evidence_count, finding.signature_hits) == (10, 15)
    assert finding.reasons[0] == "2 log signature(s), 10 line(s)"
    assert len({(e.path, e.line) for e in finding.evidence}) == len(finding.evidence) == 10
    data = finding.to_dict()
    assert (data["evidence_count"], data["signature_hits"], data["evidence_dropped"]) == (10, 15, 0)


def test_one_line_two_signatures_is_one_line_in_every_format(tmp_path: Path) -> None:
    write_tree(tmp_path, {"var/log/waagent.log": DOUBLE})
    result = logparse.triage(str(tmp_path))
    finding = _finding(result, "no-network-wireserver")
    assert (finding.evidence_count, finding.signature_hits, len(finding.evidence)) == (1, 2, 1)
    assert finding.reasons[0] == "2 log signature(s), 1 line(s)"
    assert "more line" not in _report(result, "table")
    markdown = _report(result, "markdown")
    assert "Evidence (1 line(s))" in markdown and "more" not in markdown
    assert "of 2)" not in _report(result, "html")
    row = next(r for r in _csv_rows(_report(result, "csv")) if r["id"] == "no-network-wireserver")
    assert row["evidence_count"] == "1"


def _csv_rows(text: str) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text)))


def _wireserver_lines(count: int) -> bytes:
    return "".join(f"2024-05-{1 + n // 1440:02d}T{n // 60 % 24:02d}:{n % 60:02d}:00.000000Z WARNING ExtHandler "
                   f"ExtHandler [PERIODIC] Request failed using the direct channel. Error: [HttpError] [HTTP Failed] "
                   f"PUT http://168.63.129.16:32526/status -- IOError timed out -- {n} attempts made\n"
                   for n in range(count)).encode()


def test_json_and_per_evidence_csv_keep_many_lines_and_say_what_the_cap_dropped(tmp_path: Path) -> None:
    from logparse.findings import MAX_EVIDENCE

    write_tree(tmp_path, {"var/log/waagent.log": _wireserver_lines(300)})
    result = logparse.triage(str(tmp_path))
    finding = _finding(result, "no-network-wireserver")
    assert MAX_EVIDENCE >= 50 and finding.evidence_count == 300
    assert len(finding.evidence) == MAX_EVIDENCE
    assert finding.to_dict()["evidence_dropped"] == 300 - MAX_EVIDENCE
    lines = [e.line for e in finding.evidence]
    assert 1 in lines and 300 in lines, "the first and the last line are kept"
    assert lines == sorted(lines), "kept lines stay in file order"
    rows = [r for r in _csv_rows(_report(result, "csv", per_evidence=True)) if r["finding"] == finding.id]
    assert len(rows) == MAX_EVIDENCE
    table = _report(result, "table")
    assert f"... {300 - 5} more line(s)" in table and f"--json lists {MAX_EVIDENCE - 5}" in table


def test_the_line_in_the_failing_jobs_window_is_kept_and_shown_first() -> None:
    # The failed backup is the latest snapshot attempts (05-06 01:30 and 02:15 UTC); waagent.log:217
    # (01:36Z) is the only no-network line in its window, and the table shows it first.
    result = logparse.triage(str(NONET))
    finding = _finding(result, "no-network-wireserver")
    assert ("var/log/waagent.log", 217) in [(e.path, e.line) for e in finding.evidence]
    assert [(e.path, e.line) for e in finding.shown(5)][0] == ("var/log/waagent.log", 217)
    table = _report(result, "table")
    block = table[table.index("no-network-wireserver (cause)"):]
    first = next(line for line in block.splitlines()[1:] if "waagent.log:" in line)
    assert "var/log/waagent.log:217 " in first
    assert "... 5 more line(s)" in block.split("\n\n")[0]
    focus = result.stats["evidence_focus"]
    assert focus["since"].startswith("2024-05-05T23:30") and focus["until"] is None  # from 2 h before them on
    assert focus["basis"] == "the latest snapshot attempts"


def test_highlights_cover_first_last_each_signature_and_each_file() -> None:
    from logparse.catalogue import load_catalogue
    from logparse.diagnose import Diagnosis
    from logparse.findings import Evidence

    diagnosis = Diagnosis(load_catalogue())
    for n in range(1, 400):
        stamp = f"2024-05-01T{n // 60:02d}:{n % 60:02d}:00+00:00"
        diagnosis.signature_hit("no-network-wireserver", 0, Evidence("var/log/waagent.log", n, f"a {n}", stamp))
    diagnosis.signature_hit("no-network-wireserver", 1, Evidence("var/log/waagent.log.1", 7, "b", None))
    finding = next(f for f in diagnosis.findings() if f.id == "no-network-wireserver")
    shown = [(e.path, e.line) for e in finding.shown(5)]
    assert {("var/log/waagent.log", 1), ("var/log/waagent.log", 399), ("var/log/waagent.log.1", 7)} <= set(shown)
    assert finding.evidence_count == 400 and len(shown) == 5


def test_evidence_pool_is_bounded_and_counts_exactly() -> None:
    import tracemalloc

    from logparse.diagnose import EvidencePool
    from logparse.findings import Evidence

    def feed(pool: EvidencePool, lines: range) -> None:
        for n in lines:
            stamp = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z"
            evidence = Evidence(f"var/log/f{n % 300}.log", n, "x" * 100, stamp)
            pool.add(evidence, n % 3)
            pool.add(evidence, (n + 1) % 3)  # a second signature on the same line

    pool = EvidencePool()
    tracemalloc.start()
    try:
        feed(pool, range(20_000))
        before = tracemalloc.get_traced_memory()[0]
        feed(pool, range(20_000, 80_000))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert (pool.lines, pool.hits) == (80_000, 160_000)
    assert len(pool.candidates()) <= EvidencePool.BOUND
    assert grown < 256 << 10, f"60,000 more lines grew the pool by {grown} bytes"
