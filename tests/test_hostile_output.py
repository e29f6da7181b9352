"""Hostile bundles: zips whose entries reuse or overlap data, and text that tries to drive the terminal."""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest

from logparse._zipscan import SharedData
from logparse.cli import main
from logparse.findings import Evidence, FileReport, Finding, Template, Timeline, TriageResult
from logparse.render import RenderOptions, render
from logparse.sources import MemberInfo, Skipped, open_source
from tests import packing

# The central-directory walk lives in logparse/sources.py, which calls SharedData once wired in:
# until then these end-to-end tests fail as expected, and XPASS (strict) says to drop the mark.

LOG = b"".join(b"2024-05-01T10:%02d:%02dZ INFO ExtHandler heartbeat %d ok\n" % (i // 60 % 60, i % 60, i)
               for i in range(4000))


# -- hand-made zips --------------------------------------------------------------------------------
def _local(name: str, data: bytes, method: int = zipfile.ZIP_DEFLATED, extra: bytes = b"") -> bytes:
    """One local header, its name and extra field, and ``data`` (deflated unless stored)."""
    packed = data if method == zipfile.ZIP_STORED else _deflate(data)
    header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0x21, zlib.crc32(data),
                         len(packed), len(data), len(name), len(extra))
    return header + name.encode() + extra + packed


def _central(name: str, offset: int, data: bytes, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    size = len(data) if method == zipfile.ZIP_STORED else len(_deflate(data))
    return struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, zlib.crc32(data), size,
                       len(data), len(name), 0, 0, 0, 0, 0, offset) + name.encode()


def _assemble(local: bytes, central: list[bytes]) -> bytes:
    directory = b"".join(central)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), len(local), 0)
    return local + directory + end


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def shared_header_zip(copies: int) -> bytes:
    """``copies`` central entries named var/log/syslog, all pointing at one local header."""
    return _assemble(_local("var/log/syslog", LOG), [_central("var/log/syslog", 0, LOG)] * copies)


def hidden_header_zip() -> bytes:
    """Two local headers whose data is the same bytes: b's header hides in a's extra field."""
    inner = _local("var/log/b.log", LOG)[: 30 + len("var/log/b.log")]  # header and name, no data
    extra = struct.pack("<HH", 0xCAFE, len(inner)) + inner
    local = _local("var/log/a.log", LOG, extra=extra)
    b_offset = 30 + len("var/log/a.log") + 4
    return _assemble(local, [_central("var/log/a.log", 0, LOG), _central("var/log/b.log", b_offset, LOG)])


def overlapping_zip() -> bytes:
    """a.log is stored and its data quotes all of b.log's entry: b.log starts inside a.log's data."""
    quoted = _local("var/log/b.log", LOG)
    local = _local("var/log/a.log", quoted, zipfile.ZIP_STORED)
    b_offset = 30 + len("var/log/a.log")
    return _assemble(local, [_central("var/log/a.log", 0, quoted, zipfile.ZIP_STORED),
                             _central("var/log/b.log", b_offset, LOG)])


def same_name_zip() -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the point
        archive.writestr("var/log/syslog", b"first\n")
        archive.writestr("var/log/syslog", b"second\n")
        archive.writestr("var/log/waagent.log", b"ok\n")
    return out.getvalue()


def _claims(blob: bytes, label: str = "b.zip") -> tuple[dict[str, list[str | None]], list[str]]:
    handle = io.BytesIO(blob)
    with zipfile.ZipFile(handle) as archive:
        infos = archive.infolist()
        shared = SharedData(handle, infos, "", label)
        claims: dict[str, list[str | None]] = {}
        for info in infos:
            claims.setdefault(info.filename, []).append(shared.claim(info))
    return claims, shared.warnings


def collect(blob: bytes) -> tuple[list[tuple[MemberInfo, bytes]], list[Skipped], list[str]]:
    members, skipped = [], []
    with open_source(io.BytesIO(blob)) as bundle:
        for item in bundle:
            if isinstance(item, Skipped):
                skipped.append(item)
            else:
                members.append((item[0], item[1].read()))
        return members, skipped, bundle.warnings


