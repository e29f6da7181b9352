"""Open a file, a compressed file or stdin as decoded lines, counting lines by ``\\n`` only."""

from __future__ import annotations

import codecs
import os
import stat
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import IO, BinaryIO, cast

from logparse import _streams as bs
from logparse.errors import SourceError
from logparse.sources import MAX_LAYERS, Limits

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# A decoded file larger than this is refused rather than filling memory or disk: triage's
# --max-member-size default, for callers that give no ``Limits``.
DEFAULT_MAX_BYTES = Limits.max_member_bytes
# What iter_chunks decompresses itself. open_input also peels bz2 and xz, as it must see a
# tar.bz2 or tar.xz to refuse it; iter_chunks keeps its narrower contract for the members and
# text that callers hand it.
TEXT_COMPRESSIONS = ("gz", "zst")
# A line longer than this is cut: its first MAX_LINE_CHARS characters and CUT_MARK end the line,
# and the rest up to its ``\n`` is dropped. Cut, not split into pieces: pieces would count as
# lines and shift every later line number, and no agent writes a 1 MiB line worth reading whole
# (what does is a NUL-filled preallocated file, a core dump or a base64 blob).
MAX_LINE_CHARS = 1 << 20
CUT_MARK = f" [... line cut by logparse after {MAX_LINE_CHARS} characters]"


def _sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return bs.utf16_of(head) or "utf-8"  # UTF-16 without a BOM, as triage reads it


def _decoded(raw: BinaryIO, name: str, kinds: Collection[str],
             limits: Limits | None = None) -> tuple[bs.Peekable, list[str]]:
    """``raw`` with its compression layers of ``kinds`` peeled off by magic bytes (never the suffix), under caps.

    The caps are triage's (``limits``; by default ``sources.Limits`` with ``DEFAULT_MAX_BYTES`` per
    file), said in its words: a gzip bomb trips the ratio, ``/dev/zero`` the size cap, instead of
    running for minutes. One file is one member: the total cap binds when it is the smaller.
    """
    limits = limits or Limits(max_member_bytes=DEFAULT_MAX_BYTES)
    cap, reason = limits.max_member_bytes, f"exceeds per-member cap of {limits.max_member_bytes} bytes"
    stream = bs.Peekable(cast(BinaryIO, bs.Guard(raw, name, max_bytes=cap, cap_reason=reason)))
    layers: list[str] = []
    for _ in range(MAX_LAYERS):
        kind = bs.compression_of(stream.peek(bs.HEAD_BYTES))
        if kind is None or kind not in kinds:
            break
        counted = bs.Counting(cast(BinaryIO, stream))
        stream = bs.Peekable(cast(BinaryIO, bs.Guard(
            bs.decoder(kind, cast(BinaryIO, counted)), name, max_bytes=cap, cap_reason=reason,
            compressed=counted, max_ratio=limits.max_ratio, ratio_grace=limits.ratio_grace_bytes,
        )))
        layers.append(kind)
    if limits.max_total_bytes < cap:
        budget = bs.Budget(limits.max_total_bytes)
        stream = bs.Peekable(cast(BinaryIO, bs.Guard(cast(BinaryIO, stream), name, max_bytes=cap,
                                                     cap_reason=reason, budget=budget)))
    return stream, layers


class _Lines:
    """Decoded text in, whole lines out (each ending at ``\\n``), with overlong lines cut."""

    def __init__(self, max_line: int = MAX_LINE_CHARS) -> None:
        self._max_line = max_line
        self._done: list[str] = []  # whole lines not handed out yet; joined once per chunk
        self.held = 0
        self._line: list[str] = []  # the line being read, without its \n
        self._line_len = 0
        self._cutting = False  # the line being read was cut and handed out: drop up to its \n

    def feed(self, text: str) -> None:
        first = text.find("\n")
        if first < 0:
            self._extend(text)
            return
        self._extend(text[:first])
        self._end_line()
        last = text.rfind("\n")
        if last > first:
            middle = text[first + 1 : last + 1]
            if len(middle) <= self._max_line:  # then no line inside it can be too long
                self._push(middle)
            else:
                for line in middle[:-1].split("\n"):
                    self._extend(line)
                    self._end_line()
        self._extend(text[last + 1 :])

    def take(self) -> str:
        """The whole lines read so far, CRLF as LF."""
        chunk = "".join(self._done).replace("\r\n", "\n")
        self._done, self.held = [], 0
        return chunk

    def rest(self) -> str:
        """What follows the last ``\\n`` at the end of the stream; a final lone ``\\r`` is dropped."""
        tail = "" if self._cutting else "".join(self._line).replace("\r\n", "\n")
        return tail[:-1] if tail.endswith("\r") else tail

    def _extend(self, piece: str) -> None:
        if not piece or self._cutting:
            return
        room = self._max_line - self._line_len
        if len(piece) <= room:
            self._line.append(piece)
            self._line_len += len(piece)
            return
        # Hand the cut line out now rather than at its \n: a line with no end (/dev/zero) then
        # still yields chunks, and detection reads about MAX_LINE_CHARS, not the whole line.
        self._line.append(piece[:room])
        self._push("".join(self._line) + CUT_MARK + "\n")
        self._line, self._line_len, self._cutting = [], 0, True

    def _end_line(self) -> None:
        if self._cutting:
            self._cutting = False  # its \n went out with its cut head
            return
        self._line.append("\n")
        self._push("".join(self._line))
        self._line, self._line_len = [], 0

    def _push(self, text: str) -> None:
        self._done.append(text)
        self.held += len(text)


