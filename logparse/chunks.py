"""The per-chunk work of a triage: which probes a format gets, and what one chunk of bytes holds.

``scan_chunk`` is a pure function of (catalogue, format, chunk) so it runs the same in-process
or on any thread; ``logparse.analysis`` keeps line numbers, the diagnosis and the result.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from logparse import formats
from logparse._prefilters import piece_of
from logparse.catalogue import Catalogue, load_catalogue
from logparse.catalogue.derive import AT_FAULT
from logparse.scanner import LazyRegex, LineHit, Probe, Scanner

TEXT = "*"  # plain text of unknown layout: every signature applies

# Words that mark an ERROR / WARNING line in each layout (exact case).
LEVEL_LITERALS: dict[str, tuple[tuple[str, str], ...]] = {
    "waagent": ((" ERROR ", "ERROR"), (" WARNING ", "WARNING"), (" ERROR:", "ERROR"), (" WARNING:", "WARNING")),
    "vmsnapshot": ((" ERROR:", "ERROR"), (" ERROR ", "ERROR"), (" WARNING ", "WARNING"), ("  Error  ", "ERROR")),
    "ext_handler": ((" ERROR:", "ERROR"), (" WARNING:", "WARNING"), (" event=failed", "ERROR")),
    "windows_agent": (("[ERROR]", "ERROR"), ("[WARN]", "WARNING")),
}

# Facts the diagnosis reads beyond signatures: (key, formats, literal, regex).
FACTS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("agent_start", ("waagent",), "Linux Agent Version",
     r"Linux Agent Version ?: ?(?:WALinuxAgent-)?(?P<version>\d+(?:\.\d+)+)"),
    ("agent_start", ("windows_agent",), "WindowsAzureGuestAgent starting",
     r"WindowsAzureGuestAgent starting\. Version (?P<version>\d+(?:\.\d+)+)"),
    ("agent_version", ("waagent",), "Goal State Agent version", r"Goal State Agent version (?P<version>\d+(?:\.\d+)+)"),
    ("agent_version", ("waagent",), "is running as the goal state agent",
     r"Agent WALinuxAgent-(?P<version>\d+(?:\.\d+)+) is running as the goal state agent"),
    ("autoupdate_off", ("waagent",), "AutoUpdate: 0", r"AutoUpdate: 0\b"),
    ("autoupdate_off", ("waagent",), "AutoUpdate.Enabled is set to False", r"AutoUpdate\.Enabled is set to False"),
    ("snapshot_attempt", ("waagent",), "Target handler state: enabled",
     r"VMSnapshotLinux-[\d.]+\] Target handler state: enabled"),
    ("extension_state", ("waagent",), "Target handler state: ",
     r"\[(?P<ext>[A-Za-z][\w.]*)-(?P<ver>\d[\w.]*)\] Target handler state: (?P<state>\w+)"),
    ("extension_state", ("waagent",), "Extension status: [", r"Extension status: (?P<state>\[\(.{0,400}\)\])"),
    ("extension_state", ("windows_agent",), "Plugin enabled",
     r"Plugin enabled \(handler name: (?P<ext>[\w.]+)"),
    ("snapshot_attempt", ("windows_agent",), "Beginning enable of plugin Microsoft.Azure.RecoveryServices.VMSnapshot",
     r"Beginning enable of plugin Microsoft\.Azure\.RecoveryServices\.VMSnapshot"),
)

_MASKS = (
    (re.compile(r"\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?"), "<TS>"),
    # The Windows agent's older header, "[07/21/2021 10:00:01.15]": one template with its ISO twin
    # ("[00000004] 2024-06-01T02:00:35.900Z [INFO]"), not a <PATH> made of the date.
    (re.compile(r"\[?\b\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2}(?:\.\d+)?\]?"), "<TS>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b"), "<GUID>"),
    (re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.$-]+){2,}[\\/]?"), "<PATH>"),
    (re.compile(r"\b\d+(?:\.\d+){1,3}\b"), "<VER>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<HEX>"),
    (re.compile(r"\d+"), "<N>"),
    (re.compile(r"'[^']{0,200}'|\"[^\"]{0,200}\""), "<STR>"),
)


def template_of(text: str) -> str:
    """Mask what varies between instances of one message (times, ids, paths, versions, numbers)."""
    # The masks tell digits apart by class only (the one literal digit is the 0 of "0x"), so lines
    # that differ in the values of digits 1-9 get the same template: one masking per layout, for
    # every bundle a process triages (a batch worker meets the same messages in every bundle).
    key = text.translate(_DIGIT_CLASS)
    cached = _TEMPLATES.get(key)
    if cached is None:
        cached = _template_of(text)
        if len(_TEMPLATES) >= _TEMPLATES_MAX:
            _TEMPLATES.clear()
        _TEMPLATES[key] = cached
    return cached


def _template_of(text: str) -> str:
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    # Layouts pad fields differently ("[INFO]  msg", "[ERROR] msg"): one space is one template.
    return " ".join(text.split())[:300]


_DIGIT_CLASS = str.maketrans("23456789", "11111111")
_TEMPLATES: dict[str, str] = {}
_TEMPLATES_MAX = 100_000



_SCANNERS: dict[tuple[str, str, str], Scanner] = {}


def chunk_scanner(catalogue: Catalogue, fmt: str, engine: str) -> Scanner:
    """The scanner ``scan_chunk`` uses for ``fmt``."""
    return _scanner(catalogue, fmt, engine)


def _scanner(catalogue: Catalogue, fmt: str, engine: str) -> Scanner:
    """The compiled scanner of one format, built once per process and catalogue content."""
    key = (catalogue.digest, fmt, engine)
    scanner = _SCANNERS.get(key)
    if scanner is None:
        scanner = _SCANNERS[key] = _build_scanner(catalogue, fmt, engine)
    return scanner


def _build_scanner(catalogue: Catalogue, fmt: str, engine: str) -> Scanner:
    probes: list[Probe] = []
    for entry_id, sig_index, sig in _signatures(catalogue):
        # Pasted text is matched by the fuzzy matcher already; its job_error signatures, and those
        # derived from the catalogue's own codes and messages, would count the same line twice.
        if fmt in sig.formats or (fmt == TEXT and not sig.derived and any(f != "job_error" for f in sig.formats)):
            caseless = "i" in sig.flags
            flags = re.IGNORECASE if caseless else 0
            # The regex confirms every candidate, so the scan may look for a rarer piece of the literal.
            regex = (_AtFault if sig.derived else LazyRegex)(sig.pattern, flags)
            probes.append(Probe(f"sig\t{entry_id}\t{sig_index}", sig.literal, regex,
                                caseless=caseless, piece=piece_of(sig.literal, caseless)))
    for key, fact_formats, literal, pattern in FACTS:
        if fmt in fact_formats:
            probes.append(Probe(f"fact\t{key}", literal, LazyRegex(pattern, re.IGNORECASE),
                                piece=piece_of(literal, True)))
    for literal, level in LEVEL_LITERALS.get(fmt, ()):
        probes.append(Probe(f"level\t{level}", literal, None, caseless=False))
    return Scanner(probes, engine)


class _AtFault(LazyRegex):
    """A derived signature's regex: it counts on a line at an error or warning level only (see
    ``logparse.catalogue.derive.AT_FAULT``), checked once the literal is known to be there."""

    __slots__ = ()

    def search(self, string: str) -> re.Match[str] | None:
        return super().search(string) if AT_FAULT.search(string) else None


def _signatures(catalogue: Catalogue) -> Iterator[tuple[str, int, Any]]:
    for entry in catalogue.entries.values():
        for index, sig in enumerate(entry.signatures):
            yield entry.id, index, sig



@dataclass(frozen=True)
class Line:
    """A confirmed line of one chunk, in a form that crosses process boundaries cheaply."""

    offset: int  # lines before it in its chunk
    text: str
    probes: tuple[tuple[str, dict[str, str] | None], ...]  # (probe key, named groups)
    stamp: datetime | None = None
    level: str | None = None
    start: int = 0  # byte offset in its chunk, to work out the record time later
    timed: bool = True  # False: ``stamp`` was not worked out yet (see record_time)


@dataclass
class Shape:
    """ERROR/WARNING lines of one chunk that match no signature and share a digit-free shape."""

    level: str
    count: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)  # (line offset in chunk, text)
    # Or the byte spans of its first lines in a chunk: numbered and decoded only when a consumer
    # wants them (most shapes recur in every chunk and have their examples from the first).
    spans: list[tuple[int, int]] = field(default_factory=list)
    source: Newlines | None = None

    def first_text(self) -> str:
        """The text of its first line."""
        if self.source is None or not self.spans:
            return self.examples[0][1]
        start, end = self.spans[0]
        return self.source.chunk[start:end].decode("utf-8", "backslashreplace")

    def each_example(self) -> Iterator[tuple[int, str]]:
        """``(line offset in chunk, text)`` of its first lines, worked out as they are read."""
        yield from self.examples
        if self.source is not None:
            for start, end in self.spans:
                yield self.source.before(start), self.source.chunk[start:end].decode("utf-8", "backslashreplace")


@dataclass
class ChunkScan:
    """What one chunk holds: confirmed lines, and unmatched level lines counted by shape."""

    lines: list[Line]
    shapes: dict[bytes, Shape]
    newlines: int = 0  # "\n" bytes in the chunk


DIGITS = b"0123456789"

Packed = tuple[int, list[tuple[Any, ...]], list[tuple[Any, ...]]]


def pack(scanned: ChunkScan) -> Packed:
    """A ``ChunkScan`` as plain tuples, cheap to pickle (for a worker process to send back).

    Shapes keep their spans, not their chunk: the receiver has the chunk and reattaches it.
    """
    lines = [(ln.offset, ln.text, ln.probes, ln.stamp, ln.level, ln.start, ln.timed) for ln in scanned.lines]
    shapes = [(key, sh.level, sh.count, sh.examples, sh.spans) for key, sh in scanned.shapes.items()]
    return scanned.newlines, lines, shapes


def unpack(packed: Packed, chunk: bytes) -> ChunkScan:
    """The ``ChunkScan`` that ``pack`` flattened, its shapes reading their examples from ``chunk``."""
    newlines, lines, shapes = packed
    source = Newlines(chunk, numpy=False)
    return ChunkScan([Line(*fields) for fields in lines],
                     {key: Shape(level, count, examples, spans, source if spans else None)
                      for key, level, count, examples, spans in shapes}, newlines)


def scan_chunk(job: tuple[str, str, str, bool], chunk: bytes, catalogue: Catalogue | None = None,
               newlines: Newlines | None = None, occurrences: list[int] | None = None) -> ChunkScan:
    """The whole per-chunk work: what one chunk holds, as plain values.

    ``job`` is (catalogue digest, format, engine, windowed). Record times are worked out for
    lines that carry a signature or a fact (rare), or for every line when a time window is
    set. Lines holding only a level word are counted by shape in bulk, without decoding.
    ``newlines`` and ``occurrences`` (of ``chunk_scanner``) are given when a read-ahead thread
    worked them out already.
    """
    _, fmt, engine, windowed = job
    cat = catalogue or load_catalogue()
    scanner = _scanner(cat, fmt, engine)
    fmt_obj = None if fmt == TEXT else formats.get(fmt)
    hits, bare = scanner.scan_split(chunk, occurrences)
    if newlines is None:
        newlines = Newlines(chunk)
    if windowed:
        return _scan_windowed(chunk, hits, bare, fmt_obj, newlines)
    shapes: dict[bytes, Shape] = {}
    for start, end, probes in bare:
        shape_key = chunk[start:end].translate(None, DIGITS)
        shape = shapes.get(shape_key)
        if shape is None:
            shape = shapes[shape_key] = Shape(probes[0].key[6:], 0, [], [], newlines)
        shape.count += 1
        if shape.count <= 3:
            shape.spans.append((start, end))
    out: list[Line] = []
    offset, pos = 0, 0
    for hit in hits:
        offset += newlines.count(pos, hit.start)
        pos = hit.start
        out.append(_line(hit, offset, fmt_obj, chunk, False))
    return ChunkScan(out, shapes, offset + newlines.count(pos, len(chunk)))


def _scan_windowed(chunk: bytes, hits: list[LineHit], bare: list[tuple[int, int, list[Probe]]],
                   fmt_obj: Any, newlines: Newlines) -> ChunkScan:
    """Every line as a ``Line`` with its time, hits and level lines merged by position: times
    decide whether a line counts at all, so level lines cannot be counted in bulk."""
    out: list[Line] = []
    offset, pos = 0, 0
    h = 0
    for start, end, probes in [*bare, (len(chunk) + 1, 0, [])]:
        while h < len(hits) and hits[h].start < start:
            hit = hits[h]
            h += 1
            offset += newlines.count(pos, hit.start)
            pos = hit.start
            out.append(_line(hit, offset, fmt_obj, chunk, True))
        if not probes:
            break
        offset += newlines.count(pos, start)
        pos = start
        text = chunk[start:end].decode("utf-8", "backslashreplace")
        level = probes[0].key[6:]
        out.append(Line(offset, text, (), _timestamp(text, fmt_obj, chunk, start), level))
    return ChunkScan(out, {}, offset + newlines.count(pos, len(chunk)))


_NUMPY_MIN = 1 << 16  # smaller chunks always count with bytes.count
# numpy's import (~80 ms) pays for itself after ~200 MB counted: small inputs never import it.
_NUMPY_AFTER = 128 << 20
_NUMPY_SPAN = 1 << 11  # below this span one numpy call costs more than bytes.count


class Newlines:
    """``\\n`` bytes in spans of one chunk: numpy (optional) where a span is long, since
    ``bytes.count`` runs ~1.5 GB/s holding the GIL and numpy ~10x that; same numbers either way.

    The newline mask is made once per chunk (numpy releases the GIL meanwhile, so a read-ahead
    thread can make it), then each span is one ``count_nonzero`` over it, allocating nothing.
    """

    __slots__ = ("_counts", "_mask", "_marks", "chunk")

    def __init__(self, chunk: bytes, numpy: bool = True) -> None:
        self.chunk = chunk
        # numpy=False: a few spans are counted at most (a shape's examples), a mask would cost more.
        np = _numpy_for(len(chunk)) if numpy and len(chunk) >= _NUMPY_MIN else None
        self._mask = np.frombuffer(chunk, dtype=np.uint8) == 10 if np is not None else None
        self._marks: list[int] = [0]  # positions whose ``before`` is known, sorted
        self._counts: list[int] = [0]

    def count(self, start: int, end: int) -> int:
        """Newlines in ``chunk[start:end]``."""
        if self._mask is None or end - start < _NUMPY_SPAN:
            return self.chunk.count(b"\n", start, end)
        return int(_np.count_nonzero(self._mask[start:end]))

    def before(self, pos: int) -> int:
        """Newlines in ``chunk[:pos]``, counted from the nearest position asked before: the
        examples of many shapes each ask for their line number, and counting each from the
        chunk's start cost a pass over half a chunk per example."""
        at = bisect.bisect_right(self._marks, pos) - 1
        if self._marks[at] == pos:
            return self._counts[at]
        total = self._counts[at] + self.count(self._marks[at], pos)
        self._marks.insert(at + 1, pos)
        self._counts.insert(at + 1, total)
        return total


