"""The scanner: both engines give the same confirmed lines, whatever the text and chunking."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logparse import scanner as scanner_module
from logparse._prefilters import piece_of
from logparse.catalogue import load_catalogue
from logparse.scanner import Probe, Scanner, byte_chunks, hyperscan_available

CATALOGUE = load_catalogue()
PROBES = [
    Probe(f"{entry_id}#{i}", sig.literal, re.compile(sig.pattern, re.I if "i" in sig.flags else 0),
          caseless="i" in sig.flags)
    for entry_id, sig in CATALOGUE.signatures() for i in [0]
] + [Probe("level", " ERROR ", re.compile(" ERROR "), caseless=False)]
# The same probes scanning for the stored rarer pieces of their literals (logparse._prefilters).
PIECED = [Probe(p.key, p.literal, p.regex, p.caseless, piece_of(p.literal, p.caseless)) if p.key != "level" else p
          for p in PROBES]
EXAMPLES = [example for _, sig in CATALOGUE.signatures() for example in sig.examples]
needs_hyperscan = pytest.mark.skipif(not hyperscan_available(), reason="the hyperscan wheel is not installed here")


def _lines(scanner: Scanner, data: bytes, size: int) -> list[tuple[int, str, tuple[str, ...]]]:
    out = []
    offset = 0
    for chunk in byte_chunks(io.BytesIO(data), size):
        for hit in scanner.scan(chunk):
            out.append((offset + hit.start, hit.text, tuple(sorted(p.key for p, _ in hit.matches))))
        offset += len(chunk)
    return out


noise = st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=60)
texts = st.lists(st.one_of(st.sampled_from(EXAMPLES), noise, st.sampled_from(EXAMPLES).map(str.upper),
                           st.builds(lambda a, b: a + b, noise, st.sampled_from(EXAMPLES))), max_size=30)


@needs_hyperscan
@given(lines=texts, size=st.integers(1, 400))
def test_engines_agree_and_chunking_does_not_matter(lines: list[str], size: int) -> None:
    data = ("\n".join(lines)).encode()
    python, hyper = Scanner(PROBES, "python"), Scanner(PROBES, "hyperscan")
    reference = _lines(python, data, 1 << 20)
    assert _lines(python, data, size) == reference
    assert _lines(hyper, data, size) == reference


def _split(scanner: Scanner, data: bytes, size: int) -> list[tuple[str, int, str, tuple[str, ...]]]:
    """Confirmed lines and bare lines apart, with the probes in their order: what consumers see."""
    out = []
    offset = 0
    for chunk in byte_chunks(io.BytesIO(data), size):
        hits, bare = scanner.scan_split(chunk)
        out += [("hit", offset + h.start, h.text, tuple(p.key for p, _ in h.matches)) for h in hits]
        out += [("bare", offset + start, chunk[start:end].decode(errors="replace"), tuple(p.key for p in probes))
                for start, end, probes in bare]
        offset += len(chunk)
    return out


# Level lines that hold a piece of a literal without the literal: they must stay bare.
LEVEL_LINES = st.sampled_from([f"2024-01-02T03:04:05Z WARNING ExtHandler {piece} x" for piece in
                               sorted({p.piece for p in PIECED if p.piece})])


@needs_hyperscan
@given(lines=st.lists(st.one_of(texts.map("\n".join), LEVEL_LINES), max_size=8), size=st.integers(1, 400))
def test_scanning_for_pieces_finds_what_whole_literals_find(lines: list[str], size: int) -> None:
    data = ("\n".join(lines)).encode()
    # A bare probe (no regex), as triage's level words: its lines are counted, not confirmed.
    bare = Probe("level\tWARNING", " WARNING ", None, caseless=False)
    whole, pieced = [*PROBES, bare], [*PIECED, bare]
    expected = _split(Scanner(whole, "python"), data, size)
    assert _split(Scanner(pieced, "python"), data, size) == expected
    assert _split(Scanner(pieced, "hyperscan"), data, size) == expected
    assert _lines(Scanner(PIECED, "hyperscan"), data, size) == _lines(Scanner(PROBES, "python"), data, 1 << 20)


def test_the_stored_pieces_are_used() -> None:
    pieced = [p for p in PIECED if p.piece]
    assert len(pieced) > len(PIECED) // 2, "most catalogue literals should have a stored piece"
    assert all(p.piece.lower() in p.literal.lower() and len(p.piece) < len(p.literal) for p in pieced)


@needs_hyperscan
def test_a_piece_common_in_the_input_goes_back_to_its_whole_literal(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = "hyperscan"  # the python engine scans whole literals (bytes.find is faster on long needles)
    monkeypatch.setattr(scanner_module, "_MISSES_ALLOWED", 10)
    probe = Probe("status", "Extension status: [", re.compile(r"Extension status: \[\w+\]"), piece="status: ")
    whole = Scanner([dataclasses.replace(probe, piece="")], engine)
    pieced = Scanner([probe], engine)
    # Each chunk: many lines with the piece only (false candidates) and one real match.
    chunk = b"".join(b"agent status: ok %d\n" % i for i in range(50)) + b"Extension status: [ok]\n"
    stale = pieced.occurrences(chunk)  # made with the first tables, used after they change
    seen = [pieced.scan(chunk) for _ in range(3)]
    assert pieced.demoted == {(b"status: ", True)}
    expected = [(h.start, h.text) for h in whole.scan(chunk)]
    assert len(expected) == 1
    assert [(h.start, h.text) for h in pieced.scan_split(chunk, stale)[0]] == expected
    assert all([(h.start, h.text) for h in hits] == expected for hits in seen)
    assert [(h.start, h.text) for h in pieced.scan(chunk)] == expected


def test_every_signature_example_is_found_by_its_own_probe() -> None:
    scanner = Scanner(PROBES, "auto")
    for entry_id, sig in CATALOGUE.signatures():
        for example in sig.examples:
            keys = {p.key.split("#")[0] for hit in scanner.scan(example.encode() + b"\n") for p, _ in hit.matches}
            assert entry_id in keys, (entry_id, example)


def test_hits_carry_their_line_and_only_confirmed_probes() -> None:
    scanner = Scanner([Probe("x", "Timeout(", re.compile(r"Timeout\(\d+\)"))], "python")
    hits = scanner.scan(b"ok\nsaw Timeout(abc) here\nop=Enable Timeout(300): main\n")
    assert [h.text for h in hits] == ["op=Enable Timeout(300): main"]


def test_literal_case_rules() -> None:
    probes = [Probe("ci", "goal state", re.compile("goal state", re.I)),
              Probe("cs", " ERROR ", re.compile(" ERROR "), caseless=False)]
    scanner = Scanner(probes, "python")
    keys = [tuple(p.key for p, _ in h.matches) for h in scanner.scan(b"GOAL STATE x\nan error here\nZ ERROR y\n")]
    assert keys == [("ci",), ("cs",)]


def test_unknown_engine_is_an_error() -> None:
    from logparse.errors import LogparseError

    with pytest.raises(LogparseError):
        Scanner(PROBES, "grep")


@needs_hyperscan
def test_one_scanner_serves_several_threads() -> None:
    import threading

    scanner = Scanner([Probe("x", "goal state", re.compile("goal state", re.I))], "hyperscan")
    data = b"a goal state b\nnothing\n" * 20_000
    counts: list[int] = []

    def work() -> None:
        for _ in range(10):
            counts.append(len(scanner.scan(data)))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts == [20_000] * 40


@needs_hyperscan
def test_a_piece_that_is_another_probes_whole_literal_still_finds_that_probe() -> None:
    whole = Probe("whole", "failed t", re.compile("failed t", re.I))
    pieced = Probe("pieced", "Failed to download artifacts", re.compile("Failed to download artifacts", re.I),
                   piece="failed t")
    scanner = Scanner([pieced, whole], "hyperscan")
    hits = scanner.scan(b"x failed t y\nFailed to download artifacts\nFAILED T\n")
    assert [[p.key for p, _ in h.matches] for h in hits] == [["whole"], ["pieced", "whole"], ["whole"]]


def test_a_line_longer_than_the_cap_keeps_its_start_and_the_line_count(monkeypatch: pytest.MonkeyPatch) -> None:
    # Hundreds of MB without a newline (a NUL block, a blob) were copied again at every read.
    scanner = scanner_module
    monkeypatch.setattr(scanner, "MAX_LINE_BYTES", 1000)
    data = b"first\n" + b"A" * 50_000 + b"B\nlast\n"
    chunks = list(scanner.byte_chunks(io.BytesIO(data), 4096))
    joined = b"".join(chunks)
    assert joined.count(b"\n") == data.count(b"\n") and joined.startswith(b"first\n") and joined.endswith(b"B\nlast\n")
    assert len(joined) < 1000 + 4096 + 20
    cut = list(scanner.byte_chunks(io.BytesIO(b"A" * 50_000), 4096))  # no newline at all
    assert cut == [b"A" * 1000]


def test_both_windows_header_styles_give_one_template() -> None:
    from logparse.chunks import template_of

    old = template_of("[00000004] [07/21/2021 10:00:01.15] [ERROR] WindowsAzureGuestAgent stopping.")
    new = template_of("[00000004] 2024-06-01T02:00:35.900Z [ERROR]  WindowsAzureGuestAgent stopping.")
    assert old == new == "[<N>] <TS> [ERROR] WindowsAzureGuestAgent stopping."
    # A path is still a path, and a date inside a message is masked too.
    assert template_of("Error opening /var/lib/waagent/x.xml on 5/3/2024 1:02:03") == "Error opening <PATH> on <TS>"
