"""Command line: each command parses options, calls one library function and prints the result."""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from logparse import formats
from logparse._console import make_console
from logparse._cpus import usable_cpus
from logparse.errors import CatalogueError, FormatError, LogparseError

if TYPE_CHECKING:
    from datetime import datetime

    from logparse.catalogue import Catalogue
    from logparse.findings import TriageResult

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
# What writing to stdout fails with when it cannot take the output (a full disk, a dead tty).
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EBADF, errno.EFBIG, errno.EDQUOT})


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line and exit code 2, like every other usage error.
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _cmd_parse(args: argparse.Namespace) -> int:
    from logparse import report
    from logparse.parsing import open_records
    from logparse.sources import Limits
    from logparse.textio import looks_binary

    out = sys.stdout
    style = args.format or ("table" if out.isatty() else "jsonl")
    limits = Limits(max_member_bytes=args.max_member_size, max_total_bytes=args.max_total_size,
                    max_ratio=args.max_ratio)
    try:
        with open_records(args.file, args.as_format, limits) as (_, records):
            if style == "jsonl":
                report.write_jsonl(records, out)
            elif style == "csv":
                report.write_csv(records, out)
            else:
                report.write_table(records, out)
    except FormatError as exc:
        # Only after detection failed: a UTF-16 log has NUL bytes too. Standard input cannot be
        # read twice, so there the detection error stands.
        if args.as_format is None and args.file != "-" and looks_binary(args.file):
            raise FormatError(
                f"{args.file}: binary data, not a log (name a format with --as to read it anyway)"
            ) from exc
        raise
    return EXIT_OK


def _cmd_detect(args: argparse.Namespace) -> int:
    from logparse.parsing import detect_file

    status = EXIT_OK
    for path in args.files:
        try:
            d = detect_file(path)
        except LogparseError as exc:
            _say(f"logparse: error: {exc}")
            status = EXIT_USAGE
            continue
        print(f"{_visible(path)}\t{d.format or 'unknown'}\t{d.score:.2f}\t{d.by}")
    return status


def _cmd_triage(args: argparse.Namespace) -> int:
    from logparse.analysis import triage
    from logparse.render import RenderOptions, write_report
    from logparse.sources import Limits

    limits = Limits(max_member_bytes=args.max_member_size, max_total_bytes=args.max_total_size,
                    max_ratio=args.max_ratio)
    progress = None if args.quiet or not sys.stderr.isatty() else _progress_bar(args.source)
    try:
        result = triage(
            args.source, catalogue=catalogue_from_args(args), error_text=args.error, since=args.since,
            until=args.until, limits=limits, engine=args.engine, lang=args.lang, jobs=args.jobs,
            progress=progress.advance if progress else None, state_files=args.state,
        )
    finally:
        if progress is not None:
            progress.stop()
    if not any(f.status == "analyzed" for f in result.files) and not args.error:
        said = [f"{f.path}: {f.reason}" if not (f.reason or "").startswith(f"{f.path}: ") else f.reason
                for f in result.files[:3] if f.reason]
        # A member's reason is usually also a warning: name each once.
        reasons = "; ".join(dict.fromkeys(said + [w for w in result.warnings[:2] if w not in said]))
        raise LogparseError(f"{args.source}: nothing readable ({len(result.files)} member(s), none analysed"
                            + (f": {reasons}" if reasons else "") + ")")
    if args.json and args.format not in (None, "json"):
        raise LogparseError(f"--json is --format json; it cannot be combined with --format {args.format}")
    fmt = "json" if args.json else args.format or "table"
    if args.per_evidence and fmt not in ("csv", "jsonl"):
        _say(f"logparse: warning: --per-evidence applies to --format csv and jsonl, not {fmt}")
    options = RenderOptions(threshold=args.min_confidence, verbose=args.verbose, per_evidence=args.per_evidence,
                            lang=args.lang)
    code = EXIT_FINDINGS if _fail_on(result, args.fail_on) else EXIT_OK
    # Decided before the output: a reader that stops early (| head) must not turn --fail-on into 0.
    args.outcome = code
    write_report(result, fmt, args.output, options)
    if args.output not in (None, "-") and not args.quiet:
        _say(f"logparse: report written to {args.output}")
    return code


