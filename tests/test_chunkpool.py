"""Worker processes for --jobs >= 2 give exactly what scanning in one process gives, whatever happens to them."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logparse import _chunkpool, analysis
from logparse.catalogue import load_catalogue
from logparse.chunks import pack, scan_chunk

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benches import gen_bundle  # noqa: E402

pytestmark = pytest.mark.skipif(not _chunkpool.available(), reason="worker processes need os.fork, missing here")

CATALOGUE = load_catalogue()
JOB = (CATALOGUE.digest, "waagent", "auto", False)


def _chunks(count: int, seed: int) -> list[bytes]:
    lines = list(gen_bundle.generate(count * 400, seed))
    rnd = random.Random(seed)
    out = []
    while lines:
        take = rnd.randrange(50, 800)
        out.append(("\n".join(lines[:take]) + "\n").encode())
        del lines[:take]
    return out


def _expected(chunks: list[bytes]) -> list[object]:
    return [pack(scan_chunk(JOB, chunk, CATALOGUE)) for chunk in chunks]


@pytest.mark.parametrize("workers", [1, 2])
def test_the_pool_scans_every_chunk_as_one_process_would_in_order(workers: int) -> None:
    chunks = _chunks(40, 1)
    pool = _chunkpool.ChunkPool(workers, CATALOGUE)
    try:
        got = [(chunk, pack(scanned)) for chunk, scanned in pool.scan(iter(chunks), JOB, CATALOGUE)]
        assert [chunk for chunk, _ in got] == chunks
        assert [packed for _, packed in got] == _expected(chunks)
        assert not pool.broken
        # The same pool serves the next member.
        again = _chunks(5, 2)
        assert [pack(s) for _, s in pool.scan(iter(again), JOB, CATALOGUE)] == _expected(again)
    finally:
        pool.close()
    assert all(not process.is_alive() for process, _ in pool._workers)


def test_a_worker_killed_midway_changes_nothing() -> None:
    chunks = _chunks(30, 3)
    pool = _chunkpool.ChunkPool(1, CATALOGUE)
    got = []
    try:
        for n, (_, scanned) in enumerate(pool.scan(iter(chunks), JOB, CATALOGUE)):
            got.append(pack(scanned))
            if n == 4:
                process = pool._workers[0][0]
                os.kill(process.pid, signal.SIGKILL)
                process.join(5)
    finally:
        pool.close()
    assert pool.broken
    assert got == _expected(chunks)


def test_a_read_error_comes_after_the_chunks_read_before_it() -> None:
    chunks = _chunks(12, 4)

    def cut() -> Iterator[bytes]:
        yield from chunks
        raise EOFError("Compressed file ended before the end-of-stream marker was reached")

    pool = _chunkpool.ChunkPool(1, CATALOGUE)
    got = []
    try:
        with pytest.raises(EOFError):
            for _, scanned in pool.scan(cut(), JOB, CATALOGUE):
                got.append(pack(scanned))
    finally:
        pool.close()
    assert got == _expected(chunks)


def test_a_chunk_too_big_for_a_slot_is_scanned_at_home(monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = _chunks(10, 5)
    monkeypatch.setattr(_chunkpool, "SLOT_BYTES", sorted(map(len, chunks))[len(chunks) // 2])
    pool = _chunkpool.ChunkPool(1, CATALOGUE)
    try:
        got = [pack(s) for _, s in pool.scan(iter(chunks), JOB, CATALOGUE)]
    finally:
        pool.close()
    assert got == _expected(chunks)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    bundle = tmp_path_factory.mktemp("pool") / "b.tar.gz"
    return bundle, gen_bundle.write_tar_gz(bundle, 6, 7, gen_bundle.DEFAULT_PLANTS)


@pytest.mark.slow
@pytest.mark.parametrize("options", [
    {},
    {"engine": "python"},
    # A time window: every level line comes back with its time, the heaviest result to send.
    {"since": datetime(2000, 1, 1, tzinfo=UTC), "until": datetime(2100, 1, 1, tzinfo=UTC)},
], ids=["default", "python-engine", "window"])
def test_triage_with_workers_equals_triage_in_one_process(generated: tuple[Path, dict[str, object]],
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          options: dict[str, object]) -> None:
    bundle, manifest = generated
    one = analysis.triage(str(bundle), jobs=1, **options).to_dict()  # type: ignore[arg-type]
    monkeypatch.setattr(analysis, "POOL_AFTER", 1 << 20)
    started: list[object] = []
    real = _chunkpool.ChunkPool

    def spy(*args: object) -> object:
        started.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(_chunkpool, "ChunkPool", spy)
    two = analysis.triage(str(bundle), jobs=2, **options).to_dict()  # type: ignore[arg-type]
    assert started, "the run should have started a worker"
    assert two == one
    assert {p[0] for p in manifest["plants"]} <= {f["id"] for f in two["findings"]}  # type: ignore[index,union-attr]
    assert multiprocessing.active_children() == []


@pytest.mark.slow
def test_workers_end_when_the_run_stops_midway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "b.tar.gz"
    gen_bundle.write_tar_gz(bundle, 4, 8, ())
    monkeypatch.setattr(analysis, "POOL_AFTER", 1 << 20)
    seen: list[int] = []

    def progress(size: int) -> None:
        seen.append(size)
        if len(seen) == 3:
            raise KeyboardInterrupt  # as Ctrl-C would, in the middle of the pooled chunks

    with pytest.raises(KeyboardInterrupt):
        analysis.triage(str(bundle), jobs=2, progress=progress)
    assert multiprocessing.active_children() == []


@pytest.mark.slow
def test_workers_that_cannot_start_leave_the_scan_to_this_process(generated: tuple[Path, dict[str, object]],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing.context

    bundle, _ = generated
    one = analysis.triage(str(bundle), jobs=1).to_dict()
    monkeypatch.setattr(analysis, "POOL_AFTER", 1 << 20)
    real_start = multiprocessing.context.ForkProcess.start
    calls: list[int] = []

    def second_refused(self: multiprocessing.context.ForkProcess) -> None:
        calls.append(1)
        if len(calls) == 2:  # the first worker is up, the second is refused (fork's EAGAIN)
            raise BlockingIOError(11, "Resource temporarily unavailable")
        real_start(self)

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", second_refused)
    three = analysis.triage(str(bundle), jobs=3).to_dict()
    assert len(calls) == 2
    assert multiprocessing.active_children() == []  # the first worker was stopped again
    warnings = three.pop("warnings")
    assert warnings == one.pop("warnings") + [
        "worker processes could not start (Resource temporarily unavailable): scanned in one process"]
    assert three == one
