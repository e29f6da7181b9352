"""The hot path: one compiled multi-literal scan per chunk of raw bytes, confirmed by regex per line.

Every probe (a catalogue signature, a diagnosis fact, a level word) has a plain ``literal``
that each of its matches contains. An engine finds every occurrence of every literal in a
chunk at once; only the lines holding one are decoded and checked with the probe's regex.
Two engines give the same answers by construction (both report every occurrence, overlaps
included, and fold ASCII case only):

* ``hyperscan`` (Vectorscan in the ``hyperscan`` wheel): about 1 GB/s on one core;
* ``python``: ``bytes.find`` per distinct literal, the fallback where no wheel exists.

Chunks must end at a line boundary (``\\n``), so no line spans two chunks and results do not
depend on where a stream was cut.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from logparse.errors import LogparseError

# A chunk, the block it was cut from and its newline mask fit a core's 1 MiB L2 cache together:
# against 1 MiB chunks, 40% fewer L2 misses (cachegrind) and ~4.6% less time per 5 MB bundle.
CHUNK_BYTES = 256 << 10
# A line is read up to this much (as parse cuts lines at 1 MiB characters); the rest of a longer
# one is dropped, so a NUL block or a blob without a newline costs neither quadratic copies nor memory.
MAX_LINE_BYTES = 1 << 20
# Chunks handed to worker processes stay large: each costs a round trip through a pipe.
POOL_CHUNK_BYTES = 1 << 20


class Searcher(Protocol):
    def search(self, string: str) -> re.Match[str] | None: ...


class LazyRegex:
    """A regex compiled on its first search: most probes never see a candidate line, and
    compiling a catalogue's worth of patterns up front costs a noticeable part of start-up."""

    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern, self.flags = pattern, flags
        self._compiled: re.Pattern[str] | None = None

    def search(self, string: str) -> re.Match[str] | None:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled.search(string)


@dataclass(frozen=True)
class Probe:
    """One thing to look for: ``literal`` pre-filters, ``regex`` confirms on the decoded line.

    ``piece``, when set, is a shorter part of ``literal`` that the scan looks for instead
    (faster where it is rarer; see ``logparse._prefilters``); only probes with a regex may
    have one, since the regex confirms every candidate either way.
    """

    key: str
    literal: str
    regex: Searcher | None  # a compiled or LazyRegex pattern; None: the literal alone is the match
    caseless: bool = True
    piece: str = ""


@dataclass(frozen=True)
class LineHit:
    """A confirmed line: its byte span in the chunk and the probes (with their matches) it satisfied."""

    start: int
    end: int
    text: str
    matches: tuple[tuple[Probe, re.Match[str] | None], ...]


class _PythonEngine:
    name = "python"

    def __init__(self, literals: Sequence[tuple[bytes, bool]]) -> None:
        self._literals = list(enumerate(literals))
        self._any_caseless = any(caseless for _, caseless in literals)
        self.shift, self.mask = _packing(len(literals))

    def occurrences(self, chunk: bytes) -> list[int]:
        """Every occurrence as ``start << shift | literal index``, unordered."""
        lowered = chunk.lower() if self._any_caseless else chunk
        out: list[int] = []
        shift = self.shift
        for index, (literal, caseless) in self._literals:
            haystack = lowered if caseless else chunk
            find = haystack.find
            pos = find(literal)
            while pos != -1:
                out.append(pos << shift | index)
                pos = find(literal, pos + 1)
        return out


class _HyperscanEngine:
    name = "hyperscan"

    def __init__(self, literals: Sequence[tuple[bytes, bool]]) -> None:
        import hyperscan

        self._hs = hyperscan
        self.shift, self.mask = _packing(len(literals))
        # Hyperscan reports where a match ends; packed with the index, the start is one subtraction.
        self._lengths = [(len(literal) << self.shift) - index for index, (literal, _) in enumerate(literals)]
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(
            expressions=[_hs_escape(literal) for literal, _ in literals],
            ids=list(range(len(literals))),
            elements=len(literals),
            flags=[hyperscan.HS_FLAG_CASELESS if caseless else 0 for _, caseless in literals],
        )
        # Hyperscan scratch space may not be shared by concurrent scans: one per thread, so
        # the cached scanner is safe for callers that triage from several threads.
        self._local = threading.local()

    def occurrences(self, chunk: bytes) -> list[int]:
        """Every occurrence as ``start << shift | literal index``, unordered."""
        out: list[int] = []
        lengths, shift = self._lengths, self.shift
        append = out.append

        def on_match(index: int, _from: int, to: int, _flags: int, _ctx: Any) -> None:
            append((to << shift) - lengths[index])

        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        self._db.scan(chunk, match_event_handler=on_match, scratch=scratch)
        return out


def _packing(count: int) -> tuple[int, int]:
    """Bits for a literal index, and their mask, to pack ``(start, index)`` into one int."""
    shift = max(count - 1, 1).bit_length()
    return shift, (1 << shift) - 1


def _hs_escape(literal: bytes) -> bytes:
    # Hyperscan takes PCRE syntax; escape every non-alphanumeric byte as \xHH.
    return b"".join(bytes([c]) if chr(c).isalnum() else b"\\x%02x" % c for c in literal)


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


