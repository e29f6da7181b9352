"""``logparse summary``: the fleet view of a batch database, as a table, JSON, CSV or HTML.

Sections: findings (bundles per finding id), causes (per error finding, the causes found with
it), co-occurring findings, agent and extension versions against findings, the most frequent
unrecognized templates across bundles, bundles with no finding, and bundles that failed.
A finding counts when its confidence is at or above the threshold (0.5, as in ``triage``).
"""

from __future__ import annotations

import csv
import html
import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from logparse._console import make_console
from logparse.store import connect, run_gone

FORMATS = ("table", "json", "csv", "html")
CSV_COLUMNS = ("section", "key", "subkey", "bundles", "share", "count", "detail")


@dataclass
class Section:
    """One table of the summary: rows as dicts, and how many there were before ``top`` cut them."""

    name: str
    title: str
    rows: list[dict[str, Any]]
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "total": self.total, "rows": self.rows}


@dataclass
class Summary:
    """The fleet view: overview counts plus the sections, in reading order."""

    db: str
    threshold: float
    overview: dict[str, Any] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"db": self.db, "threshold": self.threshold, "overview": self.overview,
                "sections": {s.name: s.to_dict() for s in self.sections}}


def summarize(db: str | Path, *, threshold: float = 0.5, top: int | None = 20) -> Summary:
    """Read a batch database into a ``Summary`` (``top`` rows per section; None: all).

    Raises:
        LogparseError: no such database, or not one written by ``logparse batch``.
    """
    conn = connect(db)
    try:
        return _Reader(conn, threshold, top).summary(str(db))
    finally:
        conn.close()


