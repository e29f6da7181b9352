"""The command line: every command has help with an example; bad input never gives a traceback."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from logparse.cli import build_parser, main
from tests.conftest import FIXTURES

MIXED = FIXTURES / "formats" / "waagent" / "mixed_generations.log"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "logparse", *args], input=stdin, capture_output=True, timeout=120, check=False
    )


def test_every_command_has_help_with_an_example() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, command in sub.choices.items():  # type: ignore[attr-defined]
        assert "Example:" in command.format_help(), name


def test_parse_jsonl_streams_records(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(MIXED), "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["generation"] for r in rows} >= {"g0", "g1", "g2", "g3"}
    assert rows[0]["path"] == str(MIXED) and rows[0]["line"] == 1


def test_parse_csv_has_stable_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(MIXED), "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.startswith("path,line,format,generation,timestamp,local_time,level")


def test_parse_table_renders(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["parse", str(MIXED), "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "Azure Linux Agent Version" in out and "local" in out


def test_detect_prints_format_and_score(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    named = tmp_path / "var" / "log" / "waagent.log.1"
    named.parent.mkdir(parents=True)
    named.write_bytes(MIXED.read_bytes())
    unnamed = tmp_path / "something.txt"
    unnamed.write_bytes(MIXED.read_bytes())
    assert main(["detect", str(named), str(unnamed)]) == 0
    by_path, by_content = capsys.readouterr().out.splitlines()
    assert by_path.split("\t")[1:] == ["waagent", "1.00", "path"]
    fmt, score, how = by_content.split("\t")[1:]
    assert fmt == "waagent" and float(score) >= 0.75 and how == "content"


def test_gz_zst_and_stdin_give_the_same_records(tmp_path: Path) -> None:
    import zstandard

    data = MIXED.read_bytes()
    gz = tmp_path / "w.log.gz"
    gz.write_bytes(gzip.compress(data))
    zst = tmp_path / "w.log.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(data))
    outs = []
    for args, stdin in (([str(gz)], None), ([str(zst)], None), (["-", "--as", "waagent"], data)):
        proc = run("parse", *args, "--format", "jsonl", stdin=stdin)
        assert proc.returncode == 0, proc.stderr
        rows = [json.loads(x) for x in proc.stdout.splitlines()]
        outs.append([{k: v for k, v in row.items() if k != "path"} for row in rows])
    assert outs[0] == outs[1] == outs[2] and len(outs[0]) > 10


def _assert_one_line_error(proc: subprocess.CompletedProcess[bytes], name: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and name in err


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(bytes(range(256)) * 40, id="binary"),
        pytest.param(b"bad \xff\xfe\xfa utf-8 \xc3\x28\n" * 10, id="invalid-utf8"),
        pytest.param(b"\x00" * 5000 + b"\n", id="nul-bytes"),
        pytest.param(b"", id="empty"),
    ],
)
def test_unrecognisable_input_is_a_one_line_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "input.bin"
    path.write_bytes(content)
    _assert_one_line_error(run("parse", str(path)), "input.bin")


@pytest.mark.parametrize(
    "content",
    [bytes(range(256)) * 40, b"bad \xff\xfe\xfa utf-8 \xc3\x28\n" * 10, b"\x00" * 5000 + b"\n", b""],
    ids=["binary", "invalid-utf8", "nul-bytes", "empty"],
)
def test_forced_format_turns_bad_input_into_records(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "input.bin"
    path.write_bytes(content)
    proc = run("parse", str(path), "--as", "waagent", "--format", "jsonl")
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    assert all(r["generation"] == "unparsed" for r in rows)
    assert sum(1 + len(r["continuation"]) for r in rows) == content.count(b"\n") + (
        0 if content.endswith(b"\n") or not content else 1
    )


def test_a_50_mb_line_is_one_record(tmp_path: Path) -> None:
    path = tmp_path / "waagent.log"
    with path.open("wb") as fh:
        fh.write(b"2024-05-01T10:00:03.412907Z INFO ExtHandler ExtHandler ")
        fh.write(b"x" * (50 * 1024 * 1024))
        fh.write(b"\n2024-05-01T10:00:04.000000Z INFO ExtHandler ExtHandler after\n")
    proc = run("parse", str(path), "--format", "csv")
    assert proc.returncode == 0, proc.stderr[:500]
    assert proc.stdout.count(b"\n") == 3  # header + two records


def test_truncated_gz_keeps_what_was_read_then_fails_naming_the_file(tmp_path: Path) -> None:
    data = MIXED.read_bytes() * 200
    path = tmp_path / "waagent.log.1.gz"
    packed = gzip.compress(data)
    path.write_bytes(packed[: len(packed) * 6 // 10])
    proc = run("parse", str(path), "--format", "jsonl")
    _assert_one_line_error(proc, "waagent.log.1.gz")
    assert proc.stdout.count(b"\n") > 0


def test_missing_file_and_unknown_format() -> None:
    _assert_one_line_error(run("parse", "/nonexistent/waagent.log"), "/nonexistent/waagent.log")
    proc = run("parse", str(MIXED), "--as", "nosuchformat")
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr


def test_broken_pipe_is_quiet() -> None:
    big = MIXED.read_bytes() * 2000
    proc = subprocess.run(
        f"{sys.executable} -m logparse parse - --as waagent --format jsonl | head -1",
        shell=True, input=big, capture_output=True, timeout=120, check=False,
    )
    assert proc.stdout.count(b"\n") == 1 and b"Traceback" not in proc.stderr


@pytest.mark.parametrize(("case", "code"), [("linux_nonetwork_snapshot", 1), ("linux_healthy", 0)])
def test_fail_on_holds_when_the_reader_is_gone(case: str, code: int) -> None:
    # The read end closed before a byte is written: every write is EPIPE, as after `| head -1`
    # once head has left. The exit code must still say what --fail-on decided.
    import os

    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run([sys.executable, "-m", "logparse", "triage", str(FIXTURES / "bundles" / case),
                               "--fail-on", "error", "--quiet"], stdout=write, stderr=subprocess.PIPE,
                              timeout=120, check=False)
    finally:
        os.close(write)
    assert proc.returncode == code and b"Traceback" not in proc.stderr


def test_fast_json_lines_equal_to_dict_on_every_fixture() -> None:
    from logparse import formats
    from logparse.report import record_json
    from logparse.textio import iter_chunks

    checked = 0
    for case in sorted((FIXTURES / "formats").glob("*/*")):
        if not case.is_file() or ".golden." in case.name or case.parent.name not in formats.names():
            continue
        with case.open("rb") as fh:
            for record in formats.get(case.parent.name).parse_chunks(iter_chunks(fh, case.name), case.name):
                expected = json.loads(json.dumps(record.to_dict(), default=str))
                assert json.loads(record_json(record)) == expected
                checked += 1
    assert checked > 100


def test_fast_json_timestamps_equal_to_dict_for_any_time() -> None:
    from datetime import datetime

    from hypothesis import given
    from hypothesis import strategies as st

    from logparse.formats.waagent import FORMAT
    from logparse.report import record_json

    @given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 1, 1)), st.booleans())
    def check(when: datetime, iso: bool) -> None:
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if iso else when.strftime("%Y/%m/%d %H:%M:%S.%f")
        (record,) = FORMAT.parse([f"{stamp} INFO ExtHandler ExtHandler hello"], "t")
        fast = json.loads(record_json(record))["timestamp"]
        assert fast == record.to_dict()["timestamp"]

    check()


def test_explain_suggests_the_entry_a_cut_code_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "ExtensionSnapshotFailedNoNetwor"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.rstrip().endswith("did you mean ExtensionSnapshotFailedNoNetwork?")
    assert main(["explain", "Foo"]) == 2
    assert "did you mean" not in capsys.readouterr().err
    # A generic code is only a hint in pasted text without backup context; asked about by name, it is no less.
    assert main(["explain", "BadReqest"]) == 2
    assert capsys.readouterr().err.rstrip().endswith("did you mean BadRequest?")


def test_match_with_no_result_says_so_on_stderr_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "hello world"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == "logparse: no catalogue entry matches this text\n"
    assert main(["match", "UserErrorGuestAgentStatusUnavailable"]) == 0
    out, err = capsys.readouterr()
    assert "\tUserErrorGuestAgentStatusUnavailable\t" in out.splitlines()[0]
    assert err == ""


def test_per_evidence_outside_csv_and_jsonl_is_warned(capsys: pytest.CaptureFixture[str]) -> None:
    bundle = str(FIXTURES / "bundles" / "linux_healthy")
    assert main(["triage", bundle, "--per-evidence", "--quiet"]) == 0
    assert "--per-evidence applies to --format csv and jsonl, not table" in capsys.readouterr().err
    assert main(["triage", bundle, "--per-evidence", "--format", "csv", "--quiet"]) == 0
    assert "--per-evidence" not in capsys.readouterr().err


def test_documented_submodules_after_a_bare_import() -> None:
    # The README writes logparse.render.render(...) and logparse.parsing.open_records(...) after `import logparse`.
    code = ("import logparse\nassert callable(logparse.render.render) and callable(logparse.parsing.open_records)\n"
            "assert callable(logparse.batch.run_batch) and callable(logparse.summary.summarize)\n"
            "try:\n    logparse.nosuch\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit(1)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
