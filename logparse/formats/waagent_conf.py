"""``/etc/waagent.conf`` read exactly the way the Linux agent reads it: one record per physical line.

Sample::

    # Microsoft Azure Linux Agent Configuration
    Extensions.Enabled=n
    Extensions.Enable=y
       # Provisioning.Agent=auto
    HttpProxy.Host="proxy.contoso.test#8080"
    Logs.Verbose=None

    Provisioning.Agent=auto
    Extensions.Enabled=y

The agent's loader (``ConfigurationProvider.load``, WALinuxAgent 2.2 to 2.15, formats.md
§4.1) splits the text on ``\\n``; a line is a comment only when ``#`` is its first
character; any other line holding ``=`` is a setting whose key is the text before the
first ``=``, stripped, and whose value is the rest cut at the first ``#``, stripped of
double quotes and spaces, ``None`` meaning null; the last duplicate wins. Settings carry
``key``, ``value`` (what the agent sees), ``raw_value`` and ``known``; ``note`` says where
the agent reads something other than what the file seems to mean.

Limitation: ``logparse.textio`` drops a UTF-8 BOM and turns CRLF into LF before a format
sees the text, while the agent keeps both (the BOM glued to the first key, ``"y"\\r``
read as ``y"``). Only text that reaches this parser with them intact (a second BOM, a
stray CR, direct calls) is flagged (``bom``, ``note``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from logparse.formats._lines import LineFormat
from logparse.grammar import Fields
from logparse.model import Record

# Keys the agent reads: WALinuxAgent 2.7.3.0 conf.py, plus keys of older and newer agents
# named in formats.md (Provisioning.Enabled/UseCloudInit <= 2.2.44, AutoUpdate.UpdateToLatestVersion
# 2.11+, Protocol.EndpointDiscovery) and the 2.0 agent's Role.* / LBProbeResponder.
KNOWN_KEYS = frozenset("""
AutoUpdate.Enabled AutoUpdate.GAFamily AutoUpdate.UpdateToLatestVersion Autoupdate.Frequency
CGroups.Enabled CGroups.EnforceLimits CGroups.Excluded DVD.MountPoint Debug.AgentCpuQuota
Debug.AutoUpdateHotfixFrequency Debug.AutoUpdateNormalFrequency Debug.CgroupCheckPeriod
Debug.CgroupDisableOnProcessCheckFailure Debug.CgroupDisableOnQuotaCheckFailure Debug.CgroupLogMetrics
Debug.CgroupMonitorExpiryTime Debug.CgroupMonitorExtensionName Debug.EnableFastTrack
Debug.EnableGAVersioning Debug.EtpCollectionPeriod DetectScvmmEnv EnableOverProvisioning
Extension.LogDir Extensions.Enabled Extensions.GoalStateHistoryCleanupPeriod Extensions.GoalStatePeriod
Extensions.InitialGoalStatePeriod HttpProxy.Host HttpProxy.Port LBProbeResponder Lib.Dir Logs.Collect
Logs.CollectPeriod Logs.Console Logs.Verbose Monitor.NetworkConfigurationChanges OS.AllowHTTP
OS.CheckRdmaDriver OS.EnableFIPS OS.EnableFirewall OS.EnableFirewallPeriod OS.EnableRDMA OS.HomeDir
OS.MonitorDhcpClientRestartPeriod OS.OpensslPath OS.PasswordPath OS.RemovePersistentNetRulesPeriod
OS.RootDeviceScsiTimeout OS.RootDeviceScsiTimeoutPeriod OS.SshClientAliveInterval OS.SshDir
OS.SudoersDir OS.UpdateRdmaDriver Pid.File Protocol.EndpointDiscovery Provisioning.Agent
Provisioning.AllowResetSysUser Provisioning.DecodeCustomData Provisioning.DeleteRootPassword
Provisioning.Enabled Provisioning.ExecuteCustomData Provisioning.MonitorHostName
Provisioning.MonitorHostNamePeriod Provisioning.PasswordCryptId Provisioning.PasswordCryptSaltLength
Provisioning.RegenerateSshHostKeyPair Provisioning.SshHostKeyPairType Provisioning.UseCloudInit
ResourceDisk.EnableSwap ResourceDisk.EnableSwapEncryption ResourceDisk.Filesystem ResourceDisk.Format
ResourceDisk.MountOptions ResourceDisk.MountPoint ResourceDisk.SwapSizeMB Role.ConfigurationConsumer
Role.StateConsumer Role.TopologyConsumer
""".split())
_KNOWN_FOLDED = {key.lower(): key for key in KNOWN_KEYS}

# The Azure Backup troubleshooting doc asks for this key; the agent only reads Extensions.Enabled.
MISSPELLED = {"Extensions.Enable": "Extensions.Enabled"}

BOM = "\ufeff"


def agent_value(raw_value: str) -> str | None:
    """The value ``ConfigurationProvider.load`` stores for the text after the first ``=``."""
    value = raw_value.split("#")[0].strip('" ').strip()
    return None if value == "None" else value


def build(generation: str, f: Fields) -> dict[str, Any]:
    """Record fields for one line of waagent.conf."""
    if generation == "comment":
        text = f.get("COMMENT") or "#"
        return {"message": text[1:].strip()}
    if generation == "blank":
        return {"message": ""}
    if generation == "other":
        text = f.get("TEXT") or ""
        name = text.partition(":")[0].strip()
        if ":" in text and name in KNOWN_KEYS:
            note = f"':' is no separator: the agent ignores this line and never sees {name}"
        else:
            note = "no '=': the agent ignores this line"
        fields: dict[str, Any] = {"note": note}
        if text.startswith(BOM):
            fields["bom"] = True
        return {"message": text.strip(), "fields": fields}
    raw_key, raw_value = f.get("KEY") or "", f.get("VALUE") or ""
    key, value = raw_key.strip(), agent_value(raw_value)
    fields = {"key": key, "value": value, "raw_value": raw_value,
              "known": key in KNOWN_KEYS}
    notes = _notes(key, raw_value, value)
    if notes:
        fields["note"] = "; ".join(notes)
    if raw_key.startswith(BOM):
        fields["bom"] = True
    return {"message": f"{raw_key}={raw_value}", "fields": fields}


def _notes(key: str, raw_value: str, value: str | None) -> list[str]:
    """Where the agent reads something other than what the line seems to say."""
    notes = []
    if key in MISSPELLED:
        notes.append(f"the agent ignores {key} (a misspelling in the Azure Backup doc); "
                     f"it reads {MISSPELLED[key]}")
    elif key.startswith(BOM):
        notes.append(f"a UTF-8 BOM is glued to the key, so the agent ignores it ({key[1:]!r} unread)")
    elif key.startswith("#"):
        notes.append(f"'#' is not in column 0, so this is no comment: the agent reads the key {key!r}")
    elif key not in KNOWN_KEYS and key.lower() in _KNOWN_FOLDED:
        real = _KNOWN_FOLDED[key.lower()]
        notes.append(f"keys are case-sensitive: the agent ignores {key}, it reads {real}")
    elif not key:
        notes.append("empty key")
    if "#" in raw_value:
        # An odd number of quotes before the '#' means it sits inside a quoted string.
        where = ", even inside quotes" if raw_value.partition("#")[0].count('"') % 2 else ""
        notes.append(f"'#' cuts the value{where}: the agent reads {value!r}")
    if "\r" in raw_value and value != agent_value(raw_value.replace("\r", "")):
        notes.append(f"a CR line ending stops the quote stripping: the agent reads {value!r}")
    elif value and '"' in value:
        notes.append(f"only spaces and double quotes at the ends are stripped: the agent reads {value!r}")
    elif value and len(value) > 1 and value[0] == value[-1] == "'":
        notes.append(f"single quotes are not stripped: the agent reads {value!r}")
    return notes


def mark_overridden(records: Iterable[Record]) -> Iterator[Record]:
    """Flag every setting a later line with the same key overrides (the agent keeps the last).

    Buffers the whole file, which is fine for a config file of a few hundred lines.
    """
    rows = list(records)
    last: dict[str, int] = {}
    for row in rows:
        if row.generation == "setting" and row.fields is not None:
            last[row.fields["key"]] = row.line
    for row in rows:
        fields = row.fields
        if row.generation == "setting" and fields is not None and last[fields["key"]] != row.line:
            row = dataclasses.replace(row, fields={**fields, "overridden_by": last[fields["key"]]})
        yield row


class ConfFormat(LineFormat):
    """LineFormat plus the whole-file duplicate pass and a score that needs real agent keys."""

    def parse_chunks(self, chunks: Iterable[str], path: str) -> Iterator[Record]:
        return mark_overridden(super().parse_chunks(chunks, path))

    def _parse_slow(self, lines: Iterable[str], path: str) -> Iterator[Record]:
        # The reference path gets the same duplicate pass, so the two stay comparable.
        return mark_overridden(super()._parse_slow(lines, path))

    def score(self, head: Sequence[str]) -> float:
        """Share of non-blank lines that are comments or settings, zero without a known key.

        Every line parses as something here, so the grammar alone would claim any file.
        """
        match = self.grammar.match
        kinds = []
        known = False
        for line in head:
            if not line.strip():
                continue
            hit = match(line)
            generation, fields = hit if hit is not None else ("other", {})
            kinds.append(generation in ("comment", "setting"))
            known = known or (generation == "setting" and (fields.get("KEY") or "").strip() in KNOWN_KEYS)
        if not known:
            return 0.0
        return sum(kinds) / len(kinds)


FORMAT = ConfFormat(
    "waagent_conf",
    paths=("*etc/waagent.conf*", "*waagent.conf"),
    build=build,
    description="Linux guest agent configuration /etc/waagent.conf, as the agent reads it",
)
