"""``triage(source)``: members -> formats -> one literal scan per chunk -> diagnosis -> result.

Sample::

    >>> import logparse
    >>> result = logparse.triage("bundle.tar.gz", error_text="UserErrorGuestAgentStatusUnavailable")
    >>> [(f.id, f.confidence) for f in result.findings_at(0.5)]
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, BinaryIO, cast

from logparse import _chunkpool, formats
from logparse import _streams as bs
from logparse.catalogue import Catalogue, load_catalogue
from logparse.chunks import (
    DIGITS,
    TEXT,
    ChunkScan,
    Line,
    Newlines,
    Shape,
    chunk_scanner,
    expect_bytes,
    record_time,
    scan_chunk,
    template_of,
    text_time,
)
from logparse.diagnose import Diagnosis
from logparse.errors import LogparseError, SourceError
from logparse.findings import Evidence, FileReport, Template, TriageResult
from logparse.scanner import POOL_CHUNK_BYTES, byte_chunks
from logparse.sources import Limits, MemberInfo, Skipped, open_source
from logparse.state.feed import StateFeed

# Formats read whole (small by nature): configuration and pasted error text.
WHOLE_FILE_FORMATS = ("waagent_conf", "job_error")
WHOLE_FILE_CAP = 8 * 1024 * 1024
HEAD_BYTES = 64 * 1024
MAX_TEMPLATES = 2000
# With --jobs >= 2, chunks go to worker processes once a run has read this much: below it, a
# fork and the round trips cost more than they save.
POOL_AFTER = 8 << 20
# The logs a VM writes, whose files tell which VM they come from (``vm_groups``).
VM_LOG_FORMATS = frozenset({"waagent", "vmsnapshot", "ext_handler", "windows_agent"})

@dataclass
class Options:
    """What ``triage`` was asked to do (the CLI fills this from its flags)."""

    error_text: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limits: Limits = field(default_factory=Limits)
    engine: str = "auto"
    lang: str = "en"
    progress: Callable[[int], None] | None = None
    jobs: int = 1
    state_files: list[str] = field(default_factory=list)


class _Run:
    """State of one triage: the diagnosis, files, templates and facts collected so far."""

    def __init__(self, source: str, catalogue: Catalogue, options: Options) -> None:
        self.catalogue = catalogue
        self.options = options
        self.result = TriageResult(source)
        self.diagnosis = Diagnosis(catalogue, options.lang)
        self.templates: dict[tuple[str, str], Template] = {}
        self.versions: dict[str, Evidence] = {}  # agent version -> where it was first seen
        self.autoupdate_off: Evidence | None = None
        self.snapshot_attempts = 0
        self.last_snapshot: str | None = None
        self.bytes = 0
        self._windowed = options.since is not None or options.until is not None
        # The window asked for with --since/--until: the evidence to show first comes from it.
        self._asked = (options.since, options.until) if self._windowed else None
        self._shapes: dict[bytes, str] = {}
        self._full: dict[bytes, Template] = {}  # shape -> its template, once that has all its examples
        # Example candidates of the chunk in hand, per template not yet full: (line, path, text), and its shapes.
        self._pending: dict[tuple[str, str], tuple[Template, list[tuple[int, str, str, str]], list[bytes]]] = {}
        self.state = StateFeed(catalogue, self.diagnosis, self.result)
        self._ext_states: dict[str, str] = {}
        self._pool: _chunkpool.ChunkPool | None = None
        # A VM's log -> (its logical path, rotation aside; its first line), to tell VMs apart at the end.
        self._vm_logs: dict[str, tuple[str, str]] = {}
        # Timed lines the --since/--until (or job) window kept and left out, the earliest and latest
        # of those left out (each as compared, a local time taken as UTC, and as written) and the
        # entries whose signatures they held: a window that holds none of the logs must not pass
        # for a clean bill.
        self._inside = 0
        self._outside = 0
        self._outside_span: list[tuple[datetime, datetime]] = []  # [earliest, latest] once one is seen
        self._outside_signed = 0  # of those, lines a signature matched
        self._outside_hits: dict[str, int] = {}  # entry -> lines left out that its signatures matched

    # -- members ------------------------------------------------------------------------
    def member(self, info: MemberInfo, stream: BinaryIO, *, given: bool = False) -> None:
        """One member; ``given`` for a file named with ``--state`` (read as a state document first)."""
        report = FileReport(info.path, None, "analyzed", truncated=info.truncated)
        if info.truncated:
            report.reason = info.truncated_reason or "truncated by the collector"
        self.result.files.append(report)
        try:
            head = _peek(stream)
            codec = bs.utf16_of(head)
            if codec is not None:  # Windows agent logs are often UTF-16: read as the UTF-8 they hold
                stream = cast(BinaryIO, bs.Peekable(cast(BinaryIO, bs.Utf16(stream, codec))))
                head = _peek(stream)
            if given or self.state.wanted(info.path, head):
                replay = self._state(info, stream, report, given)
                if replay is None:
                    return
                stream, head = replay, _peek(replay)
            # Judged past NUL padding at the start (a crash), and from where the text starts after
            # binary junk: the lines detection reads are the log's, not the junk's.
            sniffed = bs.past_padding(stream, head)
            start = bs.text_start(sniffed)
            text_head = sniffed[start or 0 :].decode("utf-8", "backslashreplace").split("\n")[:50]
            detection = formats.detect(info.path, text_head)
            fmt = detection.format
            if start and fmt is not None and formats.get(fmt).score(text_head) < formats.MIN_CONTENT_SCORE:
                # Binary junk and then a few clean lines that are not this log's (a binary's last
                # strings): named like a log, but no log is read here.
                start = None
            if fmt is not None and start is None:
                # Named like a log (var/log/waagent.log) but not text: "no finding" would read as healthy.
                report.status, report.reason = "skipped", f"binary data, not a {fmt} log"
                self.result.warnings.append(f"{info.path}: {report.reason}")
                return
            if fmt is None:
                # Binary, junk before text of no known layout, or NUL bytes alone.
                if start != 0 or (sniffed and not sniffed.strip(b"\0")):
                    report.status, report.reason = "skipped", "binary data"
                    return
                if info.container not in ("file", "stdin") or not head.strip():
                    report.status, report.format = "skipped", None
                    report.reason = "empty file" if not head.strip() else "no known log layout"
                    return
                fmt = TEXT  # a single pasted text: scan it with every signature
            report.format = fmt
            if fmt in VM_LOG_FORMATS:
                self._vm_logs[info.path] = (info.rotation[0], _first_line(head))
            if fmt in WHOLE_FILE_FORMATS or fmt == TEXT:
                self._whole(info, stream, fmt, report)
            else:
                self._scan(info, stream, fmt, report)
        except SourceError as exc:
            self.result.warnings.append(str(exc))
            report.reason = str(exc)
            if isinstance(exc, bs.TrailingData):
                return  # read whole; the junk after it is named
            if isinstance(exc, bs.DamagedData):
                # Read to its end: every line is there, some may say what was never written.
                report.damaged = True
                if not exc.cut:
                    return
            if report.lines:  # what was read before the cut is analysed, its findings stand
                report.truncated = True
            else:
                report.status = "failed"

    def _state(self, info: MemberInfo, stream: BinaryIO, report: FileReport, given: bool) -> BinaryIO | None:
        """A state document (Azure JSON, agent status file) as evidence; else the member, unread, back."""
        result, replay, data = self.state.read(info.path, stream)
        if result.skip_reason is not None:
            if given:
                self.result.warnings.append(f"{info.path}: not read as a state document ({result.skip_reason})")
            return replay
        self.state.apply(info.path, result, report, given=given)
        if result.kind == "backup_job":
            # Its error strings are job error text too: the fuzzy matcher and job_error signatures read them,
            # under the path its statements and its file row have (a --state FILE keeps its leading /), so
            # that a line both state and matched is one line.
            self._whole(replace(info, path=report.path), replay, "job_error", report)
            return None
        self.bytes += len(data)
        report.lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        return None

    def state_file(self, path: str) -> None:
        """A document named with ``--state``: read before the bundle, whatever its name."""
        with open_source(path, self.options.limits) as bundle:
            for item in bundle:
                if isinstance(item, Skipped):
                    self.result.files.append(FileReport(item.path, None, "skipped", item.reason))
                    continue
                self.member(*item, given=True)
            self.result.warnings.extend(bundle.warnings)

    def job_window(self) -> None:
        """Focus the log evidence on the backup job of a ``--state`` document, unless a window was asked for."""
        window = self.state.window()
        if window is None or self.options.since is not None or self.options.until is not None:
            return
        since, until, job = window
        self.options.since, self.options.until, self._windowed = since, until, True
        self.result.warnings.append(
            f"log evidence limited to {since.isoformat()} .. {until.isoformat() if until else 'the end'}, around "
            f"backup job {job} of a --state document; pass --since/--until to choose another window")

    def _scan(self, info: MemberInfo, stream: BinaryIO, fmt: str, report: FileReport) -> None:
        number = 1
        chunks: Iterator[tuple[bytes, Newlines | None, list[int] | None]]
        results: Iterator[tuple[bytes, ChunkScan]]
        if self.options.jobs > 1 and _chunkpool.available():
            results = self._pooled(fmt, byte_chunks(stream, POOL_CHUNK_BYTES))
        elif self.options.jobs > 1:
            scanner = chunk_scanner(self.catalogue, fmt, self.options.engine)
            # The pure-Python engine holds the GIL: it gains nothing on the reader's thread.
            chunks = _prefetched(byte_chunks(stream), scanner.occurrences if scanner.engine == "hyperscan" else None)
            results = self._chunk_results(fmt, chunks)
        else:
            results = self._chunk_results(fmt, _bare(byte_chunks(stream)))
        last: str | None = None  # the time of the file's last record: its last chunk's
        for chunk, scanned in results:
            self.bytes += len(chunk)
            if number == 1:
                self.result.timeline.span(_edge_time(chunk, fmt, first=True))
            last = _edge_time(chunk, fmt, first=False) or last
            for line in scanned.lines:
                self._apply(info.path, number + line.offset, line, fmt, chunk)
            for shape_key, shape in scanned.shapes.items():
                self._shape(info.path, number, shape_key, shape, fmt)
            self._examples()
            number += scanned.newlines + (0 if chunk.endswith(b"\n") else 1)
            report.lines = number - 1  # so far: a stream cut later keeps the count of what it gave
            if self.options.progress is not None:
                self.options.progress(len(chunk))
            del chunk, scanned  # before the next read (see byte_chunks)
        report.lines = number - 1
        self.result.timeline.span(last)

    def _chunk_results(self, fmt: str, chunks: Iterator[tuple[bytes, Newlines | None, list[int] | None]]
                       ) -> Iterator[tuple[bytes, ChunkScan]]:
        """``(chunk, what it holds)`` in order.

        Where worker processes cannot be forked (``_pooled`` is the Linux path), parallelism is
        the read-ahead thread of ``_scan``: inflating releases the GIL, so it overlaps with this
        thread's Hyperscan scan (which releases it too). Scanning chunks on more threads was
        measured slower: the per-line Python work holds the GIL.
        """
        job = (self.catalogue.digest, fmt, self.options.engine, self._windowed)
        for chunk, newlines, occurrences in chunks:
            yield chunk, scan_chunk(job, chunk, self.catalogue, newlines, occurrences)
            del chunk, newlines, occurrences  # before the next read (see byte_chunks)

    def _pooled(self, fmt: str, chunks: Iterator[bytes]) -> Iterator[tuple[bytes, ChunkScan]]:
        """``(chunk, what it holds)`` in order: here until the run has read ``POOL_AFTER`` bytes (a
        small input never pays for starting a worker), then by ``jobs - 1`` worker processes
        while this process reads ahead and applies the results."""
        job = (self.catalogue.digest, fmt, self.options.engine, self._windowed)
        if self._pool is None:
            seen = self.bytes
            for chunk in chunks:
                yield chunk, scan_chunk(job, chunk, self.catalogue)
                seen += len(chunk)
                if seen >= POOL_AFTER:
                    break
            else:
                return
            # Compile what the workers will use before they copy this process.
            chunk_scanner(self.catalogue, fmt, self.options.engine)
            try:
                self._pool = _chunkpool.ChunkPool(self.options.jobs - 1, self.catalogue)
            except OSError as exc:  # out of processes or memory: same answers from this process alone
                self.options.jobs = 1
                self.result.warnings.append(f"worker processes could not start ({exc.strerror or exc}): "
                                            "scanned in one process")
                yield from self._chunk_results(fmt, _bare(chunks))
                return
        yield from self._pool.scan(chunks, job, self.catalogue)

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _whole(self, info: MemberInfo, stream: BinaryIO, fmt: str, report: FileReport) -> None:
        data = stream.read(WHOLE_FILE_CAP + 1)
        cut: SourceError | None = None
        if len(data) > WHOLE_FILE_CAP:
            report.truncated = True
            report.reason = f"only the first {WHOLE_FILE_CAP} bytes read"
            data = data[:WHOLE_FILE_CAP]
        else:
            try:
                stream.read(1)  # the end, or the error that cut the read short (raised after this text)
            except SourceError as exc:
                cut = exc
        self.bytes += len(data)
        text = data.decode("utf-8-sig", "backslashreplace").replace("\r\n", "\n")
        report.lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if fmt == "waagent_conf":
            self._conf(info.path, text)
        else:
            self._ticket(info, text)
        if cut is not None:
            raise cut

    def _ticket(self, info: MemberInfo, text: str) -> None:
        self.error_text(text, info.path, "ticket")
        # Pasted log lines in a ticket count as log evidence too.
        job = (self.catalogue.digest, TEXT, self.options.engine, self._windowed)
        data = text.encode()
        scanned = scan_chunk(job, data, self.catalogue)
        for line in scanned.lines:
            self._apply(info.path, 1 + line.offset, line, TEXT, data)
        for shape_key, shape in scanned.shapes.items():
            self._shape(info.path, 1, shape_key, shape, TEXT)
        self._examples()

    # -- evidence -------------------------------------------------------------------------
    def _apply(self, path: str, number: int, line: Line, fmt: str, chunk: bytes) -> None:
        if self._windowed:
            if not self._in_window(line.stamp):
                self._left_out(line)
                return
            if line.stamp is not None:
                self._inside += 1
        evidence: Evidence | None = None
        signed = False
        for key, groups in line.probes:
            kind, _, rest = key.partition("\t")
            if kind == "sig":
                signed = True
            elif rest == "agent_version" and groups and groups["version"] in self.versions:
                continue  # a version already seen needs no new evidence
            elif rest == "extension_state":
                # Only transitions make the timeline: the same state repeats at every goal state.
                who, state = (groups or {}).get("ext") or "summary", (groups or {}).get("state") or ""
                if self._ext_states.get(who) != state:
                    self._ext_states[who] = state
                    when = _utc(record_time(line, fmt, chunk))
                    self.result.timeline.event(when, "extension_state", line.text, path, number)
                continue
            if evidence is None:
                stamp = record_time(line, fmt, chunk)
                evidence = Evidence(path, number, line.text[:2000], stamp.isoformat() if stamp else None)
            if kind == "sig":
                entry_id, _, index = rest.partition("\t")
                self.diagnosis.signature_hit(entry_id, int(index), evidence, line.level)
                self.result.timeline.count(evidence.timestamp, f"sig:{entry_id}")
            else:
                self._fact(rest, groups or {}, evidence)
        if line.level is not None and not signed:
            self._template(line, path, number, fmt)

    def _template(self, line: Line, path: str, number: int, fmt: str) -> None:
        shape = Shape(line.level or "", 1, [(0, line.text)])
        self._shape(path, number, line.text.encode().translate(None, DIGITS), shape, fmt)

    def _shape(self, path: str, base: int, shape_key: bytes, shape: Shape, fmt: str) -> None:
        full = self._full.get(shape_key)
        if full is not None:  # the usual case after the first chunks: only the count moves
            full.count += shape.count
            return
        # Lines that differ only in digits share a template; mask each distinct shape once.
        text = self._shapes.get(shape_key)
        if text is None:
            text = template_of(shape.first_text())
            if len(self._shapes) < 50_000:
                self._shapes[shape_key] = text
        key = (shape.level, text)
        template = self.templates.get(key)
        if template is None:
            if len(self.templates) >= MAX_TEMPLATES:
                key = (shape.level, "<other templates>")
            template = self.templates.setdefault(key, Template(key[1], shape.level))
        template.count += shape.count
        if len(template.examples) >= 3:
            if len(self._full) < 50_000:
                self._full[shape_key] = template
            return
        # Candidates only: the chunk's lines reach here hits first, then shape by shape, so the
        # template's first lines are known once the whole chunk is in (``_examples``).
        _, candidates, keys = self._pending.setdefault(key, (template, [], []))
        for _, (offset, example) in zip(range(3), shape.each_example(), strict=False):
            candidates.append((base + offset, path, example[:2000], fmt))
        keys.append(shape_key)

    def _examples(self) -> None:
        """Give each template its first lines of this chunk, in line order, up to three examples in
        all: the examples are a file's first lines of the template whatever the chunk size."""
        for template, candidates, keys in self._pending.values():
            candidates.sort(key=lambda candidate: candidate[0])
            for number, path, text, fmt in candidates[: 3 - len(template.examples)]:
                # Dated as evidence lines are, from the line's own header (a few lines per template).
                stamp = text_time(text, fmt)
                template.examples.append(Evidence(path, number, text, stamp.isoformat() if stamp else None))
            if len(template.examples) >= 3:
                for shape_key in keys:
                    if len(self._full) < 50_000:
                        self._full[shape_key] = template
        self._pending.clear()

    def _fact(self, key: str, groups: dict[str, str], evidence: Evidence) -> None:
        timeline = self.result.timeline
        if key in ("agent_version", "agent_start"):
            version = groups["version"]
            if version not in self.versions:
                timeline.event(evidence.timestamp, "agent_version", f"agent version {version}", evidence.path,
                               evidence.line)
            self.versions.setdefault(version, evidence)
            if key == "agent_start":
                timeline.event(evidence.timestamp, "agent_start", evidence.text, evidence.path, evidence.line)
        elif key == "autoupdate_off":
            self.autoupdate_off = self.autoupdate_off or evidence
        elif key == "snapshot_attempt":
            timeline.event(evidence.timestamp, "snapshot_attempt", evidence.text, evidence.path, evidence.line)
            self.snapshot_attempts += 1
            if evidence.timestamp and (self.last_snapshot is None or evidence.timestamp > self.last_snapshot):
                self.last_snapshot = evidence.timestamp

    def _conf(self, path: str, text: str) -> None:
        fmt = formats.get("waagent_conf")
        for record in fmt.parse(text.split("\n"), path):
            values = record.fields or {}
            key, value = values.get("key"), values.get("value")
            if not isinstance(key, str) or not record.generation.startswith("setting"):
                continue
            evidence = Evidence(path, record.line, record.raw, None, "config")
            if values.get("overridden_by"):
                continue
            lowered = str(value).strip().lower() if value is not None else ""
            if key in ("Extensions.Enabled", "Extensions.Enable") and lowered in ("n", "no", "false", "0"):
                confidence = 0.9 if key == "Extensions.Enabled" else 0.5
                self.diagnosis.stated("agent-config-options-linux", confidence, evidence,
                                      f"{key}={value} in waagent.conf")
            elif key == "Provisioning.Agent" and lowered and lowered != "auto":
                self.diagnosis.stated("agent-config-options-linux", 0.45, evidence,
                                      f"Provisioning.Agent={value} (the doc asks for auto)")
            elif key == "AutoUpdate.Enabled" and lowered in ("n", "no", "false", "0"):
                self.autoupdate_off = self.autoupdate_off or evidence

    def error_text(self, text: str, path: str, source: str) -> None:
        """Fuzzy-match job error text (a ticket member or ``--error``) into findings."""
        from logparse.fuzzy import match

        folded = text.casefold()
        # --error is the failed backup job's own error text; a ticket member may quote anything.
        for result in match(text, self.catalogue, lang=self.options.lang, backup=source == "--error"):
            if result.confidence < 0.3:
                continue
            line = folded.count("\n", 0, result.span[0]) + 1 if result.span[1] else 1
            lines = text.split("\n")
            shown = lines[line - 1] if 0 < line <= len(lines) else result.evidence
            evidence = Evidence(path, line, shown.strip()[:2000], None, source)
            if result.kind == "unknown-code":
                self.diagnosis.unknown_code(result.id, result.confidence, evidence)
            else:
                self.diagnosis.stated(result.id, result.confidence, evidence,
                                      f"job error text ({result.matched})")

    def _left_out(self, line: Line) -> None:
        """Count a timed line the window excludes, for ``_window_warning``."""
        stamp = line.stamp
        if stamp is None:
            return
        self._outside += 1
        aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)  # as _in_window compares it
        span = self._outside_span
        if not span:
            span += [(aware, stamp), (aware, stamp)]
        elif aware < span[0][0]:
            span[0] = (aware, stamp)
        elif aware > span[1][0]:
            span[1] = (aware, stamp)
        if not line.probes:  # most lines: a level word only
            return
        entries = {key.split("\t", 2)[1] for key, _ in line.probes if key.startswith("sig\t")}
        if entries:
            self._outside_signed += 1
            for entry_id in entries:
                self._outside_hits[entry_id] = self._outside_hits.get(entry_id, 0) + 1

    def _window_warning(self) -> str | None:
        """The warning for a time window that holds none of the timed log lines read; None when it holds
        some, or when there were none to judge."""
        if not self._windowed or self._inside or not self._outside:
            return None
        since, until = self.options.since, self.options.until
        # An open end left blank ("2030-01-01T00:00:00+00:00 .."): no words to translate.
        window = f"{since.isoformat() if since else ''} .. {until.isoformat() if until else ''}".strip()
        first, last = (stamp.isoformat() for _, stamp in self._outside_span)
        if not self._outside_hits:
            return (f"the time window {window} holds none of the {self._outside} timed log line(s) checked, which run "
                    f"from {first} to {last}: no finding from the logs is no sign of a healthy VM; pass "
                    "--since/--until to choose another window")
        # The lines that would have made findings: the entries most of them name first.
        ids = sorted(self._outside_hits, key=lambda i: (-self._outside_hits[i], i))
        named = ", ".join(ids[:3]) + (f" +{len(ids) - 3}" if len(ids) > 3 else "")
        return (f"the time window {window} holds none of the {self._outside} timed log line(s) checked, which run "
                f"from {first} to {last} ({self._outside_signed} of them matching {named}): no finding from the logs "
                "is no sign of a healthy VM; pass --since/--until to choose another window")

    def _in_window(self, stamp: datetime | None) -> bool:
        if stamp is None:
            return True
        aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        if self.options.since is not None and aware < self.options.since:
            return False
        return not (self.options.until is not None and aware > self.options.until)

    # -- the end --------------------------------------------------------------------------
    def finish(self) -> TriageResult:
        self.diagnosis.agent_versions(self.versions, self.autoupdate_off)
        self.state.finish(self.result.files, self._asked)
        result = self.result
        result.findings = self.diagnosis.findings()
        result.unrecognized = sorted(self.templates.values(), key=lambda t: (-t.count, t.template))
        result.stats.update({
            "bytes": self.bytes,
            "files_analyzed": sum(1 for f in result.files if f.status == "analyzed"),
            "agent_versions": sorted(set(self.versions)),
            "snapshot_attempts": self.snapshot_attempts,
            "last_snapshot_attempt": self.last_snapshot,
        })
        logs = [(f.path, *self._vm_logs[f.path]) for f in result.files
                if f.status == "analyzed" and f.path in self._vm_logs]
        window = self._window_warning()
        if window is not None:
            result.warnings.append(window)
        groups = vm_groups(logs)
        if groups:
            result.warnings.append(vms_warning(groups, len(logs)))
        if unknown_layout_only(result):
            # "No known failure" over files we could not place, or over a ticket alone, says
            # nothing about the VM's health.
            read = [f for f in result.files if f.status == "analyzed"]
            names = [f.path for f in read]
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            if all(f.format in (None, TEXT) for f in read):
                result.warnings.append(f"no file had a known log layout ({shown} read as plain text): "
                                       "no finding here is no sign of a healthy agent or extension")
            else:
                result.warnings.append(f"no VM log, configuration or state document was read ({shown} read as job "
                                       "error text, nothing matched): no finding here is no sign of a healthy "
                                       "agent or extension")
        return result


