"""``logparse batch``: triage many bundles, each once by content hash, into SQLite, locally or on Dask.

Sample::

    >>> from logparse.batch import run_batch
    >>> report = run_batch(["bundles/", "@more.txt"], "results.sqlite", jobs=2)
    >>> report.triaged, report.skipped, report.failed

One function does the work of one bundle on any engine: ``analyse_bundle(location, options,
done)`` hashes the bundle, returns at once if the hash is in ``done``, else triages it and
returns a plain dict; it never raises. The local engine runs it in forked worker processes
that keep the catalogue and compiled scanners warm; the Dask engine submits the very same
function to a cluster. Only the driver writes the database, one transaction per bundle.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import pickle
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, cast

from logparse import _fork
from logparse._batch_inputs import Input, expand, is_url
from logparse._console import make_console
from logparse.errors import LogparseError, SourceError
from logparse.store import Store

if TYPE_CHECKING:
    from logparse.catalogue import Catalogue
    from logparse.findings import TriageResult

ENGINES = ("local", "dask")
MAX_VERSIONS = 50
# Extension name-version pairs in handler log prefixes ("[Microsoft.Azure...VMSnapshotLinux-1.0.9199.0]")
# and in extension folders ("Plugins/<name>/<version>/", "waagent/<name>-<version>/").
_EXT_VERSION = re.compile(
    r"(?P<name>[A-Za-z]\w*(?:\.[A-Za-z]\w*){2,})[-/](?P<version>\d+(?:\.\d+){1,3})(?![\w.])")


class Progress(Protocol):
    """What the batch tells a progress display: the work ahead, then each bundle's size as it ends."""

    def start(self, bundles: int, size: int) -> None: ...

    def advance(self, size: int) -> None: ...


