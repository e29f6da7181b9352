"""Open a file, a compressed file or stdin as decoded lines, counting lines by ``\\n`` only."""

from __future__ import annotations

import codecs
import gzip
import io
import os
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, BinaryIO

from logparse.errors import SourceError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# A decoded member larger than this is refused rather than filling memory or disk.
DEFAULT_MAX_BYTES = 4 * 1024**3


def _sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def _decompressed(raw: BinaryIO, name: str) -> BinaryIO:
    """Wrap ``raw`` in a decompressor when its magic bytes say so (never trust the suffix)."""
    buffered: Any = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)
    magic = buffered.peek(4)[:4]
    if magic.startswith(GZIP_MAGIC):
        return _gzip_reader(buffered)
    if magic == ZSTD_MAGIC:
        import zstandard  # imported lazily: most inputs are not zstd

        reader = zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
        wrapped: BinaryIO = io.BufferedReader(reader)
        return wrapped
    result: BinaryIO = buffered
    return result


def _gzip_reader(raw: BinaryIO) -> BinaryIO:
    # isal's igzip decompresses several times faster than zlib and reads the same format;
    # fall back to the standard library where the wheel is not installed.
    try:
        from isal import igzip

        return igzip.IGzipFile(fileobj=raw, mode="rb")  # type: ignore[no-untyped-call,return-value]
    except ImportError:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]


def iter_chunks(stream: BinaryIO, name: str, size: int = 1 << 20) -> Iterator[str]:
    """Decoded text in pieces of about ``size`` characters, each ending at a ``\n``.

    Only the last piece may lack the final ``\n``. CRLF becomes LF; a lone ``\r`` stays
    inside its line, because the agent writes raw ``\r`` from command output and lines are
    counted by ``\n`` only (a universal-newline reader would shift every later line).

    Raises:
        SourceError: the stream is corrupt or truncated; text read before it was yielded.
    """
    data = _decompressed(stream, name)
    carry = ""
    error: SourceError | None = None
    # Read bytes in modest blocks and decode incrementally, so a stream that breaks
    # (truncated gzip) loses at most one block, not a whole text-layer buffer.
    block = max(4096, min(size, 64 * 1024))
    decoder: codecs.IncrementalDecoder | None = None
    # read1 returns what one decompression step produced instead of looping until the
    # block is full, so a truncated stream keeps everything before the break.
    read = getattr(data, "read1", data.read)
    try:
        while True:
            if decoder is None:
                head = data.peek(4)[:4] if hasattr(data, "peek") else b""
                decoder = codecs.getincrementaldecoder(_sniff_encoding(head))(errors="backslashreplace")
            raw = read(block)
            piece = carry + decoder.decode(raw, final=not raw)
            if not raw:
                carry = piece
                break
            if len(piece) < size and raw:
                carry = piece
                continue
            cut = piece.rfind("\n") + 1
            if cut == 0:
                carry = piece
                continue
            carry = piece[cut:]
            yield piece[:cut].replace("\r\n", "\n")
    except (EOFError, OSError, zlib.error, gzip.BadGzipFile) as exc:
        error = SourceError(f"{name}: unreadable or truncated input ({_reason(exc)})")
    except Exception as exc:  # zstandard raises its own ZstdError
        if type(exc).__name__ != "ZstdError":
            raise
        error = SourceError(f"{name}: corrupt zstd stream ({_reason(exc)})")
    if carry:
        # The last line without its \n still counts, also when the stream broke after it.
        carry = carry.replace("\r\n", "\n")
        yield carry[:-1] if carry.endswith("\r") else carry
    if error is not None:
        raise error


def lines_of(chunks: Iterator[str]) -> Iterator[str]:
    """Split ``iter_chunks`` output into lines without terminators."""
    for chunk in chunks:
        body = chunk[:-1] if chunk.endswith("\n") else chunk
        yield from body.split("\n")


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def open_input(path: str) -> Iterator[tuple[str, BinaryIO]]:
    """Yield ``(display name, binary stream)`` for a path or ``-`` (stdin).

    Raises:
        SourceError: the path is missing, a directory or unreadable.
    """
    if path == "-":
        yield "<stdin>", sys.stdin.buffer
        return
    if os.path.isdir(path):
        raise SourceError(f"{path}: is a directory (logparse parse reads one file; use triage for bundles)")
    try:
        handle: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: no such file") from exc
    except OSError as exc:
        raise SourceError(f"{path}: cannot open ({exc.strerror or exc})") from exc
    try:
        yield path, handle  # type: ignore[misc]
    finally:
        handle.close()
