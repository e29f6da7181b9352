"""State documents inside a triage: which members to read, their evidence for the diagnosis, job windows."""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, BinaryIO

from logparse.state import MAX_BYTES, read_state, sniff
from logparse.state.model import Fact, Stated, StateResult, skipped

if TYPE_CHECKING:
    from logparse.catalogue import Catalogue
    from logparse.diagnose import Diagnosis
    from logparse.findings import FileReport, Timeline, TriageResult

# Facts kept for the cross-document rules, over all documents of one triage (bounded memory).
MAX_KEPT = 50_000
# Log formats that tell the platform when no document does.
_PLATFORM_OF_FORMAT = {"waagent": "linux", "vmsnapshot": "linux", "ext_handler": "linux", "waagent_conf": "linux",
                       "windows_agent": "windows"}
# ``<extension dir>/status/<seq>.status``: extensions leave one file per sequence number behind,
# and only the newest says how things stand.
_SEQ_STATUS = re.compile(r"(?P<dir>.*)/status/(?P<seq>\d{1,9})\.status", re.IGNORECASE)
# Facts shown on the timeline (name -> event kind), besides job starts and ends.
_EVENTS = {"agent.status": "agent_status", "vm.provisioning_state": "vm_provisioning",
           "extension.state": "extension_state"}
# Snapshot attempts closer together than this are retries within one backup job.
ATTEMPT_GAP = timedelta(hours=3)


class _Replay(io.RawIOBase):
    """The bytes already read, then the rest of the stream: a member handed back unread."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class StateFeed:
    """Reads state documents met during a triage and turns what they say into diagnosis evidence."""

    def __init__(self, catalogue: Catalogue, diagnosis: Diagnosis, result: TriageResult) -> None:
        self.catalogue = catalogue
        self.diagnosis = diagnosis
        self.result = result
        self.docs: list[tuple[str, list[Fact]]] = []
        self.jobs: list[Fact] = []  # job facts of documents given with --state
        self._kept = 0
        # extension folder -> (newest sequence number, its path, report, stated), applied at the end
        self._latest: dict[str, tuple[int, str, FileReport, list[Stated]]] = {}

    def wanted(self, path: str, head: bytes) -> bool:
        return sniff(path, head)

    def read(self, path: str, stream: BinaryIO) -> tuple[StateResult, BinaryIO, bytes]:
        """The document's result, a stream that replays it for other readers, and the bytes read."""
        data = stream.read(MAX_BYTES + 1)
        result = read_state(path, data, self.catalogue) if len(data) <= MAX_BYTES \
            else skipped(f"larger than {MAX_BYTES >> 20} MiB")
        return result, io.BufferedReader(_Replay(data, stream), buffer_size=1 << 16), data

    def apply(self, path: str, result: StateResult, report: FileReport, *, given: bool = False) -> None:
        """Evidence, timeline events and kept facts of one document (``given``: named with --state)."""
        from logparse.state.across import COMBINED_FACTS  # loads with the first document

        report.format = f"state:{result.kind}"
        if given:
            path = report.path = as_given(path)
        stated = list(result.stated)
        slashed = "/" + path.replace("\\", "/")
        if stated and "/history/" in slashed.casefold():
            report.reason, stated = "an agent history copy: on the timeline only", []
        m = _SEQ_STATUS.fullmatch(slashed)
        if m is not None:
            self._sequenced(m["dir"].casefold(), int(m["seq"]), path, report, stated)
            stated = []
        for item in stated:
            self._apply_stated(path, item)
        kept = [f for f in result.facts if f.name in COMBINED_FACTS]
        if self._kept + len(kept) <= MAX_KEPT:
            self.docs.append((path, kept))
            self._kept += len(kept)
        if given:
            self.jobs += [f for f in result.facts if f.name.startswith("job.")]
        self._events(path, result.facts)

    def _sequenced(self, folder: str, seq: int, path: str, report: FileReport, stated: list[Stated]) -> None:
        best = self._latest.get(folder)
        if best is not None and best[0] > seq:
            report.reason = f"older than status {best[0]}: on the timeline only"
            return
        if best is not None:
            best[2].reason = f"older than status {seq}: on the timeline only"
        self._latest[folder] = (seq, path, report, stated)

    def _apply_stated(self, path: str, stated: Stated) -> None:
        from logparse.findings import Evidence

        text = f"{stated.json_path}: {stated.text}" + (f" ({stated.label})" if stated.label else "")
        evidence = Evidence(path, stated.line, text[:2000], stated.time, "state")
        self.diagnosis.stated(stated.entry_id, stated.confidence, evidence, stated.reason)

    def _events(self, path: str, facts: list[Fact]) -> None:
        timeline = self.result.timeline
        for fact in facts:
            if fact.time is None:
                continue
            if fact.name in ("job.start", "job.end"):
                timeline.event(fact.time, "backup_job", f"backup job {fact.subject} {fact.name[4:]}s", path,
                               fact.line)
            elif fact.name in _EVENTS and str(fact.value).casefold() not in ("succeeded", "ready"):
                subject = f"{fact.subject} " if fact.subject else ""
                timeline.event(fact.time, _EVENTS[fact.name], f"{subject}{fact.name} {fact.value}", path, fact.line)

    def window(self) -> tuple[datetime, datetime | None, str] | None:
        """Around the failed (else latest) job of the documents given with --state."""
        from logparse.state import backup_job

        return backup_job.window(self.jobs)

    def finish(self, files: list[FileReport],
               asked: tuple[datetime | None, datetime | None] | None = None) -> None:
        """The rules that need every document (and the platform the logs show), and the window of the
        failing backup job for the diagnosis to pick its evidence by (``asked``: --since/--until's)."""
        for _, path, _, stated in self._latest.values():
            for item in stated:
                self._apply_stated(path, item)
        self._focus(asked)
        if not self.docs:
            return  # no state document: nothing to combine (and no need to load the rules)
        from logparse.state.across import combined

        seen = {_PLATFORM_OF_FORMAT.get(f.format or "") for f in files} - {None}
        hint = seen.pop() if len(seen) == 1 else None
        for path, item in combined(self.docs, self.catalogue, hint):
            self._apply_stated(path, item)

    def _focus(self, asked: tuple[datetime | None, datetime | None] | None = None) -> None:
        """The failing job's window: the one asked for with --since/--until, else around a backup
        job of any document (the failed one, else the latest), else from the latest snapshot
        attempts on, since a bundle is collected after the failure it is about."""
        jobs = [f for _, facts in self.docs for f in facts if f.name.startswith("job.")]
        found: tuple[datetime, datetime | None, str] | None = None
        if asked is not None:
            since, until = asked
            # Only --until: from the start of time, kept out of the stats as "no start".
            self.diagnosis.focus(since or datetime.min.replace(tzinfo=UTC), until)
            self.result.stats["evidence_focus"] = {"since": since.isoformat() if since else None,
                                                   "until": until.isoformat() if until else None,
                                                   "basis": "--since/--until"}
            return
        if jobs:
            from logparse.state import backup_job

            found = backup_job.window(jobs)
            if found is not None:
                found = (found[0], found[1], f"backup job {found[2]}")
        if found is None:
            found = attempts_window(self.result.timeline)
        if found is None:
            return
        since, until, why = found
        self.diagnosis.focus(since, until)
        self.result.stats["evidence_focus"] = {"since": since.isoformat(),
                                               "until": until.isoformat() if until else None, "basis": why}


