"""The terminal report: findings with confidence, evidence and steps, then the files not fully read.

rich decides colour: none when the output is not a terminal or ``NO_COLOR`` is set, and the
width follows the terminal (or ``COLUMNS``) unless the caller fixes it, as the tests do. Lines
holding Chinese break between characters (``_wrap``).
"""

from __future__ import annotations

from typing import TextIO

from logparse._console import make_console
from logparse.findings import HIGHLIGHTS, TriageResult
from logparse.render._common import (
    RenderOptions,
    display_time,
    file_status,
    finding_title,
    likely_causes,
    more_lines,
    not_fully_read,
    shown_findings,
    visible,
)
from logparse.render._text import message, reason, term
from logparse.render._wrap import WrappingText


def render(result: TriageResult, out: TextIO, options: RenderOptions) -> None:
    from rich.table import Table
    from rich.text import Text

    # Text objects, never markup strings: a path or log line holding "[bold]", "[/x]" or ":warning:"
    # is printed as written, and visible() turns its control characters into symbols.
    def line(*parts: str | tuple[str, str]) -> Text:
        return WrappingText.assemble(*((visible(p), "") if isinstance(p, str) else (visible(p[0]), p[1])
                                       for p in parts))

    console = make_console(file=out, width=options.width, highlight=False)

    def indented(*parts: str | tuple[str, str]) -> Text:
        # A line under a finding that wraps stays under it: printed as "   " + text, its
        # continuation lines started at column 0, in among the next finding's. Wrapped here
        # rather than padded by rich, which would pad every line with trailing spaces.
        wrapped = line(*parts).wrap(console, max(20, console.width - 3), overflow="fold")
        for piece in wrapped:
            piece.rstrip()  # the space a wrap leaves at the end of a line
        return Text("\n").join(Text("   ") + piece for piece in wrapped)

    threshold, lang = options.threshold, options.lang
    shown = shown_findings(result, options)
    analysed = sum(1 for f in result.files if f.status == "analyzed")
    console.print(line(("logparse triage", "bold"), message("table.summary", lang, source=result.source,
                                                            analysed=analysed, shown=len(shown), threshold=threshold)))
    if not shown:
        console.print(line(message("no_failure", lang) if not result.findings else
                           message("table.weaker", lang, threshold=threshold)
                           + ", ".join(f"{f.id} ({f.confidence:.2f})" for f in result.findings[:5])))
    elif any(e.timestamp for f in shown for e in f.evidence):
        console.print(line((message("table.note", lang), "dim")))
    for finding in shown:
        colour = "red" if finding.confidence >= 0.8 else "yellow"
        console.print()
        console.print(line((f"{finding.confidence:.2f}", f"bold {colour}"), " ", (finding.id, "bold"),
                           message("table.kind_title", lang, kind=term("kind", finding.kind, lang),
                                   title=finding_title(finding, lang))))
        shown_lines = finding.shown(HIGHLIGHTS)
        for item in shown_lines:
            when = f" {display_time(item.timestamp)}" if item.timestamp else ""
            # Cut where a reader sees it is cut: "...UserErrorRpCollectionLimit" would read as another code.
            text = item.text if len(item.text) <= 200 else item.text[:200] + "..."
            console.print(indented((f"{item.where()}{when}", "dim"), f"  {text}"))
        if more := more_lines(finding, len(shown_lines), lang):
            console.print(indented((more, "dim")))
        for number, step in enumerate(finding.remediation, 1):
            console.print(indented(f"{number}. {step}"))
        for cause in likely_causes(finding, threshold):
            console.print(indented(message("table.cause_label", lang).lstrip(), (str(cause["id"]), "bold"),
                                   f" ({cause['confidence']:.2f}) {cause.get('title', '')}"))
        if finding.doc:
            # One line whatever the width: a link cut by a newline can be neither clicked nor copied.
            console.print(line("   ", (finding.doc, "blue")), soft_wrap=True)
    skipped = not_fully_read(result)
    if skipped:
        table = Table(title=message("table.files", lang), box=None, title_justify="left")
        for column in ("table.path", "table.status", "table.reason"):
            table.add_column(message(column, lang), overflow="fold")
        for f in skipped:
            # In words of the report's language; --json carries the value (and the English reason).
            table.add_row(line(f.path), line(file_status(f, lang)), line(reason(f.reason or "", lang)))
        console.print()
        console.print(table)
    if result.unrecognized:
        console.print()
        console.print(line((message("unrecognised", lang), "bold"), message("table.no_signature", lang)))
        for template in result.unrecognized[:8]:
            cut = template.template if len(template.template) <= 150 else template.template[:150] + "..."
            console.print(line(f"   {template.count:>6}  {template.level:7} {cut}"))
    label = message("warning_label", lang)
    for warning in result.warnings:
        # Only the label is coloured; what separates it from the text (a space in English) is not.
        console.print(line((label.rstrip(), "yellow"), label[len(label.rstrip()):] + reason(warning, lang)))


def render_triage(result: TriageResult, out: TextIO, *, threshold: float = 0.5, width: int | None = None,
                  verbose: bool = False, lang: str = "en") -> None:
    """The terminal summary of a triage (the keyword form older callers use)."""
    render(result, out, RenderOptions(threshold=threshold, verbose=verbose, width=width, lang=lang))
