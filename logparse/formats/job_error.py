"""Backup-job error text as users paste it: portal rows (EN/ZH), az JSON, PowerShell, ARM and az errors.

``grammars/job_error.lark`` classifies single lines; this module groups them into records:

* labelled rows of one surface that follow each other (portal ``Error Code`` / ``错误代码``,
  PowerShell ``ErrorCode :``, az ``Code:`` / ``Message:``) make one record per error, with
  the lines that wrap their values, a value on the line after its label, and blank lines
  between rows;
* a JSON or Python-literal document (``az backup job show`` / ``list``, an ARM error dict)
  is one record from its opening line to the line that closes it: ``fields["errors"]``
  lists every error in it, each with the fields of its job, and the first error's fields
  are repeated at the top level. A document cut short is salvaged (``fields["salvaged"]``);
* a code alone on a line (a doc heading, a ticket) is a record, its message taken from
  `` - message`` after it or from the next line;
* every other line (ticket prose, blank lines between blocks) is an ``unparsed`` record.

Record fields: ``code``, ``int_code``, ``message``, ``recommendation`` (items joined by
newlines), ``recommendations``, ``surface`` (also the record's generation), ``language``
(of the message), ``labelled`` (the code stood after a label or key, not alone), ``kind``
(``error``, ``job`` or ``advice``), and job fields when present (``status``, ``operation``,
``start_time``, ``end_time``, ``duration_seconds``, ``vm``, ...).

Sample::

    Error Code | UserErrorGuestAgentStatusUnavailable
    Error Message | VM Agent unable to communicate with Azure Backup
    Recommended Action | Ensure that the latest VM agent is installed and running on the VM, and
    retry the operation.
    **错误代码**：GuestAgentSnapshotTaskStatusError<br>
    **错误消息**：无法与 VM 代理通信，因此无法获取快照状态 <br>
    ErrorCode       : 123456
    ErrorMessage    : VM Agent unable to communicate with Azure Backup
    {'code': 'UserErrorGuestAgentStatusUnavailable', 'message': 'The VM agent did not respond.'}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from logparse._paths import glob_matcher
from logparse.formats._job_doc import DocumentScanner, read_document
from logparse.formats._job_rows import Block, Row, classify, code_of, document_fields, is_prose, record_fields
from logparse.grammar import HeaderGrammar, load
from logparse.model import Record
from logparse.textio import lines_of

NAME = "job_error"
# Longer lines are left unclassified (prose). A minified document is the only legitimate
# long line, and the document reader caps its size at the same figure.
MAX_LINE = 4 << 20
_LOG_LINE = re.compile(
    r"\s*(?:\[\d{8}\] |\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}|[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}"
    r"|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d )"
)


@dataclass(frozen=True, slots=True)
class _Open:
    """A document being read: its scanner and first line number."""

    scanner: DocumentScanner
    number: int


class _Grouper:
    """Turns classified lines into records; every line lands in exactly one of them."""

    def __init__(self, path: str, classify_line: Callable[[str], Row | None]) -> None:
        self.path = path
        self.classify = classify_line
        self.number = 0
        self.block: Block | None = None
        self.blanks: list[str] = []
        self.doc: _Open | None = None
        # PowerShell prints the job (Status, StartTime...) and its ErrorDetails as separate
        # lists; the last job list read lends its fields to the errors that follow it.
        self.ps_job: dict[str, Any] = {}

    def run(self, lines: Iterable[str]) -> Iterator[Record]:
        for line in lines:
            self.number += 1
            yield from self._feed(line)
        if self.doc is not None:
            yield from self._close_doc()
        if self.block is not None:
            yield from self._close_block()

    def _feed(self, line: str) -> Iterator[Record]:
        if self.doc is not None:
            if line.strip():
                self.doc.scanner.add(line)
                if self.doc.scanner.done:
                    yield from self._close_doc()
                return
            # az never prints a blank line inside a document: a pasted one was cut here.
            yield from self._close_doc()
        row = self.classify(line) if len(line) <= MAX_LINE else None
        blk = self.block
        if row is None and not line.strip():
            if blk is not None:
                self.blanks.append(line)
            else:
                yield self._unparsed(line, self.number)
            return
        if blk is not None:
            if blk.expecting and len(self.blanks) <= 1 and (row is None or row.surface == "bare"):
                if not is_prose(line):
                    blk.absorb(self.blanks)
                    self.blanks = []
                    blk.take_value(line)
                    return
            elif row is None and not self.blanks and blk.continues(line):
                blk.wrap(line)
                return
            elif row is not None and blk.accepts(row):
                blk.absorb(self.blanks)
                self.blanks = []
                blk.add(row, line)
                return
            yield from self._close_block()
        if row is None:
            yield self._unparsed(line, self.number)
        elif row.start >= 0:
            self.doc = _Open(DocumentScanner(line, row.start, python=row.python), self.number)
            if self.doc.scanner.done:
                yield from self._close_doc()
        else:
            self.block = Block(self.number, row, line)

    def _close_block(self) -> Iterator[Record]:
        blk, self.block = self.block, None
        assert blk is not None
        fields = record_fields(blk)
        if fields is not None and blk.family == "powershell":
            if fields["kind"] == "job":
                self.ps_job = {k: v for k, v in fields.items() if k in _JOB_KEYS}
            elif fields["kind"] == "error":
                fields.update({k: v for k, v in self.ps_job.items() if k not in fields})
        if fields is None:
            for offset, text in enumerate(blk.lines):
                yield self._unparsed(text, blk.number + offset)
        else:
            yield self._record(blk.number, blk.lines, fields)
        after = blk.number + len(blk.lines)
        for offset, text in enumerate(self.blanks):
            yield self._unparsed(text, after + offset)
        self.blanks = []

    def _close_doc(self) -> Iterator[Record]:
        opened, self.doc = self.doc, None
        assert opened is not None
        scanner = opened.scanner
        fields = document_fields(read_document(scanner.text()), cut=scanner.end is None)
        if fields is None:
            for offset, text in enumerate(scanner.lines):
                yield self._unparsed(text, opened.number + offset)
        else:
            yield self._record(opened.number, scanner.lines, fields)

    def _record(self, number: int, lines: list[str], fields: dict[str, Any]) -> Record:
        component = code_of(fields)
        moment = _moment(fields.get("start_time"))
        level = None
        if fields["kind"] == "error":
            # A job list mixes jobs: the record is a warning only if every error is one.
            statuses = [str(e.get("status") or "") for e in fields.get("errors") or [fields]]
            level = "WARNING" if all("warning" in s.lower() for s in statuses) else "ERROR"
        message = fields.get("message") or component or fields.get("recommendation") or " ".join(
            str(fields[k]) for k in ("operation", "status") if fields.get(k)
        )
        return Record.make({
            "path": self.path, "line": number, "format": NAME, "generation": fields["surface"],
            "message": message or "", "raw": "\n".join(lines), "continuation": tuple(lines[1:]),
            "timestamp": moment, "local_time": moment is not None and moment.tzinfo is None,
            "level": level, "component": component, "fields": fields,
        })

    def _unparsed(self, line: str, number: int) -> Record:
        return Record.make({
            "path": self.path, "line": number, "format": NAME, "generation": "unparsed",
            "message": line, "raw": line,
        })


_JOB_KEYS = frozenset((
    "status", "operation", "start_time", "end_time", "duration_seconds", "vm", "activity_id", "job_id",
    "operation_id", "dynamic_error_message",
))


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


class JobErrorFormat:
    """The format protocol over the grouper (see the module docstring)."""

    name = NAME
    description = "backup job error text: portal rows (EN/ZH), az CLI JSON, PowerShell, ARM and az errors"
    # Engineers attach the portal text as ticket.txt or case notes; a prose-only ticket still
    # goes through the matcher and every signature instead of being skipped as unknown.
    paths = ("*.ticket.txt", "*/ticket*.txt", "ticket*.txt", "*job_error*", "*backup_job*.json")

    @property
    def grammar(self) -> HeaderGrammar:
        return load(NAME)

    def match_path(self, path: str) -> bool:
        norm = path.replace("\\", "/").lower()
        return _PATH_MATCH(norm)

    def score(self, head: Sequence[str]) -> float:
        """How sure the first lines hold a job error: by the strongest kind of row in them.

        Agent and extension logs score low even when a line quotes an error dict: most of
        their lines start with a timestamp.
        """
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        seen: set[str] = set()
        for line in lines:
            row = classify(self.grammar.match(line)) if len(line) <= MAX_LINE else None
            if row is not None:
                seen.update(f"{row.surface}:{name}" for name, _ in row.sets)
                seen.add(row.surface)
        if {"portal:code", "portal_zh:code"} & seen and {"portal:message", "portal_zh:message"} & seen:
            score = 0.95
        elif {"cli_json:code", "cli_json:message", "cli_json:marker"} & seen or "arm" in seen:
            score = 0.9
        elif {"powershell:code", "powershell:message"} <= seen or "cli_error:code" in seen:
            score = 0.85
        elif seen & {"portal:code", "portal_zh:code", "portal:message", "portal_zh:message"} or (
            "powershell:code" in seen
        ):
            score = 0.75
        elif "bare" in seen:
            score = 0.6
        else:
            return 0.0
        logs = sum(1 for line in lines if _LOG_LINE.match(line))
        return min(score, 0.3) if logs * 2 >= len(lines) else score

    def parse(self, lines: Iterable[str], path: str, *, slow: bool = False) -> Iterator[Record]:
        """Records in input order from lines without terminators; ``slow`` runs lark per line."""
        grammar = self.grammar
        find = grammar.parse_slow if slow else grammar.match
        return _Grouper(path, lambda line: classify(find(line))).run(lines)

    def parse_chunks(self, chunks: Iterable[str], path: str) -> Iterator[Record]:
        """Records from text pieces that each end at a ``\\n`` (the last one may not)."""
        return self.parse(lines_of(iter(c for c in chunks if c)), path)


_PATH_MATCH = glob_matcher(JobErrorFormat.paths)
FORMAT = JobErrorFormat()


def extract_errors(text: str) -> list[Record]:
    """Every error in a pasted text, one record each.

    A document with several errors (``az backup job list``) gives one record per error: the
    same line and raw text, the fields of that error (its job's fields included).
    """
    out: list[Record] = []
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for record in FORMAT.parse(lines, "<text>"):
        fields = record.fields
        if not fields or fields.get("kind") != "error":
            continue
        errors = fields.get("errors") or []
        if len(errors) <= 1:
            out.append(record)
            continue
        for entry in errors:
            own = {**entry, "surface": fields["surface"], "labelled": True, "kind": "error"}
            component = code_of(own)
            out.append(replace(
                record, fields=own, component=component,
                message=own.get("message") or component or record.message,
            ))
    return out
