"""sources: the same tree in every container, rotation order, collector layouts, hostile inputs."""

from __future__ import annotations

import builtins
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path
from typing import BinaryIO, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logparse import _streams
from logparse.errors import SourceError
from logparse.sources import (
    Limits,
    MemberInfo,
    Skipped,
    normalise,
    open_source,
    parse_size,
    rotation_key,
)
from tests import packing
from tests.packing import KINDS, Entry

TREE: packing.Tree = {
    "var/log/waagent.log": b"2024-05-01T10:20:00.000000Z INFO ExtHandler ExtHandler live\n",
    "var/log/waagent.log.1.gz": packing.compress(b"2024/04/01 10:20:00.000000 INFO rotated one\n", "gz"),
    "var/log/waagent.log.2.gz": packing.compress(b"2024/03/01 10:20:00.000000 INFO rotated two\n", "gz"),
    "var/log/waagent.log-2024-04-20-1713607200.gz": packing.compress(b"dated\n", "gz"),
    "var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log": b"2024-05-01 x\r\ny\n",
    "var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/shell.log.zst": packing.compress(
        b"Wed May  1 10:20:00 UTC 2024- shell\n", "zst"
    ),
    "var/lib/waagent/waagent_status.json": b'{"a": 1}',
    "etc/waagent.conf": b"Extensions.Enabled=n\n",
    "empty.log": b"",
}
# What a reader sees: compressed members come out decompressed.
DECODED = {
    "var/log/waagent.log.1.gz": b"2024/04/01 10:20:00.000000 INFO rotated one\n",
    "var/log/waagent.log.2.gz": b"2024/03/01 10:20:00.000000 INFO rotated two\n",
    "var/log/waagent.log-2024-04-20-1713607200.gz": b"dated\n",
    "var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/shell.log.zst": (
        b"Wed May  1 10:20:00 UTC 2024- shell\n"
    ),
}


def collect(src, limits: Limits | None = None):
    """(members as (info, bytes or the SourceError text), skipped, warnings)."""
    members: list[tuple[MemberInfo, bytes | str]] = []
    skipped: list[Skipped] = []
    with open_source(src, limits) as bundle:
        for item in bundle:
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            info, stream = item
            try:
                members.append((info, stream.read()))
            except SourceError as exc:
                members.append((info, f"error: {exc}"))
        return members, skipped, bundle.warnings


def contents(src, limits: Limits | None = None) -> dict[str, bytes | str]:
    members, skipped, warnings = collect(src, limits)
    assert not skipped and not warnings, (skipped, warnings)
    return {info.path: data for info, data in members}


def expected(tree: packing.Tree) -> dict[str, bytes]:
    return {name: DECODED.get(name, data) for name, data in tree.items()}


@pytest.fixture
def tree_dir(tmp_path: Path) -> Path:
    return packing.write_tree(tmp_path / "tree", TREE)


# -- same members in every container ------------------------------------------------------


def test_directory_members(tree_dir: Path) -> None:
    assert contents(tree_dir) == expected(TREE)


@pytest.mark.parametrize("kind", KINDS)
def test_every_container_gives_the_same_members(tmp_path: Path, tree_dir: Path, kind: str) -> None:
    blob = packing.pack(TREE, kind)
    path = tmp_path / f"bundle.{kind}"
    path.write_bytes(blob)
    assert contents(path) == contents(tree_dir) == expected(TREE)
    # The same bytes as a non-seekable stream (stdin): tar streamed, zip spooled.
    assert contents(io.BufferedReader(_Pipe(blob))) == expected(TREE)


def test_container_kinds_are_found_by_magic_not_name(tmp_path: Path) -> None:
    path = tmp_path / "bundle.txt"  # a tar.xz under a misleading name
    path.write_bytes(packing.pack(TREE, "tar.xz"))
    members, _, _ = collect(path)
    assert {info.container for info, _ in members} == {"tar"}
    assert len(members) == len(TREE)


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, like stdin."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(min(len(buffer), 1000))  # short reads, as from a pipe
        buffer[: len(chunk)] = chunk
        return len(chunk)


_names = st.text("abcdefgh-_", min_size=1, max_size=6)
_trees = st.dictionaries(
    st.builds(lambda dirs, name: "/".join([*dirs, name + ".log"]), st.lists(_names, max_size=3), _names),
    st.binary(max_size=300).map(lambda b: bytes(c % 95 + 32 if c != 10 else 10 for c in b)),
    min_size=1,  # an empty tar is 10 KiB of zeros, which is read as a file of zeros
    max_size=6,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_trees)
def test_random_tree_is_the_same_in_every_container(tree: packing.Tree) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = packing.write_tree(Path(tmp) / "t", tree)
        root.mkdir(exist_ok=True)
        want = dict(tree)
        assert contents(root) == want
        for kind in KINDS:
            assert contents(io.BytesIO(packing.pack(tree, kind))) == want, kind


def test_stdin_dash_in_a_subprocess(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from logparse.sources import open_source, Skipped\n"
        "with open_source('-') as b:\n"
        "    for item in b:\n"
        "        info, stream = item\n"
        "        print(info.path, info.container, len(stream.read()))\n"
    )
    blob = packing.pack(TREE, "tar.gz")
    done = subprocess.run([sys.executable, "-c", script], input=blob, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = sorted(done.stdout.decode().splitlines())
    assert lines == sorted(f"{name} tar {len(data)}" for name, data in expected(TREE).items())


def test_empty_stdin_is_an_error() -> None:
    script = "from logparse.sources import open_source\nopen_source('-')\n"
    done = subprocess.run(
        [sys.executable, "-c", script], stdin=subprocess.DEVNULL, capture_output=True, timeout=60
    )
    assert done.returncode == 1
    assert b"SourceError: <stdin>: empty input" in done.stderr
    with pytest.raises(SourceError, match="empty input"):
        open_source(io.BytesIO(b""))


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        open_source(tmp_path / "nope.tar.gz")


# -- order and names ----------------------------------------------------------------------


def test_rotations_come_oldest_first_from_dir_and_zip(tmp_path: Path) -> None:
    tree = {
        "var/log/waagent.log": b"live\n",
        "var/log/waagent.log-2024-05-01-1714567890.gz": packing.compress(b"d2\n", "gz"),
        "var/log/waagent.log-2024-04-01-1711965600.gz": packing.compress(b"d1\n", "gz"),
        "var/log/waagent.log.1": b"n1\n",
        "var/log/waagent.log.6.gz": packing.compress(b"n6\n", "gz"),
        "var/log/waagent.log.10.gz": packing.compress(b"n10\n", "gz"),
    }
    want = [b"n10\n", b"n6\n", b"n1\n", b"d1\n", b"d2\n", b"live\n"]
    root = packing.write_tree(tmp_path / "t", tree)
    for src in (root, io.BytesIO(packing.pack(tree, "zip"))):
        members, _, _ = collect(src)
        assert [data for _, data in members] == want
    # A streamed tar keeps archive order, but its rotation keys sort the same way.
    members, _, _ = collect(io.BytesIO(packing.pack(tree, "tar.gz")))
    ordered = sorted(members, key=lambda m: m[0].rotation)
    assert [data for _, data in ordered] == want


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("var/log/waagent.log", ("var/log/waagent.log", 2, 0, 0)),
        ("var/log/waagent.log.3.gz", ("var/log/waagent.log", 0, -3, 0)),
        ("var/log/waagent.log-2024-05-01-1714567890.gz", ("var/log/waagent.log", 1, 20240501, 1714567890)),
        ("var/log/messages-20240501", ("var/log/messages", 1, 20240501, 0)),
        ("var/log/syslog.1", ("var/log/syslog", 0, -1, 0)),
        # A version number is not a rotation.
        ("var/lib/waagent/Microsoft.CPlat.Core.RunCommandLinux-1.0.5", (
            "var/lib/waagent/Microsoft.CPlat.Core.RunCommandLinux-1.0.5", 2, 0, 0)),
    ],
)
def test_rotation_key(path: str, key: tuple) -> None:
    assert rotation_key(path) == key


@pytest.mark.parametrize(
    ("name", "result"),
    [
        ("./var/log/waagent.log", ("var/log/waagent.log", None)),
        ("C:\\WindowsAzure\\Logs\\WaAppAgent.log", ("WindowsAzure/Logs/WaAppAgent.log", None)),
        ("Packages\\Plugins\\X\\1.0\\Status\\0.status", ("Packages/Plugins/X/1.0/Status/0.status", None)),
        ("/etc/passwd", (None, "absolute path")),
        ("\\\\server\\share\\x", (None, "absolute path")),
        ("../../etc/passwd", (None, "path traversal")),
        ("var/log/../../../etc/shadow", (None, "path traversal")),
        ("C:..\\x", (None, "path traversal")),
    ],
)
def test_normalise(name: str, result: tuple) -> None:
    assert normalise(name) == result


def test_plain_text_file_is_one_member(tmp_path: Path) -> None:
    ticket = tmp_path / "ticket.txt"
    ticket.write_bytes("Error code: UserErrorGuestAgentStatusUnavailable\r\n备份失败\n".encode())
    members, skipped, warnings = collect(ticket)
    assert not skipped and not warnings
    [(info, data)] = members
    assert info.container == "file" and info.path.endswith("/ticket.txt") and not info.path.startswith("/")
    assert info.size == len(data) and data == ticket.read_bytes()


