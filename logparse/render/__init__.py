"""Report renderers for a triage result: one module per output format, all fed the same result.

Sample::

    >>> from logparse.render import RenderOptions, render
    >>> render(result, "markdown", sys.stdout, RenderOptions(threshold=0.5))
"""

from __future__ import annotations

import importlib
import sys
from typing import TextIO

from logparse.errors import LogparseError
from logparse.findings import TriageResult
from logparse.render._common import RenderOptions

# Format name -> module; the first is the default of ``logparse triage``.
FORMATS = {"table": "table", "json": "json", "jsonl": "jsonl", "csv": "csv", "markdown": "markdown", "html": "html"}


def render(result: TriageResult, fmt: str, out: TextIO, options: RenderOptions | None = None) -> None:
    """Write ``result`` to ``out`` as ``fmt`` (one of ``FORMATS``); renderers format, never compute.

    Raises:
        KeyError: ``fmt`` is not a known format.
    """
    module = importlib.import_module(f"logparse.render.{FORMATS[fmt]}")
    module.render(result, out, options or RenderOptions())



def write_report(result: TriageResult, fmt: str, output: str | None, options: RenderOptions | None = None) -> None:
    """Render to the file ``output`` (UTF-8), or to standard output when it is None or ``-``.

    Raises:
        LogparseError: the output file cannot be written (the CLI exits 2 with one line).
    """
    if output in (None, "-"):
        render(result, fmt, sys.stdout, options)
        return
    try:
        # newline="": the csv module writes its own line ends; no translation on Windows.
        with open(output, "w", encoding="utf-8", newline="") as out:
            render(result, fmt, out, options)
    except OSError as exc:
        raise LogparseError(f"{output}: cannot write the report: {exc.strerror or exc}") from exc


__all__ = ["FORMATS", "RenderOptions", "render", "write_report"]
