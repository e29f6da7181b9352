"""The default worker count follows the cores a process may use, in a container too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from logparse._cpus import cpu_quota, usable_cpus


def _affinity() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def test_cgroup_v2_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cpu_quota(tmp_path) == 1.5
    assert usable_cpus(tmp_path) == min(_affinity(), 2)  # 1.5 CPUs of time keep two workers busy
    (tmp_path / "cpu.max").write_text("50000 100000\n")
    assert usable_cpus(tmp_path) == 1
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cpu_quota(tmp_path) is None and usable_cpus(tmp_path) == _affinity()


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cpu_quota(tmp_path) == 1.0 and usable_cpus(tmp_path) == 1
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cpu_quota(tmp_path) is None


@pytest.mark.parametrize("text", ["", "garbage", "abc 100000", "100000 0"])
def test_unreadable_quota_is_no_limit(tmp_path: Path, text: str) -> None:
    (tmp_path / "cpu.max").write_text(text)
    assert cpu_quota(tmp_path) is None
    assert usable_cpus(tmp_path / "missing") == _affinity()


def test_affinity_bounds_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("this platform has no CPU affinity call (os.sched_getaffinity)")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert usable_cpus(tmp_path) == 1
