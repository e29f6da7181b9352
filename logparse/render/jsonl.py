"""JSON Lines report: one object per finding (or per evidence line), keys as in ``_rows``."""

from __future__ import annotations

import json
from typing import TextIO

from logparse.findings import TriageResult
from logparse.render._common import RenderOptions, json_text
from logparse.render._rows import rows


def render(result: TriageResult, out: TextIO, options: RenderOptions) -> None:
    for row in rows(result, options):
        out.write(json_text(json.dumps(row, ensure_ascii=False)) + "\n")
