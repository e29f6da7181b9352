"""vmsnapshot format: the docstring sample, round trips per generation, and the traps of formats.md §6."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logparse import formats
from logparse.formats import vmsnapshot
from logparse.model import Record
from tests.format_helpers import parse_both, sample_lines

FMT = vmsnapshot.FORMAT
P = "[Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]"


def parse(text: str) -> list[Record]:
    return parse_both(FMT, text)


def one(line: str) -> Record:
    (record,) = parse(line)
    return record


# -- the Sample:: block of the module docstring ---------------------------------------------
def _sample() -> list[str]:
    return sample_lines(vmsnapshot)


def test_docstring_sample() -> None:
    records = parse("\n".join(_sample()))
    assert [r.generation for r in records] == ["ext_py3", "ext_py3", "ext_py2", "shell", "cmdexec_g3"]
    freeze, echo, py2, shell, cmd = records
    assert freeze.timestamp == datetime(2024, 5, 1, 10, 31, 31, 20202, tzinfo=UTC)
    assert freeze.fields is not None
    assert freeze.fields["nested"] == [
        {"source": "freeze", "timestamp": "2024-05-01T10:31:20.600000Z", "level": "INFO",
         "message": "****** 1. Starting Freeze Binary"},
        {"source": "freeze", "timestamp": "2024-05-01T10:31:30.990000Z", "level": "ERROR",
         "message": "freeze timed-out"},
    ]
    assert len(freeze.continuation) == 3
    assert echo.fields is not None
    assert [echo.fields[k] for k in ("operation", "status", "status_code")] == ["Enable", "error", 122]
    assert echo.fields["failure_flag"] is True
    assert py2.level == "ERROR" and py2.local_time and py2.timestamp == datetime(2020, 3, 9, 4, 12)
    assert py2.message == "Unable to locate a .settings file!"
    assert shell.timestamp == datetime(2024, 5, 1, 10, 31, 17, tzinfo=UTC)
    assert cmd.extension_version == "1.0.9241.0" and cmd.thread == "ExtHandler"


# -- round trips: render a line in each layout, parse it back ------------------------------
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=60
)
_times = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2035, 12, 31))
_names = st.from_regex(r"[A-Z][a-z]{1,8}(\.[A-Z][A-Za-z]{1,12}){1,4}", fullmatch=True)
_versions = st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,5}){1,3}", fullmatch=True)


@given(when=_times, msg=_text)
def test_round_trip_ext_py3(when: datetime, msg: str) -> None:
    r = one(f"{when} {P}{msg}")  # str(datetime) drops the fraction when it is zero
    assert r.generation == "ext_py3"
    assert r.message == msg
    assert r.component == "Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0"
    utc = when >= vmsnapshot.UTC_SINCE
    assert r.local_time is not utc
    assert r.timestamp == (when.replace(tzinfo=UTC) if utc else when)


@given(when=_times, tag=st.sampled_from(["", "WARNING:", "ERROR:"]), msg=_text)
def test_round_trip_ext_py2(when: datetime, tag: str, msg: str) -> None:
    when = when.replace(microsecond=0)
    r = one(f"{when:%Y/%m/%d %H:%M:%S} {tag}{P}{msg}")
    assert (r.generation, r.message, r.timestamp, r.local_time) == ("ext_py2", msg, when, True)
    assert r.level == (tag.rstrip(":") or None)


@given(when=_times, msg=_text)
def test_round_trip_shell(when: datetime, msg: str) -> None:
    when = when.replace(microsecond=0)
    stamp = f"{when:%a %b} {when.day:>2} {when:%H:%M:%S} UTC {when.year}"
    r = one(f"{stamp}- {msg}")
    assert (r.generation, r.message, r.timestamp) == ("shell", msg, when.replace(tzinfo=UTC))


@given(when=_times, msg=_text)
def test_round_trip_shell_12h(when: datetime, msg: str) -> None:
    when = when.replace(microsecond=0)
    r = one(f"{when:%a %d %b %Y %I:%M:%S %p} UTC- {msg}")
    assert (r.generation, r.message, r.timestamp) == ("shell_12h", msg, when.replace(tzinfo=UTC))


@given(
    when=_times, level=st.sampled_from(["VERBOSE", "INFO", "WARNING", "ERROR"]),
    thread=st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True),
    name=_names, version=_versions, msg=_text, layout=st.sampled_from(["g3", "g2", "g1"]),
)
def test_round_trip_cmdexec(
    when: datetime, level: str, thread: str, name: str, version: str, msg: str, layout: str
) -> None:
    prefix = f"[{name}-{version}]"
    if layout == "g1":
        line = f"{when:%Y/%m/%d %H:%M:%S.%f} {level} {prefix} {msg}"
    else:
        middle = f"{thread} " if layout == "g3" else ""
        line = f"{when:%Y-%m-%dT%H:%M:%S.%f}Z {level} {middle}{prefix} {msg}"
    r = one(line)
    assert r.generation == f"cmdexec_{layout}"
    assert (r.level, r.extension, r.extension_version, r.message) == (level, name, version, msg)
    assert r.thread == (thread if layout == "g3" else None)
    assert r.timestamp == (when if layout == "g1" else when.replace(tzinfo=UTC))
    assert r.local_time is (layout == "g1")


# -- traps ------------------------------------------------------------------------------
def test_fraction_is_omitted_when_zero() -> None:
    r = one(f"2024-05-01 10:31:18 {P}safeFreezeBinary exists True")
    assert r.timestamp == datetime(2024, 5, 1, 10, 31, 18, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stamp", "local"),
    [("2021-09-01 23:59:59.999999", True), ("2021-09-02 00:00:00", False), ("2017-10-20 08:00:00.5", None)],
)
def test_zone_is_inferred_from_the_date(stamp: str, local: bool | None) -> None:
    r = parse(f"{stamp} {P}x")[0]
    if local is None:  # a 1-digit fraction is no str(datetime) output: not a header
        assert r.unparsed
        return
    assert r.local_time is local
    assert r.fields is not None
    assert r.fields["zone_inferred_from_date"] == ("local" if local else "utc")
    assert (r.timestamp.tzinfo is None) is local  # type: ignore[union-attr]


def test_no_space_after_prefix_and_schema_version() -> None:
    r = one(f"2024-05-01 10:31:18.004112 {P} doing daemon")
    assert r.message == " doing daemon"
    assert r.extension_version == "1.0"
    assert r.fields is not None and r.fields["prefix_version_is_schema"] is True
    real = one("2024-05-01 10:31:18.004112 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9241.0]x")
    assert real.fields is not None and "prefix_version_is_schema" not in real.fields


def test_py2_continuation_lines_repeat_stamp_and_tag_but_stay_in_the_record() -> None:
    text = (
        f"2019/06/03 22:05:41 ERROR:{P}Failed to enable, stack trace: Traceback (most recent call last):\n"
        '2019/06/03 22:05:41 ERROR:  File "handle.py", line 388, in enable\n'
        "2019/06/03 22:05:41 ERROR:IOError: [Errno 28] No space left on device\n"
        f"2019/06/03 22:05:42 {P}next"
    )
    first, second = parse(text)
    assert len(first.continuation) == 2 and second.message == "next"


def test_py2_freeze_block_is_read_under_the_repeated_stamps() -> None:
    text = (
        f"2019/06/03 22:00:09 {P}================== Logs during Freeze Start ==============\n"
        "2019/06/03 22:00:09 2019-06-03 22:00:07  Warning  fsfreeze mount :/ \n"
        "2019/06/03 22:00:09 ================== Logs during Freeze End =============="
    )
    r = one(text)
    assert r.fields is not None
    assert r.fields["nested"] == [
        {"source": "freeze", "timestamp": "2019-06-03T22:00:07", "level": "WARNING",
         "message": "fsfreeze mount :/"}
    ]


@pytest.mark.parametrize(
    "line",
    [
        "2024/05/01 10:31:20.600000  Info  ****** 1. Starting Freeze Binary ",
        "2024-05-01 10:31:20.600000  Error  freeze timed-out ",
        "2024-05-01 10:31:20 ****** 2. Binary Freeze Started",
        "================== Logs during Freeze End ==============",
        "2024-05-01T10:31:17.284761Z INFO ExtHandler [PERIODIC] not an extension prefix",
        "2024-05-01T10:31:17.284761Z INFO ExtHandler ExtHandler module-logger line",
        "2023/09/26 04:09:00 ERROR: [Microsoft.Compute.VMAccessForLinux-1.5.18] spaced tag",
    ],
)
def test_lines_that_are_not_headers_continue_the_record(line: str) -> None:
    r = one(f"2024-05-01 10:31:31.020202 {P}head\n{line}")
    assert r.continuation == (line,)


def test_buffered_message_spanning_lines_stays_one_nested_record() -> None:
    r = one(
        f"2024-05-01 10:31:31.020202 {P}================== Logs during Freeze Start ==============\n"
        "2024/05/01 10:31:30.995000  Error  Failed to thaw, stack trace: Traceback (most recent call last):\n"
        "OSError: [Errno 16] Device or resource busy\n"
        " \n"
        "================== Logs during Freeze End =============="
    )
    assert r.fields is not None
    (nested,) = r.fields["nested"]
    assert nested["message"].endswith("\nOSError: [Errno 16] Device or resource busy")


def test_status_echo_with_the_flag_on_a_continuation_line() -> None:
    r = one(
        f"2023-11-14 01:31:36.601877 {P}Enable,error,121,T:S Enable failed with error: freeze failed\n"
        " StatusCode.FailedRetryableFsFreezeFailed, ,True"
    )
    assert r.fields is not None
    assert r.fields["failure_flag"] is True and r.fields["status_code"] == 121
    assert r.fields["status_message"] == (
        "T:S Enable failed with error: freeze failed\n StatusCode.FailedRetryableFsFreezeFailed"
    )


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Enable,success,0,Enable succeeded", {"operation": "Enable", "status": "success", "status_code": 0,
                                               "status_message": "Enable succeeded"}),
        ("Disable,transitioning,-1,Disabling, ,False", {"operation": "Disable", "status": "transitioning",
                                                       "status_code": -1, "status_message": "Disabling",
                                                       "failure_flag": False}),
        ("T:S freeze, timeout value 90", None),
        ("Enable,failed,1,not a status value", None),
    ],
)
def test_status_echo(message: str, expected: dict[str, object] | None) -> None:
    fields = one(f"2024-05-01 10:31:31.020202 {P}{message}").fields or {}
    always = ("prefix_version_is_schema", "zone_inferred_from_date")
    got = {k: v for k, v in fields.items() if k not in always}
    assert got == (expected or {})


def test_status_echo_without_flag_keeps_a_traceback_out_of_the_message() -> None:
    r = one(f"2023-11-14 01:31:36.601877 {P}Enable,error,2,Enable failed\nTraceback (most recent call last):")
    assert r.fields is not None
    assert r.fields["status_message"] == "Enable failed" and "failure_flag" not in r.fields


def test_safefreeze_line_logged_alone_is_local_time() -> None:
    r = one(f"2024-05-01 10:31:31.100500 {P}2024-05-01 10:31:20 Failed to FIFREEZE: /srv with error: x")
    assert r.fields is not None
    assert r.fields["nested"] == [{"source": "safefreeze", "timestamp": "2024-05-01T10:31:20", "level": None,
                                   "message": "Failed to FIFREEZE: /srv with error: x"}]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Wed May  1 10:31:17 UTC 2024- x", datetime(2024, 5, 1, 10, 31, 17, tzinfo=UTC)),
        ("Fri May 10 00:00:00 UTC 2024- x", datetime(2024, 5, 10, tzinfo=UTC)),
        ("Sun 01 Jan 2023 12:00:01 AM UTC- x", datetime(2023, 1, 1, 0, 0, 1, tzinfo=UTC)),
        ("Mon 02 Jan 2023 12:30:00 PM UTC- x", datetime(2023, 1, 2, 12, 30, tzinfo=UTC)),
        ("Mon 02 Jan 2023 13:30:00 PM UTC- x", None),  # not a 12-hour clock: header, no time
        ("Wed Feb 31 10:31:17 UTC 2024- x", None),
    ],
)
def test_shell_dates(line: str, expected: datetime | None) -> None:
    r = one(line)
    assert r.generation.startswith("shell") and r.timestamp == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log", True),
        ("var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/shell.log.1.gz", True),
        ("/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/1.0.9117.0/extension.log", True),
        ("/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/CommandExecution.log", True),
        ("/var/log/azure/Microsoft.CPlat.Core.RunCommandHandlerLinux/CommandExecution_myCmd.log", True),
        ("bundle/var/log/azure/custom-script/CommandExecution.log", True),
        ("truncated_var_log_azure_Microsoft.Azure.RecoveryServices.VMSnapshotLinux_extension.log", True),
        ("/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/events/1714557090.json", False),
        ("C:\\WindowsAzure\\Logs\\Plugins\\Microsoft.Azure.RecoveryServices.VMSnapshot\\1.0\\CommandExecution.log",
         False),
        ("/var/log/azure/Microsoft.Azure.Monitor.AzureMonitorLinuxAgent/extension.log", False),
        ("/var/log/waagent.log", False),
    ],
)
def test_paths(path: str, expected: bool) -> None:
    assert FMT.match_path(path) is expected


def test_registry_detects_vmsnapshot_before_the_generic_extension_format() -> None:
    path = "/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log"
    assert formats.detect(path, []).format == "vmsnapshot"
    head = [f"2024-05-01 10:31:18.004112 {P}sequence number from environment variable is 41"] * 3
    assert formats.detect("extension.log", head).format == "vmsnapshot"


_garbage = st.text(alphabet=string.printable.replace("\n", "") + "\x00\ufffd", max_size=80)
# Pieces of real headers glued to garbage, so that near-misses reach both matchers.
_near = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(
        [*_sample(), "2019/06/03 22:05:41 ERROR:", "Wed May  1 10:31:17 UTC 2024-", f"2024-05-01 {P}"]
    ),
    _garbage,
)


@given(st.lists(st.one_of(_garbage, _near), max_size=12))
def test_any_input_parses_and_every_line_is_accounted_for(lines: list[str]) -> None:
    records = parse("\n".join(lines)) if lines else []
    assert sum(r.line_count for r in records) == len(lines)


# -- record times in a triage (the chunk scan, not the record parser) ---------------------------
def _chunk_times(text: str) -> list[datetime | None]:
    """The time triage gives each line of ``text`` read as one chunk of an extension.log."""
    from logparse.chunks import Line, record_time

    chunk = text.encode()
    times, start = [], 0
    for line in text.split("\n"):
        times.append(record_time(Line(0, line, (), start=start, timed=False), "vmsnapshot", chunk))
        start += len(line.encode()) + 1
    return times


def test_a_nested_freeze_line_is_dated_by_its_own_stamp_in_triage() -> None:
    # Buffered while the file systems were frozen and flushed ~30 s later as one record: each buffered
    # line (and a traceback it carries) has the time it was written, not the flush's.
    times = _chunk_times(
        f"2024-05-06 01:30:39.051488 {P}================== Logs during Freeze Start ==============\n"
        "2024/05/06 01:30:07.840496  Info  ****** 1. Starting Freeze Binary \n"
        "2024/05/06 01:30:38.653233  Error  Failed to call http with error: timed out, stack trace: Traceback:\n"
        '  File "HttpUtil.py", line 143, in HttpCallGetResponse\n'
        "================== Logs during Freeze End ==============\n"
        f"2024-05-06 01:30:42.078212 {P}T:S Enable failed with FailedRetryableSnapshotFailedNoNetwork error\n"
        "2024-05-06 01:30:38 ****** 4. Binary Thaw Completed"
    )
    assert times[0] == datetime(2024, 5, 6, 1, 30, 39, 51488, tzinfo=UTC)
    assert times[1] == datetime(2024, 5, 6, 1, 30, 7, 840496, tzinfo=UTC)
    assert times[2] == times[3] == datetime(2024, 5, 6, 1, 30, 38, 653233, tzinfo=UTC)
    assert times[5] == datetime(2024, 5, 6, 1, 30, 42, 78212, tzinfo=UTC)
    assert times[6] == datetime(2024, 5, 6, 1, 30, 38)  # safefreeze's own stamp is local time, as parse says


def test_py2_nested_lines_are_dated_under_the_repeated_stamp() -> None:
    times = _chunk_times(
        f"2019/06/03 22:00:09 {P}================== Logs during Freeze Start ==============\n"
        "2019/06/03 22:00:09 2019-06-03 22:00:07  Warning  fsfreeze mount :/ \n"
    )
    assert times[1] == datetime(2019, 6, 3, 22, 0, 7)  # before 2021-09-02: local, as the parser reads it


def test_triage_evidence_of_nested_lines_carries_their_own_time() -> None:
    import csv
    import io

    import logparse
    from logparse.render import RenderOptions, render
    from tests.conftest import FIXTURES

    result = logparse.triage(str(FIXTURES / "bundles" / "linux_nonetwork_snapshot"))
    stamps = {(e.path.rsplit("/", 1)[-1], e.line): e.timestamp for f in result.findings for e in f.evidence}
    assert stamps["extension.log", 55] == "2024-05-06T01:30:38.653233+00:00"
    assert stamps["extension.log", 59] == "2024-05-06T01:30:38.677530+00:00"
    out = io.StringIO()
    render(result, "csv", out, RenderOptions(per_evidence=True))
    rows = {(r["path"].rsplit("/", 1)[-1], r["line"]): r["time"] for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows["extension.log", "55"] == "2024-05-06T01:30:38.653233Z"
