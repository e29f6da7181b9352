"""The bundle fixtures (``fixtures/bundles/<case>/``) are well formed and really hold what they claim.

Each case is a plain tree as a log collector leaves it plus ``expected.toml``. These checks need
no triage: they load the catalogue and confirm that every id a case says ``must`` be found is
backed by a planted line that matches one of its signatures, by the job error text the
engineer attached (``ticket.txt`` / ``backup_job.json``), or by a state document (an instance
view, a lock list, a restore point collection, an agent status file), and that healthy trees hold no
failure signature at all. ``tests/test_triage_bundles.py`` runs the same cases end to end.
"""

from __future__ import annotations

import codecs
import functools
import gzip
import re
import tomllib
from dataclasses import dataclass, field

import pytest

from logparse import formats, state
from logparse.catalogue import Catalogue, load_catalogue
from tests.conftest import FIXTURES
from tests.test_catalogue import CAUSE_IDS, SEED_CODES

BUNDLES = FIXTURES / "bundles"
CASES = sorted(p.name for p in BUNDLES.iterdir() if (p / "expected.toml").is_file())
EXPECTED = "expected.toml"
TICKETS = ("ticket.txt", "backup_job.json")
KEYS = {"description", "healthy", "must", "must_not", "evidence"}
MAX_TREE_BYTES = 256 * 1024
# Collector folders that only hold logs: every file there must be in a layout some format reads.
LOG_DIRS = ("var/log/", "WindowsAzure/Logs/")


@dataclass(frozen=True)
class Expected:
    """One case's ``expected.toml``: what is wrong, which ids must (not) be found, where the evidence is."""

    description: str
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    healthy: bool = False


def _strings(raw: dict[str, object], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: {key} must be a list of strings")
    return tuple(value)


@functools.cache
def load_expected(case: str) -> Expected:
    """Read and type-check ``expected.toml``.

    Raises:
        ValueError: an unknown key or a value of the wrong type.
    """
    where = f"{case}/{EXPECTED}"
    with (BUNDLES / case / EXPECTED).open("rb") as handle:
        raw = tomllib.load(handle)
    if set(raw) - KEYS:
        raise ValueError(f"{where}: unknown keys {sorted(set(raw) - KEYS)}")
    description, healthy = raw.get("description"), raw.get("healthy", False)
    if not isinstance(description, str) or not isinstance(healthy, bool):
        raise ValueError(f"{where}: description must be a string and healthy a boolean")
    return Expected(description, _strings(raw, "must", where), _strings(raw, "must_not", where),
                    _strings(raw, "evidence", where), healthy)


def tree(case: str) -> dict[str, bytes]:
    """The case's files by forward-slash relative path, without ``expected.toml``."""
    root = BUNDLES / case
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).as_posix() != EXPECTED
    }