class BarProgress:
    """A progress bar on stderr: bundles done of all, MB/s of input, time left."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        # The bar counts bytes, not bundles: speed and time left stay honest when sizes vary.
        self._bar = Progress(TextColumn("{task.fields[done]}/{task.fields[bundles]} bundles"), BarColumn(),
                             DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                             console=make_console(stderr=True), transient=True)
        self._task = self._bar.add_task("batch", total=None, done=0, bundles=0)
        self._done = 0

    def start(self, bundles: int, size: int) -> None:
        self._bar.update(self._task, total=size, bundles=bundles)
        self._bar.start()

    def advance(self, size: int) -> None:
        self._done += 1
        self._bar.update(self._task, advance=size, done=self._done)

    def stop(self) -> None:
        self._bar.stop()


@dataclass
class BatchReport:
    """What a batch did: counts per outcome, inputs found, time, and warnings about the inputs."""

    db: str
    inputs: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    failed_before: int = 0  # inputs already done whose recorded triage failed in an earlier run

    @property
    def triaged(self) -> int:
        return self.counts["triaged"]

    @property
    def skipped(self) -> int:
        return self.counts["skipped"] + self.counts["duplicate"]

    @property
    def failed(self) -> int:
        return self.counts["failed"]


# -- one bundle ------------------------------------------------------------------------------
def content_digest(location: str, skip: Collection[str] = ()) -> str:
    """sha256 of a bundle file's bytes; for a directory, of its sorted relative paths and contents.

    ``skip``: absolute paths left out of a directory (the batch's own database, when it sits in
    the tree: it changes on every run, so the tree would never hash the same twice).
    """
    digest = hashlib.sha256()
    if is_url(location):
        import fsspec

        with fsspec.open(location, "rb") as stream:
            return _feed(digest, stream).hexdigest()
    if not os.path.isdir(location):
        with open(location, "rb") as stream:
            return _feed(digest, stream).hexdigest()
    # The same walk rules as the triage of a tree: regular files only, no symlinks followed.
    files: list[tuple[str, str]] = []
    for root, dirs, names in os.walk(location):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
        for name in names:
            full = os.path.join(root, name)
            if full in skip:
                continue
            if os.path.isfile(full) and not os.path.islink(full):
                files.append((Path(os.path.relpath(full, location)).as_posix(), full))
    for rel, full in sorted(files):
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        try:
            with open(full, "rb") as stream:
                _feed(digest, stream)
        except OSError as exc:
            digest.update(f"\0unreadable: {exc.strerror}".encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _feed(digest: hashlib._Hash, stream: Any) -> hashlib._Hash:
    while block := stream.read(1 << 20):
        digest.update(block)
    return digest


def analyse_bundle(location: str, options: Mapping[str, Any] | None = None,
                   done: Collection[str] = ()) -> dict[str, Any]:
    """Hash one bundle and, unless the hash is in ``done``, triage it; never raises.

    Args:
        location: a local path (file or directory) or an fsspec URL, as the worker sees it.
        options: ``lang`` and ``catalogue`` (extra catalogue files), as ``run_batch`` passes them.
        done: digests already in the database.

    Returns:
        A plain dict (see ``Store.write``): ``status`` is ``ok``, ``error`` or ``skipped``.
    """
    started = time.perf_counter()
    opts = dict(options or {})
    if is_url(location):
        return _analyse_remote(location, opts, done, started)
    try:
        digest = content_digest(location, opts.get("skip") or ())
    except Exception as exc:  # noqa: BLE001 - an unreadable input is that bundle's error
        return _failure(location, f"path:{location}", f"cannot read: {_describe(exc)}", started)
    if digest in done:
        return {"location": location, "digest": digest, "status": "skipped"}
    try:
        catalogue = _catalogue(tuple(opts.get("catalogue") or ()))
        # Safe from several threads (the scanner keeps one Hyperscan scratch per thread), but
        # triage is CPU-bound Python: run Dask workers with one thread per process.
        result = _triage(location, catalogue, str(opts.get("lang") or "en"))
        return _compact(location, digest, result, started, opts.get("skip") or ())
    except Exception as exc:  # noqa: BLE001 - any failure is recorded for this bundle, the batch goes on
        return _failure(location, digest, _describe(exc), started)


def _analyse_remote(location: str, opts: Mapping[str, Any], done: Collection[str], started: float) -> dict[str, Any]:
    """``analyse_bundle`` for a URL, in one read: the bytes are hashed as triage reads them.

    A remote read is what costs (network, egress), not the triage: hashing first and reading
    again to triage read every new bundle twice. A bundle whose digest turns out to be done
    (a copy under a new URL; unchanged URLs are skipped by their etag before any read) costs a
    triage that is thrown away.
    """
    import fsspec

    digest = hashlib.sha256()
    failure: Exception | None = None
    result: TriageResult | None = None
    try:
        with fsspec.open(location, "rb") as raw:
            stream = _Hashing(raw, digest)
            try:
                catalogue = _catalogue(tuple(opts.get("catalogue") or ()))
                result = _triage(cast(BinaryIO, stream), catalogue, str(opts.get("lang") or "en"))
            except Exception as exc:  # noqa: BLE001 - this bundle's error, once its digest is known
                failure = exc
            stream.drain()  # triage may stop early (size caps): the digest covers every byte
    except Exception as exc:  # noqa: BLE001 - an unreadable input is that bundle's error
        return _failure(location, f"path:{location}", f"cannot read: {_describe(exc)}", started)
    hexdigest = digest.hexdigest()
    if hexdigest in done:
        return {"location": location, "digest": hexdigest, "status": "skipped"}
    if failure is not None or result is None:
        return _failure(location, hexdigest, _describe(failure or RuntimeError("no result")), started)
    return _compact(location, hexdigest, result, started)


class _Hashing(io.RawIOBase):
    """A read-only stream that feeds every byte read through it to a hash."""

    def __init__(self, raw: Any, digest: Any) -> None:
        super().__init__()
        self._raw = raw
        self._digest = digest
        self.name = getattr(raw, "path", None) or getattr(raw, "name", None) or "<url>"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._raw.read(len(view))
        view[: len(data)] = data
        self._digest.update(data)
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        data: bytes = self._raw.read(-1 if size is None else size)
        self._digest.update(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size if size >= 0 else 1 << 20)

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


_CATALOGUES: dict[tuple[str, ...], Catalogue] = {}


def _catalogue(extra: tuple[str, ...]) -> Catalogue:
    """The catalogue, loaded once per process (a warm worker pays nothing per bundle)."""
    from logparse.catalogue import load_catalogue

    if extra not in _CATALOGUES:
        _CATALOGUES[extra] = load_catalogue(extra)
    return _CATALOGUES[extra]


def _triage(source: str | BinaryIO, catalogue: Catalogue, lang: str) -> TriageResult:
    """Triage a local path, or the stream of a remote bundle."""
    from logparse.analysis import triage

    return triage(source, catalogue=catalogue, lang=lang)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, LogparseError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _failure(location: str, digest: str, error: str, started: float) -> dict[str, Any]:
    return {"location": location, "digest": digest, "status": "error", "error": error[:2000],
            "seconds": round(time.perf_counter() - started, 4)}


_OWN_DB = "the batch's own database (--db), not part of the bundle"


def _compact(location: str, digest: str, result: TriageResult, started: float,
             skip: Collection[str] = ()) -> dict[str, Any]:
    """What the database keeps of a triage: no remediation text or timeline, one example per template.

    ``skip``: absolute paths of the batch's own database files; in a tree bundle they are listed
    as what they are rather than as the bundle's "binary data".
    """
    from logparse.analysis import unknown_layout_only

    files = [f.to_dict() for f in result.files]
    if skip and os.path.isdir(location):
        for record in files:
            if os.path.join(location, *str(record["path"]).split("/")) in skip:
                record.update(format=None, status="skipped", reason=_OWN_DB, lines=0, truncated=False, damaged=False)
    analysed = [f for f in files if f["status"] == "analyzed"]
    error = None
    if not analysed:
        # As `logparse triage` says it: a bundle with nothing readable is a failure, not a clean bill.
        parts: list[str] = []
        for part in [f"{f['path']}: {f['reason']}" for f in files[:3] if f["reason"]] + result.warnings[:2]:
            if not any(part in seen or seen in part for seen in parts):  # warnings repeat member reasons
                parts.append(part)
        reasons = "; ".join(parts)
        error = f"nothing readable ({len(files)} member(s), none analysed" + (f": {reasons}" if reasons else "") + ")"
    elif unknown_layout_only(result):
        # Not a bundle of logs (a README, notes): "no finding" would count it among the healthy VMs.
        names = ", ".join(f["path"] for f in analysed[:3]) + (" ..." if len(analysed) > 3 else "")
        error = f"no known log layout ({len(analysed)} file(s) read as plain text, nothing matched: {names})"
    findings = [{
        "id": f.id, "kind": f.kind, "confidence": round(f.confidence, 3), "severity": f.severity,
        "title": f.title, "doc": f.doc, "evidence_count": f.evidence_count, "reasons": list(f.reasons),
        "evidence": [e.to_dict() for e in f.evidence],
        "causes": [{"id": c["id"], "confidence": round(float(c["confidence"]), 3)}
                   for c in f.causes if c.get("confidence")],
    } for f in result.findings]
    templates = [{
        "level": t.level, "template": t.template, "count": t.count,
        "example_path": t.examples[0].path if t.examples else None,
        "example_line": t.examples[0].line if t.examples else None,
        "example_text": t.examples[0].text if t.examples else None,
    } for t in result.unrecognized]
    timeline = result.timeline.to_dict()
    return {
        "location": location, "digest": digest, "status": "error" if error else "ok", "error": error,
        "seconds": round(time.perf_counter() - started, 4),
        "bytes": result.stats.get("bytes"), "files_analyzed": len(analysed),
        "first_time": timeline["start"], "last_time": timeline["end"],
        "warnings": list(result.warnings), "stats": dict(result.stats),
        "findings": findings, "files": files, "templates": templates, "versions": _versions(result, files),
    }


def _versions(result: TriageResult, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = {("agent", "guest-agent", str(v)) for v in result.stats.get("agent_versions") or ()}
    texts = [e["text"] for e in result.timeline.events if e["kind"] == "extension_state"]
    for text in texts + [f["path"] for f in files]:
        for m in _EXT_VERSION.finditer(text):
            found.add(("extension", m["name"], m["version"]))
        if len(found) >= MAX_VERSIONS:
            break
    latest: dict[tuple[str, str], tuple[int, ...]] = {}
    for kind, name, version in found:
        key = (kind, name)
        latest[key] = max(latest.get(key, ()), _version_key(version))
    return [{"kind": k, "name": n, "version": v, "latest": latest[(k, n)] == _version_key(v)}
            for k, n, v in sorted(found)]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


# -- engines -----------------------------------------------------------------------------------
IN_FLIGHT = 2  # bundles handed to each worker at once: the next is waiting when one ends


class _Worker:
    """One forked worker process and the parent's end of its pipe; ``sent`` are its bundles, in order."""

    def __init__(self, options: Mapping[str, Any], done: Collection[str], others: list[Any]) -> None:
        try:
            self.process, self.conn = _fork.start(_serve, (options, done), others)
        except OSError as exc:  # out of processes, memory or file descriptors: say so, no traceback
            raise LogparseError(f"cannot start a worker process ({exc.strerror or exc}); "
                                "what is done is saved: run again, or with fewer --jobs") from exc
        self.sent: deque[Input] = deque()
        self.since = 0.0  # when the worker started on its oldest bundle in hand

    def send(self, item: Input) -> None:
        """Hand over one bundle. Into a dead worker's pipe too: its end shows where results are
        awaited, so a worker dead before or during a bundle is handled in one place."""
        if not self.sent:
            self.since = time.monotonic()
        self.sent.append(item)
        try:
            self.conn.send_bytes(item.location.encode("utf-8", "surrogateescape"))
        except OSError:
            pass

    def receive(self) -> dict[str, Any] | None:
        """The result of the oldest bundle sent; None when the worker died (its pipe ended)."""
        try:
            data = self.conn.recv_bytes()
        except (EOFError, OSError):
            return None
        result: dict[str, Any] = pickle.loads(data)  # noqa: S301 - our own forked child wrote it
        self.since = time.monotonic()  # the next bundle in hand starts now
        return result

    def stop(self, *, now: bool = False) -> None:
        """End the process: at once (``now``, as on Ctrl-C), else after the bundle in hand."""
        self.release(now=now)
        self.join(now=now)

    def release(self, *, now: bool = False) -> None:
        """Tell the process to end (``now``: kill it) without waiting for it."""
        if now:
            self.process.kill()
        try:
            self.conn.close()  # the worker reads the end of its pipe and leaves
        except OSError:
            pass

    def join(self, *, now: bool = False) -> None:
        """Wait for the process to end after ``release``; killed if it takes longer than 30 s."""
        self.process.join(timeout=None if now else 30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _serve(conn: Any, options: Mapping[str, Any], done: Collection[str]) -> None:
    """A worker's loop: a bundle location in, its pickled ``analyse_bundle`` result out, until the pipe ends."""
    _catalogue(tuple(options.get("catalogue") or ()))
    while True:
        try:
            location = conn.recv_bytes().decode("utf-8", "surrogateescape")
        except (EOFError, OSError):
            break
        result = analyse_bundle(location, options, done)
        conn.send_bytes(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))


