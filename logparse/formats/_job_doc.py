"""JSON and dict documents inside job-error text: az job JSON, ARM error dicts, and cut ones salvaged."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from logparse.formats._time import dotnet_date, duration_seconds, iso_utc, us_local

# A document that has not closed after this much text is cut off here and salvaged.
MAX_DOC_LINES = 20_000
MAX_DOC_CHARS = 4 << 20
_MAX_DEPTH = 64

# Strings and brackets of one line. JSON quotes with " only (an apostrophe in a message
# is text); Python reprs, as ARM errors are often pasted, quote with either. A string
# still open at the end of the line counts as closed there: pasted text is cut anywhere.
_TOKENS_JSON = re.compile(r'"(?:[^"\\\n]|\\.)*"?|[\[\]{}]')
_TOKENS_PY = re.compile(r'"(?:[^"\\\n]|\\.)*"?|\'(?:[^\'\\\n]|\\.)*\'?|[\[\]{}]')
_QUOTE_MARKS = re.compile(r"[ \t]*(?:>[ \t]?)+")


class DocumentScanner:
    """Follows the bracket depth of a document line by line until it closes or is cut off."""

    def __init__(self, line: str, start: int, *, python: bool) -> None:
        self.lines = [line]
        self._body = [line[start:]]
        self._tokens = _TOKENS_PY if python else _TOKENS_JSON
        # Quote markers that prefix the first line prefix the following ones too.
        self._quoted = ">" in line[:start]
        self._depth = 0
        self._chars = len(line)
        self.end: tuple[int, int] | None = None
        self.cut = False
        self._scan(self._body[0])

    @property
    def done(self) -> bool:
        return self.end is not None or self.cut

    def add(self, line: str) -> None:
        self.lines.append(line)
        body = _QUOTE_MARKS.sub("", line, count=1) if self._quoted and line.lstrip().startswith(">") else line
        self._body.append(body)
        self._chars += len(line)
        if len(self.lines) > MAX_DOC_LINES or self._chars > MAX_DOC_CHARS:
            self.cut = True
            return
        self._scan(body)

    def _scan(self, body: str) -> None:
        for m in self._tokens.finditer(body):
            token = m.group()
            if token in "[{":
                self._depth += 1
            elif token in "]}":
                self._depth -= 1
                if self._depth <= 0:
                    self.end = (len(self._body) - 1, m.end())
                    return

    def text(self) -> str:
        """The document text: from its first bracket to the one that closes it (or the cut)."""
        if self.end is None:
            return "\n".join(self._body)
        index, column = self.end
        return "\n".join([*self._body[:index], self._body[index][:column]])


@dataclass
class Document:
    """What a document holds: its errors (job fields merged in) and its jobs."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    from_jobs: bool = False
    salvaged: bool = False


def read_document(text: str) -> Document:
    """Errors and jobs of a JSON / Python-literal document, salvaged line by line if it is broken."""
    doc = Document()
    loaded = _load(text)
    if loaded is not _BROKEN:
        _walk(loaded, doc, 0)
    else:
        doc.salvaged = True
        _salvage(text, doc)
    return doc


_BROKEN = object()


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    try:
        return ast.literal_eval(text)
    except Exception:  # SyntaxError, ValueError, MemoryError, RecursionError: all mean "not a literal"
        return _BROKEN


