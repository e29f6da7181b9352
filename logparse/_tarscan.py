"""Stream a tar (v7, ustar, GNU, pax) header by header, handing member data on in the source's own blocks.

tarfile's stream mode reads 10 KiB records and copies them through several layers; here member
data goes from the decompressor to the consumer untouched. Headers are read the way tarfile reads
them (same checksum and number rules, GNU long names, pax records, the first header of a chain
wins, one zero block ends the archive), so names, sizes and the reasons an archive stops match
tarfile's; sparse members are flagged so the caller can refuse them.
"""

from __future__ import annotations

import re
import struct
import sys
from dataclasses import dataclass
from typing import BinaryIO, cast

from logparse._streams import CHUNK, Meter, RawReader, read_some

BLOCK = 512
REGULAR = (b"0", b"\0", b"7", b"S")  # tarfile.REGULAR_TYPES: contiguous and sparse files count
SUPPORTED = (*REGULAR, b"1", b"2", b"3", b"4", b"5", b"6", b"L", b"K")  # tarfile.SUPPORTED_TYPES
LONG_NAME, LONG_LINK, GNU_SPARSE, DIRECTORY = b"L", b"K", b"S", b"5"
PAX, PAX_GLOBAL, PAX_SOLARIS = b"x", b"g", b"X"
EXTENDED = (LONG_NAME, LONG_LINK, PAX, PAX_GLOBAL, PAX_SOLARIS)
# tarfile's defaults for names that are not valid in the file-system encoding.
ENCODING, ERRORS = sys.getfilesystemencoding(), "surrogateescape"

_UNSIGNED = struct.Struct("148B8x356B")
_SIGNED = struct.Struct("148b8x356b")
_PAX_RECORD = re.compile(rb"(\d+) ([^=]+)=")
_PAX_CHARSET = re.compile(rb"\d+ hdrcharset=([^\n]+)\n")
_PAX_NAMES = {"path", "linkpath", "uname", "gname"}


class TarError(Exception):
    """A damaged archive; the text is tarfile's (``bad checksum``, ``unexpected end of data``...)."""


