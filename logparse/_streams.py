"""Byte-stream plumbing for ``sources``: magic sniffing, lazy decoders, and guards that enforce caps."""

from __future__ import annotations

import codecs
import io
import struct
import sys
from collections import deque
from typing import Any, BinaryIO, Protocol, cast

from logparse.errors import SourceError

# Enough for the tar magic (offset 257) and checksum, and every compression magic.
HEAD_BYTES = 4096
CHUNK = 1 << 20
# A zip spool stays in memory up to this size, then rolls over to an unlinked temp file.
SPOOL_IN_MEMORY = 32 * 1024**2
# xz lets a file ask for a 1.5 GiB dictionary; a log bundle never needs more than this.
XZ_MEMLIMIT = 256 * 1024**2
# glibc maps a block above its mmap threshold afresh each time (page faults on every 1 MiB read), and
# trims its heap top past twice that threshold; the threshold rises to the largest mapped block freed.
HEAP_HINT = 16 * 1024**2
# Read isal's igzip when the wheel is there (about 5x zlib's speed); tests flip this to compare.
USE_ISAL = True


_heap_tuned = False


def tune_heap() -> None:
    """Free one ``HEAP_HINT`` block, once per process: glibc then serves our 1 MiB blocks from a heap
    it keeps instead of fresh pages, which made a tar.gz read 1.3x slower. Harmless elsewhere."""
    global _heap_tuned
    if not _heap_tuned:
        _heap_tuned = True
        del_me = bytes(HEAP_HINT)  # calloc'd and mapped: no page is touched
        del del_me


def compression_of(head: bytes) -> str | None:
    """The compression a stream starts with, by magic bytes: ``gz``, ``zst``, ``bz2``, ``xz`` or None."""
    if head.startswith(b"\x1f\x8b\x08"):
        return "gz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zst"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    # "BZh" + level, then a block or end-of-stream magic: plain text may well start with "BZh".
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "bz2"
    return None


def archive_of(head: bytes) -> str | None:
    """``zip``, ``tar`` or None, by magic bytes (a tar by its header checksum, which v7 tars also have)."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if _is_tar_header(head[:512]):
        return "tar"
    return None


def _is_tar_header(block: bytes) -> bool:
    if len(block) < 512 or not block.strip(b"\0"):
        return False
    field = block[148:156].split(b"\0", 1)[0].strip()
    try:
        stored = int(field, 8)
    except ValueError:
        return False
    # The checksum counts its own field as eight spaces; old writers summed signed bytes.
    rest = block[:148] + block[156:]
    unsigned = 256 + sum(rest)
    signed = 256 + sum(struct.unpack(f"{len(rest)}b", rest))
    return stored in (unsigned, signed)


def describe(exc: BaseException) -> str:
    """A one-line reason for a read failure, prefixed ``truncated``, ``corrupt`` or ``damaged``."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, SourceError):
        return text
    if isinstance(exc, ChecksumError):
        return f"damaged: {text}"
    kind = "truncated" if isinstance(exc, EOFError) or "unexpected end" in text else "corrupt"
    return f"{kind}: {text}"


def read_some(stream: BinaryIO, size: int) -> bytes:
    """At most one underlying read: ``BufferedReader.read(n)`` loops to fill ``n`` and drops what it
    had when a later read raises, which would hide the readable part of a cut stream."""
    read1 = getattr(stream, "read1", None)
    return cast(bytes, read1(size)) if read1 is not None else stream.read(size)


def read_head(stream: BinaryIO, size: int = HEAD_BYTES) -> tuple[bytes, BaseException | None]:
    """Up to ``size`` bytes, and the error that stopped the read early (kept to raise later, in order)."""
    parts: list[bytes] = []
    got = 0
    try:
        while got < size:
            piece = read_some(stream, size - got)
            if not piece:
                break
            parts.append(piece)
            got += len(piece)
    except Exception as exc:  # decoders and archive readers raise many types; the caller re-raises it
        return b"".join(parts), exc
    return b"".join(parts), None