def _first_line(head: bytes) -> str:
    return head[:512].split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "backslashreplace").strip()


# A VM log's file name: the stem of a log a VM has one of (rotations aside), with whatever a
# person who gathered several VMs' logs added around it (``vm1-waagent.log``, ``waagent_vm2.log``).
# IaaSBcdrExtension*.log and CommandExecution_<extension>.log vary after their stem by themselves,
# so only what stands before it names a VM there.
_VM_LOG_NAME = re.compile(
    r"(?:(?P<pre>.*?)[-_. ]+)?(?:(?P<stem>waagent|waappagent|transparentinstaller|extension|shell)(?P<mid>[-_ (][^.]*)?"
    r"|(?P<fixed>(?:iaasbcdrextension|commandexecution)[^.]*))\.log(?:\..*)?", re.IGNORECASE)
# Words around a log's name that say which copy it is, not which VM: "waagent.log.old", "waagent (1).log".
_COPY_WORDS = frozenset("old bak backup copy orig original prev previous new latest last save saved tmp temp current "
                        "log logs".split())
# Where a bundle's own tree starts: what stands before it is the folder the tree was put in.
_TREE_ROOTS = ("/var/log/", "/windowsazure/", "/packages/plugins/")


def _vm_key(logical: str) -> tuple[str, str, str]:
    """``(folder the bundle's tree was put in, VM name from the file name, which log it is)``."""
    slashed = "/" + logical
    lowered = slashed.casefold()
    starts = [at for at in (lowered.find(root) for root in _TREE_ROOTS) if at >= 0]
    folder, _, name = slashed.rpartition("/")
    root = slashed[: min(starts)] if starts else folder
    role, label = name.casefold(), ""
    m = _VM_LOG_NAME.fullmatch(name)
    if m is not None:
        role = (m["stem"] or m["fixed"]).casefold() + ".log"
        words = re.split(r"[^0-9A-Za-z]+", (m["pre"] or "") + " " + (m["mid"] or ""))
        if any(w and not w.isdigit() and w.casefold() not in _COPY_WORDS for w in words):
            label = "-".join(w for w in words if w)
    within = folder[len(root):].casefold()
    return root.strip("/"), label, f"{within}/{role}"


