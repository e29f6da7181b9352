"""HTML report: one self-contained page (inline CSS and SVG, no script, no fetch) to attach to a ticket.

A Content-Security-Policy meta tag forbids every fetch except inline styles and data: images, so
the page opens the same on an air-gapped laptop; the only URLs in it are the catalogue's doc
links, which are plain navigations.
"""

from __future__ import annotations

from typing import TextIO

from logparse import __version__
from logparse.findings import HIGHLIGHTS, Finding, TriageResult
from logparse.render import svg_timeline
from logparse.render._common import (
    RenderOptions,
    display_time,
    file_status,
    finding_title,
    html_text,
    likely_causes,
    shown_findings,
)
from logparse.render._text import language, message, reason, term

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
MAX_EVENT_ROWS = 500
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:0 16px 40px;color:#1d2329}
h1{font-size:22px;margin:20px 0 4px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d6dbe0}
h3{font-size:15px;margin:0 0 6px}
a{color:#0b5cad}nav a{margin-right:14px}.muted{color:#5b6670}
.stats{display:flex;flex-wrap:wrap;gap:8px 28px;margin:10px 0}.stats div{min-width:120px}
.stats b{display:block;font-size:17px}
.finding{border:1px solid #d6dbe0;border-left:5px solid #c62828;border-radius:4px;padding:10px 14px;margin:12px 0}
.finding.weak{border-left-color:#e0a100}.finding.info{border-left-color:#5b6670}
.badge{display:inline-block;min-width:36px;text-align:center;border-radius:3px;padding:0 5px;margin-right:6px;
 background:#c62828;color:#fff;font-weight:bold}
.weak .badge{background:#e0a100;color:#1d2329}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{text-align:left;vertical-align:top;padding:3px 8px;border-bottom:1px solid #eceff2}
th{background:#f4f6f8;font-weight:600}
td.num{text-align:right;white-space:nowrap}td.when{white-space:nowrap}
td.loc{min-width:18ch;max-width:300px;overflow-wrap:anywhere}
table.files td:last-child,#warnings li{overflow-wrap:anywhere}
td.loc,td.when,pre,code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
tr:target{background:#fff3c4}tr.skipped td{color:#8a4b00}tr.failed td{color:#b00020}
svg.timeline{display:block;border:1px solid #d6dbe0;border-radius:4px;background:#fff}
svg .band0{fill:#fafbfc}svg .band1{fill:#f1f3f5}
svg .label{font-size:12px;fill:#1d2329}svg .label.finding{fill:#b00020;font-weight:bold}
svg .axis line{stroke:#c9d0d6;stroke-width:1}svg .axis text{font-size:11px;fill:#5b6670;text-anchor:middle}
svg .axis text.unit{text-anchor:start}svg .version{font-size:11px;fill:#1d2329}
svg .cell{fill:#d9480f}svg .event{fill:#1f6feb;stroke:#1f6feb;stroke-width:1.5}
svg .event.ok{fill:#2e7d32;stroke:#2e7d32}svg .event.warn{fill:#e0a100;stroke:#e0a100}
svg .event.bad{fill:#c62828;stroke:#c62828}svg .event.off{fill:#78838c;stroke:#78838c}
svg .event.local{fill:#fff}svg .event.marked{stroke:#b00020;stroke-width:3}
svg .mark{fill:#b00020;stroke:#fff;stroke-width:1}svg .mark.local{fill:#fff;stroke:#b00020;stroke-width:1.5}
.legend svg{vertical-align:middle}.legend span{margin-right:16px;white-space:nowrap}
"""
_LEGEND = (  # (width, shape, message key)
    (14, '<circle cx="7" cy="7" r="4.5" fill="#1f6feb"/>', "html.legend_events"),
    (38, '<circle cx="7" cy="7" r="4.5" fill="#2e7d32"/><circle cx="19" cy="7" r="4.5" fill="#e0a100"/>'
     '<circle cx="31" cy="7" r="4.5" fill="#c62828"/>', "html.legend_states"),
    (14, '<rect x="1" y="2" width="12" height="10" fill="#d9480f" fill-opacity=".6"/>', "html.legend_hits"),
    (14, '<path d="M7 0l6 7-6 7-6-7z" fill="#b00020"/>', "html.legend_evidence"),
    (26, '<circle cx="7" cy="7" r="4.5" fill="#fff" stroke="#1f6feb" stroke-width="1.5"/>'
     '<path d="M19 1l6 6-6 6-6-6z" fill="#fff" stroke="#b00020" stroke-width="1.5"/>', "html.legend_local"),
)


def render(result: TriageResult, out: TextIO, options: RenderOptions) -> None:
    shown = shown_findings(result, options)
    weaker = [f for f in result.findings if f not in shown]
    lang = language(options.lang)
    drawn = svg_timeline.draw(result, shown, lang)
    title = message("title", lang, source=result.source)

    def text(key: str, **values: object) -> str:
        return html_text(message(key, lang, **values))

    parts = [
        "<!DOCTYPE html>", f'<html lang="{lang}">', "<head>", '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html_text(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
        f"<h1>{html_text(title)}</h1>",
        f'<nav><a href="#findings">{text("html.nav_findings")}</a><a href="#timeline">{text("html.nav_timeline")}</a>'
        f'<a href="#files">{text("html.nav_files")}</a>'
        f'<a href="#unrecognized">{text("html.nav_unrecognised")}</a></nav>',
        *_summary(result, shown, lang),
        '<section id="findings">', f"<h2>{text('html.findings', threshold=options.threshold)}</h2>",
    ]
    if not shown:
        parts.append(f'<p class="none">{text("no_failure")}</p>')
    parts += [_finding(f, i, options.threshold, lang) for i, f in enumerate(shown)]
    if weaker:
        parts.append(f"<details><summary>{text('html.weaker', count=len(weaker), threshold=options.threshold)}"
                     "</summary>")
        parts += [_finding(f, None, options.threshold, lang) for f in weaker]
        parts.append("</details>")
    parts += ["</section>", *_timeline(result, drawn, lang), *_files(result, lang), *_unrecognized(result, lang)]
    if result.warnings:
        parts += [f'<section id="warnings"><h2>{text("html.warnings")}</h2><ul>',
                  *(f"<li>{html_text(reason(w, lang))}</li>" for w in result.warnings), "</ul></section>"]
    parts += [f'<footer class="muted"><p>{text("html.footer", version=__version__)}</p></footer>',
              "</body>", "</html>"]
    out.write("\n".join(parts) + "\n")


def _summary(result: TriageResult, shown: list[Finding], lang: str) -> list[str]:
    statuses = [f.status for f in result.files]
    stats = dict(result.stats)
    cells = [
        (message("html.stat_findings", lang), str(len(shown))),
        (message("html.stat_files", lang), str(statuses.count("analyzed"))),
        (message("html.stat_skipped", lang), f"{statuses.count('skipped')} / {statuses.count('failed')}"),
        (message("html.stat_bytes", lang), f"{int(stats.pop('bytes', 0) or 0):,}"),
        (message("html.stat_agents", lang),
         ", ".join(stats.pop("agent_versions", None) or []) or message("html.none_seen", lang)),
        (message("html.stat_attempts", lang), str(stats.pop("snapshot_attempts", 0))),
        (message("html.stat_last_attempt", lang),
         display_time(stats.pop("last_snapshot_attempt", None)) or message("html.none", lang)),
    ]
    focus = stats.pop("evidence_focus", None)
    if isinstance(focus, dict) and focus.get("since"):
        until = display_time(focus.get("until")) or message("html.the_end", lang)
        cells.append((message("html.stat_window", lang),
                      message("html.window", lang, since=display_time(focus["since"]), until=until,
                              basis=reason(str(focus.get("basis", "")), lang))))
    stats.pop("files_analyzed", None)
    # Any other statistic is named by its key: there is no fixed text to translate.
    cells += [(key.replace("_", " "), str(value)) for key, value in stats.items()]
    span = result.timeline.to_dict()
    if span["start"]:
        cells.append((message("html.stat_span", lang),
                      message("html.span", lang, start=display_time(span["start"]), end=display_time(span["end"]))))
    items = "".join(f"<div><b>{html_text(value)}</b><span class=\"muted\">{html_text(name)}</span></div>"
                    for name, value in cells)
    return [f'<section id="summary"><div class="stats">{items}</div>',
            f'<p class="muted">{html_text(message("html.note", lang))}</p></section>']


def _finding(finding: Finding, index: int | None, threshold: float, lang: str) -> str:
    weak = finding.confidence < 0.8
    css = "finding" + (" weak" if weak else "") + (" info" if finding.severity == "info" else "")
    anchor = f' id="f-{index}"' if index is not None else ""
    severity = f", {html_text(term('severity', finding.severity, lang))}" if finding.severity != "error" else ""
    parts = [f'<article class="{css}"{anchor} data-finding="{html_text(finding.id)}">',
             f'<h3><span class="badge">{finding.confidence:.2f}</span><code>{html_text(finding.id)}</code> '
             f'<span class="muted">({html_text(term("kind", finding.kind, lang))}{severity})</span> '
             f"{html_text(finding_title(finding, lang))}</h3>"]
    if finding.reasons:
        why = message("reasons_separator", lang).join(reason(r, lang) for r in finding.reasons)
        parts.append(f'<p class="muted">{html_text(message("html.why_label", lang))}{html_text(why)}</p>')
    if finding.evidence:
        top = finding.shown_at(HIGHLIGHTS)
        count = max(finding.evidence_count, len(finding.evidence))
        headings = [message("html.time", lang), message("html.where", lang), message("html.from", lang),
                    message("html.line_of", lang, shown=len(top), count=count)]
        parts.append('<table class="evidence"><tr>' + "".join(f"<th>{html_text(h)}</th>" for h in headings)
                     + "</tr>")
        parts += [_evidence_row(finding, index, e_index) for e_index in top]
        parts.append("</table>")
        # Every kept line gets its row (the timeline's marks link to them), the rest folded away.
        rest = [e_index for e_index in range(len(finding.evidence)) if e_index not in top]
        dropped = message("html.dropped", lang, count=finding.evidence_dropped) if finding.evidence_dropped else ""
        if rest:
            summary = message("html.more_kept", lang, count=len(rest), dropped=dropped)
            parts.append(f'<details><summary>{html_text(summary)}</summary><table class="evidence">')
            parts += [_evidence_row(finding, index, e_index) for e_index in rest]
            parts.append("</table></details>")
        elif dropped:
            only = message("html.only_dropped", lang, count=finding.evidence_dropped)
            parts.append(f'<p class="muted">{html_text(only)}</p>')
    for cause in likely_causes(finding, threshold):
        parts.append(f'<p>{html_text(message("likely_cause_label", lang))}<code>{html_text(str(cause["id"]))}</code> '
                     f'({cause["confidence"]:.2f}) {html_text(str(cause.get("title", "")))}</p>')
    if finding.remediation:
        steps = "".join(f"<li>{html_text(s)}</li>" for s in finding.remediation)
        parts.append(f'<ol class="steps">{steps}</ol>')
    if finding.doc.startswith(("https://", "http://")):
        parts.append(f'<p><a class="doc" href="{html_text(finding.doc)}" rel="noreferrer noopener">'
                     f"{html_text(finding.doc)}</a></p>")
    parts.append("</article>")
    return "\n".join(parts)


def _evidence_row(finding: Finding, index: int | None, e_index: int) -> str:
    item = finding.evidence[e_index]
    row_id = f' id="ev-{index}-{e_index}"' if index is not None else ""
    return (f'<tr class="ev"{row_id}><td class="when">{html_text(display_time(item.timestamp))}</td>'
            f'<td class="loc">{html_text(item.where())}</td><td>{html_text(item.source)}</td>'
            f"<td><pre>{html_text(item.text[:1000])}</pre></td></tr>")


def _timeline(result: TriageResult, drawn: svg_timeline.Drawn, lang: str) -> list[str]:
    parts = ['<section id="timeline">', f"<h2>{html_text(message('html.timeline', lang))}</h2>"]
    if drawn.svg:
        parts.append(drawn.svg)
        legend = "".join(f'<span><svg width="{width}" height="14" viewBox="0 0 {width} 14">{shape}</svg> '
                         f"{html_text(message(key, lang))}</span>" for width, shape, key in _LEGEND)
        parts.append(f'<p class="legend muted">{legend}</p>')
    parts += [f'<p class="muted note">{html_text(note)}</p>' for note in drawn.notes]
    events = result.timeline.to_dict()["events"]
    if events:
        summary = message("html.events", lang, count=len(events)) + (
            message("html.events_first", lang, count=MAX_EVENT_ROWS) if len(events) > MAX_EVENT_ROWS else "")
        parts.append(f"<details><summary>{html_text(summary)}</summary>"
                     f'<table class="events">{_headings(("html.time", "html.kind", "html.where", "html.line"), lang)}')
        for event in events[:MAX_EVENT_ROWS]:
            parts.append(f'<tr><td class="when">{html_text(display_time(event["time"]))}</td>'
                         f'<td>{html_text(event["kind"])}</td><td class="loc">{html_text(str(event["path"]))}:'
                         f'{event["line"]}</td><td><pre>{html_text(str(event["text"]))}</pre></td></tr>')
        parts.append("</table></details>")
    parts.append("</section>")
    return parts


def _headings(keys: tuple[str, ...], lang: str) -> str:
    """A table's heading row."""
    return "<tr>" + "".join(f"<th>{html_text(message(key, lang))}</th>" for key in keys) + "</tr>"


def _files(result: TriageResult, lang: str) -> list[str]:
    headings = _headings(("html.path", "html.format", "html.status", "html.lines", "html.reason"), lang)
    parts = ['<section id="files">', f"<h2>{html_text(message('html.files', lang, count=len(result.files)))}</h2>",
             f'<table class="files">{headings}']
    for f in result.files:
        # The row's class is the value --json carries, the same in every language; its cell is in words.
        status = file_status(f, lang)
        parts.append(f'<tr class="{html_text(f.status)}"><td class="loc">{html_text(f.path)}</td>'
                     f"<td>{html_text(f.format or '')}</td><td>{html_text(status)}</td><td class=\"num\">{f.lines}</td>"
                     f"<td>{html_text(reason(f.reason or '', lang))}</td></tr>")
    parts += ["</table>", "</section>"]
    return parts


def _unrecognized(result: TriageResult, lang: str) -> list[str]:
    parts = ['<section id="unrecognized">', f"<h2>{html_text(message('unrecognised', lang))}</h2>"]
    if not result.unrecognized:
        parts.append(f'<p class="muted">{html_text(message("html.all_matched", lang))}</p>')
    else:
        parts.append(f'<p class="muted">{html_text(message("html.unmatched", lang))}</p>')
        headings = _headings(("html.count", "html.level", "html.template", "html.examples_at"), lang)
        parts.append(f'<table class="templates">{headings}')
        for template in result.unrecognized:
            where = ", ".join(f"{e.path}:{e.line}" for e in template.examples[:2])
            parts.append(f'<tr><td class="num">{template.count}</td><td>{html_text(template.level)}</td>'
                         f'<td><pre>{html_text(template.template[:500])}</pre></td>'
                         f'<td class="loc">{html_text(where)}</td></tr>')
        parts.append("</table>")
    parts.append("</section>")
    return parts
