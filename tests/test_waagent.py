"""waagent.log: the module's Sample block, round trips per generation, and the layout traps."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from logparse.formats import waagent
from logparse.formats.waagent import FORMAT


def _parse(text: str) -> list:
    return list(FORMAT.parse(text.split("\n"), "waagent.log"))


def test_sample_block_parses() -> None:
    sample = textwrap.dedent(waagent.__doc__.split("Sample::", 1)[1]).strip("\n")
    records = _parse(sample)
    assert [r.generation for r in records] == ["g0", "g1", "g2", "g3", "syslog+g3"]
    assert records[3].continuation == ("Traceback (most recent call last):",)
    assert records[4].thread == "Daemon" and records[4].component == "Daemon"


def test_local_and_utc_generations_are_told_apart() -> None:
    g1, g3 = _parse(
        "2019/10/02 21:07:13.550876 INFO Daemon Azure Linux Agent Version:2.2.44\n"
        "2024-05-01T10:00:03.412907Z INFO Daemon Daemon Azure Linux Agent Version: 2.9.1.1"
    )
    assert g1.local_time and g1.timestamp is not None and g1.timestamp.tzinfo is None
    assert not g3.local_time and g3.timestamp == datetime(2024, 5, 1, 10, 0, 3, 412907, tzinfo=UTC)


def test_message_tags_are_not_prefixes() -> None:
    for tag in ("[PERIODIC]", "[HEARTBEAT]", "[VmSettingsSummary]", "[ProtocolError]"):
        (r,) = _parse(f"2019/10/02 21:12:00.000042 INFO ExtHandler {tag} something")
        assert r.component == "ExtHandler" and r.message.startswith(tag)
        (r,) = _parse(f"2019/10/02 21:12:00.000042 INFO {tag} something")
        assert r.component is None and r.message.startswith(tag)


def test_g2_and_g3_are_decided_by_the_thread_and_prefix_tokens() -> None:
    g2, g3, bare = _parse(
        "2020-01-20T10:00:03.771210Z INFO ExtHandler Agent WALinuxAgent-2.2.46 is running\n"
        "2024-05-01T10:06:02.113009Z WARNING EnvHandler ExtHandler Dhcp client is not running.\n"
        "2024-05-01T10:41:00.000000Z INFO MainThread Deprovisioning the VM"
    )
    assert (g2.generation, g2.thread, g2.component) == ("g2", None, "ExtHandler")
    assert (g3.generation, g3.thread, g3.component) == ("g3", "EnvHandler", "ExtHandler")
    assert (bare.generation, bare.thread, bare.component) == ("g3_bare", "MainThread", None)


def test_g0_tag_is_glued_and_the_space_after_it_belongs_to_the_message() -> None:
    (r,) = _parse('2019/11/20 08:02:17 ERROR:  File "x.py", line 3')
    assert r.level == "ERROR" and r.message == '  File "x.py", line 3'


def test_extension_prefix_is_split_into_name_and_version() -> None:
    (r,) = _parse(
        "2024-05-01T10:31:17.284761Z INFO ExtHandler "
        "[Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9241.0] Target handler state: enabled"
    )
    assert r.extension == "Microsoft.Azure.RecoveryServices.VMSnapshotLinux"
    assert r.extension_version == "1.0.9241.0"


def test_continuation_keeps_blank_lines_and_the_closing_duration() -> None:
    (r,) = _parse(
        "2020-01-20T10:07:11.510233Z ERROR ExtHandler Event: name=X, op=Enable, message=Timeout(300): a\n"
        "[stdout]\n\n\n[stderr]\n, duration=0"
    )
    assert r.continuation == ("[stdout]", "", "", "[stderr]", ", duration=0")
    assert r.line_count == 6


# -- round trips: render generated fields in each layout, parse back the same fields ----------

_words = st.text(st.sampled_from("abcdefghij XYZ:=,.()/-_0123456789"), min_size=1, max_size=60).filter(
    lambda s: s.strip() == s and s != ""
)
_times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))
_levels = st.sampled_from(["VERBOSE", "INFO", "WARNING", "ERROR"])
_ext = st.builds(
    lambda a, b, v: (f"Microsoft.{a}.{b}", v),
    st.sampled_from(["Azure", "OSTCExtensions", "CPlat"]),
    st.sampled_from(["RecoveryServices.VMSnapshotLinux", "CustomScript", "Core.RunCommandLinux"]),
    st.from_regex(r"\A[0-9]\.[0-9]{1,2}\.[0-9]{1,5}(\.[0-9])?\Z"),
)


@given(ts=_times, level=_levels, thread=st.sampled_from(["ExtHandler", "Daemon", "EnvHandler", "Thread-7"]),
       prefix=st.sampled_from(["ExtHandler", "Daemon", "LogCollector"]), msg=_words)
def test_round_trip_g3(ts: datetime, level: str, thread: str, prefix: str, msg: str) -> None:
    line = f"{ts.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z {level} {thread} {prefix} {msg}"
    (r,) = _parse(line)
    assert (r.generation, r.level, r.thread, r.component, r.message) == ("g3", level, thread, prefix, msg)
    assert r.timestamp == ts.replace(tzinfo=UTC)


@given(ts=_times, level=_levels, ext=_ext, msg=_words)
def test_round_trip_g3_extension(ts: datetime, level: str, ext: tuple[str, str], msg: str) -> None:
    line = f"{ts.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z {level} ExtHandler [{ext[0]}-{ext[1]}] {msg}"
    (r,) = _parse(line)
    assert (r.generation, r.extension, r.extension_version, r.message) == ("g3", ext[0], ext[1], msg)


@given(ts=_times, level=_levels, prefix=st.sampled_from(["Daemon", "ExtHandler", None]), msg=_words)
def test_round_trip_g2_and_g1(ts: datetime, level: str, prefix: str | None, msg: str) -> None:
    body = f"{level} {prefix + ' ' if prefix else ''}{msg}"
    # A message that starts with a known thread or prefix word is ambiguous by design.
    first = msg.split(" ", 1)[0]
    if prefix is None and first in {"Daemon", "ExtHandler", "LogCollector", "Firewall", "MainThread"}:
        return
    iso, slash = ts.strftime("%Y-%m-%dT%H:%M:%S.%f"), ts.strftime("%Y/%m/%d %H:%M:%S.%f")
    g2, g1 = _parse(f"{iso}Z {body}\n{slash} {body}")
    for r, gen in ((g2, "g2"), (g1, "g1")):
        assert (r.generation, r.level, r.component, r.message) == (gen, level, prefix, msg)
    assert g2.timestamp == ts.replace(tzinfo=UTC) and g1.timestamp == ts and g1.local_time


@given(ts=_times, tag=st.sampled_from(["", "WARNING:", "ERROR:"]), ext=st.one_of(st.none(), _ext), msg=_words)
def test_round_trip_g0(ts: datetime, tag: str, ext: tuple[str, str] | None, msg: str) -> None:
    prefix = f"[{ext[0]}-{ext[1]}] " if ext else ""
    (r,) = _parse(f"{ts.strftime('%Y/%m/%d %H:%M:%S')} {tag}{prefix}{msg}")
    assert r.generation == "g0" and r.level == (tag.rstrip(":") or None)
    assert r.message == msg and r.timestamp == ts.replace(microsecond=0)
    assert r.extension == (ext[0] if ext else None)


@given(host=st.from_regex(r"\A[a-z][a-z0-9-]{0,10}\Z"), pid=st.integers(1, 99999), msg=_words)
def test_round_trip_syslog_wrapped(host: str, pid: int, msg: str) -> None:
    agent = f"2024-07-06T02:00:01.000001Z INFO Daemon Daemon {msg}"
    (r,) = _parse(f"Jul  6 02:00:01 {host} python3[{pid}]: {agent}")
    assert (r.generation, r.message) == ("syslog+g3", msg)


def test_generated_mixed_log_is_structured_with_the_right_generations() -> None:
    from benches.gen_waagent import generate_labelled

    labelled = list(generate_labelled(20_000, seed=7))
    records = _parse("\n".join(line for line, _ in labelled))
    headers = {r.line: r.generation for r in records}
    unparsed = sum(1 for r in records if r.unparsed)
    assert unparsed / len(labelled) <= 0.001
    assert {label for _, label in labelled} >= {"g0", "g1", "g2", "g3", "cont"}
    wrong = [
        (number, label, headers.get(number))
        for number, (_, label) in enumerate(labelled, 1)
        if headers.get(number) != (None if label == "cont" else label)
    ]
    assert not wrong, wrong[:5]
