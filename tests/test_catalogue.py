"""Catalogue invariants, loader validation of bad extra files, and the explain / catalogue commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import logparse
from logparse import cli
from logparse.catalogue import Catalogue, load_catalogue, validate_file
from logparse.catalogue.guard import flag_bits, slowest_probe, static_problems
from logparse.catalogue.loader import _build
from logparse.errors import CatalogueError

SEED_CODES = (
    "UserErrorGuestAgentStatusUnavailable", "GuestAgentSnapshotTaskStatusError",
    "UserErrorVmProvisioningStateFailed",
    "UserErrorRpCollectionLimitReached", "UserErrorKeyvaultPermissionsNotConfigured",
    "ExtensionSnapshotFailedNoNetwork", "ExtensionOperationFailedForManagedDisks", "BackUpOperationFailed",
    "BackUpOperationFailedV2", "UserErrorUnsupportedDiskSize", "UserErrorBackupOperationInProgress",
    "UserErrorCrpReportedUserError", "UserErrorBcmDatasourceNotPresent",
)
CAUSE_IDS = (
    "agent-unresponsive-windows", "agent-outdated-linux", "snapshot-status-unavailable",
    "agent-config-options-linux",
    "application-control-blocking", "rp-resource-group-lock", "rp-collection-cleanup", "dhcp-disabled",
    "vm-shutdown-from-guest", "no-network-wireserver",
)
SIBLING_FILE = "sibling.toml"
# Lines from healthy runs (layouts of formats.md §3, values ours): no signature may fire on them.
HEALTHY_LINES = (
    "2017/08/09 16:40:02.118342 INFO Azure Linux Agent Version:2.2.14",
    "2024-05-01T10:00:07.551290Z INFO ExtHandler ExtHandler Azure Linux Agent "
    "(Goal State Agent version 2.13.1.1)",
    "2024-05-01T10:31:17.284761Z INFO ExtHandler [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9241.0"
    "] Target handler state: enabled [incarnation_7]",
    "2024-05-01T10:30:00.000000Z INFO ExtHandler ExtHandler [HEARTBEAT] Agent WALinuxAgent-2.13.1.1 is runnin"
    "g as the goal state agent [DEBUG HeartbeatCounter: 3;HeartbeatId: 1B2C;UpdateGSErrors: 0;"
    "AutoUpdate: 1;]",
    "2024-05-01T11:05:31.100456Z INFO ExtHandler ExtHandler Fetching the goal state recovered from previous"
    " errors. Fetched 5 (certificates: 1)",
    "2023/09/26 04:07:33 [Microsoft.Azure.Monitor.AzureMonitorLinuxAgent-1.28.5] Enable,success,0,"
    "Enable succeeded",
    "2024-05-01 10:31:20.551077 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]T:S freeze, timeout"
    " value 90",
    "2024-05-01 10:31:18 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]safeFreezeBinary exists True",
    "Wed May  1 10:31:17 UTC 2024- python3.8 path exists",
    "Wed May  1 10:36:17 UTC 2024- 0 returned from handle.py",
    "2024-05-01T10:31:17.295830Z INFO ExtHandler [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9241.0]"
    " Enable extension: [main/handle.sh enable]",
    "2024-08-24T04:12:09.007218Z INFO Daemon Daemon Python: 3.10.12",
    "[00000006] [03/02/2019 08:11:09.41] [INFO]  WindowsAzureGuestAgent starting. Version 2.7.41491.911",
    "[00000004] 2024-06-01T02:00:04.517Z [INFO]  Beginning enable of plugin"
    " Microsoft.Azure.RecoveryServices.VMSnapshot.",
    "Extensions.Enabled=y",
    "Provisioning.Agent=auto",
    "Error Code | Success",
)


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


def _write(tmp_path: Path, text: str, name: str = "extra.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- invariants over the built-in catalogue --------------------------------------------------------------

def test_public_api_returns_plain_cached_objects(cat: Catalogue) -> None:
    assert "load_catalogue" in logparse.__all__
    assert logparse.load_catalogue() is cat  # the default set is cached
    entry = cat.get("GuestAgentSnapshotTaskStatusError")
    assert entry.kind == "error" and isinstance(entry.messages["en"], tuple)
    assert re.fullmatch(r"[0-9a-f]{64}", cat.digest)
    json.dumps(entry.to_dict())  # plain data all the way down


@pytest.mark.parametrize("code", SEED_CODES)
def test_every_seed_code_has_english_and_chinese_message(cat: Catalogue, code: str) -> None:
    entry = cat.get(code)
    assert entry.id == code and entry.kind == "error"
    assert entry.messages["en"] and entry.messages["zh-CN"]
    assert entry.doc["en"].startswith("https://learn.microsoft.com/en-us/azure/backup/")
    assert entry.doc["zh-CN"].startswith("https://learn.microsoft.com/zh-cn/azure/backup/")


@pytest.mark.parametrize("cause", CAUSE_IDS)
def test_every_fixed_cause_id_exists_with_both_messages(cat: Catalogue, cause: str) -> None:
    entry = cat.entries[cause]
    assert entry.kind == "cause"
    assert entry.messages["en"] and entry.messages["zh-CN"]


def test_seed_messages_are_verbatim(cat: Catalogue) -> None:
    # Spot checks of exact text, stray spaces and typos included: these are facts, not prose.
    assert cat.get("UserErrorCrpReportedUserError").messages["zh-CN"][0] == (
        "由于出现错误，备份失败。 有关详细信息，请参阅“作业错误消息详细信息”。")
    assert cat.get("UserErrorRpCollectionLimitReached").messages["en"] == (
        "The Restore Point collection max limit has reached.",)
    assert cat.get("AzureVmOffline").messages["en"][0].count("machine  is") == 1
    assert "Extensions.Enabled=y" in " ".join(cat.get("agent-config-options-linux").remediation["en"])


def test_seed_causes_keep_the_seed_order(cat: Catalogue) -> None:
    order = {
        "GuestAgentSnapshotTaskStatusError": ["agent-unresponsive-windows", "agent-outdated-linux",
                                              "snapshot-status-unavailable", "agent-config-options-linux",
                                              "application-control-blocking"],
        "ExtensionOperationFailedForManagedDisks": ["snapshot-status-unavailable",
                                                    "agent-unresponsive-windows", "agent-outdated-linux"],
        "BackUpOperationFailedV2": ["agent-unresponsive-windows", "agent-outdated-linux",
                                    "snapshot-status-unavailable", "rp-resource-group-lock",
                                    "iaasvmprovider-dll"],
        "UserErrorRpCollectionLimitReached": ["rp-resource-group-lock", "rp-collection-cleanup"],
    }
    for code, expected in order.items():
        listed = [c for c in cat.get(code).causes if c in expected]
        assert listed == expected, code


def test_sibling_article_has_35_codes_with_historic_spellings(cat: Catalogue) -> None:
    sibling = [e for e in cat.errors() if Path(e.source).name == SIBLING_FILE]
    assert len(sibling) == 35
    csr = cat.get("UserErrorCrossSubscriptionRestoreNotSupportedForOLR")  # two-p alias
    assert csr.id == "UserErrorCrossSubscriptionRestoreNotSuppportedForOLR"
    assert cat.get("ExtentionOperationFailed").id == "ExtensionOperationFailedForManagedDisks"
    assert cat.get("usererrorskunotavaialable").id == "UserErrorSkuNotAvailable"


def test_extension_status_codes_surface_as_portal_codes(cat: Catalogue) -> None:
    assert cat.get("FailedRetryableFsFreezeFailed").status_codes == (121,)
    assert cat.get("FailedRetryableFsFreezeFailed").surfaces_as == ("UserErrorFsFreezeFailed",)
    assert cat.get("FailedRetryableSnapshotFailedRestrictedNetwork").surfaces_as == (
        "ExtensionSnapshotFailedNoNetwork",)
    assert set(cat.get("FailedPrepost").status_codes) == set(range(300, 319))
    inner = [e.id for e in cat.entries.values() if "UserErrorCrpReportedUserError" in e.surfaces_as]
    assert len([i for i in inner if i.startswith("VMRestorePointClientError.")]) == 10


def test_limits_of_the_seed(cat: Catalogue) -> None:
    assert cat.limits["restore-points-per-vm"].value == 18
    assert (cat.limits["max-disk-size"].value, cat.limits["max-disk-size"].unit) == (32, "TB")
    assert cat.limits["max-encrypted-disk-size"].value == 4
    assert cat.limits["wireserver-address"].value == "168.63.129.16"
    assert cat.limits["wireserver-ports"].value == (80, 443, 32526)
    assert cat.limits["dhcp-fabric-option"].value == 245
    assert all(limit.text.get("zh-CN") for limit in cat.limits.values())


def test_every_entry_has_examples_remediation_and_consistent_links(cat: Catalogue) -> None:
    for entry in cat.entries.values():
        assert len(entry.examples) >= 2, entry.id
        assert entry.remediation.get("en") and entry.remediation.get("zh-CN"), entry.id
        assert entry.title.get("en") and entry.title.get("zh-CN"), entry.id
        if entry.doc:
            en, zh = entry.doc["en"], entry.doc["zh-CN"]
            assert en.replace("/en-us/", "/zh-cn/") == zh, entry.id


def test_entry_examples_name_no_other_entry_code(cat: Catalogue) -> None:
    # A pasted example that spells another entry's id would match both; only the entry's own id (or, for a
    # message variant "Code.What", its umbrella "Code") may appear.
    ids = {i for i in cat.entries if re.fullmatch(r"[A-Za-z]\w{5,}", i)}
    for entry in cat.entries.values():
        for example in entry.examples:
            for other in ids - {entry.id, entry.id.split(".")[0]}:
                spelled = re.search(rf"(?<![A-Za-z]){re.escape(other)}(?![A-Za-z0-9])", example)
                assert not spelled, (entry.id, other)


def test_every_signature_is_guarded_and_fast(cat: Catalogue) -> None:
    for entry_id, sig in cat.signatures():
        assert static_problems(sig.pattern, sig.flags) == [], entry_id
        assert slowest_probe(sig.pattern, sig.flags, sig.literal) < 0.25, (entry_id, sig.pattern)


def test_signature_examples_match_their_own_signature_and_no_other_entry(cat: Catalogue) -> None:
    compiled = [(eid, re.compile(s.pattern, flag_bits(s.flags))) for eid, s in cat.signatures()]
    for entry_id, sig in cat.signatures():
        own = re.compile(sig.pattern, flag_bits(sig.flags))
        for example in sig.examples:
            found = own.search(example)
            assert found and sig.literal.casefold() in found.group(0).casefold(), (entry_id, example)
            others = {eid for eid, rx in compiled if eid != entry_id and rx.search(example)}
            assert not others, (entry_id, example, others)


def test_no_signature_fires_on_healthy_lines(cat: Catalogue) -> None:
    for line in HEALTHY_LINES:
        hits = [eid for eid, s in cat.signatures() if re.search(s.pattern, line, flag_bits(s.flags))]
        assert hits == [], (line, hits)


def test_negatives_do_not_match_their_entry(cat: Catalogue) -> None:
    for entry in cat.entries.values():
        for negative in entry.negatives:
            for sig in entry.signatures:
                assert not re.search(sig.pattern, negative, flag_bits(sig.flags)), (entry.id, negative)


# -- the regex guard ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern", [r"abc(a+)+", r"abc(.*)*", r"abc(\w+\s?)+", r"abc.*def.*ghi",
                                     r"abc(\d{1,3})+", r"(abc)\1", r".*abc", r"ab"])
def test_guard_rejects_unsafe_or_unanchored_patterns(pattern: str) -> None:
    assert static_problems(pattern)


@pytest.mark.parametrize("pattern", [r"abc.{0,100}def.*x", r"(?<![A-Za-z])ResourceNotFound\b",
                                     r"^Extensions\.Enabled?", r"HostGAPlugin: (?:Exception|Failed) Get",
                                     r"abc(\d{2})+"])
def test_guard_accepts_linear_patterns(pattern: str) -> None:
    assert static_problems(pattern) == []


# -- extra catalogues: add, override, and one-line errors ----------------------------------------------------

GOOD_EXTRA = '''
[MyCustomError]
kind = "error"
title.en = "A site-specific failure"
messages.en = ["Custom thing failed"]
causes = ["dhcp-disabled"]
examples = ["MyCustomError", "Custom thing failed"]

[[MyCustomError.signatures]]
formats = ["waagent"]
pattern = 'Custom thing failed'
literal = "Custom thing"
examples = ["2024-01-01T00:00:00.000000Z ERROR ExtHandler ExtHandler Custom thing failed: boom"]

[UserErrorBackupOperationInProgress]
kind = "error"
title.en = "Overridden"
messages.en = ["Overridden message"]
examples = ["x1", "x2"]
'''


def test_extra_catalogue_adds_and_overrides_by_id(tmp_path: Path, cat: Catalogue) -> None:
    extra = _write(tmp_path, GOOD_EXTRA)
    merged = load_catalogue([extra])
    assert merged.get("MyCustomError").source == str(extra)
    assert merged.get("UserErrorBackupOperationInProgress").messages["en"] == ("Overridden message",)
    assert len(merged.entries) == len(cat.entries) + 1
    assert merged.digest != cat.digest
    assert validate_file(extra) == []


_E = "[E1]\nkind = 'error'\ntitle.en = 't'\nmessages.en = ['m']\nexamples = ['a']\n"
_SIG = _E + "[[E1.signatures]]\n"
BAD_EXTRAS = [
    (_E + "bogus = 1\n", "E1", "bogus"),
    (_E.replace("'error'", "'fault'"), "E1", "kind"),
    (_E.replace("messages.en = ['m']\n", ""), "E1", "messages.en"),
    (_E.replace("['m']", "'m'"), "E1", "messages.en"),
    (_E.replace("examples = ['a']\n", ""), "E1", "examples"),
    (_E + "causes = ['no-such']\n", "E1", "causes"),
    (_E + "surfaces_as = ['dhcp-disabled']\n", "E1", "surfaces_as"),
    (_E + "aliases = ['BackUpOperationFailedV2']\n", "E1", "aliases"),
    (_E + "doc.en = 'http://x'\n", "E1", "doc.en"),
    (_E.replace("title.en", "title.english"), "E1", "title.english"),
    (_E + "int_codes = ['1']\n", "E1", "int_codes"),
    (_SIG + "formats = ['syslog']\npattern = 'abc'\nliteral = 'abc'\nexamples = ['abc']\n",
     "E1", "signatures[0].formats"),
    (_SIG + "formats = ['waagent']\npattern = 'abc(x+)+'\nliteral = 'abc'\nexamples = ['abcx']\n",
     "E1", "signatures[0].pattern"),
    (_SIG + "formats = ['waagent']\npattern = 'abc(('\nliteral = 'abc'\nexamples = ['abc']\n",
     "E1", "signatures[0].pattern"),
    (_SIG + "formats = ['waagent']\npattern = 'abcdef'\nliteral = 'xyz'\nexamples = ['abcdef']\n",
     "E1", "signatures[0].literal"),
    (_SIG + "formats = ['waagent']\npattern = 'abcdef'\nliteral = 'abc'\nexamples = ['nothing here']\n",
     "E1", "signatures[0].examples[0]"),
    (_SIG + "formats = ['waagent']\npattern = 'abcdef'\nliteral = 'abc'\nexamples = ['abcdef']\n"
     "flags = 'q'\n", "E1", "signatures[0].pattern"),
    ("['1bad']\nkind = 'error'\n", "1bad", "id"),
    ("[limits.x]\nvalue = true\nunit = 'u'\ntext.en = 't'\n", "limits.x", "value"),
]


@pytest.mark.parametrize(("text", "entry", "field"), BAD_EXTRAS)
def test_bad_extra_gives_one_line_error_naming_file_entry_field(
        tmp_path: Path, text: str, entry: str, field: str) -> None:
    extra = _write(tmp_path, text)
    with pytest.raises(CatalogueError) as info:
        load_catalogue([extra])
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{extra}: entry {entry}: field {field}: "), message
    assert any(p.startswith(f"{extra}: entry {entry}: field {field}: ") for p in validate_file(extra))


@pytest.mark.parametrize(("text", "expected"), [
    ("[E1]\nkind = 'error'\nkind = 'cause'\n", r": line 3: invalid TOML: "),
    ("[E1\n", r": line 1: invalid TOML: "),
])
def test_invalid_toml_names_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    extra = _write(tmp_path, text)
    with pytest.raises(CatalogueError, match=re.escape(str(extra)) + expected):
        load_catalogue([extra])


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue([tmp_path / "missing.toml"])
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"[E1]\ntitle.en = '\xe9'\n")
    with pytest.raises(CatalogueError, match="not UTF-8"):
        load_catalogue([latin])


def test_duplicate_id_across_builtin_files_fails(tmp_path: Path) -> None:
    body = "[E1]\nkind = 'cause'\ntitle.en = 't'\nmessages.en = ['m']\nexamples = ['a']\n"
    one, two = _write(tmp_path, body, "one.toml"), _write(tmp_path, body, "two.toml")
    with pytest.raises(CatalogueError, match=r"two\.toml: entry E1: field id: duplicate id"):
        _build([str(one), str(two)], n_builtin=2)


def test_get_unknown_id_names_it(cat: Catalogue) -> None:
    with pytest.raises(CatalogueError, match="'NoSuchCode'"):
        cat.get("NoSuchCode")


# -- CLI --------------------------------------------------------------------------------------------------

def test_explain_plain_text_shows_messages_causes_steps_and_link(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["explain", "GuestAgentSnapshotTaskStatusError", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Could not communicate with the VM agent for snapshot status" in out
    assert "无法与 VM 代理通信，因此无法获取快照状态" in out
    assert out.index("1. agent-unresponsive-windows") < out.index("2. agent-outdated-linux")
    assert "#guestagentsnapshottaskstatuserror---could-not-communicate" in out
    assert "\x1b[" not in out  # no colour codes when not on a terminal


def test_explain_in_chinese_uses_chinese_steps_and_zh_link(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["explain", "dhcp-disabled", "--lang", "zh-CN"]) == 0
    out = capsys.readouterr().out
    assert "处理步骤" in out and "在来宾操作系统内为网卡重新启用 DHCP" in out
    assert "https://learn.microsoft.com/zh-cn/" in out
    assert "可解释的错误" in out and "GuestAgentSnapshotTaskStatusError" in out
    # The head line too: kind, platform and severity in Chinese, not "cause, platform windows".
    assert out.splitlines()[1] == "根本原因，平台：任意，严重性：错误"


def test_explain_unknown_id_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["explain", "NoSuchCode"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NoSuchCode" in err and "Traceback" not in err


def test_catalogue_list_kinds_and_json(capsys: pytest.CaptureFixture[str], cat: Catalogue) -> None:
    assert cli.main(["catalogue", "list", "--kind", "cause", "--lang", "zh-CN"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == len(cat.causes()) and all(r.split("\t")[1] == "cause" for r in rows)
    assert "来宾" in rows[0]
    assert cli.main(["catalogue", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["id"] for d in data} == set(cat.entries)


def test_catalogue_option_with_bad_extra_exits_2_without_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = _write(tmp_path, "[E1]\nkind = 'error'\ntitle.en = 't'\nexamples = ['a']\n")
    assert cli.main(["catalogue", "list", "--catalogue", str(extra)]) == 2
    err = capsys.readouterr().err
    assert err == f"logparse: error: {extra}: entry E1: field messages.en: " \
                  "an error needs its exact English message (or no_message = true)\n"


def test_catalogue_option_adds_entries_to_explain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = _write(tmp_path, GOOD_EXTRA)
    assert cli.main(["explain", "MyCustomError", "--catalogue", str(extra), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Custom thing failed" in out and "1. dhcp-disabled" in out


def test_catalogue_validate_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, GOOD_EXTRA, "good.toml")
    bad = _write(tmp_path, "[E1]\nkind = 'error'\n", "bad.toml")
    assert cli.main(["catalogue", "validate", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: ok\n"
    assert cli.main(["catalogue", "validate", str(good), str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err and all(line.startswith(f"{bad}: entry E1: field ") for line in err)


@pytest.mark.parametrize("argv", [["explain"], ["catalogue"], ["catalogue", "list"],
                                  ["catalogue", "validate"]])
def test_every_catalogue_command_has_help_with_an_example(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([*argv, "--help"])
    assert info.value.code == 0
    assert "Example: logparse " in capsys.readouterr().out


@pytest.mark.parametrize(("env", "lang"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh-CN"), ({"LANG": "en_US.UTF-8"}, "en"), ({}, "en"),
    ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh-CN"), ({"LC_ALL": "C", "LANG": "zh_CN"}, "en"),
])
def test_default_lang_follows_the_locale(env: dict[str, str], lang: str) -> None:
    assert cli.default_lang(env) == lang


def test_explain_leaves_out_the_message_label_of_an_entry_without_messages(capsys: pytest.CaptureFixture[str]) -> None:
    # A cause known by its log lines alone: an empty "Message" heading read as text gone missing.
    assert cli.main(["explain", "python-missing-linux", "--lang", "en"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "Message" not in lines and lines[2] == "What to do"
