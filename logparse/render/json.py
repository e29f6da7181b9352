"""The JSON report: the result's ``to_dict()``, the contract of ``--json``, unfiltered."""

from __future__ import annotations

import json
from typing import TextIO

from logparse.findings import TriageResult
from logparse.render._common import RenderOptions


def render(result: TriageResult, out: TextIO, options: RenderOptions) -> None:
    json.dump(result.to_dict(), out, ensure_ascii=False, indent=2)
    out.write("\n")
