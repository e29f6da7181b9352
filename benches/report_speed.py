"""Benchmark: rendering each report format next to the triage that produced the result (goal: < 5%).

Triage runs once, in-process with one worker, on the generated bundle; the result is saved as JSON
in benches/out/ with its triage time, so later runs render from the saved result without paying
for triage again (``--fresh`` redoes it). Each format is rendered to a file in a temp directory,
best of ``ROUNDS``. Usage: python benches/report_speed.py [SIZE_MB] [SEED] [--fresh]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benches.triage_speed import bundle  # noqa: E402
from logparse.findings import TriageResult  # noqa: E402
from logparse.render import FORMATS, RenderOptions, write_report  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
ROUNDS = 5
BUDGET = 0.05


def saved_result(size_mb: int, seed: int, fresh: bool) -> tuple[TriageResult, float]:
    import logparse

    path, _ = bundle(size_mb, seed)
    saved = OUT / f"result-{size_mb}mb-{seed}.json"
    if fresh or not saved.exists() or saved.stat().st_mtime < path.stat().st_mtime:
        start = time.perf_counter()
        result = logparse.triage(str(path), jobs=1)
        seconds = time.perf_counter() - start
        saved.write_text(json.dumps({"triage_seconds": seconds, "result": result.to_dict()}, ensure_ascii=False))
    data = json.loads(saved.read_text())
    return TriageResult.from_dict(data["result"]), float(data["triage_seconds"])


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    size_mb = int(args[0]) if args else 1000
    seed = int(args[1]) if len(args) > 1 else 1
    result, triage_seconds = saved_result(size_mb, seed, "--fresh" in sys.argv)
    timeline = result.timeline
    print(f"bundle {size_mb} MB seed {seed}: triage {triage_seconds:.2f} s (one worker); "
          f"{len(result.findings)} findings, {len(timeline.events)} events (+{timeline.dropped_events} dropped), "
          f"{sum(len(b) for b in timeline.buckets.values())} buckets")
    print(f"{'format':10} {'seconds':>9} {'% of triage':>12} {'bytes':>10}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in FORMATS:
            target = Path(tmp) / f"report.{fmt}"
            best = min(_timed(result, fmt, str(target)) for _ in range(ROUNDS))
            share = best / triage_seconds
            rows.append({"format": fmt, "seconds": best, "share": share, "bytes": target.stat().st_size})
            print(f"{fmt:10} {best:>9.4f} {share * 100:>11.3f}% {target.stat().st_size:>10,}")
    worst = max(rows, key=lambda r: r["share"])
    verdict = "ok" if worst["share"] < BUDGET else "OVER BUDGET"
    print(f"slowest: {worst['format']} at {worst['share'] * 100:.3f}% of triage (budget {BUDGET:.0%}): {verdict}")
    (OUT / "report_speed.json").write_text(json.dumps({"size_mb": size_mb, "triage_seconds": triage_seconds,
                                                        "rows": rows}, indent=2))
    if worst["share"] >= BUDGET:
        raise SystemExit(1)


def _timed(result: TriageResult, fmt: str, target: str) -> float:
    start = time.perf_counter()
    write_report(result, fmt, target, RenderOptions(width=120))
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
