"""The HTML report in a real headless Chromium: findings, evidence and timeline render, nothing is fetched.

Chromium is driven over the DevTools protocol on a pipe (tests/chromium.py) so every request the
page starts is logged; the page's CSP must also make the browser itself refuse any fetch. A
screenshot goes to test-artifacts/report.png.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

import logparse
from logparse.findings import FileReport
from logparse.render import RenderOptions, render
from tests.chromium import Browser, chromium_binary
from tests.conftest import FIXTURES, ROOT

BINARY = chromium_binary()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BINARY is None, reason="chromium is not installed (apt-get install chromium)"),
]
CASE = "linux_nonetwork_snapshot"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert BINARY is not None
    session = Browser(BINARY)
    try:
        yield session
    finally:
        session.close()


@pytest.fixture(scope="module")
def result() -> logparse.TriageResult:
    return logparse.triage(str(FIXTURES / "bundles" / CASE), jobs=1)


def _page(result: logparse.TriageResult, tmp_path: Path) -> Path:
    out = io.StringIO()
    render(result, "html", out, RenderOptions())
    path = tmp_path / "report.html"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_report_renders_findings_evidence_and_marked_timeline(browser: Browser, result: logparse.TriageResult,
                                                              tmp_path: Path) -> None:
    page = _page(result, tmp_path)
    browser.open(page)
    shown = result.findings_at(0.5)
    dom = browser.evaluate("""(() => {
        const q = (s) => Array.from(document.querySelectorAll(s));
        const svg = document.querySelector('#timeline svg.timeline');
        const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
        const marks = q('#timeline svg a > path.mark');
        return {
            findings: q('#findings > article.finding').map(a => a.dataset.finding),
            evidence: q('#findings tr.ev td.loc').map(td => td.textContent),
            svg: [box.width, box.height],
            rows: q('#timeline svg g.row').map(g => g.dataset.row),
            marks: marks.length,
            marked_events: q('#timeline svg circle.event.marked').length,
            targets: marks.map(m => !!document.querySelector(m.parentElement.getAttribute('href'))),
            csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]').content,
            scripts: q('script').length,
        };
    })()""")
    assert dom["findings"] == [f.id for f in shown]
    assert "var/log/waagent.log:171" in dom["evidence"]
    assert sum(len(f.evidence) for f in shown) == len(dom["evidence"])
    assert dom["svg"][0] > 600 and dom["svg"][1] > 100, "the timeline was not laid out"
    assert {"agent_start", "extension_state", "snapshot_attempt", "sig:no-network-wireserver"} <= set(dom["rows"])
    assert dom["marks"] + dom["marked_events"] >= 1 and all(dom["targets"])
    assert dom["csp"].startswith("default-src 'none'") and dom["scripts"] == 0
    assert browser.requests() == [(page.resolve().as_uri(), None)], "the page fetched something besides itself"
    browser.screenshot(ROOT / "test-artifacts" / "report.png")
    assert (ROOT / "test-artifacts" / "report.png").stat().st_size > 10_000


def test_csp_makes_the_browser_refuse_fetches(browser: Browser, result: logparse.TriageResult,
                                              tmp_path: Path) -> None:
    # Proves the meta tag, not just our markup, keeps the page offline: planted fetches are refused.
    page = _page(result, tmp_path)
    planted = ('<img src="http://127.0.0.1:9/pixel.png"><link rel="stylesheet" href="https://127.0.0.1:9/x.css">'
               '<script src="http://127.0.0.1:9/x.js"></script>')
    page.write_text(page.read_text(encoding="utf-8").replace("<body>", "<body>" + planted, 1), encoding="utf-8")
    browser.open(page)
    browser.evaluate("document.readyState")  # lets the refusals of the planted fetches arrive
    requests = browser.requests()
    assert requests[0] == (page.resolve().as_uri(), None)
    # Chromium reports each planted fetch, then that CSP blocked it before anything left the machine.
    assert sorted(requests[1:]) == sorted((url, "csp") for url in ("http://127.0.0.1:9/pixel.png",
                                                                  "https://127.0.0.1:9/x.css",
                                                                  "http://127.0.0.1:9/x.js"))
    assert sum("Content Security Policy" in m for m in browser.console()) == 3


def test_timeline_caption_does_not_overlap_an_axis_label(browser: Browser, result: logparse.TriageResult,
                                                         tmp_path: Path) -> None:
    browser.open(_page(result, tmp_path))
    boxes = browser.evaluate("""(() => {
        const box = (t) => { const b = t.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; };
        const q = (s) => Array.from(document.querySelectorAll(s));
        return {captions: q('#timeline svg g.axis text.unit').map(box),
                labels: q('#timeline svg g.axis text:not(.unit)').map(box)};
    })()""")
    assert boxes["captions"] and boxes["labels"]

    def overlap(a: list[float], b: list[float]) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    assert not [(c, label) for c in boxes["captions"] for label in boxes["labels"] if overlap(c, label)]


def test_a_zh_cn_page_says_statuses_reasons_and_warnings_in_chinese_within_its_width(
        browser: Browser, tmp_path: Path) -> None:
    long_name = "var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/" + "x" * 80 + ".log.1.gz"
    result = logparse.TriageResult("bundle.tar.gz", files=[
        FileReport(long_name, "vmsnapshot", "analyzed", f"{long_name}: truncated: Compressed file ended "
                            "before the end-of-stream marker was reached", 12, truncated=True),
        FileReport("etc/os-release", None, "skipped", "no known log layout")],
        warnings=[f"{long_name}: truncated: Compressed file ended before the end-of-stream marker was reached"])
    out = io.StringIO()
    render(result, "html", out, RenderOptions(lang="zh-CN"))
    page = tmp_path / "report.html"
    page.write_text(out.getvalue(), encoding="utf-8")
    browser.open(page, width=480)
    dom = browser.evaluate("""(() => {
        const q = (s) => Array.from(document.querySelectorAll(s));
        return {
            cells: q('#files tr:not(:first-child)').map(tr => Array.from(tr.cells).map(td => td.textContent)),
            warnings: q('#warnings li').map(li => li.textContent),
            overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        };
    })()""")
    assert dom["cells"][0][2] == "已分析（已截断）" and dom["cells"][1][2:] == ["已跳过", "0", "没有已知的日志格式"]
    assert dom["cells"][0][4] == f"{long_name}：已截断：压缩文件在数据流结束标记之前就结束了"
    assert dom["warnings"] == [dom["cells"][0][4]]
    assert dom["overflow"] <= 0, "a Chinese reason or a long path widened the page past the window"