class _Reader:
    def __init__(self, conn: sqlite3.Connection, threshold: float, top: int | None) -> None:
        self.conn, self.t, self.top = conn, threshold, top
        self._shared: dict[str, list[str]] | None = None  # digest -> its locations, where there are several

    def q(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, args).fetchall()

    def section(self, name: str, title: str, rows: list[dict[str, Any]]) -> Section:
        return Section(name, title, rows[: self.top] if self.top and self.top > 0 else rows, len(rows))

    def summary(self, db: str) -> Summary:
        t = self.t
        (total, ok, failed), = self.q("SELECT count(*), coalesce(sum(status='ok'), 0), "
                                      "coalesce(sum(status='error'), 0) FROM bundles")
        clean = self.q("SELECT count(*) FROM bundles b WHERE status='ok' AND NOT EXISTS "
                       "(SELECT 1 FROM findings f WHERE f.digest=b.digest AND f.confidence>=?)", t)[0][0]
        runs = self.q("SELECT count(*), max(id) FROM runs")[0]
        last = self.q("SELECT status, started_at, finished_at, options FROM runs WHERE id=?", runs[1])
        last_run = None
        if last:
            status, started, finished, options = last[0]
            if status == "running" and run_gone(options):
                status = "interrupted"  # killed (kill -9, a crash): the next batch records it so too
            # Written as bundles are stored: right for a run still going or killed before its end.
            stored = self.q("SELECT count(*) FROM bundles WHERE run_id=?", runs[1])[0][0]
            last_run = {"status": status, "started_at": started, "finished_at": finished, "bundles_stored": stored}
        overview = {
            "bundles": total, "ok": ok, "failed": failed, "with_findings": ok - clean, "no_finding": clean,
            "locations": self.q("SELECT count(*) FROM sources")[0][0], "runs": runs[0], "last_run": last_run,
        }
        out = Summary(db, t, overview)
        partial = self._partial()
        overview["partial"] = len(partial)
        per_finding = {r[0]: r[3] for r in self._findings()}
        out.sections = [
            self.section("findings", "Bundles per finding", [
                {"id": i, "kind": k, "title": title, "bundles": n, "share": _share(n, ok),
                 "mean_confidence": round(c, 3), "evidence": e} for i, k, title, n, c, e in self._findings()]),
            self.section("causes", "Causes found with each error", self._causes(per_finding)),
            self.section("cooccurrence", "Findings seen together", self._pairs(per_finding)),
            self.section("versions", "Agent and extension versions running (the highest each bundle logged) "
                         "against findings", self._versions()),
            self.section("templates", "Most frequent unrecognized ERROR/WARNING templates", [
                {"level": lv, "template": tp, "bundles": n, "share": _share(n, ok), "lines": lines, "example": ex}
                for lv, tp, n, lines, ex in self.q(
                    "SELECT level, template, count(DISTINCT t.digest) AS n, sum(count) AS lines, min(example_text) "
                    "FROM templates t JOIN bundles b ON b.digest=t.digest WHERE b.status='ok' "
                    "GROUP BY level, template ORDER BY n DESC, lines DESC, template")]),
            self.section("no_finding", "Bundles with no finding", [
                {"location": loc, "digest": d, "files_analyzed": files, "agent_versions": agents or "",
                 "also_at": self._also_at(d, loc)}
                for loc, d, files, agents in self.q(
                    "SELECT location, digest, files_analyzed, (SELECT group_concat(version, ' ') FROM versions v "
                    "WHERE v.digest=b.digest AND kind='agent') FROM bundles b WHERE status='ok' AND NOT EXISTS "
                    "(SELECT 1 FROM findings f WHERE f.digest=b.digest AND f.confidence>=?) ORDER BY location", t)]),
            self.section("partial", "Bundles read only in part (findings may be missing)", partial),
            self.section("errors", "Bundles that could not be triaged", [
                {"location": loc, "digest": d, "error": err, "also_at": self._also_at(d, loc)}
                for loc, d, err in self.q(
                    "SELECT location, digest, error FROM bundles WHERE status='error' ORDER BY location")]),
        ]
        return out

    def _partial(self) -> list[dict[str, Any]]:
        """Triaged bundles with a member cut short, failed or over a size cap, or an archive that
        ended early: what they did not hold may hide a finding, so "no finding" is weaker there."""
        rows = self.q(
            "SELECT b.location, b.digest, count(f.seq), group_concat(CASE WHEN substr(f.reason, 1, "
            "length(f.path) + 1) = f.path || ':' THEN f.reason ELSE f.path || ': ' || coalesce(f.reason, f.status) "
            "END, ' | '), b.warnings FROM bundles b LEFT JOIN files f ON f.digest=b.digest AND (f.status='failed' OR "
            "f.truncated=1 OR (f.status='skipped' AND (f.reason LIKE '%cap of%' OR f.reason LIKE '%ratio%'))) "
            "WHERE b.status='ok' GROUP BY b.digest HAVING count(f.seq) > 0 OR b.warnings LIKE '%later members unread%' "
            "ORDER BY b.location")
        out = []
        for location, digest, count, reasons, warnings in rows:
            said = (reasons or "").split(" | ")[:2] if reasons else []
            if not said:
                said = [w for w in json.loads(warnings or "[]") if "later members unread" in w][:1]
            out.append({"location": location, "digest": digest, "files": count, "reasons": said,
                        "also_at": self._also_at(digest, location)})
        return out

    def _also_at(self, digest: str, location: str) -> list[str]:
        """The other locations holding this content: two empty downloads are one bundle, two names."""
        if self._shared is None:  # one query for the few contents found under several names
            self._shared = defaultdict(list)
            for d, loc in self.q("SELECT digest, location FROM sources WHERE digest IN (SELECT digest FROM "
                                 "sources GROUP BY digest HAVING count(*) > 1) ORDER BY location"):
                self._shared[d].append(loc)
        return [loc for loc in self._shared.get(digest, ()) if loc != location]

    def _findings(self) -> list[tuple[Any, ...]]:
        return self.q(
            "SELECT finding_id, kind, max(title), count(*) AS n, avg(confidence), sum(evidence_count) "
            "FROM findings f JOIN bundles b ON b.digest=f.digest WHERE b.status='ok' AND confidence>=? "
            "GROUP BY finding_id ORDER BY n DESC, finding_id", self.t)

    def _causes(self, per_finding: dict[str, int]) -> list[dict[str, Any]]:
        rows = self.q(
            "SELECT f.finding_id, c.cause_id, count(DISTINCT f.digest) AS n, "
            "(SELECT max(title) FROM findings WHERE finding_id=c.cause_id) "
            "FROM findings f JOIN finding_causes c ON c.digest=f.digest AND c.finding_id=f.finding_id "
            "WHERE f.kind='error' AND f.confidence>=? AND c.confidence>=? GROUP BY 1, 2", self.t, self.t)
        out = [{"finding": f, "cause": c, "title": title or "", "bundles": n, "share": _share(n, per_finding.get(f, 0))}
               for f, c, n, title in rows]
        # Errors seen with no cause at or above the threshold: the fleet's open questions.
        for f, n in self.q(
                "SELECT f.finding_id, count(*) FROM findings f JOIN bundles b ON b.digest=f.digest "
                "WHERE b.status='ok' AND f.kind='error' AND f.confidence>=? AND NOT EXISTS (SELECT 1 FROM "
                "finding_causes c WHERE c.digest=f.digest AND c.finding_id=f.finding_id AND c.confidence>=?) "
                "GROUP BY 1", self.t, self.t):
            out.append({"finding": f, "cause": "(none found)", "title": "", "bundles": n,
                        "share": _share(n, per_finding.get(f, 0))})
        return sorted(out, key=lambda r: (-per_finding.get(r["finding"], 0), r["finding"], -r["bundles"], r["cause"]))

    def _pairs(self, per_finding: dict[str, int]) -> list[dict[str, Any]]:
        rows = self.q(
            "SELECT a.finding_id, b.finding_id, count(*) AS n FROM findings a JOIN findings b "
            "ON a.digest=b.digest AND a.finding_id<b.finding_id JOIN bundles x ON x.digest=a.digest "
            "WHERE x.status='ok' AND a.confidence>=? AND b.confidence>=? GROUP BY 1, 2", self.t, self.t)
        out = [{"a": a, "b": b, "bundles": n,
                "jaccard": round(n / (per_finding.get(a, 0) + per_finding.get(b, 0) - n), 3)}
               for a, b, n in rows]
        return sorted(out, key=lambda r: (-r["bundles"], -r["jaccard"], r["a"], r["b"]))

    def _versions(self) -> list[dict[str, Any]]:
        """Each bundle counts under the version it runs now (the highest it logged)."""
        bundles = self.q(
            "SELECT kind, name, version, count(*) FROM versions v JOIN bundles b ON b.digest=v.digest "
            "WHERE b.status='ok' AND latest=1 GROUP BY 1, 2, 3")
        hits: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
        with_findings: dict[tuple[str, str, str], int] = {}
        for kind, name, version, finding, n in self.q(
                "SELECT v.kind, v.name, v.version, f.finding_id, count(*) FROM versions v JOIN findings f "
                "ON f.digest=v.digest JOIN bundles b ON b.digest=v.digest "
                "WHERE b.status='ok' AND v.latest=1 AND f.confidence>=? GROUP BY 1, 2, 3, 4", self.t):
            hits[(kind, name, version)][finding] = n
        for kind, name, version, n in self.q(
                "SELECT v.kind, v.name, v.version, count(DISTINCT v.digest) FROM versions v JOIN findings f "
                "ON f.digest=v.digest WHERE v.latest=1 AND f.confidence>=? GROUP BY 1, 2, 3", self.t):
            with_findings[(kind, name, version)] = n
        out = []
        for kind, name, version, n in bundles:
            key = (kind, name, version)
            ranked = sorted(hits[key].items(), key=lambda kv: (-kv[1], kv[0]))
            out.append({"kind": kind, "name": name, "version": version, "bundles": n,
                        "with_findings": with_findings.get(key, 0), "share": _share(with_findings.get(key, 0), n),
                        "findings": [{"id": i, "bundles": c} for i, c in ranked]})
        return sorted(out, key=lambda r: (r["kind"], -r["bundles"], r["name"], _vkey(r["version"])))


