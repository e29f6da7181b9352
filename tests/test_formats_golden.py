"""Golden cases: every fixtures/formats/<name>/<case>.* parses to its .golden.jsonl."""

from __future__ import annotations

from pathlib import Path

import pytest

from logparse import formats
from logparse.textio import iter_chunks, lines_of
from tests.conftest import FIXTURES
from tests.golden import check_jsonl

CASES = sorted(
    p for p in (FIXTURES / "formats").glob("*/*")
    if p.is_file() and ".golden." not in p.name and not p.name.startswith(".")
)


def _golden_of(case: Path) -> Path:
    return case.with_name(case.name.split(".")[0] + ".golden.jsonl")


def _records(case: Path, slow: bool = False) -> list[dict[str, object]]:
    fmt = formats.get(case.parent.name)
    rel = case.relative_to(FIXTURES).as_posix()
    with case.open("rb") as fh:
        chunks = list(iter_chunks(fh, rel))
    records = list(fmt.parse(lines_of(iter(chunks)), rel, slow=True)) if slow else list(
        fmt.parse_chunks(chunks, rel)
    )
    return [r.to_dict() for r in records]


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden(case: Path, update_goldens: bool) -> None:
    check_jsonl(_golden_of(case), _records(case), update_goldens)


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fast_path_equals_grammar(case: Path) -> None:
    # The compiled fast path and a full LALR parse per line give the same records.
    assert _records(case) == _records(case, slow=True)


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_line_accounted_for(case: Path) -> None:
    with case.open("rb") as fh:
        text = "".join(iter_chunks(fh, case.name))
    expected = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    total = 0
    for row in _records(case):
        total += 1 + len(row["continuation"])  # type: ignore[arg-type]
    assert total == expected


def test_at_least_eight_cases_per_format() -> None:
    for name in formats.names():
        cases = [c for c in CASES if c.parent.name == name]
        assert len(cases) >= 8, f"{name}: only {len(cases)} golden cases"
