"""Windows guest agent logs: the Sample block, round trips per header style, and the layout traps."""

from __future__ import annotations

import io
import re
import textwrap
from datetime import UTC, datetime

from hypothesis import assume, given
from hypothesis import strategies as st

from logparse.formats import windows_agent
from logparse.formats.windows_agent import FORMAT
from logparse.model import Record
from logparse.textio import iter_chunks

END = "=== Microsoft Azure VM Health Report - End 2022-10-03T14:07:55.3100000Z ==="


def _parse(text: str, slow: bool = False) -> list[Record]:
    return list(FORMAT.parse(text.split("\n"), "WaAppAgent.log", slow=slow))


def test_sample_block_parses() -> None:
    sample = textwrap.dedent(windows_agent.__doc__.split("Sample::", 1)[1].split("\n\n")[1])
    records = _parse(sample)
    assert [r.generation for r in records] == ["mdy", "mdy", "iso", "iso", "mdy"]
    start, error, plugin, trace, health = records
    assert start.timestamp == datetime(2019, 3, 2, 8, 11, 9, 410000, tzinfo=UTC)
    assert start.fields == {"zone_assumed": True} and not start.local_time
    assert error.level == "WARN" and len(error.continuation) == 3
    assert error.continuation[-1].strip() == "--- End of inner exception stack trace ---"
    assert (plugin.component, plugin.extension, plugin.message) == (
        "Microsoft.CPlat.Core.RunCommandWindows", "Microsoft.CPlat.Core.RunCommandWindows", "Error 87"
    )
    assert plugin.fields is None and plugin.timestamp == datetime(2024, 4, 17, 7, 19, 26, 812000, tzinfo=UTC)
    assert (trace.level, trace.thread) == ("TRACE", "00000018")
    assert trace.timestamp == datetime(2021, 1, 12, 16, 35, 45, tzinfo=UTC)
    assert health.fields is not None
    assert health.fields["health_report"] == {"isCurrentlyHealthy": False, "caller": "GAPluginPinger"}
    assert _parse(sample, slow=True) == records


# -- round trips: render a header from generated values, parse it back ------------------------
_levels = st.sampled_from(["INFO", "WARN", "ERROR", "TRACE"]) | st.from_regex(r"[A-Z]{1,8}", fullmatch=True)
_pads = st.from_regex(r"[ \t]{1,3}", fullmatch=True)
_plugins = st.none() | st.from_regex(r"Microsoft\.[A-Z][a-z]{1,6}(\.[A-Z][A-Za-z]{1,8}){1,2}", fullmatch=True)
# Message text: anything on one line that does not begin with padding; tests below cover
# the texts the grammar reads differently (a plugin-like start, an End marker).
_messages = st.text(st.characters(blacklist_characters="\n"), max_size=60).filter(
    lambda m: m[:1] not in (" ", "\t")
)
_PLUGIN = re.compile(FORMAT.grammar.terminals["PLUGIN"].pattern.to_regexp())
_times = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31))


def _header(tid: str, stamp: str, level: str, pad: str, plugin: str | None, message: str) -> str:
    text = f"{plugin}: {message}" if plugin else message
    return f"[{tid}] {stamp} [{level}]{pad}{text}"


def _assume_plain(message: str, plugin: str | None) -> None:
    # Without a plugin, a message that itself starts like "A.B.C: " is read as one.
    assume(plugin is not None or not _PLUGIN.match(message))
    assume("Health Report - End" not in message)


@given(tid=st.from_regex(r"\d{1,10}", fullmatch=True), when=_times, level=_levels, pad=_pads,
       plugin=_plugins, message=_messages)
