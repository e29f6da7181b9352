"""Renderers for parsed records: JSON Lines, CSV and a rich table; they only format, never compute.

Triage reports live in ``logparse.render``; ``render_triage`` is re-exported here for older callers.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring
from typing import Any, TextIO

from logparse._console import make_console
from logparse.formats._time import iso_utc
from logparse.model import LAZY_TIME, Record
from logparse.render.table import render_triage

CSV_COLUMNS = (
    "path", "line", "format", "generation", "timestamp", "local_time", "level", "thread",
    "component", "extension", "extension_version", "message", "continuation_lines",
)
_TABLE_BATCH = 500
__all__ = ["CSV_COLUMNS", "record_json", "render_triage", "write_csv", "write_jsonl", "write_table"]


class _Names(dict[str | None, str]):
    """JSON text of the few short strings that repeat on every record (path, level, thread ...)."""

    def __missing__(self, key: str | None) -> str:
        value = "null" if key is None else encode_basestring(key)
        if len(self) < 4096:
            self[key] = value
        return value


_NAMES = _Names()
# The JSON between the timestamp and the message depends on six short fields that repeat from
# record to record: it is built once per distinct combination.
_MIDDLES: dict[tuple[Any, ...], str] = {}
# What datetime.isoformat() + "Z" prints for an aware UTC value with non-zero microseconds.
_CANONICAL_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.(?!000000)\d{6}Z\Z").match


def _middle(key: tuple[Any, ...]) -> str:
    local, level, thread, component, extension, version = key
    n = _NAMES
    text = (f', "local_time": {"true" if local else "false"}, "level": {n[level]}, "thread": {n[thread]}, '
            f'"component": {n[component]}, "extension": {n[extension]}, "extension_version": {n[version]}, '
            '"message": ')
    if len(_MIDDLES) < 4096:
        _MIDDLES[key] = text
    return text


def record_json(r: Record, s: Callable[[str], str] = encode_basestring, names: _Names = _NAMES) -> str:
    """``json.dumps(r.to_dict())`` without building the dict: about three times as fast.

    ``logparse parse --format jsonl`` writes one of these per record, which makes it the
    hot path of the command; tests check it equals ``to_dict()`` on every fixture record
    and for any timestamp.
    """
    d = r.__dict__
    lazy = d.get(LAZY_TIME)
    if lazy is not None and "timestamp" not in d and lazy[0] is iso_utc and _CANONICAL_UTC(lazy[1]):
        # The layout already wrote the canonical form: "2024-05-01T10:00:03.412907Z".
        stamp = f'"{lazy[1]}"'
    elif (ts := r.timestamp) is None:
        stamp = "null"
    elif ts.tzinfo is None:
        stamp = f'"{ts.isoformat()}"'
    else:
        stamp = f'"{ts.isoformat()[:-6]}Z"'
    key = (r.local_time, r.level, r.thread, r.component, r.extension, r.extension_version)
    middle = _MIDDLES.get(key) or _middle(key)
    continuation = ", ".join(map(s, r.continuation)) if r.continuation else ""
    text = (f'{{"path": {names[r.path]}, "line": {r.line}, "format": {names[r.format]}, '
            f'"generation": {names[r.generation]}, "timestamp": {stamp}{middle}{s(r.message)}, '
            f'"continuation": [{continuation}], "raw": {s(r.raw)}')
    if r.fields:
        return text + ', "fields": ' + json.dumps(r.fields, ensure_ascii=False, default=str) + "}"
    return text + "}"


def write_jsonl(records: Iterable[Record], out: TextIO) -> int:
    count = 0
    batch: list[str] = []
    try:
        for record in records:
            batch.append(record_json(record))
            count += 1
            if len(batch) >= 512:
                # One write per batch: a write call per record costs as much as encoding it.
                out.write("\n".join(batch) + "\n")
                batch.clear()
    finally:  # records read before a cut stream's error are printed before the error
        if batch:
            out.write("\n".join(batch) + "\n")
    return count


def write_csv(records: Iterable[Record], out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for record in records:
        row = record.to_dict()
        row["continuation_lines"] = len(record.continuation)
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
        count += 1
    return count


def write_table(records: Iterable[Record], out: TextIO, width: int | None = None) -> int:
    """A rich table, flushed every few hundred rows so long inputs stream."""
    from rich.table import Table
    from rich.text import Text

    from logparse.render._common import visible

    console = make_console(file=out, width=width, soft_wrap=False)
    count = 0
    batch: list[Record] = []

    def flush() -> None:
        table = Table(show_header=count <= len(batch), box=None, pad_edge=False)
        for name in ("line", "time (UTC unless local)", "level", "component", "message"):
            table.add_column(name, overflow="fold" if name == "message" else "ellipsis")
        for r in batch:
            ts = "" if r.timestamp is None else r.timestamp.strftime("%Y-%m-%d %H:%M:%S")
            if r.timestamp is not None and r.local_time:
                ts += " local"
            style = {"ERROR": "red", "WARNING": "yellow"}.get(r.level or "", "")
            extra = f" (+{len(r.continuation)} lines)" if r.continuation else ""
            # Log text is Text, never markup ("[/quiet]" would crash the table), its controls shown.
            table.add_row(str(r.line), ts, Text(visible(r.level or "")), Text(visible(r.component or "")),
                          Text(visible(r.message + extra)), style=style)
        console.print(table)
        batch.clear()

    try:
        for record in records:
            batch.append(record)
            count += 1
            if len(batch) >= _TABLE_BATCH:
                flush()
    finally:  # as in write_jsonl: what was read before an error is shown
        if batch:
            flush()
    return count
