"""Benchmark: waagent.log parsing throughput (records in-process and `logparse parse` end to end).

Prints lines/s and MB/s next to `grep -c` and `wc -l` over the same file in the same run, the
peak memory of the CLI, and the full-LALR reference rate. Results also go to
benches/out/parse_speed.json. Usage: python benches/parse_speed.py [LINES]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benches.gen_waagent import generate  # noqa: E402
from logparse.formats import get  # noqa: E402
from logparse.textio import iter_chunks  # noqa: E402


def _timed(cmd: list[str] | str, shell: bool = False) -> tuple[float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, shell=shell, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before)


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "waagent.log"
        with path.open("w") as fh:
            for line in generate(lines, seed=42):
                fh.write(line + "\n")
        size_mb = path.stat().st_size / 1e6
        rows: dict[str, dict[str, float]] = {}

        def row(name: str, seconds: float, peak_kb: int | None = None) -> None:
            rows[name] = {"seconds": round(seconds, 3), "lines_per_s": round(lines / seconds),
                          "mb_per_s": round(size_mb / seconds, 1)}
            if peak_kb is not None:
                rows[name]["peak_mb"] = round(peak_kb / 1024, 1)

        for name, cmd in (("grep -c (baseline)", ["grep", "-c", "", str(path)]),
                          ("wc -l (baseline)", ["wc", "-l", str(path)])):
            row(name, _timed(cmd)[0])

        fmt = get("waagent")
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            with path.open("rb") as fh:
                records = sum(1 for _ in fmt.parse_chunks(iter_chunks(fh, "waagent.log"), "waagent.log"))
            best = min(best, time.perf_counter() - start)
        row("parse into records (in-process, 1 core)", best)

        elapsed, peak = _timed([sys.executable, "-m", "logparse", "parse", str(path), "--as", "waagent",
                                "--format", "jsonl"])
        row("logparse parse --format jsonl (end to end)", elapsed, peak)

        sample = path.read_text().split("\n")[:20_000]
        start = time.perf_counter()
        for line in sample:
            fmt.grammar.parse_slow(line)  # type: ignore[attr-defined]
        slow = time.perf_counter() - start
        rows["full LALR parse per line (reference)"] = {"lines_per_s": round(len(sample) / slow)}

    print(f"{lines:,} lines, {size_mb:.0f} MB, {records:,} records, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores")
    print(f"{'what':48} {'lines/s':>12} {'MB/s':>8} {'peak MB':>8}")
    for name, r in rows.items():
        print(f"{name:48} {r['lines_per_s']:>12,} {r.get('mb_per_s', ''):>8} {r.get('peak_mb', ''):>8}")
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "parse_speed.json").write_text(json.dumps({"lines": lines, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
