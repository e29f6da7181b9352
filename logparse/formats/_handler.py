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


def status_echo_continued(fields: dict[str, Any], continuation: list[str]) -> None:
    """Extend a status echo whose message went on over continuation lines (the VMSnapshot
    message often ends in ``\\n StatusCode.<Name>,`` so the failure flag is on a later line)."""
    if "failure_flag" in fields or not continuation:
        return
    _split_flag(fields, "\n".join([fields["status_message"], *continuation]))
    if "failure_flag" not in fields:
        # No flag found: the continuation is something else (a traceback, output); keep
        # the one-line message.
        fields["status_message"] = fields["status_message"].split("\n", 1)[0]


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
