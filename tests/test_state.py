"""State documents: golden facts per fixture, detection, rules per document and across documents, hostile input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logparse.catalogue import load_catalogue
from logparse.state import KINDS, read_state, rules, sniff
from logparse.state.detect import path_kind
from logparse.state.model import Fact
from tests.conftest import FIXTURES

STATE = FIXTURES / "state"


def _cases() -> list[tuple[str, str, Path, str]]:
    """(kind folder, case name, file, path as a bundle would name it) for every fixture document."""
    found = []
    for folder in sorted(p for p in STATE.iterdir() if p.is_dir()):
        for entry in sorted(folder.iterdir()):
            if entry.name.endswith(".golden.json"):
                continue
            if entry.is_dir():
                files = [p for p in entry.rglob("*") if p.is_file()]
                assert len(files) == 1, f"{entry}: a nested case holds exactly one document"
                found.append((folder.name, entry.name, files[0], files[0].relative_to(entry).as_posix()))
            else:
                found.append((folder.name, entry.name.split(".")[0], entry, entry.name))
    return found


CASES = _cases()


def _golden(case: tuple[str, str, Path, str]) -> dict[str, Any]:
    folder, _, file, path = case
    result = read_state(path, file.read_bytes())
    return {"path": path, **result.to_dict()}


def _dump(data: dict[str, Any]) -> str:
    """JSON with one fact or stated entry per line, so a golden diff reads line by line."""
    def line(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    head = ", ".join(f"{line(k)}: {line(data[k])}" for k in ("path", "kind", "skip_reason"))
    body = [f'{line(k)}: [\n' + ",\n".join(f"  {line(item)}" for item in data[k]) + "\n ]" if data[k]
            else f"{line(k)}: []" for k in ("facts", "stated")]
    return "{" + head + ",\n " + ",\n ".join(body) + "}\n"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}/{c[1]}")
def test_golden(case: tuple[str, str, Path, str], update_goldens: bool) -> None:
    golden = STATE / case[0] / f"{case[1]}.golden.json"
    got = _dump(_golden(case))
    assert json.loads(got) == _golden(case)
    if update_goldens or not golden.exists():
        golden.write_text(got, encoding="utf-8")
        assert update_goldens, f"{golden} did not exist; written now, review and commit it"
        return
    assert got == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}/{c[1]}")
def test_fixture_is_read_as_its_folder_says(case: tuple[str, str, Path, str]) -> None:
    folder, _, file, path = case
    result = read_state(path, file.read_bytes())
    if folder == "skipped":
        assert result.skip_reason and not result.facts and not result.stated
        assert not result.skip_reason.startswith("internal error")
    else:
        assert result.kind == folder and result.skip_reason is None and result.facts
        assert sniff(path, file.read_bytes()[:65536]), "a triage would not even look at it"


def test_every_kind_and_surface_has_fixtures() -> None:
    folders = {c[0] for c in CASES}
    assert set(KINDS) <= folders
    names = {c[1] for c in CASES}
    # az camelCase, PowerShell PascalCase and REST (properties / value) shapes of the Azure documents.
    for kind in ("instance_view", "extension_list", "locks", "restore_points", "backup_job"):
        prefixes = {c[1].split("_")[0] for c in CASES if c[0] == kind}
        assert {"az", "ps", "rest"} <= prefixes, kind
    assert len(names) == len(CASES), "case names repeat"
