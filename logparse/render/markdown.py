"""Markdown report: a compact block to paste into a ticket (findings, top evidence, steps, links)."""

from __future__ import annotations

import re
from typing import TextIO

from logparse.findings import Evidence, TriageResult
from logparse.render._common import RenderOptions, display_time, finding_title, likely_causes, shown_findings, visible
from logparse.render._text import message, reason, term

# Evidence lines per finding in a ticket (the most telling): enough to prove it, short enough to read.
TOP_EVIDENCE = 3
TEXT_CHARS = 160
# Intraword _ and a # that does not start the line are literal in CommonMark: leave them readable.
_SPECIAL = re.compile(r"([\\`*\[\]<>])")


def render(result: TriageResult, out: TextIO, options: RenderOptions) -> None:
    out.write("\n".join(_lines(result, options)) + "\n")


def _lines(result: TriageResult, options: RenderOptions) -> list[str]:
    shown = shown_findings(result, options)
    lang = options.lang
    analysed = sum(1 for f in result.files if f.status == "analyzed")
    skipped = len(result.files) - analysed
    # The heading and the message texts hold no markdown syntax: only the values in them are escaped.
    lines = [f"### {message('title', lang, source=_text(result.source))}", ""]
    summary = message("md.summary", lang, analysed=analysed, skipped=skipped, shown=len(shown),
                      threshold=options.threshold)
    if any(e.timestamp for f in shown for e in f.evidence):
        summary += message("md.note", lang)
    lines.append(summary)
    if not shown:
        hints = ", ".join(f"{_code(f.id)} ({f.confidence:.2f})" for f in result.findings[:5])
        lines += ["", message("no_failure", lang) if not result.findings else message("md.weaker", lang, hints=hints)]
    for number, finding in enumerate(shown, 1):
        lines += ["", message("md.finding", lang, number=number, id=_code(finding.id),
                              kind=_text(term("kind", finding.kind, lang)), confidence=finding.confidence,
                              title=_text(finding_title(finding, lang)))]
        if finding.evidence:
            picked = finding.shown(TOP_EVIDENCE)
            lines.append(message("md.evidence", lang, count=max(finding.evidence_count, len(finding.evidence))))
            lines += [f"  - {_evidence(e)}" for e in picked]
            more = finding.evidence_count - len(picked)
            if more > 0:
                lines.append(message("md.and_more", lang, more=more))
        for cause in likely_causes(finding, options.threshold):
            lines.append(f"- {message('likely_cause_label', lang)}{_code(str(cause['id']))} "
                         f"({cause['confidence']:.2f}) {_text(str(cause.get('title', '')))}")
        if finding.remediation:
            lines.append(message("md.steps", lang))
            lines += [f"  {step}. {_text(text)}" for step, text in enumerate(finding.remediation, 1)]
        if finding.doc:
            lines.append(f"{message('md.docs_label', lang)}<{visible(finding.doc)}>")
    if result.unrecognized:
        top = result.unrecognized[0]
        lines += ["", message("md.unrecognised", lang, count=len(result.unrecognized), top=top.count,
                              level=_text(top.level), template=_code(top.template[:TEXT_CHARS]))]
    if result.warnings:
        lines += ["", *(f"> {message('warning_label', lang)}{_text(reason(w, lang))}" for w in result.warnings)]
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
