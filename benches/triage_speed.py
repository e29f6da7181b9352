"""Benchmark: `logparse triage` on a generated tar.gz, next to `zcat | grep -c -F -f literals`.

Reports MB/s of uncompressed text for one core and for --jobs 2, peak memory, the pure-Python
engine's rate on a smaller bundle, and whether every planted failure was found. The bundle is
cached in benches/out/. Each command runs ROUNDS times (default 3), interleaved; best and median are
printed. Usage: python benches/triage_speed.py [SIZE_MB] [SEED] [ROUNDS]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benches.gen_bundle import DEFAULT_PLANTS, is_current, write_tar_gz  # noqa: E402
from logparse.catalogue import load_catalogue  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def bundle(size_mb: int, seed: int) -> tuple[Path, dict[str, object]]:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bundle-{size_mb}mb-{seed}.tar.gz"
    manifest_path = path.with_suffix(".json")
    if not path.exists() or not is_current(manifest_path):
        write_tar_gz(path, size_mb, seed, DEFAULT_PLANTS)
    return path, json.loads(manifest_path.read_text())


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def _pss_mb(pids: list[int]) -> float:
    """Proportional set size of ``pids`` together: pages a forked worker shares count once."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total / 1024


def run(cmd: list[str] | str, shell: bool = False) -> tuple[float, float, bytes]:
    """Seconds, peak memory in MB (all processes of the run together, sampled every 100 ms: reading smaps costs the kernel time), stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=shell, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    peak = 0.0
    while proc.poll() is None:
        if not shell:
            peak = max(peak, _pss_mb(_tree(proc.pid)))
        time.sleep(0.1)
    reader.join()
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read() if proc.stderr is not None else b""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed: {stderr.decode()[-500:]}")
    return seconds, peak, b"".join(chunks)


def main() -> None:
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    path, manifest = bundle(size_mb, seed)
    small, small_manifest = bundle(100, seed)
    text_mb = int(manifest["bytes"]) / 1e6  # type: ignore[call-overload]
    small_mb = int(small_manifest["bytes"]) / 1e6  # type: ignore[call-overload]

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        for _, sig in load_catalogue().signatures():
            fh.write(sig.literal + "\n")
        literals = fh.name
    cli = [sys.executable, "-m", "logparse", "triage", str(path), "--json", "--quiet"]
    names = ["zcat | grep -c -i -F -f literals (baseline)", "logparse triage --jobs 1", "logparse triage --jobs 2",
             "logparse triage --engine python (100 MB)"]
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    found: set[str] = set()
    # Rounds interleave the commands, so each round compares them under the same load (the machine is shared).
    for _ in range(rounds):
        seconds, _, _ = run(f"zcat {path} | grep -c -i -F -f {literals}", shell=True)
        samples[names[0]].append((seconds, 0.0))
        for jobs in (1, 2):
            seconds, peak, out = run([*cli, "--jobs", str(jobs)])
            found = {f["id"] for f in json.loads(out)["findings"] if f["confidence"] >= 0.5}
            samples[names[jobs]].append((seconds, peak))
        seconds, peak, _ = run([*cli[:4], str(small), "--json", "--quiet", "--engine", "python", "--jobs", "1"])
        samples[names[3]].append((seconds, peak))
    os.unlink(literals)

    planted = {p[0] for p in manifest["plants"]}  # type: ignore[union-attr,index]
    print(f"bundle {path.name}: {text_mb:,.0f} MB of text, planted {sorted(planted)}; {rounds} round(s)")
    print(f"{'what':46} {'best s':>7} {'MB/s':>7} {'median':>7} {'MB/s':>7} {'peak MB':>8}  (peak: PSS, all processes)")
    rows = []
    for name in names:
        mb = small_mb if "100 MB" in name else text_mb
        times = sorted(t for t, _ in samples[name])
        best, median = times[0], statistics.median(times)
        peak = max(p for _, p in samples[name])
        rows.append({"what": name, "seconds": [round(t, 3) for t, _ in samples[name]], "best_mb_per_s": round(mb / best, 1),
                     "median_mb_per_s": round(mb / median, 1), "peak_mb": round(peak, 1)})
        print(f"{name:46} {best:>7.2f} {mb / best:>7.1f} {median:>7.2f} {mb / median:>7.1f} {round(peak, 1) if peak else '':>8}")
    missing = planted - found
    print("every planted failure found" if not missing else f"MISSING: {sorted(missing)}")
    (OUT / "triage_speed.json").write_text(json.dumps({"size_mb": size_mb, "rounds": rounds, "rows": rows,
                                                       "missing": sorted(missing)}, indent=2))


if __name__ == "__main__":
    main()
