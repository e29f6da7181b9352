"""The JSON report: the result's ``to_dict()``, the contract of ``--json``, unfiltered."""

from __future__ import annotations

import json
from typing import TextIO

from logparse.findings import TriageResult
from logparse.render._common import RenderOptions, json_text


def render(result: TriageResult, out: TextIO, options: RenderOptions) -> None:
    out.write(json_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=2)) + "\n")