def local_results(todo: Sequence[Input], options: Mapping[str, Any], done: Collection[str],
                  jobs: int, timeout: float | None = None,
                  last: Callable[[bool], None] | None = None) -> Iterator[tuple[Input, dict[str, Any]]]:
    """(input, result) as bundles finish, in this process (``jobs`` 1) or ``jobs`` worker processes.

    With a ``timeout`` (seconds per bundle) bundles always run in worker processes, one process
    at least, so that a bundle that takes too long can be stopped. ``last`` is called once, when
    the last bundle starts (in this process) or a worker has no bundle left (in worker processes):
    the caller's end-of-run work then overlaps the last bundles. Its argument says whether the
    caller will be idle for a while (True in this process: the last bundle is triaged next).
    """
    from logparse.chunks import expect_bytes

    # Bundles are mostly compressed: four times their size is a low guess of their text.
    expect_bytes(4 * sum(item.size for item in todo))
    # No fork (Windows): one process. A timeout needs a process to stop, even for one bundle,
    # but nothing to do needs none (a re-run that finds everything done).
    if not todo or not hasattr(os, "fork") or (timeout is None and (jobs <= 1 or len(todo) <= 1)):
        return _in_process(todo, options, done, last)
    # fork: workers start with the driver's loaded catalogue and the done set, nothing pickled per bundle.
    # Every worker is forked now, before the caller starts threads (a progress bar) that a fork would
    # copy mid-lock.
    from logparse.analysis import warm_up

    # Warm once here rather than in each worker: the same wall time on idle cores, half the CPU
    # with two workers, and a replacement worker starts warm, so --timeout times the bundle alone
    # (with a timeout the matcher too, though most bundles never need it).
    warm_up(_catalogue(tuple(options.get("catalogue") or ())), matcher=timeout is not None)
    workers: list[_Worker] = []
    for _ in range(max(1, min(jobs, len(todo)))):
        workers.append(_Worker(options, done, [w.conn for w in workers]))
    return _drain(workers, todo, options, done, timeout, last)


