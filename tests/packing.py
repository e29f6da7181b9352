"""Pack a tree of files into every container kind at test time, and build hostile archives."""

from __future__ import annotations

import gzip
import io
import stat
import struct
import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

Tree = dict[str, bytes]

# Container kinds that hold a whole tree; "dir" is the tree written to disk.
KINDS = ("tar", "tar.gz", "tar.bz2", "tar.xz", "tar.zst", "zip")


def write_tree(root: Path, tree: Tree) -> Path:
    for name, data in tree.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def compress(data: bytes, kind: str) -> bytes:
    if kind == "gz":
        return gzip.compress(data, mtime=0)
    if kind == "bz2":
        import bz2

        return bz2.compress(data)
    if kind == "xz":
        import lzma

        return lzma.compress(data)
    if kind == "zst":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    raise ValueError(kind)


def tar_bytes(tree: Tree, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for name, data in tree.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1714567890
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def zip_bytes(tree: Tree, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in tree.items():
            archive.writestr(name, data)
    return out.getvalue()


def pack(tree: Tree, kind: str) -> bytes:
    """The tree as one container of ``kind`` (see ``KINDS``), in memory."""
    if kind == "zip":
        return zip_bytes(tree)
    raw = tar_bytes(tree)
    return raw if kind == "tar" else compress(raw, kind.removeprefix("tar."))


class Entry:
    """One hand-made tar member, for archives no well-behaved packer writes."""

    def __init__(self, name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", link: str = "") -> None:
        self.name, self.kind, self.data, self.link = name, kind, data, link


def hostile_tar(entries: Iterable[Entry]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            info.type = entry.kind
            info.linkname = entry.link
            info.size = len(entry.data) if entry.kind == tarfile.REGTYPE else 0
            if entry.kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
                info.devmajor, info.devminor = 1, 3
            tar.addfile(info, io.BytesIO(entry.data) if info.size else None)
    return out.getvalue()


def zip_with_modes(entries: Iterable[tuple[str, bytes, int]]) -> bytes:
    """A zip whose entries carry unix modes (``S_IFLNK`` etc.) in their external attributes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 5, 1, 10, 20, 0))
            info.create_system = 3
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return out.getvalue()


def gzip_bomb(path: Path, size: int = 1 << 30, chunk: int = 4 << 20) -> Path:
    """``size`` bytes of zeros as gzip, written streaming: one small member repeated (gzip allows that)."""
    member = gzip.compress(bytes(chunk), compresslevel=9, mtime=0)
    with path.open("wb") as out:
        for _ in range(size // chunk):
            out.write(member)
    return path


def tar_gz_bomb(path: Path, size: int = 1 << 30, after: Tree | None = None, chunk: int = 4 << 20) -> Path:
    """A tar.gz whose first member is ``size`` zero bytes, followed by the ``after`` members."""
    header = tarfile.TarInfo("var/log/zeros.log")
    header.size = size
    zeros = gzip.compress(bytes(chunk), compresslevel=9, mtime=0)
    with path.open("wb") as out:
        out.write(gzip.compress(header.tobuf(tarfile.GNU_FORMAT), mtime=0))
        for _ in range(size // chunk):
            out.write(zeros)
        rest = tar_bytes(after or {})  # its members, then the end-of-archive blocks
        out.write(gzip.compress(rest, mtime=0))
    return path


def zip_bad_crc(tree: Tree, victim: str) -> bytes:
    """A stored zip whose ``victim`` has one data byte flipped: its CRC no longer matches."""
    data = bytearray(zip_bytes(tree, zipfile.ZIP_STORED))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(victim)
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    data[at] ^= 0xFF
    return bytes(data)


def zip_flag(tree: Tree, name: str, flag: int) -> bytes:
    """A zip whose ``name`` entry has general-purpose flag bits ``flag`` set (e.g. 1: encrypted)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member, data in tree.items():
            info = zipfile.ZipInfo(member, date_time=(2024, 5, 1, 10, 20, 0))
            archive.writestr(info, data)
    data = bytearray(out.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<H", data, info.header_offset + 6, flag)
    central = bytes(data).find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == name.encode():
            struct.pack_into("<H", data, central + 8, flag)
        central = bytes(data).find(b"PK\x01\x02", central + 4)
    return bytes(data)


def streamed_zip(tree: Tree) -> bytes:
    """A zip written to a pipe: sizes and CRCs follow the data in descriptors (flag bit 3)."""

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: bytes) -> int:  # type: ignore[override]
            self.data += b
            return len(b)

    pipe = Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in tree.items():
            with archive.open(name, "w") as member:
                member.write(data)
    return bytes(pipe.data)


S_IFLNK, S_IFCHR, S_IFIFO = stat.S_IFLNK | 0o777, stat.S_IFCHR | 0o644, stat.S_IFIFO | 0o644
