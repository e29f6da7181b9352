"""Command line: each command parses options, calls one library function and prints the result."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from logparse import formats
from logparse.errors import LogparseError

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