# -- zip entries that reuse data -------------------------------------------------------------------
def test_entries_sharing_one_local_header_are_claimed_once() -> None:
    claims, warned = _claims(shared_header_zip(40))
    assert claims == {"var/log/syslog": [None] + ["same data as var/log/syslog"] * 39}
    assert not warned


def test_entries_sharing_one_local_header_are_read_once() -> None:
    members, skipped, warned = collect(shared_header_zip(40))
    assert [(info.path, data) for info, data in members] == [("var/log/syslog", LOG)]
    assert skipped == [Skipped("var/log/syslog", "same data as var/log/syslog")] * 39
    assert not warned


def test_an_alias_that_cannot_be_opened_leaves_the_data_to_its_owner() -> None:
    # "aaa.log" sorts first and points at var/log/syslog's header: zipfile refuses it (names
    # differ), and the real entry must still be read, not skipped as "same data as aaa.log".
    blob = _assemble(_local("var/log/syslog", LOG), [_central("aaa.log", 0, LOG), _central("var/log/syslog", 0, LOG)])
    members, skipped, _ = collect(blob)
    assert [(info.path, data) for info, data in members] == [("var/log/syslog", LOG)]
    assert [s.path for s in skipped] == ["aaa.log"] and "differ" in skipped[0].reason


def test_two_headers_over_the_same_data_are_claimed_once() -> None:
    # Keying on the header offset alone misses this: the data start is what is shared.
    assert _claims(hidden_header_zip())[0] == {"var/log/a.log": [None],
                                               "var/log/b.log": ["same data as var/log/a.log"]}


def test_an_entry_starting_inside_another_is_skipped_as_overlapping() -> None:
    assert _claims(overlapping_zip())[0] == {"var/log/a.log": [None],
                                             "var/log/b.log": ["data overlaps that of var/log/a.log"]}


def test_overlapping_and_hidden_entries_are_listed_as_skipped() -> None:
    _, skipped, _ = collect(overlapping_zip())
    assert skipped == [Skipped("var/log/b.log", "data overlaps that of var/log/a.log")]
    members, skipped, _ = collect(hidden_header_zip())
    assert [info.path for info, _ in members] == ["var/log/a.log"]
    assert skipped == [Skipped("var/log/b.log", "same data as var/log/a.log")]


def test_same_name_different_data_is_read_twice_with_a_warning() -> None:
    claims, warned = _claims(same_name_zip())
    assert claims == {"var/log/syslog": [None, None], "var/log/waagent.log": [None]}
    assert len(warned) == 1 and warned[0].startswith("b.zip: ") and "named var/log/syslog" in warned[0]


def test_same_name_different_data_reaches_the_bundle_warnings() -> None:
    members, skipped, warned = collect(same_name_zip())
    assert sorted(data for info, data in members if info.path == "var/log/syslog") == [b"first\n", b"second\n"]
    assert not skipped and len(warned) == 1 and "var/log/syslog" in warned[0]


@pytest.mark.parametrize("blob", [packing.zip_bytes({"a.log": b"a\n", "b/c.log": b"", "d.log": LOG}),
                                  packing.streamed_zip({"a.log": b"a\n", "b/c.log": b"", "d.log": LOG})],
                         ids=["plain", "descriptors"])
def test_ordinary_zips_claim_every_entry(blob: bytes) -> None:
    claims, warned = _claims(blob)
    assert all(reason is None for reasons in claims.values() for reason in reasons) and not warned


