"""``triage(source)``: members -> formats -> one literal scan per chunk -> diagnosis -> result.

Sample::

    >>> import logparse
    >>> result = logparse.triage("bundle.tar.gz", error_text="UserErrorGuestAgentStatusUnavailable")
    >>> [(f.id, f.confidence) for f in result.findings_at(0.5)]
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

from logparse import formats
from logparse.catalogue import Catalogue, load_catalogue
from logparse.diagnose import Diagnosis
from logparse.errors import LogparseError, SourceError
from logparse.findings import Evidence, FileReport, Template, TriageResult
from logparse.scanner import Probe, Scanner, byte_chunks
from logparse.sources import Limits, MemberInfo, Skipped, open_source

# Formats read whole (small by nature): configuration and pasted error text.
WHOLE_FILE_FORMATS = ("waagent_conf", "job_error")
WHOLE_FILE_CAP = 8 * 1024 * 1024
TEXT = "*"  # plain text of unknown layout: every signature applies
HEAD_BYTES = 64 * 1024
MAX_TEMPLATES = 2000
# Chunks smaller than this (small files) are scanned in-process: a worker round trip costs more.
PARALLEL_MIN_CHUNK = 512 * 1024

# Words that mark an ERROR / WARNING line in each layout (exact case).
LEVEL_LITERALS: dict[str, tuple[tuple[str, str], ...]] = {
    "waagent": ((" ERROR ", "ERROR"), (" WARNING ", "WARNING"), (" ERROR:", "ERROR"), (" WARNING:", "WARNING")),
    "vmsnapshot": ((" ERROR:", "ERROR"), (" ERROR ", "ERROR"), (" WARNING ", "WARNING"), ("  Error  ", "ERROR")),
    "ext_handler": ((" ERROR:", "ERROR"), (" WARNING:", "WARNING"), (" event=failed", "ERROR")),
    "windows_agent": (("[ERROR]", "ERROR"), ("[WARN]", "WARNING")),
}

# Facts the diagnosis reads beyond signatures: (key, formats, literal, regex).
FACTS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("agent_start", ("waagent",), "Linux Agent Version",
     r"Linux Agent Version ?: ?(?:WALinuxAgent-)?(?P<version>\d+(?:\.\d+)+)"),
    ("agent_start", ("windows_agent",), "WindowsAzureGuestAgent starting",
     r"WindowsAzureGuestAgent starting\. Version (?P<version>\d+(?:\.\d+)+)"),
    ("agent_version", ("waagent",), "Goal State Agent version", r"Goal State Agent version (?P<version>\d+(?:\.\d+)+)"),
    ("agent_version", ("waagent",), "is running as the goal state agent",
     r"Agent WALinuxAgent-(?P<version>\d+(?:\.\d+)+) is running as the goal state agent"),
    ("autoupdate_off", ("waagent",), "AutoUpdate: 0", r"AutoUpdate: 0\b"),
    ("autoupdate_off", ("waagent",), "AutoUpdate.Enabled is set to False", r"AutoUpdate\.Enabled is set to False"),
    ("snapshot_attempt", ("waagent",), "Target handler state: enabled",
     r"VMSnapshotLinux-[\d.]+\] Target handler state: enabled"),
    ("extension_state", ("waagent",), "Target handler state: ",
     r"\[(?P<ext>[A-Za-z][\w.]*)-(?P<ver>\d[\w.]*)\] Target handler state: (?P<state>\w+)"),
    ("extension_state", ("waagent",), "Extension status: [", r"Extension status: (?P<state>\[\(.{0,400}\)\])"),
    ("extension_state", ("windows_agent",), "Plugin enabled",
     r"Plugin enabled \(handler name: (?P<ext>[\w.]+)"),
    ("snapshot_attempt", ("windows_agent",), "Beginning enable of plugin Microsoft.Azure.RecoveryServices.VMSnapshot",
     r"Beginning enable of plugin Microsoft\.Azure\.RecoveryServices\.VMSnapshot"),
)

_MASKS = (
    (re.compile(r"\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?"), "<TS>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b"), "<GUID>"),
    (re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.$-]+){2,}[\\/]?"), "<PATH>"),
    (re.compile(r"\b\d+(?:\.\d+){1,3}\b"), "<VER>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<HEX>"),
    (re.compile(r"\d+"), "<N>"),
    (re.compile(r"'[^']{0,200}'|\"[^\"]{0,200}\""), "<STR>"),
)


def template_of(text: str) -> str:
    """Mask what varies between instances of one message (times, ids, paths, versions, numbers)."""
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return text.strip()[:300]


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


_SCANNERS: dict[tuple[str, str, str], Scanner] = {}


def _scanner(catalogue: Catalogue, fmt: str, engine: str) -> Scanner:
    """The compiled scanner of one format, built once per process and catalogue content."""
    key = (catalogue.digest, fmt, engine)
    scanner = _SCANNERS.get(key)
    if scanner is None:
        scanner = _SCANNERS[key] = _build_scanner(catalogue, fmt, engine)
    return scanner


def _build_scanner(catalogue: Catalogue, fmt: str, engine: str) -> Scanner:
    probes: list[Probe] = []
    for entry_id, sig_index, sig in _signatures(catalogue):
        # Pasted text is matched by the fuzzy matcher already; its job_error signatures would
        # count the same line twice.
        if fmt in sig.formats or (fmt == TEXT and any(f != "job_error" for f in sig.formats)):
            flags = re.IGNORECASE if "i" in sig.flags else 0
            probes.append(Probe(f"sig\t{entry_id}\t{sig_index}", sig.literal, re.compile(sig.pattern, flags),
                                caseless="i" in sig.flags))
    for key, fact_formats, literal, pattern in FACTS:
        if fmt in fact_formats:
            probes.append(Probe(f"fact\t{key}", literal, re.compile(pattern, re.IGNORECASE)))
    for literal, level in LEVEL_LITERALS.get(fmt, ()):
        probes.append(Probe(f"level\t{level}", literal, None, caseless=False))
    return Scanner(probes, engine)


def _signatures(catalogue: Catalogue) -> Iterator[tuple[str, int, Any]]:
    for entry in catalogue.entries.values():
        for index, sig in enumerate(entry.signatures):
            yield entry.id, index, sig


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
        self._shapes: dict[bytes, str] = {}
        self._executor: ProcessPoolExecutor | None = None

    # -- members ------------------------------------------------------------------------
    def member(self, info: MemberInfo, stream: BinaryIO) -> None:
        report = FileReport(info.path, None, "analyzed", truncated=info.truncated)
        if info.truncated:
            report.reason = info.truncated_reason or "truncated by the collector"
        self.result.files.append(report)
        try:
            head = _peek(stream)
            text_head = head.decode("utf-8", "backslashreplace").split("\n")[:50]
            detection = formats.detect(info.path, text_head)
            fmt = detection.format
            if fmt is None:
                if _binary(head):
                    report.status, report.reason = "skipped", "binary data"
                    return
                if info.container not in ("file", "stdin") or not head.strip():
                    report.status, report.format = "skipped", None
                    report.reason = "empty file" if not head.strip() else "no known log layout"
                    return
                fmt = TEXT  # a single pasted text: scan it with every signature
            report.format = fmt
            if fmt in WHOLE_FILE_FORMATS or fmt == TEXT:
                self._whole(info, stream, fmt, report)
            else:
                self._scan(info, stream, fmt, report)
        except SourceError as exc:
            report.status = "failed"
            report.reason = str(exc)
            self.result.warnings.append(str(exc))

    def _scan(self, info: MemberInfo, stream: BinaryIO, fmt: str, report: FileReport) -> None:
        number = 1
        for chunk, scanned in self._chunk_results(fmt, byte_chunks(stream)):
            self.bytes += len(chunk)
            for line in scanned.lines:
                self._apply(info.path, number + line.offset, line)
            for shape_key, shape in scanned.shapes.items():
                self._shape(info.path, number, shape_key, shape)
            number += chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
            if self.options.progress is not None:
                self.options.progress(len(chunk))
        report.lines = number - 1

    def _chunk_results(self, fmt: str, chunks: Iterator[bytes]) -> Iterator[tuple[bytes, ChunkScan]]:
        """``(chunk, its confirmed lines)`` in order, scanned here or by the worker pool."""
        job = (self.catalogue.digest, fmt, self.options.engine, self._windowed)
        if self.options.jobs <= 1:
            for chunk in chunks:
                yield chunk, scan_chunk(job, chunk, self.catalogue)
            return
        # Keep a few chunks in flight per worker: enough to keep them busy, bounded memory.
        pending: deque[tuple[bytes, Future[ChunkScan]]] = deque()
        for chunk in chunks:
            if len(chunk) < PARALLEL_MIN_CHUNK and not pending:
                yield chunk, scan_chunk(job, chunk, self.catalogue)
                continue
            pending.append((chunk, self._pool().submit(scan_chunk, job, chunk)))
            while len(pending) > 2 * self.options.jobs:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            import multiprocessing

            self._executor = ProcessPoolExecutor(
                self.options.jobs, mp_context=multiprocessing.get_context("fork"),
                initializer=_worker_init, initargs=(self.catalogue,),
            )
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None

    def _whole(self, info: MemberInfo, stream: BinaryIO, fmt: str, report: FileReport) -> None:
        data = stream.read(WHOLE_FILE_CAP + 1)
        if len(data) > WHOLE_FILE_CAP:
            report.truncated = True
            report.reason = f"only the first {WHOLE_FILE_CAP} bytes read"
            data = data[:WHOLE_FILE_CAP]
        self.bytes += len(data)
        text = data.decode("utf-8-sig", "backslashreplace").replace("\r\n", "\n")
        report.lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if fmt == "waagent_conf":
            self._conf(info.path, text)
            return
        self.error_text(text, info.path, "ticket")
        # Pasted log lines in a ticket count as log evidence too.
        job = (self.catalogue.digest, TEXT, self.options.engine, self._windowed)
        scanned = scan_chunk(job, text.encode(), self.catalogue)
        for line in scanned.lines:
            self._apply(info.path, 1 + line.offset, line)
        for shape_key, shape in scanned.shapes.items():
            self._shape(info.path, 1, shape_key, shape)

    # -- evidence -------------------------------------------------------------------------
    def _apply(self, path: str, number: int, line: Line) -> None:
        if self._windowed and not self._in_window(line.stamp):
            return
        evidence: Evidence | None = None
        signed = False
        for key, groups in line.probes:
            kind, _, rest = key.partition("\t")
            if kind == "sig":
                signed = True
            elif rest == "agent_version" and groups and groups["version"] in self.versions:
                continue  # a version already seen needs no new evidence
            elif rest == "extension_state":
                self.result.timeline.event(_utc(line.stamp), "extension_state", line.text, path, number)
                continue
            if evidence is None:
                stamp = line.stamp.isoformat() if line.stamp else None
                evidence = Evidence(path, number, line.text[:2000], stamp)
            if kind == "sig":
                entry_id, _, index = rest.partition("\t")
                self.diagnosis.signature_hit(entry_id, int(index), evidence)
                self.result.timeline.count(_utc(line.stamp), f"sig:{entry_id}")
            else:
                self._fact(rest, groups or {}, evidence)
        if line.level is not None and not signed:
            self._template(line, path, number)

    def _template(self, line: Line, path: str, number: int) -> None:
        shape = Shape(line.level or "", 1, [(0, line.text)])
        self._shape(path, number, line.text.encode().translate(None, _DIGITS), shape)

    def _shape(self, path: str, base: int, shape_key: bytes, shape: Shape) -> None:
        # Lines that differ only in digits share a template; mask each distinct shape once.
        text = self._shapes.get(shape_key)
        if text is None:
            text = template_of(shape.examples[0][1])
            if len(self._shapes) < 50_000:
                self._shapes[shape_key] = text
        key = (shape.level, text)
        template = self.templates.get(key)
        if template is None:
            if len(self.templates) >= MAX_TEMPLATES:
                key = (shape.level, "<other templates>")
            template = self.templates.setdefault(key, Template(key[1], shape.level))
        template.count += shape.count
        for offset, example in shape.examples:
            if len(template.examples) >= 3:
                break
            template.examples.append(Evidence(path, base + offset, example[:2000]))

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
        for result in match(text, self.catalogue, lang=self.options.lang):
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
        return result


@dataclass(frozen=True)
class Line:
    """A confirmed line of one chunk, in a form that crosses process boundaries cheaply."""

    offset: int  # lines before it in its chunk
    text: str
    probes: tuple[tuple[str, dict[str, str] | None], ...]  # (probe key, named groups)
    stamp: datetime | None = None
    level: str | None = None


@dataclass
class Shape:
    """ERROR/WARNING lines of one chunk that match no signature and share a digit-free shape."""

    level: str
    count: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)  # (line offset in chunk, text)


@dataclass
class ChunkScan:
    """What one chunk holds: confirmed lines, and unmatched level lines counted by shape."""

    lines: list[Line]
    shapes: dict[bytes, Shape]


_WORKER_CATALOGUE: Catalogue | None = None
_DIGITS = b"0123456789"


def _worker_init(catalogue: Catalogue) -> None:
    global _WORKER_CATALOGUE
    _WORKER_CATALOGUE = catalogue


def scan_chunk(job: tuple[str, str, str, bool], chunk: bytes, catalogue: Catalogue | None = None) -> ChunkScan:
    """The whole per-chunk work, run in-process or in a worker.

    ``job`` is (catalogue digest, format, engine, windowed). Record times are worked out for
    lines that carry a signature or a fact (rare), or for every line when a time window is
    set. Lines holding only a level word are counted by shape in bulk, without decoding.
    """
    _, fmt, engine, windowed = job
    cat = catalogue or _WORKER_CATALOGUE or load_catalogue()
    scanner = _scanner(cat, fmt, engine)
    grammar = None if fmt == TEXT else getattr(formats.get(fmt), "grammar", None)
    hits, bare = scanner.scan_split(chunk)
    out: list[Line] = []
    offset, pos = 0, 0
    for hit in hits:
        offset += chunk.count(b"\n", pos, hit.start)
        pos = hit.start
        level: str | None = None
        probes: list[tuple[str, dict[str, str] | None]] = []
        for probe, m in hit.matches:
            if probe.key.startswith("level\t"):
                level = probe.key[6:]
            else:
                probes.append((probe.key, m.groupdict() if m is not None else None))
        stamp = _timestamp(hit.text, grammar, chunk, hit.start) if probes or windowed else None
        out.append(Line(offset, hit.text, tuple(probes), stamp, level))
    shapes: dict[bytes, Shape] = {}
    for start, end, index in bare:
        raw = chunk[start:end]
        if windowed:
            # Times decide whether a line counts at all: take the slow road through Line.
            text = raw.decode("utf-8", "backslashreplace")
            level = scanner.probes_of(index)[0].key[6:]
            out.append(Line(chunk.count(b"\n", 0, start), text, (), _timestamp(text, grammar, chunk, start), level))
            continue
        shape_key = raw.translate(None, _DIGITS)
        shape = shapes.get(shape_key)
        if shape is None:
            shape = shapes[shape_key] = Shape(scanner.probes_of(index)[0].key[6:])
        shape.count += 1
        if len(shape.examples) < 3:
            shape.examples.append((chunk.count(b"\n", 0, start), raw.decode("utf-8", "backslashreplace")))
    if windowed:
        out.sort(key=lambda line: line.offset)
    return ChunkScan(out, shapes)


def _utc(stamp: datetime | None) -> str | None:
    """A record time as an ISO string for the timeline (local-time values kept as written)."""
    return stamp.isoformat() if stamp is not None else None


def _binary(head: bytes) -> bool:
    """NUL bytes or mostly undecodable text: not a log."""
    if b"\x00" in head[:8192]:
        return True
    sample = head[:8192].decode("utf-8", "replace")
    return sample.count("\ufffd") > len(sample) // 10


def _peek(stream: BinaryIO) -> bytes:
    peek = getattr(stream, "peek", None)
    if peek is not None:
        head: bytes = peek(HEAD_BYTES)[:HEAD_BYTES]
        return head
    raise LogparseError("internal: member streams must support peek()")


def _timestamp(text: str, grammar: Any, chunk: bytes, start: int) -> datetime | None:
    """The time of the record holding the line at ``start``: its header, searched backwards."""
    if grammar is None:
        return None
    match = grammar.match(text)
    steps = 0
    end = start
    while match is None and end > 0 and steps < 50:
        begin = chunk.rfind(b"\n", 0, end - 1) + 1
        match = grammar.match(chunk[begin:end - 1].decode("utf-8", "backslashreplace"))
        end = begin
        steps += 1
    if match is None:
        return None
    for key, value in match[1].items():
        if value and key.startswith("TS"):
            return _parse_stamp(value)
    return None


def _parse_stamp(value: str) -> datetime | None:
    from logparse.formats._time import iso_utc, slash_local

    if "/" in value[:8]:
        return slash_local(value)
    return iso_utc(value)


def triage(source: str | BinaryIO, *, catalogue: Catalogue | None = None, **options: Any) -> TriageResult:
    """Diagnose one bundle, directory, archive, log file or ``-`` (stdin).

    Args:
        source: a path, ``-`` or a binary stream.
        catalogue: defaults to the built-in catalogue.
        **options: fields of ``Options`` (error_text, since, until, limits, engine, lang, progress).

    Raises:
        SourceError: the input cannot be opened at all (nothing readable).
    """
    opts = Options(**options)
    cat = catalogue if catalogue is not None else load_catalogue()
    name = source if isinstance(source, str) else str(getattr(source, "name", "<stream>"))
    run = _Run(name, cat, opts)
    if opts.error_text:
        run.error_text(opts.error_text, "--error", "--error")
    try:
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
