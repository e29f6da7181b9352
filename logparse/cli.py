"""Command line: each command parses options, calls one library function and prints the result."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from logparse import formats
from logparse.errors import LogparseError

if TYPE_CHECKING:
    from logparse.catalogue import Catalogue

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line and exit code 2, like every other usage error.
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _cmd_parse(args: argparse.Namespace) -> int:
    from logparse import report
    from logparse.parsing import open_records

    out = sys.stdout
    style = args.format or ("table" if out.isatty() else "jsonl")
    with open_records(args.file, args.as_format) as (_, records):
        if style == "jsonl":
            report.write_jsonl(records, out)
        elif style == "csv":
            report.write_csv(records, out)
        else:
            report.write_table(records, out)
    return EXIT_OK


def _cmd_detect(args: argparse.Namespace) -> int:
    from logparse.parsing import detect_file

    status = EXIT_OK
    for path in args.files:
        try:
            d = detect_file(path)
        except LogparseError as exc:
            print(f"logparse: error: {exc}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        print(f"{path}\t{d.format or 'unknown'}\t{d.score:.2f}\t{d.by}")
    return status


def default_lang(environ: dict[str, str] | None = None) -> str:
    """``zh-CN`` when the locale (LC_ALL, LC_MESSAGES, then LANG) is Chinese, else ``en``."""
    env = os.environ if environ is None else environ
    locale = env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or ""
    return "zh-CN" if locale.lower().startswith("zh") else "en"


def add_catalogue_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--lang`` and the repeatable ``--catalogue EXTRA.toml`` to a command printing catalogue text."""
    parser.add_argument("--lang", choices=("en", "zh-CN"), default=default_lang(),
                        help="language of catalogue text (default from LC_ALL/LANG: zh* -> zh-CN, else en)")
    parser.add_argument("--catalogue", action="append", default=[], metavar="EXTRA.toml",
                        help="extra catalogue file that adds or overrides entries (repeatable)")


def catalogue_from_args(args: argparse.Namespace) -> Catalogue:
    """The catalogue with the ``--catalogue`` extras; CatalogueError (exit 2) when one is invalid."""
    from logparse.catalogue import load_catalogue

    return load_catalogue(getattr(args, "catalogue", None) or ())


def _cmd_explain(args: argparse.Namespace) -> int:
    from logparse.catalogue.explain import explain_rich, explain_text

    catalogue = catalogue_from_args(args)
    entry = catalogue.get(args.id)
    if sys.stdout.isatty():
        from rich.console import Console

        Console().print(explain_rich(catalogue, entry, args.lang))
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
        from rich.console import Console
        from rich.table import Table

        table = Table("confidence", "id", "kind", "matched", "title", "evidence", title="logparse match")
        for r in results:
            style = None if r.confidence >= 0.5 else "dim"
            table.add_row(f"{r.confidence:.2f}", r.id, r.kind, r.matched, r.title, r.evidence[:60],
                          style=style)
        Console().print(table if results else "No catalogue entry matches this text.")
    else:
        for r in results:
            print(f"{r.confidence:.2f}\t{r.id}\t{r.kind}\t{r.matched}\t{r.title}")
    return EXIT_OK


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {value!r}")
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
        description="Stream typed records from one log file (plain, .gz, .zst or - for stdin).",
        epilog="Example: logparse parse /var/log/waagent.log --format jsonl | head",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="a log file, or - for standard input")
    p.add_argument("--as", dest="as_format", choices=formats.names(), help="skip detection, use this format")
    p.add_argument("--format", choices=("jsonl", "csv", "table"),
                   help="output style (default: table on a terminal, jsonl otherwise)")
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
    _add_catalogue_commands(sub)
    _add_match_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except LogparseError as exc:
        _flush_quietly()
        print(f"logparse: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, and keep Python from complaining
        # about the closed stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def _flush_quietly() -> None:
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass
