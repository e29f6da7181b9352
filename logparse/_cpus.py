"""How many cores this process may use: its CPU affinity, capped by a container's CPU quota."""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def usable_cpus(cgroup: Path = CGROUP) -> int:
    """The default worker count: ``os.cpu_count()`` counts the host's cores, which in a container
    limited to 2 CPUs (or a cpuset) would start more workers than can run and slow them all."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS and Windows have no affinity call
        count = os.cpu_count() or 1
    quota = cpu_quota(cgroup)
    if quota is not None:
        count = min(count, math.ceil(quota))
    return max(1, count)


def cpu_quota(cgroup: Path = CGROUP) -> float | None:
    """CPUs' worth of time the cgroup may use (cgroup v2 ``cpu.max``, or v1 CFS quota); None if unlimited."""
    try:
        fields = (cgroup / "cpu.max").read_text().split()
        if len(fields) == 2 and fields[0] != "max":
            return _ratio(fields[0], fields[1])
        if fields:
            return None
    except (OSError, ValueError):
        pass
    try:
        quota = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()
        period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
    except OSError:
        return None
    return _ratio(quota, period)


def _ratio(quota: str, period: str) -> float | None:
    try:
        q, p = int(quota), int(period)
    except ValueError:
        return None
    return q / p if q > 0 and p > 0 else None
