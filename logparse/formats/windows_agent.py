"""Windows guest agent logs: WaAppAgent.log, TransparentInstaller.log and the agent-written plugin logs.

Sample::

    [00000006] [03/02/2019 08:11:09.41] [INFO]  WindowsAzureGuestAgent starting. Version 2.7.41491.911
    [00000011] [03/02/2019 08:12:55.66] [WARN]  GetVersions failed: System.Net.WebException: No connection
    ---> System.Net.Sockets.SocketException: A connection attempt failed 168.63.129.16:32526
       at System.Net.Sockets.Socket.DoConnect(EndPoint endPointSnapshot)
       --- End of inner exception stack trace ---
    [00000004] 2024-04-17T07:19:26.812Z [ERROR] Microsoft.CPlat.Core.RunCommandWindows: Error 87
    [00000018] 2021-01-12T16:35:45Z [TRACE] Test extract the plugin zip file
    [00000021] [10/03/2022 14:07:55.31] [WARN]  VM health changed
    === Microsoft Azure VM Health Report - Start 2022-10-03T14:07:55.3100000Z ===
    {"isCurrentlyHealthy": false,
     "caller": "GAPluginPinger"}
    === Microsoft Azure VM Health Report - End 2022-10-03T14:07:55.3100000Z ===

The agent is closed source, so every layout here is observed, not read from code
(formats.md §1.3). The old header does not state its zone; it is taken as UTC (one public
paste shows it next to a ``Z`` value with the same clock time) and such records carry
``fields["zone_assumed"] = True``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from logparse.formats._lines import LineFormat
from logparse.formats._time import iso_utc, mdy_utc
from logparse.grammar import Fields

GENERATION_LABELS = {
    "iso": "[thread] ISO 8601 UTC [LEVEL] (newer builds)",
    "mdy": "[thread] [MM/DD/YYYY HH:MM:SS.cc] [LEVEL] (older builds, UTC assumed)",
}

# "=== Microsoft Azure VM Health Report - Start 2022-10-03T14:07:55.3100000Z ===", also with
# the doubled space some builds write after "VM"; searched anywhere in a line, because the
# marker may stand behind a log header or on a line of its own.
_REPORT_MARKER = re.compile(r"=+ Microsoft Azure VM[ \t]+Health Report - (Start|End)\b")


def build(generation: str, f: Fields) -> dict[str, Any]:
    """Record fields from the header terminals of one Windows agent line."""
    plugin = f.get("PLUGIN")
    values: dict[str, Any] = {
        "message": f.get("MSG") or "",
        "level": f.get("WIN_LEVEL"),
        "thread": f.get("TID"),
        "component": plugin,
        "extension": plugin,
    }
    if generation == "iso":
        values["timestamp"] = iso_utc(f.get("TS_ISO_Z") or "")
    else:
        values["timestamp"] = timestamp = mdy_utc(f.get("TS_MDY") or "")
        if timestamp is not None:
            values["fields"] = {"zone_assumed": True}
    return values


def finalize(values: dict[str, Any], continuation: list[str]) -> None:
    """Parse an embedded VM health report into ``fields["health_report"]``, never raising."""
    lines = [values["message"], *continuation]
    start = next((i for i, line in enumerate(lines) if _marker(line) == "Start"), None)
    if start is None:
        return
    end = next((i for i in range(start + 1, len(lines)) if _marker(lines[i]) == "End"), None)
    fields = dict(values.get("fields") or {})
    body = "\n".join(lines[start + 1 : end])
    try:
        fields["health_report"] = json.loads(body)
    # Deeply nested input exhausts the decoder's recursion; huge ints raise ValueError.
    except (ValueError, RecursionError) as exc:
        fields["health_report_error"] = f"not valid JSON: {str(exc)[:200]}"
    if end is None:
        fields["health_report_error"] = fields.get("health_report_error", "no end marker")
    values["fields"] = fields


def _marker(line: str) -> str | None:
    m = _REPORT_MARKER.search(line)
    return m.group(1) if m else None


class WindowsFormat(LineFormat):
    """LineFormat whose content score also counts the continuation lines it knows."""

    def score(self, head: Sequence[str]) -> float:
        """Share of non-blank lines that are headers, stack frames or health-report lines.

        A report's JSON or a long stack trace can fill the head of a file; without
        counting them a genuine agent log would look like a guess.
        """
        lines = [line for line in head if line.strip()]
        match = self.grammar.match
        headers = known = 0
        in_report = False
        for line in lines:
            marker = _marker(line)
            if match(line) is not None:
                headers += 1
            elif marker is not None or in_report or line.startswith(("   at ", "---> ", "   --- End of ")):
                known += 1
            in_report = marker == "Start" or (in_report and marker != "End")
        return (headers + known) / len(lines) if headers else 0.0


FORMAT = WindowsFormat(
    "windows_agent",
    paths=(
        "*windowsazure/logs/waappagent*.log*",
        "*windowsazure/logs/transparentinstaller*.log*",
        "*windowsazure/logs/plugins/*/*/*.log*",
        "*windowsazure/logs/appagentruntime*.log*",
        "*windowsazure/logs/telemetry*.log*",
    ),
    build=build,
    finalize=finalize,
    description="Windows guest agent WaAppAgent.log, TransparentInstaller.log and plugin logs",
)