class _Problem(Exception):
    """A header that cannot be used; ``kind`` (empty, short, zeros, invalid) decides what it means."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind


@dataclass
class TarEntry:
    """One member header, after GNU long names and pax records were applied."""

    name: str
    linkname: str
    type: bytes
    size: int
    sparse: bool = False

    def isreg(self) -> bool:
        return self.type in REGULAR

    def isdir(self) -> bool:
        return self.type == DIRECTORY

    def issym(self) -> bool:
        return self.type == b"2"

    def islnk(self) -> bool:
        return self.type == b"1"

    def isdev(self) -> bool:
        return self.type in (b"3", b"4")

    def isfifo(self) -> bool:
        return self.type == b"6"


class TarScan:
    """Members of a tar stream in archive order; never seeks, so stdin works.

    ``next()`` returns the next header (skipping what was left of the previous member), or None at
    the end; ``stop`` then says why it ended early (None: a clean end). A damaged first header, or
    damage after a long-name/pax header, raises ``TarError`` as tarfile does; errors of the
    underlying stream pass through unchanged.
    """

    def __init__(self, stream: BinaryIO, max_extended: int,
                 skip_check: tuple[Meter, float, int] | None = None) -> None:
        self._inner = stream
        self._max_extended = max_extended
        # (compressed bytes meter, max ratio, grace): data skipped unread must not be a bomb
        # either, now that the stream below judges no ratio.
        self._skip_check = skip_check
        self.stop: str | None = None
        self._buf = b""
        self._off = 0
        self._pos = 0  # bytes consumed from the stream
        self._next = 0  # where the next header starts
        self._globals: dict[str, str] = {}
        self._current: _Member | None = None
        self._started = False
        self._handed = 0  # member data bytes handed out; the rest of _pos is headers and skipped data

    def next(self) -> TarEntry | None:
        first, self._started = not self._started, True
        self._current = None
        if self._next < self._pos:  # a size that points backwards: tarfile cannot seek back either
            raise TarError("member data runs past the next header")
        self._skip(self._next - self._pos)
        try:
            entry = self._entry()
            self._judge_overhead()
            return entry
        except _Problem as problem:
            if problem.kind == "zeros":  # the end-of-archive block
                return None
            if first:  # what tarfile.open raises for a first header
                raise TarError("empty file" if problem.kind == "empty" else str(problem)) from None
            self.stop = {
                "empty": "truncated: archive ends without its end-of-archive block",
                "short": "truncated: archive ends inside a member header",
            }.get(problem.kind, f"corrupt: {problem}")
            return None

    def rest(self) -> int | None:
        """After ``next()`` returned None for the end-of-archive block: read on to the end of the
        stream; None when only zeros follow, else the offset of the first other byte (the rest is
        left unread). Errors of the stream pass through."""
        while True:
            if self._off < len(self._buf):
                tail = memoryview(self._buf)[self._off :]
                stripped = len(bytes(tail).lstrip(b"\0"))
                if stripped:
                    return self._pos + len(tail) - stripped
                self._pos += len(tail)
                self._judge_overhead()  # gigabytes of zeros after the end are a bomb too
            self._buf, self._off = read_some(self._inner, CHUNK), 0
            if not self._buf:
                return None

    def open(self, entry: TarEntry) -> BinaryIO:
        """The data of ``entry``, the header ``next()`` just returned; valid until the next call."""
        self._current = _Member(self, entry.size)
        return cast(BinaryIO, self._current)

    # -- headers -------------------------------------------------------------------------

    def _entry(self) -> TarEntry:
        """One member header with the extended headers before it (a chain tarfile walks recursively)."""
        chain: list[tuple[bytes, str, dict[str, str]]] = []  # (type, long name, pax records)
        while True:
            try:
                entry, block = _parse(self._read(BLOCK))
                if entry.type == GNU_SPARSE:
                    self._sparse_maps(block)
                if entry.type not in EXTENDED:
                    break
                if entry.size > self._max_extended:  # tarfile would read it whole into memory
                    raise _Problem("invalid", f"extended header of {entry.size} bytes")
                payload = self._read(_blocks(entry.size))
                if entry.type in (LONG_NAME, LONG_LINK):
                    chain.append((entry.type, _nts(payload), {}))
                else:
                    chain.append((entry.type, "", self._pax(payload, entry.type)))
            except _Problem as problem:
                if chain:  # tarfile's SubsequentHeaderError: always fatal
                    raise TarError(str(problem)) from None
                raise
        extent = _blocks(entry.size) if entry.isreg() or entry.type not in SUPPORTED else 0
        if entry.type == GNU_SPARSE:
            entry.sparse = True
            extent, entry.size = _blocks(entry.size), _nti(block[483:495])
        else:
            _apply(entry, self._globals)
            if entry.isdir():
                entry.name = entry.name.rstrip("/")
        # tarfile applies a chain innermost first, so the first header of a chain wins.
        for kind, text, pax in reversed(chain):
            if kind == LONG_NAME:
                entry.name = text.removesuffix("/") if entry.isdir() else text
            elif kind == LONG_LINK:
                entry.linkname = text
            else:
                pax = self._globals if kind == PAX_GLOBAL else pax
                entry.sparse = entry.sparse or _is_sparse(pax)
                if kind == PAX_GLOBAL:
                    continue
                _apply(entry, pax)
                if "size" in pax:
                    extent = _blocks(entry.size) if entry.isreg() or entry.type not in SUPPORTED else 0
        self._next = self._pos + extent
        return entry

    def _sparse_maps(self, header: bytes) -> None:
        """Read past the blocks of sparse map that follow an old GNU sparse header, 21 entries each."""
        extended = header[482]
        while extended:
            block = self._read(BLOCK)
            if len(block) < BLOCK:
                raise TarError("unexpected end of data")
            for pos in range(0, 21 * 24, 12):
                _nti(block[pos : pos + 12])
            extended = block[504]

    def _pax(self, data: bytes, kind: bytes) -> dict[str, str]:
        """The records of a pax header (``g`` ones also become the archive's globals), as tarfile reads them."""
        pax = self._globals if kind == PAX_GLOBAL else dict(self._globals)
        charset = _PAX_CHARSET.search(data)
        if charset is not None:
            pax["hdrcharset"] = charset.group(1).decode("utf-8")
        names = ENCODING if pax.get("hdrcharset") == "BINARY" else "utf-8"
        pos = 0
        while match := _PAX_RECORD.match(data, pos):
            length = int(match[1])
            if length == 0:
                raise _Problem("invalid", "invalid header")
            value = data[match.end(2) + 1 : match.start(1) + length - 1]
            keyword = _decode(match[2], "utf-8", "utf-8")
            if keyword in _PAX_NAMES:
                pax[keyword] = _decode(value, names, ENCODING)
            else:
                pax[keyword] = _decode(value, "utf-8", "utf-8")
            pos += length
        return pax

    # -- bytes ---------------------------------------------------------------------------

    def _read(self, size: int) -> bytes:
        """``size`` bytes, fewer only at the end of the stream (tarfile reads headers the same way)."""
        parts = []
        while size > 0:
            if self._off == len(self._buf):
                self._buf, self._off = read_some(self._inner, CHUNK), 0
                if not self._buf:
                    break
            piece = self._buf[self._off : self._off + size]
            self._off += len(piece)
            size -= len(piece)
            parts.append(piece)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self._pos += len(data)
        return data

    def _skip(self, size: int) -> None:
        meter, ratio, grace = self._skip_check or (None, 0.0, 0)
        base, skipped = (meter.count if meter is not None else 0), 0
        while size > 0:
            if self._off < len(self._buf):
                step = min(size, len(self._buf) - self._off)
                self._off += step
            else:
                step = len(read_some(self._inner, min(size, CHUNK)))
                if not step:
                    raise TarError("unexpected end of data")
            self._pos += step
            size -= step
            skipped += step
            if meter is not None and skipped > grace and skipped > ratio * max(meter.count - base, 1):
                raise TarError(f"compression ratio above {ratio:g} in member data skipped unread")

    def _judge_overhead(self) -> None:
        """Headers and skipped data together, against all the compressed bytes so far: no member
        counts them, and a million 1 MiB pax headers would pass every per-member cap."""
        if self._skip_check is None:
            return
        meter, ratio, grace = self._skip_check
        overhead = self._pos - self._handed
        if overhead > grace and overhead > ratio * max(meter.count, 1):
            raise TarError(f"compression ratio above {ratio:g} in tar headers and member data skipped unread")

    def _data(self, member: _Member, size: int) -> bytes:
        """Up to ``size`` bytes of the current member: the rest of the header buffer, then whole
        blocks straight from the stream, so a 1 MiB read costs no copy here."""
        if member is not self._current:
            raise TarError("member read after the archive moved on (a tar is read in one pass)")
        if self._off < len(self._buf):
            if self._off == 0 and size >= len(self._buf):
                data, self._buf = self._buf, b""
            else:
                data = self._buf[self._off : self._off + size]
                self._off += len(data)
                if self._off == len(self._buf):  # do not hold 1 MiB while the member streams on
                    self._buf, self._off = b"", 0
        else:
            data = read_some(self._inner, size)
            if not data:
                raise EOFError("unexpected end of data")
        self._pos += len(data)
        self._handed += len(data)
        return data


class _Member(RawReader):
    """The data of one member, read through its ``TarScan``."""

    def __init__(self, scan: TarScan, size: int) -> None:
        super().__init__()
        self._scan = scan
        self._left = size

    def _pull(self, size: int) -> bytes:
        if self._left <= 0 or size <= 0:
            return b""
        data = self._scan._data(self, min(size, self._left))
        self._left -= len(data)
        return data


def _parse(block: bytes) -> tuple[TarEntry, bytes]:
    """A 512-byte header as tarfile's ``TarInfo.frombuf`` reads it, and the block (sparse headers hold more)."""
    if not block:
        raise _Problem("empty", "empty header")
    if len(block) != BLOCK:
        raise _Problem("short", "truncated header")
    if block.count(0) == BLOCK:
        raise _Problem("zeros", "end of file header")
    checksum = _nti(block[148:156])
    if checksum != 256 + sum(_UNSIGNED.unpack(block)) and checksum != 256 + sum(_SIGNED.unpack(block)):
        raise _Problem("invalid", "bad checksum")
    for start, end in ((100, 108), (108, 116), (116, 124), (136, 148), (329, 337), (337, 345)):
        _nti(block[start:end])  # mode, uid, gid, mtime, device numbers: tarfile refuses bad ones
    kind = block[156:157]
    name = _nts(block[0:100])
    if kind == b"\0" and name.endswith("/"):  # a v7 directory
        kind = DIRECTORY
    if kind == GNU_SPARSE:
        for pos in range(386, 386 + 4 * 24, 12):
            _nti(block[pos : pos + 12])
        _nti(block[483:495])
    if kind == DIRECTORY:
        name = name.rstrip("/")
    prefix = _nts(block[345:500])
    if prefix and kind not in (LONG_NAME, LONG_LINK, GNU_SPARSE):
        name = f"{prefix}/{name}"
    return TarEntry(name, _nts(block[157:257]), kind, _nti(block[124:136])), block


def _nti(field: bytes) -> int:
    """A number field: octal text, or GNU base-256 after a 0x80 (positive) or 0xff (negative) byte."""
    if field[0] in (0o200, 0o377):
        number = int.from_bytes(field[1:], "big")
        return number - 256 ** (len(field) - 1) if field[0] == 0o377 else number
    try:
        text = field.split(b"\0", 1)[0].decode("ascii")
        return int(text.strip() or "0", 8)
    except ValueError:
        raise _Problem("invalid", "invalid header") from None


def _nts(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode(ENCODING, ERRORS)


def _decode(value: bytes, encoding: str, fallback: str) -> str:
    try:
        return value.decode(encoding)
    except UnicodeDecodeError:
        return value.decode(fallback, ERRORS)


def _blocks(size: int) -> int:
    """``size`` rounded up to whole blocks (negative sizes round the way tarfile's ``_block`` does)."""
    return -(-size // BLOCK) * BLOCK


def _is_sparse(pax: dict[str, str]) -> bool:
    return (
        "GNU.sparse.map" in pax
        or "GNU.sparse.size" in pax
        or (pax.get("GNU.sparse.major") == "1" and pax.get("GNU.sparse.minor") == "0")
    )


def _apply(entry: TarEntry, pax: dict[str, str]) -> None:
    """Pax records over header fields, in record order as tarfile applies them."""
    for keyword, value in pax.items():
        if keyword == "GNU.sparse.name":
            entry.name = value
        elif keyword in ("GNU.sparse.size", "GNU.sparse.realsize"):
            entry.size = int(value)  # tarfile lets a bad one raise ValueError
        elif keyword == "path":
            entry.name = value.rstrip("/")
        elif keyword == "linkpath":
            entry.linkname = value
        elif keyword == "size":
            try:
                entry.size = int(value)
            except ValueError:
                entry.size = 0
