"""Tolerant access to JSON documents: decoding, case-blind keys through ``properties``, paths, times."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from logparse.formats._time import dotnet_date, us_local
from logparse.state.model import Fact, Scalar

# Facts kept per document: a restore point list or a job list can be long, a result stays small.
MAX_FACTS = 4000
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Where a pasted document starts after a shell prompt or a warning line, and how much
# text may stand before and after it.
MAX_LEAD, MAX_TRAIL = 600, 2000
_DOC_START = re.compile(r"^[ \t]*[\[{]", re.MULTILINE)


def decode(data: bytes) -> str:
    """Text of a document as PowerShell, az or an agent wrote it (UTF-16 from ``>`` in PowerShell 5)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    # UTF-16 without a BOM: every other byte of ASCII JSON is NUL.
    if len(data) >= 4 and data[1:8:2] == b"\x00" * len(data[1:8:2]) and data[0:1] != b"\x00":
        return data.decode("utf-16-le", "replace")
    return data.decode("utf-8-sig", "replace")


def load_json(text: str) -> tuple[Any, str | None]:
    """``(value, None)``, or ``(None, why not)``.

    A shell prompt or a warning line before the document and a prompt after it are allowed
    (pasted terminal output), but no more: a log that merely embeds a JSON block is not a document.
    """
    m = _DOC_START.search(text, 0, MAX_LEAD + 1)
    if m is None:
        return None, "no JSON document at the start of the text"
    try:
        value, end = json.JSONDecoder(strict=False).raw_decode(text, m.end() - 1)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    except RecursionError:
        return None, "JSON nested too deeply"
    if len(text) - end > MAX_TRAIL and text[end:].strip():
        return None, "more text follows the JSON document than a pasted prompt"
    return value, None