def text_of(data: bytes) -> str:
    """Decoded text as a reader would see it: gunzipped, BOM sniffed, CRLF folded."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        text = data.decode("utf-8-sig", "backslashreplace")
    return text.replace("\r\n", "\n")


def is_ticket(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in TICKETS


@functools.cache
def catalogue() -> Catalogue:
    return load_catalogue()


def _code_pattern(code: str) -> re.Pattern[str]:
    # A code as a whole word: BackUpOperationFailed must not be found inside BackUpOperationFailedV2.
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(code)}(?![A-Za-z0-9])", re.IGNORECASE)


def _flat(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class Scan:
    """What a case's tree holds: detected formats, signature hits and job-error backing."""

    formats: dict[str, str | None] = field(default_factory=dict)
    hits: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)  # entry id -> (path, line, text)
    stated: dict[str, set[str]] = field(default_factory=dict)  # error id -> ticket paths naming or quoting it
    named: set[str] = field(default_factory=set)  # error ids whose code (or alias) a ticket holds
    documents: dict[str, set[str]] = field(default_factory=dict)  # id -> state documents stating it at >= 0.5

    def backed(self) -> dict[str, set[str]]:
        """Every id the tree supports, with the paths that support it.

        A hit backs its entry; a ticket backs the errors it names (code or message); an
        extension status code backs the portal code it surfaces as; an error named in a ticket
        backs those of its causes that have no log signature at all (the service-side causes:
        resource group lock, restore point cleanup, a shutdown from inside the guest).
        """
        cat = catalogue()
        out: dict[str, set[str]] = {}
        for entry_id, hits in self.hits.items():
            out.setdefault(entry_id, set()).update(path for path, _, _ in hits)
        for entry_id, paths in self.stated.items():
            out.setdefault(entry_id, set()).update(paths)
        for entry_id, paths in self.documents.items():
            out.setdefault(entry_id, set()).update(paths)
        changed = True
        while changed:
            changed = False
            for entry_id, paths in list(out.items()):
                for portal in cat.entries[entry_id].surfaces_as:
                    if not paths <= out.get(portal, set()):
                        out.setdefault(portal, set()).update(paths)
                        changed = True
        for entry_id, paths in list(self.stated.items()):
            for cause in cat.entries[entry_id].causes:
                if not cat.entries[cause].signatures:
                    out.setdefault(cause, set()).update(paths)
        return out


@functools.cache
def scan(case: str) -> Scan:
    cat = catalogue()
    result = Scan()
    signatures = [(entry_id, sig, re.compile(sig.pattern, re.IGNORECASE if "i" in sig.flags else 0))
                  for entry_id, sig in cat.signatures()]
    documents: list[tuple[str, list[state.Fact]]] = []
    for path, data in tree(case).items():
        if state.sniff(path, data[:65536]):
            document = state.read_state(path, data, cat)
            documents.append((path, document.facts))
            for stated in document.stated:
                if stated.confidence >= 0.5:
                    result.documents.setdefault(stated.entry_id, set()).add(path)
        text = text_of(data)
        lines = text.split("\n")
        fmt = formats.detect(path, lines[:50]).format
        result.formats[path] = fmt
        if is_ticket(path):
            flat = _flat(text)
            for entry in cat.errors():
                named = any(_code_pattern(code).search(text) for code in (entry.id, *entry.aliases))
                quoted = any(_flat(m) in flat for ms in entry.messages.values() for m in ms if len(m) > 20)
                if named or quoted:
                    result.stated.setdefault(entry.id, set()).add(path)
                if named:
                    result.named.add(entry.id)
        for number, line in enumerate(lines, 1):
            for entry_id, sig, pattern in signatures:
                if fmt in sig.formats and pattern.search(line):
                    result.hits.setdefault(entry_id, []).append((path, number, line))
    for path, stated in state.combined(documents, cat):
        if stated.confidence >= 0.5:
            result.documents.setdefault(stated.entry_id, set()).add(path)
    return result


# -- the set of cases ------------------------------------------------------------------------------
def test_cases_cover_every_seed_code_and_cause() -> None:
    expectations = [load_expected(case) for case in CASES]
    healthy = [e for e in expectations if e.healthy]
    failing = [e for e in expectations if not e.healthy]
    assert len(failing) >= 12
    assert len(healthy) >= 2
    found = {i for e in failing for i in e.must}
    assert set(SEED_CODES) - found == set()
    assert set(CAUSE_IDS) - found == set()


def test_cases_cover_both_platforms_and_every_ticket_kind() -> None:
    paths = {path for case in CASES for path in tree(case)}
    assert any(p.startswith("var/log/") for p in paths)
    assert any(p.startswith("WindowsAzure/Logs/") for p in paths)
    assert {p.rsplit("/", 1)[-1] for p in paths} >= set(TICKETS)


