"""Benchmark: wall time of `logparse triage` on a small log file, next to the bare interpreter start-up.

Usage: python benches/startup.py [RUNS]   (caches warm: the first run is not counted)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

SMALL = Path(__file__).resolve().parent.parent / "fixtures" / "bundles" / "linux_healthy" / "var" / "log" / "waagent.log"


def wall(cmd: list[str], runs: int) -> list[float]:
    subprocess.run(cmd, capture_output=True, check=False)  # warm the caches (grammar tables, catalogue)
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    rows = {
        "python -c pass (baseline)": wall([sys.executable, "-c", "pass"], runs),
        "logparse triage SMALL --json": wall([sys.executable, "-m", "logparse", "triage", str(SMALL), "--json",
                                              "--quiet"], runs),
        "logparse triage SMALL (table)": wall([sys.executable, "-m", "logparse", "triage", str(SMALL), "--quiet"],
                                              runs),
    }
    print(f"{'what':36} {'median s':>9} {'min s':>7}   ({runs} runs, {SMALL.name})")
    for name, values in rows.items():
        print(f"{name:36} {statistics.median(values):>9.3f} {min(values):>7.3f}")


if __name__ == "__main__":
    main()
