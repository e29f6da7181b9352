"""Generic extension handler logs under /var/log/azure: Python handler utilities, Go logfmt, results.txt.

Any ``*.log`` under ``/var/log/azure/<Publisher.Type>/`` (and ``<Publisher.Type>/<version>/``
from 2.0 agents) that a more specific format does not claim first (the registry puts
``vmsnapshot`` before this one), ``custom-script/handler.log``, ``run-command/handler.log``
and the agent log collector's ``results.txt``.

Generations:

* ``handlerutil`` - ``Utils/HandlerUtil.py`` through the bundled 2.0 logger: local time,
  whole seconds, ``ERROR:`` / ``WARNING:`` glued to ``[Publisher.Type-Version] ``, which
  carries the real extension version (from manifest.xml). Untagged lines of
  ``Utils/logger.py`` look the same and land here too.
* ``utils_logger`` - ``Utils/logger.py``: the same with ``ERROR: `` / ``WARNING: `` spaced.
* ``logfmt`` - Go handlers: ``time=<RFC 3339> key=value ...``; every key but ``time`` goes to
  ``fields`` with quoted values unquoted, the message is the text after the time, and the
  ``version`` key gives extension_version (``v2.1.10/git@abcdef0-clean`` -> ``2.1.10``).
* ``collector`` - ``waagent -collect-logs`` results.txt: UTC, Python logging levels, the
  ``ls -alF`` listings as continuation lines.

Status-report echoes (``Enable,success,0,Enable succeeded``) give operation, status,
status_code and status_message in ``fields``.

Sample::

    2023/09/26 04:07:33 [Microsoft.Azure.Monitor.AzureMonitorLinuxAgent-1.28.5] Enable,success,0,Enable succeeded
    2023/09/26 04:08:12 ERROR:[Microsoft.Azure.Monitor.AzureMonitorLinuxAgent-1.28.5] Enable,error,52,Install failed
    2023/09/26 04:09:00 ERROR: [Microsoft.Compute.VMAccessForLinux-1.5.18] Failed to reset ssh key
    time=2024-01-02T11:11:14Z version=v2.1.10/git@abcdef0-clean operation=enable seq=4 event=failed error="failed to download file"
    2024-05-01T10:20:00Z INFO Using log collection mode normal
"""  # noqa: E501 - sample lines keep their real length

from __future__ import annotations

import json
import re
from typing import Any

from logparse.formats._handler import logger_stamp, status_echo, status_echo_continued, tag_level
from logparse.formats._lines import LineFormat, split_extension
from logparse.formats._time import iso_utc, slash_local
from logparse.grammar import Fields

# key=value or key="quoted \"value\""; a quote that never closes (a cut line) runs to the end.
_PAIR = re.compile(r'([^\s="]+)=(?:"((?:[^"\\]|\\.)*)"?|(\S*))')
_SEMVER = re.compile(r"v?(\d+(?:\.\d+)*)")


def _unquote(body: str) -> str:
    try:
        text = json.loads(f'"{body}"', strict=False)  # strict=False: raw tabs are fine
    except ValueError:
        # Go's strconv.Quote also writes \x.., \a and \v, which JSON does not know.
        return body.replace('\\"', '"').replace("\\\\", "\\")
    return text if isinstance(text, str) else body


def logfmt_pairs(text: str) -> dict[str, str]:
    """The key/value pairs of a logfmt line (later duplicates win, as in most readers)."""
    return {m[1]: m[3] if m[3] is not None else _unquote(m[2]) for m in _PAIR.finditer(text)}


def _logfmt(f: Fields) -> dict[str, Any]:
    message = f.get("MSG") or ""
    pairs = logfmt_pairs(message)
    pairs.pop("time", None)
    version = _SEMVER.match(pairs.get("version", ""))
    level = pairs.get("level") or pairs.get("lvl")
    return {
        "message": message, "timestamp": iso_utc(f.get("TS_RFC3339") or ""),
        "level": level.upper() if level else None,
        "extension_version": version[1] if version else None, "fields": pairs or None,
    }


def build(generation: str, f: Fields) -> dict[str, Any]:
    """Record fields from the header terminals of one line."""
    if generation == "logfmt":
        return _logfmt(f)
    message = f.get("MSG") or ""
    if generation == "collector":
        return {"message": message, "timestamp": iso_utc(f.get("TS_ISO_Z") or ""), "level": f.get("PY_LEVEL")}
    prefix = f.get("EXT_PREFIX") or ""
    extension, version = split_extension(prefix)
    return {
        "message": message, "timestamp": slash_local(f.get("TS_SLASH") or ""), "local_time": True,
        "level": tag_level(f.get("TAG_SPACED") or f.get("LOG20_TAG")),
        "component": prefix.strip("[]") or None, "extension": extension, "extension_version": version,
        "fields": status_echo(message),
    }


def finalize(values: dict[str, Any], continuation: list[str]) -> None:
    """A status echo whose message went on over continuation lines."""
    fields = values.get("fields")
    if fields and "status_message" in fields and values["generation"] != "logfmt":
        status_echo_continued(fields, continuation, logger_stamp(values))


FORMAT = LineFormat(
    "ext_handler",
    paths=(
        "*/var/log/azure/*/*.log*",
        "*/var/log/azure/*/*/*.log*",
        "var/log/azure/*/*.log*",
        "*/custom-script/handler.log*",
        "*/run-command/handler.log*",
        "*truncated_var_log_azure_*.log*",
        "*/logcollector/results.txt*",
        "results.txt",
    ),
    build=build,
    finalize=finalize,
    description="Extension handler logs in /var/log/azure (HandlerUtil, logger.py, Go logfmt), results.txt",
)
