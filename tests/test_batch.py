"""``logparse batch`` and ``logparse summary`` over a fleet of 30 bundles: generated, fixture trees, corrupt.

The fleet: 8 bundles from ``benches/gen_bundle.py`` (2 healthy, 6 with planted failures), the 18
``fixtures/bundles`` cases packed into every container kind, and 4 corrupt files. Checks: one row
per bundle with the right findings, the corrupt ones recorded with their error, a re-run that
triages nothing, a batch killed midway that a re-run completes without redoing finished bundles,
a crashing worker that costs only its own bundle, and the Dask engine on a ``LocalCluster``
writing the same rows as the local engine.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from logparse import batch, cli
from logparse._batch_inputs import expand
from logparse.errors import LogparseError, SourceError
from logparse.store import Store, connect
from logparse.summary import render_csv, render_html, render_json, render_table, summarize
from tests import packing
from tests.test_bundle_fixtures import CASES, load_expected, tree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benches import gen_bundle  # noqa: E402

THRESHOLD = 0.5
GENERATED: dict[str, tuple[str, ...]] = {
    "gen-healthy-1": (), "gen-healthy-2": (),
    "gen-dhcp": ("dhcp-disabled",), "gen-wireserver": ("no-network-wireserver",),
    "gen-conf": ("agent-config-options-linux",), "gen-noexec": ("application-control-blocking",),
    "gen-retryable": ("FailedRetryableSnapshotFailedNoNetwork",),
    "gen-two": ("no-network-wireserver", "dhcp-disabled"),
}
# The first 18 bundle cases, named so that cases added later do not change the fleet.
FIXTURE_CASES = (
    "linux_agent_outdated", "linux_backup_in_progress", "linux_custom_script_stuck", "linux_extensions_disabled",
    "linux_healthy", "linux_keyvault_encrypted", "linux_noexec_var", "linux_noisy_healthy",
    "linux_nonetwork_snapshot", "linux_rp_collection_limit_lock", "windows_agent_unresponsive",
    "windows_bcm_not_protected_zh", "windows_crp_reported_vss", "windows_dhcp_disabled", "windows_healthy",
    "windows_shutdown_from_guest", "windows_unsupported_disk_size", "windows_wireserver_blocked",
)
CORRUPT = ("corrupt-truncated.tar.gz", "corrupt-random.tgz", "corrupt-empty.zip", "corrupt-garbage.gz")
FLEET_SIZE = len(GENERATED) + len(FIXTURE_CASES) + len(CORRUPT)
# Columns that say when and by which run a row was written: the only ones allowed to differ.
VOLATILE = {"run_id", "triaged_at", "seconds", "id", "started_at", "finished_at", "status", "engine", "jobs",
            "triaged", "skipped", "failed", "options", "inputs"}


_GEN_BLOCK = gen_bundle._block


@functools.cache
def _small_block(seed: int, lines: int = 200_000) -> bytes:
    # The generator's block is 200k lines (seconds each); 4k lines repeated to 1 MB serve as well.
    return _GEN_BLOCK(seed, 4000)


def _corrupt(name: str) -> bytes:
    good = packing.pack(tree("linux_healthy"), "tar.gz")
    return {
        "corrupt-truncated.tar.gz": good[:60],  # cut inside the first member: nothing readable
        "corrupt-random.tgz": bytes(range(256)) * 40,
        "corrupt-empty.zip": b"",
        "corrupt-garbage.gz": b"\x1f\x8b\x08" + bytes(range(200, 256)) * 50,
    }[name]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 30 bundles under one directory, with clutter that is no bundle (README, manifests)."""
    root = tmp_path_factory.mktemp("fleet")
    (root / "generated").mkdir()
    gen_bundle._block = _small_block  # type: ignore[assignment]
    try:
        for seed, (name, plants) in enumerate(GENERATED.items(), start=1):
            gen_bundle.write_tar_gz(root / "generated" / f"{name}.tar.gz", 1, seed, plants)
    finally:
        gen_bundle._block = _GEN_BLOCK
    kinds = ("dir", *packing.KINDS)
    for index, case in enumerate(FIXTURE_CASES):
        kind = kinds[index % len(kinds)]
        if kind == "dir":
            packing.write_tree(root / "cases" / case, tree(case))
        else:
            (root / "cases" / f"{case}.{kind}").write_bytes(packing.pack(tree(case), kind))
    (root / "corrupt").mkdir()
    for name in CORRUPT:
        (root / "corrupt" / name).write_bytes(_corrupt(name))
    (root / "README.md").write_text("bundles collected in May\n")
    return root


def _name(location: str) -> str:
    """The fleet name of a bundle location: case or generated name, or the corrupt file name."""
    base = Path(location).name
    for suffix in (".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar", ".zip"):
        if base.endswith(suffix) and not base.startswith("corrupt-"):
            return base[: -len(suffix)]
    return base


