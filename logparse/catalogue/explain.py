"""Render one catalogue entry for people: messages in each language, causes in order with steps, links."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.padding import Padding
from rich.panel import Panel
from rich.text import Text

from logparse.catalogue.entry import Catalogue, Entry

_LABELS = {
    "en": {
        "messages": "Message", "no_message": "(the docs give no message text for this code)",
        "aliases": "Also seen as", "surfaces_as": "Shows up as", "inner": "Specific errors behind it",
        "causes": "Causes, in the order to check them", "steps": "What to do", "doc": "Doc",
        "explains": "Explains", "variants": "Messages of this code",
        "status_codes": "Extension status codes", "int_codes": "Numeric codes",
        "head": "{kind}, platform {platform}, severity {severity}",
    },
    "zh-CN": {
        "messages": "消息", "no_message": "（文档未给出此代码的消息文本）",
        "aliases": "其他写法", "surfaces_as": "对外显示为", "inner": "其背后的具体错误",
        "causes": "原因（按顺序检查）", "steps": "处理步骤", "doc": "文档",
        "explains": "可解释的错误", "variants": "此代码的各条消息",
        "status_codes": "扩展状态码", "int_codes": "数字代码",
        "head": "{kind}，平台：{platform}，严重性：{severity}",
    },
}

# The values of the head line in words of the language (the reports' words, see render/_text.py);
# a value not named here is shown as it is.
_VALUES = {
    "zh-CN": {
        "error": "错误", "cause": "根本原因", "warning": "警告", "info": "信息",
        "any": "任意", "linux": "Linux", "windows": "Windows",
    },
}


@dataclass(frozen=True)
class Line:
    """One output line: ``style`` picks the rich style, ``indent`` counts two-space steps."""

    text: str
    style: str = ""
    indent: int = 0


def explain_lines(catalogue: Catalogue, entry: Entry, lang: str) -> list[Line]:
    """The explanation of ``entry`` as styled lines; labels and steps in ``lang`` (English fallback)."""
    labels = _LABELS.get(lang, _LABELS["en"])
    out = [Line(f"{entry.id} - {entry.text(entry.title, lang)}", "title"),
           Line(_head(labels["head"], entry, lang), "dim")]
    if entry.messages or entry.no_message:  # a cause known by its log lines alone has no message to show
        out.append(Line(labels["messages"], "label"))
    if entry.no_message:
        out.append(Line(labels["no_message"], "dim", 1))
    for msg_lang in _ordered(entry.messages, lang):
        for message in entry.messages[msg_lang]:
            out.append(Line(f"[{msg_lang}] {message}", "message", 1))
    _list(out, labels["aliases"], entry.aliases)
    _list(out, labels["int_codes"], [str(c) for c in entry.int_codes])
    _list(out, labels["status_codes"], _ranges(entry.status_codes))
    _list(out, labels["surfaces_as"], list(entry.surfaces_as))
    inner = [e.id for e in catalogue.entries.values() if entry.id in e.surfaces_as]
    _list(out, labels["variants"], [i for i in catalogue.entries if i.startswith(entry.id + ".")])
    _list(out, labels["inner"], inner)
    if entry.kind == "cause":
        _list(out, labels["explains"], [e.id for e in catalogue.errors() if entry.id in e.causes])
    _steps(out, labels["steps"], entry.steps(lang), 0)
    if entry.doc:
        out.append(Line(f"{labels['doc']}: {entry.text(entry.doc, lang)}", "link"))
    if entry.causes:
        out.append(Line(labels["causes"], "label"))
        for n, cause_id in enumerate(entry.causes, 1):
            cause = catalogue.entries[cause_id]
            out.append(Line(f"{n}. {cause.id} - {cause.text(cause.title, lang)}", "cause", 1))
            for i, step in enumerate(cause.steps(lang), 1):
                out.append(Line(f"{i}) {step}", "", 2))
            if cause.doc:
                out.append(Line(f"{labels['doc']}: {cause.text(cause.doc, lang)}", "link", 2))
    return out


def _head(template: str, entry: Entry, lang: str) -> str:
    words = _VALUES.get(lang, {})
    return template.format(kind=words.get(entry.kind, entry.kind), platform=words.get(entry.platform, entry.platform),
                           severity=words.get(entry.severity, entry.severity))


def explain_text(catalogue: Catalogue, entry: Entry, lang: str) -> str:
    """Plain text for pipes and files: no colour, two spaces per indent level."""
    return "\n".join("  " * line.indent + line.text for line in explain_lines(catalogue, entry, lang)) + "\n"


def explain_rich(catalogue: Catalogue, entry: Entry, lang: str) -> Panel:
    """A rich panel for terminals."""
    styles = {"title": "bold", "dim": "dim", "label": "bold cyan", "message": "green", "cause": "bold",
              "link": "blue underline"}
    lines = explain_lines(catalogue, entry, lang)
    # Padding (not leading spaces) keeps wrapped lines aligned under their first line.
    body = [Padding(Text(ln.text, style=styles.get(ln.style, "")), (0, 0, 0, 2 * ln.indent))
            for ln in lines[1:]]
    return Panel(Group(*body), title=Text(lines[0].text, style="bold"), title_align="left")


def _ordered(table: dict[str, tuple[str, ...]], lang: str) -> list[str]:
    # The requested language first, then English, then the rest in file order.
    first = [x for x in (lang, "en") if x in table]
    return list(dict.fromkeys([*first, *table]))


def _list(out: list[Line], label: str, items: list[str] | tuple[str, ...]) -> None:
    if items:
        out.append(Line(f"{label}: {', '.join(items)}", "label"))


def _steps(out: list[Line], label: str, steps: tuple[str, ...], indent: int) -> None:
    if steps:
        out.append(Line(label, "label", indent))
        for n, step in enumerate(steps, 1):
            out.append(Line(f"{n}. {step}", "", indent + 1))


def _ranges(codes: tuple[int, ...]) -> list[str]:
    """``[300, 301, 302, 310]`` -> ``["300-302", "310"]``: FailedPrepost has 19 codes."""
    out: list[str] = []
    start = prev = None
    for code in sorted(codes):
        if start is None or prev is None or code != prev + 1:
            if start is not None:
                out.append(str(start) if start == prev else f"{start}-{prev}")
            start = code
        prev = code
    if start is not None:
        out.append(str(start) if start == prev else f"{start}-{prev}")
    return out