def test_single_gz_and_zst_files(tmp_path: Path) -> None:
    for kind in ("gz", "zst", "bz2", "xz"):
        path = tmp_path / f"waagent.log.1.{kind}"
        path.write_bytes(packing.compress(b"line\n", kind))
        [(info, data)], _, _ = collect(path)
        assert (info.container, data, info.size) == (kind, b"line\n", None)
        assert info.path.endswith(f"waagent.log.1.{kind}")
    # A ".gz" that is really plain text is plain text.
    fake = tmp_path / "waagent.log.2.gz"
    fake.write_bytes(b"plain\n")
    [(info, data)], _, _ = collect(fake)
    assert (info.container, data) == ("file", b"plain\n")


@pytest.mark.parametrize("name", ["bundle.tar.gz", "bundle.zip", "bundle.tgz", "bundle.tar"])
def test_a_page_saved_under_an_archive_name_is_no_bundle(tmp_path: Path, name: str) -> None:
    # A failed download (an HTML error page) read as a text file passed for a healthy bundle.
    path = tmp_path / name
    path.write_bytes(b"<html><body>403 Forbidden</body></html>\n")
    with pytest.raises(SourceError, match="named like an archive but is not"):
        collect(path)


def test_random_bytes_under_an_archive_name_are_shown_as_hex(tmp_path: Path) -> None:
    # Decoded as text they printed replacement marks and stray letters of other scripts.
    path = tmp_path / "bundle.tgz"
    path.write_bytes(bytes([0xB7, 0x91, 0x03, 0x10, 0xE1, 0x83, 0x90]) + bytes(range(128, 256)))
    with pytest.raises(SourceError) as caught:
        collect(path)
    assert str(caught.value).endswith("but is not (starts bytes b7 91 03 10 e1 83 90 80 81 82 83 84 85 86 87 88)")
    assert "\ufffd" not in str(caught.value)


def test_a_page_saved_under_a_compressed_name_is_no_log(tmp_path: Path) -> None:
    page = tmp_path / "waagent.log.1.gz"
    page.write_bytes(b"<!DOCTYPE html><html><body>Sign in</body></html>\n")
    with pytest.raises(SourceError, match="named like compressed data but is not"):
        collect(page)
    tree = packing.write_tree(tmp_path / "t", {"var/log/waagent.log.1.gz": page.read_bytes(),
                                                "var/log/waagent.log": b"ok\n"})
    members, skipped, _ = collect(tree)  # inside a bundle: skipped with its reason, the rest read
    reason = "a web page saved under a compressed file's name, not a log"
    assert skipped == [Skipped("var/log/waagent.log.1.gz", reason)]
    assert [(info.path, data) for info, data in members] == [("var/log/waagent.log", b"ok\n")]
    text = tmp_path / "waagent.log.2.gz"  # a rotated log left uncompressed stays a log
    text.write_bytes(b"2024-05-01T10:00:00.000000Z INFO Daemon Daemon started\n")
    [(info, data)], _, _ = collect(text)
    assert data.startswith(b"2024-05-01")


def test_plain_and_compressed_stdin_streams() -> None:
    for data in (b"plain\n", packing.compress(b"plain\n", "gz"), packing.compress(b"plain\n", "zst")):
        [(info, got)], _, warnings = collect(io.BufferedReader(_Pipe(data)))
        assert (info.path, info.container, got, warnings) == ("<stream>", "stdin", b"plain\n", [])


def test_compression_layers_are_capped() -> None:
    data = b"x\n"
    for _ in range(3):
        data = packing.compress(data, "gz")
    [(_info, got)], _, _ = collect(io.BytesIO(data))
    assert got == b"x\n"
    members, skipped, _ = collect(io.BytesIO(packing.compress(data, "gz")))
    assert not members and skipped == [Skipped("<stream>", "compressed more than 3 times over")]


@pytest.mark.parametrize(
    ("text", "size"),
    [("1048576", 1 << 20), ("500M", 500 << 20), ("2G", 2 << 30), ("1.5GiB", 3 << 29), ("10 kb", 10240)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_parse_size_rejects_junk() -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size("lots")


def test_nested_archives_join_paths_with_bang(tmp_path: Path) -> None:
    history = packing.zip_bytes({"GoalState.1.xml": b"<GoalState/>"})
    logs = packing.zip_bytes({"var/log/waagent.log": b"inner\n", "var/lib/waagent/history/h.zip": history})
    outer = packing.pack({"logs.zip": logs, "notes.txt": b"n\n"}, "tar.gz")
    got = contents(io.BytesIO(outer))
    assert got == {
        "logs.zip!/var/log/waagent.log": b"inner\n",
        "logs.zip!/var/lib/waagent/history/h.zip!/GoalState.1.xml": b"<GoalState/>",
        "notes.txt": b"n\n",
    }
    members, skipped, _ = collect(io.BytesIO(outer), Limits(max_depth=1))
    nested = "logs.zip!/var/lib/waagent/history/h.zip"
    assert skipped == [Skipped(nested, "nested archive deeper than 1 levels")]
    assert {info.path for info, _ in members} == {"logs.zip!/var/log/waagent.log", "notes.txt"}


def test_zip_inside_a_streamed_tar_is_spooled_and_deleted(sandbox: Path, monkeypatch) -> None:
    spool_dir = Path(tempfile.tempdir or "")
    monkeypatch.setattr(_streams, "SPOOL_IN_MEMORY", 16)  # force the spool onto disk
    inner = packing.zip_bytes({"a.log": b"a\n" * 1000, "b.log": b"b\n"})
    outer = packing.pack({"logs.zip": inner}, "tar")
    seen = []
    with open_source(io.BufferedReader(_Pipe(outer))) as bundle:
        for item in bundle:
            info, stream = item
            seen.append((info.path, len(stream.read())))
            assert list(spool_dir.iterdir()) == []  # an unlinked temp file: nothing to leave behind
    assert seen == [("logs.zip!/a.log", 2000), ("logs.zip!/b.log", 2)]
    assert list(spool_dir.iterdir()) == []


# -- collector layouts --------------------------------------------------------------------


def test_waagent_collect_logs_zip(tmp_path: Path) -> None:
    logs = packing.zip_bytes(
        {
            "results.txt": b"2024-05-01T10:20:00Z INFO Using log collection mode normal\n",
            "var/log/waagent.log": b"w\n",
            "truncated__var_log_syslog.1": b"tail of syslog\n",
            "truncated__var_log_azure_Microsoft.Azure.RecoveryServices.VMSnapshotLinux_extension.log": b"e",
            "truncated__var_log_azure_Microsoft.OSTCExtensions.VMAccessForLinux_1.4.7.1_extension.log": b"v",
        }
    )
    members, _, _ = collect(io.BytesIO(logs))
    by_path = {info.path: info for info, _ in members}
    assert not by_path["var/log/waagent.log"].truncated
    syslog = by_path["var/log/syslog.1"]
    assert syslog.truncated and "truncated__var_log_syslog.1" in (syslog.truncated_reason or "")
    assert syslog.rotation == ("var/log/syslog", 0, -1, 0)
    assert by_path["var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log"].truncated
    assert "var/log/azure/Microsoft.OSTCExtensions.VMAccessForLinux/1.4.7.1/extension.log" in by_path


def test_size_at_a_collector_cap_is_flagged(tmp_path: Path) -> None:
    root = tmp_path / "t"
    (root / "var/log").mkdir(parents=True)
    with (root / "var/log/syslog").open("wb") as f:
        f.truncate(30 * 1024 * 1024)  # sparse: no 30 MiB write needed
    (root / "var/log/messages").write_bytes(b"m\n")
    members, _, _ = collect(root)
    flags = {info.path: (info.truncated, info.truncated_reason) for info, _ in members}
    assert flags["var/log/messages"] == (False, None)
    assert flags["var/log/syslog"][0] and "30 MiB" in flags["var/log/syslog"][1]


def test_sosreport_layout(tmp_path: Path) -> None:
    top = "sosreport-vm1-2024-05-01-abcdef"
    blob = packing.compress(
        packing.hostile_tar(
            [
                Entry(f"{top}/var/log/waagent.log", tarfile.SYMTYPE,
                      link="../../sos_strings/azure/var.log.waagent.log.tailed"),
                Entry(f"{top}/sos_strings/azure/var.log.waagent.log.tailed", data=b"tail\n"),
                Entry(f"{top}/var/log/waagent.log.1", data=b"one\n"),
                Entry(f"{top}/sos_commands/azure/instance_metadata.json", data=b"{}"),
                Entry(f"{top}/sos_strings/azure/"
                      "var.log.azure.Microsoft.Azure.RecoveryServices.VMSnapshotLinux.extension.log.tailed",
                      data=b"e\n"),
            ]
        ),
        "xz",
    )
    members, skipped, warnings = collect(io.BytesIO(blob))
    assert not warnings
    assert skipped == [Skipped(f"{top}/var/log/waagent.log", "symlink")]
    by_path = {info.path: (info.truncated, data) for info, data in members}
    assert by_path == {
        f"{top}/var/log/waagent.log": (True, b"tail\n"),
        f"{top}/var/log/waagent.log.1": (False, b"one\n"),
        f"{top}/sos_commands/azure/instance_metadata.json": (False, b"{}"),
        f"{top}/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log": (True, b"e\n"),
    }


def test_windows_tree_zip() -> None:
    blob = packing.zip_bytes(
        {
            "C:\\WindowsAzure\\Logs\\WaAppAgent.log": b"[00000004] 2024-04-17T07:19:26.812Z [INFO]  x\r\n",
            "C:\\Packages\\Plugins\\Microsoft.Azure.RecoveryServices.VMSnapshot\\1.0\\Status\\0.status": b"",
            "WindowsAzure/Logs/Plugins/Microsoft.Azure.RecoveryServices.VMSnapshot/1.0/IaaSBcdr.log": b"i",
        }
    )
    assert set(contents(io.BytesIO(blob))) == {
        "C:/WindowsAzure/Logs/WaAppAgent.log",
        "C:/Packages/Plugins/Microsoft.Azure.RecoveryServices.VMSnapshot/1.0/Status/0.status",
        "WindowsAzure/Logs/Plugins/Microsoft.Azure.RecoveryServices.VMSnapshot/1.0/IaaSBcdr.log",
    }


WAAPPAGENT = b"[00000004] 2024-04-17T07:19:26.812Z [INFO]  WindowsAzureGuestAgent starting. Version 2.7.41491.1102\r\n"


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "zip", "zip without directory"])
def test_a_member_named_with_a_windows_drive_keeps_it(kind: str) -> None:
    tree = {
        "C:\\WindowsAzure\\Logs\\WaAppAgent.log": WAAPPAGENT,
        "WindowsAzure/Logs/WaAppAgent.log": WAAPPAGENT.replace(b"[INFO]", b"[WARN]"),  # another file: no clash
        "c:/Packages/Plugins/x/1.0/Status/0.status": b"{}",
    }
    if kind == "zip without directory":
        blob = packing.zip_bytes(tree)
        blob = blob[: blob.find(b"PK\x01\x02")]
    else:
        blob = packing.pack(tree, kind)
    got = contents(io.BytesIO(blob)) if kind != "zip without directory" else {
        path: data for path, data, _ in read_members(io.BytesIO(blob))[0]}
    assert got == {
        "C:/WindowsAzure/Logs/WaAppAgent.log": tree["C:\\WindowsAzure\\Logs\\WaAppAgent.log"],
        "WindowsAzure/Logs/WaAppAgent.log": tree["WindowsAzure/Logs/WaAppAgent.log"],
        "C:/Packages/Plugins/x/1.0/Status/0.status": b"{}",  # one spelling per drive
    }


