"""Job-error lines: what a classified line sets, how values are cleaned, and blocks of rows."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from logparse.formats._job_doc import Document, job_fields
from logparse.grammar import Match

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
# First person and greetings: ticket prose, never the wording of an Azure message.
_PROSE = re.compile(
    r"(?i:\b(?:i|i'm|i've|we|we're|we've|our|my|thanks|thank you|hi|hello|regards|cheers)\b)"
    r"|我|谢谢|您好|你好|请问|麻烦"
)
_SENTENCE_END = (".", "。", "!", "！", "?", "？", "…")
_QUOTED = re.compile(r"[ \t]*(?:>[ \t]?)+")
# A word shaped like an error code (the grammar's BARE_CODE, loosely): a line holding one
# talks about codes, it is not the message under one.
_CODE_WORD = re.compile(r"\b[A-Z][A-Za-z0-9]{0,60}(?:Error|Failed|NotFound|Unavailable)[A-Za-z0-9]{0,40}\b")
_CODE_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{1,100}")
_NOT_CODES = frozenset(("none", "null", "unknown", "n/a", "na", "nil", "empty"))
# Labels whose value may stand on the next line; other surfaces print values in place.
_VALUE_BELOW = frozenset(("portal", "portal_zh"))

_FAMILY = {"portal_zh": "portal"}
_JSON_FIELDS = {
    "errorCode": "code", "code": "code", "errorString": "message", "message": "message",
    "errorTitle": "title", "recommendations": "action", "errorDetails": "marker", "jobType": "marker",
    "status": "job:status", "operation": "job:operation", "startTime": "job:start_time",
    "endTime": "job:end_time", "duration": "job:duration", "entityFriendlyName": "job:vm",
    "activityId": "job:activity_id", "dynamicErrorMessage": "job:dynamic_error_message",
}
_PS_FIELDS = {
    "ErrorCode": "code", "ErrorMessage": "message", "Recommendations": "action",
    "DynamicErrorMessage": "job:dynamic_error_message", "WorkloadName": "job:vm",
    "OperationID": "job:operation_id", "Operation": "job:operation", "Status": "job:status",
    "StartTime": "job:start_time", "EndTime": "job:end_time", "Duration": "job:duration",
    "ActivityId": "job:activity_id", "JobId": "job:job_id",
}


@dataclass(frozen=True, slots=True)
class Row:
    """A classified line: the fields it sets, or where the document it opens begins."""

    surface: str
    sets: tuple[tuple[str, str], ...] = ()
    start: int = -1
    python: bool = False
    # The bracket that closes a collection this row opens (values continue below it).
    opens: str | None = None


def classify(hit: Match | None) -> Row | None:
    """The row a grammar match stands for (None: prose or a value line)."""
    if hit is None:
        return None
    generation, f = hit
    value = f.get("VALUE") or ""
    if generation == "arm":
        body = (f.get("ARM_DICT") or "{")[1:].lstrip()
        return Row("arm", start=len(f.get("ARM_PRE") or ""), python=body.startswith("'"))
    if generation == "json_open":
        return Row("cli_json", start=len(f.get("LEAD") or ""))
    if generation == "json_key":
        text, opens = _json_value(value)
        name = _JSON_FIELDS[(f.get("JSON_KEY") or '""')[1:-1]]
        return Row("cli_json", ((name, text),) if text or opens else (), opens=opens)
    if generation == "powershell":
        name = _PS_FIELDS.get(f.get("PS_LABEL") or "", "marker")
        text = clean(value)
        opens = "}" if name == "action" and text.startswith("{") and "}" not in text else None
        return Row("powershell", ((name, text),), opens=opens)
    if generation == "portal":
        for key, name in (("CODE_LABEL", "code"), ("MESSAGE_LABEL", "message"), ("ACTION_LABEL", "action")):
            if label := f.get(key):
                return Row("portal_zh" if _HAN.search(label) else "portal", ((name, clean(value)),))
        return None
    if generation == "az_error":
        code = (f.get("AZ_CODE") or "").strip().strip("()")
        text = clean(value)
        return Row("cli_error", (("code", code), ("message", text)) if text else (("code", code),))
    if generation == "cli_label":
        name = "code" if (f.get("CLI_LABEL") or "").startswith("Code") else "message"
        return Row("cli_error", ((name, clean(value)),))
    if generation == "bare":
        text = clean(value)
        code = clean(f.get("BARE_CODE") or "")
        return Row("bare", (("code", code), ("message", text)) if text else (("code", code),))
    return None


def clean(text: str) -> str:
    """A value without markup around it: ``<br>``, table pipes, bold or code marks, quotes."""
    text = _BR.sub(" ", text).strip()
    if text.endswith("|"):
        text = text[:-1].rstrip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "*_`":
        text = text[1:-1].strip()
    for left, right in (('"', '"'), ("'", "'"), ("“", "”"), ("「", "」")):
        # Only a pair around the whole value: `'a' failed for 'b'` keeps its quotes.
        inner = text[1:-1]
        if len(text) >= 2 and text[0] == left and text[-1] == right and left not in inner and right not in inner:
            text = inner.strip()
    return text


def _json_value(text: str) -> tuple[str, str | None]:
    """The value of a JSON key line, and ``]`` when a list opens and continues below."""
    text = text.strip().rstrip(",").rstrip()
    if text in ("null", "[]", '""'):
        return "", None
    if text.startswith("["):
        items = "\n".join(_strings(text))
        return items, None if text.endswith("]") else "]"
    if text.startswith('"'):
        strings = _strings(text)
        return (strings[0] if strings else ""), None
    return text, None


def _strings(text: str) -> list[str]:
    out = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"?', text):
        try:
            out.append(json.loads(f'"{m.group(1)}"'))
        except ValueError:
            out.append(m.group(1))
    return [s for s in out if isinstance(s, str) and s.strip()]


def is_prose(text: str) -> bool:
    return _PROSE.search(text) is not None


def width(text: str) -> int:
    """Display columns: CJK characters take two (for deciding whether a line was wrapped)."""
    return len(text) + len(CJK.findall(text))


def _wraps(previous: str, text: str) -> bool:
    """Whether ``text`` continues the value on the line before it (a terminal or mail wrap)."""
    if is_prose(text) or text[0] in "-*•·>#|[{":
        return False
    if clean(previous).endswith(_SENTENCE_END):
        return False
    return text[0].islower() or width(previous) >= 60


def join(parts: list[str]) -> str:
    """Wrapped pieces joined with a space, or with nothing between two Chinese characters."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if out and not (_HAN.match(out[-1]) and _HAN.match(part[0])):
            out += " "
        out += part
    return out