class RawReader(io.RawIOBase):
    """Shared ``readinto`` over a ``_pull(n)`` method that returns bytes."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._pull(len(view))
        view[: len(data)] = data
        return len(data)

    # Direct reads skip RawIOBase's bytearray round trip: one copy less per layer.
    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        return self._pull(size) if size else b""

    def readall(self) -> bytes:
        # RawIOBase's would pull 8 KiB at a time through every layer below.
        parts = []
        while data := self._pull(CHUNK):
            parts.append(data)
        return b"".join(parts)

    def read1(self, size: int = -1) -> bytes:
        return self.read(size if size >= 0 else CHUNK)

    def _pull(self, size: int) -> bytes:
        raise NotImplementedError


class Replay(RawReader):
    """A stream that serves an already-read head, then the error that cut it short or the rest."""

    def __init__(self, head: bytes, rest: BinaryIO, error: BaseException | None = None) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest
        self._error = error

    def _pull(self, size: int) -> bytes:
        if self._head:
            out = bytes(self._head[:size])
            self._head = self._head[size:]
            return out
        if self._error is not None:
            raise self._error
        return read_some(self._rest, size)


class Peekable(RawReader):
    """A member as consumers read it: ``peek`` for detection, ``read(n)`` that fills ``n`` (as
    ``BufferedReader`` does), and ``read1`` that hands over the layer below's bytes as they are.

    ``BufferedReader.read1`` copies every block into a buffer of its own (``readinto``): one
    pass over each member's bytes that the chunked scan does not need.
    """

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner
        self._head = b""
        # The error that cut a read short, raised once the bytes read before it are consumed:
        # a truncated .gz still gives the lines it held.
        self._error: BaseException | None = None

    def peek(self, size: int = 1) -> bytes:
        """At least ``size`` bytes ahead unless the member ends first; nothing is consumed."""
        while len(self._head) < max(size, 1) and self._error is None:
            try:
                more = read_some(self._inner, max(size, 1) - len(self._head))
            except Exception as exc:  # noqa: BLE001 - kept for the read after the bytes before it
                if not self._head:
                    raise
                self._error = exc
                break
            if not more:
                break
            self._head += more
        return self._head

    def _pull(self, size: int) -> bytes:
        if self._head:
            out, self._head = self._head[:size], self._head[size:]
            return out
        if self._error is not None:
            raise self._error
        return read_some(self._inner, size)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        parts: list[bytes] = []
        got = 0
        while got < size:
            try:
                data = self._pull(size - got)
            except Exception as exc:  # noqa: BLE001 - as in peek
                if not parts:
                    raise
                self._error = exc
                break
            if not data:
                break
            parts.append(data)
            got += len(data)
        return parts[0] if len(parts) == 1 else b"".join(parts)


class Meter(Protocol):
    """Compressed bytes consumed so far: what a ratio divides by."""

    @property
    def count(self) -> int: ...


class Counting(RawReader):
    """Counts the bytes read through it: the compressed side of a ratio."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner
        self.count = 0

    def _pull(self, size: int) -> bytes:
        data = read_some(self._inner, size)
        self.count += len(data)
        return data


class Archive:
    """A compressed tar's two sides: the compressed bytes read (``count``) and the tar bytes
    inflated from them (``produced``, a ``Guard``'s count)."""

    def __init__(self, counting: Meter, produced: Meter) -> None:
        self._counting = counting
        self._produced = produced

    @property
    def count(self) -> int:
        return self._counting.count

    def beyond(self, ratio: float) -> bool:
        """Whether the archive as a whole has inflated past ``ratio`` so far."""
        return self._produced.count > ratio * max(self._counting.count, 1)


class Since:
    """What a meter has seen since this was made: one tar member's share of its archive.

    A member's share runs behind: the decoder reads its input a chunk (``CHUNK``) ahead, so a
    member inflated from input read while the tar read what came before it counts none of that
    input (a 15 MB log in a 1 MB tar.gz counted no compressed byte of its own and failed its ratio
    at the 10 MiB grace, its newest lines lost). So a member is past the ratio (``past``) only when
    it is even with a whole chunk of read-ahead counted as its own (a bomb among other members:
    ~ratio x 1 MiB), or while its archive as a whole is past it too (a bomb of many members).
    """

    def __init__(self, meter: Meter) -> None:
        self._meter = meter
        self._base = meter.count

    @property
    def count(self) -> int:
        return self._meter.count - self._base

    def beyond(self, ratio: float) -> bool:
        return _beyond(self._meter, ratio)

    def past(self, ratio: float, produced: int) -> bool:
        return produced > ratio * (self.count + CHUNK) or _beyond(self._meter, ratio)


def _beyond(meter: Meter, ratio: float) -> bool:
    """Whether the archive ``meter`` counts for is past ``ratio`` (True when it counts for none)."""
    judge = getattr(meter, "beyond", None)
    return True if judge is None else bool(judge(ratio))


def past_ratio(meter: Meter, ratio: float, produced: int) -> bool:
    """Whether ``produced`` bytes inflated from what ``meter`` counted are past ``ratio``, once its own
    count says so: a tar member's share (``Since``) has the last word, a plain count has none to add."""
    judge = getattr(meter, "past", None)
    return True if judge is None else bool(judge(ratio, produced))