def test_a_windows_drive_never_lets_a_tar_member_out() -> None:
    blob = packing.hostile_tar([
        Entry("C:\\..\\..\\etc\\passwd", data=b"x\n"),
        Entry("C:\\\\server\\share\\x.log", data=b"x\n"),
        Entry("C:/../x.log", data=b"x\n"),
        Entry("C:\\a.log", data=b"a\n"),
        Entry("C:/a.log", data=b"b\n"),  # the same Windows path: read, with the duplicate named
        Entry("c:/a.log", data=b"c\n"),  # and so is this: Windows ignores a drive's case
        Entry("C:/C:/x.log", data=b"x\n"),  # a root inside a root
    ])
    members, skipped, warnings = collect(io.BytesIO(blob))
    assert [(item.path, item.reason) for item in skipped] == [
        ("C:\\..\\..\\etc\\passwd", "path traversal"),
        ("C:\\\\server\\share\\x.log", "absolute path"),
        ("C:/../x.log", "path traversal"),
        ("C:/C:/x.log", "absolute path"),
    ]
    assert [(info.path, data) for info, data in members] == [
        ("C:/a.log", b"a\n"), ("C:/a.log", b"b\n"), ("C:/a.log", b"c\n")]
    assert warnings == ["<stream>: more than one member is named C:/a.log (each read); its file rows and "
                        "evidence lines do not say which"]


def test_a_tar_member_named_with_a_windows_drive_is_read_by_its_windows_path() -> None:
    import logparse

    blob = packing.pack({"C:\\WindowsAzure\\Logs\\WaAppAgent.log": WAAPPAGENT * 3}, "tar.gz")
    result = logparse.triage(io.BytesIO(blob))
    assert [(f.path, f.format, f.status, f.lines) for f in result.files] == [
        ("C:/WindowsAzure/Logs/WaAppAgent.log", "windows_agent", "analyzed", 3)]


# -- hostile inputs -----------------------------------------------------------------------


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch) -> Path:
    """A fresh cwd, and a spy on every file opened for writing: only the temp spool may be."""
    cwd = tmp_path / "deep" / "er" / "cwd"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool_dir))
    written: list[str] = []
    real_os_open, real_open = os.open, builtins.open

    def spy_os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            written.append(os.fspath(path))
        return real_os_open(path, flags, *args, **kwargs)

    def spy_open(file, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wax+"):
            written.append(os.fspath(file) if not isinstance(file, int) else f"fd {file}")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy_os_open)
    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(tarfile, "bltn_open", spy_open)
    yield cwd
    assert all(Path(path).resolve().is_relative_to(spool_dir) for path in written), written


def _listing(*dirs: Path) -> dict[Path, set[str]]:
    return {d: set(os.listdir(d)) for d in dirs}


def test_traversal_and_link_members_in_tar(sandbox: Path) -> None:
    canary = f"logparse-canary-{uuid.uuid4().hex}"
    blob = packing.hostile_tar(
        [
            Entry(f"../../{canary}", data=b"escape\n"),
            Entry(f"/tmp/{canary}", data=b"absolute\n"),
            Entry("var/log/../../../" + canary, data=b"sneaky\n"),
            Entry("link", tarfile.SYMTYPE, link="/etc/passwd"),
            Entry("hard", tarfile.LNKTYPE, link="/etc/shadow"),
            Entry("dev/null", tarfile.CHRTYPE),
            Entry("dev/sda", tarfile.BLKTYPE),
            Entry("pipe", tarfile.FIFOTYPE),
            Entry("var/log/waagent.log", data=b"ok\n"),
        ]
    )
    watched = [sandbox, sandbox.parent, sandbox.parent.parent, Path("/tmp")]
    before = _listing(*watched[:3])
    for src in (io.BytesIO(blob), io.BytesIO(packing.compress(blob, "gz"))):
        members, skipped, warnings = collect(src)
        assert [(info.path, data) for info, data in members] == [("var/log/waagent.log", b"ok\n")]
        assert [s.reason for s in skipped] == [
            "path traversal", "absolute path", "path traversal",
            "symlink", "hardlink", "device", "device", "fifo",
        ]
        assert not warnings
    assert _listing(*watched[:3]) == before
    assert not [p for d in watched for p in d.glob(f"**/{canary}" if d != Path("/tmp") else canary)]


def test_traversal_and_link_members_in_zip(sandbox: Path) -> None:
    canary = f"logparse-canary-{uuid.uuid4().hex}"
    blob = packing.zip_with_modes(
        [
            (f"../../{canary}", b"escape\n", 0o100644),
            (f"/tmp/{canary}", b"absolute\n", 0o100644),
            ("link", b"/etc/passwd", packing.S_IFLNK),
            ("dev", b"", packing.S_IFCHR),
            ("pipe", b"", packing.S_IFIFO),
            ("var/log/waagent.log", b"ok\n", 0o100644),
        ]
    )
    before = _listing(sandbox, sandbox.parent.parent)
    members, skipped, _ = collect(io.BytesIO(blob))
    assert [(info.path, data) for info, data in members] == [("var/log/waagent.log", b"ok\n")]
    reasons = sorted(s.reason for s in skipped)
    assert reasons == ["absolute path", "device", "fifo", "path traversal", "symlink"]
    assert _listing(sandbox, sandbox.parent.parent) == before
    assert not Path("/tmp", canary).exists()


def test_directory_walk_does_not_follow_symlinks(tmp_path: Path) -> None:
    outside = packing.write_tree(tmp_path / "outside", {"secret.log": b"secret\n"})
    root = packing.write_tree(tmp_path / "t", {"var/log/waagent.log": b"ok\n"})
    (root / "var/log/escape").symlink_to(outside)
    (root / "var/log/passwd").symlink_to("/etc/passwd")
    os.mkfifo(root / "fifo")
    members, skipped, _ = collect(root)
    assert [(info.path, data) for info, data in members] == [("var/log/waagent.log", b"ok\n")]
    assert sorted((s.path, s.reason) for s in skipped) == [
        ("fifo", "fifo"), ("var/log/escape", "symlink"), ("var/log/passwd", "symlink"),
    ]


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    return packing.gzip_bomb(tmp_path_factory.mktemp("bomb") / "waagent.log.1.gz")


def test_gzip_bomb_trips_the_ratio_cap_early(bomb: Path) -> None:
    assert bomb.stat().st_size < 2 * 1024 * 1024
    started = time.monotonic()
    [(info, data)], _, _ = collect(bomb)
    assert isinstance(data, str) and "compression ratio above 200" in data and info.path in data
    assert time.monotonic() - started < 5  # stopped after ~10 MB, not 1 GB


def test_gzip_bomb_inside_a_tar_spares_later_members(bomb: Path) -> None:
    tree = {"var/log/waagent.log.1.gz": bomb.read_bytes(), "var/log/waagent.log": b"ok\n"}
    blob = packing.pack(tree, "tar")
    members, _, warnings = collect(io.BytesIO(blob))
    assert [(info.path, isinstance(data, str)) for info, data in members] == [
        ("var/log/waagent.log.1.gz", True), ("var/log/waagent.log", False),
    ]
    assert "compression ratio above 200" in members[0][1]
    assert not warnings


