"""Which named byte streams are in an input: a file, a directory, tar/zip/gz/zst/bz2/xz, stdin, nested.

Containers are recognised by magic bytes, never by name. Nothing is extracted: tar members are
streamed in archive order (stdin works), and only a zip that cannot be seeked is spooled to a temp
file, deleted afterwards (also one behind a self-extractor's stub, once a zip entry is seen in its
first ``_streams.STUB_SEARCH`` bytes). Every member comes out either as ``(MemberInfo, stream)`` or
as ``Skipped`` with its reason; damage that ends an archive early lands in ``Bundle.warnings``. A
member whose stored checksum fails is read whole and then raises ``_streams.DamagedData``.

Example::

    with open_source("bundle.tar.gz") as bundle:
        for item in bundle:
            if isinstance(item, Skipped):
                print("skipped", item.path, item.reason)
                continue
            info, stream = item
            try:
                data = stream.read()
            except SourceError as exc:  # a cap tripped or the member is damaged
                print("failed", exc)
        print(bundle.warnings)
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, BinaryIO, cast

from logparse import _streams as bs
from logparse._paths import collector_truncation, input_name, normalise, order, rotation_key
from logparse.errors import SourceError

if TYPE_CHECKING:
    from logparse._tarscan import TarEntry, TarScan

__all__ = [
    "Bundle", "Item", "Limits", "MemberInfo", "Skipped",
    "member_path", "normalise", "open_source", "parse_size", "rotation_key",
]

MiB = 1024**2
GiB = 1024**3
# Compression layers peeled off one stream (tar.gz.gz exists; a gzip quine must not loop forever).
MAX_LAYERS = 3
SKIP_GRACE = 256 * MiB  # tar member data skipped unread before its compression ratio is judged
# Names that promise an archive. A single "waagent.log.2.gz" holding plain text stays a log:
# rotation tools misname files that way.
_PACKED_SUFFIXES = (".tar", ".tgz", ".tar.gz", ".tbz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".tar.zst",
                    ".tzst", ".zip")
_COMPRESSED_SUFFIXES = (".gz", ".zst", ".bz2", ".xz")  # text under these is a log, unless it is a web page
# Larger GNU long-name or pax headers are refused (each is read whole into memory).
MAX_TAR_EXTENDED_HEADER = 1 * MiB


@dataclass(frozen=True)
class Limits:
    """Safety caps; the defaults fit real support bundles with room to spare."""

    max_member_bytes: int = 2 * GiB
    max_total_bytes: int = 20 * GiB
    max_ratio: float = 200.0
    # The ratio is only judged once this much came out: tiny, very repetitive files are fine.
    ratio_grace_bytes: int = 10 * MiB
    max_depth: int = 3
    max_members: int = 200_000


@dataclass(frozen=True)
class MemberInfo:
    """One named byte stream of a bundle.

    ``path`` uses forward slashes with no leading ``/``; a Windows drive a member was named with is
    kept (``C:/WindowsAzure/Logs/WaAppAgent.log``); members of nested archives are joined with
    ``!/`` (``logs.tar.gz!/var/lib/waagent/logs.zip!/var/log/waagent.log``).
    ``size`` is the decompressed size when the container states it. ``rotation`` sorts the
    rotations of one logical file oldest first. ``container`` is where the member came from.
    """

    path: str
    size: int | None
    truncated: bool
    truncated_reason: str | None
    rotation: tuple[str, int, int, int]
    container: str


@dataclass(frozen=True)
class Skipped:
    """A member that is not handed out, and why (``symlink``, ``path traversal``, a cap, ``corrupt: ...``)."""

    path: str
    reason: str


Item = tuple[MemberInfo, BinaryIO] | Skipped


_UNITS = {"": 1, "k": 1024, "m": MiB, "g": GiB, "t": 1024 * GiB}


def parse_size(text: str) -> int:
    """Bytes from a size flag: ``1048576``, ``500M``, ``2G``, ``1.5GiB`` (binary units).

    Raises:
        ValueError: not a size.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", text.lower())
    if match is None:
        raise ValueError(f"not a size: {text!r} (examples: 500M, 2G)")
    return int(float(match[1]) * _UNITS[match[2]])