# -- one case --------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_expected_is_well_formed(case: str) -> None:
    expected = load_expected(case)  # raises on unknown keys and wrong types
    assert expected.description and "\n" not in expected.description
    for key in ("must", "must_not", "evidence"):
        items = getattr(expected, key)
        assert len(set(items)) == len(items), f"{key} repeats an item"
    for entry_id in expected.must + expected.must_not:
        assert entry_id in catalogue().entries, f"{entry_id}: not a catalogue id"
    assert not set(expected.must) & set(expected.must_not)
    if expected.healthy:
        assert expected.must == () and expected.evidence == ()
    else:
        assert expected.must and expected.must_not and expected.evidence
    files = tree(case)
    for path in expected.evidence:
        assert path in files, f"evidence path {path} is not in the tree"


@pytest.mark.parametrize("case", CASES)
def test_tree_is_small_and_recognised(case: str) -> None:
    files = tree(case)
    assert 1024 <= sum(len(d) for d in files.values()) <= MAX_TREE_BYTES
    found = scan(case).formats
    for path in files:
        if path.startswith(LOG_DIRS):
            assert found[path] is not None, f"{path}: no format reads it"
        if is_ticket(path):
            assert found[path] == "job_error", f"{path}: detected as {found[path]}"


@pytest.mark.parametrize("case", CASES)
def test_must_ids_are_backed_by_the_tree(case: str) -> None:
    backed = scan(case).backed()
    for entry_id in load_expected(case).must:
        assert entry_id in backed, f"{entry_id}: no signature line and no job error in the tree backs it"


@pytest.mark.parametrize("case", CASES)
def test_evidence_paths_hold_evidence(case: str) -> None:
    expected = load_expected(case)
    backed = scan(case).backed()
    cat = catalogue()
    # A must id is supported by its own lines and by those of entries that surface as it.
    wanted = set(expected.must)
    related = wanted | {e for e in backed if set(cat.entries[e].surfaces_as) & wanted}
    holding = {path for entry_id in related for path in backed[entry_id]}
    for path in expected.evidence:
        assert path in holding, f"{path}: holds no line backing {sorted(wanted)}"


def _shares_a_message(entry_id: str, others: set[str]) -> bool:
    entries = catalogue().entries
    mine = {m for ms in entries[entry_id].messages.values() for m in ms}
    return any(mine & {m for ms in entries[o].messages.values() for m in ms} for o in others if o != entry_id)


@pytest.mark.parametrize("case", CASES)
def test_must_not_ids_have_no_evidence(case: str) -> None:
    result = scan(case)
    for entry_id in load_expected(case).must_not:
        assert entry_id not in result.hits, f"{entry_id}: {result.hits[entry_id][:2]}"
        assert entry_id not in result.named, f"{entry_id}: named in {result.stated[entry_id]}"
        # A quoted message counts against it only where no named sibling has the same wording
        # (BackUpOperationFailed and BackUpOperationFailedV2 share one message).
        if entry_id in result.stated:
            assert _shares_a_message(entry_id, result.named), f"{entry_id}: quoted in {result.stated[entry_id]}"


@pytest.mark.parametrize("case", [c for c in CASES if load_expected(c).healthy])
def test_healthy_trees_match_no_failure_signature(case: str) -> None:
    result = scan(case)
    failures = {entry_id: hits[:2] for entry_id, hits in result.hits.items()
                if catalogue().entries[entry_id].kind in ("error", "cause")}
    assert failures == {}
    assert not any(is_ticket(path) for path in result.formats)
    assert result.documents == {}, "a state document in a healthy tree states a failure"


def test_a_planted_line_is_seen_and_a_missing_one_is_not() -> None:
    # The checks above are only as good as the scan: prove it finds a signature and misses its absence.
    case = next(c for c in CASES if "no-network-wireserver" in load_expected(c).must)
    assert "no-network-wireserver" in scan(case).hits
    healthy = next(c for c in CASES if load_expected(c).healthy)
    assert "no-network-wireserver" not in scan(healthy).hits
    assert _code_pattern("BackUpOperationFailed").search("Error Code | BackUpOperationFailedV2") is None
