"""The terminal report: findings with confidence, evidence and steps, then the files not fully read.

rich decides colour: none when the output is not a terminal or ``NO_COLOR`` is set, and the
width follows the terminal (or ``COLUMNS``) unless the caller fixes it, as the tests do.
"""

from __future__ import annotations

from typing import TextIO

from logparse._console import make_console
from logparse.findings import HIGHLIGHTS, TriageResult
from logparse.render._common import (
    LOCAL_NOTE,
    RenderOptions,
    display_time,
    likely_causes,
    more_lines,
    shown_findings,
    visible,
)


def render(result: TriageResult, out: TextIO, options: RenderOptions) -> None:
    from rich.table import Table
    from rich.text import Text

    # Text objects, never markup strings: a path or log line holding "[bold]", "[/x]" or ":warning:"
    # is printed as written, and visible() turns its control characters into symbols.
    def line(*parts: str | tuple[str, str]) -> Text:
        return Text.assemble(*((visible(p), "") if isinstance(p, str) else (visible(p[0]), p[1]) for p in parts))

    console = make_console(file=out, width=options.width, highlight=False)
    threshold = options.threshold
    shown = shown_findings(result, options)
    analysed = sum(1 for f in result.files if f.status == "analyzed")
    console.print(line(("logparse triage", "bold"), f" {result.source}: {analysed} file(s) analysed, "
                       f"{len(shown)} finding(s) at >= {threshold:.2f}"))
    if not shown:
        console.print(line("No known backup failure found." if not result.findings else
                           f"Nothing at >= {threshold:.2f}; weaker hints: "
                           + ", ".join(f"{f.id} ({f.confidence:.2f})" for f in result.findings[:5])))
    elif any(e.timestamp for f in shown for e in f.evidence):
        console.print(line((f"({LOCAL_NOTE})", "dim")))
    for finding in shown:
        colour = "red" if finding.confidence >= 0.8 else "yellow"
        console.print()
        console.print(line((f"{finding.confidence:.2f}", f"bold {colour}"), " ", (finding.id, "bold"),
                           f" ({finding.kind}) - {finding.title}"))
        shown_lines = finding.shown(HIGHLIGHTS)
        for item in shown_lines:
            when = f" {display_time(item.timestamp)}" if item.timestamp else ""
            console.print(line("   ", (f"{item.where()}{when}", "dim"), f"  {item.text[:200]}"))
        if more := more_lines(finding, len(shown_lines)):
            console.print(line("   ", (more, "dim")))
        for number, step in enumerate(finding.remediation, 1):
            console.print(line(f"   {number}. {step}"))
        for cause in likely_causes(finding, threshold):
            console.print(line("   cause: ", (str(cause["id"]), "bold"),
                               f" ({cause['confidence']:.2f}) {cause.get('title', '')}"))
        if finding.doc:
            console.print(line("   ", (finding.doc, "blue")))
    skipped = [f for f in result.files if f.status != "analyzed" or f.truncated]
    if skipped:
        table = Table(title="Files not fully analysed", box=None, title_justify="left")
        for column in ("path", "status", "reason"):
            table.add_column(column, overflow="fold")
        for f in skipped:
            table.add_row(line(f.path), line(f.status + (" (truncated)" if f.truncated else "")), line(f.reason or ""))
        console.print()
        console.print(table)
    if result.unrecognized:
        console.print()
        console.print(line(("Unrecognised errors and warnings", "bold"), " (no catalogue signature):"))
        for template in result.unrecognized[:8]:
            console.print(line(f"   {template.count:>6}  {template.level:7} {template.template[:150]}"))
    for warning in result.warnings:
        console.print(line(("warning:", "yellow"), f" {warning}"))


def render_triage(result: TriageResult, out: TextIO, *, threshold: float = 0.5, width: int | None = None,
                  verbose: bool = False) -> None:
    """The terminal summary of a triage (the keyword form older callers use)."""
    render(result, out, RenderOptions(threshold=threshold, verbose=verbose, width=width))