class Block:
    """Rows of one surface that belong together, and the lines they span."""

    def __init__(self, number: int, row: Row, line: str) -> None:
        self.number = number
        self.surface = row.surface
        self.family = _FAMILY.get(row.surface, row.surface)
        self.lines: list[str] = []
        self.code: str | None = None
        self.message: list[str] = []
        self.actions: list[list[str]] = []
        self.title: str | None = None
        self.job: dict[str, list[str]] = {}
        self.last: str | None = None
        self.expecting: str | None = None
        self.closer: str | None = None
        self.add(row, line)

    def get(self, name: str) -> str | None:
        if name == "code":
            return self.code
        if name == "message":
            return join(self.message) or None
        if name == "action":
            return "\n".join(join(a) for a in self.actions) or None
        if name == "title":
            return self.title
        if name.startswith("job:"):
            return join(self.job[name[4:]]) if name[4:] in self.job else None
        return None

    def accepts(self, row: Row) -> bool:
        """Whether ``row`` belongs to this error: same surface, and nothing it sets is set otherwise."""
        if row.start >= 0 or _FAMILY.get(row.surface, row.surface) != self.family or self.family == "bare":
            return False
        for name, value in row.sets:
            have = self.get(name)
            if have is not None and (not value or _norm(have) != _norm(value)):
                return False
        return True

    def add(self, row: Row, line: str) -> None:
        self.lines.append(line)
        self.expecting = None
        self.closer = row.opens
        for name, value in row.sets:
            if name == "marker":
                self.last = None
            elif not value:
                if self.surface in _VALUE_BELOW:
                    self.expecting = name
            elif self.get(name) is None:
                self._put(name, value)
        if row.opens:
            self.last = row.sets[0][0] if row.sets else "action"

    def _put(self, name: str, value: str) -> None:
        if name == "code":
            self.code = value
        elif name == "message":
            self.message = [value]
        elif name == "action":
            self.actions.extend([item] for item in value.split("\n") if item.strip())
        elif name == "title":
            self.title = value
        elif name.startswith("job:"):
            self.job[name[4:]] = [value]
        self.last = name

    def absorb(self, blanks: list[str]) -> None:
        self.lines.extend(blanks)

    def take_value(self, line: str) -> None:
        """The line under a label that had no value of its own."""
        assert self.expecting is not None
        self.lines.append(line)
        name, self.expecting = self.expecting, None
        value = clean(line)
        if value:
            self._put(name, value)

    def continues(self, line: str) -> bool:
        """Whether an unlabelled line goes on with this block's last value."""
        text = _unquote(line)
        if self.closer:
            return True
        if not text:
            return False
        if self.family == "bare" and not self.message:
            # A code alone, then its message on the next line.
            return (
                not is_prose(text) and len(text) <= 400 and text[0] not in "-*•·>#|[{"
                and _CODE_WORD.search(text) is None
            )
        if self.family == "powershell" and line[:1] in " \t":
            return True  # Format-List wraps long values under the value column
        if self.last is None or self.last == "code":
            return False
        return _wraps(self.lines[-1], text)

    def wrap(self, line: str) -> None:
        self.lines.append(line)
        text = _BR.sub(" ", _unquote(line)).strip()
        if self.closer == "]":
            done = text.startswith("]") or text.rstrip(",").endswith("]")
            self.actions.extend([s] for s in _strings(text))
            self.closer = None if done else "]"
            return
        if self.closer == "}" and "}" in text:
            text, self.closer = text[: text.rfind("}")], None
        if self.family == "bare" and not self.message:
            self._put("message", clean(text))
        elif self.last == "message":
            self.message.append(text)
        elif self.last == "action" and self.actions:
            self.actions[-1].append(text)
        elif self.last and self.last.startswith("job:"):
            self.job[self.last[4:]].append(text)