# -- text that tries to drive the terminal ---------------------------------------------------------
EVIL = "a\x1b[2J\x1b]0;pwned\x07 [bold]b[/x] :warning: \x9b31m\r\x08\x7f end\\"
# Everything a terminal acts on, but newline (between lines) and tab (rich expands it).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _hostile_result() -> TriageResult:
    finding = Finding(f"Id{EVIL}", "error", 0.9, f"title {EVIL}", remediation=[f"step {EVIL}"], doc=f"d{EVIL}",
                      causes=[{"id": f"cause{EVIL}", "confidence": 0.9, "title": EVIL}], reasons=[EVIL])
    finding.add(Evidence(f"var/log/{EVIL}.log", 3, f"line {EVIL}", "2024-05-01T10:00:00Z"))
    timeline = Timeline()
    timeline.event("2024-05-01T10:00:00Z", "agent_start", EVIL, f"p{EVIL}", 1)
    timeline.count("2024-05-01T10:00:00Z", f"sig:{EVIL}")
    return TriageResult(f"bundle{EVIL}", [finding], [FileReport(f"var/log/{EVIL}", None, "skipped", EVIL)],
                        [Template(f"template {EVIL}", "ERROR", 2, [Evidence(f"q{EVIL}", 1, EVIL)])],
                        [f"warning {EVIL}"], {}, timeline)


def _render(fmt: str, per_evidence: bool = False) -> str:
    out = io.StringIO()
    render(_hostile_result(), fmt, out, RenderOptions(width=400, threshold=0.0, per_evidence=per_evidence))
    return out.getvalue()


@pytest.mark.parametrize("colour", ["", "1"])
def test_table_shows_control_characters_and_markup_as_text(colour: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    if colour:
        monkeypatch.setenv("FORCE_COLOR", colour)
    else:
        monkeypatch.delenv("FORCE_COLOR", raising=False)
    text = _render("table")
    assert not _CONTROL.search(_SGR.sub("", text))  # rich's own colours only
    plain = _SGR.sub("", text)
    shown = "a␛[2J␛]0;pwned␇ [bold]b[/x] :warning: \\x9b31m␍␈␡ end\\"
    for part in (f"bundle{shown}", f"var/log/{shown}.log:3", f"line {shown}", f"Id{shown}", f"step {shown}",
                 f"template {shown}", f"warning {shown}"):
        assert part in plain, part


def test_markdown_and_html_show_control_characters() -> None:
    for fmt in ("markdown", "html"):
        text = _render(fmt)
        assert not _CONTROL.search(text), fmt
        assert "␛[2J" in text and "␇" in text and "\\x9b" in text, fmt


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_escapes_every_control_character_and_keeps_the_values(fmt: str) -> None:
    text = _render(fmt)
    assert not _CONTROL.search(text)
    if fmt == "json":
        assert json.loads(text) == json.loads(json.dumps(_hostile_result().to_dict()))
    else:
        assert json.loads(text.splitlines()[0])["title"] == f"title {EVIL}"


def test_csv_keeps_the_text_exact() -> None:
    # A data format: a spreadsheet shows the cell, and the value must round-trip.
    rows = list(csv.DictReader(io.StringIO(_render("csv", per_evidence=True), newline="")))
    assert [(row["path"], row["text"]) for row in rows] == [(f"var/log/{EVIL}.log", f"line {EVIL}")]


def test_cli_triage_of_a_bundle_with_escapes_prints_none(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    line = f"2024-05-01T10:20:00.000000Z ERROR ExtHandler failed {EVIL}\n".encode()
    bundle = tmp_path / "evil.tar"
    bundle.write_bytes(packing.tar_bytes({"var/log/\x1b[31mred\x1b[0m.log": line, "var/log/waagent.log": line,
                                          "var/log/[bold]x[/x]": b"\x00\x01\n"}))
    assert main(["triage", str(bundle), "--quiet", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert not _CONTROL.search(out)
    assert "[bold]x[/x]" in out and ":warning:" in out and "ERROR ExtHandler failed a␛[" in out


def test_bidirectional_controls_are_shown_not_obeyed() -> None:
    from logparse.render._common import visible

    assert visible("report\u202efdp.exe") == "report\\u202efdp.exe"
    assert visible("a\u2066b\u2069c\u200fd") == "a\\u2066b\\u2069c\\u200fd"