def _in_process(todo: Sequence[Input], options: Mapping[str, Any], done: Collection[str],
                last: Callable[[bool], None] | None) -> Iterator[tuple[Input, dict[str, Any]]]:
    for index, item in enumerate(todo):
        if last is not None and index == len(todo) - 1:
            last(True)
        yield item, analyse_bundle(item.location, options, done)


def _drain(workers: list[_Worker], todo: Sequence[Input], options: Mapping[str, Any],
           done: Collection[str], timeout: float | None = None,
           last: Callable[[bool], None] | None = None) -> Iterator[tuple[Input, dict[str, Any]]]:
    """Results as workers send them. The parent is one thread waiting on the workers' pipes: a
    process pool's feeder and manager threads cost the parent more CPU than the database writes,
    and on two cores that CPU comes out of the workers' share.

    A worker that dies (killed, out of memory, a crash) takes no other bundle with it: the one it
    was triaging is tried again alone in a new worker once the others are idle, and recorded as
    failed if that worker dies too; the bundles queued behind it go back to the queue. A bundle
    still in hand after ``timeout`` seconds is recorded as failed and its worker replaced.
    """
    from multiprocessing.connection import wait as wait_any

    # Largest first: a big bundle started last would leave the other workers idle until it ends.
    queue = deque(sorted(todo, key=lambda item: item.size, reverse=True))
    suspects: deque[Input] = deque()
    alone: _Worker | None = None  # the worker retrying a suspect, with nothing else in flight anywhere
    try:
        while True:
            if alone is None and suspects and not any(w.sent for w in workers):
                alone = workers[0]
                alone.send(suspects[0])
            if alone is None and not suspects:
                # Near the end, one bundle at a time: a second one queued behind a worker's current
                # bundle would wait there while another worker runs out of work.
                depth = IN_FLIGHT if len(queue) > IN_FLIGHT * len(workers) else 1
                for worker in workers:
                    while queue and len(worker.sent) < depth:
                        worker.send(queue.popleft())
            if last is not None and not queue and not suspects and (
                    len(workers) == 1 or any(not w.sent for w in workers)):
                # The last bundles are out and a worker has nothing left: its core is free for the
                # caller's end-of-run work while the others finish. Once, even if a death requeues.
                last(False)
                last = None
            busy = [w for w in workers if w.sent]
            if not busy:
                return
            wait = None if timeout is None else max(0.0, min(w.since for w in busy) + timeout - time.monotonic())
            for conn in wait_any([w.conn for w in busy], wait):
                worker = next(w for w in busy if w.conn is conn)
                result = worker.receive()
                if result is not None:
                    item = worker.sent.popleft()
                    if worker is alone:
                        suspects.popleft()
                        alone = None
                    yield item, result
                    continue
                # Dead: its current bundle is a suspect (or, when it was already alone, the culprit).
                item = _replace(options, done, workers, worker, queue)
                if worker is not alone:
                    suspects.append(item)
                    continue
                suspects.popleft()
                alone = None
                why = "the worker process died on this bundle (killed, out of memory or a crash)"
                yield item, _failure(item.location, f"path:{item.location}", why, time.perf_counter())
            now = time.monotonic()
            for worker in [w for w in workers if w.sent and timeout is not None and now - w.since > timeout]:
                # Too long: not retried (it would take as long again); --retry-errors tries it later.
                began = time.perf_counter() - (now - worker.since)  # its seconds are those it was given
                item = _replace(options, done, workers, worker, queue, now=True)
                if worker is alone:
                    suspects.popleft()
                    alone = None
                why = f"triage took longer than --timeout {timeout:g} s; its worker process was stopped"
                yield item, _failure(item.location, f"path:{item.location}", why, began)
    finally:
        # Left early (Ctrl-C, or the caller stopped reading): bundles in hand are not waited for.
        now = bool(queue or suspects or any(w.sent for w in workers))
        # All told first, then waited for: the workers tear down their memory at the same time.
        for worker in workers:
            worker.release(now=now)
        for worker in workers:
            worker.join(now=now)