# A piece is put back to its whole literal once it has brought more lines that no probe
# confirmed than this many, plus one per this many bytes scanned: a false candidate costs
# ~2 us of decoding and regex, more than a rare piece saves in scanning.
_MISSES_ALLOWED = 64
_BYTES_PER_MISS = 256 << 10

_LiteralKey = tuple[bytes, bool]


class _Report(list[int]):
    """An engine's occurrences, with the tables they index into (the tables may change later)."""

    tables: _Tables


class _Tables:
    """What one set of scan literals compiles to: the engine and, per literal index, its probes."""

    def __init__(self, probes: Sequence[Probe], engine: str, demoted: frozenset[_LiteralKey]) -> None:
        literal_index: dict[_LiteralKey, int] = {}
        self.by_literal: list[list[Probe]] = []
        pieced: set[int] = set()
        self.demoted = demoted
        for probe in probes:
            if not probe.literal:
                raise LogparseError(f"probe {probe.key}: empty literal")
            scan = probe.literal
            # bytes.find skips ahead by the needle's length: whole literals suit the python engine.
            if (engine == "hyperscan" and probe.piece and probe.regex is not None
                    and _fold(probe.piece, probe.caseless) not in demoted):
                scan = probe.piece
            key = _fold(scan, probe.caseless)
            if key not in literal_index:
                literal_index[key] = len(self.by_literal)
                self.by_literal.append([])
            self.by_literal[literal_index[key]].append(probe)
            if scan != probe.literal:
                pieced.add(literal_index[key])
        # Per literal index that is a piece of some probe's literal: the whole literals of all its
        # probes, folded as scanned (a probe whose literal is the piece itself counts as found).
        self.wholes: dict[int, list[_LiteralKey]] = {
            i: [_fold(p.literal, p.caseless) for p in self.by_literal[i]] for i in sorted(pieced)}
        self.keys = list(literal_index)
        # Literals whose every probe is bare (no regex): their lines need no confirmation.
        self.bare_only = [all(p.regex is None for p in probes) for probes in self.by_literal]
        if engine == "hyperscan":
            self.engine: _PythonEngine | _HyperscanEngine = _HyperscanEngine(self.keys)
        else:
            self.engine = _PythonEngine(self.keys)
        self.misses = [0] * len(self.keys)
        self.missed = 0  # the sum of ``misses``
        self.scanned = 0  # bytes scanned with these tables


def _fold(literal: str, caseless: bool) -> _LiteralKey:
    return (literal.lower().encode() if caseless else literal.encode(), caseless)