def test_tar_gz_bomb_stops_the_archive_with_a_warning(tmp_path: Path) -> None:
    path = packing.tar_gz_bomb(tmp_path / "bundle.tar.gz", after={"var/log/waagent.log": b"ok\n"})
    members, _, warnings = collect(path)
    assert [info.path for info, _ in members] == ["var/log/zeros.log"]
    assert "compression ratio above 200" in members[0][1]
    assert len(warnings) == 1 and "after member var/log/zeros.log" in warnings[0]
    assert "later members unread" in warnings[0]


def test_one_very_repetitive_log_in_a_tar_gz_fails_alone(tmp_path: Path) -> None:
    # A log of one line repeated (41 MB, ~1000:1) trips the ratio; the rest of it is skipped
    # (it is no bomb: 41 MB), and the members after it are read.
    line = b"2024-05-05T14:06:12.330100Z INFO ExtHandler ExtHandler heartbeat ok\n"
    tree = {"var/log/syslog": line * 600_000, "var/log/waagent.log": b"ok\n"}  # 41 MB: past the grace
    path = tmp_path / "bundle.tar.gz"
    path.write_bytes(packing.pack(tree, "tar.gz"))
    members, _, warnings = collect(path)
    assert [info.path for info, _ in members] == ["var/log/syslog", "var/log/waagent.log"]
    assert "compression ratio above 200" in members[0][1] and members[1][1] == b"ok\n"
    assert not warnings


def test_zip_bomb_member_is_skipped_by_its_header() -> None:
    blob = packing.zip_bytes({"zeros.log": bytes(20 * 1024 * 1024), "ok.log": b"ok\n"})
    members, skipped, _ = collect(io.BytesIO(blob))
    assert skipped == [Skipped("zeros.log", "compression ratio above 200")]
    assert [info.path for info, _ in members] == ["ok.log"]


def test_size_caps(tmp_path: Path) -> None:
    tree = {"a.log": b"a" * 100, "b.log": b"b" * 10, "c.log.gz": packing.compress(b"c" * 100, "gz")}
    limits = Limits(max_member_bytes=50)
    root = packing.write_tree(tmp_path / "t", tree)
    for src in (root, io.BytesIO(packing.pack(tree, "tar")), io.BytesIO(packing.pack(tree, "zip"))):
        members, skipped, _ = collect(src, limits)
        assert skipped == [Skipped("a.log", "exceeds per-member cap of 50 bytes")]
        got = dict((info.path, data) for info, data in members)
        assert got["b.log"] == b"b" * 10
        # The gz member's size is only known while reading it.
        assert got["c.log.gz"] == "error: c.log.gz: exceeds per-member cap of 50 bytes"
    members, skipped, _ = collect(root, Limits(max_total_bytes=105))
    assert [(info.path, data) for info, data in members] == [
        ("a.log", b"a" * 100), ("b.log", "error: b.log: total size cap of 105 bytes reached"),
    ]
    assert skipped == [Skipped("c.log.gz", "total size cap of 105 bytes reached")]


def test_member_count_cap(tmp_path: Path) -> None:
    tree = {f"f{i}.log": b"x" for i in range(5)}
    for src in (packing.write_tree(tmp_path / "t", tree), io.BytesIO(packing.pack(tree, "tar"))):
        members, _, warnings = collect(src, Limits(max_members=3))
        assert len(members) == 3
        assert warnings and "more than 3 members" in warnings[0]