def _replace(options: Mapping[str, Any], done: Collection[str], workers: list[_Worker],
             worker: _Worker, queue: deque[Input], *, now: bool = False) -> Input:
    """Stop ``worker`` (at once when ``now``), put a new one in its place and the bundles queued
    behind its current one back in front of the queue; returns its current bundle."""
    item = worker.sent.popleft()
    queue.extendleft(reversed(worker.sent))
    worker.sent.clear()
    worker.stop(now=now)
    workers[workers.index(worker)] = _Worker(options, done, [w.conn for w in workers if w is not worker])
    return item


def dask_results(todo: Sequence[Input], options: Mapping[str, Any], done: Collection[str],
                 scheduler: Any) -> Iterator[tuple[Input, dict[str, Any]]]:
    """(input, result) as bundles finish on a Dask cluster: ``analyse_bundle`` per bundle.

    Args:
        scheduler: an address (``tcp://host:8786``), a scheduler file (``*.json``) or a
            ``distributed.Client``.
    """
    try:
        from distributed import Client as _Client
        from distributed import as_completed
    except ImportError as exc:
        raise LogparseError("the dask engine needs dask.distributed: pip install 'logparse[dask]'") from exc
    Client: Any = _Client  # partly typed; typed or not, mypy must agree with and without dask installed
    own = not isinstance(scheduler, Client)
    if not own:
        client = scheduler
    elif not scheduler:
        raise LogparseError("the dask engine needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    else:
        if isinstance(scheduler, str) and scheduler.endswith(".json") and not os.path.isfile(scheduler):
            # distributed would wait for the file to appear, for ever
            raise LogparseError(f"{scheduler}: no such dask scheduler file")
        try:
            if isinstance(scheduler, str) and scheduler.endswith(".json"):
                client = Client(scheduler_file=scheduler)
            else:
                client = Client(scheduler)
        except Exception as exc:  # noqa: BLE001 - timeouts, bad addresses, bad files: distributed raises many kinds
            raise LogparseError(f"cannot connect to the dask scheduler {scheduler}: {_describe(exc)}") from exc
    return _dask_drain(client, own, as_completed, todo, options, done)


def _dask_drain(client: Any, own: bool, as_completed: Any, todo: Sequence[Input], options: Mapping[str, Any],
                done: Collection[str]) -> Iterator[tuple[Input, dict[str, Any]]]:
    try:
        # The done set goes to every worker once, not once per task.
        [done_ref] = client.scatter([frozenset(done)], broadcast=True)
        futures = {client.submit(analyse_bundle, item.location, dict(options), done_ref, pure=False): item
                   for item in todo}
        for future in as_completed(list(futures)):
            item = futures.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker (KilledWorker) fails this bundle only
                result = _failure(item.location, f"path:{item.location}", f"dask: {_describe(exc)}",
                                  time.perf_counter())
            future.release()
            yield item, result
    finally:
        if own:
            client.close()


# -- the driver ----------------------------------------------------------------------------------
def run_batch(inputs: Sequence[str], db: str | Path, *, jobs: int = 1, engine: str = "local",
              scheduler: Any = None, lang: str = "en", catalogue: Sequence[str] = (),
              retry_errors: bool = False, progress: Progress | None = None,
              timeout: float | None = None) -> BatchReport:
    """Triage every bundle named by ``inputs`` that the database does not hold yet.

    Args:
        inputs: bundles, directories of bundles, globs, fsspec URLs, or ``@list.txt`` files.
        db: the SQLite file (created if missing; a re-run resumes it).
        jobs: worker processes of the local engine.
        engine: ``local`` or ``dask`` (then ``scheduler`` is required).
        retry_errors: triage again bundles that failed before.
        timeout: seconds one bundle may take on the local engine; a slower one is recorded as
            failed and its worker process replaced (None: no limit).

    Raises:
        SourceError: the inputs name no bundle at all.
        CatalogueError: an extra catalogue file is invalid.
        LogparseError: the database belongs to another schema version; the dask engine is missing.
    """
    if engine not in ENGINES:
        raise LogparseError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
    if engine == "dask" and not scheduler:  # before the database records a run that cannot start
        raise LogparseError("the dask engine needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    started = time.perf_counter()
    found, warnings = expand(inputs)
    if not found:
        raise SourceError("no bundles found in " + ", ".join(map(str, inputs)) +
                          (f" ({'; '.join(warnings[:3])})" if warnings else ""))
    db_file = os.path.abspath(db)
    # The database and its journals are no part of a tree bundle they happen to sit in.
    options: dict[str, Any] = {"lang": lang, "catalogue": [os.path.abspath(p) for p in catalogue],
                               "skip": [db_file + suffix for suffix in ("", "-wal", "-shm", "-journal")]}
    options["catalogue_digest"] = _catalogue(tuple(options["catalogue"])).digest  # fails early when invalid
    if timeout is not None and not (timeout > 0 and math.isfinite(timeout)):  # NaN fails both
        raise LogparseError(f"--timeout must be a positive number of seconds, not {timeout:g}")
    if timeout is not None and engine != "local":
        warnings.append("--timeout applies to the local engine only: the dask engine runs without it")
    elif timeout is not None and not hasattr(os, "fork"):
        warnings.append("--timeout needs worker processes (fork), which this platform lacks: it is not applied")
    report = BatchReport(str(db), len(found), warnings=warnings)
    store = Store(db)
    try:
        done = store.done(retry_errors=retry_errors)
        stamps = store.stamps()
        todo: list[Input] = []
        for item in found:
            seen = stamps.get(item.location)
            # Same location, same size and mtime (or etag), already done: no need to read it again.
            if item.stamp is not None and seen is not None and seen[0] == item.stamp and seen[1] in done:
                report.counts["skipped"] += 1
            else:
                todo.append(item)
        run_id = store.begin_run(engine, jobs if engine == "local" else None, len(found),
                                 {**options, "retry_errors": retry_errors}, adding=len(todo))
        status = "interrupted"
        try:
            results = (local_results(todo, options, done, jobs, timeout, store.last_bundles) if engine == "local"
                       else dask_results(todo, options, done, scheduler))
            store.start_checkpoints()  # a thread: started once the workers are forked
            if progress is not None:
                progress.start(len(todo), sum(item.size for item in todo))
            try:
                for item, result in results:
                    result["size"] = item.size
                    report.counts[store.write(result, run_id, item.stamp)] += 1
                    if progress is not None:
                        progress.advance(item.size)
            finally:
                close = getattr(results, "close", None)  # stop the pool or cluster work now, on Ctrl-C too
                if close is not None:
                    close()
            status = "complete"
            if report.skipped:
                report.failed_before = store.failed_before(run_id, {item.location for item in found})
        finally:
            store.finish_run(run_id, status, report.counts)
    finally:
        store.close()
    report.seconds = time.perf_counter() - started
    return report
