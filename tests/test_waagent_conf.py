"""waagent.conf: the Sample block, agreement with the agent's own loader, round trips and traps."""

from __future__ import annotations

import io
import textwrap

from hypothesis import given
from hypothesis import strategies as st

from logparse.formats import waagent_conf
from logparse.formats.waagent_conf import FORMAT
from logparse.model import Record
from logparse.textio import iter_chunks


def _parse(text: str, slow: bool = False) -> list[Record]:
    return list(FORMAT.parse(text.split("\n"), "etc/waagent.conf", slow=slow))


def _setting(line: str) -> dict[str, object]:
    (r,) = _parse(line)
    assert r.generation == "setting" and r.fields is not None
    return r.fields


def agent_load(text: str) -> dict[str, str | None]:
    """What WALinuxAgent's ConfigurationProvider.load stores (2.2 - 2.15), restated as the oracle."""
    values: dict[str, str | None] = {}
    for line in text.split("\n"):
        if not line.startswith("#") and "=" in line:
            key, _, rest = line.partition("=")
            value = rest.split("#")[0].strip('" ').strip()
            values[key.strip()] = None if value == "None" else value
    return values


def effective(records: list[Record]) -> dict[str, object]:
    return {r.fields["key"]: r.fields["value"] for r in records
            if r.generation == "setting" and r.fields is not None and "overridden_by" not in r.fields}


def test_sample_block_parses() -> None:
    block = waagent_conf.__doc__.split("Sample::", 1)[1].split("\nThe agent", 1)[0]
    sample = textwrap.dedent(block).strip("\n")
    records = _parse(sample)
    assert [r.generation for r in records] == [
        "comment", "setting", "setting", "setting", "setting", "setting", "blank", "setting", "setting"
    ]
    assert records[0].message == "Microsoft Azure Linux Agent Configuration"
    first, misspelled, indented, proxy, verbose = (r.fields or {} for r in records[1:6])
    assert first["overridden_by"] == 9 and first["value"] == "n"
    assert misspelled["known"] is False and "Extensions.Enabled" in misspelled["note"]
    assert indented["key"] == "# Provisioning.Agent"
    assert proxy["value"] == "proxy.contoso.test" and proxy["raw_value"] == '"proxy.contoso.test#8080"'
    assert verbose["value"] is None and verbose["known"] is True
    assert effective(records) == agent_load(sample)
    assert _parse(sample, slow=True) == records


# -- the agent's loader is the oracle --------------------------------------------------------
_conf_chars = st.sampled_from(list('#= "\'\tabcNoneExtensions.Enabled\r\ufeff'))
_conf_lines = st.text(_conf_chars, max_size=25) | st.sampled_from([
    "Extensions.Enabled=n", "   # Extensions.Enabled=y", 'HttpProxy.Host="a#b"', "Logs.Verbose=None", "", "=x"
])


@given(st.lists(_conf_lines, max_size=20))
def test_effective_settings_equal_what_the_agent_loads(lines: list[str]) -> None:
    fast = list(FORMAT.parse(lines, "t"))
    assert effective(fast) == agent_load("\n".join(lines))
    assert fast == list(FORMAT.parse(lines, "t", slow=True))
    assert [r.line for r in fast] == list(range(1, len(lines) + 1))


# -- round trips per generation ---------------------------------------------------------------
_keys = st.from_regex(r"[A-Za-z][A-Za-z.]{0,20}", fullmatch=True)
_values = st.text(
    st.characters(blacklist_characters='\n#"\r', blacklist_categories=("Zs", "Cc")), max_size=20
)


@given(key=_keys, value=_values, spaces=st.sampled_from(["", " ", "  "]), quote=st.booleans())
def test_setting_round_trip(key: str, value: str, spaces: str, quote: bool) -> None:
    rendered = f'"{value}"' if quote else value
    line = f"{key}{spaces}={spaces}{rendered}"
    for slow in (False, True):
        (r,) = _parse(line, slow=slow)
        assert r.generation == "setting" and r.fields is not None
        assert r.fields["key"] == key and r.fields["raw_value"] == f"{spaces}{rendered}"
        assert r.fields["value"] == (None if value.strip() == "None" else value.strip())
        assert r.fields["known"] is (key in waagent_conf.KNOWN_KEYS)


@given(text=st.text(st.characters(blacklist_characters="\n"), max_size=30))
def test_comment_round_trip(text: str) -> None:
    for slow in (False, True):
        (r,) = _parse(f"#{text}", slow=slow)
        assert (r.generation, r.message, r.fields) == ("comment", text.strip(), None)


@given(space=st.from_regex(r"[ \t\r\f\v]*", fullmatch=True))
def test_blank_round_trip(space: str) -> None:
    for slow in (False, True):
        (r,) = _parse(space, slow=slow)
        assert (r.generation, r.message, r.raw) == ("blank", "", space)