def attempts_window(timeline: Timeline) -> tuple[datetime, None, str] | None:
    """From the latest burst of snapshot attempts on, as from the start of a backup job.

    The failing job is that burst or a later job that never got as far as an attempt (no
    network, no agent: the latest attempt is then the last good backup), so the window stays
    open to the end. A frequent kind keeps only its first events as points, so an hour counted
    later than the last kept attempt stands for the attempts it counts. Local times are taken
    as written.
    """
    from logparse.state.backup_job import WINDOW_BEFORE, aware

    kept = [e["time"] for e in timeline.events if e.get("kind") == "snapshot_attempt"]
    latest = max(kept, default="")
    counted = [hour for hour in timeline.buckets.get("event:snapshot_attempt", {}) if hour > latest[:13] + ":00"]
    times = [t for t in map(aware, kept + counted) if t is not None]
    times = sorted(times + [t + timedelta(hours=1) for t in map(aware, counted) if t is not None])
    if not times:
        return None
    first = len(times) - 1
    while first > 0 and times[first] - times[first - 1] <= ATTEMPT_GAP:
        first -= 1
    attempts = "the latest snapshot attempt" if first == len(times) - 1 else "the latest snapshot attempts"
    return times[first] - WINDOW_BEFORE, None, attempts


def as_given(path: str) -> str:
    """The path of a ``--state FILE`` as it was given: a member name never starts with ``/``, so an
    absolute FILE comes back without it; the file system tells which was meant."""
    if os.path.exists(path) or not os.path.isfile("/" + path):
        return path
    return "/" + path
