"""End to end: every bundle case through ``logparse.triage`` in every container kind and on stdin.

The cases are plain trees under ``fixtures/bundles/<case>/`` (see ``test_bundle_fixtures.py``);
here each is packed at test time into a directory, tar, tar.gz, tar.bz2, tar.xz, tar.zst and
zip, and piped through stdin (``-``) as tar.gz and as zip. For every container the ids in
``must`` are found at or above 0.5, the ids in ``must_not`` stay below it, a healthy tree
yields nothing at or above it, the expected files show up as evidence, no tree reads as the logs
of several VMs, and the findings (id and confidence to two places) are the same whichever
container carried the tree.
"""

from __future__ import annotations

import functools
import io
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

import logparse
from tests import packing
from tests.test_bundle_fixtures import CASES, load_expected, tree

THRESHOLD = 0.5
KINDS = ("dir", *packing.KINDS, "stdin:tar.gz", "stdin:zip")
HEALTHY = [case for case in CASES if load_expected(case).healthy]


class _Pipe(io.RawIOBase):
    """Bytes that cannot be seeked and arrive in short reads, as from a shell pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(min(len(buffer), 4096))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _triage() -> Any:
    triage = getattr(logparse, "triage", None)
    if triage is None:
        pytest.fail("logparse.triage does not exist yet (issue 4): these end-to-end bundle tests need it")
    if not callable(triage):
        pytest.fail(f"logparse.triage is {triage!r}, not the triage function")
    return triage


@functools.cache
def run(case: str, kind: str) -> dict[str, Any]:
    """``triage(...).to_dict()`` for the case's tree carried in ``kind`` (computed once per pair)."""
    triage = _triage()
    files = tree(case)
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "dir":
            result = triage(str(packing.write_tree(Path(tmp) / case, files)))
        elif kind.startswith("stdin:"):
            blob = packing.pack(files, kind.removeprefix("stdin:"))
            saved = sys.stdin
            sys.stdin = io.TextIOWrapper(io.BufferedReader(_Pipe(blob)))
            try:
                result = triage("-")
            finally:
                sys.stdin = saved
        else:
            path = Path(tmp) / f"{case}.{kind}"
            path.write_bytes(packing.pack(files, kind))
            result = triage(str(path))
    data: dict[str, Any] = result.to_dict()
    return data


def confidences(result: dict[str, Any]) -> dict[str, float]:
    return {f["id"]: f["confidence"] for f in result["findings"]}


def _same_path(seen: str, wanted: str) -> bool:
    # Containers and directory walks may put a prefix (the bundle's folder, an archive name) in front.
    seen = seen.replace("\\", "/")
    return seen == wanted or seen.endswith("/" + wanted)


@pytest.mark.parametrize("case", CASES)
def test_must_ids_are_found_in_every_container(case: str) -> None:
    expected = load_expected(case)
    missing = [f"{kind}: {entry_id} at {confidences(run(case, kind)).get(entry_id, 0.0)}"
               for kind in KINDS for entry_id in expected.must
               if confidences(run(case, kind)).get(entry_id, 0.0) < THRESHOLD]
    assert missing == [], f"{case}: {expected.description}"


@pytest.mark.parametrize("case", CASES)
def test_must_not_ids_stay_below_the_threshold(case: str) -> None:
    expected = load_expected(case)
    wrong = [f"{kind}: {entry_id} at {confidences(run(case, kind))[entry_id]}"
             for kind in KINDS for entry_id in expected.must_not
             if confidences(run(case, kind)).get(entry_id, 0.0) >= THRESHOLD]
    assert wrong == [], f"{case}: {expected.description}"


@pytest.mark.parametrize("case", HEALTHY)
def test_healthy_bundle_yields_no_finding_at_the_threshold(case: str) -> None:
    loud = [f"{kind}: {f['id']} at {f['confidence']} ({f['evidence'][:1]})"
            for kind in KINDS for f in run(case, kind)["findings"] if f["confidence"] >= THRESHOLD]
    assert loud == []


@pytest.mark.parametrize("case", [c for c in CASES if c not in HEALTHY])
def test_expected_files_appear_as_evidence(case: str) -> None:
    expected = load_expected(case)
    must = set(expected.must)
    absent = []
    for kind in KINDS:
        paths = [e["path"] for f in run(case, kind)["findings"]
                 if f["id"] in must and f["confidence"] >= THRESHOLD for e in f["evidence"]]
        absent += [f"{kind}: {want}" for want in expected.evidence if not any(_same_path(p, want) for p in paths)]
    assert absent == []


@pytest.mark.parametrize("case", CASES)
def test_findings_are_the_same_in_every_container(case: str) -> None:
    def key(kind: str) -> set[tuple[str, float]]:
        return {(f["id"], round(f["confidence"], 2)) for f in run(case, kind)["findings"]}

    reference = key("dir")
    differ = {kind: sorted(key(kind) ^ reference) for kind in KINDS if key(kind) != reference}
    assert differ == {}


@pytest.mark.parametrize("case", CASES)
def test_no_case_reads_as_the_logs_of_several_vms(case: str) -> None:
    # One VM's tree (rotated logs, agent and extension logs, state documents) in any container.
    said = [f"{kind}: {w}" for kind in KINDS for w in run(case, kind)["warnings"] if "different VMs" in w]
    assert said == []


def test_logparse_triage_is_the_function_on_every_access() -> None:
    # A lazily imported submodule of the same name once replaced the function after its first use.
    assert callable(logparse.triage)
    assert callable(logparse.triage)


def test_path_comparison_is_by_suffix_only() -> None:
    assert _same_path("bundle/var/log/waagent.log", "var/log/waagent.log")
    assert _same_path("C:\\case\\ticket.txt", "ticket.txt")
    assert not _same_path("var/log/waagent.log.1", "var/log/waagent.log")
    assert not _same_path("var/log/notwaagent.log", "waagent.log")
