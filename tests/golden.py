"""Helpers for golden-file tests: compare with, or rewrite, a checked-in expected output."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def check_jsonl(golden: Path, rows: Iterable[dict[str, Any]], update: bool) -> None:
    text = "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
    if update or not golden.exists():
        golden.write_text(text, encoding="utf-8")
        if not update:
            raise AssertionError(f"{golden} did not exist; written now, review and commit it")
        return
    expected = golden.read_text(encoding="utf-8")
    if text != expected:
        got, want = text.splitlines(), expected.splitlines()
        for i, (a, b) in enumerate(zip(got, want, strict=False)):
            if a != b:
                raise AssertionError(f"{golden.name} line {i + 1} differs:\n got: {a}\nwant: {b}")
        raise AssertionError(f"{golden.name}: {len(got)} rows, expected {len(want)}")
