"""Seeded generator of realistic bundles of any size with planted failures.

Writes a tar.gz (or a directory) holding a rotated waagent.log, VMSnapshotLinux logs and
waagent.conf. Healthy text comes from gen_waagent; planted failures are the catalogue's
own signature examples for the chosen entries, written into files of the signature's
format at seeded positions, so a run can check every planted failure is found.

Usage: python benches/gen_bundle.py OUT.tar.gz SIZE_MB [SEED] [ENTRY_ID ...]
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benches.gen_waagent import generate  # noqa: E402
from logparse.catalogue import load_catalogue  # noqa: E402

DEFAULT_PLANTS = ("no-network-wireserver", "agent-config-options-linux", "FailedRetryableSnapshotFailedNoNetwork",
                  "dhcp-disabled", "application-control-blocking")
FORMAT_PATHS = {
    "waagent": "var/log/waagent.log",
    "vmsnapshot": "var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log",
}


def _block(seed: int, lines: int = 200_000) -> bytes:
    return ("\n".join(generate(lines, seed)) + "\n").encode()


def plan(plants: tuple[str, ...], seed: int) -> list[tuple[str, str, str]]:
    """(entry id, format, example line) for each planted failure."""
    catalogue = load_catalogue()
    rng = random.Random(seed)
    out = []
    for entry_id in plants:
        entry = catalogue.entries[entry_id]
        sigs = [s for s in entry.signatures if set(s.formats) & set(FORMAT_PATHS)]
        if not sigs:
            raise SystemExit(f"{entry_id}: no signature for {sorted(FORMAT_PATHS)}")
        sig = rng.choice(sigs)
        fmt = next(f for f in sig.formats if f in FORMAT_PATHS)
        out.append((entry_id, fmt, sig.examples[0]))
    return out


def members(size_mb: int, seed: int, plants: tuple[str, ...]) -> Iterator[tuple[str, bytes]]:
    """(path, content) of every member; waagent.log and its rotations carry most of the size."""
    rng = random.Random(seed)
    planted = plan(plants, seed)
    block = _block(seed)
    target = size_mb * 1_000_000
    rotations = max(1, target // (50 * 1_000_000))
    per_file = target // rotations
    for index in range(rotations, 0, -1):
        name = "var/log/waagent.log" if index == 1 else f"var/log/waagent.log.{index - 1}"
        parts: list[bytes] = []
        written = 0
        while written < per_file:
            parts.append(block)
            written += len(block)
        data = b"".join(parts)[:per_file]
        data = data[: data.rfind(b"\n") + 1]
        if index == 1:
            extra = [line for _, fmt, line in planted if fmt == "waagent"]
            lines = data.split(b"\n")
            for line in extra:
                lines.insert(rng.randrange(len(lines) - 1), line.encode())
            data = b"\n".join(lines)
        yield name, data
    ext_lines = [line for _, fmt, line in planted if fmt == "vmsnapshot"]
    ext = "\n".join(
        ["2024-05-01 10:31:18.004112 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]sequence number 41"]
        + ext_lines + ["2024-05-01 10:31:40.000001 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]done"]
    ) + "\n"
    yield FORMAT_PATHS["vmsnapshot"], ext.encode()
    conf = "Provisioning.Agent=auto\nExtensions.Enabled=" + ("n" if "agent-config-options-linux" in plants else "y")
    yield "etc/waagent.conf", (conf + "\nLogs.Verbose=n\n").encode()


def fingerprint() -> str:
    """Which generator made a bundle: a hash of this file and gen_waagent.py. Benches keep bundles
    between runs; one made by an older generator is a different workload and is made again."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("gen_bundle.py", "gen_waagent.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def is_current(manifest_path: Path) -> bool:
    """Whether a bundle's manifest exists and names this generator."""
    try:
        return bool(json.loads(manifest_path.read_text()).get("generator") == fingerprint())
    except (OSError, ValueError, AttributeError):
        return False


def write_tar_gz(out: Path, size_mb: int, seed: int, plants: tuple[str, ...]) -> dict[str, object]:
    start = time.perf_counter()
    total = 0
    with tarfile.open(out, "w:gz", compresslevel=1) as tar:
        for name, data in members(size_mb, seed, plants):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1714557600
            tar.addfile(info, io.BytesIO(data))
            total += len(data)
    manifest = {"bytes": total, "plants": plan(plants, seed), "seconds": round(time.perf_counter() - start, 1),
                "generator": fingerprint()}
    out.with_suffix(".json").write_text(json.dumps(manifest, indent=2))
    return manifest


def main() -> None:
    out = Path(sys.argv[1])
    size_mb = int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    plants = tuple(sys.argv[4:]) or DEFAULT_PLANTS
    print(json.dumps(write_tar_gz(out, size_mb, seed, plants), indent=2))


if __name__ == "__main__":
    main()