_np: Any = None  # the numpy module once imported; False where it is not installed
_plain_bytes = 0  # bytes counted without numpy so far in this process


def _numpy_for(size: int) -> Any:
    """numpy, once this process has counted enough bytes for its import to pay off."""
    global _plain_bytes
    if _np is None and _plain_bytes < _NUMPY_AFTER:
        _plain_bytes += size  # a race between threads only moves the switch by a chunk
        return None
    return _numpy()


def expect_bytes(total: int) -> None:
    """Tell the newline counter how much text is coming: past what its numpy import pays for
    (~200 MB), numpy is imported now, so a process about to fork hands it to its workers
    instead of each counting its first ``_NUMPY_AFTER`` bytes slowly and importing it again."""
    if total >= 2 * _NUMPY_AFTER:
        _numpy()


def _numpy() -> Any:
    global _np
    if _np is None:
        try:
            import numpy
        except ImportError:
            _np = False
        else:
            _np = numpy
    return _np or None


def _line(hit: LineHit, offset: int, fmt_obj: Any, chunk: bytes, windowed: bool) -> Line:
    level: str | None = None
    probes: list[tuple[str, dict[str, str] | None]] = []
    for probe, m in hit.matches:
        if probe.key.startswith("level\t"):
            level = probe.key[6:]
        else:
            probes.append((probe.key, m.groupdict() if m is not None else None))
    # A record time costs a header parse: work it out here only where every line needs one
    # (signature hits feed the timeline's counts; a time window filters every line). Fact
    # lines are frequent (heartbeats) and rarely kept, so the consumer asks when it keeps one.
    timed = windowed or any(key.startswith("sig\t") for key, _ in probes)
    stamp = _timestamp(hit.text, fmt_obj, chunk, hit.start) if timed else None
    return Line(offset, hit.text, tuple(probes), stamp, level, hit.start, timed)