@given(text=st.text(st.characters(blacklist_characters="\n="), min_size=1, max_size=30))
def test_other_round_trip(text: str) -> None:
    if text.startswith("#") or not text.strip():
        return
    for slow in (False, True):
        (r,) = _parse(text, slow=slow)
        assert (r.generation, r.message) == ("other", text.strip())
        assert r.fields is not None and "ignores" in r.fields["note"]


# -- traps ------------------------------------------------------------------------------------
def test_hash_cuts_values_even_inside_quotes() -> None:
    assert _setting('HttpProxy.Host="abc#def"')["value"] == "abc"
    assert "inside quotes" in str(_setting('HttpProxy.Host="abc#def"')["note"])
    assert "inside quotes" not in str(_setting('OS.PasswordPath="/etc/shadow" # x')["note"])


def test_only_double_quotes_are_stripped_and_none_is_null_case_sensitively() -> None:
    assert _setting("Provisioning.Agent='auto'")["value"] == "'auto'"
    assert _setting("OS.OpensslPath=None")["value"] is None
    assert _setting('OS.OpensslPath="None"')["value"] is None
    assert _setting("OS.OpensslPath=none")["value"] == "none"


def test_crlf_with_quotes_keeps_the_closing_quote_when_the_cr_reaches_the_parser() -> None:
    fields = _setting('Extensions.Enabled="y"\r')
    assert fields["value"] == 'y"' and "CR" in str(fields["note"])
    assert _setting("Extensions.Enabled=y\r")["value"] == "y"


def test_bom_stays_glued_to_the_key() -> None:
    fields = _setting("\ufeffExtensions.Enabled=n")
    assert fields["key"] == "\ufeffExtensions.Enabled" and fields["bom"] is True and fields["known"] is False


def test_textio_drops_a_leading_bom_and_crlf_before_parsing() -> None:
    # The documented limitation: what the agent would read differently never reaches us.
    data = b'\xef\xbb\xbfExtensions.Enabled="n"\r\n'
    (r,) = FORMAT.parse_chunks(iter_chunks(io.BytesIO(data), "t"), "t")
    assert r.fields is not None and r.fields["key"] == "Extensions.Enabled" and r.fields["value"] == "n"


def test_indented_hash_is_part_of_the_key() -> None:
    fields = _setting("   # Extensions.Enabled=n")
    assert fields["key"] == "# Extensions.Enabled" and fields["known"] is False
    (r,) = _parse("#Extensions.Enabled=n")
    assert r.generation == "comment"


def test_misspelled_and_wrong_case_keys_get_a_note() -> None:
    misspelled = _setting("Extensions.Enable=y")
    assert misspelled["known"] is False and "it reads Extensions.Enabled" in str(misspelled["note"])
    assert "case-sensitive" in str(_setting("extensions.enabled=n")["note"])
    assert "note" not in _setting("Extensions.Enabled=n")
    (colon,) = _parse("Extensions.Enabled: n")
    assert colon.generation == "other" and colon.fields is not None and "':'" in colon.fields["note"]


def test_last_duplicate_wins_and_earlier_ones_are_marked() -> None:
    records = _parse("Extensions.Enabled=y\nLogs.Verbose=y\nExtensions.Enabled=n\n=a\n=b")
    assert [(r.fields or {}).get("overridden_by") for r in records] == [3, None, None, 5, None]
    assert effective(records) == {"Extensions.Enabled": "n", "Logs.Verbose": "y", "": "b"}


def test_empty_lines_are_records_and_the_final_newline_is_not_a_line() -> None:
    chunks = ["\n\nLogs.Verbose=y\n", "\n", "# end"]
    records = list(FORMAT.parse_chunks(chunks, "t"))
    assert [(r.line, r.generation) for r in records] == [
        (1, "blank"), (2, "blank"), (3, "setting"), (4, "blank"), (5, "comment")
    ]
    assert list(FORMAT.parse_chunks([""], "t")) == []
    assert [r.generation for r in FORMAT.parse_chunks(["\n"], "t")] == ["blank"]


def test_score_needs_a_known_key() -> None:
    sample = ["# settings", "", "Extensions.Enabled=n", "Provisioning.Agent=auto"]
    assert FORMAT.score(sample) == 1.0
    assert FORMAT.score(["# just a shell script", "echo hi", "A=1"]) == 0.0
    assert FORMAT.score(["2024-05-01T10:00:03.412907Z INFO Daemon Daemon Agent Version: 2.9"]) == 0.0


def test_path_patterns() -> None:
    for path in ("/etc/waagent.conf", "bundle/etc/waagent.conf", "etc/waagent.conf.rpmsave",
                 "x/waagent.conf"):
        assert FORMAT.match_path(path), path
    for path in ("/var/log/waagent.log", "/etc/azure/vmbackup.conf"):
        assert not FORMAT.match_path(path), path