def iter_chunks(stream: BinaryIO, name: str, size: int = 1 << 20, limits: Limits | None = None) -> Iterator[str]:
    """Decoded text in pieces of about ``size`` characters, each ending at a ``\n``.

    Only the last piece may lack the final ``\n``. CRLF becomes LF; a lone ``\r`` stays
    inside its line, because the agent writes raw ``\r`` from command output and lines are
    counted by ``\n`` only (a universal-newline reader would shift every later line). A line
    longer than ``MAX_LINE_CHARS`` is cut (see there).

    Raises:
        SourceError: the stream is corrupt, truncated or over a cap (``limits``, see ``_decoded``);
            text read before it was yielded.
    """
    lines = _Lines()
    error: SourceError | None = None
    # Read bytes in modest blocks and decode incrementally, so a stream that breaks
    # (truncated gzip) loses at most one block, not a whole text-layer buffer.
    block = max(4096, min(size, 64 * 1024))
    try:
        data, _ = _decoded(stream, name, TEXT_COMPRESSIONS, limits)
        decoder = codecs.getincrementaldecoder(_sniff_encoding(data.peek(512)[:512]))(errors="backslashreplace")
        while True:
            raw = data.read1(block)
            lines.feed(decoder.decode(raw, final=not raw))
            if not raw:
                break
            if lines.held >= size:
                yield lines.take()
    except SourceError as exc:  # the guards turn every read failure into one, naming the stream
        error = exc
    # The last line without its \n still counts, also when the stream broke after it.
    last = lines.take() + lines.rest()
    if last:
        yield last
    if error is not None:
        raise error


def lines_of(chunks: Iterator[str]) -> Iterator[str]:
    """Split ``iter_chunks`` output into lines without terminators."""
    for chunk in chunks:
        body = chunk[:-1] if chunk.endswith("\n") else chunk
        yield from body.split("\n")


@contextmanager
def open_input(path: str, limits: Limits | None = None) -> Iterator[tuple[str, BinaryIO]]:
    """Yield ``(display name, decompressed binary stream)`` for a path or ``-`` (stdin), read
    under ``limits`` (see ``_decoded``).

    Raises:
        SourceError: the path is missing, a directory, an archive or unreadable; reading the
            stream raises it when a cap trips.
    """
    if path == "-":
        yield "<stdin>", _one_log("<stdin>", sys.stdin.buffer, limits)
        return
    if os.path.isdir(path):
        raise SourceError(f"{path}: is a directory, not a log file (use logparse triage for a bundle)")
    try:
        handle: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: no such file") from exc
    except OSError as exc:
        raise SourceError(f"{path}: cannot open ({exc.strerror or exc})") from exc
    try:
        yield path, _one_log(path, cast(BinaryIO, handle), limits)
    finally:
        handle.close()


def _one_log(name: str, raw: BinaryIO, limits: Limits | None = None) -> BinaryIO:
    """``raw`` decompressed; an archive is refused, as its members are files of their own."""
    stream, layers = _decoded(raw, name, ("gz", "zst", "bz2", "xz"), limits)
    archive = bs.archive_of(stream.peek(bs.HEAD_BYTES))
    if archive is not None:
        kind = ".".join([archive, *reversed(layers)])
        raise SourceError(f"{name}: is a {kind} archive, not a log file (use logparse triage for a bundle)")
    return cast(BinaryIO, stream)


def looks_binary(path: str) -> bool:
    """The start of ``path`` is binary data (``_streams.text_start``), binary junk before text, or
    nothing but NUL bytes; False if unreadable. NUL padding in text and UTF-16 text are no sign."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode)):
        return False  # a second open of a pipe would read other bytes, or wait for a writer forever
    try:
        with open_input(path) as (_, stream):
            head = cast(bs.Peekable, stream).peek(bs.SNIFF_BYTES)[: bs.SNIFF_BYTES]
    except SourceError:
        return False
    return bs.text_start(head) != 0 or (bool(head) and not head.strip(b"\0"))
