"""job_error: the Sample block, round trips through every surface, agreement, robustness and traps."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logparse import formats
from logparse.formats import job_error
from logparse.formats.job_error import FORMAT, extract_errors
from logparse.grammar import load
from logparse.model import Record


def _records(text: str, *, slow: bool = False) -> list[Record]:
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return list(FORMAT.parse(lines, "t", slow=slow))


def _errors(text: str) -> list[dict[str, object]]:
    return [r.fields for r in extract_errors(text) if r.fields]


def _sample() -> str:
    doc = job_error.__doc__ or ""
    block = doc.split("Sample::\n\n", 1)[1]
    return "\n".join(line[4:] for line in block.rstrip().split("\n")) + "\n"


def test_sample_block() -> None:
    records = _records(_sample())
    assert [(r.line, r.generation, r.line_count) for r in records] == [
        (1, "portal", 4), (5, "portal_zh", 2), (7, "powershell", 2), (9, "arm", 1),
    ]
    portal, chinese, shell, arm = (r.fields or {} for r in records)
    assert portal["code"] == "UserErrorGuestAgentStatusUnavailable"
    assert portal["message"] == "VM Agent unable to communicate with Azure Backup"
    # The wrapped recommendation is joined back into one sentence.
    assert portal["recommendation"] == (
        "Ensure that the latest VM agent is installed and running on the VM, and retry the operation."
    )
    assert (chinese["code"], chinese["language"]) == ("GuestAgentSnapshotTaskStatusError", "zh-CN")
    assert chinese["message"] == "无法与 VM 代理通信，因此无法获取快照状态"
    assert (shell["code"], shell["int_code"], records[2].component) == (None, 123456, "123456")
    assert arm["code"] == "UserErrorGuestAgentStatusUnavailable"
    assert arm["message"] == "The VM agent did not respond."
    assert all(r.level == "ERROR" and r.fields and r.fields["kind"] == "error" for r in records)


# -- round trips: generate an error, render it as each surface prints it, read it back ------

_WORDS = st.sampled_from(
    "VM agent Azure Backup snapshot could not communicate with the status extension failed disk "
    "network retry operation service state 168.63.129.16 (COMSysApp) writers, mount-points size(s) "
    "because due to in a bad is - of for 32 TB".split()
)
_ZH = st.sampled_from("备份 失败 虚拟机 代理 无法 通信 快照 状态 网络 连接 扩展 操作 重试 磁盘 ，".split())
_CODES = st.builds(
    lambda prefix, parts, suffix: prefix + "".join(parts) + suffix,
    st.sampled_from(["UserError", "Extension", "GuestAgent", "BCM", "UserErrorBcm"]),
    st.lists(st.sampled_from(["Vm", "Snapshot", "Agent", "Disk", "Rp", "Collection", "Vss", "Writer"]),
             min_size=1, max_size=3),
    st.sampled_from(["Failed", "Unavailable", "NotFound", "InBadState", "LimitReached", "Error"]),
)
_SENTENCE = st.lists(_WORDS, min_size=1, max_size=14).map(" ".join).map(str.strip)
_ZH_SENTENCE = st.lists(_ZH, min_size=2, max_size=10).map("".join).map(lambda s: s.strip("，") or "备份失败")
# Anything a JSON or Python literal can carry: quotes, brackets, backslashes, CJK.
_FREE = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=60
).map(str.strip).filter(bool)

_PORTAL = {
    "tab": "Error Code\t{c}\nError Message\t{m}\nRecommended Action\t{r}\n",
    "pipe": "Error Code | {c}\nError Message | {m}\nRecommended Action | {r}\n",
    "colon": "Error code: {c}\nError message: {m}\nRecommended action: {r}\n",
    "fullwidth": "Error Code：{c}\nError Message：{m}\nRecommended Action：{r}\n",
    "newline": "Error Code\n{c}\nError Message\n{m}\nRecommended Action\n{r}\n",
    "table": "| Error Code | {c} |\n| Error Message | {m} |\n| Recommended Action | {r} |\n",
    "quoted": "> Error Code: {c}\n> Error Message: {m}\n> Recommended Action: {r}\n",
}


@pytest.mark.parametrize("layout", sorted(_PORTAL))
@given(code=_CODES, message=_SENTENCE, advice=_SENTENCE)
def test_portal_round_trip(layout: str, code: str, message: str, advice: str) -> None:
    text = "Hi, the job failed:\n\n" + _PORTAL[layout].format(c=code, m=message, r=advice) + "\nRegards\n"
    (err,) = _errors(text)
    assert (err["code"], err["message"], err["recommendation"]) == (code, message, advice)
    assert (err["surface"], err["language"], err["labelled"]) == ("portal", "en", True)


@given(code=_CODES, message=_ZH_SENTENCE, advice=_ZH_SENTENCE, bold=st.booleans(), br=st.booleans())
def test_portal_zh_round_trip(code: str, message: str, advice: str, bold: bool, br: bool) -> None:
    mark, tail = ("**" if bold else ""), (" <br>" if br else "")
    text = (
        f"{mark}错误代码{mark}：{code}{tail}\n{mark}错误消息{mark}：{message}{tail}\n"
        f"{mark}建议的操作{mark}：{tail}\n{advice}\n"
    )
    (err,) = _errors(text)
    assert (err["code"], err["message"], err["recommendation"]) == (code, message, advice)
    assert (err["surface"], err["language"]) == ("portal_zh", "zh-CN")


@given(st.integers(100000, 999999), _FREE, _FREE, st.sampled_from(["Failed", "CompletedWithWarnings"]))
def test_cli_json_round_trip(number: int, message: str, advice: str, status: str) -> None:
    job = {
        "name": "job-1",
        "properties": {
            "duration": "0:31:12.402911",
            "endTime": "2024-05-01T10:32:29.844911+00:00",
            "entityFriendlyName": "vm01",
            "errorDetails": [{"errorCode": number, "errorString": message, "errorTitle": "",
                              "recommendations": [advice]}],
            "jobType": "AzureIaaSVMJob",
            "operation": "Backup",
            "startTime": "2024-05-01T10:01:17.442000+00:00",
            "status": status,
        },
    }
    (record,) = [r for r in _records(json.dumps(job, indent=2, ensure_ascii=False)) if not r.unparsed]
    err = record.fields or {}
    assert (err["code"], err["int_code"], err["message"]) == (None, number, message)
    assert err["recommendations"] == [advice]
    assert (err["vm"], err["status"], err["duration_seconds"]) == ("vm01", status, 1872.402911)
    assert record.timestamp == datetime(2024, 5, 1, 10, 1, 17, 442000, tzinfo=UTC)


@given(code=_CODES, message=_FREE, as_json=st.booleans(), prose=st.sampled_from(["", "Failed: ", "> "]))
def test_arm_round_trip(code: str, message: str, as_json: bool, prose: str) -> None:
    body = {"code": code, "message": message}
    text = prose + (json.dumps(body, ensure_ascii=False) if as_json else repr(body)) + "\n"
    (err,) = _errors(text)
    assert (err["code"], err["message"], err["surface"]) == (code, message, "arm")


@given(number=st.integers(1, 999999), message=_SENTENCE, advice=_SENTENCE)
def test_powershell_list_round_trip(number: int, message: str, advice: str) -> None:
    text = f"ErrorCode       : {number}\nErrorMessage    : {message}\nRecommendations : {{{advice}}}\n"
    (err,) = _errors(text)
    assert (err["int_code"], err["message"], err["recommendation"], err["surface"]) == (
        number, message, advice, "powershell"
    )


@given(code=_CODES, message=_SENTENCE)
def test_cmdlet_and_az_round_trip(code: str, message: str) -> None:
    cmdlet = f"ErrorCode: {code}\nErrorMessage: {message}\nStatus: Failed\n"
    az = f"ERROR: ({code}) {message}\nCode: {code}\nMessage: {message}\n"
    (ps,) = _errors(cmdlet)
    (cli,) = _errors(az)
    assert (ps["code"], ps["message"], ps["status"]) == (code, message, "Failed")
    assert (cli["code"], cli["message"], cli["surface"]) == (code, message, "cli_error")


# -- the two matchers agree; no input breaks the grouping ----------------------------------

_PIECES = st.sampled_from([
    "Error Code", "Error Message", "Recommended Action", "错误代码", "错误消息", "建议的操作",
    "ErrorCode", "Recommendations", "Status", "Code", "Message", "ERROR", "Details",
    "UserErrorGuestAgentStatusUnavailable", "DynamicErrorMessage", "OSError", "320001", "(", ")",
    "(BadRequest)", "{", "}", "[", "]", "'code'", '"code"', '"errorCode"', ":", "：", "|", "\t", " ", "-",
    "**", "`", '"', ">", "## ", "1.", "<br>", "<a name=x></a>", ",", "/", "x", "123456", "=",
])


@given(st.lists(_PIECES, min_size=1, max_size=8).map("".join))
def test_fast_matcher_agrees_with_lark(line: str) -> None:
    grammar = load("job_error")
    fast = grammar.match(line)
    if fast is not None:
        fast = (fast[0], {k: v for k, v in fast[1].items() if v is not None})
    assert fast == grammar.parse_slow(line)


@given(st.lists(st.one_of(_PIECES, st.text(max_size=20), st.just("\n")), max_size=40).map("".join))
def test_every_line_in_one_record_and_paths_agree(text: str) -> None:
    fast = _records(text)
    assert [r.to_dict() for r in fast] == [r.to_dict() for r in _records(text, slow=True)]
    lines = text.split("\n")
    expected = len(lines) - (1 if lines[-1] == "" else 0)
    assert sum(r.line_count for r in fast) == expected
    assert [r.line for r in fast] == sorted({r.line for r in fast})


@given(st.text(max_size=300), st.integers(1, 50))
def test_chunking_does_not_matter(text: str, size: int) -> None:
    lines = text.split("\n")
    cut = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    chunks = ["".join(cut[i:i + size]) for i in range(0, len(cut), size)]
    whole = list(FORMAT.parse_chunks(["".join(cut)], "t"))
    assert [r.to_dict() for r in FORMAT.parse_chunks(chunks, "t")] == [r.to_dict() for r in whole]


@pytest.mark.parametrize("text", [
    "\x00\x01{\x00'code'\x00",
    "{" * 100_000,
    "[" + "{'code': 'X', 'message': " * 3000,
    "Error Code: " + "A" * 3_000_000,
    "UserError" + "Ab" * 200_000 + " x",
    '{"properties": {"errorDetails": [{"errorCode": 1e999999, "errorString": "\\ud800"}]}}',
    "ErrorCode : 1\nRecommendations : {never closed\n" + "  more\n" * 50,
])
def test_hostile_input_never_raises(text: str) -> None:
    records = _records(text)
    assert sum(r.line_count for r in records) == len(text.rstrip("\n").split("\n"))


# -- traps (formats.md §6, catalogue.md §4) --------------------------------------------

def test_integer_cli_code_and_durations() -> None:
    text = json.dumps({"properties": {"errorDetails": [{"errorCode": 400238, "errorString": "x"}],
                                      "duration": "PT9.8782791S", "status": "Failed", "operation": "Backup"}})
    (err,) = _errors(text)
    assert (err["code"], err["int_code"], err["duration_seconds"]) == (None, 400238, 9.878279)


def test_job_list_gives_one_record_with_every_error_and_extract_splits_it() -> None:
    jobs = [
        {"properties": {"jobType": "AzureIaaSVMJob", "entityFriendlyName": f"vm{i}", "status": "Failed",
                        "errorDetails": [{"errorCode": i, "errorString": f"m{i}"}, {"errorCode": 10 + i}]}}
        for i in (1, 2)
    ]
    (record,) = _records(json.dumps(jobs, indent=2))
    assert record.line_count == len(json.dumps(jobs, indent=2).split("\n"))
    assert [(e["int_code"], e["vm"]) for e in record.fields["errors"]] == [  # type: ignore[index]
        (1, "vm1"), (11, "vm1"), (2, "vm2"), (12, "vm2"),
    ]
    split = extract_errors(json.dumps(jobs, indent=2))
    assert [(r.component, r.message) for r in split] == [("1", "m1"), ("11", "11"), ("2", "m2"), ("12", "12")]


def test_2016_suffix_is_kept_and_split_out() -> None:
    (err,) = _errors("Error Message: Could not communicate with the VM agent for snapshot status - "
                     "Snapshot VM sub task timed out\nError Code: GuestAgentSnapshotTaskStatusError\n")
    assert err["message"].endswith("- Snapshot VM sub task timed out")  # type: ignore[union-attr]
    assert err["detail"] == "Snapshot VM sub task timed out"


def test_recommended_action_punctuation_is_verbatim() -> None:
    text = "Error Code | ExtensionSnapshotFailedCOM\nRecommended Action | If the issue persists,, restart.\n"
    (err,) = _errors(text)
    assert err["recommendation"] == "If the issue persists,, restart."


def test_quotes_and_markup_are_stripped_only_around_the_whole_value() -> None:
    text = "Error Code: **`OperationNotAllowed`**\nError Message: 'Create Restore Point' failed for 'vm01'\n"
    (err,) = _errors(text)
    assert (err["code"], err["message"]) == ("OperationNotAllowed", "'Create Restore Point' failed for 'vm01'")


def test_wrapped_value_joins_but_following_prose_does_not() -> None:
    text = (
        "Error Message: Snapshot operation failed due to no network connectivity on the\n"
        "virtual machine\n"
        "We tried restarting it already\n"
    )
    records = _records(text)
    assert [r.generation for r in records] == ["portal", "unparsed"]
    assert records[0].message.endswith("connectivity on the virtual machine")
    assert records[0].line_count == 2


def test_chinese_wrap_joins_without_space() -> None:
    first, second = "由于虚拟机上没有网络连接，快照操作失败，请检查虚拟机到存储帐户", "和主机的出站连接"
    (err,) = _errors(f"错误消息：{first}\n{second}\n")
    assert err["message"] == first + second


def test_fullwidth_colon_does_not_make_an_english_label_chinese() -> None:
    (err,) = _errors("Error Code：UserErrorRpCollectionLimitReached\n")
    assert (err["surface"], err["language"]) == ("portal", "en")


def test_prose_is_not_a_label_and_exceptions_are_not_codes() -> None:
    text = "Error code is not shown.\nOSError: [Errno 16] Device or resource busy\nCode: red\nMessage: hi\n"
    assert all(r.unparsed for r in _records(text))


def test_bare_code_takes_the_next_line_unless_it_talks_about_codes() -> None:
    assert _errors("UserErrorVmProvisioningStateFailed\nThe VM is in failed provisioning state\n")[0][
        "message"] == "The VM is in failed provisioning state"
    records = _records("BCMV2VMNotFound\nIs this a ResourceNotFound case?\n")
    assert [r.generation for r in records] == ["bare", "unparsed"]
    assert records[0].fields and records[0].fields["labelled"] is False


def test_cut_document_is_salvaged_and_a_blank_line_ends_it() -> None:
    text = '{\n  "errorDetails": [\n    {"errorCode": 7, "errorString": "cut here\n\nError Code: UserErrorX\n'
    records = _records(text)
    assert [r.generation for r in records] == ["cli_json", "unparsed", "portal"]
    fields = records[0].fields or {}
    assert (fields["int_code"], fields["message"]) == (7, "cut here")
    assert fields["truncated"] is fields["salvaged"] is True


def test_powershell_job_lends_its_fields_to_the_errors_after_it() -> None:
    text = (
        "WorkloadName : vm-db-01\nStatus       : Failed\nStartTime    : 5/1/2024 10:01:17 AM\n\n"
        "PS C:\\> $details.ErrorDetails | Format-List\n\n"
        "ErrorCode    : 400001\nErrorMessage : VM Agent unable to communicate with Azure Backup\n"
    )
    job, err = (r for r in _records(text) if not r.unparsed)
    assert job.fields and job.fields["kind"] == "job"
    assert err.fields and (err.fields["vm"], err.fields["status"]) == ("vm-db-01", "Failed")
    assert (err.timestamp, err.local_time) == (datetime(2024, 5, 1, 10, 1, 17), True)


def test_score_and_detection() -> None:
    ticket = ["Hi,", "", "Error Code | UserErrorGuestAgentStatusUnavailable", "Error Message | VM Agent"]
    agent = [
        "2024-05-01T10:00:03.412907Z INFO ExtHandler ExtHandler {'code': 'X', 'message': 'y'}",
        "2024-05-01T10:00:04.412907Z INFO ExtHandler ExtHandler UserErrorGuestAgentStatusUnavailable",
    ]
    assert FORMAT.score(ticket) >= 0.9
    assert FORMAT.score(agent) <= 0.3
    assert FORMAT.score(['{"level": "info", "msg": "started"}']) == 0.0
    assert formats.detect("ticket-4411.txt", ticket).format == "job_error"
    assert formats.detect("var/log/waagent.log", agent).format == "waagent"
    assert FORMAT.match_path("C:\\cases\\4411.ticket.txt") and FORMAT.match_path("out/backup_job_2.json")
    assert not FORMAT.match_path("var/log/waagent.log")