class Budget:
    """Bytes handed to consumers across one bundle, against ``max_total_bytes``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit


class Guard(RawReader):
    """Enforces size, ratio and budget caps while reading, and turns any read failure into a
    ``SourceError`` naming the stream. Errors are sticky: a broken stream stays broken.
    """

    def __init__(
        self,
        inner: BinaryIO,
        name: str,
        *,
        max_bytes: int,
        cap_reason: str,
        compressed: Meter | None = None,
        max_ratio: float = 0.0,
        ratio_grace: int = 0,
        budget: Budget | None = None,
        inner_name: str | None = None,
    ) -> None:
        super().__init__()
        self._inner = inner
        self.name = name
        # A top-level file's decoded layer is named as the input was given (/abs/x.gz), its member as
        # a member path (abs/x.gz): its errors are this stream's, said once under this name.
        self._inner_name = inner_name
        self._max_bytes = max_bytes
        self._cap_reason = cap_reason
        self._compressed = compressed
        self._max_ratio = max_ratio
        self._ratio_grace = ratio_grace
        self._budget = budget
        self.count = 0
        self._error: SourceError | None = None

    def members_judge_caps(self) -> None:
        """The tar read from this stream judges its members from now on: the ratio member by member
        (one repetitive log is that member's problem, not the end of every member after it), and
        the total cap on the member bytes read, as in a plain tar (its headers and the data it skips
        are no member bytes; ``TarScan`` judges their ratio)."""
        self._compressed = None
        self._max_bytes = sys.maxsize

    def _fail(self, reason: str) -> SourceError:
        self._error = SourceError(f"{self.name}: {reason}")
        return self._error

    def _pull(self, size: int) -> bytes:
        if self._error is not None:
            raise self._error
        try:
            data = read_some(self._inner, size)
        except SourceError as exc:
            if str(exc).startswith(f"{self.name}: "):  # an inner layer of this same stream
                self._error = exc
                raise
            inner = self._inner_name
            if inner is not None and str(exc).startswith(f"{inner}: "):
                self._error = _renamed(exc, f"{self.name}: {str(exc)[len(inner) + 2 :]}")
                raise self._error from exc
            if isinstance(exc, TrailingData | DamagedData):  # keeps its kind: what it says of the text
                self._error = _renamed(exc, f"{self.name}: {exc}")
                raise self._error from exc
            raise self._fail(describe(exc)) from exc
        except ChecksumError as exc:  # every byte was handed on: the text is whole, maybe altered
            self._error = DamagedData(f"{self.name}: {describe(exc)}", cut=exc.cut)
            raise self._error from exc
        except Exception as exc:  # zlib, isal, lzma, zstd, tar, zipfile: one contract for all
            raise self._fail(describe(exc)) from exc
        self.count += len(data)
        if self.count > self._max_bytes:
            raise self._fail(self._cap_reason)
        if (
            self._compressed is not None
            and self.count > self._ratio_grace
            and self.count > self._max_ratio * max(self._compressed.count, 1)
            and past_ratio(self._compressed, self._max_ratio, self.count)
        ):
            raise self._fail(f"compression ratio above {self._max_ratio:g}")
        if self._budget is not None:
            self._budget.used += len(data)
            if self._budget.used > self._budget.limit:
                raise self._fail(f"total size cap of {self._budget.limit} bytes reached")
        return data


# Bytes that text holds: all but the control characters it has no use for (tab, newlines, form feed
# and ESC are used).
_TEXT_BYTES = bytes(b for b in range(256) if b >= 32 or b in (9, 10, 12, 13, 27))
# A run of NUL bytes this long is padding (a crash leaves blocks of them in a log); a shorter one,
# between other bytes, is a field of a binary record (wtmp, lastlog) and counts against the text.
NUL_PADDING = 64
# Files that are binary whatever else they hold: executables (their strings read as clean lines),
# images, databases, journals, event logs, documents.
BINARY_MAGICS = (
    b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\x00asm",
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"%PDF-", b"SQLite format 3\x00",
    b"LPKSHHRH", b"ElfFile\x00", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"MSCF", b"!<arch>\n",
    b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"\x04\x22\x4d\x18", b"wOFF", b"wOF2",
)
# How much of a member's start is judged; more than the first lines, so that a few KiB of junk in
# front of a log are outweighed.
SNIFF_BYTES = 64 * 1024
BINARY_SHARE = 0.3  # of the bytes that are not NUL padding
STRAY_NUL_SHARE = 0.01
TEXT_AFTER_JUNK_LINES = 3
NUL_LOOKAHEAD = 4 * 1024**2


def text_start(head: bytes) -> int | None:
    """Where the text in a member's first bytes starts: 0 when they read as text, the offset of
    the clean lines that end them when binary junk comes first, None for binary data.

    Text may hold NUL padding (a log after a crash) and the odd undecodable byte; only what is
    not padding is judged, over ``SNIFF_BYTES``. Junk before a log (a few KiB of garbage in front
    of the first line) leaves at least ``TEXT_AFTER_JUNK_LINES`` clean lines at the end of the
    sample; whether those are a known log layout is the caller's question. Executables, images,
    databases and the like are binary by their magic bytes.
    """
    sample = head[:SNIFF_BYTES]
    if sample.startswith(BINARY_MAGICS) or _windows_executable(sample):
        return None
    if utf16_of(sample) is not None:
        return 0
    kept = _without_padding(sample) if b"\0" in sample else sample
    control = kept.translate(None, _TEXT_BYTES)
    bad = len(control)
    try:
        kept.decode("utf-8")  # text mostly is: the count below costs a second pass
    except UnicodeDecodeError:
        bad += kept.decode("utf-8", "replace").count("\ufffd")
    # Binary records hold NULs all over (a 4-byte int of 7 has three): a log, only in padding.
    if bad <= BINARY_SHARE * len(kept) and control.count(0) <= STRAY_NUL_SHARE * len(kept):
        return 0
    end = sample.rfind(b"\n") + 1  # whole lines only: the sample may cut the last one
    start, lines = end, 0
    for line in reversed(sample[:end].split(b"\n")[:-1]):
        if not _clean(line):
            break
        start -= len(line) + 1
        lines += bool(line.strip(b" \t\r\x00"))
    # Clean from the first line on: text that turns binary past its start, not junk before text.
    return start if start and lines >= TEXT_AFTER_JUNK_LINES else None


def _windows_executable(head: bytes) -> bool:
    """An MZ header whose pointer at 0x3C names a PE header: "MZ" alone also starts text (a host name)."""
    if not head.startswith(b"MZ") or len(head) < 0x40:
        return False
    at = int.from_bytes(head[0x3C:0x40], "little")
    return head[at : at + 4] == b"PE\0\0" if at + 4 <= len(head) else at < 0x1000000  # past the head: trust MZ


def past_padding(stream: BinaryIO, head: bytes) -> bytes:
    """``head`` (a member's first bytes), or when it is nothing but NUL bytes, up to
    ``SNIFF_BYTES`` of what follows them (looked for up to ``NUL_LOOKAHEAD`` ahead, nothing
    consumed): what the member's text is judged by, as a crash or a truncated-but-still-written
    log can start with blocks of NULs."""
    peek = getattr(stream, "peek", None)
    if not head or head.strip(b"\0") or peek is None:
        return head
    after = cast(bytes, peek(NUL_LOOKAHEAD)).lstrip(b"\0")
    return after[:SNIFF_BYTES] if after else head


def _without_padding(data: bytes) -> bytes:
    """``data`` without its runs of ``NUL_PADDING`` or more NUL bytes (a regex takes 20x as long)."""
    pieces = data.split(bytes(NUL_PADDING))
    # What is left of a run after its first NUL_PADDING bytes starts the next piece.
    return b"".join([pieces[0], *(piece.lstrip(b"\0") for piece in pieces[1:])])


def _clean(line: bytes) -> bool:
    """A line of text: UTF-8, no control characters but text's own (NUL padding allowed)."""
    if line.translate(None, _TEXT_BYTES).strip(b"\x00"):
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def utf16_of(head: bytes) -> str | None:
    """The UTF-16 codec a text starts in (by its BOM, or mostly ASCII with every other byte NUL), else None."""
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    sample = head[:512]
    if len(sample) < 64:
        return None
    # Windows tools that write UTF-16 without a BOM; a file cut at an odd offset reads as the
    # other byte order, which then decodes right. Mostly, not all: a CJK character can hold a NUL.
    half = len(sample) // 2
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd > 0.9 * half and even < 0.1 * half:
        return "utf-16-le"
    if even > 0.9 * half and odd < 0.1 * half:
        return "utf-16-be"
    return None


class Utf16(RawReader):
    """A UTF-16 text as UTF-8 (BOM dropped, undecodable units replaced): the scanners read UTF-8."""

    def __init__(self, inner: BinaryIO, codec: str) -> None:
        super().__init__()
        self._inner = inner
        self._decoder = codecs.getincrementaldecoder(codec)("replace")
        self._first = True
        self._ended = False

    def _pull(self, size: int) -> bytes:
        while not self._ended:
            raw = read_some(self._inner, max(2, size))
            self._ended = not raw
            text = self._decoder.decode(raw, final=self._ended)
            if self._first and text:
                text, self._first = text.removeprefix("\ufeff"), False
            if text:
                return text.encode("utf-8", "surrogatepass")
        return b""


class TrailingData(SourceError):
    """Bytes after the last compressed stream that start no other: the data before them is whole."""


class DamagedData(SourceError):
    """A check over data read to its end failed (a CRC-32 or length in a gzip trailer, a zip
    entry's CRC-32): every byte was handed on, and some may be altered. ``cut``: the stream also
    broke off after it, so text was lost too."""

    def __init__(self, message: str, cut: bool = False) -> None:
        super().__init__(message)
        self.cut = cut


def _renamed(exc: SourceError, message: str) -> SourceError:
    """``exc`` with another text, of the same kind (and the same ``cut``)."""
    if isinstance(exc, DamagedData):
        return DamagedData(message, exc.cut)
    return type(exc)(message)


class _Incremental(RawReader):
    """Decompress with a bz2/lzma decompressor object, also across concatenated streams."""

    def __init__(self, raw: BinaryIO, factory: Any, magic: bytes) -> None:
        super().__init__()
        self._raw = raw
        self._factory = factory
        self._magic = magic
        self._dec = factory()

    def _pull(self, size: int) -> bytes:
        while True:
            if self._dec.eof:
                rest = self._dec.unused_data or read_some(self._raw, CHUNK)
                while 0 < len(rest) < len(self._magic) and (more := read_some(self._raw, CHUNK)):
                    rest += more
                if not rest.strip(b"\0"):  # end of input, or stream padding
                    return b""
                if not rest.startswith(self._magic):
                    # As gzip -d: a download or copy that appended junk keeps the text before it.
                    raise TrailingData(f"{len(rest)}+ bytes after the compressed data ignored "
                                       "(no other stream starts there)")
                self._dec = self._factory()
                data = self._dec.decompress(rest, size)
            elif self._dec.needs_input:
                chunk = read_some(self._raw, CHUNK)
                if not chunk:
                    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
                data = self._dec.decompress(chunk, size)
            else:
                data = self._dec.decompress(b"", size)
            if data:
                return cast(bytes, data)


class ChecksumError(ValueError):
    """Data whose stored check disagrees with it (all of it handed on first): a gzip trailer, a zip
    entry's CRC-32. ``cut``: the stream broke off after the mismatch, so text was lost as well."""

    def __init__(self, message: str, cut: bool = False) -> None:
        super().__init__(message)
        self.cut = cut


# Said once after the checks that failed: the text is all there, what it says may not be.
ALTERED = "the text may be altered"


_FHCRC, _FEXTRA, _FNAME, _FCOMMENT, _FRESERVED = 0x02, 0x04, 0x08, 0x10, 0xE0
_GZIP_MAGIC = b"\x1f\x8b"
_INFLATE_ENDED = "Compressed file ended before the end-of-stream marker was reached"
# The compressed input of a gzip member is kept up to this much: when igzip stops inflating, zlib
# replays it to give the output of the failing call, which igzip drops. Past it, that output is lost
# (a read's worth at most); a stream known to be larger keeps nothing: held at the start of a 1 GB
# bundle, it only raised the peak memory.
GZIP_REPLAY_BYTES = 8 * 1024**2
# zlib copies the input a call leaves unread into ``unconsumed_tail``: fed 1 MiB at a time with the
# output capped, it copied most of each chunk several times over (15% of its time, measured).
ZLIB_PIECE = 64 * 1024


class _Gzip(RawReader):
    """gzip member by member: the header read here, raw deflate inflated, the CRC-32 and length
    checked here against the trailer.

    A gzip decoder checks the trailer in the call that inflates the end of the data and drops that
    call's output when the check fails; here the output is handed on first. A mismatch does not
    stop the stream (the next members are read); it is raised once the stream ends, as
    ``ChecksumError``. A member that stops inflating gives the bytes before the bad code: zlib
    inflates with a copy of its state kept before each call, and the failing call is replayed with
    ever smaller output caps; igzip (``fast``, about 2x zlib, but it cannot copy its state) keeps
    its member's input instead, for zlib to replay from the start of the member.
    """

    def __init__(self, raw: BinaryIO, fast: Any = None, size: int | None = None) -> None:
        super().__init__()
        self._raw = raw
        self._fast = fast  # isal's igzip_lib, or None: zlib
        self._replayable = size is None or size <= GZIP_REPLAY_BYTES  # size: of the compressed stream
        self._buf = b""  # input read but not handed to the inflater: header, trailer, what follows
        self._dec: Any = None  # the inflater of the member being read; None: a trailer or header is next
        self._zlib = fast is None  # this member is inflated by zlib (with a state copy per call)
        self._own_crc = True  # False: igzip computes the CRC-32 (its gzip-without-header mode)
        self._crc = 0
        self._size = 0
        self._members = 0
        self._kept: list[bytes] | None = None  # this member's input, for a zlib replay (igzip only)
        self._kept_bytes = 0
        self._replay: deque[bytes] = deque()  # input to feed before _buf and the stream
        self._view = memoryview(b"")  # the input chunk zlib is fed from, ZLIB_PIECE at a time
        self._view_at = 0
        self._discard = 0  # output of a replay that was handed on already
        self._damage: list[str] = []  # trailer mismatches so far: raised at the end of the stream
        self._error: BaseException | None = None  # met after some output: raised on the next read
        self._ended = False

    # -- the stream ------------------------------------------------------------------------

    def _pull(self, size: int) -> bytes:
        while True:
            if self._error is not None:
                raise self._error
            if self._ended:
                return b""
            if self._dec is None and not self._next_member():
                self._ended = True
                if self._damage:
                    raise self._fail(None)
                return b""
            if self._zlib:
                data = self._inflate_zlib(size)
            else:
                data = self._inflate_fast(size)
            if data:
                return data

    def _inflate_fast(self, size: int) -> bytes:
        dec = self._dec
        try:
            if dec.needs_input:
                chunk = self._input()
                if not chunk:
                    # igzip holds back the last byte or two of a cut stream; zlib gives them.
                    if self._kept is None:
                        raise self._fail(EOFError(_INFLATE_ENDED))
                    self._replay_with_zlib()
                    return b""
                if self._kept is not None:
                    self._keep(chunk)
                data: bytes = dec.decompress(chunk, size)
            else:
                data = dec.decompress(b"", size)
        except self._fast.error as exc:
            if self._kept is None:
                raise self._fail(exc) from exc
            # The same bytes up to the bad code, and those of the failing call, which igzip dropped.
            self._replay_with_zlib()
            return b""
        self._size += len(data)
        if self._own_crc:
            self._crc = self._fast_crc(data, self._crc)
        if dec.eof:
            self._buf = dec.unused_data
            if not self._own_crc:
                self._crc = dec.crc
            self._dec = None
        return data

    def _replay_with_zlib(self) -> None:
        """Inflate this member again from its start with zlib, handing on only what is new."""
        import zlib

        assert self._kept is not None
        self._replay.extend(self._kept)
        self._kept = None
        self._discard, self._crc, self._size = self._size, 0, 0
        self._own_crc, self._zlib = True, True
        self._dec = zlib.decompressobj(-15)

    def _inflate_zlib(self, size: int) -> bytes:
        import zlib

        dec = self._dec
        chunk: bytes | memoryview = dec.unconsumed_tail
        if not chunk:
            if self._view_at == len(self._view):
                self._view, self._view_at = memoryview(self._input()), 0
            chunk = self._view[self._view_at : self._view_at + ZLIB_PIECE]
            self._view_at += len(chunk)
        saved = dec.copy()
        try:
            data: bytes = dec.decompress(chunk, size)
        except zlib.error as exc:
            data = _longest_output(saved, chunk, size)
            self._fail(exc)  # raised on the next read, after this output
        else:
            if not data and not chunk and not dec.eof:
                raise self._fail(EOFError(_INFLATE_ENDED))
            if dec.eof:
                # What follows the member, in order: the rest of this piece, of its chunk, of a replay.
                rest = self._view[self._view_at :]
                self._buf = b"".join((dec.unused_data, rest, *self._replay, self._buf))
                self._view, self._view_at = memoryview(b""), 0
                self._replay.clear()
                self._dec = None
        self._size += len(data)
        self._crc = zlib.crc32(data, self._crc)
        if self._discard:
            cut = min(self._discard, len(data))
            self._discard -= cut
            data = data[cut:]
        return data

    def _input(self) -> bytes:
        if self._replay:
            return self._replay.popleft()
        if self._buf:
            chunk, self._buf = self._buf, b""
            return chunk
        return read_some(self._raw, CHUNK)

    def _keep(self, chunk: bytes) -> None:
        assert self._kept is not None
        self._kept_bytes += len(chunk)
        if self._kept_bytes > GZIP_REPLAY_BYTES:
            self._kept = None
        else:
            self._kept.append(chunk)

    def _fail(self, exc: BaseException | None) -> BaseException:
        """``exc`` as the error that ends the stream (raised again on any later read), after the
        trailer mismatches met before it."""
        if self._damage:
            damage = f"{'; '.join(self._damage)}: {ALTERED}"
            if exc is not None:
                damage += f"; then {describe(exc).removeprefix('corrupt: ')}"
            # Junk after the last member is no cut: the text before it is whole.
            exc = ChecksumError(damage, cut=exc is not None and not isinstance(exc, TrailingData))
        assert exc is not None
        self._error = exc
        return exc

    # -- framing ---------------------------------------------------------------------------

    def _next_member(self) -> bool:
        """Check the trailer of the member just inflated, then read the next header; False at the end."""
        if self._members:
            self._trailer()
            if not self._more_members():
                return False
        self._header()
        self._members += 1
        self._crc = self._size = 0
        if self._fast is None:
            import zlib

            self._dec = zlib.decompressobj(-15)
            return True
        self._zlib = False
        try:
            # Inflates raw deflate, computes the CRC-32 as the gzip mode does, and leaves the trailer alone.
            self._dec = self._fast.IgzipDecompressor(flag=self._fast.DECOMP_GZIP_NO_HDR)
            self._own_crc = not hasattr(self._dec, "crc")
        except AttributeError:  # an isal without that mode: plain deflate, and the CRC-32 here
            self._dec = self._fast.IgzipDecompressor(flag=self._fast.DECOMP_DEFLATE)
            self._own_crc = True
        self._kept, self._kept_bytes = ([] if self._replayable else None), 0
        return True

    def _fast_crc(self, data: bytes, crc: int) -> int:
        from isal import isal_zlib

        return isal_zlib.crc32(data, crc)

    def _trailer(self) -> None:
        if not self._fill(8):
            raise self._fail(EOFError("gzip trailer cut short"))
        crc, length = struct.unpack_from("<II", self._buf)
        self._buf = self._buf[8:]
        which = f" of member {self._members}" if self._members > 1 else ""
        if crc != self._crc:
            self._damage.append(f"gzip CRC-32 mismatch{which} (stored {crc:08x}, data {self._crc:08x})")
        elif length != self._size & 0xFFFFFFFF:
            self._damage.append(f"gzip length mismatch{which} (stored {length}, data {self._size} mod 2**32)")

    def _more_members(self) -> bool:
        """After a trailer: True when another member starts; False at the end of the input (or of
        its zero padding); ``TrailingData`` (after any mismatch met) when something else follows."""
        self._fill(len(_GZIP_MAGIC))
        if not self._buf or self._buf.startswith(_GZIP_MAGIC):
            return bool(self._buf)
        padding = 0
        while not self._buf.strip(b"\0"):  # zeros (tape or block padding) up to the end are no junk
            padding += len(self._buf)
            self._buf = read_some(self._raw, CHUNK)
            if not self._buf:
                return False
        ignored = padding + len(self._buf)
        # As gzip -d: a download or copy that appended junk keeps the text before it.
        raise self._fail(TrailingData(f"{ignored}+ bytes after the compressed data ignored "
                                      "(no other stream starts there)"))

    def _header(self) -> None:
        if not self._fill(10):
            raise self._fail(EOFError("gzip header cut short"))
        method, flags = self._buf[2], self._buf[3]
        if not self._buf.startswith(_GZIP_MAGIC) or method != 8:
            raise self._fail(ValueError(f"not a gzip member (method {method})"))
        if flags & _FRESERVED:
            raise self._fail(ValueError(f"gzip header with reserved flags {flags:#x}"))
        self._skip(10)
        if flags & _FEXTRA:
            if not self._fill(2):
                raise self._fail(EOFError("gzip header cut short"))
            self._skip(2 + int.from_bytes(self._buf[:2], "little"))
        for flag in (_FNAME, _FCOMMENT):
            if flags & flag:
                self._skip_text()
        if flags & _FHCRC:
            self._skip(2)  # as gzip.py: a header CRC is not checked

    def _fill(self, size: int) -> bool:
        """At least ``size`` bytes in the buffer, unless the input ends first."""
        while len(self._buf) < size:
            more = read_some(self._raw, CHUNK)
            if not more:
                return False
            self._buf += more
        return True

    def _skip(self, size: int) -> None:
        while len(self._buf) < size:
            size -= len(self._buf)
            self._buf = read_some(self._raw, CHUNK)
            if not self._buf:
                raise self._fail(EOFError("gzip header cut short"))
        self._buf = self._buf[size:]

    def _skip_text(self) -> None:
        """Past a NUL-terminated header field (a name or comment), holding none of it for long."""
        while (end := self._buf.find(b"\0")) < 0:
            self._buf = read_some(self._raw, CHUNK)
            if not self._buf:
                raise self._fail(EOFError("gzip header cut short"))
        self._buf = self._buf[end + 1 :]


def _longest_output(saved: Any, chunk: bytes | memoryview, size: int) -> bytes:
    """The most output a zlib inflater in state ``saved`` gives from ``chunk`` before it fails.

    zlib drops the output of a call that fails; with a cap of ``n`` bytes a call stops once it has
    ``n``, so the largest cap that does not fail gives every byte before the bad code but the last.
    """
    import zlib

    best, low, high = b"", 0, size
    while low < high:
        middle = (low + high + 1) // 2
        try:
            out = saved.copy().decompress(chunk, middle)
        except zlib.error:
            high = middle - 1
        else:
            best, low = out, len(out)
            if len(out) < middle:  # the input ran out first: nothing more before the error
                break
    return best


class _Zstd(RawReader):
    """zstd frame by frame. python-zstandard's stream_reader ends quietly on a cut frame, and its
    decompressobj has no output cap, so input goes in small pieces to bound each step's output;
    a read gathers the output of many pieces, so it still returns large blocks.
    """

    # A zstd block of zeros is 4 bytes for 128 KiB: 2 KiB of input yields 64 MiB at most.
    PIECE = 2048

    def __init__(self, raw: BinaryIO) -> None:
        import zstandard

        super().__init__()
        self._raw = raw
        self._factory = zstandard.ZstdDecompressor().decompressobj
        self._dec = self._factory()
        self._in_frame = False
        self._input = memoryview(b"")
        self._fed = 0  # of _input; an offset, as slicing off each piece would copy the rest each time
        self._output = b""
        self._taken = 0  # of _output
        self._error: Exception | None = None  # met after some output: raised on the next read

    def _pull(self, size: int) -> bytes:
        parts: list[bytes] = []
        got = 0
        while got < size:
            if self._taken < len(self._output):
                want = size - got
                whole = self._taken == 0 and want >= len(self._output)
                piece = self._output if whole else self._output[self._taken : self._taken + want]
                self._taken += len(piece)
                parts.append(piece)
                got += len(piece)
            elif got and self._fed == len(self._input):
                break  # hand out what we have before reading more input
            else:
                try:
                    output = self._step()
                except Exception as exc:
                    if not got:
                        raise
                    self._error = exc
                    break
                if output is None:
                    break
                self._output, self._taken = output, 0
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _step(self) -> bytes | None:
        """The output of the next piece of input (often empty), or None at the end of the stream."""
        if self._error is not None:
            raise self._error
        if self._fed == len(self._input):
            self._input, self._fed = memoryview(read_some(self._raw, CHUNK)), 0
            if not self._input:
                if self._in_frame:
                    raise EOFError("zstd stream ends inside a frame")
                return None
        if not self._in_frame and not self._frame_next():
            return None
        if self._dec.eof:
            self._dec = self._factory()
        piece = self._input[self._fed : self._fed + self.PIECE]
        self._fed += len(piece)
        output: bytes = self._dec.decompress(piece)
        self._in_frame = not self._dec.eof
        if self._dec.eof:
            self._fed -= len(self._dec.unused_data)  # the next frame starts inside this piece
        return output

    def _frame_next(self) -> bool:
        """Between frames: True when a frame (or a skippable one) starts next, False when only zeros
        are left; ``TrailingData`` for anything else, as for gzip (zstd -d calls it an unknown header)."""
        while len(self._input) - self._fed < 4 and (more := read_some(self._raw, CHUNK)):
            self._input, self._fed = memoryview(bytes(self._input[self._fed :]) + more), 0
        start = bytes(self._input[self._fed : self._fed + 4])
        if start == b"\x28\xb5\x2f\xfd" or (len(start) == 4 and start[0] >> 4 == 5 and start[1:] == b"\x2a\x4d\x18"):
            return True
        padding = 0
        while not bytes(self._input[self._fed :]).strip(b"\0"):
            padding += len(self._input) - self._fed
            self._input, self._fed = memoryview(read_some(self._raw, CHUNK)), 0
            if not self._input:
                return False
        ignored = padding + len(self._input) - self._fed
        raise TrailingData(f"{ignored}+ bytes after the compressed data ignored (no other stream starts there)")


def decoder(kind: str, raw: BinaryIO, size: int | None = None) -> BinaryIO:
    """A decompressing reader over ``raw`` (``size`` bytes long, if known); the module for ``kind``
    is imported only now."""
    if kind == "gz":
        fast: Any = None
        if USE_ISAL:
            try:
                from isal import igzip_lib
            except ImportError:
                pass
            else:
                fast = igzip_lib
        return cast(BinaryIO, _Gzip(raw, fast, size))
    if kind == "zst":
        return cast(BinaryIO, _Zstd(raw))
    if kind == "bz2":
        import bz2

        return cast(BinaryIO, _Incremental(raw, bz2.BZ2Decompressor, b"BZh"))
    if kind == "xz":
        import lzma

        def make() -> Any:
            return lzma.LZMADecompressor(memlimit=XZ_MEMLIMIT)

        return cast(BinaryIO, _Incremental(raw, make, b"\xfd7zXZ\x00"))
    raise ValueError(f"unknown compression {kind!r}")


def spool(stream: BinaryIO, name: str, limit: int) -> tuple[BinaryIO, str | None]:
    """Copy ``stream`` into a temp spool (memory first, then an unlinked file) for a reader that
    seeks; and what was found after its compressed data (``TrailingData``'s text), if anything.

    Raises:
        SourceError: the stream is longer than ``limit`` or unreadable.
    """
    import tempfile

    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - returned open
    trailing = None
    try:
        total = 0
        while True:
            try:
                piece = read_some(stream, CHUNK)
            except TrailingData as exc:  # the data before it is whole
                trailing = str(exc)
                break
            except SourceError:
                raise
            except Exception as exc:
                raise SourceError(f"{name}: {describe(exc)}") from exc
            if not piece:
                break
            total += len(piece)
            if total > limit:
                raise SourceError(f"{name}: zip larger than the {limit}-byte cap for spooling")
            out.write(piece)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return cast(BinaryIO, out), trailing


# The end-of-central-directory record is 22 bytes and may be followed by a comment of up to 64 KiB.
ZIP_END_SEARCH = 22 + 0xFFFF
# How far into a stream that cannot seek a zip's first entry is looked for: self-extractor stubs
# are a few hundred KiB.
STUB_SEARCH = 16 * 1024**2
_LOCAL_HEADER = struct.Struct("<4sHHH16xHH")  # signature, version, flags, method, name and extra lengths
_ZIP_METHODS = (0, 8, 12, 14)  # stored, deflated, bzip2, lzma: what zipfile reads


def find_zip_entry(stream: BinaryIO, limit: int = STUB_SEARCH) -> tuple[bytes, int | None, BaseException | None]:
    """Read ``stream`` ahead, up to ``limit`` bytes, to the first zip entry header in it.

    Returns the bytes read (to be replayed), the offset of the header (None: none found), and the
    error that stopped the read early, kept to be raised in order.
    """
    buf = bytearray()
    start = 0
    while len(buf) < limit:
        try:
            piece = read_some(stream, min(CHUNK, limit - len(buf)))
        except Exception as exc:  # noqa: BLE001 - the caller replays it after the bytes before it
            return bytes(buf), None, exc
        if not piece:
            break
        buf += piece
        at = _zip_entry_in(buf, start)
        if at is not None:
            return bytes(buf), at, None
        start = max(start, len(buf) - _LOCAL_HEADER.size + 1)
    return bytes(buf), None, None


def _zip_entry_in(buf: bytearray, start: int) -> int | None:
    """The first plausible local file header from ``start`` on that ``buf`` holds whole."""
    at = buf.find(b"PK\x03\x04", start)
    while 0 <= at <= len(buf) - _LOCAL_HEADER.size:
        _, version, _, method, name_len, _ = _LOCAL_HEADER.unpack_from(buf, at)
        # A stray "PK\3\4" in binary data rarely has sane fields too, and a name of text after them
        # (what follows is spooled whole to be read as a zip: an executable's bytes are not).
        if (version & 0xFF) <= 63 and method in _ZIP_METHODS and 0 < name_len <= 4096:
            name = bytes(buf[at + _LOCAL_HEADER.size : at + _LOCAL_HEADER.size + name_len])
            if len(name) < name_len or _zip_name(name):
                return at
        at = buf.find(b"PK\x03\x04", at + 1)
    return None


def _zip_name(name: bytes) -> bool:
    """A member name as zip writers store one: UTF-8 or code page 437 text, no control bytes."""
    return not name.translate(None, _TEXT_BYTES) and b"\x1b" not in name and b"\x0c" not in name


def ends_like_zip(handle: BinaryIO) -> bool:
    """An end-of-central-directory signature where zipfile looks for one (in the last 64 KiB);
    ``handle`` is rewound."""
    try:
        end = handle.seek(0, io.SEEK_END)
        handle.seek(max(0, end - ZIP_END_SEARCH))
        tail = handle.read(ZIP_END_SEARCH)
        handle.seek(0)
    except (OSError, ValueError):
        return False
    return b"PK\x05\x06" in tail