def _fail_on(result: TriageResult, level: str | None) -> bool:
    """``--fail-on``: a confidence (``0.7``) or a severity (``error``, ``warning``, ``any``) at >= 0.5."""
    if level is None:
        return False
    try:
        threshold = float(level)
    except ValueError:
        wanted = {"error": {"error"}, "warning": {"error", "warning"}, "any": {"error", "warning", "info"}}[level]
        return any(f.severity in wanted or f.kind == "unknown-code" for f in result.findings_at(0.5))
    return bool(result.findings_at(threshold))


class _Progress:
    """A byte-count progress bar on stderr (only on a terminal)."""

    def __init__(self, total: int | None) -> None:
        from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

        self._bar = Progress(BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                             console=_stderr_console(), transient=True)
        self._task = self._bar.add_task("scan", total=total)
        self._bar.start()

    def advance(self, count: int) -> None:
        self._bar.advance(self._task, count)

    def stop(self) -> None:
        self._bar.stop()


def _stderr_console() -> Any:

    return make_console(stderr=True)


def _progress_bar(source: str) -> _Progress | None:
    try:
        size = os.path.getsize(source) if source != "-" and os.path.isfile(source) else None
    except OSError:
        size = None
    return _Progress(size)


def _since(text: str) -> datetime:
    from datetime import UTC, datetime

    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r} (e.g. 2024-05-01T10:00:00Z)") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _size(text: str) -> int:
    from logparse.sources import parse_size

    try:
        size = parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if size < 1:  # a cap of 0 bytes refuses every member: a typo, not a wish
        raise argparse.ArgumentTypeError(f"expected a size of 1 byte or more, not {text!r}")
    return size


