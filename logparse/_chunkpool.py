"""Worker processes for the per-chunk scan of a large triage (``--jobs`` 2 and more).

Why processes: ``scan_chunk`` is mostly Python holding the GIL, and Hyperscan calls back into
Python for every match, so threads in one process barely overlap (measured: a second thread
scanning waited on the GIL for most of its callbacks). A forked worker has its own GIL and
starts with the parent's compiled scanners. Chunks reach it through a shared-memory ring, one
copy each way and no pickling of the bytes; what comes back is small (confirmed lines and
level-line shapes, see ``chunks.pack``).

Answers cannot differ from scanning in the parent: the worker runs the very same pure
function, and any trouble with a worker (it died, a chunk too big for a slot, an exception)
makes the parent scan that chunk itself. Only Linux uses it (see ``available``).
"""

from __future__ import annotations

import mmap
import os
import sys
from collections import deque
from collections.abc import Iterator
from typing import Any

from logparse import _fork
from logparse.catalogue import Catalogue
from logparse.chunks import ChunkScan, pack, scan_chunk, unpack

SLOT_BYTES = 4 << 20  # pooled chunks are ~1 MiB (a carried long line can add more): bigger ones stay home
SLOTS_PER_WORKER = 3
LOCAL_AHEAD = 2  # chunks this process may scan itself beyond the ring while the workers are busy


def available() -> bool:
    """Whether worker processes are used here: Linux, where ``fork`` is safe and cheap (macOS
    system libraries are not fork-safe, Windows has no fork; both keep the read-ahead thread)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class ChunkPool:
    """``workers`` forked processes that run ``scan_chunk`` on chunks handed over in order."""

    def __init__(self, workers: int, catalogue: Catalogue) -> None:
        self._slots = workers * SLOTS_PER_WORKER
        self._ring = mmap.mmap(-1, self._slots * SLOT_BYTES)
        self._free: deque[int] = deque(range(self._slots))
        self._workers: list[tuple[Any, Any]] = []  # (process, connection)
        self._next = 0  # round robin
        self.broken = False
        try:
            for _ in range(workers):
                others = [conn for _, conn in self._workers]
                self._workers.append(_fork.start(_serve, (self._ring, catalogue), others))
        except OSError:  # fork or pipe refused: the workers started so far go, the caller scans alone
            self.close()
            raise

    def scan(self, chunks: Iterator[bytes], job: tuple[str, str, str, bool], catalogue: Catalogue
             ) -> Iterator[tuple[bytes, ChunkScan]]:
        """``(chunk, scan_chunk(job, chunk))`` in order; reading stays ahead by the ring's size.

        While every slot is taken and the oldest is not back yet, this process scans the next
        chunk itself rather than wait: the share each side takes follows their speeds. An error
        raised by ``chunks`` (a cut archive) comes after the chunks read before it.
        """
        # (chunk, connection awaited or None, slot or -1, result when scanned here)
        pending: deque[tuple[bytes, Any, int, ChunkScan | None]] = deque()
        failure: BaseException | None = None
        done = False
        limit = self._slots + LOCAL_AHEAD
        try:
            while True:
                while not done and failure is None and len(pending) < limit:
                    local = not self._free and not self.broken
                    if local and not (pending and pending[0][1] is not None and not pending[0][1].poll()):
                        break  # the oldest is back (or scanned here): hand it on first
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        done = True
                        break
                    except BaseException as exc:  # noqa: BLE001 - re-raised after the chunks before it
                        failure = exc
                        break
                    if local:
                        pending.append((chunk, None, -1, scan_chunk(job, chunk, catalogue)))
                        continue
                    pending.append(self._send(chunk, job))
                    if self.broken:
                        break  # scan the backlog here, one chunk at a time
                if not pending:
                    break
                chunk, conn, slot, scanned = pending.popleft()
                if conn is not None:
                    scanned = self._receive(conn, chunk)
                if slot >= 0:
                    self._free.append(slot)
                yield chunk, scanned if scanned is not None else scan_chunk(job, chunk, catalogue)
        finally:
            for _, conn, slot, _ in pending:
                if conn is not None:
                    self._receive(conn, b"")  # keep requests and replies in step for the next member
                if slot >= 0:
                    self._free.append(slot)
        if failure is not None:
            raise failure

    def _send(self, chunk: bytes, job: tuple[str, str, str, bool]) -> tuple[bytes, Any, int, ChunkScan | None]:
        if self.broken or len(chunk) > SLOT_BYTES or not self._free:
            return chunk, None, -1, None
        slot = self._free.popleft()
        start = slot * SLOT_BYTES
        self._ring[start:start + len(chunk)] = chunk
        process, conn = self._workers[self._next]
        self._next = (self._next + 1) % len(self._workers)
        try:
            conn.send((start, len(chunk), job))
        except (OSError, ValueError):
            self.broken = True
            return chunk, None, slot, None
        return chunk, conn, slot, None

    def _receive(self, conn: Any, chunk: bytes) -> ChunkScan | None:
        try:
            packed = conn.recv()
        except (EOFError, OSError):
            self.broken = True  # the worker died: the parent scans from now on
            return None
        return unpack(packed, chunk) if packed is not None else None

    def close(self) -> None:
        """Stop the workers (they end when their pipe closes) and release the ring."""
        for _, conn in self._workers:
            try:
                conn.send(None)
                conn.close()
            except OSError:
                pass
        for process, _ in self._workers:
            process.join(timeout=2)
            if process.is_alive():
                process.kill()
                process.join(timeout=2)
        self._ring.close()


def _serve(conn: Any, ring: mmap.mmap, catalogue: Catalogue) -> None:
    """The worker's loop: a chunk's place in the ring in, its packed scan out, until told to stop."""
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        if request is None:
            break
        start, length, job = request
        chunk = ring[start:start + length]
        try:
            packed = pack(scan_chunk(job, chunk, catalogue))
        except Exception:  # noqa: BLE001 - the parent scans this chunk itself and meets the error there
            packed = None
        conn.send(packed)