def vm_groups(logs: list[tuple[str, str, str]]) -> list[tuple[str, list[str]]]:
    """The VMs that ``logs`` (path, logical path, first line) evidently come from, with their files;
    empty when they may all be one VM's.

    Files are grouped by the folder their tree was put in and the VM name added to their file
    name. Two groups are two VMs when both hold the same log (``waagent.log`` in the same place,
    rotations aside) and no file of it starts with the same line in both: copies of one VM's log
    (two collections, a file saved twice) start alike. What the scanners already read is enough:
    names and the first line of each file's head. (The records themselves name no VM for sure: a
    ContainerId changes whenever the VM moves to another host.)
    """
    groups: dict[tuple[str, str], dict[str, set[str]]] = {}
    files: dict[tuple[str, str], list[str]] = {}
    shown: dict[tuple[str, str], str] = {}  # a group's name as its files write it: their VM name, else folder
    for path, logical, first in logs:
        root, label, role = _vm_key(logical)
        key = (root, label.casefold())
        groups.setdefault(key, {}).setdefault(role, set()).add(first)
        files.setdefault(key, []).append(path)
        shown.setdefault(key, label or root.removesuffix("!"))  # "vm1.tar.gz!" for a nested archive's tree
    if len(groups) < 2:
        return []
    # Groups holding a copy of the same log are one VM: join them.
    parent = {key: key for key in groups}

    def top(key: tuple[str, str]) -> tuple[str, str]:
        while parent[key] != key:
            parent[key] = parent[parent[key]]  # halve the path: a long chain is walked once
            key = parent[key]
        return key

    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for key, roles in groups.items():
        for role, firsts in roles.items():
            for first in firsts - {""}:
                other = seen.setdefault((role, first), key)
                parent[top(key)] = top(other)
    vms: dict[tuple[str, str], list[tuple[str, str]]] = {}
    holders: dict[str, set[tuple[str, str]]] = {}  # log -> the VMs holding it
    for key, roles in groups.items():
        vm = top(key)
        vms.setdefault(vm, []).append(key)
        for role in roles:
            holders.setdefault(role, set()).add(vm)
    apart = {vm for held in holders.values() if len(held) > 1 for vm in held}
    if len(apart) < 2:
        return []
    out = []
    for vm in apart:
        keys = vms[vm]
        names = sorted({shown[key] for key in keys} - {""})
        out.append((", ".join(names) or "unnamed", sorted(path for key in keys for path in files[key])))
    return sorted(out)