def test_truncated_gzip_keeps_what_was_readable(tmp_path: Path) -> None:
    text = b"".join(b"2024-05-01T10:20:%02d.000000Z INFO line %d\n" % (i % 60, i) for i in range(20000))
    path = tmp_path / "waagent.log.1.gz"
    path.write_bytes(packing.compress(text, "gz")[:-5000])
    [(info, data)], _, _ = collect(path)
    assert isinstance(data, str) and "truncated" in data and info.path in data
    with open_source(path) as bundle:
        for _info, stream in bundle:
            got = b""
            with pytest.raises(SourceError):
                while chunk := stream.read(4096):
                    got += chunk
    assert len(got) > len(text) // 2 and text.startswith(got)


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "tar.zst"])
def test_truncated_tar_names_the_last_member(kind: str) -> None:
    # Members larger than a zstd block (128 KiB), so a cut zstd frame still yields whole blocks.
    tree = {f"var/log/f{i}.log": os.urandom(50_000).hex().encode() for i in range(4)}
    blob = packing.pack(tree, kind)
    members, _, warnings = collect(io.BytesIO(blob[: len(blob) * 2 // 3]))
    assert 1 <= len(members) <= 4
    assert len(warnings) == 1 and f"after member {members[-1][0].path}" in warnings[0]
    assert all(data == tree[info.path] for info, data in members[:-1])
    last_info, last_data = members[-1]
    assert last_data == tree[last_info.path] or (
        last_data.startswith(f"error: {last_info.path}: ") and "truncated" in last_data
    )
    if kind == "tar":  # 512-byte header + 100352 bytes of data per member: 150000 is inside f1's data
        members, _, warnings = collect(io.BytesIO(blob[:150_000]))
        assert [(info.path, data) for info, data in members] == [
            ("var/log/f0.log", tree["var/log/f0.log"]),
            ("var/log/f1.log", "error: var/log/f1.log: truncated: unexpected end of data"),
        ]
        assert warnings == [
            "<stream>: archive cut or corrupt after member var/log/f1.log "
            "(truncated: unexpected end of data); later members unread"
        ]


def test_tar_without_end_blocks_or_with_a_bad_header() -> None:
    tree = {"a.log": b"a\n", "b.log": b"b\n"}
    blob = packing.pack(tree, "tar")
    cut = blob[:2048]  # both members, no end-of-archive blocks
    members, _, warnings = collect(io.BytesIO(cut))
    assert [info.path for info, _ in members] == ["a.log", "b.log"]
    assert warnings == [
        "<stream>: archive cut or corrupt after member b.log (truncated: archive ends without its "
        "end-of-archive block); later members unread"
    ]
    bad = bytearray(blob)
    bad[1024 + 100] ^= 0x55  # the second header's mode field: its checksum no longer matches
    members, _, warnings = collect(io.BytesIO(bytes(bad)))
    assert [info.path for info, _ in members] == ["a.log"]
    assert "after member a.log (corrupt: bad checksum)" in warnings[0]


def test_oversized_pax_header_is_refused() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(tarfile.TarInfo("ok.log"), io.BytesIO(b""))
        info = tarfile.TarInfo("x.log")
        info.pax_headers = {"comment": "x" * (2 * 1024 * 1024)}
        tar.addfile(info, io.BytesIO(b""))
    members, _, warnings = collect(io.BytesIO(out.getvalue()))
    assert [info.path for info, _ in members] == ["ok.log"]
    assert "extended header of" in warnings[0]


@pytest.mark.parametrize("size", [100, 200_000])
def test_zip_with_a_bad_crc_keeps_every_byte_and_says_damaged(size: int) -> None:
    tree = {"a.log": b"a\n", "bad.log": os.urandom(size // 2).hex().encode(), "c.log": b"c\n"}
    blob = packing.zip_bad_crc(tree, "bad.log")
    members, skipped, warnings = read_members(io.BytesIO(blob))
    assert not skipped and not warnings
    got = {name: (data, error) for name, data, error in members}
    assert got["a.log"] == (b"a\n", None) and got["c.log"] == (b"c\n", None)
    data, error = got["bad.log"]
    # One byte flipped, none lost: zipfile dropped the data of the read that met the mismatch.
    assert len(data) == size and sum(a != b for a, b in zip(data, tree["bad.log"], strict=True)) == 1
    assert isinstance(error, _streams.DamagedData) and not error.cut
    assert str(error).startswith("bad.log: damaged: zip CRC-32 mismatch (stored ")
    assert str(error).endswith("): the text may be altered")


def test_zip_walked_without_its_directory_keeps_a_bad_crc_member_and_the_next() -> None:
    tree = {"a.log": b"a\n" * 50, "bad.log": b"b\n" * 50, "c.log": b"c\n" * 50}
    blob = packing.zip_bad_crc(tree, "bad.log")
    cut = blob[: blob.find(b"PK\x01\x02")]  # no central directory: the local headers are walked
    members, _, warnings = read_members(io.BytesIO(cut))
    assert [(name, len(data)) for name, data, _ in members] == [("a.log", 100), ("bad.log", 100), ("c.log", 100)]
    assert [type(error) for _, _, error in members] == [type(None), _streams.DamagedData, type(None)]
    assert "zip CRC-32 mismatch" in str(members[1][2])
    assert len(warnings) == 1 and "read in stored order up to member c.log" in warnings[0]


def test_zip_encrypted_member_is_skipped() -> None:
    blob = packing.zip_flag({"a.log": b"a\n", "secret.log": b"s\n"}, "secret.log", 1)
    members, skipped, _ = collect(io.BytesIO(blob))
    assert skipped == [Skipped("secret.log", "encrypted")]
    assert [info.path for info, _ in members] == ["a.log"]


@pytest.mark.parametrize("streamed", [False, True])
def test_cut_zip_is_read_from_its_local_headers(streamed: bool) -> None:
    tree = {f"var/log/f{i}.log": os.urandom(1500).hex().encode() for i in range(4)}
    blob = packing.streamed_zip(tree) if streamed else packing.zip_bytes(tree)
    cut = blob[: blob.find(b"PK\x03\x04", blob.find(b"var/log/f2.log")) + 10]  # inside f3's header
    members, skipped, warnings = collect(io.BytesIO(cut))
    assert not skipped
    assert {info.path: data for info, data in members} == {k: tree[k] for k in list(tree)[:3]}
    assert len(warnings) == 1 and "up to member var/log/f2.log, then truncated" in warnings[0]
    # A cut inside a member's data: the earlier members, then that member fails.
    cut = blob[: blob.find(b"var/log/f1.log") + 200]
    members, _, warnings = collect(io.BytesIO(cut))
    assert members[0] == (members[0][0], tree["var/log/f0.log"])
    assert isinstance(members[1][1], str) and "var/log/f1.log" in members[1][1]
    assert "up to member var/log/f1.log" in warnings[0]


def test_zip_that_is_only_a_header_is_skipped_with_a_warning() -> None:
    members, skipped, warnings = collect(io.BytesIO(b"PK\x03\x04" + os.urandom(64)))
    assert not members and len(skipped) == 1 and skipped[0].path == "<stream>"
    assert warnings and "unreadable zip" in warnings[0]


def test_random_bytes_are_one_file(tmp_path: Path) -> None:
    data = os.urandom(100_000)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    [(info, got)], _, _ = collect(path)
    assert (info.container, got) == ("file", data)


_magics = st.sampled_from([b"", b"\x1f\x8b\x08", b"\x28\xb5\x2f\xfd", b"BZh91AY&SY", b"\xfd7zXZ\x00",
                           b"PK\x03\x04", b"PK\x05\x06"])


@settings(max_examples=60, deadline=None)
@given(magic=_magics, body=st.binary(max_size=2000), cut=st.integers(0, 3000))
def test_hostile_bytes_never_crash(magic: bytes, body: bytes, cut: int) -> None:
    data = (magic + body)[: max(cut, 1)] or b"x"
    members, skipped, warnings = collect(io.BytesIO(data))
    assert members or skipped  # something is always reported


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(KINDS), cut=st.floats(0.05, 0.999), flip=st.integers(0, 10**6))
def test_damaged_archives_never_crash(kind: str, cut: float, flip: int) -> None:
    blob = bytearray(packing.pack(TREE, kind))
    blob[flip % len(blob)] ^= 0x5A
    collect(io.BytesIO(bytes(blob[: max(1, int(len(blob) * cut))])))


# -- start-up cost and the fast gzip path -------------------------------------------------


def test_heavy_modules_load_lazily() -> None:
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"  # site hooks may import some of these on their own
        "import logparse.sources\n"
        "heavy = ('tarfile', 'zipfile', 'gzip', 'bz2', 'lzma', 'zstandard', 'isal', 'tempfile')\n"
        "print(' '.join(m for m in heavy if m in set(sys.modules) - before))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == ""


def test_isal_and_stdlib_gzip_agree(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("isal")
    text = b"".join(b"line %d\n" % i for i in range(50000))
    good = tmp_path / "good.gz"
    good.write_bytes(packing.compress(text, "gz") * 2)  # two gzip members
    cut = tmp_path / "cut.gz"
    cut.write_bytes(packing.compress(text, "gz")[:-100])
    results = []
    for fast in (True, False):
        monkeypatch.setattr(_streams, "USE_ISAL", fast)
        results.append([collect(good)[0][0][1], collect(cut)[0][0][1]])
    assert results[0] == results[1]
    assert results[0][0] == text * 2 and "truncated" in results[0][1]


def test_two_tar_members_of_one_name_are_read_with_a_warning() -> None:
    blob = packing.hostile_tar([Entry("ticket.txt", data=b"first\n"), Entry("ticket.txt", data=b"second\n")])
    members, _, warnings = collect(io.BytesIO(blob))
    assert [data for _, data in members] == [b"first\n", b"second\n"]
    assert len(warnings) == 1 and "more than one member is named ticket.txt" in warnings[0]


# -- damaged gzip keeps every byte it inflated ----------------------------------------------


def _log_text(lines: int) -> bytes:
    """A log that compresses like a real one (about 5:1), the same on every run."""
    return b"".join(
        b"2024-05-01T10:%02d:%02d.%06dZ INFO ExtHandler ExtHandler event %d id=%08x\n"
        % (i // 3600 % 60, i // 60 % 60, i * 7919 % 10**6, i, i * 2654435761 % 2**32)
        for i in range(lines)
    )


def read_members(src, limits: Limits | None = None):
    """[(path, bytes read, the SourceError that ended the read or None)], skipped, warnings; each
    member read in 64 KiB steps, as a scan does, so the bytes before an error are seen."""
    members: list[tuple[str, bytes, SourceError | None]] = []
    skipped: list[Skipped] = []
    with open_source(src, limits) as bundle:
        for item in bundle:
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            info, stream = item
            got = bytearray()
            error = None
            try:
                while chunk := stream.read(65536):
                    got += chunk
            except SourceError as exc:
                error = exc
            members.append((info.path, bytes(got), error))
        return members, skipped, bundle.warnings


@pytest.fixture(params=[True, False], ids=["isal", "stdlib"])
def gz_engine(request, monkeypatch) -> bool:
    if request.param:
        pytest.importorskip("isal")
    monkeypatch.setattr(_streams, "USE_ISAL", request.param)
    return request.param


@pytest.mark.parametrize("field", ["crc", "size"])
@pytest.mark.parametrize("lines", [300, 120_000])  # read in one decoder call, and in many
def test_gzip_with_a_bad_trailer_keeps_all_its_text(tmp_path: Path, gz_engine: bool, field: str, lines: int) -> None:
    import gzip

    text = _log_text(lines)
    packed = bytearray(gzip.compress(text, mtime=0))
    packed[-8 if field == "crc" else -4] ^= 0x01  # CRC-32, then ISIZE: the deflate data is intact
    path = tmp_path / "waagent.log.1.gz"
    path.write_bytes(bytes(packed))
    [(name, got, error)], skipped, warnings = read_members(path)
    assert (skipped, warnings) == ([], [])
    assert got == text  # every inflated byte first, then the error
    assert isinstance(error, _streams.DamagedData) and not error.cut  # altered maybe, but whole
    check = "CRC-32" if field == "crc" else "length"
    assert str(error).startswith(f"{name}: damaged: gzip {check} mismatch (stored ")
    assert str(error).endswith("): the text may be altered")


def test_gzip_with_a_bad_crc_then_cut_is_damaged_and_cut(tmp_path: Path, gz_engine: bool) -> None:
    import gzip

    first, second = _log_text(2000), _log_text(3000)
    bad = bytearray(gzip.compress(first, mtime=0))
    bad[-6] ^= 0x40
    path = tmp_path / "waagent.log.2.gz"
    path.write_bytes(bytes(bad) + gzip.compress(second, mtime=0)[:-2000])
    [(name, got, error)], _, _ = read_members(path)
    assert got.startswith(first) and len(got) < len(first) + len(second)
    assert isinstance(error, _streams.DamagedData) and error.cut
    assert str(error).startswith(f"{name}: damaged: gzip CRC-32 mismatch (stored ")
    assert "the text may be altered; then truncated: " in str(error)


def test_gzip_with_a_bad_crc_then_junk_is_damaged_not_cut(tmp_path: Path) -> None:
    import gzip

    text = _log_text(500)
    bad = bytearray(gzip.compress(text, mtime=0))
    bad[-6] ^= 0x40
    path = tmp_path / "waagent.log.1.gz"
    path.write_bytes(bytes(bad) + b"<html>junk</html>")
    [(_, got, error)], _, _ = read_members(path)
    assert got == text
    assert isinstance(error, _streams.DamagedData) and not error.cut
    assert "the text may be altered; then 17+ bytes after the compressed data ignored" in str(error)


def test_a_bad_crc_in_one_gzip_member_keeps_the_members_after_it(tmp_path: Path, gz_engine: bool) -> None:
    import gzip

    first, second = _log_text(2000), _log_text(3000)[::-1]
    bad = bytearray(gzip.compress(first, mtime=0))
    bad[-6] ^= 0x40
    path = tmp_path / "waagent.log.2.gz"
    path.write_bytes(bytes(bad) + gzip.compress(second, mtime=0))
    [(_, got, error)], _, _ = read_members(path)
    assert got == first + second
    assert error is not None and "CRC-32" in str(error)


def _inflate_fails(packed: bytes, start: int) -> bytes:
    """``packed`` with the first bit flip from ``start`` on that makes zlib's inflate fail."""
    import zlib

    for pos in range(start, len(packed) - 8):
        for bit in range(8):
            bad = bytearray(packed)
            bad[pos] ^= 1 << bit
            try:
                zlib.decompressobj(31).decompress(bytes(bad))
            except zlib.error:
                return bytes(bad)
    raise AssertionError("no flip breaks the stream")


def _bytewise(packed: bytes) -> bytes:
    """What zlib inflates before the error, fed one byte at a time (all but the last byte's output)."""
    import zlib

    inflate, out = zlib.decompressobj(31), bytearray()
    for i in range(len(packed)):
        try:
            out += inflate.decompress(packed[i : i + 1])
        except zlib.error:
            return bytes(out)
    raise AssertionError("the stream inflates")


@pytest.mark.parametrize("lines", [300, 120_000])
def test_gzip_that_stops_inflating_keeps_what_came_before(tmp_path: Path, gz_engine: bool, lines: int) -> None:
    import gzip

    text = _log_text(lines)
    packed = gzip.compress(text, mtime=0)
    bad = _inflate_fails(packed, len(packed) * 2 // 3)
    before = _bytewise(bad)
    assert len(before) > len(text) // 2
    path = tmp_path / "waagent.log.1.gz"
    path.write_bytes(bad)
    [(_, got, error)], _, _ = read_members(path)
    # igzip may inflate past a code zlib refuses: then the trailer's CRC-32 is what fails.
    assert error is not None and ("corrupt" in str(error) or isinstance(error, _streams.DamagedData))
    assert len(got) >= len(before) - 1
    n = min(len(got), len(before))
    assert got[:n] == before[:n] and text.startswith(got[: len(before) // 2])


def test_triage_of_a_gzip_with_a_bad_crc_reads_every_line(tmp_path: Path, gz_engine: bool) -> None:
    import gzip

    import logparse

    text = (Path(__file__).parent.parent / "fixtures/formats/waagent/g3_current.log").read_bytes() * 10
    packed = bytearray(gzip.compress(text, mtime=0))
    packed[-7] ^= 0x10
    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/waagent.log.1.gz").write_bytes(bytes(packed))
    result = logparse.triage(str(tmp_path))
    [report] = result.files
    # Every line read: damaged (some text may be altered), not truncated (none was lost).
    assert (report.status, report.truncated, report.damaged, report.lines) == (
        "analyzed", False, True, text.count(b"\n"))
    assert (report.reason or "").startswith("var/log/waagent.log.1.gz: damaged: gzip CRC-32 mismatch (stored ")
    assert result.to_dict()["files"][0]["damaged"] is True
    assert logparse.TriageResult.from_dict(result.to_dict()).files[0].damaged


@pytest.mark.parametrize("how", ["gz", "zip", "gz then cut"])
def test_triage_says_damaged_apart_from_truncated(tmp_path: Path, how: str) -> None:
    import gzip

    import logparse
    from logparse.render import RenderOptions, render

    text = (Path(__file__).parent.parent / "fixtures/formats/waagent/g3_current.log").read_bytes() * 10
    if how == "zip":
        blob = packing.zip_bad_crc({"var/log/waagent.log": text}, "var/log/waagent.log")
    else:
        packed = bytearray(gzip.compress(text, mtime=0))
        packed[-7] ^= 0x10
        if how == "gz then cut":
            second = gzip.compress(text, mtime=0)
            packed += second[: len(second) // 2]
        blob = packing.pack({"var/log/waagent.log.1.gz": bytes(packed)}, "tar")
    [report] = logparse.triage(io.BytesIO(blob)).files
    cut = how == "gz then cut"
    assert (report.status, report.damaged, report.truncated) == ("analyzed", True, cut)
    assert report.lines >= text.count(b"\n")
    out = io.StringIO()
    render(logparse.triage(io.BytesIO(blob)), "table", out, RenderOptions(width=200))
    assert "analyzed (truncated) (damaged)" in out.getvalue() if cut else "analyzed (damaged)" in out.getvalue()


def test_tar_gz_with_a_bad_crc_keeps_every_member(gz_engine: bool) -> None:
    tree = {f"var/log/f{i}.log": _log_text(20_000 + i) for i in range(3)}  # ~4 MB, many decoder calls
    packed = bytearray(packing.pack(tree, "tar.gz"))
    packed[-5] ^= 0x01  # the last byte of the CRC-32
    members, skipped, warnings = read_members(io.BytesIO(bytes(packed)))
    assert not skipped
    assert [(name, got, error) for name, got, error in members] == [(name, data, None) for name, data in tree.items()]
    assert len(warnings) == 1 and warnings[0].startswith("<stream>: damaged: gzip CRC-32 mismatch")
    assert warnings[0].endswith("the text may be altered (met after the tar's last member: the text of "
                                "some member read may be damaged)")


# -- bytes after an outer archive ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tar.gz", "tar.zst", "tar.bz2", "tar.xz"])
def test_junk_after_a_compressed_tar_is_named(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x.tar.gz"
    path.write_bytes(packing.pack(TREE, kind) + b"<html>404 Not Found</html>\n")
    members, skipped, warnings = collect(path)
    assert not skipped and {info.path: data for info, data in members} == expected(TREE)
    assert warnings == [f"{path}: 27+ bytes after the compressed data ignored (no other stream starts there)"]


def test_data_after_the_end_of_a_tar_is_named() -> None:
    tree = {"a.log": b"a\n"}
    blob = packing.tar_bytes(tree)
    assert contents(io.BytesIO(blob + bytes(4096))) == tree  # more zero padding is no news
    members, _, warnings = collect(io.BytesIO(blob + packing.tar_bytes({"b.log": b"b\n"})))
    assert [(info.path, data) for info, data in members] == [("a.log", b"a\n")]
    assert warnings == [f"<stream>: data after the tar's end-of-archive block ignored (from byte {len(blob)} on)"]


def test_zst_log_with_junk_after_it_keeps_its_text(tmp_path: Path) -> None:
    text = _log_text(5000)
    path = tmp_path / "shell.log.zst"
    path.write_bytes(packing.compress(text, "zst") + b"\r\n--junk--")
    [(name, got, error)], _, _ = read_members(path)
    assert got == text
    assert isinstance(error, _streams.TrailingData)
    assert str(error) == f"{name}: 10+ bytes after the compressed data ignored (no other stream starts there)"
    # Two frames, and zero padding after them, are no junk.
    path.write_bytes(packing.compress(text, "zst") * 2 + bytes(100))
    assert read_members(path)[0] == [(name, text * 2, None)]


def test_zip_in_a_gz_with_junk_after_it_is_read(tmp_path: Path) -> None:
    tree = {"a.log": b"a\n", "b.log": b"b\n"}
    path = tmp_path / "logs.zip.gz"
    path.write_bytes(packing.compress(packing.zip_bytes(tree), "gz") + b"junk")
    members, skipped, warnings = collect(path)
    assert not skipped and {info.path: data for info, data in members} == tree
    assert warnings == [f"{path}: 4+ bytes after the compressed data ignored (no other stream starts there)"]


# -- a zip behind a stub (self-extracting) ----------------------------------------------------


def test_zip_behind_a_stub_is_read_as_a_zip(tmp_path: Path) -> None:
    import random
    import zipfile

    tree = {"var/log/waagent.log": b"w\n", "var/log/azure/x/extension.log": b"e\n"}
    blob = b"MZ" + random.Random(4).randbytes(20_000) + packing.zip_bytes(tree)
    for name in ("setup.exe", "logs.zip"):
        path = tmp_path / name
        path.write_bytes(blob)
        with zipfile.ZipFile(path) as archive:  # what zipfile reads, triage reads
            assert sorted(archive.namelist()) == sorted(tree)
        assert contents(path) == tree
    root = packing.write_tree(tmp_path / "t", {"collect/logs.exe": blob, "notes.txt": b"n\n"})
    assert contents(root) == {"collect/logs.exe!/" + k: v for k, v in tree.items()} | {"notes.txt": b"n\n"}


def _stub_zip_blob(tree: packing.Tree, stub: bytes = b"MZ") -> bytes:
    import random

    return stub + random.Random(4).randbytes(300_000) + packing.zip_bytes(tree)


def test_zip_behind_a_stub_is_read_as_a_zip_from_a_pipe() -> None:
    import random

    tree = {"var/log/waagent.log": b"w\n", "var/log/azure/x/extension.log": b"e\n"}
    for stub in (b"MZ", b"\x7fELF", b"#!/bin/sh\nexit 0\n"):
        assert contents(io.BytesIO(_stub_zip_blob(tree, stub))) == tree  # a stream: read once, no seeking
    # An executable that holds no zip (or only something like an entry header) stays one member, whole.
    noise = random.Random(6).randbytes(200_000)
    stray = b"MZ" + noise + b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(16) + b"\x05\x00\x00\x00x.log" + noise
    for data in (b"MZ" + noise, b"\x7fELF" + noise * 100, stray):
        assert contents(io.BytesIO(packing.pack({"bin/tool": data}, "tar.gz"))) == {"bin/tool": data}
        assert contents(io.BytesIO(data)) == {"<stream>": data}


def test_cli_reads_a_self_extractor_on_stdin() -> None:
    import json

    log = Path(__file__).parent.parent / "fixtures/formats/waagent/g3_current.log"
    tree = {"var/log/waagent.log": log.read_bytes()}
    done = subprocess.run([sys.executable, "-m", "logparse", "triage", "-", "--json"], input=_stub_zip_blob(tree),
                          capture_output=True, timeout=120)
    files = json.loads(done.stdout)["files"]
    assert [(f["path"], f["format"], f["status"]) for f in files] == [("var/log/waagent.log", "waagent", "analyzed")]


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "zip"])
def test_zip_behind_a_stub_inside_an_archive_is_read_as_a_zip(kind: str) -> None:
    tree = {"var/log/waagent.log": b"w\n", "var/log/azure/x/extension.log": b"e\n"}
    blob = packing.pack({"collect/logs.exe": _stub_zip_blob(tree), "notes.txt": b"n\n"}, kind)
    assert contents(io.BytesIO(blob)) == {"collect/logs.exe!/" + k: v for k, v in tree.items()} | {"notes.txt": b"n\n"}


def test_zip_behind_a_stub_in_a_tar_keeps_to_the_caps() -> None:
    tree = {"var/log/waagent.log": b"w\n" * 1000}
    blob = packing.pack({"a.exe": _stub_zip_blob(tree), "b.log": b"b\n"}, "tar")
    members, skipped, _ = collect(io.BytesIO(blob), Limits(max_member_bytes=100_000))
    assert skipped == [Skipped("a.exe", "exceeds per-member cap of 100000 bytes")]
    assert [info.path for info, _ in members] == ["b.log"]
    # A stub that starts a zip entry and then inflates like a bomb is judged by its ratio as it is spooled.
    bomb = b"MZ" + b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(16) + b"\x05\x00\x00\x00x.log" + bytes(64 << 20)
    members, skipped, _ = collect(io.BytesIO(packing.pack({"a.exe": bomb, "b.log": b"b\n"}, "tar.gz")))
    assert skipped == [Skipped("a.exe", "compression ratio above 200")]
    assert [info.path for info, _ in members] == ["b.log"]


def test_binary_file_with_a_stray_end_record_stays_binary(tmp_path: Path) -> None:
    import random

    noise = random.Random(5).randbytes(30_000)
    for data in (noise + b"PK\x05\x06" + noise[:40], noise[:100] + b"PK\x05\x06" + bytes(18) + noise):
        path = tmp_path / "core.bin"
        path.write_bytes(data)
        [(info, got)], skipped, warnings = collect(path)
        assert (info.container, got, skipped, warnings) == ("file", data, [], [])


# -- --max-total-size counts the members read -----------------------------------------------


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "tar.zst"])
def test_total_cap_counts_member_bytes_read_in_every_tar(kind: str) -> None:
    # Skipped data (a member over the per-member cap) and headers are no member bytes read:
    # a compressed tar counts what a plain tar counts.
    tree = {"big.log": b"x" * 300_000, **{f"small/{i}.log": b"%d\n" % i for i in range(400)}}
    limits = Limits(max_member_bytes=200_000, max_total_bytes=250_000)
    members, skipped, warnings = collect(io.BytesIO(packing.pack(tree, kind)), limits)
    assert skipped == [Skipped("big.log", "exceeds per-member cap of 200000 bytes")]
    assert {info.path: data for info, data in members} == {k: v for k, v in tree.items() if k != "big.log"}
    assert warnings == []
    # The cap itself still holds, the same way in each.
    members, _, warnings = collect(io.BytesIO(packing.pack(tree, kind)), Limits(max_total_bytes=1000))
    assert [info.path for info, _ in members] == ["big.log"]
    assert warnings == ["<stream>: total size cap of 1000 bytes reached; later members unread"]


def test_past_the_replay_cap_igzip_loses_one_read_at_most(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("isal")
    import gzip

    monkeypatch.setattr(_streams, "GZIP_REPLAY_BYTES", 0)
    text = _log_text(120_000)
    bad = _inflate_fails(gzip.compress(text, mtime=0), 300_000)
    before = _bytewise(bad)
    path = tmp_path / "waagent.log.1.gz"
    path.write_bytes(bad)
    [(_, got, error)], _, _ = read_members(path)
    # The flip zlib refuses may only alter the data, which its gzip mode finds by the CRC-32.
    assert error is not None and ("corrupt" in str(error) or isinstance(error, _streams.DamagedData))
    assert before.startswith(got) and len(got) > len(before) - 65536  # the reads are 64 KiB


class _FlakyIgzip:
    """isal's igzip_lib, but its decompressor fails on its third call, as on a bug zlib does not have."""

    def __init__(self) -> None:
        from isal import igzip_lib

        self.real, self.calls = igzip_lib, 0
        self.error, self.DECOMP_GZIP_NO_HDR = igzip_lib.error, igzip_lib.DECOMP_GZIP_NO_HDR

    def IgzipDecompressor(self, flag: int):  # noqa: N802 - the module's name
        flaky, real = self, self.real.IgzipDecompressor(flag=flag)

        class Decompressor:
            def __getattr__(self, name: str):
                return getattr(real, name)

            def decompress(self, data: bytes, size: int = -1) -> bytes:
                flaky.calls += 1
                if flaky.calls == 3:
                    real.decompress(data, size)  # its output is dropped, as on an error
                    raise flaky.error("made up")
                return real.decompress(data, size)

        return Decompressor()


@pytest.mark.parametrize("members", [1, 2])
def test_an_igzip_failure_zlib_does_not_share_loses_nothing(members: int) -> None:
    pytest.importorskip("isal")
    import gzip

    text = _log_text(60_000)
    packed = gzip.compress(text, mtime=0) * members
    reader = _streams._Gzip(io.BytesIO(packed), _FlakyIgzip())  # type: ignore[arg-type]
    got = bytearray()
    while chunk := reader.read(65536):
        got += chunk
    assert got == text * members


def test_gzip_header_fields_are_read(gz_engine: bool) -> None:
    import gzip
    import struct
    import zlib

    text = _log_text(1000)
    deflated = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = deflated.compress(text) + deflated.flush() + struct.pack("<II", zlib.crc32(text), len(text))
    # FHCRC | FEXTRA | FNAME | FCOMMENT, each field present
    header = (b"\x1f\x8b\x08\x1e" + bytes(6) + struct.pack("<H", 5) + b"extra" + b"waagent.log\0"
              + b"a comment\0" + b"\xab\xcd")
    assert gzip.decompress(header + body) == text
    members, _, _ = read_members(io.BytesIO(header + body + header + body))
    assert members == [("<stream>", text * 2, None)]
    [(_, got, error)], _, _ = read_members(io.BytesIO(b"\x1f\x8b\x08\xe0" + bytes(6) + body))
    assert got == b"" and "reserved flags" in str(error)


@pytest.mark.parametrize("cut", [1, 4, 8])
def test_gzip_cut_in_its_trailer_is_truncated_after_all_its_text(gz_engine: bool, cut: int) -> None:
    import gzip

    text = _log_text(1000)
    [(_, got, error)], _, _ = read_members(io.BytesIO(gzip.compress(text, mtime=0)[:-cut]))
    assert got == text and "truncated: gzip trailer cut short" in str(error)


def test_a_gzip_known_to_be_large_keeps_no_input_for_a_replay() -> None:
    pytest.importorskip("isal")
    import gzip

    text = _log_text(60_000)
    packed = gzip.compress(text, mtime=0)
    reader = _streams._Gzip(io.BytesIO(packed), _FlakyIgzip(), size=_streams.GZIP_REPLAY_BYTES + 1)  # type: ignore[arg-type]
    got = bytearray()
    with pytest.raises(Exception, match="made up"):
        while chunk := reader.read(65536):
            got += chunk
    assert len(got) == 2 * 65536 and text.startswith(got)  # the third call's output is lost


def test_gzip_cut_anywhere_gives_all_that_zlib_inflates_from_it(gz_engine: bool) -> None:
    import gzip
    import zlib

    packed = gzip.compress(_log_text(3000), mtime=0)
    for cut in range(20, len(packed) - 8, 997):
        [(_, got, error)], _, _ = read_members(io.BytesIO(packed[:cut]))
        assert got == zlib.decompressobj(31).decompress(packed[:cut]), cut  # igzip held back a byte or two
        assert error is not None and "truncated" in str(error)


# -- text or binary data ------------------------------------------------------------------------


def _binaries() -> dict[str, bytes]:
    """Real binaries' heads, as a member's first bytes would be: each must stay binary data."""
    import random
    import sqlite3
    import struct
    import zlib

    rng = random.Random(8)
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + rng.randbytes(30_000)
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "x.db")
        db.execute("CREATE TABLE log (line TEXT)")
        db.executemany("INSERT INTO log VALUES (?)", [(line,) for line in _log_text(2000).decode().splitlines()])
        db.commit()
        db.close()
        sqlite = (Path(tmp) / "x.db").read_bytes()
    utmp = b"".join(struct.pack("<hxxi32s4s32s256s2h3i4i20x", 7, 1000 + i, b"pts/%d" % i, b"ts/0", b"azureuser",
                                b"10.0.0.%d" % i, 0, 0, 0, 1714567890 + i, 0, 0, 0, 0, 0) for i in range(200))
    # An executable's strings: lines of text between NUL-separated fields.
    rodata = b"\x00".join(b"usage: tool [-v] FILE\n" for _ in range(2000))
    return {
        "elf": b"\x7fELF\x02\x01\x01" + bytes(9) + rng.randbytes(4000) + rodata,
        "png": png,
        "sqlite": sqlite[:65536],
        "random": rng.randbytes(65536),
        "deflated": zlib.compress(_log_text(5000)),
        "wtmp": utmp,
        "control": bytes(range(1, 256)) * 100,
        # A Windows executable: MZ, and at 0x3C the offset of its PE header.
        "pe": b"MZ" + bytes(0x3A) + struct.pack("<I", 0x80) + bytes(0x40) + b"PE\0\0" + rodata[:30_000],
    }


def test_real_binaries_are_binary_data() -> None:
    assert {name: _streams.text_start(head) for name, head in _binaries().items()} == dict.fromkeys(_binaries())


def test_text_with_nul_padding_or_in_utf16_is_text() -> None:
    text = _log_text(400)
    # "MZ" starts a host name as well as an executable: only a PE header behind it makes it binary.
    for head in (text, bytes(8192) + text, text[:5000] + bytes(70_000) + text[5000:], bytes(300_000),
                 b"MZ-VM01 " + text,
                 text.decode().encode("utf-16"), text.decode().encode("utf-16-le"), b"", b"x"):
        assert _streams.text_start(head[: _streams.SNIFF_BYTES]) == 0


@pytest.mark.parametrize("junk", [300, 5000, 40_000])
def test_junk_before_a_log_leaves_the_log_to_read(junk: int) -> None:
    import random

    text = _log_text(2000)
    head = (random.Random(junk).randbytes(junk) + text)[: _streams.SNIFF_BYTES]
    start = _streams.text_start(head)
    assert start is not None
    if start:  # a few junk bytes among much text read as text; more leave the lines after them
        # The log's first line may hold the junk's last bytes: then the text starts at its second.
        assert start <= junk + text.index(b"\n") + 1 and head[start:].split(b"\n", 1)[1] in text


def test_past_padding_looks_past_a_leading_nul_run_without_consuming_it() -> None:
    text = _log_text(100)
    stream = _streams.Peekable(io.BytesIO(bytes(1 << 20) + text))
    head = stream.peek(_streams.SNIFF_BYTES)[: _streams.SNIFF_BYTES]
    assert _streams.past_padding(cast(BinaryIO, stream), head) == text
    assert stream.read() == bytes(1 << 20) + text
    for data in (text, bytes(70_000)):  # text as it is; NULs to the end: nothing else to judge
        stream = _streams.Peekable(io.BytesIO(data))
        head = stream.peek(_streams.SNIFF_BYTES)[: _streams.SNIFF_BYTES]
        assert _streams.past_padding(cast(BinaryIO, stream), head) == head


def test_looks_binary_allows_nul_padding_and_utf16(tmp_path: Path) -> None:
    from logparse.textio import looks_binary

    text = b"".join(b"step %d of the nightly job done\n" % i for i in range(500))  # no known layout
    cases = {
        "padded.txt": (text[:3000] + bytes(8192) + text[3000:], False),
        "utf16.txt": (text.decode().encode("utf-16"), False),
        "plain.txt": (text, False),
        "junk.txt": (os.urandom(40_000) + text, True),
        "zeros.bin": (bytes(100_000), True),
        **{f"{name}.bin": (data, True) for name, data in _binaries().items()},
    }
    for name, (data, binary) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert looks_binary(str(tmp_path / name)) is binary, name


def _junk_paths(tmp_path: Path, data: bytes) -> dict[str, object]:
    """``data`` as a file given directly, in a tree, in a tar.gz, in a zip, and as a stream (stdin)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    direct = tmp_path / "messages"
    direct.write_bytes(data)
    tree = packing.write_tree(tmp_path / "tree", {"var/log/other.log": data, "var/log/waagent.log": data})
    members = {"var/log/other.log": data, "var/log/waagent.log": data}
    return {"file": str(direct), "dir": str(tree), "tar.gz": io.BytesIO(packing.pack(members, "tar.gz")),
            "zip": io.BytesIO(packing.pack(members, "zip")), "stdin": io.BytesIO(data)}


@pytest.mark.parametrize("prefix", ["junk 6000", "nul 100k"])
def test_a_log_after_junk_or_nul_padding_is_read_everywhere(tmp_path: Path, prefix: str) -> None:
    import random

    import logparse

    log = (Path(__file__).parent.parent / "fixtures/bundles/linux_nonetwork_snapshot/var/log/waagent.log").read_bytes()
    kind, size = prefix.split()
    junk = random.Random(int(size)).randbytes(int(size)) if kind == "junk" else bytes(int(size[:-1]) * 1000)
    for where, source in _junk_paths(tmp_path, junk + log[:6000]).items():
        result = logparse.triage(source)  # type: ignore[arg-type]
        assert {(f.format, f.status) for f in result.files} == {("waagent", "analyzed")}, where


def test_real_binaries_stay_binary_data_everywhere(tmp_path: Path) -> None:
    import logparse

    for name, data in _binaries().items():
        for where, source in _junk_paths(tmp_path / name, data).items():
            result = logparse.triage(source)  # type: ignore[arg-type]
            reasons = {f.path.rsplit("/", 1)[-1]: (f.status, f.reason) for f in result.files}
            if where in ("file", "stdin"):
                assert list(reasons.values()) == [("skipped", "binary data")], (name, where)
            else:
                assert reasons == {"other.log": ("skipped", "binary data"),
                                   "waagent.log": ("skipped", "binary data, not a waagent log")}, (name, where)



def test_junk_then_a_few_lines_of_no_log_stays_binary_under_a_log_name(tmp_path: Path) -> None:
    import random

    import logparse

    # A binary's last strings are clean lines after junk: under waagent.log's name they were read as
    # a waagent.log with nothing wrong. Lines after junk must be the log's own.
    data = random.Random(60).randbytes(60_000) + b"\nusage: tool [-v]\nsee the manual\nversion 1.2.3\n"
    assert _streams.text_start(data[: _streams.SNIFF_BYTES]) not in (None, 0)  # junk, then text
    for where, source in _junk_paths(tmp_path, data).items():
        result = logparse.triage(source)  # type: ignore[arg-type]
        reasons = {f.path.rsplit("/", 1)[-1]: (f.status, f.reason) for f in result.files}
        if where not in ("file", "stdin"):
            assert reasons["waagent.log"] == ("skipped", "binary data, not a waagent log"), where


@pytest.mark.parametrize("kind", ["tar.gz", "tar.bz2"])
def test_a_log_read_ahead_with_its_archive_is_judged_on_its_own_ratio(kind: str) -> None:
    # A whole small archive is one read of the decoder, made while the tar reads its first header:
    # the member's data came from compressed bytes counted before it started. It used to count none
    # of its own and fail its ratio once past the grace (a 15 MB waagent.log in a 1 MB tar.gz, cut
    # at 10 MiB); here the grace is small, as is the log.
    import random

    rng = random.Random(7)
    lines = [f"2024-05-01T10:{i // 60 % 60:02d}:{i % 60:02d}.{rng.randrange(10**6):06d}Z INFO ExtHandler "
             f"ExtHandler Fetched goal state incarnation {rng.randrange(10**4)} etag {rng.getrandbits(64):x}\n"
             for i in range(8000)]
    text = "".join(lines).encode()
    blob = packing.pack({"var/log/waagent.log": text}, kind)
    assert len(blob) < _streams.CHUNK and len(text) / len(blob) < 20  # one read; an ordinary ratio
    limits = Limits(max_ratio=50, ratio_grace_bytes=64 * 1024)
    read = []
    with open_source(io.BytesIO(blob), limits) as bundle:
        for item in bundle:
            assert not isinstance(item, Skipped), item
            read.append(item[1].read())
    assert read == [text]


def test_a_bomb_of_many_members_stops_early_although_each_counts_behind() -> None:
    # Each member of one line repeated inflates ~1000x; every member is judged by its archive as a
    # whole too, so crediting read-ahead to the first (a log in a small archive) credits no other.
    line = b"2024-05-01T10:00:00.000000Z WARNING ExtHandler ExtHandler Disk usage of /var/log is 91%\n"
    member = line * (8 * 1024 * 1024 // len(line))
    blob = packing.pack({f"var/log/waagent.log.{n}": member for n in range(8)}, "tar.gz")
    assert len(blob) < 512 * 1024  # a ratio far past 20 (~290)
    members, skipped, warnings = read_members(io.BytesIO(blob), Limits(max_ratio=20, ratio_grace_bytes=256 * 1024))
    got = sum(len(data) for _, data, _ in members)
    errors = [str(error) for _, _, error in members if error] + [s.reason for s in skipped] + warnings
    # Without the archive's ratio each member would run on to its own ratio with a chunk credited:
    # 20 x 1 MiB each, all eight members read whole (64 MiB).
    assert got < 24 * 1024 * 1024, got
    assert any("compression ratio above 20" in e for e in errors), errors


def test_a_stray_zip_signature_in_an_executable_is_no_zip_entry() -> None:
    import struct

    # Sane-looking header fields by chance, then a "name" of binary bytes: before, everything after
    # it was spooled as a would-be zip (a 120 MB ELF took twice as long and 81 MB), then dropped.
    header = struct.pack("<4sHHH16xHH", b"PK\x03\x04", 20, 0, 8, 12, 0)
    elf = b"\x7fELF\x02\x01\x01" + bytes(9) + header + b"\x00\x17\x9a\x02\xff\x10\x05\x00\x88\x01\x7f\x03"
    elf += bytes(range(256)) * 40
    _, at, error = _streams.find_zip_entry(io.BytesIO(elf))
    assert (at, error) == (None, None)
    # A real entry behind the same stub is still found.
    stub = elf + packing.zip_bytes({"var/log/waagent.log": b"x\n"})
    _, at, _ = _streams.find_zip_entry(io.BytesIO(stub))
    assert at == len(elf)