def _walk(node: Any, doc: Document, depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            _walk(item, doc, depth + 1)
        return
    if not isinstance(node, dict):
        return
    low = {str(k).lower(): v for k, v in node.items()}
    props = low.get("properties")
    if isinstance(props, dict) and _is_job({str(k).lower() for k in props}):
        _read_job({str(k).lower(): v for k, v in props.items()}, low, doc)
        return
    if _is_job(set(low)):
        _read_job(low, {}, doc)
        return
    code, message = low.get("code"), low.get("message")
    if isinstance(code, str | int) and not isinstance(code, bool) and isinstance(message, str):
        doc.errors.append(error_entry(code, message, None, []))
        # ARM nests the real failure as JSON inside the message of a generic one.
        if message.lstrip().startswith("{") and len(message) < MAX_DOC_CHARS:
            inner = _load(message)
            if inner is not _BROKEN:
                _walk(inner, doc, depth + 1)
    for value in node.values():
        if isinstance(value, dict | list):
            _walk(value, doc, depth + 1)


def _is_job(keys: set[str]) -> bool:
    return "errordetails" in keys or "jobtype" in keys or {"status", "operation"} <= keys


def _read_job(props: dict[str, Any], resource: dict[str, Any], doc: Document) -> None:
    info = props.get("extendedinfo")
    info = {str(k).lower(): v for k, v in info.items()} if isinstance(info, dict) else {}
    bag = info.get("propertybag")
    bag = bag if isinstance(bag, dict) else {}
    tasks = info.get("taskslist")
    job = job_fields({
        "status": props.get("status"),
        "operation": props.get("operation"),
        "start_time": props.get("starttime"),
        "end_time": props.get("endtime"),
        "duration": props.get("duration"),
        "vm": props.get("entityfriendlyname") or props.get("workloadname") or bag.get("VM Name"),
        "activity_id": props.get("activityid"),
        "job_id": resource.get("name") or props.get("jobid"),
        "dynamic_error_message": info.get("dynamicerrormessage") or props.get("dynamicerrormessage"),
    })
    if isinstance(tasks, list):
        job["tasks"] = [
            {"task": t.get("taskId") or t.get("TaskId"), "status": t.get("status") or t.get("Status")}
            for t in tasks if isinstance(t, dict)
        ]
    doc.jobs.append(job)
    doc.from_jobs = True
    details = props.get("errordetails")
    for item in details if isinstance(details, list) else []:
        if not isinstance(item, dict):
            continue
        low = {str(k).lower(): v for k, v in item.items()}
        recs = low.get("recommendations")
        doc.errors.append({
            **error_entry(
                low.get("errorcode"),
                low.get("errorstring") or low.get("errormessage"),
                low.get("errortitle"),
                recs if isinstance(recs, list) else [recs] if recs else [],
            ),
            **job,
        })


def error_entry(code: Any, message: Any, title: Any, recommendations: list[Any]) -> dict[str, Any]:
    """One error as a fields dict; an integer (or all-digit) code goes to ``int_code``."""
    symbolic: str | None = None
    number: int | None = None
    if isinstance(code, int) and not isinstance(code, bool):
        number = code
    elif isinstance(code, str) and code.strip():
        text = code.strip()
        if text.lstrip("-").isdigit() and len(text) < 19:
            number = int(text)
        else:
            symbolic = text
    recs = [str(r).strip() for r in recommendations if r is not None and str(r).strip()]
    entry: dict[str, Any] = {
        "code": symbolic,
        "int_code": number,
        "message": str(message).strip() if message else None,
        "recommendation": "\n".join(recs) or None,
        "recommendations": recs,
    }
    if title and str(title).strip():
        entry["title"] = str(title).strip()
    return entry


def job_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """Job properties normalised: times as ISO 8601 (``Z`` when UTC), the duration in seconds."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None or value == "" or isinstance(value, dict | list):
            continue
        if key in ("start_time", "end_time"):
            moment = parse_time(str(value))
            out[key] = iso_text(moment) if moment else str(value)
        elif key == "duration":
            seconds = duration_seconds(str(value))
            if seconds is not None:
                out["duration_seconds"] = seconds
        else:
            out[key] = str(value)
    return out


def parse_time(text: str) -> datetime | None:
    """An ISO 8601, .NET ``/Date(ms)/`` or PowerShell en-US time (the last one naive)."""
    text = text.strip()
    if text[:1].isdigit() and "/" in text[:6]:
        return us_local(text)
    if text.startswith(("/Date(", "\\/Date(")):
        return dotnet_date(text)
    return iso_utc(text) if re.match(r"\d{4}-\d{2}-\d{2}", text) else None


def iso_text(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# Salvage: key/value pairs, one line at a time, in either quote style.
_PAIR = re.compile(
    r"""(['"])(errorCode|errorString|errorMessage|errorTitle|code|message|status|operation|startTime|endTime"""
    r"""|duration|entityFriendlyName|activityId|dynamicErrorMessage)\1[ \t]*:[ \t]*"""
    r"""(?:(['"])((?:\\.|(?!\3).){0,100000})(?:\3|$)|(-?\d{1,18})\b)""",
    re.IGNORECASE,
)
_RECS_OPEN = re.compile(r"""(['"])recommendations\1[ \t]*:[ \t]*\[""", re.IGNORECASE)
_STRING = re.compile(r""""((?:[^"\\]|\\.){0,100000})"?|'((?:[^'\\]|\\.){0,100000})'?""")
_JOB_KEYS = {
    "status": "status", "operation": "operation", "starttime": "start_time", "endtime": "end_time",
    "duration": "duration", "entityfriendlyname": "vm", "activityid": "activity_id",
    "dynamicerrormessage": "dynamic_error_message",
}


def _salvage(text: str, doc: Document) -> None:
    """Errors of a cut or broken document from the key/value pairs still readable in it."""
    current: dict[str, Any] | None = None
    found: list[dict[str, Any]] = []
    job: dict[str, Any] = {}
    in_recs = False
    from_jobs = False
    for line in text.split("\n"):
        rest = line
        if in_recs:
            rest, in_recs = _list_items(line, current)
        elif (m := _RECS_OPEN.search(line)) and current is not None:
            rest, in_recs = _list_items(line[m.end():], current)
        for m in _PAIR.finditer(rest):
            key = m.group(2).lower()
            value: Any = _unescape(m.group(4)) if m.group(3) else int(m.group(5))
            if key in _JOB_KEYS:
                job.setdefault(_JOB_KEYS[key], value)
                continue
            slot = {"errorcode": "code", "code": "code", "errortitle": "title"}.get(key, "message")
            from_jobs = from_jobs or key.startswith("error")
            if current is None or slot in current:
                current = {"recommendations": []}
                found.append(current)
            current[slot] = value
    doc.from_jobs = from_jobs or bool(job)
    fields = job_fields(job)
    if fields:
        doc.jobs.append(fields)
    for raw in found:
        entry = error_entry(raw.get("code"), raw.get("message"), raw.get("title"), raw["recommendations"])
        doc.errors.append({**entry, **fields})


def _list_items(text: str, current: dict[str, Any] | None) -> tuple[str, bool]:
    """Strings of a recommendations list up to its ``]``: (text after the list, still open)."""
    for m in re.finditer(r"""\]|"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?""", text):
        if m.group() == "]":
            return text[m.end():], False
        item = _STRING.fullmatch(m.group())
        if item is not None and current is not None:
            current["recommendations"].append(_unescape(item.group(1) or item.group(2) or ""))
    return "", True


def _unescape(text: str) -> str:
    try:
        value = json.loads(f'"{text}"')
        return value if isinstance(value, str) else text
    except ValueError:
        return text.replace("\\'", "'").replace('\\"', '"')