def vms_warning(groups: list[tuple[str, list[str]]], logs: int) -> str:
    """The warning for logs of several VMs in one bundle, naming which files go with which VM."""
    parts = []
    for name, paths in groups:
        shown = ", ".join(paths[:4]) + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")
        parts.append(f"{name}: {shown}")
    told = sum(len(paths) for _, paths in groups)
    rest = f"; {logs - told} other log file(s) could be any of them" if logs > told else ""
    return (f"logs of {len(groups)} different VMs in one bundle, analysed as one (their findings and evidence "
            f"are mixed; triage each VM's files on their own): {'; '.join(parts)}{rest}")


_DONE = object()


def _bare(chunks: Iterator[bytes]) -> Iterator[tuple[bytes, None, None]]:
    """Chunks as ``_chunk_results`` takes them, with nothing worked out ahead."""
    for chunk in chunks:
        yield chunk, None, None
        del chunk  # before the next read (see byte_chunks)


def _prefetched(chunks: Iterator[bytes], occurrences: Callable[[bytes], list[int]] | None = None,
                depth: int = 4) -> Iterator[tuple[bytes, Newlines, list[int] | None]]:
    """``chunks`` read ahead by a thread, with their newline masks and, when this thread is
    ahead, their literal scan (``occurrences``): inflating, numpy and Hyperscan release the GIL,
    so that work overlaps with the consumer's Python. Errors reach the consumer in order."""
    import queue
    import threading

    box: queue.Queue[Any] = queue.Queue(depth)
    stop = threading.Event()

    def fill() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                # Scanning is shared by load: while the consumer is behind (the queue nearly
                # full) this thread scans too, else it leaves the scan to the consumer. Measured
                # better than a fixed share (1 in 2, 3 or 4 chunks) and than scanning every chunk.
                ahead = box.qsize() >= depth - 1
                found = occurrences(chunk) if occurrences is not None and ahead else None
                box.put((chunk, Newlines(chunk), found))
            box.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            box.put(exc)

    reader = threading.Thread(target=fill, name="logparse-read", daemon=True)
    reader.start()
    try:
        while (item := box.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while reader.is_alive():  # let a blocked put() finish so the thread can end
            try:
                box.get_nowait()
            except queue.Empty:
                reader.join(0.01)


def _edge_time(chunk: bytes, fmt: str, *, first: bool) -> str | None:
    """The record time of the first or the last line of ``chunk`` (one header parse), for the
    timeline's span: the lines between need no time of their own."""
    body = chunk.rstrip(b"\n")
    start = 0 if first else body.rfind(b"\n") + 1
    end = body.find(b"\n", start)
    text = body[start : end if end >= 0 else len(body)].decode("utf-8", "backslashreplace")
    return _utc(record_time(Line(0, text, (), start=start, timed=False), fmt, chunk))


def _utc(stamp: datetime | None) -> str | None:
    """A record time as an ISO string for the timeline (local-time values kept as written)."""
    return stamp.isoformat() if stamp is not None else None


def _of_the_vm(fmt: str | None) -> bool:
    """A format that says how the VM stands: its logs, the agent's configuration, a state document.

    Job error text (a ticket) is a known layout too, but only quotes what the portal said: read
    alone and matching nothing, it tells no more about the VM than a README would.
    """
    return fmt is not None and (fmt in VM_LOG_FORMATS or fmt == "waagent_conf" or fmt.startswith("state:"))


def unknown_layout_only(result: TriageResult) -> bool:
    """Files were read, none a VM's log, configuration or state document, and nothing was found."""
    analysed = [f for f in result.files if f.status == "analyzed"]
    return bool(analysed) and not any(_of_the_vm(f.format) for f in analysed) and not result.findings_at(0.5)


def _peek(stream: BinaryIO) -> bytes:
    peek = getattr(stream, "peek", None)
    if peek is not None:
        head: bytes = peek(HEAD_BYTES)[:HEAD_BYTES]
        return head
    raise LogparseError("internal: member streams must support peek()")


# What the first bundle imports beyond the formats: readers of archives, state documents, and the
# fast decoders when installed (optional: a missing one is what ``decoder`` falls back from).
_FIRST_BUNDLE_MODULES = ("logparse._tarscan", "logparse._zipscan", "logparse.state.backup_job",
                         "logparse.state.across", "encodings.utf_8_sig", "isal.igzip_lib")


def warm_up(catalogue: Catalogue, engine: str = "auto", *, matcher: bool = False) -> None:
    """Do now what a process's first bundle would: import every format and reader, build every
    format's scanner, and with ``matcher`` the fuzzy matcher's index (only bundles holding job
    error text need it). A parent that forks workers calls it first, so that no worker pays it (a
    worker replaced after ``--timeout`` would pay it again, and a first bundle's clock with it)."""
    import importlib

    for fmt in [f.name for f in formats.all_formats()] + [TEXT]:
        chunk_scanner(catalogue, fmt, engine)
    for module in _FIRST_BUNDLE_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            pass
    if matcher:
        from logparse.fuzzy import match

        match("UserErrorGuestAgentStatusUnavailable", catalogue)  # builds and caches the index


def text_estimate(path: str) -> int:
    """A rough lower bound of the text in a file: its size, times 4 when it is compressed (logs
    compress 8-20x), for choices that only pay off on large inputs."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
        size = os.path.getsize(path)
    except OSError:
        return 0
    packed = bs.compression_of(head) is not None or bs.archive_of(head) == "zip"
    return size * 4 if packed else size


def triage(source: str | BinaryIO, *, catalogue: Catalogue | None = None, **options: Any) -> TriageResult:
    """Diagnose one bundle, directory, archive, log file or ``-`` (stdin).

    Args:
        source: a path, ``-`` or a binary stream.
        catalogue: defaults to the built-in catalogue.
        **options: fields of ``Options`` (error_text, since, until, limits, engine, lang, progress, jobs,
            state_files: Azure state documents read before the bundle, see ``logparse.state``).

    Raises:
        SourceError: the input cannot be opened at all (nothing readable).
    """
    opts = Options(**options)
    cat = catalogue if catalogue is not None else load_catalogue()
    name = source if isinstance(source, str) else str(getattr(source, "name", "<stream>"))
    run = _Run(name, cat, opts)
    if isinstance(source, str) and source != "-" and os.path.isfile(source):
        # Before any worker forks, so that they inherit numpy rather than import it each.
        expect_bytes(text_estimate(source))
    try:
        if opts.error_text:
            run.error_text(opts.error_text, "--error", "--error")
        for path in opts.state_files:
            run.state_file(path)
        run.job_window()
        with open_source(source, opts.limits) as bundle:
            for item in bundle:
                if isinstance(item, Skipped):
                    run.result.files.append(FileReport(item.path, None, "skipped", item.reason))
                    continue
                run.member(*item)
            run.result.warnings.extend(bundle.warnings)
    finally:
        run.close()
    return run.finish()