def child_path(path: str, key: str | int) -> str:
    """The path of a member or element below ``path``, spelled as ``Node.child`` spells it."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


_SEGMENT = re.compile(r'\.?[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\]')
_BLANK = re.compile(r"[ \t\n\r]*")
# The C string scanner the decoder uses; public, but not in the typeshed stubs.
_scanstring: Callable[[str, int, bool], tuple[str, int]] = getattr(json.decoder, "scanstring")  # noqa: B009


def _after_blank(text: str, pos: int) -> int:
    found = _BLANK.match(text, pos)
    return found.end() if found is not None else pos


def json_lines(text: str, paths: Iterable[str]) -> dict[str, int]:
    """The line (1-based) where the value at each of ``paths`` starts in the document ``text``.

    One pass that steps into only the containers on the way to a wanted path and lets the C
    decoder skip everything else, so a large document costs about one parse. Paths not found,
    or text that is not the JSON ``load_json`` read, give no entry: the line is then unknown.
    """
    wanted = set(paths)
    start = _DOC_START.search(text, 0, MAX_LEAD + 1)
    if not wanted or start is None:
        return {}
    ancestors = {""}
    for path in wanted:
        prefix = ""
        for m in _SEGMENT.finditer(path):
            ancestors.add(prefix)
            prefix += m.group()
    offsets: dict[str, int] = {}
    skip = json.JSONDecoder(strict=False).raw_decode

    def value(pos: int, path: str) -> int:
        if path in wanted:
            offsets[path] = pos
        opening = text[pos]
        if path not in ancestors or opening not in "{[":
            return skip(text, pos)[1]
        closing = "}" if opening == "{" else "]"
        pos = _after_blank(text, pos + 1)
        index = 0
        while text[pos] != closing:
            if opening == "{":
                key, pos = _scanstring(text, pos + 1, False)
                pos = _after_blank(text, pos)
                if text[pos] != ":":
                    raise ValueError("no colon after a key")
                pos = _after_blank(text, pos + 1)
                pos = value(pos, child_path(path, key))
            else:
                pos = value(pos, child_path(path, index))
                index += 1
            pos = _after_blank(text, pos)
            if text[pos] == ",":
                pos = _after_blank(text, pos + 1)
        return pos + 1

    try:
        value(start.end() - 1, "")
    except (ValueError, IndexError, RecursionError):
        pass  # what was found before the odd spot stands
    lines: dict[str, int] = {}
    line, counted = 1, 0
    for path, offset in sorted(offsets.items(), key=lambda item: item[1]):
        line += text.count("\n", counted, offset)
        counted = offset
        lines[path] = line
    return lines


class Node:
    """A JSON value and its path; keys match in any case and are also looked up inside ``properties``.

    Surfaces differ: ``az`` prints camelCase, PowerShell PascalCase, REST nests the model under
    ``properties``. Every accessor returns None (or nothing) for a value of the wrong type.
    """

    __slots__ = ("path", "value")

    def __init__(self, value: Any, path: str = "") -> None:
        self.value = value
        self.path = path

    def child(self, key: str | int) -> Node:
        return Node(self._raw(key), child_path(self.path, key))

    def _raw(self, key: str | int) -> Any:
        if isinstance(key, int):
            return self.value[key] if isinstance(self.value, list) and -len(self.value) <= key < len(self.value) \
                else None
        return self.value.get(key) if isinstance(self.value, dict) else None

    def get(self, *names: str) -> Node | None:
        """The first of ``names`` present with a non-null value, in any case, here or under ``properties``."""
        if not isinstance(self.value, dict):
            return None
        keys = {k.casefold(): k for k in self.value if isinstance(k, str)}
        for name in names:
            key = keys.get(name.casefold())
            if key is not None and self.value[key] is not None:
                return self.child(key)
        props = keys.get("properties")
        if props is not None and isinstance(self.value[props], dict) and "properties" not in names:
            return self.child(props).get(*names)
        return None

    def has(self, *names: str) -> bool:
        return self.get(*names) is not None

    def items(self) -> list[Node]:
        """List elements; a single object stands for a list of one (surfaces print either)."""
        if isinstance(self.value, list):
            return [self.child(i) for i in range(len(self.value))]
        return [self] if isinstance(self.value, dict) else []

    def each(self, *names: str) -> list[Node]:
        node = self.get(*names)
        return node.items() if node is not None else []

    def text(self) -> str | None:
        value = self.value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return value.strip() or None
        if isinstance(value, int | float):
            return str(value)
        return None

    def string(self, *names: str) -> str | None:
        node = self.get(*names)
        return node.text() if node is not None else None

    def number(self) -> float | None:
        value = self.value
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                return None
        return None

    def integer(self) -> int | None:
        number = self.number()
        if number is None or number != number or abs(number) > 1e15:
            return None
        return int(number)

    def flag(self) -> bool | None:
        value = self.value
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().casefold() in ("true", "false"):
            return value.strip().casefold() == "true"
        return None


def walk(node: Node, depth: int = 0) -> Iterator[Node]:
    """Every object in a document, outermost first (bounded depth)."""
    if depth > 40:
        return
    if isinstance(node.value, dict):
        yield node
        for key in list(node.value):
            if isinstance(key, str):
                yield from walk(node.child(key), depth + 1)
    elif isinstance(node.value, list):
        for item in node.items():
            yield from walk(item, depth + 1)


def when(node: Node | None) -> str | None:
    """A time in any spelling the surfaces print, as ISO (UTC offset, or naive when local)."""
    if node is None:
        return None
    text = node.text()
    if text is None or len(text) > 64:
        return None
    value: datetime | None = None
    if "Date(" in text:
        value = dotnet_date(text)
    elif "/" in text:
        value = us_local(text)  # PowerShell's en-US DateTime: local, zone unknown
    elif _ISO_DAY.match(text):
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            value = None
    if value is None:
        return None
    try:
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    except (OverflowError, ValueError):
        return None


class Facts:
    """The facts of one document as a reader finds them (bounded)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.items: list[Fact] = []

    def add(self, name: str, value: Scalar, path: str, *, subject: str | None = None,
            time: str | None = None) -> None:
        if value is None or value == "" or len(self.items) >= MAX_FACTS:
            return
        if isinstance(value, str):
            value = value[:2000]
        self.items.append(Fact(name, value, path, self.kind, time, subject))

    def take(self, name: str, node: Node | None, *, subject: str | None = None, time: str | None = None) -> None:
        """Add the text of ``node`` when it has one."""
        if node is not None:
            self.add(name, node.text(), node.path, subject=subject, time=time)

    def first(self, name: str, subject: str | None = None) -> Fact | None:
        return next((f for f in self.items if f.name == name and (subject is None or f.subject == subject)), None)


def records(root: Node) -> list[Node]:
    """The objects of a document: a REST ``{"value": [...]}`` page, a list, or one object."""
    wrapped = root.get("value")
    if isinstance(root.value, dict) and wrapped is not None and isinstance(wrapped.value, list):
        root = wrapped
    return [n for n in root.items() if isinstance(n.value, dict)]


def arm_id(text: str | None) -> dict[str, str]:
    """Parts of an ARM resource id, keys lower-cased (``subscriptions``, ``resourcegroups``, ``locks`` ...)."""
    parts = [p for p in (text or "").split("/") if p]
    out: dict[str, str] = {}
    for key, value in zip(parts[0::2], parts[1::2], strict=False):
        out.setdefault(key.casefold(), value)
    return out