def open_source(src: str | os.PathLike[str] | BinaryIO, limits: Limits | None = None) -> Bundle:
    """Open a path, ``-`` (stdin) or a binary stream as a bundle of members.

    Raises:
        SourceError: the path is missing or unreadable, or the input is empty.
    """
    limits = limits or Limits()
    bs.tune_heap()
    if not isinstance(src, str | os.PathLike):
        return _stream_bundle(src, str(getattr(src, "name", None) or "<stream>"), limits)
    text = os.fspath(src)
    if text == "-":
        return _stream_bundle(sys.stdin.buffer, "<stdin>", limits)
    try:
        st = os.stat(text)
    except FileNotFoundError as exc:
        raise SourceError(f"{text}: no such file or directory") from exc
    except OSError as exc:
        raise SourceError(f"{text}: cannot open ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(st.st_mode):
        bundle = Bundle(text, limits)
        bundle._source = lambda: bundle._walk(text)
        return bundle
    try:
        handle: IO[bytes] = open(text, "rb")  # noqa: SIM115 - the bundle closes it
    except OSError as exc:
        raise SourceError(f"{text}: cannot open ({exc.strerror or exc})") from exc
    bundle = Bundle(text, limits)
    bundle._stack.callback(handle.close)
    head, error = bs.read_head(cast(BinaryIO, handle))
    if not head and error is None:
        bundle.close()
        raise SourceError(f"{text}: empty input")
    named_packed = text.lower().endswith(_PACKED_SUFFIXES) or _is_page(text, head)
    seekable = stat.S_ISREG(st.st_mode) and error is None
    if (bs.compression_of(head) is None and bs.archive_of(head) is None and named_packed
            and not (seekable and _stub_zip(cast(BinaryIO, handle)))):
        # A failed download saved under the bundle's name (an HTML error page, a proxy notice):
        # read as a text file it would pass for a bundle with nothing wrong.
        bundle.close()
        what = "an archive" if text.lower().endswith(_PACKED_SUFFIXES) else "compressed data"
        if bs.text_start(head) is None:  # binary: its bytes in hex, not replacement marks and stray letters
            shown = "bytes " + head[:16].hex(" ")
        else:
            shown = repr(head[:40].decode("utf-8", "replace").split("\n")[0])
        raise SourceError(f"{text}: named like {what} but is not (starts {shown})")
    stream: BinaryIO
    if seekable:
        handle.seek(0)
        stream = cast(BinaryIO, handle)
    else:
        stream = cast(BinaryIO, bs.Replay(head, cast(BinaryIO, handle), error))
    size = st.st_size if stat.S_ISREG(st.st_mode) else None
    bundle._source = lambda: bundle._expand(
        input_name(text), stream, head, size=size, container="file", level=0, seekable=seekable
    )
    return bundle


def _stream_bundle(stream: BinaryIO, name: str, limits: Limits) -> Bundle:
    head, error = bs.read_head(stream)
    if not head and error is None:
        raise SourceError(f"{name}: empty input")
    bundle = Bundle(name, limits)
    replay = cast(BinaryIO, bs.Replay(head, stream, error))
    bundle._source = lambda: bundle._expand(name, replay, head, size=None, container="stdin", level=0)
    return bundle


class Bundle:
    """The members of one input, iterated once: ``(MemberInfo, stream)`` pairs or ``Skipped``.

    A stream is valid only until the next item; reading it enforces the caps and raises
    ``SourceError`` naming the member when one trips or the data is damaged.
    """

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.warnings: list[str] = []
        self._stack = ExitStack()
        self._budget = bs.Budget(limits.max_total_bytes)
        self._seen = 0
        self._stopped = False
        self._source: Callable[[], Iterator[Item]] = lambda: iter(())
        self._items: Iterator[Item] | None = None

    def __iter__(self) -> Iterator[Item]:
        if self._items is None:
            self._items = self._run()
        return self._items

    def _run(self) -> Iterator[Item]:
        count = 0
        try:
            for item in self._source():
                count += 1
                yield item
        finally:
            self._stack.close()
        if not count and not self.warnings:
            self.warnings.append(f"{self.name}: no members")

    def close(self) -> None:
        """Release files and spools (also done when iteration ends)."""
        if self._items is not None:
            cast(Any, self._items).close()
        self._stack.close()

    def __enter__(self) -> Bundle:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- bookkeeping ---------------------------------------------------------------------

    def _admit(self, label: str) -> bool:
        """Count one more member; False once ``max_members`` is passed (and say so once)."""
        self._seen += 1
        if self._seen > self.limits.max_members and not self._stopped:
            self._stopped = True
            self.warnings.append(f"{label}: more than {self.limits.max_members} members; the rest are unread")
        return not self._stopped

    def _member(self, path: str, stream: BinaryIO, *, size: int | None, container: str,
                meter: bs.Meter | None = None, decoded: str | None = None) -> Item:
        path, truncated = collector_truncation(path, size)
        guard = bs.Guard(
            stream,
            path,
            max_bytes=self.limits.max_member_bytes,
            cap_reason=f"exceeds per-member cap of {self.limits.max_member_bytes} bytes",
            budget=self._budget,
            compressed=meter,
            max_ratio=self.limits.max_ratio,
            ratio_grace=self.limits.ratio_grace_bytes,
            inner_name=decoded,
        )
        info = MemberInfo(path, size, truncated is not None, truncated, rotation_key(path), container)
        return info, cast(BinaryIO, bs.Peekable(cast(BinaryIO, guard)))

    # -- one stream: compressed, an archive, or a member --------------------------------

    def _expand(
        self,
        path: str,
        stream: BinaryIO,
        head: bytes | None = None,
        *,
        size: int | None,
        container: str,
        level: int,
        seekable: bool = False,
        meter: bs.Meter | None = None,
    ) -> Iterator[Item]:
        """Yield ``stream`` as a member, or the members of the archive it holds.

        ``level`` counts the archives around ``stream``: 0 for the input itself, 1 for members
        of the top-level archive or directory. ``head`` is the stream's first bytes when the
        caller already read them (``seekable`` then says the stream was rewound instead).
        """
        if head is None:
            head, error = bs.read_head(stream)
            stream = cast(BinaryIO, bs.Replay(head, stream, error))
            seekable = False
        outer: tuple[bs.Guard, bs.Counting] | None = None
        for layer in range(MAX_LAYERS + 1):
            kind = bs.compression_of(head)
            if kind is None:
                break
            if layer == MAX_LAYERS:
                yield Skipped(path, f"compressed more than {MAX_LAYERS} times over")
                return
            counted = bs.Counting(stream)
            decoded = bs.Guard(
                bs.decoder(kind, cast(BinaryIO, counted), size),
                path if level else self.name,
                # At least the head read to tell what it holds: a tar then counts its members
                # against the total cap, and a single log counts itself as its member.
                max_bytes=max(self.limits.max_total_bytes, bs.HEAD_BYTES),
                cap_reason=f"decompresses past the total cap of {self.limits.max_total_bytes} bytes",
                compressed=counted,
                max_ratio=self.limits.max_ratio,
                ratio_grace=self.limits.ratio_grace_bytes,
            )
            outer = (decoded, counted)
            head, error = bs.read_head(cast(BinaryIO, decoded))
            stream = cast(BinaryIO, bs.Replay(head, cast(BinaryIO, decoded), error))
            seekable, size = False, None
            if level == 0 and layer == 0:
                container = "stdin" if container == "stdin" else kind
        archive = bs.archive_of(head)
        if archive is None and seekable and _stub_zip(stream):
            archive = "zip"
        elif archive is None and not seekable and _stub_like(head):
            # A self-extractor on stdin or inside a tar: its zip directory is at the end, so look
            # ahead for a zip entry; only a stream that holds one is spooled and asked again.
            found = self._behind_stub(path, stream, level, meter)
            if isinstance(found, str):
                yield Skipped(path, found)
                return
            stream, spooled = found
            if spooled is not None:
                with spooled:
                    if _stub_zip(spooled):
                        yield from self._nested_zip(spooled, path, level)
                    else:
                        yield self._member(path, spooled, size=size, container=container)
                return
        if archive is None:
            if outer is None and level and _is_page(path, head):
                yield Skipped(path, "a web page saved under a compressed file's name, not a log")
                return
            yield self._member(path, stream, size=size, container=container, meter=meter,
                               decoded=outer[0].name if outer is not None else None)
            return
        if archive == "tar":
            if level > self.limits.max_depth:
                yield Skipped(path, f"nested archive deeper than {self.limits.max_depth} levels")
                return
            if outer is not None:
                outer[0].members_judge_caps()
            label = path if level else self.name
            yield from self._tar(stream, f"{path}!/" if level else "", level + 1, label,
                                 bs.Archive(outer[1], outer[0]) if outer is not None else meter)
            return
        if seekable:
            yield from self._nested_zip(stream, path, level)
            return
        # zip keeps its directory at the end: spool what cannot seek, and free it right after.
        spooled_zip = self._spool(path, stream, level, meter)
        if isinstance(spooled_zip, str):
            yield Skipped(path, spooled_zip)
            return
        with spooled_zip:
            yield from self._nested_zip(spooled_zip, path, level)

    def _nested_zip(self, handle: BinaryIO, path: str, level: int) -> Iterator[Item]:
        """The members of the zip ``handle`` (seekable), which is ``path`` at ``level``."""
        if level > self.limits.max_depth:
            yield Skipped(path, f"nested archive deeper than {self.limits.max_depth} levels")
            return
        yield from self._zip(handle, f"{path}!/" if level else "", level + 1, path if level else self.name)

    def _spool(self, path: str, stream: BinaryIO, level: int, meter: bs.Meter | None) -> BinaryIO | str:
        """``stream`` copied to a spool that seeks (the caller closes it), or why it could not be.

        Inside a compressed tar the ratio is judged while spooling, as it would be on reading.
        """
        label = path if level else self.name
        cap = self.limits.max_member_bytes if level else self.limits.max_total_bytes
        if meter is not None:
            stream = cast(BinaryIO, bs.Guard(
                stream, label, max_bytes=cap, cap_reason=f"exceeds per-member cap of {cap} bytes",
                compressed=meter, max_ratio=self.limits.max_ratio, ratio_grace=self.limits.ratio_grace_bytes))
        try:
            spooled, trailing = bs.spool(stream, label, cap)
        except SourceError as exc:
            return str(exc).removeprefix(f"{label}: ")
        if trailing is not None:
            self.warnings.append(trailing)
        return spooled

    def _behind_stub(self, path: str, stream: BinaryIO, level: int,
                     meter: bs.Meter | None) -> tuple[BinaryIO, BinaryIO | None] | str:
        """``(stream, None)``, the same bytes, when no zip entry starts in its first
        ``bs.STUB_SEARCH`` bytes; else ``(spool, spool)``, all of it spooled to be asked whether it is
        a zip; or why it could not be spooled."""
        ahead, at, error = bs.find_zip_entry(stream)
        replay = cast(BinaryIO, bs.Replay(ahead, stream, error))
        if at is None:
            return replay, None
        spooled = self._spool(path, replay, level, meter)
        return spooled if isinstance(spooled, str) else (spooled, spooled)

    # -- containers ----------------------------------------------------------------------

    def _walk(self, root: str) -> Iterator[Item]:
        """A directory tree, without following symlinks, rotations oldest first."""
        found: list[tuple[str, os.stat_result | str]] = []
        pending = [""]
        while pending and not self._stopped:
            rel = pending.pop()
            try:
                with os.scandir(os.path.join(root, rel)) as listing:
                    entries = list(listing)
            except OSError as exc:
                found.append((rel or ".", f"unreadable: {exc.strerror or exc}"))
                continue
            for entry in entries:
                path = f"{rel}/{entry.name}" if rel else entry.name
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    found.append((path, f"unreadable: {exc.strerror or exc}"))
                    continue
                if stat.S_ISDIR(st.st_mode):
                    pending.append(path)
                elif not self._admit(root):
                    break
                else:
                    found.append((path, _special_reason(st.st_mode) or st))
        found.sort(key=lambda item: order(collector_truncation(item[0])[0]))
        for path, what in found:
            if isinstance(what, str):
                yield Skipped(path, what)
            elif self._budget.exhausted:
                yield Skipped(path, f"total size cap of {self._budget.limit} bytes reached")
            elif what.st_size > self.limits.max_member_bytes:
                yield Skipped(path, f"exceeds per-member cap of {self.limits.max_member_bytes} bytes")
            else:
                yield from self._walk_file(root, path, what.st_size)

    def _walk_file(self, root: str, path: str, size: int) -> Iterator[Item]:
        # O_NOFOLLOW: a file swapped for a symlink after the listing still cannot lead out.
        # O_NONBLOCK: nor can a swapped-in FIFO hang us.
        try:
            fd = os.open(os.path.join(root, path), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as exc:
            yield Skipped(path, f"unreadable: {exc.strerror or exc}")
            return
        with os.fdopen(fd, "rb") as handle:
            reason = _special_reason(os.fstat(fd).st_mode)
            if reason:
                yield Skipped(path, reason)
                return
            head, error = bs.read_head(cast(BinaryIO, handle))
            seekable = error is None
            stream: BinaryIO = cast(BinaryIO, handle)
            if seekable:
                handle.seek(0)
            else:
                stream = cast(BinaryIO, bs.Replay(head, stream, error))
            yield from self._expand(
                path, stream, head, size=size, container="dir", level=1, seekable=seekable
            )

    def _tar(self, stream: BinaryIO, prefix: str, level: int, label: str,
             meter: bs.Meter | None = None) -> Iterator[Item]:
        """Tar members in archive order, read in one pass, so stdin works.

        ``meter`` counts the compressed bytes of a compressed tar: each member's ratio is then
        judged on its own share, and a member over the ratio fails alone; data skipped past is
        judged too, so a bomb ends the archive early as before.
        """
        from logparse._tarscan import TarScan

        skip_check = None
        if meter is not None:
            # Judged only past SKIP_GRACE: the rest of a member that failed for its ratio (a log
            # of one line repeated, tens of MB) is cheap to inflate past; a bomb is not.
            skip_check = (bs.Since(meter), self.limits.max_ratio, max(SKIP_GRACE, self.limits.ratio_grace_bytes))
        scan = TarScan(stream, MAX_TAR_EXTENDED_HEADER, skip_check)
        read: set[str] = set()  # member names read, and those already warned about
        said: set[str] = set()
        last: str | None = None
        started = False
        while True:
            try:
                info = scan.next()
            except Exception as exc:  # TarError, or our SourceError from a broken decoder, ...
                if started:
                    self._cut(label, last, exc)
                    return
                why = bs.describe(exc).removeprefix(f"{label}: ")
                self.warnings.append(f"{label}: unreadable tar ({why})")
                yield Skipped(label, why)
                return
            started = True
            if info is None:
                if scan.stop:
                    self._cut(label, last, scan.stop)
                else:
                    self._after_tar(scan, label)
                return
            if not self._admit(label):
                return
            if info.isdir():
                continue
            if self._budget.exhausted:
                self.warnings.append(
                    f"{label}: total size cap of {self._budget.limit} bytes reached; later members unread"
                )
                return
            path, problem = member_path(info.name)
            shown = prefix + (path or info.name)
            reason = problem or _tar_type_reason(info)
            if reason is None and info.size > self.limits.max_member_bytes:
                reason = f"exceeds per-member cap of {self.limits.max_member_bytes} bytes"
            last = shown
            if reason is not None:
                yield Skipped(shown, reason)
                continue
            if shown in read:
                # Both are read (a tar appended to, or two collections in one): as in a zip, say that
                # their file rows and evidence lines look alike.
                if shown not in said:
                    said.add(shown)
                    self.warnings.append(f"{label}: more than one member is named {shown} (each read); its "
                                         "file rows and evidence lines do not say which")
            read.add(shown)
            yield from self._expand(shown, scan.open(info), size=info.size, container="tar", level=level,
                                    meter=bs.Since(meter) if meter is not None else None)

    def _after_tar(self, scan: TarScan, label: str) -> None:
        """Read on past the end-of-archive block to the end of the stream: what is there besides
        zero padding is named (an archive appended, junk after the compressed data), and so is a
        gzip trailer that disagrees with the data, which is only checked at the end."""
        try:
            extra = scan.rest()
        except bs.TrailingData as exc:
            self.warnings.append(_named(label, exc))
            return
        except Exception as exc:  # the stream's own error: a CRC mismatch, a cut after the tar's end
            damaged = isinstance(exc.__cause__, bs.ChecksumError)
            note = ": the text of some member read may be damaged" if damaged else ""
            self.warnings.append(f"{_named(label, exc)} (met after the tar's last member{note})")
            return
        if extra is not None:
            self.warnings.append(f"{label}: data after the tar's end-of-archive block ignored (from byte {extra} on)")

    def _cut(self, label: str, last: str | None, exc: BaseException | str) -> None:
        reason = (exc if isinstance(exc, str) else bs.describe(exc)).removeprefix(f"{label}: ")
        where = f"after member {last}" if last else "before its first member"
        self.warnings.append(f"{label}: archive cut or corrupt {where} ({reason}); later members unread")

    def _zip(self, handle: BinaryIO, prefix: str, level: int, label: str) -> Iterator[Item]:
        """Zip members sorted so rotations come oldest first; a zip without directory is walked."""
        import zipfile

        from logparse._zipscan import Checked, SharedData

        try:
            archive = zipfile.ZipFile(handle)
        except Exception as exc:
            yield from self._zip_scan(handle, prefix, level, label, bs.describe(exc))
            return
        with archive:
            members: list[tuple[str, Any]] = []
            for info in archive.infolist():
                if not self._admit(label):
                    break
                if info.filename.endswith(("/", "\\")):
                    continue
                members.append((info.filename, info))
            members.sort(key=lambda item: order(collector_truncation(member_path(item[0])[0] or item[0])[0]))
            # Entries that reuse or overlap another's data (a zip bomb's amplification) are read once.
            shared = SharedData(handle, [info for _, info in members], prefix, label)
            for name, info in members:
                path, reason = member_path(name)
                shown = prefix + (path or name)
                reason = reason or self._zip_reason(info) or shared.claim(info)
                if reason is not None:
                    yield Skipped(shown, reason)
                    continue
                try:
                    member = archive.open(info)
                except Exception as exc:  # bad local header, unsupported method, ...
                    shared.unreadable(info)
                    yield Skipped(shown, bs.describe(exc))
                    continue
                with member:
                    yield from self._expand(shown, cast(BinaryIO, Checked(member, info.CRC)),
                                            size=info.file_size, container="zip", level=level)
            self.warnings.extend(shared.warnings)

    def _zip_reason(self, info: Any) -> str | None:
        mode = info.external_attr >> 16 if info.create_system == 3 else 0  # 3: unix attributes
        reason = _special_reason(mode) if mode else None
        if reason:
            return reason
        if info.flag_bits & 1:
            return "encrypted"
        if self._budget.exhausted:
            return f"total size cap of {self._budget.limit} bytes reached"
        if info.file_size > self.limits.max_member_bytes:
            return f"exceeds per-member cap of {self.limits.max_member_bytes} bytes"
        if (
            info.file_size > self.limits.ratio_grace_bytes
            and info.file_size > self.limits.max_ratio * max(info.compress_size, 1)
        ):
            return f"compression ratio above {self.limits.max_ratio:g}"
        return None

    def _zip_scan(self, handle: BinaryIO, prefix: str, level: int, label: str, why: str) -> Iterator[Item]:
        from logparse._zipscan import LocalScan

        handle.seek(0)
        scan = LocalScan(handle, self.limits.max_member_bytes)
        last: str | None = None
        for entry, reader in scan:
            if not self._admit(label):
                return
            path, reason = member_path(entry.name)
            if (path is None and reason is None) or entry.name.endswith(("/", "\\")):
                continue
            shown = prefix + (path or entry.name)
            last = shown
            if reason is None and reader is None:
                reason = "encrypted" if entry.encrypted else f"unsupported compression method {entry.method}"
            if reason is not None:
                yield Skipped(shown, reason)
                continue
            yield from self._expand(shown, cast(BinaryIO, reader), size=None, container="zip", level=level)
        if last is None:
            self.warnings.append(f"{label}: unreadable zip ({why})")
            yield Skipped(label, why)
        elif scan.stop:
            self.warnings.append(
                f"{label}: zip directory unreadable ({why}); read in stored order up to member {last}, "
                f"then {scan.stop}; later members unread"
            )


_WINDOWS_ROOT = re.compile(r"([A-Za-z]):[\\/]")


def member_path(name: str) -> tuple[str | None, str | None]:
    """``normalise(name)``, but a Windows drive stays, as written, in front of the path.

    ``C:\\WindowsAzure\\Logs\\WaAppAgent.log`` (as some Windows collectors name tar and zip
    members) is shown as ``C:/WindowsAzure/Logs/WaAppAgent.log``: the name its owner knows, and never
    the same name as a member ``WindowsAzure/Logs/WaAppAgent.log`` beside it. It stays a relative
    name, refused like any other if it holds ``..`` or a second root.
    """
    path, reason = normalise(name)
    drive = _WINDOWS_ROOT.match(name)
    if path is not None and drive is not None:
        if _WINDOWS_ROOT.match(path):  # C:/C:/x: a root inside a root is no name a collector writes
            return None, "absolute path"
        # One spelling per drive (Windows ignores its case): C:/x and c:/x are the same file twice.
        path = f"{drive[1].upper()}:/{path}"
    return path, reason


def _named(label: str, exc: BaseException) -> str:
    """``exc`` as a warning about ``label``: its reason, after the name once."""
    return f"{label}: {bs.describe(exc).removeprefix(f'{label}: ')}"


def _stub_zip(handle: BinaryIO) -> bool:
    """A zip behind a stub (a self-extracting archive): an end-of-central-directory record near
    the end, and zipfile reads the directory it points to. ``handle`` is rewound either way."""
    if not bs.ends_like_zip(handle):
        return False
    import zipfile

    try:
        with zipfile.ZipFile(handle) as archive:
            # zipfile takes any 22 bytes that start right for an empty zip; entries it found are a
            # central directory read whole, signatures and all.
            return bool(archive.infolist())
    except Exception:  # BadZipFile, a bad offset, ...: binary data after all
        return False
    finally:
        handle.seek(0)


# What self-extractors start with: a Windows or Linux executable, a script; a zip behind data that
# starts otherwise is read from a file (which seeks), not from a pipe.
_STUB_MAGICS = (b"MZ", b"\x7fELF", b"#!")


def _stub_like(head: bytes) -> bool:
    return head.startswith(_STUB_MAGICS)


def _is_page(name: str, head: bytes) -> bool:
    """An HTML or XML page (a failed download) under a name that promises compressed data."""
    return name.lower().endswith(_COMPRESSED_SUFFIXES) and head.lstrip()[:1] == b"<"


def _special_reason(mode: int) -> str | None:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return None


def _tar_type_reason(info: TarEntry) -> str | None:
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    if info.isdev():
        return "device"
    if info.isfifo():
        return "fifo"
    if not info.isreg():
        return f"unsupported tar member type {info.type!r}"
    if info.sparse:  # holes would need the sparse map; collectors never write sparse logs
        return "sparse file"
    return None