def test_iso_round_trip(tid: str, when: datetime, level: str, pad: str, plugin: str | None,
                        message: str) -> None:
    _assume_plain(message, plugin)
    when = when.replace(microsecond=when.microsecond // 1000 * 1000)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    line = _header(tid, stamp, level, pad, plugin, message)
    for slow in (False, True):
        (r,) = _parse(line, slow=slow)
        got = (r.generation, r.thread, r.level, r.component, r.message)
        assert got == ("iso", tid, level, plugin, message)
        assert r.timestamp == when.replace(tzinfo=UTC) and r.fields is None


@given(tid=st.from_regex(r"\d{8}", fullmatch=True), when=_times, level=_levels, pad=_pads,
       plugin=_plugins, message=_messages)
def test_mdy_round_trip(tid: str, when: datetime, level: str, pad: str, plugin: str | None,
                        message: str) -> None:
    _assume_plain(message, plugin)
    when = when.replace(microsecond=when.microsecond // 10000 * 10000)
    stamp = "[" + when.strftime("%m/%d/%Y %H:%M:%S.") + f"{when.microsecond // 10000:02d}]"
    line = _header(tid, stamp, level, pad, plugin, message)
    for slow in (False, True):
        (r,) = _parse(line, slow=slow)
        got = (r.generation, r.thread, r.level, r.extension, r.message)
        assert got == ("mdy", tid, level, plugin, message)
        assert r.timestamp == when.replace(tzinfo=UTC) and r.fields == {"zone_assumed": True}


_any_line = st.text(st.characters(blacklist_characters="\n"), max_size=40) | st.sampled_from(
    ["   at X.Y()", END, "{", "}", "", "[00000001] [01/02/2020 03:04:05.06] [INFO]  x",
     "[00000001] 2020-01-02T03:04:05Z [ERROR] Microsoft.A.B: y"]
)


@given(st.lists(_any_line, max_size=30))
def test_any_lines_parse_the_same_on_both_paths(lines: list[str]) -> None:
    fast = list(FORMAT.parse(lines, "t"))
    assert fast == list(FORMAT.parse(lines, "t", slow=True))
    assert sum(r.line_count for r in fast) == len(lines)


# -- traps ---------------------------------------------------------------------------------
def test_exception_types_at_the_start_of_a_message_are_not_plugins() -> None:
    for text in ("System.IO.IOException: There is not enough space on the disk.",
                 "Microsoft.ServiceModel.Web.WebProtocolException: Server Error: Service Unavailable",
                 "System.Net.Sockets.Something: x"):
        (r,) = _parse(f"[00000019] 2024-06-01T02:01:11.000Z [ERROR] {text}")
        assert r.component is None and r.message == text


def test_plugin_prefix_needs_three_parts_and_a_colon_space() -> None:
    (two,) = _parse("[00000004] 2024-04-17T07:19:27.003Z [INFO]  Plugin.Manager: started")
    (glued,) = _parse("[00000004] 2024-04-17T07:19:27.003Z [INFO]  Microsoft.Compute.BGInfo:started")
    assert two.component is None and glued.component is None
    (real,) = _parse("[00000004] 2024-04-17T07:19:27.003Z [INFO]  Microsoft.Compute.BGInfo: started")
    assert (real.extension, real.message) == ("Microsoft.Compute.BGInfo", "started")


def test_padding_variants_and_not_headers() -> None:
    assert FORMAT.grammar.match("[00000086] [07/04/2020 10:00:00.00] [INFO] one space") is not None
    assert FORMAT.grammar.match("[00000086] [07/04/2020 10:00:00.00] [WARN]\ttab") is not None
    assert FORMAT.grammar.match("[00000086] [07/04/2020 10:00:00.00] [INFO]") is not None
    assert FORMAT.grammar.match("[00000086] [07/04/2020 10:00:00.00] [INFO]glued") is None
    assert FORMAT.grammar.match("[00000086] [07/04/2020 10:00:00.00] [info]  lower") is None
    assert FORMAT.grammar.match("   at System.Net.HttpWebRequest.GetResponse()") is None
    assert FORMAT.grammar.match("---> System.Net.WebException: x") is None


def test_old_header_is_utc_by_assumption_and_bad_dates_keep_the_record() -> None:
    ok, bad = _parse("[00000021] [10/03/2022 14:07:55.31] [WARN]  a\n"
                     "[00000021] [13/45/2022 14:07:55.31] [WARN]  b")
    assert ok.timestamp == datetime(2022, 10, 3, 14, 7, 55, 310000, tzinfo=UTC)
    assert ok.fields == {"zone_assumed": True} and not ok.local_time
    assert bad.timestamp is None and bad.fields is None and bad.message == "b"


def test_end_marker_with_a_header_stays_in_the_report_record() -> None:
    text = ("[00000021] [10/03/2022 14:37:55.33] [INFO]  === Microsoft Azure VM Health Report - Start x ===\n"
            '{"a": 1}\n'
            f"[00000021] [10/03/2022 14:37:55.33] [INFO]  {END}\n"
            "[00000022] [10/03/2022 14:37:56.00] [INFO]  next")
    report, following = _parse(text)
    assert report.line_count == 3 and following.message == "next"
    assert report.fields is not None and report.fields["health_report"] == {"a": 1}
    assert FORMAT.grammar.match(f"[00000021] [10/03/2022 14:37:55.33] [INFO]  {END}") is None


def test_a_broken_health_report_never_raises() -> None:
    head = "[00000021] 2022-10-03T14:07:55.31Z [INFO]  === Microsoft Azure VM  Health Report - Start x ==="
    for body in ('{"isCurrentlyHealthy": fal', "[" * 100_000, "9" * 5000, ""):
        (r,) = _parse(f"{head}\n{body}\n{END}")
        assert r.fields is not None and "health_report_error" in r.fields
    (r,) = _parse(f'{head}\n{{"a": 1}}')
    assert r.fields == {"health_report": {"a": 1}, "health_report_error": "no end marker"}


def test_utf16_and_utf8_bom_crlf_files_decode_to_the_same_records() -> None:
    text = "[00000018] 2021-01-12T16:35:45Z [INFO]  Réseau\r\n   at X.Y()\r\n"
    variants = [b"\xff\xfe" + text.encode("utf-16-le"), b"\xef\xbb\xbf" + text.encode(), text.encode()]
    results = []
    for data in variants:
        records = list(FORMAT.parse_chunks(iter_chunks(io.BytesIO(data), "t"), "t"))
        results.append([(r.message, r.continuation) for r in records])
    assert results[0] == results[1] == results[2] == [("Réseau", ("   at X.Y()",))]


def test_path_patterns() -> None:
    for path in (r"C:\WindowsAzure\Logs\WaAppAgent.log", "WindowsAzure/Logs/TransparentInstaller.log",
                 "disk/WindowsAzure/Logs/Plugins/Microsoft.Azure.RecoveryServices.VMSnapshot/1.0.75.0/"
                 "IaaSBcdrExtension1.log", "WindowsAzure/Logs/AppAgentRuntime.log",
                 "WindowsAzure/Logs/Telemetry.log", "WindowsAzure/Logs/WaAppAgent.log.1"):
        assert FORMAT.match_path(path), path
    for path in ("/var/log/waagent.log", "WindowsAzure/Logs/AggregateStatus/aggregatestatus.json",
                 "/etc/waagent.conf"):
        assert not FORMAT.match_path(path), path


def test_content_score() -> None:
    sample = textwrap.dedent(windows_agent.__doc__.split("Sample::", 1)[1].split("\n\n")[1]).split("\n")
    # Stack frames and the report's JSON count once a header shows it is an agent log.
    assert FORMAT.score(sample) == 1.0
    assert FORMAT.score(sample[2:5]) == 0.0
    assert FORMAT.score(["2024-05-01T10:00:03.412907Z INFO Daemon Daemon x"]) == 0.0
    assert FORMAT.score([sample[0], '{"a": 1}']) == 0.5
