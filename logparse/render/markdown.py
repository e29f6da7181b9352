"""Markdown report: a compact block to paste into a ticket (findings, top evidence, steps, links)."""

from __future__ import annotations

import re
from typing import TextIO

from logparse.findings import Evidence, TriageResult
from logparse.render._common import LOCAL_NOTE, RenderOptions, display_time, likely_causes, shown_findings, visible

# Evidence lines per finding in a ticket (the most telling): enough to prove it, short enough to read.
TOP_EVIDENCE = 3
TEXT_CHARS = 160
# Intraword _ and a # that does not start the line are literal in CommonMark: leave them readable.
_SPECIAL = re.compile(r"([\\`*\[\]<>])")


def render(result: TriageResult, out: TextIO, options: RenderOptions) -> None:
    out.write("\n".join(_lines(result, options)) + "\n")


def _lines(result: TriageResult, options: RenderOptions) -> list[str]:
    shown = shown_findings(result, options)
    analysed = sum(1 for f in result.files if f.status == "analyzed")
    skipped = len(result.files) - analysed
    lines = [f"### logparse triage: {_text(result.source)}", ""]
    summary = (f"{analysed} file(s) analysed, {skipped} skipped or failed; "
               f"{len(shown)} finding(s) at confidence >= {options.threshold:.2f}.")
    if any(e.timestamp for f in shown for e in f.evidence):
        summary += f" {LOCAL_NOTE[0].upper()}{LOCAL_NOTE[1:]}."
    lines.append(summary)
    if not shown:
        hints = ", ".join(f"{_code(f.id)} ({f.confidence:.2f})" for f in result.findings[:5])
        lines += ["", "No known backup failure found." if not result.findings else f"Weaker hints only: {hints}"]
    for number, finding in enumerate(shown, 1):
        lines += ["", f"**{number}. {_code(finding.id)}** ({_text(finding.kind)}, "
                      f"confidence {finding.confidence:.2f}): {_text(finding.title)}"]
        if finding.evidence:
            picked = finding.shown(TOP_EVIDENCE)
            lines.append(f"- Evidence ({max(finding.evidence_count, len(finding.evidence))} line(s)):")
            lines += [f"  - {_evidence(e)}" for e in picked]
            more = finding.evidence_count - len(picked)
            if more > 0:
                lines.append(f"  - ... and {more} more")
        for cause in likely_causes(finding, options.threshold):
            lines.append(f"- Likely cause: {_code(str(cause['id']))} ({cause['confidence']:.2f}) "
                         f"{_text(str(cause.get('title', '')))}")
        if finding.remediation:
            lines.append("- Steps:")
            lines += [f"  {step}. {_text(text)}" for step, text in enumerate(finding.remediation, 1)]
        if finding.doc:
            lines.append(f"- Docs: <{visible(finding.doc)}>")
    if result.unrecognized:
        top = result.unrecognized[0]
        lines += ["", f"{len(result.unrecognized)} unrecognised error/warning template(s); most frequent "
                      f"({top.count}x {_text(top.level)}): {_code(top.template[:TEXT_CHARS])}"]
    if result.warnings:
        lines += ["", *(f"> warning: {_text(w)}" for w in result.warnings)]
    return lines


def _evidence(item: Evidence) -> str:
    when = f" {display_time(item.timestamp)}" if item.timestamp else ""
    text = item.text if len(item.text) <= TEXT_CHARS else item.text[:TEXT_CHARS] + "..."
    return f"{_code(item.where())}{when} {_code(text)}"


def _code(text: str) -> str:
    """Inline code that survives backticks in the text (a fence longer than any run inside)."""
    text = visible(" ".join(text.split()))
    runs = [len(m) for m in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _text(text: str) -> str:
    """Plain text with markdown syntax escaped, on one line, its control characters made visible."""
    return _SPECIAL.sub(r"\\\1", visible(" ".join(text.split())))
