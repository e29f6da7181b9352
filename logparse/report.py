"""Renderers for parsed records: JSON Lines, CSV and a rich table; they only format, never compute."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

from logparse.model import Record

CSV_COLUMNS = (
    "path", "line", "format", "generation", "timestamp", "local_time", "level", "thread",
    "component", "extension", "extension_version", "message", "continuation_lines",
)
_TABLE_BATCH = 500


def write_jsonl(records: Iterable[Record], out: TextIO) -> int:
    count = 0
    dumps = json.dumps
    for record in records:
        out.write(dumps(record.to_dict(), ensure_ascii=False, default=str))
        out.write("\n")
        count += 1
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
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, width=width, soft_wrap=False)
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
            table.add_row(str(r.line), ts, r.level or "", r.component or "", r.message + extra, style=style)
        console.print(table)
        batch.clear()

    for record in records:
        batch.append(record)
        count += 1
        if len(batch) >= _TABLE_BATCH:
            flush()
    if batch:
        flush()
    return count
