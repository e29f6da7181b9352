"""Report renderers: goldens per format over bundle fixtures, times, colour and width, HTML safety, CLI, languages."""

from __future__ import annotations

import csv
import gzip
import html
import io
import json
import re
import tarfile
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import logparse
from logparse.cli import main
from logparse.findings import Evidence, FileReport, Finding, Template, Timeline, TriageResult
from logparse.render import FORMATS, RenderOptions, render, svg_timeline
from logparse.render._common import display_time, machine_time
from logparse.render._rows import EVIDENCE_COLUMNS, FINDING_COLUMNS
from tests.conftest import FIXTURES
from tests.golden import check_text

# A failing Linux case with local-time sources, a plain failing one, a healthy one, and two Windows
# cases (one whose evidence has no timestamps, so its timeline is empty).
CASES = ("linux_nonetwork_snapshot", "linux_agent_outdated", "linux_healthy", "windows_dhcp_disabled",
         "windows_wireserver_blocked")
GOLDENS = {  # golden name -> (format, per_evidence)
    "table.golden.txt": ("table", False), "json.golden.json": ("json", False),
    "jsonl.golden.jsonl": ("jsonl", False), "csv.golden.csv": ("csv", False),
    "markdown.golden.md": ("markdown", False), "html.golden.html": ("html", False),
    "evidence.golden.csv": ("csv", True),
}
WIDTH = 100
_SGR_COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-9]|9[0-7])[0-9;]*m")


@cache
def _triage(case: str) -> TriageResult:
    result = logparse.triage(str(FIXTURES / "bundles" / case), jobs=1)
    result.source = case  # the absolute path would make the goldens machine-specific
    return result


def _render(result: TriageResult, fmt: str, **options: object) -> str:
    out = io.StringIO()
    render(result, fmt, out, RenderOptions(**{"width": WIDTH, **options}))  # type: ignore[arg-type]
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(GOLDENS))
@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, name: str, update_goldens: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("FORCE_COLOR", "NO_COLOR", "COLUMNS", "TTY_COMPATIBLE"):
        monkeypatch.delenv(variable, raising=False)
    fmt, per_evidence = GOLDENS[name]
    text = _render(_triage(case), fmt, per_evidence=per_evidence)
    check_text(FIXTURES / "reports" / case / name, text, update_goldens)


# The human reports in Chinese, for a Linux case and a Windows one (long paths in its files table).
ZH_GOLDENS = {"table.zh-CN.golden.txt": "table", "markdown.zh-CN.golden.md": "markdown",
              "html.zh-CN.golden.html": "html"}