def _unquote(line: str) -> str:
    """A line without the mail / markdown quote markers in front of it."""
    return line[m.end():].strip() if (m := _QUOTED.match(line)) else line.strip()


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def split_code(text: str) -> tuple[str | None, list[str], int | None]:
    """A code value as (symbolic code, other codes, integer code).

    ``BackUpOperationFailed/BackUpOperationFailedV2`` gives two codes, ``320001, ResourceNotFound``
    a number and a code. A sentence is not a code unless it starts with a CamelCase word.
    """
    tokens = [t.strip("()[]{}\"'`*.,;:：，。") for t in re.split(r"[\s,/;|，、]+", text)]
    tokens = [t for t in tokens if t]
    numbers = [int(t) for t in tokens if t.lstrip("-").isdigit() and len(t) <= 12]
    codes = [t for t in tokens if _CODE_TOKEN.fullmatch(t) and t.lower() not in _NOT_CODES]
    if len(codes) + len(numbers) < len(tokens):
        # Words besides codes: keep only a leading code of unmistakable shape.
        first = tokens[0] if tokens else ""
        codes = [first] if _CODE_TOKEN.fullmatch(first) and sum(c.isupper() for c in first) >= 2 else []
        numbers = numbers[:1] if tokens and tokens[0].lstrip("-").isdigit() else []
    return (codes[0] if codes else None), codes[1:], (numbers[0] if numbers else None)


def language(message: str | None, actions: list[str], surface: str) -> str:
    """``zh-CN`` when the message or advice is Chinese, else ``en`` (the label decides if both are empty)."""
    text = (message or "") + "".join(actions)
    if _HAN.search(text):
        return "zh-CN"
    return "zh-CN" if not text.strip() and surface == "portal_zh" else "en"


def code_of(fields: dict[str, Any]) -> str | None:
    """The record component: the symbolic code, else the integer one."""
    code, number = fields.get("code"), fields.get("int_code")
    return code or (str(number) if number is not None else None)


def record_fields(blk: Block) -> dict[str, Any] | None:
    """The fields of a finished block, or None when it holds nothing worth a record."""
    code, others, number = split_code(blk.code) if blk.code else (None, [], None)
    if blk.family == "cli_error" and code is not None and sum(c.isupper() for c in code) < 2:
        code = None  # `Code: x` is a code only in its CamelCase shape
    message = blk.get("message")
    actions = [_unbrace(join(a)) for a in blk.actions]
    actions = [a for a in actions if a]
    job = job_fields({key: join(parts) for key, parts in blk.job.items()})
    is_error = code is not None or number is not None or message is not None
    if blk.family == "cli_error" and code is None and number is None:
        return None  # a lone `Message:` line is prose
    if not is_error and not actions and len(job) < 2:
        return None
    fields: dict[str, Any] = {
        "code": code,
        "int_code": number,
        "message": message,
        "recommendation": "\n".join(actions) or None,
        "recommendations": actions,
        "surface": blk.surface,
        "language": language(message, actions, blk.surface),
        "labelled": blk.family != "bare",
        "kind": "error" if is_error else "advice" if actions else "job",
    }
    if others:
        fields["other_codes"] = others
    if blk.title:
        fields["title"] = blk.title
    if message and (suffix := detail(message)):
        fields["detail"] = suffix
    fields.update(job)
    return fields


def document_fields(doc: Document, *, cut: bool) -> dict[str, Any] | None:
    """The fields of a document record: its first error (or job) on top, every error in ``errors``."""
    if not doc.errors and not doc.jobs:
        return None
    surface = "cli_json" if doc.from_jobs else "arm"
    errors = []
    for entry in doc.errors:
        entry = {**entry, "language": language(entry["message"], entry["recommendations"], surface)}
        if entry["message"] and (suffix := detail(entry["message"])):
            entry["detail"] = suffix
        errors.append(entry)
    first: dict[str, Any] = errors[0] if errors else {
        "code": None, "int_code": None, "message": None, "recommendation": None,
        "recommendations": [], **doc.jobs[0], "language": "en",
    }
    fields = {**first, "surface": surface, "labelled": True, "kind": "error" if errors else "job"}
    fields["errors"] = errors
    if doc.salvaged:
        fields["salvaged"] = True
    if cut:
        fields["truncated"] = True
    return fields


def detail(message: str) -> str | None:
    """The failed pre-check the 2016 wording appends to a message (catalogue.md §4)."""
    return "Snapshot VM sub task timed out" if "snapshot vm sub task timed out" in message.lower() else None


def _unbrace(text: str) -> str:
    # PowerShell shows a list as {item, item}; the braces are not part of the advice.
    if text.startswith("{"):
        text = text[1:]
        if text.endswith("}"):
            text = text[:-1]
    return text.strip()
