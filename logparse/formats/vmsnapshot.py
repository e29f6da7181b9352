"""VMSnapshotLinux (Azure VM backup extension) logs: extension.log, shell.log, CommandExecution.log.

Files under ``/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/`` (and its
per-version subfolders left by 2.0 agents), plus the agent-written ``CommandExecution*.log``
of *any* extension under ``/var/log/azure/``: the agent writes that file in the same layout
for every extension, so this format reads them all.

Generations (the file dialect that matched):

* ``ext_py3`` - extension.log from Python 3: ``str(datetime)`` stamp, no level, the prefix
  glued to the text. The layout does not say its zone: the extension logged local time
  until PR #1409 (2021-09-02) and UTC since, so a stamp dated on or after 2021-09-02 is
  read as UTC, an older one as local, and ``fields["zone_inferred_from_date"]`` says which.
* ``ext_py2`` - extension.log from Python 2 (the bundled 2.0 logger): local time, whole
  seconds, ``ERROR:`` glued to the prefix.
* ``shell`` / ``shell_12h`` - shell.log: ``date -u`` in the C locale / in en_US (UTC).
* ``cmdexec_g3`` / ``cmdexec_g2`` / ``cmdexec_g1`` - CommandExecution.log, waagent layouts.

The extension.log prefix is ``[<Name>-<HandlerEnvironment version>]``: its ``-1.0`` is the
schema version of HandlerEnvironment.json, not the extension version; component and
extension are kept as written and ``fields["prefix_version_is_schema"]`` marks it.

Sub-records carried inside one record go to ``fields["nested"]`` as
``{"source", "timestamp", "level", "message"}``: freeze-window lines buffered while file
systems were frozen and flushed later as one block (``source="freeze"``, two-space level
column, zone inferred from the date as above) and safefreeze binary output stamped in
local time (``source="safefreeze"``, no level). Status-report echoes
(``Enable,error,122,<text>,True``) give operation, status, status_code, status_message
and failure_flag.

Sample::

    2024-05-01 10:31:31.020202 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]================== Logs during Freeze Start ==============
    2024/05/01 10:31:20.600000  Info  ****** 1. Starting Freeze Binary
    2024/05/01 10:31:30.990000  Error  freeze timed-out
    ================== Logs during Freeze End ==============
    2024-05-01 10:31:32.007000 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]Enable,error,122,T:S freeze took longer than timeout, ,True
    2020/03/09 04:12:00 ERROR:[Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]Unable to locate a .settings file!
    Wed May  1 10:31:17 UTC 2024- python3.8 path exists
    2024-05-01T10:31:17.284761Z INFO ExtHandler [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9241.0] Target handler state: enabled
"""  # noqa: E501 - sample lines keep their real length

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from logparse.formats._handler import (
    logger_stamp,
    status_echo,
    status_echo_continued,
    tag_level,
    without_g0_stamp,
)
from logparse.formats._lines import LineFormat, split_extension
from logparse.formats._time import date_u, date_u_12h, iso_naive, iso_utc, slash_local
from logparse.grammar import Fields

# Commit 38faf63e (PR #1409) switched log_py3 and the freeze buffer from now() to utcnow().
UTC_SINCE = datetime(2021, 9, 2)
SCHEMA_VERSION = "1.0"

# Backuplogger's buffer line "{time}  {level}  {msg} " (py3: %Y/%m/%d ..%f, py2: str(datetime)).
_FREEZE_LINE = re.compile(
    r"(\d{4}[/-]\d{2}[/-]\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{6})?)  (Info|Warning|Error)  (.*?) ?"
)
# safefreeze's own stamp, strftime("%F %X") in local time.
_SAFEFREEZE_LINE = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (.*)")
# The heads of the two: enough to date a line, and no scan of the rest of it.
_FREEZE_HEAD = re.compile(r"(\d{4}[/-]\d{2}[/-]\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{6})?)  (?:Info|Warning|Error)  ")
_SAFEFREEZE_HEAD = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) ")


def _inferred_zone(text: str) -> tuple[datetime | None, bool]:
    """A zone-less extension stamp: UTC from 2021-09-02 on, local before (see module doc)."""
    value = iso_naive(text.replace("/", "-"))
    if value is None or value < UTC_SINCE:
        return value, True
    return value.replace(tzinfo=UTC), False


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def _nested(line: str) -> dict[str, Any] | None:
    if m := _FREEZE_LINE.fullmatch(line):
        return {"source": "freeze", "timestamp": _iso(_inferred_zone(m[1])[0]),
                "level": m[2].upper(), "message": m[3]}
    if m := _SAFEFREEZE_LINE.fullmatch(line):
        return {"source": "safefreeze", "timestamp": _iso(iso_naive(m[1])), "level": None, "message": m[2]}
    return None


def nested_time(line: str) -> datetime | None:
    """The own time of a line that is not a header: a buffered freeze-window line (its zone
    inferred from the date) or a safefreeze line (local), read as ``finalize`` reads it, the 2.0
    logger's repeated stamp left out; None for any other line."""
    stamp = _own_time(line)
    if stamp is None:
        bare = without_g0_stamp(line)
        if bare is not line:
            stamp = _own_time(bare)
    return stamp


