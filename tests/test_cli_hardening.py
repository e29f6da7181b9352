"""Hostile input to parse, detect and triage: endless lines, bombs, archives, odd consoles, odd numbers."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from logparse import textio
from logparse.cli import build_parser, main
from logparse.sources import Limits
from logparse.textio import CUT_MARK, MAX_LINE_CHARS, iter_chunks
from tests.conftest import FIXTURES
from tests.packing import KINDS, compress, gzip_bomb, pack

WAAGENT = FIXTURES / "bundles" / "linux_nonetwork_snapshot" / "var" / "log" / "waagent.log"


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "logparse", *args], input=stdin, capture_output=True,
                          timeout=timeout, check=False, env={**os.environ, **(env or {})})


def _one_line_error(proc: subprocess.CompletedProcess[bytes], *words: str) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert all(word in err for word in words), err
    return err


class _Endless(io.RawIOBase):
    """``limit`` bytes of ``x`` and no newline, counting what was read."""

    def __init__(self, limit: int) -> None:
        self.limit, self.count = limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = min(len(buffer), self.limit - self.count)
        buffer[:size] = b"x" * size
        self.count += size
        return size


# -- long lines -------------------------------------------------------------------------


def test_a_line_over_the_cap_is_cut_and_the_next_line_keeps_its_number() -> None:
    data = b"a\n" + b"y" * (3 * MAX_LINE_CHARS) + b"\r\nb\nc"
    text = "".join(iter_chunks(io.BytesIO(data), "t", size=64 * 1024))
    assert text.split("\n") == ["a", "y" * MAX_LINE_CHARS + CUT_MARK, "b", "c"]


def test_detection_reads_about_one_line_cap_of_a_line_with_no_end() -> None:
    # Before the cap, the first chunk waited for a \n: all of the stream, concatenated block by block.
    stream = _Endless(64 * MAX_LINE_CHARS)
    first = next(iter_chunks(stream, "t", size=64 * 1024))  # type: ignore[arg-type]
    assert first.endswith(CUT_MARK + "\n")
    assert stream.count < 2 * MAX_LINE_CHARS


def test_cutting_does_not_depend_on_where_text_arrives() -> None:
    lines = textio._Lines(max_line=5)
    for piece in ("ab", "cdefgh", "ij\nklm\n0123456789\nxy", "z\n", "toolongtail"):
        lines.feed(piece)
    cut = CUT_MARK + "\n"
    assert lines.take() == f"abcde{cut}klm\n01234{cut}xyz\ntoolo{cut}"
    assert lines.rest() == ""


# -- binary data, bombs, caps -----------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_parse_dev_zero_stops_on_binary_data() -> None:
    _one_line_error(run("parse", "/dev/zero", timeout=60), "/dev/zero", "binary data")


def test_parse_gzip_bomb_stops_fast(tmp_path: Path) -> None:
    bomb = gzip_bomb(tmp_path / "blob.gz", size=256 << 20)
    _one_line_error(run("parse", str(bomb), timeout=60), "blob.gz", "binary data")
    proc = run("parse", str(bomb), "--as", "waagent", "--format", "jsonl", timeout=60)
    _one_line_error(proc, "blob.gz", "compression ratio above")
    # Named like a log, it is parsed without --as: the ratio cap stops it too.
    named = bomb.rename(tmp_path / "waagent.log.1.gz")
    _one_line_error(run("parse", str(named), timeout=60), "waagent.log.1.gz", "compression ratio above")


def test_parse_stops_at_the_size_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "waagent.log"
    path.write_bytes(WAAGENT.read_bytes() * 40)
    assert main(["parse", str(path), "--format", "jsonl", "--max-member-size", str(path.stat().st_size // 2)]) == 2
    captured = capsys.readouterr()
    assert "exceeds per-member cap of" in captured.err and captured.out.count("\n") > 0


def _parse_until_error(path: Path, limits: Limits | None) -> tuple[int, int, str]:
    """(records, bytes of their raw text, the error that ended them) of ``parse`` under ``limits``."""
    from logparse.errors import SourceError
    from logparse.parsing import open_records

    count = size = 0
    try:
        with open_records(str(path), limits=limits) as (_, records):
            for record in records:
                count += 1
                size += len(record.raw) + 1
    except SourceError as exc:
        return count, size, str(exc)
    return count, size, ""


def test_parse_takes_triage_caps_and_says_them_as_triage_does(tmp_path: Path) -> None:
    import gzip

    line = b"2024-05-01T10:00:00.000000Z INFO ExtHandler ExtHandler the same line again and again\n"
    bomb = tmp_path / "waagent.log.1.gz"
    bomb.write_bytes(gzip.compress(line * ((48 << 20) // len(line)), mtime=0))  # 48 MB, ratio about 330
    # As triage: past the grace, a ratio over the cap ends the file where the meter catches it.
    _, size, error = _parse_until_error(bomb, Limits(max_ratio=20, ratio_grace_bytes=1 << 20))
    assert error == f"{bomb}: compression ratio above 20" and size < 4 << 20
    _, size, error = _parse_until_error(bomb, Limits(max_member_bytes=3 << 20))
    assert error == f"{bomb}: exceeds per-member cap of {3 << 20} bytes" and (2 << 20) < size <= (3 << 20) + len(line)
    _, size, error = _parse_until_error(bomb, Limits(max_total_bytes=2 << 20))
    assert error == f"{bomb}: total size cap of {2 << 20} bytes reached" and (1 << 20) < size <= (2 << 20) + len(line)
    plain = tmp_path / "waagent.log"
    plain.write_bytes(line * 50_000)
    count, _, error = _parse_until_error(plain, Limits(max_member_bytes=1 << 20))
    assert error == f"{plain}: exceeds per-member cap of {1 << 20} bytes" and 0 < count < 50_000
    assert _parse_until_error(plain, None) == (50_000, len(line) * 50_000, "")  # triage's defaults: room to spare


def test_parse_caps_default_to_triage_defaults() -> None:
    assert textio.DEFAULT_MAX_BYTES == Limits().max_member_bytes


def test_parse_has_triage_cap_options(tmp_path: Path) -> None:
    import gzip

    line = b"2024-05-01T10:00:00.000000Z INFO ExtHandler ExtHandler the same line again and again\n"
    bomb = tmp_path / "waagent.log.1.gz"
    bomb.write_bytes(gzip.compress(line * ((48 << 20) // len(line)), mtime=0))
    proc = run("parse", str(bomb), "--format", "jsonl", "--max-ratio", "20")
    _one_line_error(proc, "waagent.log.1.gz", "compression ratio above 20")
    assert len(proc.stdout) < 100 << 20  # stopped by the ratio: without it, 48 MB of text as JSON lines
    proc = run("parse", str(bomb), "--format", "jsonl", "--max-member-size", "1M")
    _one_line_error(proc, "waagent.log.1.gz", "exceeds per-member cap of 1048576 bytes")
    proc = run("parse", str(bomb), "--format", "jsonl", "--max-total-size", "512K")
    _one_line_error(proc, "waagent.log.1.gz", "total size cap of 524288 bytes reached")
    helps = {name: build_parser().parse_args([name, "x"]) for name in ("parse", "triage")}
    assert {(a.max_member_size, a.max_total_size, a.max_ratio) for a in helps.values()} == {
        (Limits().max_member_bytes, Limits().max_total_bytes, Limits().max_ratio)}


# -- archives and directories -----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_parse_and_detect_refuse_an_archive_and_point_to_triage(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"bundle.{kind}"
    path.write_bytes(pack({"var/log/waagent.log": WAAGENT.read_bytes(), "etc/waagent.conf": b"A=b\n"}, kind))
    for args in (("parse", str(path)), ("parse", str(path), "--as", "waagent_conf"), ("detect", str(path))):
        proc = run(*args)
        _one_line_error(proc, f"{kind} archive", "logparse triage")
        assert proc.stdout == b""
    _one_line_error(run("parse", "-", stdin=path.read_bytes()), "<stdin>", f"{kind} archive")


@pytest.mark.parametrize("kind", ["gz", "zst", "bz2", "xz"])
def test_one_compressed_log_still_parses(tmp_path: Path, kind: str) -> None:
    plain = run("parse", str(WAAGENT), "--format", "csv")
    path = tmp_path / f"waagent.log.1.{kind}"
    path.write_bytes(compress(WAAGENT.read_bytes(), kind))
    packed = run("parse", str(path), "--format", "csv")
    assert packed.returncode == plain.returncode == 0, packed.stderr
    assert packed.stdout.replace(bytes(path), bytes(WAAGENT)) == plain.stdout
    assert run("detect", str(path)).stdout.split(b"\t")[1] == b"waagent"


def test_detect_on_a_directory_does_not_speak_of_parse(tmp_path: Path) -> None:
    err = _one_line_error(run("detect", str(tmp_path)), "is a directory", "logparse triage")
    assert "parse" not in err.replace("logparse", "")


# -- consoles that are not UTF-8 ---------------------------------------------------------


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    root = tmp_path / "bündel_日本"
    (root / "var" / "log").mkdir(parents=True)
    (root / "var" / "log" / "waagent.log").write_bytes(WAAGENT.read_bytes())
    (root / "var" / "log" / "waagent_é.log").write_bytes(WAAGENT.read_bytes())
    return root


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_no_command_crashes_on_the_output_encoding(bundle: Path, encoding: str) -> None:
    log = str(bundle / "var" / "log" / "waagent_é.log")
    env = {"PYTHONIOENCODING": encoding, "COLUMNS": "100"}
    for args in (("triage", str(bundle), "--quiet", "--lang", "en"),
                 ("triage", str(bundle), "--quiet", "--lang", "zh-CN"),
                 ("parse", log, "--format", "table"),
                 ("detect", log)):
        proc = run(*args, env=env)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-600:]
        assert b"Traceback" not in proc.stderr
        proc.stdout.decode(encoding)  # what was written is in the console's encoding
    detected = run("detect", log, env=env).stdout.decode(encoding)
    assert "waagent_\\xe9.log" in detected if encoding == "ascii" else "waagent_é.log" in detected


@pytest.mark.skipif(sys.platform != "linux", reason="file names as raw bytes")
def test_a_file_name_that_is_not_utf8_is_escaped(tmp_path: Path) -> None:
    path = os.path.join(os.fsencode(tmp_path), b"waagent\xff.log")
    with open(path, "wb") as fh:
        fh.write(WAAGENT.read_bytes())
    proc = run("detect", os.fsdecode(path), env={"PYTHONIOENCODING": "utf-8"})
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    assert b"waagent\\udcff.log" in proc.stdout


# -- numeric options ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        *[("triage", "x", "--max-ratio", v) for v in ("nan", "inf", "-inf", "0", "-1", "0.5", "many")],
        *[("triage", "x", option, v) for option in ("--max-member-size", "--max-total-size") for v in ("0", "0.1")],
        *[("triage", "x", "--min-confidence", v) for v in ("nan", "inf", "-0.1", "1.5")],
        *[("triage", "x", "--fail-on", v) for v in ("nan", "inf", "-1")],
        *[("triage", "x", "--jobs", v) for v in ("0", "-1", "nan")],
        *[("batch", "x", "--timeout", v) for v in ("nan", "inf", "0", "-5")],
        ("summary", "x.sqlite", "--top", "-1"),
    ],
    ids=lambda args: " ".join(args[2:]),
)
def test_numeric_options_refuse_nan_inf_and_out_of_range(args: tuple[str, ...],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(list(args))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and args[2] in err


def test_numeric_options_take_sane_values() -> None:
    args = build_parser().parse_args(["triage", "x", "--max-ratio", "1", "--max-member-size", "1",
                                      "--max-total-size", "1.5G"])
    assert args.max_ratio == 1.0 and args.max_member_size == 1 and args.max_total_size == 3 << 29
    assert build_parser().parse_args(["triage", "x", "--max-ratio", "1e3"]).max_ratio == 1000.0
    assert build_parser().parse_args(["batch", "x", "--timeout", "2.5"]).timeout == 2.5
    assert build_parser().parse_args(["summary", "x.sqlite", "--top", "0"]).top == 0


@pytest.mark.parametrize(("given", "lang"), [("zh", "zh-CN"), ("zh-cn", "zh-CN"), ("zh_CN.UTF-8", "zh-CN"),
                                             ("zh-CN", "zh-CN"), ("en-US", "en"), ("en", "en")])
def test_lang_is_read_however_a_locale_spells_it(given: str, lang: str) -> None:
    assert build_parser().parse_args(["explain", "ResourceNotFound", "--lang", given]).lang == lang


def test_explain_takes_the_docs_number_of_a_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "320001", "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("ResourceNotFound")


def test_since_after_until_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    bundle = str(FIXTURES / "bundles" / "linux_healthy")
    assert main(["triage", bundle, "--since", "2024-05-02T00:00Z", "--until", "2024-05-01T00:00Z"]) == 2
    assert "is after --until" in capsys.readouterr().err


def test_a_typo_in_jobs_forks_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["batch", "x", "--jobs", "100000"])
    assert stop.value.code == 2 and "at most 256 jobs" in capsys.readouterr().err


def test_an_error_is_one_line_whatever_the_name_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", str(tmp_path / "two\nlines")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_nothing_readable_names_each_reason_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "waagent.log").write_bytes(bytes(range(1, 256)) * 100)
    assert main(["triage", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("binary data, not a waagent log") == 1


@pytest.mark.parametrize("style", ["jsonl", "csv", "table"])
def test_parse_prints_what_a_cut_gz_held_then_the_error(tmp_path: Path, style: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import gzip

    log = (FIXTURES / "bundles" / "linux_nonetwork_snapshot" / "var" / "log" / "waagent.log").read_bytes()
    packed = gzip.compress(log)
    cut = tmp_path / "waagent.log.1.gz"
    cut.write_bytes(packed[: int(len(packed) * 0.6)])
    assert main(["parse", str(cut), "--format", style]) == 2
    captured = capsys.readouterr()
    assert "truncated" in captured.err
    assert captured.out.count("ExtHandler") > 50  # the records before the cut, the one held at the cut too


def test_parse_table_prints_log_text_not_markup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "waagent.log"
    log.write_bytes(b"2024-05-01T10:00:02.000000Z ERROR ExtHandler ExtHandler args [/quiet] and [bold]x \x1b[2J\n")
    assert main(["parse", str(log), "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "[/quiet] and [bold]x" in out and "\x1b" not in out


def test_a_full_output_is_one_line_and_exit_2(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system to fill the output")
    bundle = str(FIXTURES / "bundles" / "linux_healthy")
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "logparse", "triage", bundle], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "logparse: error: cannot write the output (No space left on device)"


def test_a_closed_stdout_is_no_traceback() -> None:
    log = str(FIXTURES / "bundles" / "linux_healthy" / "var" / "log" / "waagent.log")
    proc = subprocess.run([sys.executable, "-m", "logparse", "parse", log], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False,
                          preexec_fn=lambda: os.close(1))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr


def test_detect_shows_control_characters_in_a_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x\x1b]0;T\x07.log"
    path.write_bytes((FIXTURES / "bundles" / "linux_healthy" / "var" / "log" / "waagent.log").read_bytes())
    main(["detect", str(path)])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "waagent" in out


@pytest.mark.parametrize("value", ["1e7", "1e300"])
def test_a_timeout_the_pipe_wait_cannot_take_is_refused(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["batch", "x", "--timeout", value])
    assert stop.value.code == 2 and "up to 1000000" in capsys.readouterr().err


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_parse_and_detect_read_utf16_without_a_bom(tmp_path: Path, codec: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    src = FIXTURES / "bundles" / "windows_wireserver_blocked" / "WindowsAzure" / "Logs" / "WaAppAgent.log"
    plain = tmp_path / "plain.log"
    plain.write_bytes(src.read_bytes())
    wide = tmp_path / "wide.log"
    wide.write_bytes(src.read_text(encoding="utf-8").encode(codec))
    assert main(["detect", str(wide)]) == 0
    assert "\twindows_agent\t" in capsys.readouterr().out
    main(["parse", str(plain), "--format", "jsonl"])
    expected = [json.loads(line)["message"] for line in capsys.readouterr().out.splitlines()]
    main(["parse", str(wide), "--format", "jsonl"])
    assert [json.loads(line)["message"] for line in capsys.readouterr().out.splitlines()] == expected


def test_text_of_no_known_layout_is_no_all_clear(tmp_path: Path) -> None:
    # A README given as the bundle, or a plain-text file under a log archive's name: read as pasted
    # text, nothing matched. "No known failure" alone would read as a healthy VM.
    import gzip as _gzip

    import logparse

    (tmp_path / "README.md").write_text("lorem ipsum\nsee the wiki\n")
    (tmp_path / "g.gz").write_bytes(b"plain notes, not compressed\n")
    for name in ("README.md", "g.gz"):
        result = logparse.triage(str(tmp_path / name))
        assert [f.status for f in result.files] == ["analyzed"] and not result.findings
        assert any("had a known log layout" in w and "no sign of a healthy" in w for w in result.warnings), name
    # A ticket that matches, a real log, or a real log inside a .gz: no such warning.
    ticket = FIXTURES / "bundles" / "linux_nonetwork_snapshot" / "ticket.txt"
    log = FIXTURES / "bundles" / "linux_healthy" / "var" / "log" / "waagent.log"
    (tmp_path / "waagent.log.1.gz").write_bytes(_gzip.compress(log.read_bytes()))
    for path in (ticket, log, tmp_path / "waagent.log.1.gz"):
        assert not any("had a known log layout" in w for w in logparse.triage(str(path)).warnings), path


def test_the_window_asked_for_is_the_evidence_focus() -> None:
    # --since/--until choose the lines shown first, and stats.evidence_focus says so (it kept
    # naming the latest snapshot attempts, outside the window asked for).
    from datetime import UTC, datetime

    import logparse

    bundle = str(FIXTURES / "bundles" / "linux_nonetwork_snapshot")
    until = datetime(2024, 5, 6, 2, 0, tzinfo=UTC)
    focus = logparse.triage(bundle, until=until).stats["evidence_focus"]
    assert focus == {"since": None, "until": "2024-05-06T02:00:00+00:00", "basis": "--since/--until"}
    since = datetime(2024, 5, 5, 12, 0, tzinfo=UTC)
    assert logparse.triage(bundle, since=since).stats["evidence_focus"]["since"] == "2024-05-05T12:00:00+00:00"
    assert logparse.triage(bundle).stats["evidence_focus"]["basis"] != "--since/--until"