def _rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def _findings(db: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {_name(loc): set() for (loc,) in _rows(db, "SELECT location FROM bundles")}
    for loc, finding in _rows(db, "SELECT b.location, f.finding_id FROM bundles b JOIN findings f "
                                  "ON f.digest=b.digest WHERE f.confidence>=?", THRESHOLD):
        out[_name(loc)].add(finding)
    return out


def _dump(db: Path) -> dict[str, list[str]]:
    """Every table as sorted rows without the columns that record when and by which run."""
    conn = sqlite3.connect(db)
    try:
        out = {}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name != 'runs'"):
            cols = [c[1] for c in conn.execute(f"PRAGMA table_info({table})") if c[1] not in VOLATILE]
            out[table] = sorted(repr(r) for r in conn.execute(f"SELECT {', '.join(cols)} FROM {table}"))
        return out
    finally:
        conn.close()


@pytest.fixture(scope="module")
def fleet_db(fleet: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("db") / "fleet.sqlite"
    report = batch.run_batch([str(fleet)], db, jobs=2)
    assert report.inputs == FLEET_SIZE, report
    return db


# -- one row per bundle, the right findings ---------------------------------------------------------
def test_fleet_has_thirty_bundles(fleet: Path) -> None:
    assert set(FIXTURE_CASES) <= set(CASES)
    found, warnings = expand([str(fleet)])
    assert len(found) == FLEET_SIZE == 30
    # The clutter is named, once per directory: the README at the top, each generated bundle's manifest.
    assert warnings == [f"{fleet / 'generated'}: 8 entries not taken as bundles (no archive, compressed file or log "
                        "tree; links are not followed): gen-conf.tar.json, gen-dhcp.tar.json, gen-healthy-1.tar.json, "
                        "gen-healthy-2.tar.json, gen-noexec.tar.json and 3 more",
                        f"{fleet}: 1 entry not taken as bundles (no archive, compressed file or log tree; links "
                        "are not followed): README.md"]
    names = {_name(item.location) for item in found}
    assert "README" not in " ".join(names) and not any(n.endswith(".json") for n in names)


def test_one_row_per_bundle(fleet_db: Path) -> None:
    assert _rows(fleet_db, "SELECT count(*), count(DISTINCT location) FROM bundles") == [(30, 30)]
    statuses = dict(_rows(fleet_db, "SELECT status, count(*) FROM bundles GROUP BY status"))
    assert statuses == {"ok": 30 - len(CORRUPT), "error": len(CORRUPT)}


@pytest.mark.parametrize("case", FIXTURE_CASES)
def test_fixture_cases_get_their_findings(fleet_db: Path, case: str) -> None:
    expected = load_expected(case)
    got = _findings(fleet_db)[case]
    if expected.healthy:
        assert got == set()
    assert set(expected.must) <= got, f"{case}: missing {set(expected.must) - got}"
    assert not set(expected.must_not) & got, f"{case}: unexpected {set(expected.must_not) & got}"


def test_generated_bundles_get_their_plants(fleet_db: Path) -> None:
    found = _findings(fleet_db)
    for name, plants in GENERATED.items():
        assert set(plants) <= found[name], name
        if not plants:
            assert found[name] == set(), name


def test_corrupt_bundles_recorded_with_their_error(fleet_db: Path) -> None:
    errors = {_name(loc): error for loc, error in
              _rows(fleet_db, "SELECT location, error FROM bundles WHERE status='error'")}
    assert set(errors) == set(CORRUPT)
    assert "empty input" in errors["corrupt-empty.zip"]
    assert "truncated" in errors["corrupt-truncated.tar.gz"] or "cut" in errors["corrupt-truncated.tar.gz"]
    assert "named like an archive but is not" in errors["corrupt-random.tgz"]
    # Failed bundles are known by content too: a re-run does not try them again.
    assert not _rows(fleet_db, "SELECT digest FROM bundles WHERE digest LIKE 'path:%'")


def test_versions_and_templates_are_stored(fleet_db: Path) -> None:
    agents = {_name(loc): v for loc, v in _rows(
        fleet_db, "SELECT b.location, v.version FROM versions v JOIN bundles b ON b.digest=v.digest "
                  "WHERE v.kind='agent' AND v.latest=1")}
    assert agents["linux_agent_outdated"] == "2.2.18"
    assert agents["linux_healthy"] == "2.13.1.1"  # it self-updated from 2.12: the latest counts
    extensions = _rows(fleet_db, "SELECT DISTINCT name FROM versions WHERE kind='extension'")
    assert ("Microsoft.Azure.RecoveryServices.VMSnapshot",) in extensions
    assert _rows(fleet_db, "SELECT count(*) FROM templates")[0][0] > 0


def test_store_has_schema_version_wal_and_indexes(fleet_db: Path) -> None:
    assert _rows(fleet_db, "SELECT version FROM schema_version") == [(1,)]
    assert _rows(fleet_db, "PRAGMA journal_mode") == [("wal",)]
    indexes = {name for (name,) in _rows(fleet_db, "SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"findings_id", "causes_id", "templates_template", "versions_name"} <= indexes


def test_wal_is_copied_back_while_a_run_writes(tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite"
    store = Store(db)
    run_id = store.begin_run("local", 1, 400, {})
    store.start_checkpoints(interval=0.01)
    empty = db.stat().st_size
    text = "x" * 2000
    written = 0
    # Commits go to the WAL; only a checkpoint grows the database file before it is closed, and
    # 300 of these (~12 MB) stay below the automatic checkpoint of the writer itself (~40 MB).
    while db.stat().st_size <= empty and written < 300:
        store.write({"digest": f"d{written}", "location": f"b{written}", "status": "ok",
                     "templates": [{"level": "ERROR", "template": f"{text} {written} {i}", "count": 1,
                                    "example_path": None, "example_line": None, "example_text": text}
                                   for i in range(20)]}, run_id)
        written += 1
        time.sleep(0.002)
    assert db.stat().st_size > empty, "no checkpoint while the run wrote"
    store.finish_run(run_id, "complete", {"triaged": written})
    store.close()
    assert not Path(f"{db}-wal").exists()  # the last close copied the rest and removed the WAL
    assert _rows(db, "SELECT count(*) FROM bundles") == [(written,)]
    assert _rows(db, "SELECT count(*) FROM templates") == [(20 * written,)]
    assert _rows(db, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_end_of_run_work_starts_with_the_last_bundle(fleet: Path, jobs: int) -> None:
    todo = expand([f"{fleet}/generated/*.tar.gz"])[0][:5]
    seen: list[int] = []  # results received when ``last`` was called
    results: list[int] = []

    def last(idle: bool) -> None:
        seen.append(len(results) if idle == (jobs == 1) else -1)

    for _item, _result in batch.local_results(todo, {"lang": "en", "catalogue": []}, set(), jobs, last=last):
        results.append(1)
    assert len(results) == 5
    # Once, when every bundle has been handed out: in one process right before the last; with two
    # workers, when one of them has no bundle left (the other may still have its last one, or the
    # two may have finished together). Only in one process is the caller idle until the next result.
    assert seen == [4] if jobs == 1 else (len(seen) == 1 and 3 <= seen[0] <= 5), seen


def test_workers_get_the_largest_bundles_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = [10, 300, 20, 200, 30]
    items = [batch.Input(str(tmp_path / f"missing-{n}.tar.gz"), size, None) for n, size in enumerate(sizes)]
    sent: list[int] = []
    send = batch._Worker.send

    def recording(self: batch._Worker, item: batch.Input) -> None:
        sent.append(item.size)
        send(self, item)

    monkeypatch.setattr(batch._Worker, "send", recording)
    results = list(batch.local_results(items, {"lang": "en", "catalogue": []}, set(), 2))
    assert sorted(item.size for item, _ in results) == [10, 20, 30, 200, 300]
    assert all(result["status"] == "error" for _, result in results)
    assert sent == [300, 200, 30, 20, 10]


@pytest.mark.parametrize("idle", [True, False])
def test_last_bundles_builds_the_index_and_copies_the_wal_back(tmp_path: Path, idle: bool) -> None:
    db = tmp_path / "t.sqlite"
    store = Store(db)
    run_id = store.begin_run("local", 1, 50, {})
    store.start_checkpoints(interval=60)  # only an explicit request checkpoints within this test
    index = "SELECT count(*) FROM sqlite_master WHERE type='index' AND name='templates_template'"
    for n in range(50):
        store.write({"digest": f"d{n}", "location": f"b{n}", "status": "ok",
                     "templates": [{"level": "INFO", "template": f"line {n} {i}", "count": 1, "example_path": None,
                                    "example_line": None, "example_text": "x"} for i in range(20)]}, run_id)
    wal = Path(f"{db}-wal")
    empty = db.stat().st_size
    assert wal.stat().st_size > 0 and _rows(db, index) == [(0,)]
    store.last_bundles(idle=idle)
    assert _rows(db, index) == [(1,)]

    def copied() -> bool:  # idle: the WAL is emptied too; else it stays for the close to delete
        return wal.stat().st_size == 0 if idle else db.stat().st_size > empty

    deadline = time.monotonic() + 30
    while not copied() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert copied(), "no checkpoint after last_bundles"
    assert idle or wal.stat().st_size > 0
    store.finish_run(run_id, "complete", {"triaged": 50})
    store.close()
    assert _rows(db, "SELECT count(*) FROM templates") == [(1000,)]
    assert _rows(db, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.parametrize(("adding", "kept"), [(1, True), (2, False), (None, False)])
def test_a_small_run_on_a_large_database_keeps_the_template_index(tmp_path: Path, adding: int | None,
                                                                  kept: bool) -> None:
    db = tmp_path / "i.sqlite"
    store = Store(db)
    run_id = store.begin_run("local", 1, 16, {}, adding=16)
    for n in range(16):
        store.write({"digest": f"d{n}", "location": f"b{n}", "status": "ok",
                     "templates": [{"level": "INFO", "template": f"t {n}", "count": 1, "example_path": None,
                                    "example_line": None, "example_text": "x"}]}, run_id)
    store.finish_run(run_id, "complete", {"triaged": 16})
    index = "SELECT count(*) FROM sqlite_master WHERE type='index' AND name='templates_template'"
    assert _rows(db, index) == [(1,)]
    # 16 stored: one more bundle is cheaper to index as it comes than a rebuild; two are not.
    store.begin_run("local", 1, 16, {}, adding=adding)
    assert _rows(db, index) == [(1 if kept else 0,)]
    store.close()


# -- re-runs, resume, failures -------------------------------------------------------------------------
def test_rerun_triages_nothing(fleet: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    first = batch.run_batch([str(fleet)], db, jobs=1)
    assert (first.triaged, first.failed, first.skipped) == (26, 4, 0)
    before = _rows(db, "SELECT digest, run_id, triaged_at FROM bundles ORDER BY digest")
    again = batch.run_batch([str(fleet), f"{fleet}/generated/*.tar.gz"], db, jobs=2)
    assert (again.triaged, again.failed, again.skipped) == (0, 0, 30)
    assert _rows(db, "SELECT digest, run_id, triaged_at FROM bundles ORDER BY digest") == before
    assert _rows(db, "SELECT id, status, triaged, skipped FROM runs") == [(1, "complete", 26, 0),
                                                                        (2, "complete", 0, 30)]


def test_a_rerun_with_nothing_to_do_starts_no_worker(fleet: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "n.sqlite"
    batch.run_batch([f"{fleet}/generated"], db, jobs=1)

    def no_fork(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a worker was started with nothing to triage")

    monkeypatch.setattr(batch._Worker, "__init__", no_fork)
    again = batch.run_batch([f"{fleet}/generated"], db, jobs=2, timeout=60)
    assert (again.triaged, again.failed, again.skipped) == (0, 0, 8)


def test_killed_batch_resumes_without_redoing(fleet: Path, tmp_path: Path) -> None:
    db = tmp_path / "k.sqlite"
    cmd = [sys.executable, "-m", "logparse", "batch", str(fleet), "--db", str(db), "--jobs", "1", "--quiet"]
    # Its own session: the kill reaches the CLI and anything it started, nothing else.
    proc = subprocess.Popen(cmd, cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                done = _rows(db, "SELECT count(*) FROM bundles")[0][0]
            except sqlite3.OperationalError:  # schema not created yet
                done = 0
            if done >= 3:
                break
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    proc.stderr.close()  # type: ignore[union-attr]
    assert _rows(db, "PRAGMA integrity_check") == [("ok",)]
    finished = _rows(db, "SELECT digest, triaged_at FROM bundles ORDER BY digest")
    assert 3 <= len(finished) < 30, "the batch must be killed midway"
    # Whole bundles only: every ok row has its files (children are written in the same transaction).
    assert not _rows(db, "SELECT digest FROM bundles b WHERE status='ok' AND NOT EXISTS "
                         "(SELECT 1 FROM files f WHERE f.digest=b.digest)")
    assert _rows(db, "SELECT status FROM runs") == [("running",)]
    # The summary reads the killed run as such, with what it stored, before any re-run says so.
    assert summarize(db).overview["last_run"] | {"started_at": None} == {
        "status": "interrupted", "started_at": None, "finished_at": None, "bundles_stored": len(finished)}
    out = io.StringIO()
    render_table(summarize(db), out, width=300)
    assert f"the last run is interrupted ({len(finished)} bundle(s) stored so far)" in out.getvalue()
    # The template index is dropped while a run writes and built when it ends.
    index = "SELECT count(*) FROM sqlite_master WHERE type='index' AND name='templates_template'"
    assert _rows(db, index) == [(0,)]

    rerun = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert _rows(db, "SELECT count(*) FROM bundles") == [(30,)]
    # The bundles done before the kill were not triaged again: same run and time stamp.
    assert set(finished) <= set(_rows(db, "SELECT digest, triaged_at FROM bundles"))
    assert _rows(db, "SELECT count(*) FROM bundles WHERE run_id=2") == [(30 - len(finished),)]
    assert _rows(db, "SELECT triaged + failed, status FROM runs WHERE id=2") == [(30 - len(finished), "complete")]
    # The killed run's process is gone: the next run marked it.
    assert _rows(db, "SELECT status, finished_at FROM runs WHERE id=1") == [("interrupted", None)]
    assert _rows(db, index) == [(1,)]
    assert f"{len(finished)} already done" in rerun.stdout


def test_a_failing_bundle_never_stops_the_batch(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = batch._triage

    def flaky(location: str, catalogue: Any, lang: str) -> Any:
        if "gen-dhcp" in location:
            raise RuntimeError("parser bug on this bundle")
        return real(location, catalogue, lang)

    monkeypatch.setattr(batch, "_triage", flaky)
    db = tmp_path / "f.sqlite"
    report = batch.run_batch([f"{fleet}/generated"], db, jobs=1)
    assert (report.triaged, report.failed) == (7, 1)
    [(location, error)] = _rows(db, "SELECT location, error FROM bundles WHERE status='error'")
    assert location.endswith("gen-dhcp.tar.gz") and error == "RuntimeError: parser bug on this bundle"
    # Fixed code: --retry-errors triages it again, and the row is replaced, not doubled.
    monkeypatch.setattr(batch, "_triage", real)
    assert batch.run_batch([f"{fleet}/generated"], db, jobs=1).skipped == 8
    retried = batch.run_batch([f"{fleet}/generated"], db, jobs=1, retry_errors=True)
    assert (retried.triaged, retried.failed) == (1, 0)
    assert _rows(db, "SELECT count(*), sum(status='ok') FROM bundles") == [(8, 8)]


def test_a_dying_worker_costs_only_its_bundle(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = batch._triage

    def crash(location: str, catalogue: Any, lang: str) -> Any:
        if "gen-conf" in location:
            os._exit(3)  # as a segfault or the OOM killer would: no exception, the process is gone
        return real(location, catalogue, lang)

    monkeypatch.setattr(batch, "_triage", crash)  # forked workers inherit the patch
    db = tmp_path / "c.sqlite"
    report = batch.run_batch([f"{fleet}/generated"], db, jobs=2)
    assert (report.triaged, report.failed) == (7, 1)
    [(location, error, digest)] = _rows(db, "SELECT location, error, digest FROM bundles WHERE status='error'")
    assert location.endswith("gen-conf.tar.gz") and "worker process died" in error
    # Not known by content (the worker died before saying): the next run tries it again.
    assert digest == f"path:{location}"
    monkeypatch.setattr(batch, "_triage", real)
    again = batch.run_batch([f"{fleet}/generated"], db, jobs=2)
    assert (again.triaged, again.skipped) == (1, 7)
    assert _rows(db, "SELECT count(*), sum(status='ok') FROM bundles") == [(8, 8)]


def test_a_killed_worker_bundle_is_tried_again(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Killed from outside once (the OOM killer, an operator): the bundle is not to blame. Tried
    # again alone, it is triaged; the bundle queued behind it in the dead worker is not lost either.
    real = batch._triage
    marker = tmp_path / "killed-once"

    def killed_once(location: str, catalogue: Any, lang: str) -> Any:
        if "gen-conf" in location and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(location, catalogue, lang)

    monkeypatch.setattr(batch, "_triage", killed_once)
    db = tmp_path / "k.sqlite"
    report = batch.run_batch([f"{fleet}/generated"], db, jobs=2)
    assert marker.exists()
    assert (report.triaged, report.failed) == (8, 0)
    assert _rows(db, "SELECT count(*), sum(status='ok') FROM bundles") == [(8, 8)]


def test_interrupted_parallel_batch_stops_its_workers(fleet: Path, tmp_path: Path) -> None:
    import multiprocessing

    class Interrupting:
        """Ctrl-C in the driver after the third bundle, noting the worker processes alive then."""

        def __init__(self) -> None:
            self.done = 0
            self.workers: list[int] = []

        def start(self, bundles: int, size: int) -> None:
            pass

        def advance(self, size: int) -> None:
            self.done += 1
            if self.done == 3:
                self.workers = [p.pid for p in multiprocessing.active_children() if p.pid is not None]
                raise KeyboardInterrupt

    db = tmp_path / "i.sqlite"
    progress = Interrupting()
    with pytest.raises(KeyboardInterrupt):
        batch.run_batch([str(fleet)], db, jobs=2, progress=progress)
    assert len(progress.workers) == 2
    assert multiprocessing.active_children() == []
    for pid in progress.workers:  # killed and reaped, not left running their bundles
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert _rows(db, "SELECT status, triaged FROM runs") == [("interrupted", 3)]
    assert _rows(db, "PRAGMA integrity_check") == [("ok",)]
    again = batch.run_batch([str(fleet)], db, jobs=2)
    assert (again.triaged + again.failed, again.skipped) == (FLEET_SIZE - 3, 3)


def test_no_worker_process_is_a_clear_error(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import multiprocessing.context

    def refuse(self: Any) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")  # fork's EAGAIN

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", refuse)
    db = tmp_path / "n.sqlite"
    code = cli.main(["batch", f"{fleet}/generated", "--db", str(db), "--jobs", "2", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot start a worker process" in err and "Traceback" not in err
    assert err.count("\n") == 1
    assert _rows(db, "SELECT status FROM runs") == [("interrupted",)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_bundle_over_the_timeout_is_stopped_and_recorded(fleet: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    real = batch._triage

    def hangs(location: Any, catalogue: Any, lang: str) -> Any:
        if "gen-conf" in str(location):
            time.sleep(600)  # as a bundle that never ends would
        return real(location, catalogue, lang)

    monkeypatch.setattr(batch, "_triage", hangs)  # forked workers inherit the patch
    db = tmp_path / "t.sqlite"
    started = time.monotonic()
    report = batch.run_batch([f"{fleet}/generated"], db, jobs=jobs, timeout=2)
    assert time.monotonic() - started < 300  # the hung bundle did not hold the batch
    assert (report.triaged, report.failed) == (7, 1)
    [(location, error, digest, seconds)] = _rows(
        db, "SELECT location, error, digest, seconds FROM bundles WHERE status='error'")
    assert location.endswith("gen-conf.tar.gz") and "longer than --timeout 2 s" in error
    assert 2 <= seconds < 300  # the time it was given, not the 0.0 of the moment it was stopped
    assert digest == f"path:{location}"  # not known by content: the next run tries it again
    import multiprocessing

    assert multiprocessing.active_children() == []


_FIRST_BUNDLES = """
import sys
from logparse import batch, chunks
from logparse.analysis import warm_up

warm_up(batch._catalogue(()), matcher=True)
modules, scanners = set(sys.modules), set(chunks._SCANNERS)
for location in sys.argv[1:]:
    assert batch.analyse_bundle(location)["status"] == "ok", location
print(sorted(m for m in set(sys.modules) - modules if m.startswith("logparse")))
print(sorted(str(key[1:]) for key in set(chunks._SCANNERS) - scanners))
"""


def test_warm_up_leaves_a_first_bundle_nothing_to_load(tmp_path: Path) -> None:
    # What a forked worker inherits from warm_up: in a fresh interpreter, bundles of both OSes in
    # the usual containers then import no module of ours and build no scanner.
    locations = [str(packing.write_tree(tmp_path / "linux_healthy", tree("linux_healthy")))]
    for case in ("linux_nonetwork_snapshot", "windows_dhcp_disabled"):
        for kind in ("tar", "tar.gz", "zip"):
            (tmp_path / f"{case}.{kind}").write_bytes(packing.pack(tree(case), kind))
            locations.append(str(tmp_path / f"{case}.{kind}"))
    proc = subprocess.run([sys.executable, "-c", _FIRST_BUNDLES, *locations], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["[]", "[]"]


def test_workers_start_warm(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Warmed in the parent before the fork: a worker replaced after a --timeout starts warm too.
    import multiprocessing

    from logparse import analysis

    calls: list[int] = []
    real = analysis.warm_up

    def watch(catalogue: Any, engine: str = "auto", *, matcher: bool = False) -> None:
        calls.append((len(multiprocessing.active_children()), matcher))
        real(catalogue, engine, matcher=matcher)

    monkeypatch.setattr(analysis, "warm_up", watch)
    report = batch.run_batch([f"{fleet}/generated"], tmp_path / "w.sqlite", jobs=2)
    again = batch.run_batch([f"{fleet}/generated"], tmp_path / "t.sqlite", jobs=1, timeout=60)
    assert report.triaged == again.triaged == 8 and calls == [(0, False), (0, True)]


def test_without_fork_the_local_engine_runs_in_one_process(fleet: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    monkeypatch.delattr(os, "fork")  # as on Windows
    seen: list[int] = []

    class Watch:
        def start(self, bundles: int, size: int) -> None:
            pass

        def advance(self, size: int) -> None:
            seen.append(len(multiprocessing.active_children()))

    report = batch.run_batch([f"{fleet}/generated"], tmp_path / "w.sqlite", jobs=2, timeout=5, progress=Watch())
    assert (report.triaged, report.failed) == (8, 0) and set(seen) == {0}
    assert any("--timeout needs worker processes" in w for w in report.warnings)


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf")])
def test_timeout_must_be_a_positive_number(fleet: Path, tmp_path: Path, value: float) -> None:
    with pytest.raises(LogparseError, match="--timeout must be a positive number"):
        batch.run_batch([f"{fleet}/generated"], tmp_path / "x.sqlite", timeout=value)


def test_same_content_twice_is_one_bundle(fleet: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    source = fleet / "generated" / "gen-two.tar.gz"
    (copy / "again.tar.gz").write_bytes(source.read_bytes())
    db = tmp_path / "d.sqlite"
    report = batch.run_batch([str(source), str(copy)], db, jobs=1)
    assert report.triaged == 1 and report.counts["duplicate"] == 1
    assert _rows(db, "SELECT count(*) FROM bundles") == [(1,)]
    assert _rows(db, "SELECT count(DISTINCT digest), count(*) FROM sources") == [(1, 2)]
    # Named by the first of its names in sort order, whichever a worker finished first.
    results = [batch.analyse_bundle(str(path)) for path in (source, copy / "again.tar.gz")]
    first = min(str(source), str(copy / "again.tar.gz"))
    for name, order in (("ab.sqlite", results), ("ba.sqlite", results[::-1])):
        store = Store(tmp_path / name)
        run = store.begin_run("local", 2, 2, {})
        assert [store.write(r, run) for r in order] == ["triaged", "duplicate"]
        store.close()
        assert _rows(tmp_path / name, "SELECT location FROM bundles") == [(first,)]


def test_progress_is_told_the_work_and_each_bundle(fleet: Path, tmp_path: Path) -> None:
    class Recorder:
        def __init__(self) -> None:
            self.started: tuple[int, int] | None = None
            self.sizes: list[int] = []

        def start(self, bundles: int, size: int) -> None:
            self.started = (bundles, size)

        def advance(self, size: int) -> None:
            self.sizes.append(size)

    recorder = Recorder()
    batch.run_batch([f"{fleet}/corrupt", f"{fleet}/generated"], tmp_path / "p.sqlite", jobs=2, progress=recorder)
    assert recorder.started is not None and recorder.started[0] == 12
    assert len(recorder.sizes) == 12 and sum(recorder.sizes) == recorder.started[1]


# -- inputs ---------------------------------------------------------------------------------------------------
def test_inputs_globs_lists_trees_and_urls(fleet: Path, tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    tree_case = FIXTURE_CASES[0]  # packed as a plain directory in the fleet
    listing.write_text(f"# May\n{fleet}/generated/gen-dhcp.tar.gz\n\n{fleet}/cases/{tree_case}\n"
                       f"{fleet}/corrupt/*.gz\n{tmp_path}/missing.zip\n")
    found, warnings = expand([f"@{listing}"])
    assert [_name(i.location) for i in found] == [tree_case, "corrupt-garbage.gz", "corrupt-truncated.tar.gz",
                                                  "gen-dhcp"]
    assert warnings == [f"{tmp_path}/missing.zip: no such file or directory"]
    # A bundle tree is one input even when named through its parent's parent.
    tree_item = next(i for i in found if i.location.endswith(tree_case))
    assert tree_item.stamp is None and tree_item.size > 0
    # A directory that holds no bundle is taken as one bundle (triage will say what is in it).
    empty = tmp_path / "notes"
    empty.mkdir()
    (empty / "readme.md").write_text("x")
    assert [i.location for i in expand([str(empty)])[0]] == [str(empty)]
    assert expand([str(tmp_path / "nothing*")]) == ([], [f"{tmp_path}/nothing*: no match"])
    with pytest.raises(SourceError, match="no bundles found"):
        batch.run_batch([str(tmp_path / "nothing*")], tmp_path / "n.sqlite")


def test_url_inputs_through_fsspec(fleet: Path, tmp_path: Path) -> None:
    fsspec = pytest.importorskip("fsspec", reason="fsspec is not installed (pip install 'logparse[dask]')")
    fs = fsspec.filesystem("memory")
    for name in ("gen-dhcp.tar.gz", "gen-healthy-1.tar.gz"):
        fs.pipe(f"/fleet-{tmp_path.name}/{name}", (fleet / "generated" / name).read_bytes())
    fs.pipe(f"/fleet-{tmp_path.name}/notes.md", b"not a bundle")
    db = tmp_path / "u.sqlite"
    report = batch.run_batch([f"memory://fleet-{tmp_path.name}/", f"file://{fleet}/corrupt/corrupt-empty.zip"], db)
    assert (report.triaged, report.failed) == (2, 1)
    local = batch.run_batch([f"{fleet}/generated/gen-dhcp.tar.gz"], db)
    assert (local.skipped, local.triaged) == (1, 0)  # same bytes under a path: the same bundle, done
    assert _rows(db, "SELECT count(*) FROM sources") == [(4,)]
    found = _findings(db)
    assert found["gen-dhcp"] == {"dhcp-disabled"} and found["gen-healthy-1"] == set()


def test_a_remote_bundle_is_read_once(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    fsspec = pytest.importorskip("fsspec", reason="fsspec is not installed (pip install 'logparse[dask]')")
    fs = fsspec.filesystem("memory")
    data = (fleet / "generated" / "gen-dhcp.tar.gz").read_bytes()
    fs.pipe(f"/once-{tmp_path.name}/gen-dhcp.tar.gz", data)
    log = b"2024-05-01T10:06:02.113009Z WARNING EnvHandler ExtHandler Dhcp client is not running.\n"
    fs.pipe(f"/once-{tmp_path.name}/waagent.log", log)
    opened: list[str] = []
    real_open = fsspec.open

    def counting_open(url: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(url)
        return real_open(url, *args, **kwargs)

    monkeypatch.setattr(fsspec, "open", counting_open)
    url = f"memory://once-{tmp_path.name}/gen-dhcp.tar.gz"
    result = batch.analyse_bundle(url)
    assert opened == [url]  # hashed while triaged: one read, not a hash pass and a triage pass
    assert result["status"] == "ok" and result["digest"] == hashlib.sha256(data).hexdigest()
    assert {f["id"] for f in result["findings"]} >= {"dhcp-disabled"}
    # The digest is known after the read: a copy of a done bundle under a new URL is skipped.
    assert batch.analyse_bundle(url, done={result["digest"]})["status"] == "skipped"
    # A plain log at a URL keeps its name, so its layout is known by its path.
    plain = batch.analyse_bundle(f"memory://once-{tmp_path.name}/waagent.log")
    assert plain["digest"] == hashlib.sha256(log).hexdigest()
    assert [f["format"] for f in plain["files"]] == ["waagent"]
    assert "dhcp-disabled" in {f["id"] for f in plain["findings"]}


# -- the Dask engine --------------------------------------------------------------------------------------------
def test_dask_local_cluster_gives_identical_results(fleet: Path, fleet_db: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed "
                                                            "(pip install 'logparse[dask]')")
    db = tmp_path / "dask.sqlite"
    # Threads in this process: quick to start; two threads per worker also exercise the triage lock.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False, dashboard_address=None) \
            as cluster, distributed.Client(cluster) as client:
        report = batch.run_batch([str(fleet)], db, engine="dask", scheduler=client)
        assert (report.triaged, report.failed) == (26, 4)
        again = batch.run_batch([str(fleet)], db, engine="dask", scheduler=cluster.scheduler_address)
        assert again.skipped == 30
    local, remote = _dump(fleet_db), _dump(db)
    assert local.keys() == remote.keys()
    for table in local:
        assert local[table] == remote[table], table
    assert _rows(db, "SELECT engine, jobs FROM runs") == [("dask", None), ("dask", None)]


def test_dask_engine_needs_a_scheduler(fleet: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="dask.distributed is not installed")
    with pytest.raises(LogparseError, match="--scheduler"):
        batch.run_batch([f"{fleet}/corrupt"], tmp_path / "x.sqlite", engine="dask")


# -- the store ----------------------------------------------------------------------------------------------------
def test_store_refuses_other_databases(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(LogparseError, match="not a logparse batch database"):
        Store(other)
    newer = tmp_path / "newer.sqlite"
    Store(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(LogparseError, match="schema version 99"):
        connect(newer)
    (tmp_path / "text.sqlite").write_text("hello " * 200)
    with pytest.raises(LogparseError, match="not a SQLite database"):
        connect(tmp_path / "text.sqlite")


# -- summary ----------------------------------------------------------------------------------------------------
def test_summary_counts(fleet_db: Path) -> None:
    s = summarize(fleet_db, top=None)
    assert s.overview | {"last_run": None} == {"bundles": 30, "ok": 26, "failed": 4, "with_findings": 21,
                                              "no_finding": 5, "partial": 0, "locations": 30, "runs": 1,
                                              "last_run": None}
    sections = {sec.name: sec.rows for sec in s.sections}
    per_finding = {r["id"]: r["bundles"] for r in sections["findings"]}
    direct: dict[str, int] = {}
    for got in _findings(fleet_db).values():
        for finding in got:
            direct[finding] = direct.get(finding, 0) + 1
    assert per_finding == direct
    assert {_name(r["location"]) for r in sections["no_finding"]} == {
        "linux_healthy", "linux_noisy_healthy", "windows_healthy", "gen-healthy-1", "gen-healthy-2"}
    assert {_name(r["location"]) for r in sections["errors"]} == set(CORRUPT)
    pairs = {(r["a"], r["b"]): r["bundles"] for r in sections["cooccurrence"]}
    together: dict[tuple[str, str], int] = {}
    for got in _findings(fleet_db).values():
        for a in got:
            for b in got:
                if a < b:
                    together[(a, b)] = together.get((a, b), 0) + 1
    assert pairs == together
    assert pairs[("dhcp-disabled", "no-network-wireserver")] == 1  # gen-two only
    causes = {(r["finding"], r["cause"]) for r in sections["causes"]}
    assert ("BackUpOperationFailed", "dhcp-disabled") in causes
    assert ("UserErrorBackupOperationInProgress", "(none found)") in causes
    outdated = next(r for r in sections["versions"] if r["kind"] == "agent" and r["version"] == "2.2.18")
    assert outdated["bundles"] == 1 and {"id": "agent-outdated-linux", "bundles": 1} in outdated["findings"]
    templates = sections["templates"]
    assert templates == sorted(templates, key=lambda r: -r["bundles"]) and templates[0]["bundles"] >= 2


def test_summary_threshold_and_top(fleet_db: Path) -> None:
    strict = summarize(fleet_db, threshold=0.95, top=3)
    assert all(len(sec.rows) <= 3 for sec in strict.sections)
    findings = next(sec for sec in strict.sections if sec.name == "findings")
    assert findings.total > 3
    assert strict.overview["no_finding"] > summarize(fleet_db).overview["no_finding"]


def test_summary_renderers(fleet_db: Path) -> None:
    s = summarize(fleet_db, top=None)
    out = io.StringIO()
    render_table(s, out, width=200)
    text = out.getvalue()
    for title in ("Bundles per finding", "Causes found with each error", "Findings seen together",
                  "Agent and extension versions", "unrecognized", "Bundles with no finding",
                  "Bundles that could not be triaged"):
        assert title in text
    out = io.StringIO()
    render_json(s, out)
    data = json.loads(out.getvalue())
    assert data["overview"]["bundles"] == 30 and len(data["sections"]["errors"]["rows"]) == 4
    out = io.StringIO()
    render_csv(s, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {r["section"] for r in rows} == {"overview", "findings", "causes", "cooccurrence", "versions",
                                            "templates", "no_finding", "errors"}
    assert sum(1 for r in rows if r["section"] == "errors") == 4
    out = io.StringIO()
    render_html(s, out)
    page = out.getvalue()
    assert page.startswith("<!doctype html>") and page.count("<table>") == 7
    assert "<TS>" not in page and "&lt;TS&gt;" in page  # templates are escaped


def test_cli_batch_and_summary(fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cli.sqlite"
    assert cli.main(["batch", f"{fleet}/corrupt", f"{fleet}/generated", "--db", str(db), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "12 bundle(s): 8 triaged, 0 already done, 4 failed" in out
    # Again: what failed by its content is "already done", and the run says those are failures.
    assert cli.main(["batch", f"{fleet}/corrupt", f"{fleet}/generated", "--db", str(db), "--jobs", "1"]) == 0
    again = capsys.readouterr()
    failed_by_content = _rows(db, "SELECT count(*) FROM bundles WHERE status='error' AND digest NOT LIKE 'path:%'")
    assert failed_by_content[0][0] > 0
    assert (f"{failed_by_content[0][0]} of the bundles already done failed in an earlier run: logparse summary "
            f"{db} lists them; --retry-errors triages them again") in again.err
    assert cli.main(["summary", str(db), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["overview"]["bundles"] == 12
    assert cli.main(["summary", str(db), "--format", "csv", "--top", "1"]) == 0
    assert capsys.readouterr().out.startswith("section,key,subkey,bundles,share,count,detail\n")
    assert cli.main(["summary", str(tmp_path / "none.sqlite")]) == 2
    assert "no such database" in capsys.readouterr().err
    assert cli.main(["batch", str(tmp_path / "nothing*"), "--db", str(db)]) == 2
    assert "no bundles found" in capsys.readouterr().err


# -- hostile names, hostile databases ------------------------------------------------------------------------------
def test_a_name_that_is_not_utf8_is_stored_escaped_and_stops_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    healthy = packing.pack(tree("linux_healthy"), "tar.gz")
    bad = os.fsencode(folder) + b"/bad\xffname.tar.gz"
    with open(bad, "wb") as handle:
        handle.write(healthy)
    (folder / "zz_after.tar.gz").write_bytes(packing.pack(tree("linux_nonetwork_snapshot"), "tar.gz"))
    member = {"var/log/caf\udce9/waagent.log": tree("linux_healthy")["var/log/waagent.log"]}
    (folder / "member.tar").write_bytes(packing.pack(member, "tar"))
    db = tmp_path / "b.sqlite"
    for _ in range(2):  # and a re-run finds them done
        report = batch.run_batch([str(folder)], db, jobs=1)
        assert report.failed == 0
    assert report.skipped == 3
    locations = {loc for (loc,) in _rows(db, "SELECT location FROM bundles")}
    assert f"{folder}/bad\\xffname.tar.gz" in locations and f"{folder}/zz_after.tar.gz" in locations
    assert _rows(db, "SELECT count(*) FROM files WHERE path LIKE '%caf\\xe9%'") == [(1,)]
    assert "ExtensionSnapshotFailedNoNetwork" in set().union(*_findings(db).values())


def test_summary_table_prints_log_text_as_text(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite"
    store = Store(db)
    run = store.begin_run("local", 1, 1, {})
    store.write(batch._failure("/b/[bold]red[/x].zip", "d1", "failed with args [/quiet] and [/norestart]", 0.0), run)
    store.write(batch._failure("/b/\x1b[2Jclear.zip", "d2", "bad \x1b]0;title\x07", 0.0), run)
    store.close()
    out = io.StringIO()
    render_table(summarize(db), out, width=200)
    assert "[bold]red[/x].zip" in out.getvalue() and "[/quiet] and [/norestart]" in out.getvalue()
    assert "\x1b" not in out.getvalue() and "\x07" not in out.getvalue() and "\u241b[2Jclear.zip" in out.getvalue()


def test_a_failing_database_is_one_line_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    half = tmp_path / "half.sqlite"  # has a schema_version of 1 and nothing else
    conn = sqlite3.connect(half)
    conn.executescript("CREATE TABLE schema_version (version INT); INSERT INTO schema_version VALUES (1);")
    conn.close()
    assert cli.main(["summary", str(half), "--format", "json"]) == 2
    assert cli.main(["batch", str(tmp_path), "--db", str(half), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith(f"logparse: error: {half}: database error: ") for line in err)


@pytest.mark.parametrize("db", ["", ":memory:", "file::memory:"])
def test_a_database_that_would_vanish_is_refused(tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["batch", str(tmp_path), "--db", db, "--quiet"]) == 2
    assert "give the path of a database file" in capsys.readouterr().err


def test_a_refused_database_is_left_as_it_was(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    before = other.read_bytes()
    for db in (other, empty):
        with pytest.raises(LogparseError, match="not a logparse batch database"):
            summarize(db)
    with pytest.raises(LogparseError, match="not a logparse batch database"):
        Store(other)
    assert other.read_bytes() == before and empty.stat().st_size == 0
    assert sqlite3.connect(other).execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_database_paths_that_cannot_be_made_say_why(tmp_path: Path) -> None:
    with pytest.raises(LogparseError, match="does not exist"):
        Store(tmp_path / "nodir" / "x.sqlite")
    with pytest.raises(LogparseError, match="is a directory"):
        Store(tmp_path)


def test_two_runs_creating_one_database_both_find_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite"
    first, second = sqlite3.connect(db, isolation_level=None), sqlite3.connect(db, isolation_level=None)
    # The second saw an empty file before the first made the schema; it must not fail making it again.
    assert second.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    first.close()
    Store(db).close()
    from logparse import store

    script = (f"BEGIN IMMEDIATE; {store._if_not_exists(store._SCHEMA)} INSERT INTO schema_version "
              f"SELECT {store.SCHEMA_VERSION} WHERE NOT EXISTS (SELECT 1 FROM schema_version); COMMIT;")
    second.executescript(script)
    assert second.execute("SELECT count(*) FROM schema_version").fetchone() == (1,)
    second.close()


def test_a_list_file_in_latin1_with_a_bom_names_its_files(tmp_path: Path) -> None:
    name = os.fsencode(tmp_path) + b"/caf\xe9.tar.gz"
    with open(name, "wb") as handle:
        handle.write(packing.pack(tree("linux_healthy"), "tar.gz"))
    listing = tmp_path / "list.txt"
    listing.write_bytes(b"\xef\xbb\xbf" + name + b"\n")
    found, warnings = expand([f"@{listing}"])
    assert [os.fsencode(item.location) for item in found] == [name] and not warnings


def test_a_fifo_is_skipped_not_read_for_ever(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.tar.gz"
    os.mkfifo(fifo)
    found, warnings = expand([str(fifo)])
    assert not found and warnings == [f"{fifo}: not a regular file or a directory, skipped"]


@pytest.mark.parametrize("value", ["nan", "inf", "-0.1", "1.5", "x"])
def test_min_confidence_is_a_share(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["summary", str(tmp_path / "b.sqlite"), "--min-confidence", value])
    assert stop.value.code == 2 and "expected a number from 0 to 1" in capsys.readouterr().err


def test_a_url_whose_filesystem_is_missing_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fsspec = pytest.importorskip("fsspec", reason="fsspec is not installed")

    def missing(url: str, **_: Any) -> Any:
        raise ImportError("Install s3fs to access S3")

    monkeypatch.setattr(fsspec.core, "url_to_fs", missing)
    with pytest.raises(LogparseError, match="s3://bucket/x.tar.gz: Install s3fs"):
        expand(["s3://bucket/x.tar.gz"])


def test_a_dask_scheduler_that_cannot_be_reached_is_one_line(fleet: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="dask.distributed is not installed")
    db = tmp_path / "x.sqlite"
    with pytest.raises(LogparseError, match="no such dask scheduler file"):
        batch.run_batch([f"{fleet}/corrupt"], db, engine="dask", scheduler=str(tmp_path / "nosuch.json"))
    (tmp_path / "empty.json").write_text("{}")
    with pytest.raises(LogparseError, match="cannot connect to the dask scheduler"):
        batch.run_batch([f"{fleet}/corrupt"], db, engine="dask", scheduler=str(tmp_path / "empty.json"))
    with pytest.raises(LogparseError, match="--scheduler"):
        batch.run_batch([f"{fleet}/corrupt"], db, engine="dask")
    assert _rows(db, "SELECT status FROM runs") == [("interrupted",)] * 2  # the third never began


def test_a_location_with_new_content_replaces_its_old_bundle(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    target = folder / "a.tar.gz"
    target.write_bytes(b"")  # a download that failed
    db = tmp_path / "b.sqlite"
    assert batch.run_batch([str(folder)], db).failed == 1
    target.write_bytes(packing.pack(tree("linux_nonetwork_snapshot"), "tar.gz"))
    batch.run_batch([str(folder)], db)
    assert _rows(db, "SELECT status FROM bundles") == [("ok",)]
    s = summarize(db)
    assert (s.overview["bundles"], s.overview["failed"], s.overview["locations"]) == (1, 0, 1)
    copy = folder / "b.tar.gz"  # the same content under a second name keeps it when the first changes
    copy.write_bytes(target.read_bytes())
    batch.run_batch([str(folder)], db)
    target.write_bytes(packing.pack(tree("linux_healthy"), "tar.gz"))
    batch.run_batch([str(folder)], db)
    assert sorted(status for (status,) in _rows(db, "SELECT status FROM bundles")) == ["ok", "ok"]
    held = {Path(loc).name: digest for loc, digest in _rows(db, "SELECT location, digest FROM sources")}
    assert set(held) == {"a.tar.gz", "b.tar.gz"} and held["a.tar.gz"] != held["b.tar.gz"]
    assert {(Path(loc).name, d) for loc, d in _rows(db, "SELECT location, digest FROM bundles")} == set(held.items())


def test_a_database_inside_a_tree_bundle_is_no_part_of_it(tmp_path: Path) -> None:
    bundle = packing.write_tree(tmp_path / "vm7", tree("linux_nonetwork_snapshot"))
    db = bundle / "results.sqlite"  # `logparse batch .` run inside the bundle
    first = batch.run_batch([str(bundle)], db)
    second = batch.run_batch([str(bundle)], db)
    assert (first.triaged, second.triaged, second.skipped) == (1, 0, 1)
    assert _rows(db, "SELECT count(*) FROM bundles") == [(1,)]
    # Listed as what it is, not as a binary member of the VM's logs.
    own = _rows(db, "SELECT path, format, status, reason FROM files WHERE path LIKE 'results.sqlite%'")
    assert own and {row[1:] for row in own} == {(None, "skipped", batch._OWN_DB)}
    assert not _rows(db, "SELECT path FROM files WHERE reason = 'binary data'")


def test_summary_names_every_location_of_a_failed_content(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.tar.gz", "b.zip", "c.tar.gz"):
        (folder / name).write_bytes(b"")  # three failed downloads, one content
    db = tmp_path / "b.sqlite"
    assert batch.run_batch([str(folder)], db).failed == 3
    [row] = next(sec.rows for sec in summarize(db).sections if sec.name == "errors")
    assert {Path(p).name for p in [row["location"], *row["also_at"]]} == {"a.tar.gz", "b.zip", "c.tar.gz"}
    out = io.StringIO()
    render_table(summarize(db), out, width=1000)
    assert "(and 2 more with the same content)" in out.getvalue()


@pytest.mark.parametrize("shape", ["version INTEGER", "v TEXT"])
def test_another_programs_schema_version_table_leaves_its_file_untouched(tmp_path: Path, shape: str) -> None:
    other = tmp_path / "app.sqlite"
    conn = sqlite3.connect(other)
    conn.executescript(f"CREATE TABLE schema_version ({shape}); INSERT INTO schema_version VALUES (7);"
                       "CREATE TABLE users (id, name);")
    conn.close()
    before = other.read_bytes()
    with pytest.raises(LogparseError):
        Store(other)
    assert other.read_bytes() == before
    assert not (tmp_path / "app.sqlite-wal").exists()


def test_a_powershell_utf16_list_names_its_bundles(tmp_path: Path) -> None:
    bundle = tmp_path / "a.tar.gz"
    bundle.write_bytes(packing.pack(tree("linux_healthy"), "tar.gz"))
    listing = tmp_path / "list.txt"
    listing.write_bytes(f"{bundle}\r\n".encode("utf-16"))  # PowerShell 5.1: dir ... > list.txt
    found, warnings = expand([f"@{listing}"])
    assert [item.location for item in found] == [str(bundle)] and not warnings


def test_a_fifo_among_the_bundles_of_a_directory_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.tar.gz").write_bytes(packing.pack(tree("linux_healthy"), "tar.gz"))
    os.mkfifo(tmp_path / "incoming.pipe")
    found, warnings = expand([str(tmp_path)])
    assert [Path(item.location).name for item in found] == ["a.tar.gz"]
    assert warnings == [f"{tmp_path / 'incoming.pipe'}: not a regular file or a directory, skipped"]


def test_a_bundle_replaced_with_the_same_size_and_mtime_is_read_again(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    target = folder / "a.tar"
    healthy = packing.pack(tree("linux_healthy"), "tar")
    target.write_bytes(healthy)
    db = tmp_path / "b.sqlite"
    batch.run_batch([str(folder)], db)
    before = os.stat(target)
    other = bytearray(healthy)
    at = other.index(b"Provisioning.Agent=auto")
    other[at:at + 23] = b"Provisioning.Agent=xxxx"  # same size, other content
    target.write_bytes(bytes(other))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # the old mtime set back
    assert os.stat(target).st_size == before.st_size
    assert batch.run_batch([str(folder)], db).triaged == 1


def test_a_text_file_of_no_known_layout_is_a_failed_bundle_not_a_healthy_one(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("lorem ipsum\n")
    (tmp_path / "ticket.txt").write_bytes((ROOT / "fixtures" / "bundles" / "linux_nonetwork_snapshot" /
                                           "ticket.txt").read_bytes())
    db = tmp_path / "n.sqlite"
    report = batch.run_batch([str(tmp_path / "notes.txt"), str(tmp_path / "ticket.txt")], db)
    assert (report.triaged, report.failed) == (1, 1)
    [(location, error)] = _rows(db, "SELECT location, error FROM bundles WHERE status='error'")
    assert location.endswith("notes.txt") and error.startswith("no known log layout (1 file(s) read as plain text")
    sections = summarize(db).to_dict()["sections"]
    assert not any(str(row).count("notes.txt") for row in sections["no_finding"]["rows"])
    assert any(row["location"].endswith("notes.txt") for row in sections["errors"]["rows"])


def test_summary_names_bundles_read_only_in_part(tmp_path: Path) -> None:
    whole = packing.pack(tree("linux_nonetwork_snapshot"), "tar.gz")
    (tmp_path / "whole.tar.gz").write_bytes(whole)
    (tmp_path / "cut.tar.gz").write_bytes(whole[: len(whole) * 2 // 3])  # waagent.log cut short
    db = tmp_path / "p.sqlite"
    assert batch.run_batch([str(tmp_path / "whole.tar.gz"), str(tmp_path / "cut.tar.gz")], db).triaged == 2
    summary = summarize(db)
    [row] = summary.to_dict()["sections"]["partial"]["rows"]
    assert row["location"].endswith("cut.tar.gz") and row["files"] >= 1
    assert any("truncated" in reason for reason in row["reasons"])
    assert summary.overview["partial"] == 1
    table, page, rows = io.StringIO(), io.StringIO(), io.StringIO()
    render_table(summary, table, width=200)
    render_html(summary, page)
    render_csv(summary, rows)
    assert "1 read only in part" in table.getvalue() and "Bundles read only in part" in page.getvalue()
    assert [r for r in csv.reader(io.StringIO(rows.getvalue())) if r[0] == "partial"][0][1].endswith("cut.tar.gz")


def test_entries_that_are_no_bundles_are_counted_not_dropped_silently(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "empty").mkdir(parents=True)
    (folder / "a.tar.gz").write_bytes(packing.pack(tree("linux_healthy"), "tar.gz"))
    (folder / "hosts.txt").write_text("10.0.0.4 vm1\n")
    (folder / "link.tar.gz").symlink_to(folder / "a.tar.gz")
    found, warnings = expand([str(folder)])
    assert [Path(i.location).name for i in found] == ["a.tar.gz"]
    assert warnings == [f"{folder}: 3 entries not taken as bundles (no archive, compressed file or log tree; links "
                        "are not followed): empty/, hosts.txt, link.tar.gz"]


def test_an_interrupted_run_counts_what_it_stored(fleet: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = Store.write
    calls: list[int] = []

    def write_then_ctrl_c(self: Store, result: dict[str, Any], run_id: int, stamp: str | None = None) -> str:
        outcome = real(self, result, run_id, stamp)
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # after the third bundle's commit, before the batch counts it
        return outcome

    monkeypatch.setattr(Store, "write", write_then_ctrl_c)
    db = tmp_path / "i.sqlite"
    with pytest.raises(KeyboardInterrupt):
        batch.run_batch([f"{fleet}/generated"], db, jobs=1)
    assert _rows(db, "SELECT status, triaged, failed FROM runs") == [("interrupted", 3, 0)]
    assert _rows(db, "SELECT count(*) FROM bundles") == [(3,)]


def test_ctrl_c_says_how_to_resume(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(self: Store, result: dict[str, Any], run_id: int, stamp: str | None = None) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "write", interrupted)
    code = cli.main(["batch", f"{fleet}/generated", "--db", str(tmp_path / "c.sqlite"), "--jobs", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 130 and err.count("\n") == 1 and "run the same command again to resume" in err
