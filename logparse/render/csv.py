"""CSV report: a header row, then one row per finding (or per evidence line).

List cells (evidence locations, causes, steps, reasons) hold one item per line inside the quoted
cell, so a spreadsheet shows them stacked and ``splitlines()`` gets them back.
"""

from __future__ import annotations

import csv
from typing import TextIO

from logparse.findings import TriageResult
from logparse.render._common import RenderOptions
from logparse.render._rows import columns, rows


def render(result: TriageResult, out: TextIO, options: RenderOptions) -> None:
    names = columns(options)
    # RFC 4180 line ends; the csv module only quotes a bare \r when it is part of the terminator.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows(result, options):
        writer.writerow([_cell(row[name]) for name in names])


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return value
