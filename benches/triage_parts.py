"""Benchmark: where one core's triage time goes, part by part, in seconds per GB of text.

Reads the first SIZE_MB of text of the cached 1 GB bundle (benches/triage_speed.py makes it) and
times, each alone and best of three: gzip inflate (isal), the Hyperscan scan of the waagent
scanner without callbacks with whole literals and with the stored pieces (logparse._prefilters),
the scan with its callbacks, and the whole per-chunk work (``scan_chunk``) with numpy counting.
Usage: python benches/triage_parts.py [SIZE_MB]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from logparse import chunks  # noqa: E402
from logparse.catalogue import Catalogue, load_catalogue  # noqa: E402
from logparse.scanner import Probe, Scanner, byte_chunks  # noqa: E402

BUNDLE = Path(__file__).resolve().parent / "out" / "bundle-1000mb-1.tar.gz"


def best(work: Callable[[], object], rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    from isal import igzip

    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    if not BUNDLE.exists():
        raise SystemExit(f"{BUNDLE} is missing: run python benches/triage_speed.py 1000 first")
    with igzip.open(BUNDLE) as fh:
        parts = []
        total = 0
        for chunk in byte_chunks(fh):  # the chunks triage scans in one process
            parts.append(chunk)
            total += len(chunk)
            if total >= size_mb * 1_000_000:
                break
    gb = sum(map(len, parts)) / 1e9

    def inflate() -> None:
        with igzip.open(BUNDLE) as fh:
            left = int(gb * 1e9)
            while left > 0 and (block := fh.read(1 << 20)):
                left -= len(block)

    cat = load_catalogue()
    chunks.expect_bytes(1 << 40)  # numpy counting, as on a large input
    pieced = chunks.chunk_scanner(cat, "waagent", "hyperscan")
    for chunk in parts[:5]:
        pieced.scan_split(chunk)  # lets a piece common in this text go back to its literal first
    whole = Scanner([Probe(p.key, p.literal, p.regex, p.caseless) for p in pieced.probes], "hyperscan")
    job = (cat.digest, "waagent", "hyperscan", False)

    def bare_scan(scanner: Scanner) -> Callable[[], None]:
        engine = scanner._tables.engine  # the engine alone, without Python callbacks
        scratch = engine._hs.Scratch(engine._db)
        return lambda: [engine._db.scan(c, match_event_handler=None, scratch=scratch) for c in parts]

    def scan_all(job: tuple[str, str, str, bool], cat: Catalogue) -> None:
        # Each result dropped before the next chunk, as triage does: kept in a list, every chunk's
        # newline mask would stay alive too (the size of the text, in fresh pages).
        for c in parts:
            chunks.scan_chunk(job, c, cat)

    rows = [
        ("gzip inflate (isal)", best(inflate)),
        ("Hyperscan, whole literals, no callbacks", best(bare_scan(whole))),
        ("Hyperscan, stored pieces, no callbacks", best(bare_scan(pieced))),
        ("Hyperscan, stored pieces, with callbacks", best(lambda: [pieced.occurrences(c) for c in parts])),
        ("scan_chunk (scan, confirm, shapes, lines)", best(lambda: scan_all(job, cat))),
    ]
    print(f"{gb * 1000:,.0f} MB of text from {BUNDLE.name}, best of three, seconds per GB:")
    for what, seconds in rows:
        print(f"  {what:44} {seconds / gb:6.2f}")


if __name__ == "__main__":
    main()