@pytest.mark.parametrize("name", sorted(ZH_GOLDENS))
@pytest.mark.parametrize("case", ["linux_nonetwork_snapshot", "windows_dhcp_disabled"])
def test_golden_zh_cn(case: str, name: str, update_goldens: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("FORCE_COLOR", "NO_COLOR", "COLUMNS", "TTY_COMPATIBLE"):
        monkeypatch.delenv(variable, raising=False)
    text = _render(_triage_zh(case), ZH_GOLDENS[name], lang="zh-CN")
    check_text(FIXTURES / "reports" / case / name, text, update_goldens)


@pytest.mark.parametrize("case", CASES)
def test_a_saved_result_renders_the_same(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # --json output loaded back (TriageResult.from_dict) is the same result: same dict, same reports.
    for variable in ("FORCE_COLOR", "NO_COLOR", "COLUMNS", "TTY_COMPATIBLE"):
        monkeypatch.delenv(variable, raising=False)
    import copy

    result = copy.deepcopy(_triage(case))
    saved = json.loads(json.dumps(result.to_dict()))
    loaded = TriageResult.from_dict(saved)
    assert loaded.to_dict() == saved
    for finding in result.findings:  # the JSON carries confidences to 3 decimals: so does its report
        finding.confidence = round(finding.confidence, 3)
    for fmt in ("table", "markdown", "html", "csv"):
        assert _render(loaded, fmt) == _render(result, fmt), fmt


def test_an_older_saved_result_takes_defaults() -> None:
    # A file written before severity, causes, reasons or the timeline existed still loads.
    old = {"source": "vm1.tar.gz", "findings": [{"id": "UserErrorGuestAgentStatusUnavailable", "kind": "error",
                                                 "confidence": 0.9, "title": "agent unavailable"}],
           "files": [{"path": "var/log/waagent.log", "status": "analyzed"}]}
    loaded = TriageResult.from_dict(old)
    finding = loaded.findings[0]
    assert (finding.severity, finding.causes, finding.evidence, finding.evidence_count) == ("error", [], [], 0)
    assert loaded.files[0].format is None and loaded.timeline.to_dict()["events"] == []
    assert "UserErrorGuestAgentStatusUnavailable" in _render(loaded, "markdown")


def test_goldens_cover_every_format() -> None:
    assert {fmt for fmt, _ in GOLDENS.values()} == set(FORMATS)


# -- content that every reader relies on ---------------------------------------------------------
def test_markdown_lists_findings_evidence_steps_and_links() -> None:
    result = _triage("linux_nonetwork_snapshot")
    text = _render(result, "markdown")
    shown = result.findings_at(0.5)
    assert [m for m in re.findall(r"^\*\*\d+\. `([^`]+)`", text, re.M)] == [f.id for f in shown]
    assert "`var/log/waagent.log:171` 2024-05-05 14:06:12Z" in text
    assert re.search(r"^  1\. Allow outbound traffic", text, re.M)
    assert all(f"<{f.doc}>" in text for f in shown)
    assert not re.search(r"\d local ", text), "every evidence time of this case is UTC"


def test_local_time_is_said_everywhere() -> None:
    result = _triage("linux_agent_outdated")  # agent 2.2.18 writes local time
    # The line of the latest (failed) snapshot attempt is the one every report shows first.
    assert "2024-05-10 02:52:49 local" in _render(result, "markdown")
    assert "2024-05-10 02:52:49 local" in _render(result, "table")
    assert "2024-05-10 02:52:49 local" in _render(result, "html")
    rows = list(csv.DictReader(io.StringIO(_render(result, "csv", per_evidence=True))))
    local = next(r for r in rows if r["path"] == "var/log/waagent.log")
    assert local["time"] == "2024-05-01T21:07:47.700100" and local["local_time"] == "true"


def test_times_are_shown_in_utc() -> None:
    assert display_time("2024-05-05T16:06:12.5+02:00") == "2024-05-05 14:06:12Z"
    assert display_time("2024-05-05T14:06:12") == "2024-05-05 14:06:12 local"
    assert machine_time("2024-05-05T16:06:12.500000+02:00") == ("2024-05-05T14:06:12.500000Z", False)
    assert machine_time("2024-05-05T14:06:12") == ("2024-05-05T14:06:12", True)
    assert display_time("not a time") == "not a time" and display_time(None) == ""


def test_csv_and_jsonl_share_stable_columns() -> None:
    result = _triage("linux_nonetwork_snapshot")
    shown = result.findings_at(0.5)
    rows = list(csv.reader(io.StringIO(_render(result, "csv"))))
    assert tuple(rows[0]) == FINDING_COLUMNS and len(rows) == 1 + len(shown)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["remediation"].splitlines() == shown[0].remediation
    objects = [json.loads(line) for line in _render(result, "jsonl").splitlines()]
    assert [tuple(o) for o in objects] == [FINDING_COLUMNS] * len(shown)
    assert objects[1]["evidence"][0] == "var/log/waagent.log:217"  # the most telling first: in the job's window
    per_line = [json.loads(line) for line in _render(result, "jsonl", per_evidence=True).splitlines()]
    assert len(per_line) == sum(len(f.evidence) for f in shown)
    assert all(tuple(o) == EVIDENCE_COLUMNS for o in per_line)
    assert per_line[len(shown[0].evidence)]["time"] == "2024-05-05T14:06:12.330100Z"  # the second finding's first


def test_threshold_and_verbose_select_findings_but_json_keeps_everything() -> None:
    result = _triage("linux_rp_collection_limit_lock")
    weak = [f for f in result.findings if f.confidence < 0.5]
    assert weak, "the case needs a finding below 0.5 for this test"
    assert weak[0].id not in _render(result, "csv")
    assert weak[0].id in _render(result, "csv", verbose=True)
    assert weak[0].id in _render(result, "json", threshold=0.99)
    assert len(_render(result, "jsonl", threshold=0.99).splitlines()) == len(result.findings_at(0.99))


# -- colour and width ------------------------------------------------------------------------------
def test_table_has_no_escape_codes_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert "\x1b[" not in _render(_triage("linux_nonetwork_snapshot"), "table")


def test_no_color_removes_colour_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = _render(_triage("linux_nonetwork_snapshot"), "table")
    assert _SGR_COLOUR.search(coloured), "FORCE_COLOR should colour the table (or this test proves nothing)"
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _SGR_COLOUR.search(_render(_triage("linux_nonetwork_snapshot"), "table"))


def _wrapped(text: str) -> list[str]:
    """The lines of a table report that follow the width: all but the doc links, kept whole."""
    return [line for line in text.splitlines() if not line.startswith("   https://")]


@pytest.mark.parametrize("columns", [60, 140])
def test_table_width_follows_columns(columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    out = io.StringIO()
    render(_triage("linux_nonetwork_snapshot"), "table", out)
    widths = [len(line) for line in _wrapped(out.getvalue())]
    assert max(widths) <= columns and max(widths) > min(columns, 100) - 10


def test_fixed_width_wins_over_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert max(map(len, _wrapped(_render(_triage("linux_nonetwork_snapshot"), "table")))) <= WIDTH


def test_lines_under_a_finding_wrap_under_it_and_links_stay_whole() -> None:
    out = io.StringIO()
    render(_triage("linux_nonetwork_snapshot"), "table", out, RenderOptions(width=60))
    lines = out.getvalue().splitlines()
    links = [line for line in lines if "https://" in line]
    assert links and all(line.startswith("   https://") and " " not in line.strip() for line in links)
    assert all(len(line) > 60 for line in links)  # whole, past the width: a cut link cannot be clicked
    # A step or an evidence line too long for the width goes on under the finding, not at column 0.
    for lead in ("   1. ", "   var/log/waagent.log:217 "):
        at = next(i for i, line in enumerate(lines) if line.startswith(lead))
        assert lines[at + 1].startswith("   ") and not lines[at + 1].startswith("    "), lines[at:at + 2]


# -- HTML: self-contained and safe -----------------------------------------------------------------
class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.csp: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "meta" and values.get("http-equiv") == "Content-Security-Policy":
            self.csp = values.get("content")
        self.urls += [(tag, k, v or "") for k, v in attrs if k in ("src", "href", "xlink:href", "action", "srcset")]


def _parsed(text: str) -> _Links:
    parser = _Links()
    parser.feed(text)
    return parser


def test_html_fetches_nothing() -> None:
    result = _triage("linux_nonetwork_snapshot")
    page = _parsed(_render(result, "html"))
    assert page.csp == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(page.tags)
    docs = {f.doc for f in result.findings}
    for tag, attribute, url in page.urls:
        if url.startswith(("http:", "https:", "//")):
            assert (tag, attribute, url in docs) == ("a", "href", True), url
        else:
            assert url.startswith("#"), url


def test_html_marks_link_to_evidence_rows() -> None:
    text = _render(_triage("linux_nonetwork_snapshot"), "html")
    targets = re.findall(r'<a href="#(ev-\d+-\d+)"><path class="mark', text)
    assert targets and all(f'id="{t}"' in text for t in targets)


def test_html_escapes_hostile_log_text() -> None:
    evil = '</pre><script>alert(1)</script><img src="http://x/y">'
    finding = Finding("Evil<b>", "error", 0.9, "t<i>", doc="javascript:alert(1)")
    finding.add(Evidence("var/log/<x>.log", 3, evil, "2024-05-01T10:00:00+00:00"))
    result = TriageResult("<bundle>", [finding], [FileReport("a<b>", None, "skipped", "r<x>")],
                          [Template(evil, "ERROR", 2, [Evidence("p", 1, evil)])], ["w<script>"])
    text = _render(result, "html")
    page = _parsed(text)
    assert "script" not in page.tags and "img" not in page.tags
    assert "javascript:" not in " ".join(url for _, _, url in page.urls)
    assert "&lt;/pre&gt;&lt;script&gt;" in text


def test_table_marks_where_it_cuts_a_long_line() -> None:
    long = "x " * 95 + "UserErrorRpCollectionLimitReached and more words after the code"
    finding = Finding("UserErrorRpCollectionLimitReached", "error", 0.9, "t")
    finding.add(Evidence("var/log/x.log", 3, long))
    result = TriageResult("b", [finding], [FileReport("var/log/x.log", "waagent", "analyzed", None, 10)],
                          [Template("T " * 100, "ERROR", 2, [Evidence("p", 1, "t")])], [])
    flat = " ".join(_render(result, "table").split())
    assert "UserErrorR..." in flat  # cut, and shown as cut: not read as another code
    assert flat.endswith("T ...")


def test_timeline_stays_within_200_columns_for_a_month() -> None:
    timeline = Timeline()
    for hour in range(30 * 24):
        stamp = f"2024-04-{1 + hour // 24:02d}T{hour % 24:02d}:00"
        for series in range(30):
            timeline.buckets.setdefault(f"sig:Code{series}", {})[stamp] = 1 + hour % 7
        timeline.event(f"2024-04-{1 + hour // 24:02d}T{hour % 24:02d}:30:00+00:00", "extension_state",
                       "Extension status: success", "var/log/waagent.log", hour + 1)
    finding = Finding("Code3", "error", 0.9, "t")
    finding.add(Evidence("var/log/waagent.log", 5, "x", "2024-04-10T04:05:00+00:00"))
    drawn = svg_timeline.draw(TriageResult("big", [finding], timeline=timeline), [finding])
    columns = int(re.search(r"Timeline, (\d+) columns", drawn.svg).group(1))  # type: ignore[union-attr]
    assert columns <= svg_timeline.MAX_COLUMNS
    rows = re.findall(r'<g class="row series"', drawn.svg)
    assert len(rows) == svg_timeline.MAX_SERIES + 1  # the rest share one row
    assert drawn.svg.count('<rect class="cell"') <= (svg_timeline.MAX_SERIES + 1) * columns
    assert drawn.marked >= 1 and 'data-row="sig:Code3"' in drawn.svg


@pytest.mark.parametrize("span", [0, 59, 3 * 3600, 30 * 86400, 5 * 365 * 86400])
def test_scale_fits_any_span(span: int) -> None:
    start = 1_700_000_123
    scale = svg_timeline._Scale(start, start + span)
    assert 1 <= scale.columns <= svg_timeline.MAX_COLUMNS
    assert scale.low <= start and start + span < scale.low + scale.columns * scale.step
    assert scale.column(start) == 0 and scale.column(start + span) == scale.columns - 1 or span < scale.step


def test_empty_timeline_says_so() -> None:
    drawn = svg_timeline.draw(TriageResult("x"), [])
    assert drawn.svg == "" and "nothing to draw" in drawn.notes[0]


# -- any result renders ----------------------------------------------------------------------------
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_time = st.one_of(st.none(), _text, st.datetimes().map(lambda d: d.isoformat()),
                  st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()))


@st.composite
def _results(draw: st.DrawFn) -> TriageResult:
    findings = []
    for _ in range(draw(st.integers(0, 3))):
        finding = Finding(draw(_text), draw(st.sampled_from(["error", "cause", "unknown-code"])),
                          draw(st.floats(0, 1)), draw(_text), remediation=draw(st.lists(_text, max_size=3)),
                          doc=draw(_text), causes=[{"id": draw(_text), "confidence": draw(st.floats(0, 1))}])
        for _ in range(draw(st.integers(0, 4))):
            finding.add(Evidence(draw(_text), draw(st.integers(1, 10**6)), draw(_text), draw(_time)))
        findings.append(finding)
    timeline = Timeline()
    for _ in range(draw(st.integers(0, 5))):
        timeline.event(draw(_time), draw(st.sampled_from([k for k, _ in svg_timeline.LANES])), draw(_text),
                       draw(_text), draw(st.integers(1, 99)))
        timeline.count(draw(_time), "sig:" + draw(_text))
    return TriageResult(draw(_text), findings, [FileReport(draw(_text), None, "skipped", draw(_text))],
                        [Template(draw(_text), "ERROR", 1)], draw(st.lists(_text, max_size=2)), {}, timeline)


@given(_results())
def test_every_format_renders_any_result(result: TriageResult) -> None:
    for fmt in FORMATS:
        text = _render(result, fmt, threshold=0.0)
        assert isinstance(text, str)
        assert isinstance(_render(result, fmt, threshold=0.0, lang="zh-CN"), str)
    rows = list(csv.DictReader(io.StringIO(_render(result, "csv", threshold=0.0, per_evidence=True))))
    assert [r["text"] for r in rows] == [e.text for f in result.findings for e in f.evidence]
    assert "script" not in _parsed(_render(result, "html", threshold=0.0)).tags


# -- command line ----------------------------------------------------------------------------------
BUNDLE = str(FIXTURES / "bundles" / "linux_nonetwork_snapshot")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_cli_format_and_output(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / f"report.{fmt}"
    assert main(["triage", BUNDLE, "--quiet", "--format", fmt, "--output", str(target), "--jobs", "1"]) == 0
    assert capsys.readouterr().out == ""
    assert "ExtensionSnapshotFailedNoNetwork" in target.read_text(encoding="utf-8")


def test_cli_json_is_format_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", BUNDLE, "--quiet", "--json", "--jobs", "1"]) == 0
    shorthand = json.loads(capsys.readouterr().out)
    assert main(["triage", BUNDLE, "--quiet", "--format", "json", "--jobs", "1"]) == 0
    assert json.loads(capsys.readouterr().out) == shorthand


def test_cli_per_evidence_and_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", BUNDLE, "--quiet", "--format", "csv", "--per-evidence", "--jobs", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == ",".join(EVIDENCE_COLUMNS)
    assert main(["triage", BUNDLE, "--quiet", "--json", "--format", "csv", "--jobs", "1"]) == 2
    assert "--json" in capsys.readouterr().err
    assert main(["triage", BUNDLE, "--quiet", "--format", "html", "--output", str(tmp_path / "no" / "x.html"),
                 "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("logparse: error:") and "x.html" in err and len(err.splitlines()) == 1


def test_cli_output_off_a_terminal_has_no_escape_codes(capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert main(["triage", BUNDLE, "--quiet", "--jobs", "1"]) == 0
    assert "\x1b[" not in capsys.readouterr().out


# -- evidence lines: how many, which first, where ----------------------------------------------------
def test_a_line_number_that_is_not_known_is_left_out() -> None:
    finding = Finding("rp-collection-cleanup", "cause", 0.9, "t")
    finding.add(Evidence("restore_points/rpc.json", 0, "restorePoints: 18", None, "state"))
    result = TriageResult("b", [finding])
    for fmt in ("table", "markdown", "html", "csv"):
        text = _render(result, fmt)
        assert "restore_points/rpc.json" in text and "rpc.json:0" not in text, fmt
    row = next(csv.DictReader(io.StringIO(_render(result, "csv", per_evidence=True))))
    assert (row["path"], row["line"]) == ("restore_points/rpc.json", "")


def test_human_reports_show_the_most_telling_lines_and_count_the_rest() -> None:
    result = _triage("linux_nonetwork_snapshot")
    finding = next(f for f in result.findings if f.id == "no-network-wireserver")
    assert finding.evidence_count == 10 and len(finding.evidence) == 10
    markdown = _render(result, "markdown")
    start = re.search(r"^\*\*\d+\. `no-network-wireserver`\*\*", markdown, re.M)
    assert start is not None
    block = markdown[start.start():].split("\n\n")[0]
    evidence = re.findall(r"^  - `([^`]+)`", block, re.M)
    assert "- Evidence (10 line(s)):" in block and "  - ... and 7 more" in block
    assert evidence[0] == "var/log/waagent.log:217" and len(evidence) == 3
    page = _render(result, "html")
    article = page[page.index('data-finding="no-network-wireserver"'):]
    article = article[: article.index("</article>")]
    assert "line (5 of 10)" in article and "5 more kept line(s)" in article
    assert article.index("waagent.log:217") < article.index("waagent.log:171")
    assert article.count('<tr class="ev"') == 10, "every kept line has a row the timeline can link to"


def test_timeline_span_is_the_first_and_last_record_time_with_its_zone() -> None:
    span = _triage("linux_nonetwork_snapshot").timeline.to_dict()
    assert span["start"] == "2024-05-03T06:12:47.257662+00:00"  # not an hour rounded down, not zoneless
    # The last event's time; 02:45:48 (waagent.log's last record) once the scan hands record times to
    # Timeline.span (a change to analysis.py, proposed separately).
    assert span["end"] in ("2024-05-06T02:15:47.362660+00:00", "2024-05-06T02:45:48.914179+00:00")
    local = Timeline()
    local.event("2024-05-03T08:12:41.204117", "agent_start", "x", "var/log/waagent.log", 1)
    local.count("2024-05-03T09:00:01.5+00:00", "sig:X")
    local.span("2024-05-03T10:45:48.914179+00:00")  # a record time known without an event (a file's last line)
    assert (local.to_dict()["start"], local.to_dict()["end"]) == ("2024-05-03T08:12:41.204117",
                                                                  "2024-05-03T10:45:48.914179+00:00")
    loaded = TriageResult.from_dict(TriageResult("b", timeline=local).to_dict())
    assert loaded.timeline.to_dict() == local.to_dict()


def test_html_time_span_says_the_real_first_time() -> None:
    page = _render(_triage("linux_nonetwork_snapshot"), "html")
    assert re.search(r"2024-05-03 06:12:47Z to 2024-05-06 02:(15:47|45:48)Z", page)
    assert "06:00:00 local" not in page


def test_timeline_caption_stays_left_of_the_first_axis_label() -> None:
    drawn = svg_timeline.draw(_triage("linux_nonetwork_snapshot"), _triage("linux_nonetwork_snapshot").findings)
    axis = drawn.svg[drawn.svg.index('<g class="axis">'):]
    axis = axis[: axis.index("</g>")]
    captions = re.findall(r'<text class="unit" x="([\d.]+)" y="[\d.]+">([^<]*)</text>', axis)
    labels = re.findall(r'<text x="([\d.]+)" y="[\d.]+">([^<]*)</text>', axis)
    assert captions and labels
    # 11 px text is at most 6.5 px a character: the caption's right edge, the labels' left edges.
    caption_end = max(float(x) + 6.5 * len(text) for x, text in captions)
    assert caption_end <= svg_timeline.LABEL
    assert all(float(x) - 6.5 * len(text) / 2 > caption_end for x, text in labels)


# -- the reports' own words in the reader's language (--lang) -----------------------------------------
# format -> (English text the report holds, its zh-CN counterpart): headings, labels and fixed phrases.
_ZH_WORDS = {
    "table": [("finding(s) at >= 0.50", "个文件，置信度 >= 0.50 的诊断结果"),
              ("(times are UTC;", "（时间均为 UTC；"), ("   cause: ", "   原因："), ("more line(s)", "   ... 另有 "),
              ("Files not fully analysed", "未完全分析的文件"), (" path ", " 路径 ")],
    "markdown": [("### logparse triage: ", "### logparse triage 报告："), ("file(s) analysed", "个文件，"),
                 ("Times are UTC;", "时间均为 UTC；"), ("- Evidence (", "- 证据（"), ("  - ... and ", "  - ... 另有 "),
                 ("- Likely cause: ", "- 可能的原因："), ("- Steps:", "- 修复步骤："), ("- Docs: ", "- 文档：")],
    "html": [('<html lang="en">', '<html lang="zh-CN">'), (">Findings</a>", ">诊断结果</a>"),
             ("<h2>Findings at confidence &gt;= 0.50</h2>", "<h2>置信度 &gt;= 0.50 的诊断结果</h2>"),
             (">files analysed<", ">已分析的文件<"), ("All times are UTC;", "时间均为 UTC；"), ("Why: ", "判断依据："),
             ("<th>time</th><th>where</th><th>from</th>", "<th>时间</th><th>位置</th><th>来源</th>"),
             ("more kept line(s)", "行已保留"), ("Likely cause: ", "可能的原因："),
             ("<h2>Timeline</h2>", "<h2>时间线</h2>"), ("<h2>Files (", "<h2>文件（"),
             ("<th>path</th><th>format</th><th>status</th>", "<th>路径</th><th>格式</th><th>状态</th>"),
             ("<h2>Unrecognised errors and warnings</h2>", "<h2>无法识别的错误和警告</h2>"),
             ("This page is self-contained", "此页面完全独立"), ("agent event, snapshot attempt", "代理事件、快照尝试"),
             ("Timeline, ", "时间线："), (">agent starts<", ">代理启动<"), (" columns</text>", "每列 "),
             (" event(s), ", " 个事件，"), ("evidence: ", "证据：")],
}


@cache
def _triage_zh(case: str) -> TriageResult:
    result = logparse.triage(str(FIXTURES / "bundles" / case), jobs=1, lang="zh-CN")
    result.source = case
    return result


@pytest.mark.parametrize("fmt", sorted(_ZH_WORDS))
def test_zh_cn_reports_say_their_own_words_in_chinese(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    english = _render(_triage("linux_nonetwork_snapshot"), fmt)
    chinese = _render(_triage_zh("linux_nonetwork_snapshot"), fmt, lang="zh-CN")
    for en, zh in _ZH_WORDS[fmt]:
        assert en in english, f"the English {fmt} report no longer says {en!r}: update this test"
        assert zh in chinese, zh
        assert en not in chinese, en


@pytest.mark.parametrize("fmt", sorted(_ZH_WORDS))
def test_zh_cn_says_no_known_failure_in_chinese(fmt: str) -> None:
    text = _render(_triage_zh("linux_healthy"), fmt, lang="zh-CN")
    assert "未发现已知的备份故障。" in text and "No known backup failure found." not in text


def test_every_message_has_chinese_with_the_same_placeholders() -> None:
    from string import Formatter

    from logparse.render._text import LANGUAGES, MESSAGES

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in Formatter().parse(text) if name is not None}

    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGUAGES), key
        assert fields(texts["zh-CN"]) == fields(texts["en"]), key
        assert texts["zh-CN"] != texts["en"] or not re.search(r"[a-z]{2}", texts["en"]), key


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh-CN", "zh-CN"), ("zh", "zh-CN"), ("zh_CN.UTF-8", "zh-CN"), ("ZH-Hans", "zh-CN"), ("en", "en"),
    ("en-US", "en"), ("fr", "en"), ("zh-TW", "en"), ("", "en"), (None, "en")])
def test_a_language_the_reports_lack_is_english(lang: str | None, expected: str) -> None:
    from logparse.render._text import language, message

    assert language(lang) == expected
    assert message("no_failure", lang) == ("未发现已知的备份故障。" if expected == "zh-CN" else
                                           "No known backup failure found.")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_english_and_unknown_languages_render_as_before(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    result = _triage("linux_nonetwork_snapshot")
    default = _render(result, fmt)  # the golden output
    assert _render(result, fmt, lang="en") == default
    assert _render(result, fmt, lang="fr") == default


@pytest.mark.parametrize(("fmt", "per_evidence"), [("json", False), ("jsonl", False), ("jsonl", True),
                                                   ("csv", False), ("csv", True)])
def test_machine_readable_output_is_the_same_in_every_language(fmt: str, per_evidence: bool) -> None:
    result = _triage_zh("linux_nonetwork_snapshot")
    assert _render(result, fmt, per_evidence=per_evidence, lang="zh-CN") == _render(result, fmt,
                                                                                    per_evidence=per_evidence)


def test_zh_cn_html_marks_its_language_and_keeps_ids_and_statuses() -> None:
    page = _render(_triage_zh("linux_nonetwork_snapshot"), "html", lang="zh-CN")
    assert page.count('<html lang="zh-CN">') == 1 and 'lang="en"' not in page
    assert 'id="findings"' in page and 'data-finding="no-network-wireserver"' in page
    # The row's class is the value --json carries; the cell says it in words.
    assert '<tr class="skipped">' in page and "<td>已跳过</td>" in page and "<td>skipped</td>" not in page
    assert _parsed(page).csp == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def test_zh_cn_table_stays_aligned(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.cells import cell_len

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    text = _render(_triage_zh("linux_nonetwork_snapshot"), "table", lang="zh-CN")
    lines = text.splitlines()
    assert max(cell_len(line) for line in _wrapped(text)) <= WIDTH
    start = lines.index(next(line for line in lines if line.startswith("未完全分析的文件")))
    heading, *rows = lines[start + 1:start + 3]
    # Columns line up on screen: a heading starts at the same display column as the values under it.
    status, reason = heading.index("状态"), heading.index("原因")
    assert rows and all(cell_len(row[:row.index("已跳过")]) == cell_len(heading[:status]) for row in rows)
    assert all(cell_len(row[:row.index("没有已知的日志格式")]) == cell_len(heading[:reason]) for row in rows)


def test_zh_cn_timeline_caption_stays_left_of_the_first_axis_label() -> None:
    for case in ("linux_nonetwork_snapshot", "linux_agent_outdated"):  # UTC only; local values too
        result = _triage_zh(case)
        svg = svg_timeline.draw(result, result.findings, "zh-CN").svg
        axis = svg[svg.index('<g class="axis">'):]
        axis = axis[: axis.index("</g>")]
        captions = re.findall(r'<text class="unit" x="([\d.]+)" y="[\d.]+">([^<]*)</text>', axis)
        labels = re.findall(r'<text x="([\d.]+)" y="[\d.]+">([^<]*)</text>', axis)
        assert captions and labels and all("每列" in text or text.endswith("，") for _, text in captions)
        caption_end = max(float(x) + svg_timeline.text_width(text) for x, text in captions)
        assert caption_end <= svg_timeline.LABEL, captions
        assert all(float(x) - svg_timeline.text_width(text) / 2 > caption_end for x, text in labels)


def test_cli_lang_reaches_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", BUNDLE, "--quiet", "--format", "markdown", "--lang", "zh_CN.UTF-8", "--jobs", "1"]) == 0
    chinese = capsys.readouterr().out
    assert "- 修复步骤：" in chinese and "- Steps:" not in chinese
    assert main(["triage", BUNDLE, "--quiet", "--format", "markdown", "--lang", "en", "--jobs", "1"]) == 0
    assert "- Steps:" in capsys.readouterr().out
    assert main(["triage", BUNDLE, "--quiet", "--format", "csv", "--lang", "zh", "--jobs", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == ",".join(FINDING_COLUMNS)


# -- the analysis' reasons and warnings in the reader's language ------------------------------------
_LOG = b"".join(b"2024-05-06T01:36:%02d.079856Z INFO ExtHandler ExtHandler heartbeat %d\n" % (i % 60, i)
                for i in range(300))
# Two words of English in a row, once paths, names and codes (tokens with / . _ or a digit) are out.
_WIDE_OR_SPACE = r"\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_CODE_TOKEN = re.compile(rf"[^{_WIDE_OR_SPACE}]*[/._\d][^{_WIDE_OR_SPACE}]*")
_TWO_WORDS = re.compile(r"\b[A-Za-z][a-z]+(?:'[a-z]+)? [a-z]{2,}\b")


def _english_left(text: str) -> list[str]:
    return _TWO_WORDS.findall(_CODE_TOKEN.sub(" ", text))


def _crafted(root: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """name -> (input, triage options): inputs built so that the analysis writes each kind of reason."""
    from logparse.sources import Limits
    from tests import packing

    gz = gzip.compress(_LOG, mtime=0)
    crc = bytearray(gz)
    crc[-8] ^= 0xFF  # the stored CRC-32 no longer matches the data
    packing.write_tree(root / "tree", {
        "var/log/waagent.log": bytes(range(256)) * 40,  # named like a log, binary
        "core.bin": bytes(range(256)) * 40,
        "notes.txt": b"hello there\nnothing to see\n",  # no known layout
        "empty.log": b"",
        "big.log": b"x" * 50_000 + b"\n",  # over --max-member-size
        "var/log/waagent.log.1.gz": gz[: len(gz) // 2],  # cut short
        "var/log/waagent.log.2.gz": bytes(crc),
        "var/log/waagent.log.3.gz": gz + b"junk after the data",
        "var/log/waagent.log.4.gz": gzip.compress(_LOG * 10, mtime=0),  # inflates past the cap
        "var/log/azure/page.gz": b"<html><body>404</body></html>",
        "truncated__var_log_syslog.1": _LOG[:2000],
    })
    (root / "tree" / "link.log").symlink_to("notes.txt")
    tar = packing.tar_bytes({"var/log/waagent.log": _LOG, "var/log/azure/x.log": _LOG})
    (root / "cut.tar").write_bytes(tar[: 512 + len(_LOG) + 700])
    hostile = packing.hostile_tar([
        packing.Entry("var/log/l", tarfile.SYMTYPE, link="/etc/passwd"),
        packing.Entry("var/log/h", tarfile.LNKTYPE, link="var/log/l"), packing.Entry("dev/null", tarfile.CHRTYPE),
        packing.Entry("p", tarfile.FIFOTYPE), packing.Entry("../../evil.log", data=b"x\n"),
        packing.Entry("/abs.log", data=b"x\n"), packing.Entry("var/log/waagent.log", data=_LOG),
        packing.Entry("var/log/waagent.log", data=_LOG)])
    (root / "hostile.tar").write_bytes(hostile + b"garbage" * 200)
    (root / "crc.zip").write_bytes(packing.zip_bad_crc({"var/log/waagent.log": _LOG, "a.txt": b"x"},
                                                       "var/log/waagent.log"))
    (root / "locked.zip").write_bytes(packing.zip_flag({"var/log/waagent.log": _LOG, "b.log": _LOG}, "b.log", 1))
    whole = packing.zip_bytes({"var/log/waagent.log": _LOG, "x.log": _LOG})
    (root / "cut.zip").write_bytes(whole[: len(whole) // 2])
    (root / "pasted.txt").write_bytes(b"nothing to see here\nat all\n")
    (root / "state.json").write_bytes(b"this is not json")
    packing.write_tree(root / "nested", {"inner.tar": packing.tar_bytes({"a.log": _LOG})})
    packing.write_tree(root / "zeros", {"var/log/waagent.log.1.gz": gzip.compress(bytes(200_000), mtime=0)})
    packing.write_tree(root / "many", {f"var/log/waagent.log.{n}": _LOG for n in range(1, 5)})
    (root / "void").mkdir()
    tree = str(root / "tree")
    return {
        "tree": (tree, {"limits": Limits(max_member_bytes=40_000)}),
        "cut tar": (str(root / "cut.tar"), {}), "hostile tar": (str(root / "hostile.tar"), {}),
        "zip crc": (str(root / "crc.zip"), {}), "zip encrypted": (str(root / "locked.zip"), {}),
        "cut zip": (str(root / "cut.zip"), {}), "pasted text": (str(root / "pasted.txt"), {}),
        "not a state document": (tree, {"state_files": [str(root / "state.json")]}),
        "too deep": (str(root / "nested"), {"limits": Limits(max_depth=0)}),
        "ratio": (str(root / "zeros"), {"limits": Limits(max_ratio=2.0, ratio_grace_bytes=1000)}),
        "total cap": (str(root / "many"), {"limits": Limits(max_total_bytes=30_000)}),
        "member count": (str(root / "many"), {"limits": Limits(max_members=2)}),
        "empty": (str(root / "void"), {}),
    }


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TriageResult]:
    return {name: logparse.triage(source, jobs=1, lang="zh-CN", **options)
            for name, (source, options) in _crafted(tmp_path_factory.mktemp("crafted")).items()}


def _said(result: TriageResult) -> list[str]:
    """Every reason and warning the analysis wrote into ``result``."""
    return [f.reason for f in result.files if f.reason] + result.warnings


def test_crafted_inputs_make_the_analysis_write_its_reasons(crafted: dict[str, TriageResult]) -> None:
    said = "\n".join(text for result in crafted.values() for text in _said(result))
    for expected in ("binary data, not a waagent log", "exceeds per-member cap of 40000 bytes", "no known log layout",
                     "truncated: Compressed file ended", "gzip CRC-32 mismatch", "bytes after the compressed data",
                     "archive cut or corrupt", "path traversal", "encrypted", "zip directory unreadable",
                     "no file had a known log layout", "not read as a state document", "nested archive deeper",
                     "compression ratio above 2", "total size cap of 30000 bytes", "more than 2 members", "no members"):
        assert expected in said, f"no crafted input makes the analysis say {expected!r} any more: update _crafted"


@pytest.mark.parametrize("case", ["tree", "cut tar", "hostile tar", "zip crc", "zip encrypted", "cut zip",
                                  "pasted text", "not a state document", "too deep", "ratio", "total cap",
                                  "member count", "empty"])
def test_zh_cn_reports_say_the_analysis_reasons_in_chinese(case: str, crafted: dict[str, TriageResult],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    result = crafted[case]
    said = _said(result)
    assert said
    # A width no reason fills: the files table then holds each reason on one line.
    table = _render(result, "table", lang="zh-CN", width=2000).splitlines()
    shown = [line for line in table if line.startswith("警告：")]
    listed = sum(1 for f in result.files if f.status != "analyzed" or f.truncated or f.damaged)
    at = next((i for i, line in enumerate(table) if line.startswith("未完全分析的文件")), None)
    assert (at is not None) == bool(listed)  # the files table is there exactly when a file is not fully read
    if at is not None:
        rows = table[at + 2:] + [""]
        shown += rows[: rows.index("")]
        assert len(shown) >= listed
    assert len(shown) >= len(result.warnings) and not [w for line in shown for w in _english_left(line)], shown
    assert not re.search(r"\b(?:analyzed|skipped|failed)\b", "\n".join(shown))
    page = _render(result, "html", lang="zh-CN")
    cells = re.findall(r'<td class="num">\d+</td><td>(.*?)</td></tr>', page) + re.findall(
        r"<li>(.*?)</li>", page[page.find('<section id="warnings">'):])
    assert not [words for cell in cells for words in _english_left(html.unescape(cell))], cells
    notes = [line for line in _render(result, "markdown", lang="zh-CN").splitlines() if line.startswith("> ")]
    assert len(notes) == len(result.warnings) and not [w for line in notes for w in _english_left(line)]
    # Each reason and warning itself, as the table translates it.
    from logparse.render._common import html_text
    from logparse.render._text import reason

    for text in said:
        chinese = reason(text, "zh-CN")
        assert chinese != text and not _english_left(chinese), (text, chinese)
        assert html_text(chinese) in page


def test_the_cli_cap_reason_reaches_the_zh_cn_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, _ = _crafted(tmp_path)["tree"]
    assert main(["triage", source, "--max-member-size", "40000", "--lang", "zh-CN", "--jobs", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "超过单个成员的大小上限 40000 字节" in out and "exceeds per-member cap" not in out


@pytest.mark.parametrize(("fmt", "per_evidence"), [("json", False), ("jsonl", False), ("jsonl", True),
                                                   ("csv", False), ("csv", True)])
def test_machine_readable_output_keeps_the_english_reasons(fmt: str, per_evidence: bool,
                                                           crafted: dict[str, TriageResult]) -> None:
    for result in crafted.values():
        assert _render(result, fmt, per_evidence=per_evidence, threshold=0.0, lang="zh-CN") == _render(
            result, fmt, per_evidence=per_evidence, threshold=0.0)
    saved = json.loads(_render(crafted["tree"], "json", lang="zh-CN"))
    assert saved["warnings"] == crafted["tree"].warnings
    assert {f["status"] for f in saved["files"]} == {"analyzed", "skipped"}
    assert "binary data, not a waagent log" in [f["reason"] for f in saved["files"]]


def test_a_reason_the_table_lacks_is_shown_as_written() -> None:
    from logparse.render._text import reason

    for text in ("something new: 12 (x)", "x; y", "", "unreadable", "a: b: c", "binary data but not quite"):
        assert reason(text, "zh-CN") == text
    # What the table knows is translated around what it does not: the library's words stay as written.
    assert reason("a.gz: truncated: zlib said something new", "zh-CN") == "a.gz：已截断：zlib said something new"
    assert reason("binary data", "en") == reason("binary data", "fr") == "binary data"


def test_a_name_built_to_hold_many_reasons_words_stays_cheap() -> None:
    from logparse.render._text import _MAX_WORK, _translate, _work, reason

    # Member names are bundle data: a 3.6 KB one of ": " and "; " pieces took 4.7 s to try every
    # way of cutting it. The work is counted (rows tried, cuts placed): past a budget the text is
    # shown as written, so the cost of one reason is bounded whatever its name.
    for piece in ("a: b; ", "corrupt: a; then ", "damaged: a; then corrupt: b; "):
        name = "var/log/" + piece * (3600 // len(piece)) + "waagent.log: binary data, not a waagent log"
        _translate.cache_clear()
        assert reason(name, "zh-CN") == name
        assert _work[0] == -1  # the budget ran out, and nothing more was tried after it
    # A usual reason needs a handful of steps and is translated as ever.
    _translate.cache_clear()
    assert reason("var/log/x.log: binary data", "zh-CN") == "var/log/x.log：二进制数据"
    assert _MAX_WORK - _work[0] < 50


def test_a_path_before_a_reason_is_kept_whole() -> None:
    from logparse.render._text import reason

    # The path holds ": " and the very words that follow it: it is cut where a known reason starts.
    assert reason("C: disk: binary data: x.log: binary data", "zh-CN") == "C: disk: binary data: x.log：二进制数据"
    # A member named with " (" and ")" in an archive cut after it: the reason inside is still found.
    cut = "b.tar: archive cut or corrupt after member log (1).txt (corrupt: bad checksum); later members unread"
    assert reason(cut, "zh-CN") == ("b.tar：归档在成员 log (1).txt 之后被截断或已损坏（已损坏：校验和错误）；"
                                    "后面的成员未读取")
    assert reason("x.gz: damaged: gzip CRC-32 mismatch (stored 0a, data 0b); gzip length mismatch of member 2 "
                  "(stored 3, data 4 mod 2**32): the text may be altered", "zh-CN") == (
        "x.gz：校验失败：gzip CRC-32 不一致（记录为 0a，数据为 0b）；"
        "第 2 个 gzip 成员的长度不一致（记录为 3，数据为 4 mod 2**32）：文本可能已被改动")


@given(_text.filter(bool),
       st.sampled_from(["binary data", "exceeds per-member cap of 7 bytes", "truncated: unexpected end of data"]))
def test_any_path_before_a_known_reason_is_kept_as_written(path: str, known: str) -> None:
    from logparse.render._text import reason

    assume(path.count(": ") < 15)  # past that a text is shown as written (a path is no list of labels)
    text = f"{path}: {known}"
    said = reason(text, "zh-CN")
    assert said.startswith(path) or ": " in path  # a path holding ": " may be cut at a known reason inside it
    assert said != text and not _english_left(said[len(path):])


# Modules whose words reach a triage result as a file's reason, a warning, a finding's reason or the
# basis of its evidence window. batch.py, _batch_inputs.py and textio.py also write warnings and caps,
# about batch inputs and single files read by `parse`: none reaches a triage report.
_REASON_MODULES = ("sources.py", "_streams.py", "_tarscan.py", "_zipscan.py", "_paths.py", "analysis.py",
                   "diagnose.py", "state/__init__.py", "state/_doc.py", "state/ext_status.py",
                   "state/goal_state.py", "state/feed.py", "state/rules.py", "state/across.py")
_NOT_REASONS = {  # phrases of those modules that are no reason, each with what it is
    "not a size: {} (examples: 500M, 2G)": "a usage error of --max-member-size",
    "{}: empty input": "the input itself: the CLI says it and exits 2, no report",
    "an archive": "the input itself: the CLI says it and exits 2, no report",
    "{}: named like {} but is not (starts {})": "the input itself: the CLI says it and exits 2, no report",
    "{}: no such file or directory": "the input itself: the CLI says it and exits 2, no report",
    "{}: cannot open ({})": "the input itself: the CLI says it and exits 2, no report",
    "internal: member streams must support peek()": "an assertion",
    "old bak backup copy orig original prev previous new latest last save saved tmp temp current log logs":
        "words of file names",
    "<other templates>": "a template placeholder",
    "agent version {}": "the text of a timeline event",
    "module 'logparse.state' has no attribute {}": "an AttributeError",
    "compressed data": "the input itself: the CLI says it and exits 2, no report",
    "unexpected end": "words looked for in a library's error",
    "(file path)": "an evidence label",
    "lock {} on the subscription": "an evidence label",
    "lock {} on resource group {}": "an evidence label",
    "a restore point collection": "an evidence label",
    "a resource of type {}": "an evidence label",
    " in resource group {}": "an evidence label",
}
_SINKS = re.compile(r"warnings\.(?:append|extend)\(|Skipped\(|\.reason\s*=|\bskipped\(|reasons\.(?:append|insert)\(|"
                    r"\.stated\(|cap_reason=|\bout\.(?:add|hits)\(|out\(\w+\)\.add\(")


def _phrases(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line, literal pieces around its placeholders) of each string in ``path`` with two words in it."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.JoinedStr):
            skip.update(id(inner) for value in node.values for inner in ast.walk(value))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            pieces = re.split(r"\{\w+\}", node.value)  # a str.format template, as state/rules.py has
        elif isinstance(node, ast.JoinedStr):
            pieces, current = [], ""
            for value in node.values:
                if isinstance(value, ast.Constant):
                    current += str(value.value)
                else:
                    pieces.append(current)
                    current = ""
            pieces.append(current)
        else:
            continue
        if re.search(r"[A-Za-z]+ [a-z]+", "{}".join(pieces)):
            yield node.lineno, pieces


def _has_row(pieces: list[str]) -> bool:
    """A row of ``REASONS`` says the text made of ``pieces`` (with anything, or nothing, in between).

    A whole reason must translate; a piece of one (it starts or ends with a separator: " of member
    {}", "; then {}") must stand, in order, in the English of one row.
    """
    from itertools import product

    from logparse.render._text import REASONS, reason

    holes = len(pieces) - 1
    for fill in product(("7", ""), repeat=min(holes, 6)):
        values = (*fill, *["7"] * (holes - len(fill)), "")
        sample = "".join(piece + value for piece, value in zip(pieces, values, strict=True))
        if reason(sample, "zh-CN") != sample:
            return True
    text = "{}".join(pieces)
    if not re.match(r"[\s;:,(]|\{\}", text) and not re.search(r"[\s;:,)]$|\{\}$", text):
        return False
    wanted = [piece for piece in pieces if piece]
    for english, _ in REASONS:
        at = 0
        for piece in wanted:
            at = english.find(piece, at)
            if at < 0:
                break
            at += len(piece)
        else:
            return True
    return False


def test_every_reason_the_code_writes_has_a_row() -> None:
    package = Path(logparse.__file__).parent
    missing, seen = [], set()
    for module in _REASON_MODULES:
        for line, pieces in _phrases(package / module):
            text = "{}".join(pieces)
            seen.add(text)
            if text not in _NOT_REASONS and not _has_row(pieces):
                missing.append(f"logparse/{module}:{line}: {text!r}")
    assert not missing, "add a row to REASONS in logparse/render/_text.py (or, if it is no reason, to " \
                        "_NOT_REASONS here) for:\n" + "\n".join(missing)
    assert not set(_NOT_REASONS) - seen, "no longer in the code: remove from _NOT_REASONS"


def test_every_module_that_writes_reasons_is_scanned() -> None:
    package = Path(logparse.__file__).parent
    writers = {path.relative_to(package).as_posix() for path in package.rglob("*.py")
               if _SINKS.search(path.read_text(encoding="utf-8"))}
    # state/model.py defines skipped(); fuzzy/rejoin.py adds offsets to a set named out.
    not_in_reports = {"batch.py", "_batch_inputs.py", "textio.py", "state/model.py", "fuzzy/rejoin.py"}
    assert writers - not_in_reports <= set(_REASON_MODULES), writers - not_in_reports - set(_REASON_MODULES)
    assert len(writers) >= 8  # the scan itself still finds what it looks for


def test_every_reason_row_is_well_formed() -> None:
    from string import Formatter

    from logparse.render._text import _NESTED, REASONS

    def fields(text: str) -> list[str]:
        return [name for _, name, _, _ in Formatter().parse(text) if name is not None]

    englishes = [english for english, _ in REASONS]
    assert len(set(englishes)) == len(englishes)
    for english, chinese in REASONS:
        names = fields(english)
        assert sorted(names) == sorted(fields(chinese)) and len(set(names)) == len(names), english
        assert "{}{" not in re.sub(r"\{\w+\}", "{}", english), english  # two values in a row cannot be told apart
        words = re.sub(r"\{\w+\}", "", chinese).replace("waagent -collect-logs", "")
        assert not re.search(r"[a-z]{3,} [a-z]{3,}", words), chinese
    assert _NESTED <= {name for english in englishes for name in fields(english)}


# -- statuses, kinds and line breaks in Chinese -----------------------------------------------------
def test_zh_cn_names_statuses_and_kinds_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    finding = Finding("UserErrorNew", "unknown-code", 0.9, "Unknown error code UserErrorNew", severity="warning",
                      reasons=["a code in an error-code position that the catalogue does not know"])
    cause = Finding("no-network-wireserver", "cause", 0.8, "无法通过网络访问线路服务器")
    result = TriageResult("b", [finding, cause], [FileReport("a.log", None, "failed", "binary data"),
                                                  FileReport("b.log", "waagent", "analyzed", "truncated by the "
                                                             "collector", 3, truncated=True)])
    table = _render(result, "table", lang="zh-CN")
    assert "UserErrorNew（未知代码）- 未知的错误代码 UserErrorNew" in table and "（根本原因）" in table
    assert re.search(r"a\.log +失败 +二进制数据", table)
    assert re.search(r"b\.log +已分析（已截断） +已被日志收集工具截断", table)
    markdown = _render(result, "markdown", lang="zh-CN")
    assert "（未知代码，置信度 0.90）：未知的错误代码 UserErrorNew" in markdown and "（根本原因，" in markdown
    page = _render(result, "html", lang="zh-CN")
    assert "(未知代码, 警告)" in page and "判断依据：位于错误代码位置、但目录中没有的代码" in page
    assert '<tr class="failed">' in page and "<td>失败</td>" in page
    english = _render(result, "table")
    assert "UserErrorNew (unknown-code) - Unknown error code UserErrorNew" in english
    assert re.search(r"a\.log +failed +binary data", english)


def _step_result(step: str) -> TriageResult:
    finding = Finding("ExtensionSnapshotFailedNoNetwork", "error", 0.99, "快照失败：VM 无网络连接",
                      remediation=[step])
    return TriageResult("b", [finding], [FileReport("var/log/waagent.log.1.gz", "waagent", "analyzed",
                                                    "var/log/waagent.log.1.gz: truncated: Compressed file ended "
                                                    "before the end-of-stream marker was reached", 3, truncated=True)])


_STEP = ("检查 NSG 规则和代理设置，确保虚拟机可以通过 HTTPS 访问 Azure 存储服务以及 168.63.129.16 地址，"
         "然后重试备份；错误代码ExtensionSnapshotFailedNoNetwork表示扩展无法访问存储，"
         "详见 https://aka.ms/azurebackup-nonetwork 页面。")


@pytest.mark.parametrize("width", [34, 40, 57, 80])
def test_a_long_chinese_step_fills_its_lines_and_keeps_words_whole(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.cells import cell_len

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    lines = _render(_step_result(_STEP), "table", lang="zh-CN", width=width).splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("   1. "))
    step = [lines[first][6:]]
    for line in lines[first + 1:]:
        if not line.startswith("   "):  # the finding has nothing after its step (no cause, no doc link)
            break
        step.append(line[3:])
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(step).replace(" ", "") == _STEP.replace(" ", "")  # nothing lost, broken only between units
    for code in ("ExtensionSnapshotFailedNoNetwork", "168.63.129.16", "https://aka.ms/azurebackup-nonetwork", "HTTPS"):
        # Never cut inside, unless wider than a line.
        assert any(code in line for line in step) or cell_len(code) > width - 3, (code, step)
    # No line breaks early: the next line's first unit (after the space between, if any) would not have fitted.
    end = 0
    for number, (line, after) in enumerate(zip(step, step[1:], strict=False)):
        end = _STEP.index(line, end) + len(line)
        gap = len(_STEP) - len(_STEP[end:].lstrip(" ")) - end
        room = width - (6 if number == 0 else 3)
        unit = re.match(r"[\u4e00-\u9fff][，。；：）、]*|[!-~]+", after).group()  # type: ignore[union-attr]
        assert cell_len(line) + gap + cell_len(unit) > room, (line, after)
    # Punctuation that closes never starts a line.
    assert not [line for line in step[1:] if line[:1] in "，。；：）、"]


def test_a_chinese_reason_wraps_inside_its_column(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.cells import cell_len

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    text = _render(_step_result("步骤"), "table", lang="zh-CN", width=60)
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("未完全分析的文件"))
    heading, *rows = [line for line in lines[start + 1:] if line.strip()]
    reason_at = cell_len(heading[:heading.index("原因")])
    assert max(cell_len(line) for line in lines) <= 60 and len(rows) > 1
    # Every line of the reason starts in the reason column: the path column stayed narrow enough.
    assert all(cell_len(row) > reason_at and not row[:reason_at].strip().endswith("：") for row in rows)
    said = "".join(row[reason_at:].strip() for row in rows[0:])
    assert "已截断：压缩文件在数据流结束标记之前就结束了" in said.replace(" ", "")
