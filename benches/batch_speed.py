"""Benchmark: `logparse batch` over 200 generated bundles of 5 MB, --jobs 1 against --jobs 2, and per-bundle overhead.

Scaling: the same 200 bundles (5 MB of text each, 2-5 planted failures) are batched into a fresh
database with one worker and with two; the ratio of the two rates is the speedup (aim: >= 1.8 on
2 cores). Overhead: 200 tiny bundles (a few KB each) go through the same CLI, so nearly all of
their cost is what a bundle costs beyond its text: hashing, start-up and catalogue load spread
over the run, the worker round trip and the database transaction (aim: < 20 ms each). The
parts are also timed one by one in this process. Bundles are cached in benches/out/. The runs
use Python's bytecode cache as an installed package does (see _environment).
Results go to benches/out/batch_speed.json.

Usage: python benches/batch_speed.py [BUNDLES] [SIZE_MB] [ROUNDS]
"""

from __future__ import annotations

import functools
import io
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benches import gen_bundle  # noqa: E402
from logparse import batch  # noqa: E402
from logparse.store import Store  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
_BLOCK = gen_bundle._block


def _few_blocks(seed: int, lines: int = 200_000) -> bytes:
    # Four distinct 200k-line blocks (seconds each to make) serve every bundle; the seed still
    # moves the planted lines, so every bundle has its own content and hash.
    return _cached_block(seed % 4, lines)


@functools.cache
def _cached_block(seed: int, lines: int) -> bytes:
    return _BLOCK(seed, lines)


def fleet(count: int, size_mb: int) -> tuple[Path, int]:
    """``count`` bundles of ``size_mb`` MB of text (made once), and their total text bytes."""
    folder = OUT / f"batch-{count}x{size_mb}mb"
    folder.mkdir(parents=True, exist_ok=True)
    gen_bundle._block = _few_blocks  # type: ignore[assignment]
    total = 0
    try:
        for seed in range(1, count + 1):
            path = folder / f"vm-{seed:04d}.tar.gz"
            manifest = path.with_suffix(".json")
            if not path.exists() or not gen_bundle.is_current(manifest):
                plants = tuple(random.Random(seed).sample(gen_bundle.DEFAULT_PLANTS, 1 + seed % 4))
                gen_bundle.write_tar_gz(path, size_mb, seed, plants)
            total += int(json.loads(manifest.read_text())["bytes"])
    finally:
        gen_bundle._block = _BLOCK
    return folder, total


def tiny_fleet(count: int) -> Path:
    """``count`` bundles of a few KB: a short waagent.log, an extension log and waagent.conf."""
    folder = OUT / f"batch-{count}-tiny"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        path = folder / f"tiny-{index:04d}.tar.gz"
        if path.exists():
            continue
        log = "".join(f"2024-05-01T10:{m:02d}:00.000000Z INFO ExtHandler ExtHandler run {index} step {m}\n"
                      for m in range(40))
        if index % 3 == 0:
            log += f"2024-05-01T10:41:00.000000Z ERROR ExtHandler ExtHandler Unexpected state {index}\n"
        files = {"var/log/waagent.log": log.encode(), "etc/waagent.conf": b"Extensions.Enabled=y\n"}
        with tarfile.open(path, "w:gz") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size, info.mtime = len(data), 1714557600
                tar.addfile(info, io.BytesIO(data))
    return folder


def _environment() -> dict[str, str]:
    # As installed: pip writes .pyc files at install time, and Python caches bytecode on first
    # import unless told not to. A sandbox that sets PYTHONDONTWRITEBYTECODE would have every run
    # compile the package from source (~0.1 s of start-up that would count in every run's serial
    # part); the cache goes to benches/out/pycache, never into the source tree.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
    return env


