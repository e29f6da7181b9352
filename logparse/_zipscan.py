"""Zip beyond ``zipfile``: walk a zip whose central directory is gone, catch entries that reuse data."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, cast

from logparse._streams import ALTERED, CHUNK, ChecksumError, RawReader, read_some
from logparse.sources import member_path

_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # signature ... name length, extra length
_CENTRAL_SIGS = (b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06")
STORED, DEFLATED = 0, 8
_HAS_DESCRIPTOR = 0x08  # sizes and CRC follow the data instead of the header
_UTF8_NAME = 0x800


@dataclass(frozen=True)
class LocalEntry:
    name: str
    flags: int
    method: int
    offset: int  # of the member's data
    compressed: int | None  # None when the sizes follow the data
    zip64: bool

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & 1)


def _descriptor(f: BinaryIO, at: int, zip64: bool) -> tuple[int, int]:
    """(CRC, length) of the data descriptor at ``at``; its signature is optional."""
    f.seek(at)
    raw = f.read(4 + 4 + (16 if zip64 else 8))
    skip = 4 if raw[:4] == b"PK\x07\x08" else 0
    if len(raw) < skip + 4:
        raise EOFError("zip data descriptor cut short")
    (crc,) = struct.unpack_from("<I", raw, skip)
    return crc, skip + 4 + (16 if zip64 else 8)


class _Member(RawReader):
    """The data of one local entry, stored or deflated, with its CRC checked at the end."""

    def __init__(self, f: BinaryIO, entry: LocalEntry, crc: int | None) -> None:
        super().__init__()
        self._f = f
        self._entry = entry
        self._pos = entry.offset
        self._left = entry.compressed  # None: deflate tells where it ends
        self._crc_expected = crc
        self._crc = 0
        self._inflate = zlib.decompressobj(-15) if entry.method == DEFLATED else None
        self.end: int | None = None  # offset just past the data, once known
        self._mismatch: ChecksumError | None = None  # raised once the data that failed it was handed on

    def _pull(self, size: int) -> bytes:
        if self._mismatch is not None:
            raise self._mismatch
        while self.end is None:
            inflate = self._inflate
            if inflate is None:
                if self._left == 0:
                    self._finish(self._pos)
                    break
                data = self._read_raw(min(size, CHUNK))
                if not data:
                    raise EOFError(f"zip member {self._entry.name} cut short")
                self._crc = zlib.crc32(data, self._crc)
                return data
            # Input fed but not decompressed yet (output was capped at ``size``) waits in
            # unconsumed_tail; feed that before reading more, or memory grows per call.
            chunk = inflate.unconsumed_tail or self._read_raw(CHUNK)
            data = inflate.decompress(chunk, size)
            self._crc = zlib.crc32(data, self._crc)
            if inflate.eof:
                self._finish(self._pos - len(inflate.unused_data))
            if data:
                return data
            if not chunk:
                raise EOFError(f"zip member {self._entry.name} cut short")
        return b""

    def _read_raw(self, want: int) -> bytes:
        if self._left is not None:
            want = min(want, self._left)
        if want <= 0:
            return b""
        self._f.seek(self._pos)
        chunk = self._f.read(want)
        self._pos += len(chunk)
        if self._left is not None:
            self._left -= len(chunk)
        return chunk

    def _finish(self, end: int) -> None:
        self.end = end
        expected = self._crc_expected
        if self._entry.flags & _HAS_DESCRIPTOR:
            expected, _ = _descriptor(self._f, end, self._entry.zip64)
        if expected is not None and expected != self._crc:
            # The member's end is known: the walk goes on to the next one whatever its reader does.
            self._mismatch = ChecksumError(_crc_mismatch(expected, self._crc))

    def drain(self, limit: int) -> int:
        """Read to the end (bounded by ``limit`` output bytes) and return the offset past the data."""
        total = 0
        while self.end is None:
            piece = self._pull(CHUNK)
            total += len(piece)
            if total > limit:
                raise ValueError(f"zip member {self._entry.name} larger than {limit} bytes")
        return self.end


class Checked(RawReader):
    """A ``zipfile`` member whose CRC-32 is checked here, once all of its data was handed on:
    zipfile checks it in the read that reaches the end and drops that read's data (a whole read
    of text lost to one flipped bit)."""

    def __init__(self, member: IO[bytes], expected: int) -> None:
        super().__init__()
        cast(Any, member)._expected_crc = None  # zipfile then neither sums nor checks
        self._member = cast(BinaryIO, member)
        self._expected = expected
        self._crc = 0
        self._ended = False

    def _pull(self, size: int) -> bytes:
        if self._ended:
            return b""
        data = read_some(self._member, size)
        if data:
            self._crc = zlib.crc32(data, self._crc)
            return data
        self._ended = True
        if self._crc != self._expected:
            raise ChecksumError(_crc_mismatch(self._expected, self._crc))
        return b""


def _crc_mismatch(stored: int, data: int) -> str:
    return f"zip CRC-32 mismatch (stored {stored:08x}, data {data:08x}): {ALTERED}"


class LocalScan:
    """Iterate ``(entry, reader or None)``; ``stop`` tells why the walk ended early (None: clean end)."""

    def __init__(self, f: BinaryIO, drain_limit: int) -> None:
        self._f = f
        self._drain_limit = drain_limit
        self.stop: str | None = None

    def __iter__(self) -> Iterator[tuple[LocalEntry, _Member | None]]:
        pos = 0
        while True:
            self._f.seek(pos)
            fixed = self._f.read(_LOCAL.size)
            if fixed[:4] in _CENTRAL_SIGS:
                self.stop = "central directory unreadable"
                return
            if len(fixed) < _LOCAL.size:
                self.stop = "truncated: archive ends without its central directory"
                return
            if fixed[:4] != b"PK\x03\x04":
                self.stop = "corrupt: no member header where one should start"
                return
            _, _, flags, method, _, _, crc, csize, _, nlen, xlen = _LOCAL.unpack(fixed)
            tail = self._f.read(nlen + xlen)
            if len(tail) < nlen + xlen:
                self.stop = "truncated: archive ends inside a member header"
                return
            name = tail[:nlen].decode("utf-8" if flags & _UTF8_NAME else "cp437", "replace")
            zip64 = _has_zip64(tail[nlen:])
            if zip64 and csize == 0xFFFFFFFF:
                csize = _zip64_sizes(tail[nlen:])[1]
            # With a data descriptor the header sizes are blank: only deflate finds its own end.
            known = None if flags & _HAS_DESCRIPTOR else csize
            entry = LocalEntry(name, flags, method, pos + _LOCAL.size + nlen + xlen, known, zip64)
            sized = method == DEFLATED or (method == STORED and known is not None)
            readable = sized and not entry.encrypted
            reader = _Member(self._f, entry, None if known is None else crc) if readable else None
            yield entry, reader
            try:
                if known is not None:
                    end = entry.offset + known
                elif reader is not None:
                    end = reader.drain(self._drain_limit)
                else:
                    self.stop = f"cannot find the end of member {name}"
                    return
                if flags & _HAS_DESCRIPTOR:
                    end += _descriptor(self._f, end, zip64)[1]
            except (EOFError, ValueError, zlib.error) as exc:
                self.stop = str(exc)
                return
            pos = end


class SharedData:
    """Central-directory entries that would read no new data, and member names given more than once.

    ``zipfile`` opens whatever an entry points to and the ratio cap is judged per member, so 300
    entries over one 12 MB deflate stream scan 3.5 GB without tripping anything. An entry whose
    data was already read is skipped, and so is one whose data starts inside another entry's (the
    overlapping-files bomb: each entry's data quotes the next entry and they all end in one kernel).
    Data starts come from the local headers: two headers can lead to the same data, and a header's
    name and extra fields can hide other headers.

    Example::

        shared = SharedData(handle, archive.infolist(), prefix, label)
        for info in archive.infolist():
            reason = shared.claim(info)  # None: read it
        warnings.extend(shared.warnings)
    """

    def __init__(self, f: BinaryIO, infos: Iterable[zipfile.ZipInfo], prefix: str = "", label: str = "") -> None:
        self._prefix, self._label = prefix, label
        self._start = {info: _data_start(f, info) for info in infos}
        self._inside: dict[zipfile.ZipInfo, zipfile.ZipInfo] = {}
        reach, owner = -1, None
        for info in sorted(self._start, key=self._start.__getitem__):
            start = self._start[info]
            # The same start is a second entry for that data (claim names the first one read).
            if owner is not None and start < reach and start != self._start[owner]:
                self._inside[info] = owner
            if start + info.compress_size > reach:
                reach, owner = start + info.compress_size, info
        self._read: dict[int, str] = {}  # data start -> the member that read it
        self._unreadable: set[zipfile.ZipInfo] = set()
        self._names: dict[str, int] = {}  # member name -> how many entries of that name were read
        self.warnings: list[str] = []

    def unreadable(self, info: zipfile.ZipInfo) -> None:
        """``info`` could not be opened (a name that differs from its local header, bad magic): its
        claim goes, so the entry that really owns the data is read after all."""
        self._unreadable.add(info)
        start = self._start.get(info)
        if start is not None and self._read.get(start) == self._shown(info):
            del self._read[start]

    def claim(self, info: zipfile.ZipInfo) -> str | None:
        """Why ``info`` is skipped, or None: read it (its data counts as read from now on)."""
        start = self._start.get(info)
        if start is None:
            return None
        first = self._read.get(start)
        if first is not None:
            return f"same data as {first}"
        outer = self._inside.get(info)
        if outer is not None and outer not in self._unreadable:
            return f"data overlaps that of {self._shown(outer)}"
        shown = self._read[start] = self._shown(info)
        self._names[shown] = self._names.get(shown, 0) + 1
        if self._names[shown] == 2:
            # Both are read: their file rows and evidence lines would look like one file's.
            self.warnings.append(f"{self._label}: more than one member is named {shown} (different data, "
                                 "each read); its file rows and evidence lines do not say which")
        return None

    def _shown(self, info: zipfile.ZipInfo) -> str:
        return self._prefix + (member_path(info.filename)[0] or info.filename)


def _data_start(f: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Where ``info``'s data starts, from its local header (past the header alone if that is unreadable)."""
    try:
        f.seek(info.header_offset)
        fixed = f.read(_LOCAL.size)
    except (OSError, ValueError):
        fixed = b""
    if len(fixed) < _LOCAL.size or fixed[:4] != b"PK\x03\x04":
        return info.header_offset + _LOCAL.size  # opening it fails anyway; a lower bound is enough here
    nlen = int.from_bytes(fixed[26:28], "little")
    xlen = int.from_bytes(fixed[28:30], "little")
    return info.header_offset + _LOCAL.size + nlen + xlen


def _extras(extra: bytes) -> Iterator[tuple[int, bytes]]:
    at = 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, at)
        yield tag, extra[at + 4 : at + 4 + size]
        at += 4 + size


def _has_zip64(extra: bytes) -> bool:
    return any(tag == 1 for tag, _ in _extras(extra))


def _zip64_sizes(extra: bytes) -> tuple[int, int]:
    """(uncompressed, compressed) from the zip64 extra field."""
    for tag, body in _extras(extra):
        if tag == 1 and len(body) >= 16:
            usize, csize = struct.unpack_from("<QQ", body)
            return usize, csize
    return 0xFFFFFFFF, 0xFFFFFFFF
