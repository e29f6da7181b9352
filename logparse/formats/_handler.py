"""Pieces shared by the extension-handler formats: status-report echo lines and 2.0 logger tags."""

from __future__ import annotations

import re
from typing import Any

# do_status_report logs "{operation},{status},{code},{message}" (Utils/HandlerUtil.py) or
# "...,{message},{failure_flag}" (VMSnapshotLinux). Operations are capitalised words and the
# status is one of the four status-file values, which keeps ordinary prose with commas out.
_STATUS_ECHO = re.compile(
    r"(?P<operation>[A-Z][A-Za-z]{1,30}),(?P<status>transitioning|warning|error|success),"
    r"(?P<code>-?\d{1,10}),(?P<message>.*)",
    re.DOTALL,
)
_FAILURE_FLAG = re.compile(r",(True|False)[ \t]*\Z")
# The 2.0 logger repeats its stamp and tag on every line of a multi-line message.
_G0_REPEAT = re.compile(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} (?:(?:WARNING|ERROR):)?")


def status_echo(message: str) -> dict[str, Any] | None:
    """Fields of a status-report echo (``Enable,error,122,<text>[,True]``), else None."""
    m = _STATUS_ECHO.match(message)
    if m is None:
        return None
    out: dict[str, Any] = {
        "operation": m["operation"],
        "status": m["status"],
        "status_code": int(m["code"]),
    }
    _split_flag(out, m["message"])
    return out


def status_echo_continued(
    fields: dict[str, Any], continuation: list[str], logger_stamp: str | None = None
) -> None:
    """Extend a status echo whose message went on over continuation lines.

    With the 2.0 logger (``logger_stamp`` = the header's ``YYYY/MM/DD HH:MM:SS `` plus its
    tag) the lines of one message repeat that stamp, so exactly those lines belong to it.
    Without stamps, the lines up to a closing failure flag do (the VMSnapshot message often
    ends in ``\\n StatusCode.<Name>,`` and the flag follows on the next line).
    """
    if "failure_flag" in fields or not continuation:
        return
    first = fields["status_message"]
    if logger_stamp is not None:
        same: list[str] = []
        for line in continuation:
            rest = line[len(logger_stamp) :]
            # An untagged header's stamp is also the start of a tagged line of another call.
            if not line.startswith(logger_stamp) or (
                logger_stamp.endswith(" ") and rest.startswith(("WARNING:", "ERROR:"))
            ):
                break
            same.append(rest)
        _split_flag(fields, "\n".join([first, *same]))
        return
    _split_flag(fields, "\n".join([first, *continuation]))
    if "failure_flag" not in fields:
        # No flag: the continuation is something else (a traceback, command output).
        fields["status_message"] = first


def logger_stamp(values: dict[str, Any]) -> str | None:
    """The stamp and tag the 2.0 logger repeats on each line of the record's message."""
    timestamp = values.get("timestamp")
    if timestamp is None:
        return None
    level = values.get("level")
    return f"{timestamp:%Y/%m/%d %H:%M:%S} " + (f"{level}:" if level else "")


def _split_flag(out: dict[str, Any], text: str) -> None:
    flag = _FAILURE_FLAG.search(text)
    if flag is None:
        out["status_message"] = text
        return
    # VMSnapshot ends the message in ", " before the flag ("StatusCode.<Name>, ,True").
    out["status_message"] = text[: flag.start()].rstrip(", ")
    out["failure_flag"] = flag.group(1) == "True"


def tag_level(tag: str | None) -> str | None:
    """``ERROR:`` / ``WARNING: `` (2.0 logger, Utils/logger.py) -> ``ERROR`` / ``WARNING``."""
    return tag.strip().rstrip(":") if tag else None


def without_g0_stamp(line: str) -> str:
    """A continuation line of the 2.0 logger as the extension wrote it (stamp and tag removed)."""
    m = _G0_REPEAT.match(line)
    return line[m.end() :] if m else line
