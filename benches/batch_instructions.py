"""Benchmark: instructions executed by `logparse batch --jobs 1` and `--jobs 2` on the 200-bundle fleet.

Wall-clock speedups on a shared 2-vCPU machine mix two things: work the second process adds
(forks, a second warm-up, pickling results) and what the machine gives two busy processes (two
vCPUs may not be two cores' worth). Instruction counts, from valgrind's cachegrind without its
cache model, separate them: they do not depend on load, so they show the code's own overhead.

A forked child starts with its parent's counters, so each worker's own count is its total minus
what the parent had executed when it forked. That part is measured by a third run that stops at
the first fork (the same command, with the worker start replaced by an exit).

Printed: instructions of each run and process, the extra work of --jobs 2 over --jobs 1, and a
model: the speedup on two cores that each run instructions as fast as one alone, i.e.
I(--jobs 1) / (I(before the fork) + I(everything after it) / 2). It leaves out what the
machine adds (contention) and what the run waits on (disk), so it bounds the wall-clock figure
of benches/batch_speed.py from above. Needs valgrind; takes a few minutes (valgrind runs ~30x
slower). Results go to benches/out/batch_instructions.json.

Usage: python benches/batch_instructions.py [BUNDLES] [SIZE_MB]
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benches.batch_speed import OUT, _environment, fleet  # noqa: E402

# Runs the CLI as `python -m logparse` does, but the first worker start exits the process.
_UNTIL_FORK = """
import sys
from logparse import batch, cli
def _stop(*args, **kwargs):
    raise SystemExit(0)
batch._Worker.__init__ = _stop
cli.main(sys.argv[1:])
"""


def _cachegrind(tmp: Path, name: str, args: list[str], children: bool) -> tuple[int, dict[int, int]]:
    """Run ``python ARGS`` under cachegrind; returns (its pid, instructions per process id)."""
    out = tmp / f"{name}.%p.out"
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--trace-children={'yes' if children else 'no'}",
           f"--cachegrind-out-file={out}", sys.executable, *args]
    proc = subprocess.Popen(cmd, env=_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{name}: valgrind run failed ({proc.returncode}): {err[-500:]}")
    counts: dict[int, int] = {}
    for path in tmp.glob(f"{name}.*.out"):
        pid = int(path.name.split(".")[1])
        match = re.search(r"^summary:\s+(\d+)", path.read_text(), re.MULTILINE)
        if match:
            counts[pid] = int(match.group(1))
    return proc.pid, counts


def main() -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: this benchmark counts instructions with it")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    size_mb = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    folder, _ = fleet(count, size_mb)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)

        def batch_args(db: str, jobs: int) -> list[str]:
            return ["batch", str(folder), "--db", str(tmp / db), "--jobs", str(jobs), "--quiet"]

        # One at a time: three valgrinds at once on two cores would only take longer.
        _, one = _cachegrind(tmp, "jobs1", ["-m", "logparse", *batch_args("one.sqlite", 1)], children=False)
        _, fork = _cachegrind(tmp, "prefork", ["-c", _UNTIL_FORK, *batch_args("pre.sqlite", 2)], children=False)
        parent_pid, two = _cachegrind(tmp, "jobs2", ["-m", "logparse", *batch_args("two.sqlite", 2)], children=True)
    single = sum(one.values())
    before_fork = sum(fork.values())
    parent = two.pop(parent_pid)
    # The second worker is forked after the first: it inherits a few more instructions, within the
    # model's error (the parent's work between the two forks is tiny).
    workers = [total - before_fork for total in two.values()]
    after_fork = parent - before_fork + sum(workers)
    extra = (before_fork + after_fork) / single - 1
    model = single / (before_fork + after_fork / 2)
    print(f"--jobs 1: {single / 1e9:.2f} G instructions")
    print(f"--jobs 2: parent {parent / 1e9:.2f} G (of which {before_fork / 1e9:.2f} G before the first fork), "
          f"workers {' + '.join(f'{w / 1e9:.2f}' for w in workers)} G")
    print(f"work --jobs 2 adds: {100 * extra:+.1f}% instructions")
    print(f"model speedup on two cores that each run as fast as one alone: {model:.2f}x "
          "(the serial part is everything before the first fork)")
    result = {"bundles": count, "size_mb": size_mb, "jobs1_instructions": single, "before_fork": before_fork,
              "jobs2_parent": parent, "jobs2_workers": workers, "extra_work": round(extra, 4),
              "model_speedup": round(model, 3)}
    (OUT / "batch_instructions.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
