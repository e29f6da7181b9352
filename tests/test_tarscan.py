"""_tarscan: the one-pass tar reader gives what tarfile gives, stops where it stops, and hands on large blocks."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from logparse._tarscan import TarError, TarScan
from logparse.sources import Skipped, open_source
from tests import packing

CAP = 1024 * 1024
Row = tuple[str, str, bytes, int, bytes | None]


def scan(blob: bytes) -> tuple[list[Row], str | None]:
    """Every header TarScan finds, with the data of regular members, and why it stopped."""
    reader = TarScan(io.BytesIO(blob), CAP)
    rows: list[Row] = []
    while (entry := reader.next()) is not None:
        data = reader.open(entry).read() if entry.isreg() else None
        rows.append((entry.name, entry.linkname, entry.type, entry.size, data))
    return rows, reader.stop


def reference(blob: bytes) -> list[Row]:
    rows: list[Row] = []
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r|") as archive:
        for info in archive:
            member = archive.extractfile(info) if info.isreg() else None
            data = member.read() if member is not None else None
            rows.append((info.name, info.linkname, info.type, info.size, data))
    return rows


def checksummed(block: bytearray) -> bytes:
    """``block`` with its header checksum recomputed, as a writer would have stored it."""
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def header(name: str, size: int = 0, kind: bytes = tarfile.REGTYPE) -> bytearray:
    info = tarfile.TarInfo(name)
    info.size, info.type = size, kind
    return bytearray(info.tobuf(tarfile.GNU_FORMAT))


def padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % 512)


END = bytes(1024)


# -- the same members as tarfile -------------------------------------------------------------

_segment = st.text(st.sampled_from("abcXYZ09._- éü日"), min_size=1, max_size=40).filter(
    lambda s: s not in (".", "..")
)
_member = st.tuples(
    st.lists(_segment, min_size=1, max_size=5).map("/".join),
    st.sampled_from(["file", "file", "file", "dir", "symlink", "hardlink", "fifo"]),
    st.binary(max_size=1500),
    st.dictionaries(st.sampled_from(["comment", "mtime", "uname"]), st.text(max_size=30), max_size=2),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=st.lists(_member, min_size=1, max_size=8),
    fmt=st.sampled_from([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT]),
    global_pax=st.booleans(),
)
def test_same_members_as_tarfile(members: list, fmt: int, global_pax: bool) -> None:
    out = io.BytesIO()
    extra = {"pax_headers": {"comment": "global ü"}} if global_pax and fmt == tarfile.PAX_FORMAT else {}
    try:
        with tarfile.open(fileobj=out, mode="w", format=fmt, **extra) as archive:
            for name, kind, data, pax in members:
                info = tarfile.TarInfo(name)
                if fmt == tarfile.PAX_FORMAT and "mtime" not in pax:
                    info.pax_headers = pax
                if kind == "file":
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
                    continue
                info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                             "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE}[kind]
                info.linkname = name[::-1] if "link" in kind else ""
                archive.addfile(info)
    except ValueError:  # ustar cannot hold this name
        assume(False)
    blob = out.getvalue()
    rows, stop = scan(blob)
    assert rows == reference(blob)
    assert stop is None


@settings(max_examples=80, deadline=None)
@given(cut=st.integers(1, 8000), flip=st.integers(0, 8000))
def test_damaged_archive_stops_where_tarfile_stops(cut: int, flip: int) -> None:
    tree = {"a.log": b"a" * 700, "b" * 120 + ".log": b"b\n", "c.log": b"c" * 1300}
    blob = bytearray(packing.tar_bytes(tree, tarfile.GNU_FORMAT))
    blob[flip % len(blob)] ^= 0x20
    blob = blob[:cut]
    assume(blob[:512].strip(b"\0"))
    ours: list[tuple[str, int]] = []
    theirs: list[tuple[str, int]] = []
    reader = TarScan(io.BytesIO(bytes(blob)), CAP)
    try:
        while (entry := reader.next()) is not None:
            ours.append((entry.name, entry.size))
    except (TarError, EOFError):
        pass
    try:
        with tarfile.open(fileobj=io.BytesIO(bytes(blob)), mode="r|") as archive:
            theirs.extend((info.name, info.size) for info in archive)
    except tarfile.TarError:
        pass
    assert ours == theirs


# -- extended headers ------------------------------------------------------------------------


def test_gnu_long_names_and_links() -> None:
    name, target = "var/log/" + "d" * 150 + "/waagent.log", "t" * 130
    blob = packing.hostile_tar(
        [packing.Entry(name, data=b"long\n"), packing.Entry("link", tarfile.SYMTYPE, link=target)]
    )
    assert b"././@LongLink" in blob  # the names really went into L and K headers
    rows, stop = scan(blob)
    assert rows == [(name, "", b"0", 5, b"long\n"), ("link", target, b"2", 0, None)]
    assert stop is None


def test_pax_names_sizes_and_charset() -> None:
    name = "var/log/" + "p" * 200 + "/ünïcode.log"
    blob = packing.tar_bytes({name: b"pax\n"}, tarfile.PAX_FORMAT)
    assert scan(blob) == ([(name, "", b"0", 4, b"pax\n")], None)
    # A pax "size" record overrides the header's size field, for the data and the next header.
    records = b"".join(_record(k, v) for k, v in ((b"path", b"renamed.log"), (b"size", b"3")))
    forged = (
        checksummed(header("././@PaxHeader", len(records), tarfile.XHDTYPE)) + padded(records)
        + checksummed(header("orig.log", 999)) + padded(b"abc")
        + checksummed(header("next.log", 2)) + padded(b"ok") + END
    )
    assert scan(forged) == ([("renamed.log", "", b"0", 3, b"abc"), ("next.log", "", b"0", 2, b"ok")], None)
    assert scan(forged)[0] == reference(forged)


def _record(key: bytes, value: bytes) -> bytes:
    """One pax record, ``"%d %s=%s\\n"``, whose length counts its own digits."""
    body = b" %s=%s\n" % (key, value)
    length = len(body) + 1
    while length != len(body) + len(str(length)):
        length = len(body) + len(str(length))
    return b"%d" % length + body


def test_first_header_of_a_chain_wins_like_tarfile() -> None:
    path = _record(b"path", b"from-pax.log")
    chain = (
        checksummed(header("././@LongLink", 13, tarfile.GNUTYPE_LONGNAME)) + padded(b"from-gnu.log\0")
        + checksummed(header("././@PaxHeader", len(path), tarfile.XHDTYPE)) + padded(path)
        + checksummed(header("plain.log", 1)) + padded(b"x") + END
    )
    assert scan(chain)[0] == reference(chain) == [("from-gnu.log", "", b"0", 1, b"x")]


def test_global_pax_records_apply_to_every_later_member() -> None:
    records = _record(b"path", b"global.log") + _record(b"comment", b"c")
    blob = (
        checksummed(header("././@PaxHeader", len(records), tarfile.XGLTYPE)) + padded(records)
        + checksummed(header("a.log", 1)) + padded(b"a") + checksummed(header("b.log", 1)) + padded(b"b") + END
    )
    assert scan(blob)[0] == reference(blob) == [("global.log", "", b"0", 1, b"a"), ("global.log", "", b"0", 1, b"b")]


def test_only_regular_and_unknown_types_have_data() -> None:
    # tarfile skips data only after regular and unknown types: a symlink's size is not followed.
    symlink = header("link", 600, tarfile.SYMTYPE)
    blob = (
        checksummed(symlink) + checksummed(header("a.log", 1)) + padded(b"a")
        + checksummed(header("vol", 5, b"V")) + padded(b"vvvvv") + checksummed(header("b.log", 1)) + padded(b"b")
        + END
    )
    assert scan(blob)[0] == reference(blob) == [
        ("link", "", b"2", 600, None), ("a.log", "", b"0", 1, b"a"), ("vol", "", b"V", 5, None),
        ("b.log", "", b"0", 1, b"b"),
    ]


def test_oversized_extended_header_is_refused() -> None:
    huge = checksummed(header("././@LongLink", 2 * CAP, tarfile.GNUTYPE_LONGNAME))
    first = checksummed(header("ok.log", 3)) + padded(b"ok\n")
    assert scan(first + huge + bytes(4096)) == (
        [("ok.log", "", b"0", 3, b"ok\n")], f"corrupt: extended header of {2 * CAP} bytes"
    )
    with pytest.raises(TarError, match="extended header of"):
        scan(huge)


# -- damage ----------------------------------------------------------------------------------


def test_truncated_header() -> None:
    blob = packing.tar_bytes({"a.log": b"a\n", "b.log": b"b\n"})
    assert scan(blob[: 1024 + 300]) == ([("a.log", "", b"0", 2, b"a\n")], (
        "truncated: archive ends inside a member header"
    ))
    assert scan(blob[:2048]) == (
        [("a.log", "", b"0", 2, b"a\n"), ("b.log", "", b"0", 2, b"b\n")],
        "truncated: archive ends without its end-of-archive block",
    )
    with pytest.raises(TarError, match="truncated header"):
        scan(blob[:300])


@pytest.mark.parametrize("field", [0, 100, 124, 148])  # name, mode, size, checksum
def test_bad_checksum(field: int) -> None:
    blob = bytearray(packing.tar_bytes({"a.log": b"a\n", "b.log": b"b\n"}))
    blob[1024 + field] ^= 0x01
    assert scan(bytes(blob)) == ([("a.log", "", b"0", 2, b"a\n")], "corrupt: bad checksum")
    with pytest.raises(TarError, match="^bad checksum$"):
        scan(bytes(blob[1024:]))  # tarfile.open refuses a bad first header outright


def test_bad_number_field_is_an_invalid_header() -> None:
    block = header("a.log", 2)
    block[100:108] = b"9999999\0"  # not octal
    blob = checksummed(header("ok.log")) + checksummed(block) + padded(b"a\n") + END
    assert scan(blob) == ([("ok.log", "", b"0", 0, b"")], "corrupt: invalid header")


def test_damage_after_a_long_name_is_fatal() -> None:
    blob = checksummed(header("././@LongLink", 9, tarfile.GNUTYPE_LONGNAME)) + padded(b"long.log\0")
    with pytest.raises(TarError, match="^empty header$"):  # tarfile's SubsequentHeaderError
        scan(checksummed(header("ok.log")) + blob)


def test_member_cut_short() -> None:
    blob = packing.tar_bytes({"a.log": b"a" * 5000, "b.log": b"b\n"})[:512 + 3000]
    reader = TarScan(io.BytesIO(blob), CAP)
    entry = reader.next()
    assert entry is not None
    member = reader.open(entry)
    got = b""
    with pytest.raises(EOFError, match="unexpected end of data"):
        while piece := member.read(1000):
            got += piece
    assert got == b"a" * 3000  # everything readable came out before the error
    with pytest.raises(TarError, match="unexpected end of data"):
        reader.next()


def test_unread_member_is_skipped_and_a_stale_one_refuses() -> None:
    blob = packing.tar_bytes({"a.log": b"a" * 3000, "b.log": b"b" * 10, "c.log": b"c"})
    reader = TarScan(io.BytesIO(blob), CAP)
    first = reader.open(reader.next())  # type: ignore[arg-type]
    assert first.read(10) == b"a" * 10
    second = reader.next()
    assert second is not None and second.name == "b.log"
    with pytest.raises(TarError, match="moved on"):
        first.read(10)
    member = reader.open(second)
    assert member.read() == b"b" * 10
    assert reader.next() is not None and member.read() == b""  # read to the end: stays at its end


def test_one_zero_block_ends_the_archive() -> None:
    blob = checksummed(header("a.log", 2)) + padded(b"a\n") + bytes(512) + b"garbage" * 100
    assert scan(blob) == ([("a.log", "", b"0", 2, b"a\n")], None)


def test_base256_and_negative_sizes() -> None:
    block = header("big.log")
    block[124:136] = b"\x80" + (5).to_bytes(11, "big")  # GNU base-256 number
    blob = checksummed(block) + padded(b"12345") + END
    assert scan(blob) == ([("big.log", "", b"0", 5, b"12345")], None)
    assert reference(blob) == scan(blob)[0]
    block[124:136] = b"\xff" + (256**11 - 1024).to_bytes(11, "big")  # -1024: the next header "before" it
    with pytest.raises(TarError, match="runs past the next header"):
        scan(checksummed(header("ok.log")) + checksummed(block) + END)


def test_v7_directory_and_ustar_prefix() -> None:
    v7 = header("old/dir/", kind=tarfile.AREGTYPE)
    prefixed = header("file.log", 2)
    prefixed[345:345 + 9] = b"some/root"
    blob = checksummed(v7) + checksummed(prefixed) + padded(b"p\n") + END
    assert scan(blob)[0] == reference(blob) == [
        ("old/dir", "", b"5", 0, None), ("some/root/file.log", "", b"0", 2, b"p\n")
    ]


# -- sparse members --------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["gnu", "0.0", "0.1", "1.0"])
def test_sparse_members_are_flagged_and_skipped(tmp_path: Path, layout: str) -> None:
    gnu_tar = shutil.which("tar")
    if gnu_tar is None:
        pytest.skip("needs GNU tar to write sparse members")
    root = tmp_path / "t"
    root.mkdir()
    with (root / "sparse.log").open("wb") as f:
        f.truncate(4 * 1024 * 1024)
        f.write(b"tail\n")
    (root / "plain.log").write_bytes(b"plain\n")
    flags = ["--format=gnu"] if layout == "gnu" else ["--format=posix", f"--sparse-version={layout}"]
    out = tmp_path / "sparse.tar"
    made = subprocess.run([gnu_tar, "--sparse", *flags, "-cf", str(out), "-C", str(root),
                           "sparse.log", "plain.log"], capture_output=True)
    if made.returncode:
        pytest.skip(f"tar cannot write this layout: {made.stderr!r}")
    blob = out.read_bytes()
    with tarfile.open(fileobj=io.BytesIO(blob)) as archive:
        if not archive.getmember("sparse.log").issparse():
            pytest.skip("the file system reported no holes")
    reader = TarScan(io.BytesIO(blob), CAP)
    entry = reader.next()
    assert entry is not None and entry.name == "sparse.log" and entry.sparse
    after = reader.next()
    assert after is not None and after.name == "plain.log" and not after.sparse
    assert reader.open(after).read() == b"plain\n"
    members = []
    skipped = []
    with open_source(io.BytesIO(blob)) as bundle:
        for item in bundle:
            if isinstance(item, Skipped):
                skipped.append(item)
            else:
                members.append((item[0].path, item[1].read()))
    assert skipped == [Skipped("sparse.log", "sparse file")]
    assert members == [("plain.log", b"plain\n")]


# -- large blocks ----------------------------------------------------------------------------


class _Blocks(io.RawIOBase):
    """A stream that serves prepared blocks and remembers each one it handed out."""

    def __init__(self, blob: bytes, size: int) -> None:
        self._data = io.BytesIO(blob)
        self._size = size
        self.served: list[bytes] = []

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        block = self._data.read(min(size, self._size))
        self.served.append(block)
        return block


def test_member_data_is_handed_on_without_copies() -> None:
    data = os.urandom(3 * 1024 * 1024)
    stream = _Blocks(packing.tar_bytes({"big.log": data}), 1 << 20)
    reader = TarScan(stream, CAP)  # type: ignore[arg-type]
    member = reader.open(reader.next())  # type: ignore[arg-type]
    blocks = []
    while block := member.read1(1 << 20):
        blocks.append(block)
    assert b"".join(blocks) == data
    # Past the first buffer (header and the start of the data), blocks are the stream's own objects.
    direct = [block for block in blocks if any(block is served for served in stream.served)]
    assert len(direct) >= 2 and all(len(block) == 1 << 20 for block in direct[:-1])


def test_tar_gz_member_reads_return_large_blocks() -> None:
    data = b"2024-05-01T10:20:00.000000Z INFO ExtHandler some line of a log\n" * 60_000  # ~3.8 MB
    blob = packing.compress(packing.tar_bytes({"var/log/waagent.log": data}), "gz")
    sizes = []
    with open_source(io.BytesIO(blob)) as bundle:
        for item in bundle:
            assert not isinstance(item, Skipped)
            stream = item[1]
            assert stream.peek(4096)  # type: ignore[attr-defined]
            while block := stream.read1(1 << 20):  # type: ignore[attr-defined]
                sizes.append(len(block))
    assert sum(sizes) == len(data)
    assert len(sizes) <= 6 and sizes.count(1 << 20) >= 2


# -- after the end-of-archive block ------------------------------------------------------------


def test_rest_reads_zero_padding_and_stops_at_other_data() -> None:
    blob = packing.tar_bytes({"a.log": b"a\n"})
    reader = TarScan(io.BytesIO(blob + bytes(5000)), CAP)
    assert reader.next() is not None and reader.next() is None
    assert reader.rest() is None
    reader = TarScan(io.BytesIO(blob + b"\0\0junk"), CAP)
    assert reader.next() is not None and reader.next() is None
    assert reader.rest() == len(blob) + 2


class _Meter:
    count = 1100  # compressed bytes: 220 KB at 200:1


def test_headers_and_skipped_data_are_judged_for_their_ratio() -> None:
    # Big pax headers are no member's bytes: all together, they are judged against the compressed size.
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for i in range(3):
            info = tarfile.TarInfo(f"{i}.log")
            info.pax_headers = {"comment": "x" * 200_000}
            tar.addfile(info, io.BytesIO(b""))
    reader = TarScan(io.BytesIO(out.getvalue()), CAP, (_Meter(), 200.0, 100_000))
    assert reader.next() is not None  # 202 KB of header, 220 KB allowed
    with pytest.raises(TarError, match="compression ratio above 200 in tar headers"):
        reader.next()
    reader = TarScan(io.BytesIO(out.getvalue()), CAP, (_Meter(), 200.0, 10**9))  # within the grace
    assert [reader.next() is not None for _ in range(3)] == [True] * 3
