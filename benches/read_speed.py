"""Benchmark: how fast ``open_source`` hands out the members of a tar.gz, next to bare isal inflation.

Rows (MB/s of decompressed bytes, best of ROUNDS by CPU time, which other jobs on the machine
disturb less than wall time; each row in a fresh process): bare ``isal.igzip_lib.IgzipDecompressor`` over the file (1 MiB
outputs);
``open_source`` reading every member to the end in 1 MiB ``read1`` calls (after a ``peek``, as
triage does) and in 1 MiB ``read`` calls; and tarfile's stream mode (``r|``) over the same
decoder behind a 1 MiB buffer, the path sources took before it had its own tar reader. The bundle comes from
benches/gen_bundle.py. Usage: python benches/read_speed.py [BUNDLE.tar.gz] [ROUNDS]
"""

from __future__ import annotations

import gc
import io
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from logparse import _streams as bs  # noqa: E402
from logparse.sources import Skipped, open_source  # noqa: E402

MiB = 1 << 20
DEFAULT = Path(__file__).resolve().parent / "out" / "bundle-1000mb-1.tar.gz"


def bare_isal(path: Path) -> int:
    """Inflate in 1 MiB outputs, as the decoder does: unbounded outputs (~8 MiB) are twice as slow."""
    from isal import igzip_lib

    total = 0
    with path.open("rb", buffering=0) as raw:
        dec = igzip_lib.IgzipDecompressor(flag=igzip_lib.DECOMP_GZIP)
        while not dec.eof:
            chunk = b""
            if dec.needs_input:
                chunk = raw.read(MiB)
                if not chunk:
                    break
            total += len(dec.decompress(chunk, MiB))
    return total


def _drain(stream: BinaryIO, read: str) -> int:
    total = 0
    pull = getattr(stream, read)
    while block := pull(MiB):
        total += len(block)
    return total


def sources(path: Path, read: str) -> int:
    total = 0
    with open_source(path) as bundle:
        for item in bundle:
            if isinstance(item, Skipped):
                continue
            stream = item[1]
            cast(io.BufferedReader, stream).peek(4096)  # what triage does first: sniff the format
            total += _drain(stream, read)
        if bundle.warnings:
            raise SystemExit(f"warnings: {bundle.warnings}")
    return total


def tarfile_stream(path: Path) -> int:
    total = 0
    with path.open("rb") as raw:
        # As sources did: a 1 MiB buffer in front of tarfile's 10 KiB record reads.
        decoded = io.BufferedReader(cast(Any, bs.decoder("gz", cast(BinaryIO, raw))), buffer_size=MiB)
        with tarfile.open(fileobj=decoded, mode="r|") as archive:
            for info in archive:
                member = archive.extractfile(info)
                if member is not None:
                    total += _drain(cast(BinaryIO, member), "read1")
    return total


ROWS: dict[str, Callable[[Path], int]] = {
    "bare isal": bare_isal,
    "open_source read1(1 MiB)": lambda path: sources(path, "read1"),
    "open_source read(1 MiB)": lambda path: sources(path, "read"),
    "tarfile r| (old path)": tarfile_stream,
}


def measure(name: str, path: Path, rounds: int) -> float:
    """Best CPU seconds of ``rounds`` runs of one row, in this (fresh) process."""
    best_cpu = best_wall = float("inf")
    size = 0
    for _ in range(rounds):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        size = ROWS[name](path)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    print(f"{name:<26} {size / 1e6 / best_cpu:6.0f} MB/s  {best_cpu:5.2f} s cpu  {best_wall:5.2f} s wall  "
          f"({size} bytes)", flush=True)
    return best_cpu


def main() -> None:
    if sys.argv[1:2] == ["--row"]:
        measure(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
        return
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    rounds = sys.argv[2] if len(sys.argv) > 2 else "3"
    if not path.exists():
        raise SystemExit(f"{path}: missing; make it with python benches/gen_bundle.py {path} 1000 1")
    # One process per row: the allocator's state (see _streams.tune_heap) must not leak between rows.
    cpu = {}
    for name in ROWS:
        done = subprocess.run([sys.executable, __file__, "--row", name, str(path), rounds],
                              capture_output=True, text=True, check=True)
        print(done.stdout, end="", flush=True)
        cpu[name] = float(done.stdout.split("MB/s")[1].split("s cpu")[0])
    base = cpu["bare isal"]
    print("cost over bare isal: " + ", ".join(f"{name} {cpu[name] / base:.2f}x" for name in list(ROWS)[1:]))


if __name__ == "__main__":
    main()
