"""The triage speed-ups give the numbers of the plain code: newline counts, chunking, shared scans."""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logparse import analysis, chunks
from logparse.catalogue import load_catalogue
from logparse.chunks import Newlines, chunk_scanner
from logparse.scanner import byte_chunks

LINES = [
    b"2026-01-02T03:04:05.123456Z INFO ExtHandler ExtHandler Target handler state: enabled [incarnation 7]\n",
    b"2026-01-02T03:04:06.000001Z WARNING ExtHandler Download failed, switching to host plugin\n",
    b"2026-01-02T03:04:07.5Z ERROR Daemon Failed to connect to 168.63.129.16\n",
    b"   continuation line without a header\r\n",
    b"\n",
]


def _chunk(size: int, seed: int) -> bytes:
    rnd = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        out += rnd.choice(LINES)
    return bytes(out)


@pytest.fixture(params=[False, True], ids=["bytes.count", "numpy"])
def with_numpy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Newline counting with numpy from the first byte, or without numpy at all."""
    if request.param:
        pytest.importorskip("numpy")
        monkeypatch.setattr(chunks, "_NUMPY_AFTER", 0)
    else:
        monkeypatch.setattr(chunks, "_np", False)
    return bool(request.param)


def test_newline_counts_match_bytes_count(with_numpy: bool) -> None:
    data = _chunk(300_000, 1)
    counter = Newlines(data)
    assert (counter._mask is not None) == with_numpy
    rnd = random.Random(2)
    for _ in range(300):
        start = rnd.randrange(len(data))
        end = rnd.randrange(start, len(data) + 1)
        assert counter.count(start, end) == data.count(b"\n", start, end)
    assert counter.count(0, len(data)) == data.count(b"\n")


def test_line_numbers_asked_in_any_order_match_a_count_from_the_start(with_numpy: bool) -> None:
    data = _chunk(300_000, 5)
    counter = Newlines(data)
    rnd = random.Random(6)
    positions = [rnd.randrange(len(data) + 1) for _ in range(200)] + [0, len(data), 12_345, 12_345]
    for pos in positions:
        assert counter.before(pos) == data.count(b"\n", 0, pos), pos


def _reference_chunks(data: bytes, size: int) -> list[bytes]:
    # The straightforward version byte_chunks must agree with: re-cut after every read.
    stream, carry, out = io.BytesIO(data), b"", []
    while block := stream.read(size):
        block = carry + block
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            carry = block
            continue
        carry = block[cut:]
        out.append(block[:cut])
    if carry:
        out.append(carry)
    return out


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200).map(lambda b: b.replace(b"x", b"\n")), st.integers(1, 17))
def test_byte_chunks_match_the_reference(data: bytes, size: int) -> None:
    got = list(byte_chunks(io.BytesIO(data), size))
    assert got == _reference_chunks(data, size)
    assert all(type(piece) is bytes for piece in got)


@pytest.mark.parametrize("fmt", ["waagent", "vmsnapshot"])
def test_scan_split_takes_a_report_made_elsewhere(fmt: str) -> None:
    scanner = chunk_scanner(load_catalogue(), fmt, "auto")
    data = _chunk(200_000, 3)
    hits, bare = scanner.scan_split(data)
    assert bare, "the sample must hold level lines"
    again_hits, again_bare = scanner.scan_split(data, scanner.occurrences(data))
    assert again_bare == bare
    assert [(h.start, h.end, h.text, [p.key for p, _ in h.matches]) for h in again_hits] == \
        [(h.start, h.end, h.text, [p.key for p, _ in h.matches]) for h in hits]


def test_read_ahead_scans_when_ahead_and_reports_the_same() -> None:
    scanner = chunk_scanner(load_catalogue(), "waagent", "auto")
    pieces = [_chunk(50_000, seed) for seed in range(12)]

    def slow() -> Iterator[tuple[bytes, Newlines, list[int] | None]]:
        for item in analysis._prefetched(iter(pieces), scanner.occurrences):
            time.sleep(0.02)  # a consumer slower than the reader: the queue fills up
            yield item

    got = list(slow())
    assert [chunk for chunk, _, _ in got] == pieces
    scanned = [found for _, _, found in got if found is not None]
    assert scanned, "a reader ahead of its consumer scans some chunks itself"
    for chunk, newlines, found in got:
        assert newlines.count(0, len(chunk)) == chunk.count(b"\n")
        if found is not None:
            assert sorted(found) == sorted(scanner.occurrences(chunk))