class Scanner:
    """All probes of one format compiled once; ``scan(chunk)`` returns the confirmed lines."""

    def __init__(self, probes: Sequence[Probe], engine: str = "auto") -> None:
        self.probes = list(probes)
        if engine == "auto":
            engine = "hyperscan" if hyperscan_available() and self.probes else "python"
        if engine not in ("hyperscan", "python"):
            raise LogparseError(f"unknown scan engine {engine!r} (auto, hyperscan, python)")
        self.engine = engine
        self._order = {id(probe): n for n, probe in enumerate(self.probes)}
        self._tables = _Tables(self.probes, engine, frozenset())
        self._lock = threading.Lock()

    @property
    def demoted(self) -> frozenset[_LiteralKey]:
        """The pieces put back to their whole literals so far (they proved common in the input)."""
        return self._tables.demoted

    def scan(self, chunk: bytes) -> list[LineHit]:
        """Lines of ``chunk`` that satisfy at least one probe, in order."""
        hits, bare = self.scan_split(chunk)
        if not bare:
            return hits
        extra = [LineHit(start, end, _decode(chunk[start:end]), tuple((p, None) for p in probes))
                 for start, end, probes in bare]
        return sorted(hits + extra, key=lambda h: h.start)

    def occurrences(self, chunk: bytes) -> list[int]:
        """The engine's raw report on ``chunk``, for ``scan_split``: another thread may run it
        (Hyperscan releases the GIL while it scans)."""
        tables = self._tables
        report = _Report(tables.engine.occurrences(chunk) if tables.keys else ())
        report.tables = tables
        return report

    def scan_split(self, chunk: bytes, occurrences: list[int] | None = None
                   ) -> tuple[list[LineHit], list[tuple[int, int, list[Probe]]]]:
        """Confirmed lines, and apart from them the lines that only hold a bare literal.

        A bare literal (a probe without regex, such as a level word) needs no confirmation and
        no decoding: those lines come back as ``(start, end, probes of the literal)`` so a
        consumer can count them in bulk. Lines holding a regex probe's literal are decoded and
        confirmed. ``occurrences`` is ``self.occurrences(chunk)`` when
        it was run already.
        """
        if occurrences is None:
            occurrences = self.occurrences(chunk)
        tables: _Tables = getattr(occurrences, "tables", None) or self._tables
        if not occurrences:
            tables.scanned += len(chunk)
            return [], []
        # Each occurrence is one int, ``position << shift | literal index``: ints sort much
        # faster than tuples, in the same (position, index) order.
        occurrences.sort()
        shift, mask = tables.engine.shift, tables.engine.mask
        bare_only, by_literal = tables.bare_only, tables.by_literal
        hits: list[LineHit] = []
        bare: list[tuple[int, int, list[Probe]]] = []
        rfind, find, size = chunk.rfind, chunk.find, len(chunk)
        # The line being collected: its span, its first literal and any others (rare), in order.
        start = end = -1
        first = -1
        others: list[int] | None = None
        for code in occurrences:
            pos = code >> shift
            if pos < end:
                index = code & mask
                if index != first and (others is None or index not in others):
                    if others is None:
                        others = [index]
                    else:
                        others.append(index)
                continue
            if first >= 0:
                if others is None and bare_only[first]:
                    bare.append((start, end, by_literal[first]))
                else:
                    self._confirm(tables, hits, bare, chunk, start, end, [first, *(others or ())])
            start = rfind(b"\n", 0, pos) + 1
            end = find(b"\n", pos)
            if end == -1:
                end = size
            first, others = code & mask, None
        if others is None and bare_only[first]:
            bare.append((start, end, by_literal[first]))
        else:
            self._confirm(tables, hits, bare, chunk, start, end, [first, *(others or ())])
        tables.scanned += size
        if tables.missed > _MISSES_ALLOWED and tables is self._tables:
            self._demote(tables)
        return hits, bare

    def _confirm(self, tables: _Tables, hits: list[LineHit], bare: list[tuple[int, int, list[Probe]]],
                 chunk: bytes, start: int, end: int, candidates: list[int]) -> None:
        raw = chunk[start:end]
        if tables.wholes and any(i in tables.wholes for i in candidates):
            # A piece found without its whole literal stands for nothing: the line is handled as
            # if the piece had not been looked for, so answers never depend on the pieces.
            folded = raw.lower()
            real = [i for i in candidates if i not in tables.wholes or any(
                literal in (folded if caseless else raw) for literal, caseless in tables.wholes[i])]
            if len(real) < len(candidates):
                for index in candidates:
                    if index not in real:
                        tables.misses[index] += 1
                        tables.missed += 1
                if not real:
                    return
                if len(real) == 1 and tables.bare_only[real[0]]:
                    bare.append((start, end, tables.by_literal[real[0]]))
                    return
                candidates = real
        text = _decode(raw)
        matched: list[tuple[Probe, re.Match[str] | None]] = []
        for index in candidates:
            for probe in tables.by_literal[index]:
                if probe.regex is None:
                    matched.append((probe, None))
                    continue
                m = probe.regex.search(text)
                if m is not None:
                    matched.append((probe, m))
        if not matched:
            return
        if len(candidates) > 1:
            # In the order the probes were given, not where their literals sit in the line: the
            # result must not depend on which piece of a literal the scan looks for.
            order = self._order
            matched.sort(key=lambda pair: order[id(pair[0])])
        hits.append(LineHit(start, end, text, tuple(matched)))

    def _demote(self, tables: _Tables) -> None:
        """Put back pieces that bring too many false candidates; later chunks use new tables."""
        allowed = _MISSES_ALLOWED + tables.scanned // _BYTES_PER_MISS
        common = {tables.keys[i] for i, n in enumerate(tables.misses) if n > allowed}
        if not common:
            return
        with self._lock:
            if self._tables is tables:
                self._tables = _Tables(self.probes, self.engine, tables.demoted | common)


def _decode(raw: bytes) -> str:
    text = raw.decode("utf-8", "backslashreplace")
    return text[:-1] if text.endswith("\r") else text


def byte_chunks(stream: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Raw pieces of about ``size`` bytes, each ending at ``\\n`` (only the last may not); a line
    longer than ``MAX_LINE_BYTES`` keeps only its start."""
    carry = b""
    long: list[bytes] = []  # a line longer than a block, in pieces (joined once, never re-copied)
    held = 0
    read = getattr(stream, "read1", stream.read)
    while True:
        try:
            block = read(size)
        except Exception:
            if long or carry:  # the line the stream broke in: what it held is scanned before the error
                yield b"".join([*long, carry])[:MAX_LINE_BYTES]
            raise
        if not block:
            break
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            # No line ends in it: keep collecting, but only the first MAX_LINE_BYTES of the line
            # (a NUL block or a blob of hundreds of MB holds no evidence worth the memory).
            if held < MAX_LINE_BYTES:
                long.append(carry + block if carry else block)
                held += len(long[-1])
            carry = b""
            continue
        if long:
            carry = b"".join([*long, carry])[:MAX_LINE_BYTES]
            long, held = [], 0
        # One copy per chunk at most: the carry and this block's lines are joined from a view.
        if carry:
            chunk = b"".join((carry, memoryview(block)[:cut]))
        else:
            chunk = block if cut == len(block) else block[:cut]
        carry = block[cut:]
        # Dropped before the next read: freed buffers are reused while still in cache, instead of
        # the next block and chunk landing on cold memory next to the old ones.
        del block
        yield chunk
        del chunk
    if long or carry:
        yield b"".join([*long, carry])[:MAX_LINE_BYTES]