def _number(text: str, fits: Callable[[float], bool], expected: str) -> float:
    """``text`` as a number that ``fits`` (nan fits nothing: compared, it would turn a cap off)."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if math.isnan(number) or not fits(number):
        raise argparse.ArgumentTypeError(f"expected {expected}, not {text!r}")
    return number


def _ratio(text: str) -> float:
    """A compression ratio cap."""
    return _number(text, lambda n: math.isfinite(n) and n >= 1.0, "a number of 1 or more, such as 200")


def _seconds(text: str) -> float:
    """A time limit (nan or inf would never time out; the pipe wait takes at most ~24 days)."""
    return _number(text, lambda n: 0.0 < n <= 1e6, "a number of seconds above 0 and up to 1000000, such as 600")


def _fail_level(text: str) -> str:
    try:
        if 0.0 <= float(text) <= 1.0:
            return text
    except ValueError:
        if text in ("error", "warning", "any"):
            return text
    raise argparse.ArgumentTypeError(f"{text!r}: use error, warning, any or a confidence such as 0.7")


def _add_size_caps(command: argparse.ArgumentParser) -> None:
    """The decompression caps, the same for triage and parse (one file is one member to parse)."""
    from logparse.sources import Limits

    defaults = Limits()
    command.add_argument("--max-member-size", type=_size, default=defaults.max_member_bytes, metavar="SIZE",
                         help="cap on one decompressed member (default 2G)")
    command.add_argument("--max-total-size", type=_size, default=defaults.max_total_bytes, metavar="SIZE",
                         help="cap on the decompressed bytes of all members read (default 20G)")
    command.add_argument("--max-ratio", type=_ratio, default=defaults.max_ratio,
                         help="cap on the compression ratio of a member (default 200)")


def _add_triage_command(sub: argparse._SubParsersAction[_Parser], cores: int) -> None:
    t = sub.add_parser(
        "triage",
        help="diagnose a log bundle: which backup error and cause, how sure, which lines, what to do",
        description="Diagnose a bundle (directory, tar/tar.gz/tar.bz2/tar.xz/tar.zst, zip, .gz/.zst, a log "
                    "or ticket file, or - for stdin) against the error catalogue.",
        epilog="Example: tar czf - /var/log | logparse triage - --error 'UserErrorGuestAgentStatusUnavailable'\n"
               "         logparse triage bundle.tar.gz --format html --output report.html\n"
               "         logparse triage bundle.tar.gz --state vm.json --state locks.json --state job.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    t.add_argument("source", help="bundle, directory, archive, file, or - for standard input")
    t.add_argument("--json", action="store_true", help="print one JSON object (the result's to_dict())")
    t.add_argument("--format", choices=("table", "json", "jsonl", "csv", "markdown", "html"),
                   help="report format (default table): json is --json, jsonl/csv one row per finding, "
                        "markdown for a ticket, html a self-contained page with a timeline")
    t.add_argument("--output", metavar="FILE", help="write the report to FILE instead of standard output")
    t.add_argument("--per-evidence", action="store_true",
                   help="csv/jsonl: one row per evidence line instead of one per finding")
    t.add_argument("--error", metavar="TEXT", help="the job error text from the portal, CLI or PowerShell")
    t.add_argument("--state", metavar="FILE", action="append", default=[],
                   help="an Azure state document (az/PowerShell/REST JSON: instance view, extensions, locks, "
                        "restore points, backup job) read as evidence; repeatable. A job's time window focuses "
                        "the log evidence unless --since/--until is given")
    t.add_argument("--since", type=_since, help="ignore log evidence before this time (ISO 8601; UTC if no zone)")
    t.add_argument("--until", type=_since, help="ignore log evidence after this time")
    t.add_argument("--fail-on", type=_fail_level, metavar="LEVEL",
                   help="exit 1 when a finding meets LEVEL: error, warning, any (at >= 0.5) or a confidence "
                        "(compared unrounded: the table's 0.99 may be 0.987; json has 3 decimals)")
    t.add_argument("--min-confidence", type=_share, default=0.5, help="findings shown (default 0.5)")
    t.add_argument("--verbose", action="store_true", help="show findings below --min-confidence too")
    t.add_argument("--jobs", type=_jobs, default=cores,
                   help="2 or more: past the first 8 MB, scan in N-1 worker processes while this one reads "
                        "(default: the cores this process may use)")
    t.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    t.add_argument("--engine", choices=("auto", "hyperscan", "python"), default="auto",
                   help="literal scan engine (default: hyperscan when installed)")
    _add_size_caps(t)
    add_catalogue_options(t)
    t.set_defaults(func=_cmd_triage)


def default_lang(environ: dict[str, str] | None = None) -> str:
    """``zh-CN`` when the locale (LC_ALL, LC_MESSAGES, then LANG) is Chinese, else ``en``."""
    env = os.environ if environ is None else environ
    locale = env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or ""
    return "zh-CN" if locale.lower().startswith("zh") else "en"


def _lang(text: str) -> str:
    """``en`` or ``zh-CN``, however a locale spells them (``zh``, ``zh_cn.UTF-8``, ``en-US``)."""
    key = text.strip().lower().replace("_", "-").split(".")[0]
    if key in ("zh", "zh-cn", "zh-hans", "zh-hans-cn", "cn"):
        return "zh-CN"
    if key == "en" or key.startswith("en-"):
        return "en"
    raise argparse.ArgumentTypeError(f"expected en or zh-CN, not {text!r}")


def add_catalogue_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--lang`` and the repeatable ``--catalogue EXTRA.toml`` to a command printing catalogue text."""
    parser.add_argument("--lang", type=_lang, default=default_lang(),
                        help="language of catalogue text: en or zh-CN (zh, zh-cn, zh_CN.UTF-8 too; default from "
                             "LC_ALL/LANG: zh* -> zh-CN, else en)")
    parser.add_argument("--catalogue", action="append", default=[], metavar="EXTRA.toml",
                        help="extra catalogue file that adds or overrides entries (repeatable)")


