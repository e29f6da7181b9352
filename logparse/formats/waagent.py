"""Linux guest agent ``waagent.log``: all four layout generations, mixed, plus syslog-wrapped lines.

Sample::

    2016/03/14 09:05:10 WARNING:Failed to mount resource disk. Retry mounting.
    2017/08/09 16:40:02.118342 INFO Azure Linux Agent Version:2.2.14
    2020-01-20T10:00:03.771210Z INFO ExtHandler Agent WALinuxAgent-2.2.46 is running as the goal state agent
    2024-05-01T10:05:31.004456Z ERROR ExtHandler ExtHandler Error fetching the goal state: [ProtocolError] x
    Traceback (most recent call last):
    Jul 16 18:43:34 vm01 python3[1234]: 2024-05-01T10:00:03.412907Z INFO Daemon Daemon Agent Version: 2.9.1.1
"""

from __future__ import annotations

import re
from typing import Any

from logparse.formats._lines import LineFormat, split_extension
from logparse.formats._time import iso_utc, slash_local
from logparse.grammar import Fields
from logparse.model import LAZY_TIME

GENERATION_LABELS = {
    "g0": "2.0 logger (local time, whole seconds)",
    "g1": "2.1-2.2.45 (local time)",
    "g2": "2.2.46 (UTC, no thread)",
    "g3": "2.2.47+ (UTC, thread)",
    "g3_bare": "2.2.47+ (UTC, thread, no prefix)",
}


_SYSLOG_PROGRAM = re.compile(r"(?P<host>\S+) (?P<program>[\w.\/-]+)(?:\[(?P<pid>\d+)\])?: $")


def build(generation: str, f: Fields) -> dict[str, Any]:
    """Record fields from the header terminals of one waagent.log line."""
    if generation == "syslog_other":
        return _build_syslog_other(f)
    prefix = f.get("PREFIX") or f.get("EXT_PREFIX")
    extension, version = split_extension(prefix) if prefix and prefix[0] == "[" else (None, None)
    if ts := f.get("TS_ISO_Z"):
        lazy, local = (iso_utc, ts), False
    else:
        lazy, local = (slash_local, f.get("TS_SLASH_US") or f.get("TS_SLASH") or ""), True
    level = f.get("AGENT_LEVEL")
    if level is None and (tag := f.get("G0_TAG")):
        level = tag.rstrip(":")
    return {
        "message": f.get("MSG") or "",
        LAZY_TIME: lazy,
        "local_time": local,
        "level": level,
        "thread": f.get("THREAD") or f.get("BARE_THREAD"),
        "component": prefix.strip("[]") if prefix else None,
        "extension": extension,
        "extension_version": version,
    }


def _build_syslog_other(f: Fields) -> dict[str, Any]:
    # A syslog line that is not an agent record: keep who wrote it, and its time when the
    # header carries a zone (journal short-iso); classic syslog has no year.
    header = f.get("SYSLOG_HDR") or ""
    m = _SYSLOG_PROGRAM.search(header)
    stamp = header.split(" ", 1)[0]
    return {
        "message": f.get("SYSLOG_MSG") or "",
        "timestamp": iso_utc(stamp) if stamp[:1].isdigit() else None,
        "component": m.group("program") if m else None,
        "fields": {"syslog_header": header.rstrip()},
    }


FORMAT = LineFormat(
    "waagent",
    paths=("*waagent.log", "*waagent.log.*", "*waagent.log-*", "*truncated_var_log_waagent.log*"),
    build=build,
    description="Linux guest agent waagent.log (2.0 to 2.15, syslog-wrapped lines too)",
)
