"""Byte-stream plumbing for ``sources``: magic sniffing, lazy decoders, and guards that enforce caps."""

from __future__ import annotations

import codecs
import io
import struct
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
    """A one-line reason for a read failure, prefixed ``truncated`` or ``corrupt``."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, SourceError):
        return text
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


class Since:
    """What a ``Counting`` has seen since this was made: one tar member's share of its archive."""

    def __init__(self, counting: Meter) -> None:
        self._counting = counting
        self._base = counting.count

    @property
    def count(self) -> int:
        return self._counting.count - self._base


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
    ) -> None:
        super().__init__()
        self._inner = inner
        self.name = name
        self._max_bytes = max_bytes
        self._cap_reason = cap_reason
        self._compressed = compressed
        self._max_ratio = max_ratio
        self._ratio_grace = ratio_grace
        self._budget = budget
        self.count = 0
        self._error: SourceError | None = None

    def members_judge_ratio(self) -> None:
        """The tar read from this stream judges the ratio member by member from now on: one
        repetitive log is that member's problem, not the end of every member after it."""
        self._compressed = None

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
            if isinstance(exc, TrailingData):  # keeps its kind: the text before it is whole
                self._error = TrailingData(f"{self.name}: {exc}")
                raise self._error from exc
            raise self._fail(describe(exc)) from exc
        except Exception as exc:  # zlib, isal, lzma, zstd, tar, zipfile: one contract for all
            raise self._fail(describe(exc)) from exc
        self.count += len(data)
        if self.count > self._max_bytes:
            raise self._fail(self._cap_reason)
        if (
            self._compressed is not None
            and self.count > self._ratio_grace
            and self.count > self._max_ratio * max(self._compressed.count, 1)
        ):
            raise self._fail(f"compression ratio above {self._max_ratio:g}")
        if self._budget is not None:
            self._budget.used += len(data)
            if self._budget.used > self._budget.limit:
                raise self._fail(f"total size cap of {self._budget.limit} bytes reached")
        return data


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


class _Incremental(RawReader):
    """Decompress with a bz2/lzma/igzip decompressor object, also across concatenated streams."""

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
        if self._dec.eof:
            self._dec = self._factory()
        piece = self._input[self._fed : self._fed + self.PIECE]
        self._fed += len(piece)
        output: bytes = self._dec.decompress(piece)
        self._in_frame = not self._dec.eof
        if self._dec.eof:
            self._fed -= len(self._dec.unused_data)  # the next frame starts inside this piece
        return output


def decoder(kind: str, raw: BinaryIO) -> BinaryIO:
    """A decompressing reader over ``raw``; the module for ``kind`` is imported only now."""
    if kind == "gz":
        if USE_ISAL:
            try:
                from isal import igzip_lib
            except ImportError:
                pass
            else:
                # Not igzip.IGzipFile: its read drops the text it inflated when the stream is cut.
                def make_gzip() -> Any:
                    return igzip_lib.IgzipDecompressor(flag=igzip_lib.DECOMP_GZIP)

                return cast(BinaryIO, _Incremental(raw, make_gzip, b"\x1f\x8b"))
        import gzip

        return cast(BinaryIO, gzip.GzipFile(fileobj=raw, mode="rb"))
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


def spool(stream: BinaryIO, name: str, limit: int) -> BinaryIO:
    """Copy ``stream`` into a temp spool (memory first, then an unlinked file) for a reader that seeks.

    Raises:
        SourceError: the stream is longer than ``limit`` or unreadable.
    """
    import tempfile

    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - returned open
    try:
        total = 0
        while True:
            try:
                piece = stream.read(CHUNK)
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
    return cast(BinaryIO, out)
