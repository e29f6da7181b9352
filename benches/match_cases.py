"""Precision, recall and false positives of ``logparse.match`` on the labelled cases in fixtures/cases.

Usage: python benches/match_cases.py [--threshold 0.5] [--catalogue EXTRA.toml] [-v]
Exits 1 when precision or recall is below 0.95 or any negative case reports a match.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from logparse.catalogue import load_catalogue
from logparse.fuzzy import match

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"
TARGET = 0.95
BINS = (0.3, 0.5, 0.7, 0.9, 1.01)


@dataclass
class Score:
    """Counts over the whole labelled set at one threshold, plus right/reported per confidence bin."""

    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    negatives_hit: int = 0
    bins: dict[float, list[int]] = field(default_factory=lambda: {low: [0, 0] for low in BINS[:-1]})

    @property
    def precision(self) -> float:
        reported = self.true_pos + self.false_pos
        return self.true_pos / reported if reported else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_pos + self.false_neg
        return self.true_pos / expected if expected else 1.0


def load_cases(folder: Path = CASES) -> list[tuple[str, str, set[str]]]:
    """``(case name, text, expected ids)``; unknown codes count as expected ids."""
    labels = tomllib.loads((folder / "labels.toml").read_text(encoding="utf-8"))["case"]
    out = []
    for name, label in sorted(labels.items()):
        text = (folder / f"{name}.txt").read_text(encoding="utf-8")
        out.append((name, text, set(label.get("expect", [])) | set(label.get("unknown", []))))
    return out


def evaluate(threshold: float = 0.5, extra: tuple[str, ...] = (), verbose: bool = False) -> tuple[Score, list[str]]:
    """Score every case; returns the totals and one line per case that was not perfect."""
    catalogue = load_catalogue(extra)
    score, misses = Score(), []
    for name, text, expected in load_cases():
        results = match(text, catalogue)
        for r in results:
            low = max(b for b in BINS[:-1] if b <= r.confidence)
            score.bins[low][0] += r.id in expected
            score.bins[low][1] += 1
        got = {r.id for r in results if r.confidence >= threshold}
        score.true_pos += len(got & expected)
        score.false_pos += len(got - expected)
        score.false_neg += len(expected - got)
        if not expected and got:
            score.negatives_hit += 1
        if got != expected or verbose:
            shown = ", ".join(f"{r.id}={r.confidence:.2f}({r.matched})" for r in results[:5])
            flag = "ok  " if got == expected else "MISS"
            misses.append(f"{flag} {name}: expected {sorted(expected)} got [{shown}]")
    return score, misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--catalogue", action="append", default=[], help="extra catalogue TOML (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case, not only misses")
    args = parser.parse_args(argv)
    score, lines = evaluate(args.threshold, tuple(args.catalogue), args.verbose)
    for line in lines:
        print(line)
    print(f"cases: {len(load_cases())}  threshold: {args.threshold}")
    print(f"precision: {score.precision:.3f}  recall: {score.recall:.3f}  "
          f"true positives: {score.true_pos}  false positives: {score.false_pos}  "
          f"false negatives: {score.false_neg}  negatives matched: {score.negatives_hit}")
    print("calibration (share of reported matches that are right, per confidence bin):")
    for low, high in zip(BINS, BINS[1:], strict=False):
        right, reported = score.bins[low]
        share = f"{right / reported:.2f}" if reported else "-"
        print(f"  [{low:.1f}, {min(high, 1.0):.1f}{']' if high > 1 else ')'}: {share} of {reported}")
    ok = score.precision >= TARGET and score.recall >= TARGET and score.negatives_hit == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