def record_time(line: Line, fmt: str, chunk: bytes) -> datetime | None:
    """The record time of ``line`` (worked out now if the chunk scan skipped it)."""
    if line.timed:
        return line.stamp
    return _timestamp(line.text, _format(fmt), chunk, line.start)


def text_time(text: str, fmt: str) -> datetime | None:
    """The time a line of ``fmt`` states in its own header, if it has one (no chunk to search back in)."""
    return _timestamp(text, _format(fmt), b"", 0)


@functools.cache
def _format(fmt: str) -> Any:
    # formats.get goes through importlib each call; fact lines ask once per line.
    return None if fmt == TEXT else formats.get(fmt)


def _timestamp(text: str, fmt: Any, chunk: bytes, start: int) -> datetime | None:
    """The time of the record holding the line at ``start``: its header, searched backwards.

    A format whose records carry nested lines with their own stamps (``nested_time``: the
    VMSnapshot freeze-window block, flushed up to ~30 s after its lines were written) dates
    such a line, and the lines that continue it, by the nearest own stamp instead.
    """
    header_time = getattr(fmt, "header_time", None)
    if header_time is None:
        return None
    found, stamp = header_time(text)
    if found:  # the usual case: a header line; nothing more to look up
        return stamp if isinstance(stamp, datetime) else None
    nested = getattr(fmt, "nested_time", None)
    if nested is not None and (stamp := nested(text)) is not None:
        return stamp if isinstance(stamp, datetime) else None
    steps = 0
    end = start
    while not found and end > 0 and steps < 50:
        begin = chunk.rfind(b"\n", 0, end - 1) + 1
        line = chunk[begin:end - 1].decode("utf-8", "backslashreplace")
        found, stamp = header_time(line)
        if not found and nested is not None and (stamp := nested(line)) is not None:
            break
        end = begin
        steps += 1
    return stamp if isinstance(stamp, datetime) else None