def _own_time(text: str) -> datetime | None:
    if m := _FREEZE_HEAD.match(text):
        return _inferred_zone(m[1])[0]
    if m := _SAFEFREEZE_HEAD.match(text):
        return iso_naive(m[1])
    return None


def _extension_fields(generation: str, f: Fields) -> dict[str, Any]:
    prefix = f.get("EXT_PREFIX") or ""
    extension, version = split_extension(prefix)
    message = f.get("MSG") or ""
    fields: dict[str, Any] = {}
    if generation == "ext_py3":
        timestamp, local = _inferred_zone(f.get("TS_PY3") or "")
        fields["zone_inferred_from_date"] = "local" if local else "utc"
    else:
        timestamp, local = slash_local(f.get("TS_SLASH") or ""), True
    if version == SCHEMA_VERSION:
        fields["prefix_version_is_schema"] = True
    if echo := status_echo(message):
        fields.update(echo)
    elif sub := _nested(message):
        # A binary output trace logged line by line: the record's text is one safefreeze line.
        fields["nested"] = [sub]
    return {
        "message": message, "timestamp": timestamp, "local_time": local,
        "level": tag_level(f.get("LOG20_TAG")), "component": prefix.strip("[]") or None,
        "extension": extension, "extension_version": version, "fields": fields or None,
    }


def build(generation: str, f: Fields) -> dict[str, Any]:
    """Record fields from the header terminals of one line."""
    if generation.startswith("ext_"):
        return _extension_fields(generation, f)
    if generation.startswith("shell"):
        ts = f.get("TS_DATE_U")
        timestamp = date_u(ts) if ts else date_u_12h(f.get("TS_DATE_U_12H") or "")
        return {"message": f.get("MSG") or "", "timestamp": timestamp}
    prefix = f.get("EXT_PREFIX") or ""
    extension, version = split_extension(prefix)
    if ts := f.get("TS_ISO_Z"):
        timestamp, local = iso_utc(ts), False
    else:
        timestamp, local = slash_local(f.get("TS_SLASH_US") or ""), True
    return {
        "message": f.get("MSG") or "", "timestamp": timestamp, "local_time": local,
        "level": f.get("AGENT_LEVEL"), "thread": f.get("CMD_THREAD"),
        "component": prefix.strip("[]") or None, "extension": extension, "extension_version": version,
    }


def finalize(values: dict[str, Any], continuation: list[str]) -> None:
    """Nested freeze-window / safefreeze lines and a status echo spread over several lines."""
    if not values["generation"].startswith("ext_"):
        return
    py2 = values["generation"] == "ext_py2"
    # Read py2 lines as the extension wrote them, without the logger's per-line stamp.
    lines = [without_g0_stamp(line) for line in continuation] if py2 else continuation
    fields: dict[str, Any] = values.get("fields") or {}
    nested: list[dict[str, Any]] = list(fields.get("nested", ()))
    last: dict[str, Any] | None = None
    for line in lines:
        sub = _nested(line)
        if sub is not None:
            nested.append(sub)
            last = sub
        elif line.startswith("=") or not line.strip():
            last = None  # a block marker or the blank line a flushed block leaves
        elif last is not None:
            last["message"] += "\n" + line  # a buffered message that spanned lines
    if nested:
        fields["nested"] = nested
    if "status_message" in fields:
        status_echo_continued(fields, continuation, logger_stamp(values) if py2 else None)
    values["fields"] = fields or None


class SnapshotFormat(LineFormat):
    """The line format, plus the time of a line nested in a record, for a triage's chunk scan."""

    def nested_time(self, line: str) -> datetime | None:
        return nested_time(line)


FORMAT = SnapshotFormat(
    "vmsnapshot",
    paths=(
        "*/microsoft.azure.recoveryservices.vmsnapshotlinux/extension.log*",
        "*/microsoft.azure.recoveryservices.vmsnapshotlinux/shell.log*",
        "*/microsoft.azure.recoveryservices.vmsnapshotlinux/commandexecution*.log*",
        # 2.0 agents kept one folder per extension version.
        "*/microsoft.azure.recoveryservices.vmsnapshotlinux/*/extension.log*",
        "*/microsoft.azure.recoveryservices.vmsnapshotlinux/*/shell.log*",
        "*/microsoft.azure.recoveryservices.vmsnapshotlinux/*/commandexecution*.log*",
        # Every extension's agent-written log has the same layout.
        "*/var/log/azure/*/commandexecution*.log*",
        "var/log/azure/*/commandexecution*.log*",
        # The agent's log collector stores oversized files flattened under truncated/.
        "*truncated_var_log_azure_microsoft.azure.recoveryservices.vmsnapshotlinux_extension.log*",
        "*truncated_var_log_azure_microsoft.azure.recoveryservices.vmsnapshotlinux_shell.log*",
        "*truncated_var_log_azure_*_commandexecution*.log*",
    ),
    build=build,
    finalize=finalize,
    description="VMSnapshotLinux extension.log / shell.log and any extension's CommandExecution.log",
)
