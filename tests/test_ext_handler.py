"""ext_handler format: the docstring sample, round trips per generation, and the handler-log traps."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logparse import formats
from logparse.formats import ext_handler
from logparse.model import Record
from tests.format_helpers import parse_both, sample_lines

FMT = ext_handler.FORMAT
A = "[Microsoft.Azure.Monitor.AzureMonitorLinuxAgent-1.28.5]"


def parse(text: str) -> list[Record]:
    return parse_both(FMT, text)


def one(line: str) -> Record:
    (record,) = parse(line)
    return record


def _sample() -> list[str]:
    return sample_lines(ext_handler)


def test_docstring_sample() -> None:
    records = parse("\n".join(_sample()))
    generations = [r.generation for r in records]
    assert generations == ["handlerutil", "handlerutil", "utils_logger", "logfmt", "collector"]
    ok, failed, vmaccess, go, collector = records
    assert ok.fields == {"operation": "Enable", "status": "success", "status_code": 0,
                         "status_message": "Enable succeeded"}
    assert (ok.extension, ok.extension_version, ok.local_time) == (
        "Microsoft.Azure.Monitor.AzureMonitorLinuxAgent", "1.28.5", True)
    assert ok.timestamp == datetime(2023, 9, 26, 4, 7, 33)
    assert failed.level == "ERROR" and failed.fields is not None and failed.fields["status_code"] == 52
    assert vmaccess.level == "ERROR" and vmaccess.message == "Failed to reset ssh key"
    assert vmaccess.extension == "Microsoft.Compute.VMAccessForLinux"
    assert go.timestamp == datetime(2024, 1, 2, 11, 11, 14, tzinfo=UTC) and go.extension_version == "2.1.10"
    assert go.fields == {"version": "v2.1.10/git@abcdef0-clean", "operation": "enable", "seq": "4",
                         "event": "failed", "error": "failed to download file"}
    assert (collector.level, collector.message) == ("INFO", "Using log collection mode normal")
    assert collector.timestamp == datetime(2024, 5, 1, 10, 20, tzinfo=UTC)


# -- round trips --------------------------------------------------------------------------
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=60)
_times = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2035, 12, 31))
_names = st.from_regex(r"[A-Z][a-z]{1,8}(\.[A-Z][A-Za-z]{1,12}){1,4}", fullmatch=True)
_versions = st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,5}){1,3}", fullmatch=True)


@given(when=_times, tag=st.sampled_from(["", "WARNING:", "ERROR:", "WARNING: ", "ERROR: "]),
       name=_names, version=_versions, msg=_text)
def test_round_trip_handler_utilities(when: datetime, tag: str, name: str, version: str, msg: str) -> None:
    when = when.replace(microsecond=0)
    r = one(f"{when:%Y/%m/%d %H:%M:%S} {tag}[{name}-{version}] {msg}")
    assert r.generation == ("utils_logger" if tag.endswith(" ") else "handlerutil")
    assert (r.timestamp, r.local_time, r.message) == (when, True, msg)
    assert (r.extension, r.extension_version, r.component) == (name, version, f"{name}-{version}")
    assert r.level == (tag.strip().rstrip(":") or None)


def _go_value(value: str) -> str:
    plain = value.isprintable() and not any(c.isspace() or c in '="\\' for c in value)
    return value if plain else json.dumps(value, ensure_ascii=False)


@given(
    when=_times,
    pairs=st.dictionaries(
        st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True).filter(lambda k: k != "time"),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
        max_size=6,
    ),
)
def test_round_trip_logfmt(when: datetime, pairs: dict[str, str]) -> None:
    rest = " ".join(f"{k}={_go_value(v)}" for k, v in pairs.items())
    r = one(f"time={when:%Y-%m-%dT%H:%M:%S.%f}Z {rest}".rstrip(" "))
    assert r.generation == "logfmt"
    assert r.timestamp == when.replace(tzinfo=UTC)
    assert (r.fields or {}) == pairs
    assert r.message == rest


@given(when=_times, level=st.sampled_from(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]), msg=_text)
def test_round_trip_collector(when: datetime, level: str, msg: str) -> None:
    when = when.replace(microsecond=0)
    r = one(f"{when:%Y-%m-%dT%H:%M:%S}Z {level} {msg}")
    assert (r.generation, r.level, r.message) == ("collector", level, msg)
    assert r.timestamp == when.replace(tzinfo=UTC)


# -- traps ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "2023/09/26 04:09:00 ERROR: Traceback (most recent call last):",  # spaced tag, no prefix
        "2023/09/26 04:09:00 ERROR:  File \"agent.py\", line 412, in install",  # glued tag, no prefix
        "2023/09/26 04:09:00 CalledProcessError.  Error Code is 1",  # the 2.0 library itself
        "2023/09/26 04:09:00 [PERIODIC] not an extension prefix",
        "2023/09/26 04:09:00.123456 INFO [Microsoft.Foo.Bar-1.0] an agent G1 line",
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "level=error time=2024-01-02T11:11:14Z time is not the first key",
    ],
)
def test_lines_that_are_not_headers_continue_the_record(line: str) -> None:
    r = one(f"2023/09/26 04:08:59 {A} head\n{line}")
    assert r.continuation == (line,)


def test_glued_prefix_without_space_is_still_a_header() -> None:
    r = one(f"2023/09/26 04:09:02 {A}Succeeded")
    assert (r.generation, r.message) == ("handlerutil", "Succeeded")


def test_multi_line_status_message_takes_only_the_lines_of_its_own_call() -> None:
    r = one(
        f"2017/06/01 22:14:03 {A} Enable,error,1,Failed to enable:\n"
        "2017/06/01 22:14:03 mdsd exited with code 127\n"
        "2017/06/01 22:14:03 ERROR:CalledProcessError.  Error Code is 1\n"
        "2017/06/01 22:14:03 not reached"
    )
    assert r.fields is not None
    assert r.fields["status_message"] == "Failed to enable:\nmdsd exited with code 127"
    assert len(r.continuation) == 3


def test_tagged_status_message_continues_under_the_same_tag() -> None:
    r = one(f"2023/09/26 04:08:12 ERROR:{A} Enable,error,52,Install failed:\n2023/09/26 04:08:12 ERROR:dpkg")
    assert r.fields is not None and r.fields["status_message"] == "Install failed:\ndpkg"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('a=1 b="x y" c= d="q\\"uote"', {"a": "1", "b": "x y", "c": "", "d": 'q"uote'}),
        ('e="tab\\tnew\\nline"', {"e": "tab\tnew\nline"}),
        ('f="go \\x00 escape"', {"f": "go \\x00 escape"}),
        ('g="never closed', {"g": "never closed"}),
        ('j="raw\ttab"', {"j": "raw\ttab"}),
        ("bare words between h=1", {"h": "1"}),
        ("i=1 i=2", {"i": "2"}),
    ],
)
def test_logfmt_pairs(text: str, expected: dict[str, str]) -> None:
    assert ext_handler.logfmt_pairs(text) == expected


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2023-06-30T08:00:01+02:00", datetime(2023, 6, 30, 6, 0, 1, tzinfo=UTC)),
        ("2024-01-02T11:11:13.512345678Z", datetime(2024, 1, 2, 11, 11, 13, 512345, tzinfo=UTC)),
    ],
)
def test_logfmt_time_is_utc(stamp: str, expected: datetime) -> None:
    r = one(f"time={stamp} version=v1.0.5/git@0123abc-dirty level=warn event=x")
    assert r.timestamp == expected and r.level == "WARN" and r.extension_version == "1.0.5"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/var/log/azure/Microsoft.Azure.Monitor.AzureMonitorLinuxAgent/extension.log", "ext_handler"),
        ("var/log/azure/Microsoft.OSTCExtensions.CustomScriptForLinux/1.5.5/extension.log", "ext_handler"),
        ("/var/log/azure/custom-script/handler.log", "ext_handler"),
        ("/srv/bundle/var/log/azure/run-command/handler.log.1", "ext_handler"),
        ("/var/lib/waagent/logcollector/results.txt", "ext_handler"),
        ("results.txt", "ext_handler"),
        ("/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux/extension.log", "vmsnapshot"),
        ("/var/log/azure/Microsoft.Azure.Monitor.AzureMonitorLinuxAgent/CommandExecution.log", "vmsnapshot"),
        ("/var/log/waagent.log", "waagent"),
    ],
)
def test_path_detection_order(path: str, expected: str) -> None:
    assert formats.detect(path, []).format == expected


def test_paths_it_does_not_claim() -> None:
    assert not FMT.match_path("/var/log/azure/Microsoft.Foo.Bar/events/1714557090.json")
    assert not FMT.match_path("/var/log/syslog")
    assert not FMT.match_path("/home/me/results.txt.bak/notes.md")


_garbage = st.text(alphabet=string.printable.replace("\n", "") + "\x00\ufffd", max_size=80)
_near = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(
        [*_sample(), "2023/09/26 04:09:00 ERROR: ", "time=2024-01-02T11:11:14Z", f"2023/09/26 {A}"]
    ),
    _garbage,
)


@given(st.lists(st.one_of(_garbage, _near), max_size=12))
def test_any_input_parses_and_every_line_is_accounted_for(lines: list[str]) -> None:
    records = parse("\n".join(lines)) if lines else []
    assert sum(r.line_count for r in records) == len(lines)