def catalogue_from_args(args: argparse.Namespace) -> Catalogue:
    """The catalogue with the ``--catalogue`` extras; CatalogueError (exit 2) when one is invalid."""
    from logparse.catalogue import load_catalogue

    return load_catalogue(getattr(args, "catalogue", None) or ())


def _cmd_explain(args: argparse.Namespace) -> int:
    from logparse.catalogue.explain import explain_rich, explain_text

    catalogue = catalogue_from_args(args)
    try:
        entry = catalogue.get(args.id)
    except CatalogueError as exc:
        from logparse.fuzzy import match

        # A code typed from a screenshot or cut short: the matcher reads it as it reads a paste
        # (a backup's own: the question is about the catalogue, so a generic code is no mere hint).
        best = [r for r in match(args.id, catalogue, top=3, backup=True) if r.confidence >= 0.5]
        if not best:
            raise
        raise CatalogueError(f"{exc}; did you mean {' or '.join(r.id for r in best)}?") from exc
    if sys.stdout.isatty():

        make_console().print(explain_rich(catalogue, entry, args.lang))
    else:
        sys.stdout.write(explain_text(catalogue, entry, args.lang))
    return EXIT_OK


def _cmd_catalogue_list(args: argparse.Namespace) -> int:
    import json

    entries = [e for e in catalogue_from_args(args).entries.values() if args.kind in (None, e.kind)]
    if args.json:
        json.dump([e.to_dict() for e in entries], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    for e in entries:
        print(f"{e.id}\t{e.kind}\t{e.platform}\t{e.severity}\t{e.text(e.title, args.lang)}")
    return EXIT_OK


def _cmd_catalogue_validate(args: argparse.Namespace) -> int:
    from logparse.catalogue import validate_file

    status = EXIT_OK
    for path in args.files:
        problems = validate_file(path)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            status = EXIT_USAGE
        else:
            print(f"{path}: ok")
    return status


def _cmd_match(args: argparse.Namespace) -> int:
    import json

    from logparse.fuzzy import MAX_QUERY_BYTES, match, query_text

    if args.text is None or args.text == "-":
        text = query_text(sys.stdin.buffer.read(MAX_QUERY_BYTES + 1))
    else:
        text = query_text(args.text)
    results = match(text, catalogue_from_args(args), top=args.top, lang=args.lang)
    if args.json:
        json.dump({"query": text, "matches": [r.to_dict() for r in results]}, sys.stdout,
                  ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    elif sys.stdout.isatty():
        from rich.table import Table

        table = Table("confidence", "id", "kind", "matched", "title", "evidence", title="logparse match")
        for r in results:
            style = None if r.confidence >= 0.5 else "dim"
            table.add_row(f"{r.confidence:.2f}", r.id, r.kind, r.matched, r.title, r.evidence[:60],
                          style=style)
        make_console().print(table if results else "No catalogue entry matches this text.")
    else:
        for r in results:
            print(f"{r.confidence:.2f}\t{r.id}\t{r.kind}\t{r.matched}\t{r.title}")
        if not results:  # stdout stays the rows a script reads; the person at the terminal is told
            _say("logparse: no catalogue entry matches this text")
    return EXIT_OK


def _share(value: str) -> float:
    """A confidence threshold (nan or inf would reach the JSON as invalid tokens)."""
    return _number(value, lambda n: 0.0 <= n <= 1.0, "a number from 0 to 1")


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {value!r}")
    return int(value)


MAX_JOBS = 256  # processes are forked up front: a typo (--jobs 100000) must not fork that many


def _jobs(value: str) -> int:
    jobs = _positive_int(value)
    if jobs > MAX_JOBS:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_JOBS} jobs, not {value!r}")
    return jobs


def _count(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, not {value!r}")
    return int(value)


def _add_match_command(sub: argparse._SubParsersAction[_Parser]) -> None:
    m = sub.add_parser(
        "match", help="match pasted error text (code, portal block, CLI JSON, ticket) to catalogue entries",
        description="Rank the catalogue entries a pasted error text points to, with a confidence in [0, 1] "
                    "(act on >= 0.5). Codes unknown to the catalogue that stand where an error code stands "
                    "are reported as unknown-code.",
        epilog="Example: az backup job show ... | logparse match --json\n"
               "         logparse match 'ExtensionSnapshotFailedNoNetwor' --top 3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    m.add_argument("text", nargs="?", metavar="TEXT",
                   help="the error text; - or nothing reads standard input")
    m.add_argument("--top", type=_positive_int, metavar="N", help="show only the best N matches")
    m.add_argument("--json", action="store_true", help='print {"query": ..., "matches": [...]} as JSON')
    add_catalogue_options(m)
    m.set_defaults(func=_cmd_match)


def _add_catalogue_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    e = sub.add_parser(
        "explain", help="explain an error code or cause: messages, causes in order, steps, doc link",
        description="Explain one catalogue entry (error code, alias or cause id).",
        epilog="Example: logparse explain GuestAgentSnapshotTaskStatusError --lang zh-CN",
        formatter_class=raw,
    )
    e.add_argument("id", help="error code, alias or cause id, e.g. UserErrorGuestAgentStatusUnavailable")
    add_catalogue_options(e)
    e.set_defaults(func=_cmd_explain)

    c = sub.add_parser(
        "catalogue", help="list the error catalogue or validate extra catalogue files",
        description="List catalogue entries, or validate extra catalogue TOML files.",
        epilog="Example: logparse catalogue list --kind cause", formatter_class=raw,
    )
    csub = c.add_subparsers(dest="catalogue_command", required=True, parser_class=_Parser)
    cl = csub.add_parser(
        "list", help="print id, kind, platform, severity and title of every entry (tab-separated)",
        description="Print every catalogue entry: id, kind, platform, severity, title (or full JSON).",
        epilog="Example: logparse catalogue list --kind error --json > catalogue.json", formatter_class=raw,
    )
    cl.add_argument("--kind", choices=("error", "cause"), help="only entries of this kind")
    cl.add_argument("--json", action="store_true", help="print every field as a JSON array")
    add_catalogue_options(cl)
    cl.set_defaults(func=_cmd_catalogue_list)
    cv = csub.add_parser(
        "validate", help="check extra catalogue files; one line per problem, exit 2 if any",
        description="Validate extra catalogue TOML files against the built-in catalogue.",
        epilog="Example: logparse catalogue validate my-errors.toml", formatter_class=raw,
    )
    cv.add_argument("files", nargs="+", metavar="FILE", help="catalogue TOML files")
    cv.set_defaults(func=_cmd_catalogue_validate)


def _cmd_batch(args: argparse.Namespace) -> int:
    from logparse.batch import BarProgress, run_batch

    _check_db_path(args.db)
    progress = None if args.quiet or not sys.stderr.isatty() else BarProgress()
    try:
        with _database_errors(args.db):
            report = run_batch(args.inputs, args.db, jobs=args.jobs, engine=args.engine, scheduler=args.scheduler,
                               lang=args.lang, catalogue=args.catalogue, retry_errors=args.retry_errors,
                               progress=progress, timeout=args.timeout)
    finally:
        if progress is not None:
            progress.stop()
    for warning in report.warnings:
        _say(f"logparse: warning: {warning}")
    print(f"{report.inputs} bundle(s): {report.triaged} triaged, {report.skipped} already done, "
          f"{report.failed} failed, in {report.seconds:.1f} s -> {report.db}")
    if report.failed:
        print(f"see the failures: logparse summary {report.db}", file=sys.stderr)
    if report.failed_before:
        # Already done is not all well: failures of earlier runs are not triaged again on their own.
        print(f"{report.failed_before} of the bundles already done failed in an earlier run: logparse summary "
              f"{report.db} lists them; --retry-errors triages them again", file=sys.stderr)
    return EXIT_OK


def _cmd_summary(args: argparse.Namespace) -> int:
    from logparse.summary import RENDERERS, summarize

    style = args.format or ("table" if sys.stdout.isatty() else "json")
    top = args.top if args.top is not None else (20 if style in ("table", "html") else 0)
    _check_db_path(args.db)
    with _database_errors(args.db):
        summary = summarize(args.db, threshold=args.min_confidence, top=top or None)
    RENDERERS[style](summary, sys.stdout)
    return EXIT_OK


def _check_db_path(db: str) -> None:
    # SQLite takes "" and ":memory:" as databases that vanish at exit: a batch would report
    # success and keep nothing.
    if db.strip() in ("", ":memory:") or db.startswith("file:"):
        raise LogparseError(f"--db {db!r}: give the path of a database file")


@contextlib.contextmanager
def _database_errors(db: str) -> Iterator[None]:
    """SQLite failing mid-run (locked past the busy timeout, disk full, a damaged file) as one line."""
    import sqlite3

    try:
        yield
    except sqlite3.Error as exc:
        raise LogparseError(f"{db}: database error: {exc}") from exc


def _add_batch_commands(sub: argparse._SubParsersAction[_Parser], cores: int) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    b = sub.add_parser(
        "batch", help="triage many bundles into a SQLite database, each once (by content hash); resumable",
        description="Triage every bundle the inputs name into a SQLite database. A bundle is known by the "
                    "hash of its content: a re-run skips what is done, so an interrupted batch resumes. A "
                    "bundle that fails is recorded with its error; the batch goes on. A directory is one "
                    "bundle when it looks like a collected tree (var/, etc/, WindowsAzure/, Packages/ ...), "
                    "else the archives and trees inside it are.",
        epilog="Example: logparse batch /cases/2024-05/ @more-bundles.txt 's3://logs/*.tar.gz' --db fleet.sqlite\n"
               "         logparse batch /cases/*.zip --engine dask --scheduler tcp://10.0.0.5:8786",
        formatter_class=raw,
    )
    b.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="bundle, directory of bundles, glob, fsspec URL, or @FILE listing one input per line "
                        "(relative lines are relative to the current directory, as in tar -T)")
    b.add_argument("--db", default="results.sqlite", help="SQLite database to create or resume "
                                                          "(default results.sqlite)")
    b.add_argument("--jobs", type=_jobs, default=cores,
                   help="worker processes of the local engine (default: the cores this process may use)")
    b.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local process pool, or a Dask cluster (pip install 'logparse[dask]')")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address (tcp://host:8786) or scheduler file (*.json)")
    b.add_argument("--retry-errors", action="store_true", help="triage again the bundles that failed before")
    b.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                   help="stop a bundle that takes longer and record it as failed (local engine; bundles then "
                        "always run in worker processes, even with --jobs 1)")
    b.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    add_catalogue_options(b)
    b.set_defaults(func=_cmd_batch)

    s = sub.add_parser(
        "summary", help="fleet view of a batch database: findings, causes, versions, templates, clean bundles",
        description="Summarise a database written by logparse batch: bundles per finding and cause, findings "
                    "seen together, agent and extension versions against findings, the most frequent "
                    "unrecognized templates, bundles with no finding and bundles that failed.",
        epilog="Example: logparse summary fleet.sqlite --format html > fleet.html",
        formatter_class=raw,
    )
    s.add_argument("db", metavar="DB", help="the SQLite database of logparse batch")
    s.add_argument("--format", choices=("table", "json", "csv", "html"),
                   help="output style (default: table on a terminal, json otherwise)")
    s.add_argument("--min-confidence", type=_share, default=0.5, help="findings counted (default 0.5)")
    s.add_argument("--top", type=_count, metavar="N",
                   help="rows per section, 0 for all (default 20 for table and html, all for json and csv)")
    s.set_defaults(func=_cmd_summary)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="logparse",
        description="Diagnose Azure VM backup failures from guest-agent and extension logs.",
    )
    parser.add_argument("--version", action="version", version="logparse 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser(
        "parse",
        help="stream the records of one log file",
        description="Stream typed records from one log file (plain, .gz, .zst, .bz2, .xz or - for stdin).",
        epilog="Example: logparse parse /var/log/waagent.log --format jsonl | head",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="a log file, or - for standard input")
    p.add_argument("--as", dest="as_format", choices=formats.names(), help="skip detection, use this format")
    p.add_argument("--format", choices=("jsonl", "csv", "table"),
                   help="output style (default: table on a terminal, jsonl otherwise)")
    _add_size_caps(p)
    p.set_defaults(func=_cmd_parse)

    d = sub.add_parser(
        "detect",
        help="print the format and detection score of files",
        description="Print path, format, score and how it was decided (path or content), tab-separated.",
        epilog="Example: logparse detect /var/log/waagent.log /var/log/azure/*/extension.log",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument("files", nargs="+", help="files to detect")
    d.set_defaults(func=_cmd_detect)
    cores = usable_cpus()  # the --jobs default of triage and batch
    _add_triage_command(sub, cores)
    _add_catalogue_commands(sub)
    _add_match_command(sub)
    _add_batch_commands(sub, cores)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (as the program itself, exits with it)."""
    if argv is None:
        if sys.stdout is None:  # started with stdout closed (>&-): what would be printed is dropped
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
        _tolerant_output()
    code = _main(argv)
    if argv is None:
        # The program itself, not a caller in this process: nothing is left to clean up
        # (spool files, worker processes and outputs are closed by now), and tearing down
        # the interpreter frees every object one by one: ~50 ms after triaging 1 GB.
        _flush_quietly()
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os._exit(code)
    return code


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        if getattr(args, "since", None) and getattr(args, "until", None) and args.since > args.until:
            raise LogparseError(f"--since {args.since.isoformat()} is after --until {args.until.isoformat()}")
        return func(args)
    except LogparseError as exc:
        _flush_quietly()
        _say(f"logparse: error: {exc}")
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, and keep Python from complaining
        # about the closed stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        outcome: int = getattr(args, "outcome", EXIT_OK)  # what the command had decided, if it had
        return outcome
    except OSError as exc:
        if exc.filename is not None or exc.errno not in _OUTPUT_ERRNOS:
            raise
        # Writing the output failed (> /dev/full: no space left): one line, not a traceback.
        _say(f"logparse: error: cannot write the output ({exc.strerror or exc})")
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_USAGE
    except KeyboardInterrupt:
        if func is _cmd_batch:
            _say("logparse: interrupted: the bundles stored so far are kept; run the same command again to resume")
        return 130


def _tolerant_output() -> None:
    """Escape what the output encoding cannot hold (``\\u65e5``) instead of raising."""
    # An ASCII or Latin-1 console (PYTHONIOENCODING, LANG=C on old systems) meets file names,
    # zh-CN catalogue text and table borders; and a file name that is not UTF-8 reaches us as
    # lone surrogates that even UTF-8 rejects. The crash would exit 1, which reads as --fail-on.
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _say(message: str) -> None:
    """One line on stderr, whatever a file name or member in it holds (a newline, an ESC sequence)."""
    print(_visible(message), file=sys.stderr)


def _visible(text: str) -> str:
    from logparse.render._common import visible

    return visible(text)


def _flush_quietly() -> None:
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass
