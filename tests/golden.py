"""Helpers for golden-file tests: compare with, or rewrite, a checked-in expected output."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def check_text(golden: Path, text: str, update: bool) -> None:
    """Compare ``text`` with the golden file byte for byte, or (re)write it with ``--update-goldens``."""
    if update or not golden.exists():
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8", newline="")
        if not update:
            raise AssertionError(f"{golden} did not exist; written now, review and commit it")
        return
    expected = golden.read_bytes().decode("utf-8")
    if text != expected:
        got, want = text.splitlines(), expected.splitlines()
        for i, (a, b) in enumerate(zip(got, want, strict=False)):
            if a != b:
                raise AssertionError(f"{golden} line {i + 1} differs:\n got: {a[:300]}\nwant: {b[:300]}")
        raise AssertionError(f"{golden}: {len(got)} lines, expected {len(want)}")


def check_jsonl(golden: Path, rows: Iterable[dict[str, Any]], update: bool) -> None:
    check_text(golden, "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows), update)