def run_cli(inputs: list[str], jobs: int) -> tuple[float, str, float, float]:
    """Seconds of the whole CLI run, what it printed, the seconds from its first stored bundle to
    its last per bundle after the first (the rate while bundles flow: no start-up, no exit), and
    the CPU seconds it used, its workers included (user + system)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "logparse", "batch", *inputs, "--db", f"{tmp}/b.sqlite", "--jobs", str(jobs),
               "--quiet"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=_environment())
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the CLI reaps its workers: they count
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        conn = sqlite3.connect(f"{tmp}/b.sqlite")
        try:
            first, last, count = conn.execute("SELECT min(triaged_at), max(triaged_at), count(*) FROM bundles").fetchone()
        finally:
            conn.close()
        span = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
        return seconds, proc.stdout.strip(), span / max(count - 1, 1), cpu


_SPIN = ("import time\nstart = time.perf_counter()\nx = 0\nfor i in range(6_000_000):\n    x += i\n"
         "print(time.perf_counter() - start)")


def capacity() -> float:
    """What two processes get done on this machine right now against one: the same pure-Python
    loop alone, then twice at once (2 x alone / the slower of the pair). No memory traffic and no
    coordination: the ceiling any two-process speedup meets in this moment (a shared or
    hyperthreaded host gives less than 2)."""
    def spin(count: int) -> list[float]:
        procs = [subprocess.Popen([sys.executable, "-c", _SPIN], stdout=subprocess.PIPE, text=True)
                 for _ in range(count)]
        return [float(proc.communicate()[0]) for proc in procs]

    alone = spin(1)[0]
    return 2 * alone / max(spin(2))


def parts(folder: Path) -> dict[str, float]:
    """Milliseconds per tiny bundle for each part, in this process (catalogue already warm)."""
    items, _ = batch.expand([str(folder)])
    batch.analyse_bundle(items[0].location)  # warm: catalogue loaded, scanners compiled
    hashing = triage = writing = 0.0
    results = []
    for item in items:
        start = time.perf_counter()
        batch.content_digest(item.location)
        hashing += time.perf_counter() - start
        start = time.perf_counter()
        results.append(batch.analyse_bundle(item.location))
        triage += time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"{tmp}/p.sqlite")
        run_id = store.begin_run("local", 1, len(items), {})
        start = time.perf_counter()
        for result in results:
            store.write(result, run_id)
        writing = time.perf_counter() - start
        store.close()
    n = len(items)
    return {"hash_ms": 1000 * hashing / n, "hash_and_triage_ms": 1000 * triage / n, "db_write_ms": 1000 * writing / n}


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    size_mb = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    folder, text_bytes = fleet(count, size_mb)
    mb = text_bytes / 1e6
    # Bundles just made are still being written back to disk: that flush would share the cores with
    # the first rounds (a clean checkout makes them right here). Then every bundle is read once, so
    # each round reads from the page cache, and one untimed run fills the bytecode cache (see
    # _environment).
    os.sync()
    for path in folder.glob("*.tar.gz"):
        path.read_bytes()
    run_cli([str(next(folder.glob("*.tar.gz")))], 1)
    print(f"bytecode cache: {OUT / 'pycache'} (PYTHONDONTWRITEBYTECODE unset for the runs, as an installed package)")
    # Rounds of (--jobs 1, --jobs 2) back to back: each ratio compares runs under the same load on
    # this shared machine; the median ratio is the figure, the spread says how much load moved it.
    ratios: list[float] = []
    flowing: list[float] = []
    machine: list[float] = []
    times: dict[int, list[float]] = {1: [], 2: []}
    per_bundle: dict[int, list[float]] = {1: [], 2: []}
    once: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(rounds):
        for jobs in (1, 2):
            seconds, said, each, used = run_cli([str(folder)], jobs)
            times[jobs].append(seconds)
            cpu[jobs].append(used)
            per_bundle[jobs].append(each)
            # What the rate while flowing leaves out: start-up, the first bundle's wait, the exit.
            once[jobs].append(seconds - (count - 1) * each)
            print(f"--jobs {jobs}: {seconds:6.1f} s  {mb / seconds:6.1f} MB/s  {count / seconds:5.1f} bundles/s  "
                  f"(while flowing {1 / each:5.1f} bundles/s; paid once {once[jobs][-1]:.2f} s; CPU {used:.2f} s)  "
                  f"({said})")
        ratios.append(times[1][-1] / times[2][-1])
        flowing.append(per_bundle[1][-1] / per_bundle[2][-1])
        machine.append(capacity())
        print(f"  speedup in this round: whole run {ratios[-1]:.2f}x, while bundles flow {flowing[-1]:.2f}x; "
              f"the machine's two-process capacity right after: {machine[-1]:.2f}x")
    rows = {jobs: statistics.median(values) for jobs, values in times.items()}
    speedup = statistics.median(ratios)
    flow = statistics.median(flowing)
    # Load only ever adds time: the best run of each is the closest to the undisturbed figure, as
    # in timeit and benches/triage_speed.py; their ratio is printed next to the median of rounds.
    best = min(times[1]) / min(times[2])
    print(f"speedup --jobs 2 / --jobs 1, whole runs: best times {best:.2f}x ({min(times[1]):.1f} s / "
          f"{min(times[2]):.1f} s); median of rounds {speedup:.2f}x, range {min(ratios):.2f}-{max(ratios):.2f}x")
    # The rate while bundles flow leaves out what a run pays once (interpreter, imports, catalogue,
    # forking, the database's final checkpoint): that is the per-bundle overhead measured below.
    print(f"speedup of the rate while bundles flow (first to last stored bundle): median {flow:.2f}x, "
          f"range {min(flowing):.2f}-{max(flowing):.2f}x (aim >= 1.8)")
    # Work the second process adds (forks, both workers warming up, pickling, copy-on-write faults):
    # a ratio near 1 puts the rest of any shortfall on the machine's two cores, not on the code.
    extra = [two / one for one, two in zip(cpu[1], cpu[2], strict=True)]
    print(f"CPU seconds --jobs 2 / --jobs 1 (workers included): median {statistics.median(extra):.3f}, "
          f"range {min(extra):.3f}-{max(extra):.3f}")
    print(f"the machine's two-process capacity (pure-Python loop, x2 at once / alone): median "
          f"{statistics.median(machine):.2f}x, range {min(machine):.2f}-{max(machine):.2f}x")

    tiny = tiny_fleet(count)
    one = run_cli([str(next(tiny.iterdir()))], 1)[0]
    many = run_cli([str(tiny)], 1)[0]
    marginal = 1000 * (many - one) / (count - 1)
    all_in = 1000 * many / count
    split = parts(tiny)
    print(f"tiny bundles, --jobs 1: start-up and first bundle {one * 1000:.0f} ms; each further bundle "
          f"{marginal:.1f} ms; all in (start-up spread over {count}) {all_in:.1f} ms/bundle (aim < 20)")
    print("  in-process parts per tiny bundle: " + ", ".join(f"{k} {v:.2f}" for k, v in split.items()))
    result = {"bundles": count, "size_mb": size_mb, "text_mb": round(mb, 1),
              "seconds": {"jobs1": round(rows[1], 2), "jobs2": round(rows[2], 2)},
              "mb_per_s": {"jobs1": round(mb / rows[1], 1), "jobs2": round(mb / rows[2], 1)},
              "speedup": round(speedup, 2), "speedups": [round(r, 2) for r in ratios], "speedup_of_best": round(best, 2),
              "speedup_while_flowing": round(flow, 2), "speedups_while_flowing": [round(r, 2) for r in flowing],
              "machine_capacity": [round(r, 2) for r in machine],
              "cpu_seconds": {f"jobs{j}": [round(t, 3) for t in v] for j, v in cpu.items()},
              "round_seconds": {f"jobs{j}": [round(t, 2) for t in v] for j, v in times.items()},
              "paid_once_seconds": {f"jobs{j}": [round(t, 3) for t in v] for j, v in once.items()}, "tiny_startup_ms": round(one * 1000),
              "tiny_marginal_ms": round(marginal, 2), "tiny_all_in_ms": round(all_in, 2),
              "tiny_parts_ms": {k: round(v, 3) for k, v in split.items()}}
    (OUT / "batch_speed.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
