"""Benchmark: `logparse triage` on a generated tar.gz, next to `zcat | grep -c -F -f literals`.

Reports MB/s of uncompressed text for one core and for --jobs 2, peak memory, the pure-Python
engine's rate on a smaller bundle, and whether every planted failure was found. The bundle is
cached in benches/out/. Usage: python benches/triage_speed.py [SIZE_MB] [SEED]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benches.gen_bundle import DEFAULT_PLANTS, write_tar_gz  # noqa: E402
from logparse.catalogue import load_catalogue  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def bundle(size_mb: int, seed: int) -> tuple[Path, dict[str, object]]:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bundle-{size_mb}mb-{seed}.tar.gz"
    manifest_path = path.with_suffix(".json")
    if not path.exists() or not manifest_path.exists():
        write_tar_gz(path, size_mb, seed, DEFAULT_PLANTS)
    return path, json.loads(manifest_path.read_text())


def run(cmd: list[str] | str, shell: bool = False) -> tuple[float, float, bytes]:
    """Seconds, peak RSS in MB of the child (its own maximum), and stdout."""
    wrapped = cmd if shell else ["/usr/bin/time", "-f", "%M", *cmd]  # type: ignore[list-item]
    start = time.perf_counter()
    proc = subprocess.run(wrapped, shell=shell, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    peak = 0.0
    if not shell:
        peak = int(proc.stderr.decode().strip().splitlines()[-1]) / 1024
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed: {proc.stderr.decode()[-500:]}")
    return seconds, peak, proc.stdout


def main() -> None:
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    path, manifest = bundle(size_mb, seed)
    text_mb = int(manifest["bytes"]) / 1e6  # type: ignore[call-overload]
    rows: list[dict[str, object]] = []

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        for _, sig in load_catalogue().signatures():
            fh.write(sig.literal + "\n")
        literals = fh.name
    seconds, _, _ = run(f"zcat {path} | grep -c -i -F -f {literals}", shell=True)
    rows.append({"what": "zcat | grep -c -i -F -f literals (baseline)", "seconds": seconds})
    os.unlink(literals)

    cli = [sys.executable, "-m", "logparse", "triage", str(path), "--json", "--quiet"]
    found: set[str] = set()
    for jobs in (1, 2):
        seconds, peak, out = run([*cli, "--jobs", str(jobs)])
        result = json.loads(out)
        found = {f["id"] for f in result["findings"] if f["confidence"] >= 0.5}
        rows.append({"what": f"logparse triage --jobs {jobs}", "seconds": seconds, "peak_mb": round(peak, 1)})

    small, small_manifest = bundle(100, seed)
    seconds, peak, _ = run([*cli[:4], str(small), "--json", "--quiet", "--engine", "python", "--jobs", "1"])
    small_mb = int(small_manifest["bytes"]) / 1e6  # type: ignore[call-overload]
    rows.append({"what": "logparse triage --engine python (100 MB)", "seconds": seconds,
                 "peak_mb": round(peak, 1), "mb": small_mb})

    planted = {p[0] for p in manifest["plants"]}  # type: ignore[union-attr,index]
    print(f"bundle {path.name}: {text_mb:,.0f} MB of text, planted {sorted(planted)}")
    print(f"{'what':48} {'seconds':>8} {'MB/s':>8} {'peak MB':>8}")
    for row in rows:
        mb = float(row.get("mb", text_mb))  # type: ignore[arg-type]
        row["mb_per_s"] = round(mb / float(row["seconds"]), 1)  # type: ignore[arg-type]
        print(f"{row['what']:48} {row['seconds']:>8.2f} {row['mb_per_s']:>8} {row.get('peak_mb', ''):>8}")
    missing = planted - found
    print("every planted failure found" if not missing else f"MISSING: {sorted(missing)}")
    (OUT / "triage_speed.json").write_text(json.dumps({"size_mb": size_mb, "rows": rows,
                                                       "missing": sorted(missing)}, indent=2))


if __name__ == "__main__":
    main()
