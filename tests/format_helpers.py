"""Helpers shared by the per-format test modules: parse through both paths, read a Sample:: block."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from logparse.model import Record


def parse_both(fmt: Any, text: str) -> list[Record]:
    """Parse ``text`` with the fast path and the LALR path; they must agree; return the fast one."""
    lines = text.split("\n")
    fast = list(fmt.parse(lines, "t"))
    slow = list(fmt.parse(lines, "t", slow=True))
    assert [r.to_dict() for r in fast] == [r.to_dict() for r in slow]
    return fast


def sample_lines(module: ModuleType) -> list[str]:
    """The lines of the ``Sample::`` block in a format module's docstring."""
    block = (module.__doc__ or "").split("Sample::", 1)[1]
    return [line[4:] for line in block.strip("\n").splitlines()]