def _share(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def _vkey(version: str) -> tuple[int, ...]:
    return tuple(-int(p) for p in version.split(".") if p.isdigit())


# -- renderers ---------------------------------------------------------------------------------------
def _finding_list(row: dict[str, Any], limit: int = 4) -> str:
    shown = [f"{f['id']} ({f['bundles']})" for f in row["findings"][:limit]]
    more = len(row["findings"]) - limit
    return ", ".join(shown) + (f", +{more} more" if more > 0 else "")


# What a table or a page shows of each section: (heading, cell of a row).
_VIEWS: dict[str, list[tuple[str, Any]]] = {
    "findings": [("finding", lambda r: r["id"]), ("kind", lambda r: r["kind"]), ("bundles", lambda r: r["bundles"]),
                 ("share", lambda r: f"{r['share']:.0%}"), ("mean conf.", lambda r: f"{r['mean_confidence']:.2f}"),
                 ("title", lambda r: r["title"])],
    "causes": [("error", lambda r: r["finding"]), ("cause", lambda r: r["cause"]), ("bundles", lambda r: r["bundles"]),
               ("of the error's", lambda r: f"{r['share']:.0%}"), ("cause title", lambda r: r["title"])],
    "cooccurrence": [("finding", lambda r: r["a"]), ("with", lambda r: r["b"]), ("bundles", lambda r: r["bundles"]),
                     ("jaccard", lambda r: f"{r['jaccard']:.2f}")],
    "versions": [("kind", lambda r: r["kind"]), ("name", lambda r: r["name"]), ("version", lambda r: r["version"]),
                 ("bundles", lambda r: r["bundles"]), ("with findings", lambda r: f"{r['with_findings']} "
                                                                                  f"({r['share']:.0%})"),
                 ("top findings (bundles)", _finding_list)],
    "templates": [("level", lambda r: r["level"]), ("bundles", lambda r: r["bundles"]), ("lines", lambda r: r["lines"]),
                  ("template", lambda r: r["template"])],
    "no_finding": [("location", lambda r: _named(r)), ("digest", lambda r: r["digest"][:12]),
                   ("files", lambda r: r["files_analyzed"]), ("agent", lambda r: r["agent_versions"])],
    "partial": [("location", lambda r: _named(r)), ("files", lambda r: r["files"]),
                ("what was not read", lambda r: "; ".join(r["reasons"]))],
    "errors": [("location", lambda r: _named(r)), ("error", lambda r: r["error"])],
}


def _named(row: dict[str, Any]) -> str:
    more = len(row.get("also_at") or ())
    return str(row["location"]) + (f" (and {more} more with the same content)" if more else "")


def _overview_line(s: Summary) -> str:
    o = s.overview
    line = (f"{o['bundles']} bundles: {o['ok']} triaged, {o['failed']} failed; {o['with_findings']} with a finding "
            f"at >= {s.threshold:g}, {o['no_finding']} with none; {o['locations']} locations, {o['runs']} run(s)")
    if o.get("partial"):
        line += f"; {o['partial']} read only in part"
    last = o.get("last_run") or {}
    if last.get("status") in ("interrupted", "running"):
        # A killed or ongoing run: the fleet view is partial until a re-run completes it.
        line += f"; the last run is {last['status']} ({last['bundles_stored']} bundle(s) stored so far)"
    return line


def _cut_note(section: Section) -> str:
    return f" (top {len(section.rows)} of {section.total})" if section.total > len(section.rows) else ""


def render_table(summary: Summary, out: IO[str], width: int | None = None) -> None:
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from logparse.render._common import visible

    # Every cell is log text, a path or an error: plain Text, never markup ("[/quiet]" in a
    # template would be a closing tag, "[bold]" would vanish).
    console = make_console(file=out, width=width or (None if out.isatty() else 160), highlight=False)
    console.print(f"[bold]logparse summary[/] {escape(visible(summary.db))}\n{escape(_overview_line(summary))}",
                  soft_wrap=True)
    for section in summary.sections:
        view = _VIEWS[section.name]
        if not section.rows:
            console.print(Text(f"\n{section.title}: none"))
            continue
        table = Table(*(h for h, _ in view), title=Text(section.title + _cut_note(section)), title_justify="left")
        for row in section.rows:
            table.add_row(*(Text(visible(str(cell(row)))) for _, cell in view))
        console.print(table)


def render_json(summary: Summary, out: IO[str]) -> None:
    json.dump(summary.to_dict(), out, ensure_ascii=False, indent=1)
    out.write("\n")


def _csv_rows(section: Section) -> list[tuple[Any, ...]]:
    n = section.name
    rows = section.rows
    if n == "findings":
        return [(n, r["id"], r["kind"], r["bundles"], r["share"], r["evidence"], r["title"]) for r in rows]
    if n == "causes":
        return [(n, r["finding"], r["cause"], r["bundles"], r["share"], "", r["title"]) for r in rows]
    if n == "cooccurrence":
        return [(n, r["a"], r["b"], r["bundles"], r["jaccard"], "", "") for r in rows]
    if n == "versions":
        return [(n, f"{r['name']} {r['version']}", r["kind"], r["bundles"], r["share"], r["with_findings"],
                 "; ".join(f"{f['id']} ({f['bundles']})" for f in r["findings"])) for r in rows]
    if n == "templates":
        return [(n, r["template"], r["level"], r["bundles"], r["share"], r["lines"], r["example"]) for r in rows]
    if n == "no_finding":
        return [(n, r["location"], r["digest"], "", "", r["files_analyzed"], r["agent_versions"]) for r in rows]
    if n == "partial":
        return [(n, r["location"], r["digest"], "", "", r["files"], "; ".join(r["reasons"])) for r in rows]
    return [(n, r["location"], r["digest"], "", "", "", r["error"]) for r in rows]


def render_csv(summary: Summary, out: IO[str]) -> None:
    """One long table: ``section,key,subkey,bundles,share,count,detail`` (filter on ``section``)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    o = summary.overview
    for key in ("bundles", "ok", "failed", "with_findings", "no_finding", "partial", "locations", "runs"):
        writer.writerow(("overview", key, "", o[key], "", "", ""))
    for section in summary.sections:
        writer.writerows(_csv_rows(section))


_CSS = ("body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 2em}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f0f0f0}"
        "td.n{text-align:right}")


def render_html(summary: Summary, out: IO[str]) -> None:
    """A self-contained page: the overview and one table per section (all text escaped)."""
    e = html.escape
    out.write(f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>logparse summary: "
              f"{e(Path(summary.db).name)}</title><style>{_CSS}</style></head><body>\n"
              f"<h1>logparse summary</h1>\n<p>{e(summary.db)}<br>{e(_overview_line(summary))}</p>\n")
    for section in summary.sections:
        out.write(f"<h2 id=\"{section.name}\">{e(section.title + _cut_note(section))}</h2>\n")
        if not section.rows:
            out.write("<p>none</p>\n")
            continue
        view = _VIEWS[section.name]
        out.write("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h, _ in view) + "</tr>\n")
        for row in section.rows:
            cells = [cell(row) for _, cell in view]
            out.write("<tr>" + "".join(
                f"<td class=\"n\">{c}</td>" if isinstance(c, int) else f"<td>{e(str(c))}</td>" for c in cells)
                + "</tr>\n")
        out.write("</table>\n")
    out.write("</body></html>\n")


RENDERERS = {"table": render_table, "json": render_json, "csv": render_csv, "html": render_html}
