"""Tests of the fuzzy matcher (logparse.fuzzy) and the ``logparse match`` command."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import logparse
from logparse.catalogue import load_catalogue
from logparse.catalogue.derive import is_generic
from logparse.cli import main
from logparse.errors import ParseError
from logparse.fuzzy import MatchResult, match, query_text

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = load_catalogue()


def _bench(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benches" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses in the module look themselves up here
    spec.loader.exec_module(module)
    return module


def confident(text: str) -> dict[str, MatchResult]:
    return {r.id: r for r in match(text) if r.confidence >= 0.5}


# -- catalogue invariant: examples match their own entry and no other --------------------------

EXAMPLES = [(e.id, n, ex) for e in CATALOGUE.entries.values() for n, ex in enumerate(e.examples)]


def _bare_generic_code(example: str) -> bool:
    """An example that is a generic platform code and nothing else but a portal label."""
    word = re.sub(r"(?i)^\s*error ?code\s*[|:\t]?\s*", "", example).strip()
    return re.fullmatch(r"[A-Za-z]+", word) is not None and is_generic(word)


@pytest.mark.parametrize(("entry_id", "n", "example"), EXAMPLES, ids=[f"{i}[{n}]" for i, n, _ in EXAMPLES])
def test_catalogue_example_matches_its_entry_and_no_other(entry_id: str, n: int, example: str) -> None:
    results = match(example, CATALOGUE)
    assert results, f"nothing matched {example!r}"
    if _bare_generic_code(example):
        # The Azure-wide error, not yet this backup cause (README: generic codes need backup
        # context): its own entry still comes first, as a hint that says why; in a backup job's
        # error text it is the entry.
        assert results[0].id == entry_id and results[0].confidence < 0.5 and "platform code" in results[0].note
        results = match(example, CATALOGUE, backup=True)
    assert results[0].id == entry_id and results[0].confidence >= 0.5, results[:3]
    others = [r for r in results if r.id != entry_id and r.confidence >= 0.5]
    assert not others, others


# -- the labelled set ---------------------------------------------------------------------------

def test_labelled_cases_meet_precision_and_recall() -> None:
    score, misses = _bench("match_cases").evaluate(0.5)
    assert len(_bench("match_cases").load_cases()) >= 80
    assert score.negatives_hit == 0, misses
    assert score.precision >= 0.95 and score.recall >= 0.95, misses


def test_labelled_cases_have_enough_negatives_and_known_ids() -> None:
    cases = _bench("match_cases").load_cases()
    assert sum(1 for _, _, expected in cases if not expected) >= 20
    unknown = set().union(*(
        set(v.get("unknown", [])) for v in __import__("tomllib").loads(
            (ROOT / "fixtures" / "cases" / "labels.toml").read_text(encoding="utf-8"))["case"].values()))
    for name, _, expected in cases:
        for entry_id in expected - unknown:
            assert entry_id in CATALOGUE.entries, f"{name}: {entry_id} is not a catalogue id"
        for code in expected & unknown:
            assert code not in CATALOGUE.entries, f"{name}: {code} is known, not unknown"


# -- codes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "UserErrorGuestAgentStatusUnavailable",
    "failed with usererrorguestagentstatusunavailable again",
    "USERERRORGUESTAGENTSTATUSUNAVAILABLE",
])
def test_exact_code_any_case_is_about_certain(text: str) -> None:
    top = match(text)[0]
    assert (top.id, top.matched) == ("UserErrorGuestAgentStatusUnavailable", "code")
    assert top.confidence >= 0.95


@pytest.mark.parametrize(("text", "expected"), [
    ("ExtensionSnapshotFailedNoNetwor", "ExtensionSnapshotFailedNoNetwork"),  # truncated
    ("ExtensionSnaphsotFailedNoNetwork", "ExtensionSnapshotFailedNoNetwork"),  # transposed letters
    ("backup fails with usererror vm provisioning state failed", "UserErrorVmProvisioningStateFailed"),  # split
    ("UserErrorSkuNotAvaliable", "UserErrorSkuNotAvailable"),
    ("UserErrorCrossSubscriptionRestoreNotSupportedForCRR", "UserErrorCrossSubscriptionRestoreNotSuppportedForCRR"),
])
def test_misspelt_truncated_or_split_codes_are_high_but_below_exact(text: str, expected: str) -> None:
    top = match(text)[0]
    assert top.id == expected
    assert 0.75 <= top.confidence
    exact = match(expected)[0].confidence
    assert top.confidence <= exact


def test_recased_code_counts_as_exact() -> None:
    top = match("Nightly job failed with BackupOperationFailedV2 at 01:14")[0]
    assert (top.id, top.matched) == ("BackUpOperationFailedV2", "code")


def test_historic_spelling_is_an_alias() -> None:
    assert confident("the job showed ExtentionOperationFailed")["ExtensionOperationFailedForManagedDisks"]


def test_a_capital_typed_twice_is_a_slip_not_another_code() -> None:
    top = match("Backup job failed, error code UserErrorFsFreezeFFailed")[0]
    assert (top.id, top.matched) == ("UserErrorFsFreezeFailed", "fuzzy-code") and top.confidence >= 0.75
    assert all(r.matched != "fuzzy-code" for r in match("Error code: UserErrorFsFreezeFailedV2"))  # a newer code


def test_a_slip_between_two_codes_is_not_a_guess() -> None:
    # Equally far from ...ForOLR and ...ForCRR: neither is claimed.
    assert not confident("UserErrorCrossSubscriptionRestoreNotSuppportedForXRR")


def test_prose_that_reads_like_a_code_is_not_one() -> None:
    assert not confident("The backup operation failed because another backup or recovery operation is running.")


def test_generic_platform_code_needs_backup_context() -> None:
    arm = ("(ResourceNotFound) The Resource 'Microsoft.Compute/virtualMachines/vm9' under resource group 'rg' "
           "was not found.")
    assert "ResourceNotFound" not in confident(arm)
    assert "ResourceNotFound" not in confident("ResourceNotFound")  # the whole question, but any service's code
    backup = "Backup item vm9 in the vault failed: 320001, ResourceNotFound - the VM was deleted"
    assert "ResourceNotFound" in confident(backup)


@pytest.mark.parametrize(("text", "entry_id"), [
    ("BadRequest", "BadRequest"),  # not "restore point API version too old" until the text says so
    ("badrequest", "BadRequest"),
    ("InternalError", "InternalError"),
    ("InternalExecutionError", "InternalError"),  # an alias, as generic
    ("ResourceNotFound", "ResourceNotFound"),
    ("Error Code: ResourceNotFound", "ResourceNotFound"),  # a label says where it stands, not whose it is
    ("AllocationFailed", "AllocationFailed"),
    ("Error Code | OperationNotAllowed", "OperationNotAllowed"),
    ("BadReqest", "BadRequest"),  # a slip of one: never surer than the code itself
    ("404, ResourceNotFound", "ResourceNotFound"),  # a number, but not the backup's for this error
])
def test_a_bare_generic_code_is_a_hint_that_says_why(text: str, entry_id: str) -> None:
    top = match(text)[0]
    assert top.id == entry_id and 0.3 <= top.confidence < 0.5, top
    assert "platform code" in top.note and "backup" in top.note, top
    # A backup job's own error text (triage --error), or words that say it is a backup's, settle it.
    assert match(text, backup=True)[0].confidence >= 0.5
    if text[:1].isupper():  # (in prose, a word in lower case is no code)
        assert entry_id in confident(f"Azure Backup job of vm-01 failed: {text}")


@pytest.mark.parametrize("text", [
    "UserErrorGuestAgentStatusUnavailable", "ExtensionSnapshotFailedNoNetwork", "Error Code | BCMV2VMNotFound",
])
def test_a_bare_specific_code_stays_near_certain(text: str) -> None:
    top = match(text)[0]
    assert top.matched == "code" and top.confidence >= 0.95 and not top.note, top


@pytest.mark.parametrize(("text", "entry_id"), [
    ("320001, ResourceNotFound", "ResourceNotFound"),  # the backup's own number for it, then the code
    ("Could not perform the operation as VM no longer exists.", "ResourceNotFound"),  # its message
    ("This request can be made with api-version '2022-03-01' or newer.", "BadRequest"),
    ("320001", "ResourceNotFound"),
])
def test_a_generic_entry_named_by_more_than_its_code_is_believed_alone(text: str, entry_id: str) -> None:
    top = match(text)[0]
    assert top.id == entry_id and top.confidence >= 0.85 and not top.note, top


@pytest.mark.parametrize("text", [
    "Error Code: ExtensionSnapsho\ntFailedNoNetwork\n",  # cut mid-word by a terminal
    "Error Code: UserErrorCrossSubscription\nRestoreNotSuppportedForOLR",  # cut at a hump
    "> the job says ExtensionSnapshotFai\n> ledNoNetwork, any idea?",  # inside a quoted e-mail
    "job failed: ExtensionSnapshot FailedNoNetwork",  # typed in two CamelCase halves
])
def test_code_cut_by_a_wrap_or_a_space_is_the_code(text: str) -> None:
    top = match(text)[0]
    assert top.matched == "code" and top.confidence >= 0.95
    assert top.id in ("ExtensionSnapshotFailedNoNetwork", "UserErrorCrossSubscriptionRestoreNotSuppportedForOLR")
    # No unknown code made of the first half ("ExtensionSnapsho").
    assert all(r.kind != "unknown-code" for r in match(text))


def test_wrapped_code_span_covers_the_pasted_lines() -> None:
    text = "Job 42\nError Code: ExtensionSnapsho\ntFailedNoNetwork\nsee above"
    top = match(text)[0]
    assert text[top.span[0]:top.span[1]] == "ExtensionSnapsho\ntFailedNoNetwork"


@pytest.mark.parametrize("text", [
    "the deployment hit an internal\nerror while publishing",  # prose words that spell InternalError
    "Backup Operation Failed",  # a title, not BackUpOperationFailed
    "we see Bad Request from the gateway",
])
def test_words_that_happen_to_spell_a_code_stay_words(text: str) -> None:
    assert all(r.matched not in ("code", "joined-code") or r.confidence < 0.5 for r in match(text))


@pytest.mark.parametrize("text", [
    "[Datadog] Monitor triggered: Azure\nVM Offline for web-prod-01",  # an acronym is no CamelCase hump
    "PowerShell Azure VM Offline",
    "Scale set vmss-web: Allocation\nfailed in zone 2; the snapshot pipeline waits",  # whole words, one per line
    "Status\nBackup\noperation\nfailed\nSource\nNAS-01",
])
def test_whole_words_on_separate_lines_or_with_acronyms_are_not_joined(text: str) -> None:
    assert not confident(text)


def test_a_cut_inside_a_word_still_joins() -> None:
    assert confident("job ended: Intern\nalError while creating the restore point")["InternalError"]


@pytest.mark.parametrize("text", [
    "metric vmss_allocationsfailed_total jumped after the restore drill",  # plural word: another name
    "BACKUPOPERATIONSFAILED counter on the mainframe report exceeded 10",
    "Prometheus rule extensionoperationsfailed fired for the Chrome policy rollout",
])
def test_one_case_tokens_with_a_plural_or_two_slips_are_no_code(text: str) -> None:
    assert not confident(text)


@pytest.mark.parametrize("text", [
    "SAP error code: 380008 (posting period not open)", "errorcode=380008 msg=printer jam",
    "错误代码: 380008 订单支付超时",
])
def test_another_products_numbered_error_is_a_hint_at_most(text: str) -> None:
    assert not confident(text)


def test_a_numbered_error_in_backup_context_counts() -> None:
    assert confident("Azure Backup job failed, error code: 380008 (the VM was stopped)")["AzureVmOffline"]
    told = match("error code: 380008 (posting period not open)", backup=True)[0]  # triage --error's text
    assert (told.id, told.matched) == ("AzureVmOffline", "int-code") and told.confidence >= 0.85


@pytest.mark.parametrize("text", [
    "Backup doesn't have sufficient permissions to the SMB share",  # starts like a message, ends elsewhere
    "Snapshot operation failed due to no free\nspace on the datastore",  # the sentence goes on: no cut
    "> The Azure VM agent might be stopped\n> by the customer's GPO",
    "Could not communicate with the vCenter server for snapshot status",  # a whole sentence, other words
])
def test_a_line_that_only_starts_like_a_message_is_not_a_cut_paste(text: str) -> None:
    assert not confident(text)


def test_message_wrapped_mid_word_is_read_whole() -> None:
    text = "Restore Point creation failed due to an internal execu\ntion error while creating VM snapshot."
    top = match(text)[0]
    assert (top.id, top.matched) == ("VMRestorePointInternalError", "message")
    assert top.confidence >= 0.9
    assert "InternalError" not in confident(text)  # "internal execu tion error" is no split code


@pytest.mark.parametrize(("text", "expected"), [
    ("usererrorguestagenstatusunavailable", "UserErrorGuestAgentStatusUnavailable"),
    ("our backup failed with usererrorvmprovisioningstatefaild again", "UserErrorVmProvisioningStateFailed"),
    ("EXTENSIONSNAPSHOTFAILEDNONETWOR", "ExtensionSnapshotFailedNoNetwork"),
])
def test_code_in_one_case_with_a_slip_is_still_the_code(text: str, expected: str) -> None:
    top = match(text)[0]
    assert (top.id, top.matched) == (expected, "fuzzy-code")
    assert 0.75 <= top.confidence < match(expected)[0].confidence


def test_one_case_code_with_letters_added_is_not_the_code() -> None:
    # A newer code that extends a known one, written in lower case: not a typo of it.
    assert "UserErrorGuestAgentStatusUnavailable" not in confident("usererrorguestagentstatusunavailablefornewvm")


@pytest.mark.parametrize(("text", "expected"), [
    ("Snaphsot operation failed due to no network", "ExtensionSnapshotFailedNoNetwork"),  # the README example
    ("Error Message: The snapshot operation failed with the Volume Shadow Copy Service (VSS) operation error",
     "ExtensionSnapshotBitlockerError"),
    ("由于虚拟机上没有网络连接", "ExtensionSnapshotFailedNoNetwork"),
])
def test_message_cut_short_names_its_entry(text: str, expected: str) -> None:
    top = match(text)[0]
    assert (top.id, top.matched) == (expected, "message")
    assert top.confidence >= 0.5


@pytest.mark.parametrize("text", ["Snapshot operation failed due to", "Snapshot operation failed", "VM Agent unable"])
def test_a_start_several_messages_share_names_none(text: str) -> None:
    assert not confident(text)


def test_backup_job_error_text_gives_a_platform_code_its_backup_meaning() -> None:
    block = ("Error Code\tResourceNotFound\nError Message\tCould not perform the operation as VM no longer exists.\n"
             "Recommended Action\tRetry the operation.\n")
    assert "ResourceNotFound" not in confident(block)  # alone, it could be any service's
    top = match(block, backup=True)[0]
    assert top.id == "ResourceNotFound" and top.confidence >= 0.9


# -- a recommendation another entry's message shares, next to the code of the error it recommends for ------------

_NO_NETWORK_JOB = {
    "id": "/subscriptions/3f2a9c4e-81b7-4d62-a0c5-7e19d04b6a11/resourceGroups/rg-vault/providers/"
          "Microsoft.RecoveryServices/vaults/rsv-prod/backupJobs/5d1e0c7a-3b2f-4e6d-9a8c-1f2e3d4c5b6a",
    "name": "5d1e0c7a-3b2f-4e6d-9a8c-1f2e3d4c5b6a",
    "properties": {
        "backupManagementType": "AzureIaasVM", "entityFriendlyName": "web-lnx-02",
        "errorDetails": [{
            "errorCode": "ExtensionSnapshotFailedNoNetwork",
            "errorString": "Snapshot operation failed due to no network connectivity on the virtual machine.",
            "errorTitle": "", "recommendations": ["Ensure that VM has network access."],
        }],
        "jobType": "AzureIaaSVMJob", "operation": "Backup", "status": "Failed",
        "startTime": "2024-05-10T22:00:03+00:00", "endTime": "2024-05-10T22:04:15.500000+00:00",
    },
    "type": "Microsoft.RecoveryServices/vaults/backupJobs",
}
_RECOMMENDATION = "Ensure that VM has network access."  # the second sentence of the RP entry's message
_RP_NO_NETWORK = "VMRestorePointClientError.NoNetwork"


@pytest.mark.parametrize("text", [
    json.dumps(_NO_NETWORK_JOB, indent=2),  # az backup job show
    "Error Code | ExtensionSnapshotFailedNoNetwork\nError Message | Snapshot operation failed due to no network "
    f"connectivity on the virtual machine\nRecommended Action | {_RECOMMENDATION}\n",
    "ErrorCode       : ExtensionSnapshotFailedNoNetwork\nErrorMessage    : Snapshot operation failed due to no "
    f"network connectivity on the virtual machine\nRecommendations : {{{_RECOMMENDATION}}}\n",
    f"Error Code | UserErrorGuestAgentStatusUnavailable\nRecommended Action | {_RECOMMENDATION}\n",
], ids=["az-job-show", "portal", "powershell", "another-code"])
@pytest.mark.parametrize("backup", [False, True])
def test_a_recommendation_next_to_another_errors_code_is_no_finding(text: str, backup: bool) -> None:
    results = {r.id: r for r in match(text, backup=backup)}
    assert len([r for r in results.values() if r.confidence >= 0.5]) == 1, results
    assert results[_RP_NO_NETWORK].confidence < 0.5, results  # a hint still: the words are its message's
    assert results[_RP_NO_NETWORK].evidence == _RECOMMENDATION.casefold().rstrip(".")


@pytest.mark.parametrize("code", ["VMRestorePointClientError", "UserErrorCrpReportedUserError"])
def test_a_recommendation_next_to_its_own_family_or_portal_code_still_counts(code: str) -> None:
    # The family code, or the portal code the RP error surfaces as: the same error's advice.
    assert _RP_NO_NETWORK in confident(f"Error Code | {code}\nRecommended Action | {_RECOMMENDATION}\n")


def test_triage_of_a_job_document_does_not_raise_the_look_alike(tmp_path: Path) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps(_NO_NETWORK_JOB, indent=2), encoding="utf-8")
    result = logparse.triage(str(ROOT / "fixtures" / "bundles" / "linux_healthy"), state_files=[str(job)])
    found = {f.id: f.confidence for f in result.findings}
    assert found.get("ExtensionSnapshotFailedNoNetwork", 0.0) >= 0.9, found
    assert found.get(_RP_NO_NETWORK, 0.0) < 0.5 and found.get("UserErrorCrpReportedUserError", 0.0) < 0.5, found


def test_family_code_with_member_message_names_the_member() -> None:
    text = ("VMRestorePointClientError Restore Point creation failed due to COM+ error. "
            "Please restart windows service COMSysApp")
    got = confident(text)
    assert set(got) == {"VMRestorePointClientError.ComPlus"}


# -- messages -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Could not communicate with the VM agent for snapshot status", "GuestAgentSnapshotTaskStatusError"),
    ("> Snapshot operation failed due to no\n>   network connectivity on the virtual\n>   machine",
     "ExtensionSnapshotFailedNoNetwork"),  # wrapped and quoted
    ("Error Message: Snapshot operation failed because VSS writers were in a bad st",
     "ExtensionFailedVssWriterInBadState"),  # truncated
    ("error: Could not comunicate with the VM agent for snapshot staus", "GuestAgentSnapshotTaskStatusError"),
    ("VM Agent is unable to communicate with the Azure Backup Service.", "UserErrorGuestAgentStatusUnavailable"),
    ("错误消息：由于虚拟机上无网络连接，快照操作失败", "ExtensionSnapshotFailedNoNetwork"),
    ("错误消息：由于某些附加的磁盘已超出\n快照限制，因此快照操作失败", "ExtensionFailedSnapshotLimitReachedError"),
])
def test_messages_partial_wrapped_typoed_reworded_or_chinese(text: str, expected: str) -> None:
    got = confident(text)
    assert set(got) == {expected}
    assert got[expected].matched in ("message", "alias")


def test_shared_wording_reports_both_owners_unless_a_code_decides() -> None:
    message = "Backup failed with an internal error - Please retry the operation in a few minutes"
    assert set(confident(message)) == {"BackUpOperationFailed", "BackUpOperationFailedV2"}
    assert set(confident(f"Error Code: BackUpOperationFailedV2\nError Message: {message}")) == {
        "BackUpOperationFailedV2"}


def test_portal_block_yields_its_own_error_only() -> None:
    block = ("Error Code | ExtensionSnapshotFailedCOM\nError Message | Snapshot operation failed due to COM+ error\n"
             'Recommended Action | Please restart windows service "COM+ System Application" (COMSysApp). '
             "If the issue persists,, restart the VM.\n")
    assert set(confident(block)) == {"ExtensionSnapshotFailedCOM"}


def test_several_errors_in_one_text_are_all_reported() -> None:
    text = ("Monday: UserErrorGuestAgentStatusUnavailable\nTuesday: the job said "
            "'Failed to freeze one or more mount-points of the VM to take a file-system consistent snapshot.'\n"
            "错误代码：UserErrorBackupOperationInProgress\n")
    assert set(confident(text)) == {"UserErrorGuestAgentStatusUnavailable", "UserErrorFsFreezeFailed",
                                    "UserErrorBackupOperationInProgress"}


def test_json_escapes_are_read_as_the_characters_they_stand_for() -> None:
    message = "由于虚拟机上没有网络连接，快照操作失败"
    text = json.dumps({"errorCode": 1, "errorString": message})  # ensure_ascii: \\uXXXX only
    top = match(text)[0]
    assert top.id == "ExtensionSnapshotFailedNoNetwork" and top.confidence >= 0.9
    assert text[top.span[0]:top.span[1]].startswith("\\u7531")  # the span is of the text as pasted
    escaped = match('{"errorString": "The virtual machine doesn\\u0027t exist"}')[0]
    assert escaped.confidence >= match('{"errorString": "The virtual machine doesn\'t exist"}')[0].confidence - 0.01


@pytest.mark.parametrize(("text", "expected"), [
    ("Error code: 380008", "AzureVmOffline"), ("320001", "ResourceNotFound"), ("错误代码：400094", "BCMV2VMNotFound"),
])
def test_the_docs_numeric_codes_name_their_entry(text: str, expected: str) -> None:
    top = match(text)[0]
    assert (top.id, top.matched) == (expected, "int-code") and top.confidence >= 0.85


def test_a_number_in_prose_is_no_code() -> None:
    assert all(r.matched != "int-code" for r in match("we have 320001 files in the share and the backup ran fine"))


def test_cli_json_integer_code_matches_through_the_string() -> None:
    text = '{"errorCode": 123456, "errorString": "Copying backed up data from vault timed out", "errorTitle": ""}'
    assert set(confident(text)) == {"CopyingVHDsFromBackUpVaultTakingLongTime"}


@pytest.mark.parametrize("text", [
    "AWS Backup: An internal error occurred. Please retry the operation in a few minutes.",
    "wbadmin: The backup operation failed because another backup or recovery operation is in progress.",
    "Failed to quiesce the virtual machine. An error occurred while saving the snapshot.",
    "The SSM Agent was unable to communicate with the Systems Manager endpoint.",
    "创建快照失败：磁盘当前状态不支持该操作，请稍后重试。",
    '{"status": "Completed", "errorDetails": null, "operation": "Backup"}',
])
def test_other_products_and_healthy_output_report_nothing_confident(text: str) -> None:
    assert not confident(text)


# Another product's error in a catalogue message's frame: the words the catalogue seldom uses
# ("provisioning", "key vault", "Volume Shadow Copy") are there, its own subject is not.
@pytest.mark.parametrize(("text", "entry"), [
    ("The cluster is in failed provisioning state; please reconcile the cluster before performing this operation.",
     "UserErrorVmProvisioningStateFailed"),
    ("MongoDB: Backup failed: another backup operation is currently in progress for this cluster",
     "UserErrorBackupOperationInProgress"),
    ("Unable to initiate scan as another scan operation is currently in progress",
     "UserErrorBackupOperationInProgress"),
    ("The function app doesn't have sufficient permissions to the key vault for reading secrets.",
     "UserErrorKeyvaultPermissionsNotConfigured"),
    ("The configured disk size is currently not supported by Azure Site Recovery.", "UserErrorUnsupportedDiskSize"),
    ("Volume Shadow Copy Service error: A critical component required by the Volume Shadow Copy service is not "
     "registered.", "ExtensionFailedVssServiceInBadState"),
    ("There is no network connectivity on the virtual adapter; the VM cannot reach the gateway.",
     "ExtensionSnapshotFailedNoNetwork"),
    ("Database is not in a state that allows backups.", "UserErrorVmNotInDesirableState"),
    ("Site Recovery 当前不支持配置的磁盘大小。", "UserErrorUnsupportedDiskSize"),
    ("由于存储池中的可用空间不足，无法复制卷。", "UserErrorBCMPremiumStorageQuotaError"),
    ("集群处于预配失败状态", "UserErrorVmProvisioningStateFailed"),
])
def test_another_products_sentence_in_a_catalogue_frame_is_a_hint(text: str, entry: str) -> None:
    assert not confident(text)
    assert any(r.id == entry for r in match(text))  # still shown, below the action threshold


@pytest.mark.parametrize("text", [
    "unable to load certificate",  # `openssl x509` says just this
    "$ openssl x509 -in site.crt -noout\nunable to load certificate\n1403:error:0909006C:PEM routines:no start line",
    "虚拟机不存在或已被删除。",
    "PowerCLI: The virtual machine doesn't exist in the inventory of host esx-07.",  # the sentence goes on
    "Veeam: Backup failed due to an error. See the job log for details.",
])
def test_a_few_generic_words_are_no_proof_without_azure_backup(text: str) -> None:
    assert not confident(text)


def test_the_same_words_are_proof_in_a_paste_from_azure_backup() -> None:
    line = "2024/05/01 22:00:01 ERROR:[Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0]unable to load certificate"
    assert set(confident(line)) == {"FailedHandlerGuestAgentCertificateNotFound"}
    assert set(confident("Error Code: BCMV2VMNotFound\n错误消息：虚拟机不存在")) == {"BCMV2VMNotFound"}


def test_agent_log_signature_in_plain_words_needs_that_log() -> None:
    assert not confident("ifup eth1: DHCP not available, falling back to link-local 169.254.12.7")
    assert not confident("ERROR: Failed to download artifacts from the build server: 404 Not Found")
    waagent = "2024-05-01T10:06:02.113009Z WARNING EnvHandler ExtHandler Dhcp client is not running."
    assert set(confident(waagent)) == {"dhcp-disabled"}
    assert set(confident("[00000008] [06/12/2020 03:01:44.12] [ERROR] InstallPlugins() failed with exception: x")) == {
        "extension-provisioning-failed"}  # a program's own name is proof anywhere


def test_two_hints_for_one_entry_do_not_make_proof() -> None:
    # The message and its blog variant each half match the same line: one piece of evidence, twice.
    assert not confident("Volume Shadow Copy Service warning: ESENT is in a bad state. hr = 0x800423f4")


@pytest.mark.parametrize(("text", "expected"), [
    ("Error: Snapshot operation due to no network connectivity on the virtual machine",  # a word dropped
     "ExtensionSnapshotFailedNoNetwork"),
    ("Error Message: Extension state is not supportive to t", "ExtensionStuckInDeletionState"),  # cut mid-word
    ("a concurrent 'Create RestorePoint' operation was triggered on the VM",  # starts late
     "VMRestorePointClientError.ConcurrentOperation"),
    ("The snapshot status cannot be retrieved or a snapshot cannot be taken", "snapshot-status-unavailable"),
    ("错误消息：备份服务对 Key Vault 没有足够的权限，无法备份", "UserErrorKeyvaultPermissionsNotConfigured"),
    ("您好，虚拟机 fs-02 的备份作业失败，错误消息：VM 处于预配失败状态 请协助处理。",  # a space ends a Chinese sentence
     "UserErrorVmProvisioningStateFailed"),
])
def test_dropped_cut_or_contracted_words_are_not_another_sentence(text: str, expected: str) -> None:
    assert set(confident(text)) == {expected}


def test_a_paraphrase_is_believed_where_the_text_comes_from_azure_backup() -> None:
    advice = "Remove the lock on the restore point resource group and retry the operation."
    assert not confident(advice)
    assert "rp-resource-group-lock" in confident(f"Error Code: UserErrorRpCollectionLimitReached\n{advice}")


# -- unknown codes ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Error Code: UserErrorDiskEncryptionSetKeyMissing\nError Message: the key could not be read",
    '{"error": {"code": "BMSUserErrorProtectionPolicyMismatch", "message": "policy mismatch"}}',
    "错误代码：UserErrorVmSnapshotLockedByPolicy",
    "ErrorCode: CloudTransientStorageError, ErrorMessage: transient storage error",
    "Error Code\tExtensionHandlerVersionBlocked",
])
def test_unknown_code_at_a_code_position_surfaces(text: str) -> None:
    unknown = [r for r in match(text) if r.kind == "unknown-code"]
    assert len(unknown) == 1
    assert unknown[0].confidence >= 0.5 and unknown[0].id in text and unknown[0].matched == "unknown-code"


def test_unknown_code_shapes_in_prose_or_other_shapes_are_not_reported() -> None:
    assert not confident("our UserErrorHandler middleware and the ExtensionManager class crash")
    assert not confident('{"code": "DeploymentFailed", "message": "At least one resource deployment failed."}')


def test_new_variant_of_a_known_code_is_unknown_plus_its_family() -> None:
    results = {r.id: r for r in match("Error Code: UserErrorVmProvisioningStateFailedV3")}
    assert results["UserErrorVmProvisioningStateFailedV3"].kind == "unknown-code"
    family = results["UserErrorVmProvisioningStateFailed"]
    assert family.matched == "code-family" and family.confidence < results[
        "UserErrorVmProvisioningStateFailedV3"].confidence


def test_typo_at_a_code_position_is_the_known_code_not_an_unknown_one() -> None:
    results = match("Error Code: UserErrorGuestAgentStatusUnavailible")
    assert [r.id for r in results if r.confidence >= 0.5] == ["UserErrorGuestAgentStatusUnavailable"]


# -- API shape and robustness -------------------------------------------------------------------

def test_result_is_plain_and_serialisable() -> None:
    result = logparse.match("UserErrorFsFreezeFailed", top=1, lang="zh-CN")[0]
    data = result.to_dict()
    assert set(data) >= {"id", "kind", "confidence", "title", "matched", "language", "evidence"}
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert result.title == CATALOGUE.entries["UserErrorFsFreezeFailed"].title["zh-CN"]


@given(st.text(max_size=400))
def test_any_text_gives_sorted_confidences_in_range(text: str) -> None:
    results = match(text)
    assert all(0.0 <= r.confidence <= 1.0 for r in results)
    assert [r.confidence for r in results] == sorted((r.confidence for r in results), reverse=True)


_PIECES = st.sampled_from(["ExtensionSnapsho", "tFailedNoNetwork", "\n", " ", "> ", "\\u0027", "\\u7531",
                           "execu", "tion", "UserErrorGuest", "AgentStatusUnavailable", "错误代码：", "320001",
                           "Snapshot operation failed due to", "\r\n", "é", "\t"])


@given(st.lists(_PIECES | st.text(max_size=12), max_size=30).map("".join))
def test_spans_of_rewritten_text_point_into_the_paste(text: str) -> None:
    # Rejoined wraps and undone escapes change offsets: every span must still lie in the paste
    # (as pasted, or NFKC-folded when folding changed lengths: "¼" folds to three characters).
    from logparse.fuzzy.index import fold

    for r in match(text):
        assert 0 <= r.span[0] <= r.span[1] <= max(len(text.casefold()), len(fold(text)))


def test_large_text_is_handled() -> None:
    filler = "The VM runs Ubuntu and the backup policy is daily. " * 4000  # about 200 KB
    assert set(confident(filler + " UserErrorFsFreezeFailed ")) == {"UserErrorFsFreezeFailed"}


@pytest.mark.parametrize("encoding", ["utf-16", "gb18030"])
def test_windows_encodings_of_a_paste_are_read(encoding: str) -> None:
    # PowerShell 5.1 redirects to UTF-16 with a BOM; older Chinese Windows tools save GBK.
    text = "错误代码：GuestAgentSnapshotTaskStatusError\n错误消息：由于虚拟机上没有网络连接，快照操作失败\n"
    decoded = query_text(text.encode(encoding))
    assert decoded.strip() == text.strip()
    assert "GuestAgentSnapshotTaskStatusError" in confident(decoded)


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "no text"), (b" \n\t ", "no text"), (b"abc\x00def", "binary"),
    (bytes(range(128, 256)) * 40, "not UTF-8"), (b"x" * (2 << 20), "larger"),
])
def test_bad_input_is_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        query_text(data)


# -- the command --------------------------------------------------------------------------------

def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_cli_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "--json", "--lang", "en", "ExtensionSnapshotFailedNoNetwor"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"] == "ExtensionSnapshotFailedNoNetwor"
    first = out["matches"][0]
    assert first["id"] == "ExtensionSnapshotFailedNoNetwork" and first["kind"] == "error"
    assert first["matched"] == "fuzzy-code" and first["language"] == "en" and 0.5 <= first["confidence"] <= 1
    assert isinstance(first["title"], str) and first["title"]


def test_cli_reads_stdin_and_prints_plain_lines(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, "错误代码：UserErrorVmProvisioningStateFailed\n".encode())
    assert main(["match", "--top", "1"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.split("\t")[1:4] == ["UserErrorVmProvisioningStateFailed", "error", "code"]


def test_cli_no_match_is_still_success(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "--json", "just a friendly hello"]) == 0
    assert json.loads(capsys.readouterr().out)["matches"] == []


@pytest.mark.parametrize("data", [b"", b"   \n", b"\x00\x01\x02" * 1000, b"\xff\xfe\xfa" * 400000])
def test_cli_bad_stdin_is_one_line_and_exit_2(data: bytes, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, data)
    assert main(["match", "-"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("logparse: error: match:") and err.count("\n") == 1 and "Traceback" not in err


def test_cli_bad_extra_catalogue_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "extra.toml"
    bad.write_text("[NewCode]\nkind = 'error'\n", encoding="utf-8")
    assert main(["match", "--catalogue", str(bad), "UserErrorFsFreezeFailed"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_cli_extra_catalogue_entry_is_matched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = tmp_path / "extra.toml"
    extra.write_text(
        "[UserErrorBrandNewThing]\nkind = 'error'\ntitle.en = 'A brand new thing'\n"
        "messages.en = ['The brand new thing went wrong in a very specific way.']\n"
        "examples = ['UserErrorBrandNewThing']\n", encoding="utf-8")
    assert main(["match", "--json", "--catalogue", str(extra), "Error Code: UserErrorBrandNewThing"]) == 0
    first = json.loads(capsys.readouterr().out)["matches"][0]
    assert (first["id"], first["kind"]) == ("UserErrorBrandNewThing", "error")


@given(st.text(alphabet=st.sampled_from("ab9 _-.\n:错误代码ÉéＡ（）"), max_size=60))
def test_query_tokens_and_offsets_agree_with_the_index_tokeniser(text: str) -> None:
    from logparse.fuzzy.index import tokens
    from logparse.fuzzy.query import Query

    query = Query(text)
    words, starts = query.tokens
    assert list(zip(words, starts, strict=True)) == tokens(query.folded)


# -- a code cut short: a proper prefix of catalogue codes --------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("ExtensionSnapshotFailedNoNe", "ExtensionSnapshotFailedNoNetwork"),
    ("ExtensionSnapshotFailedNoNet", "ExtensionSnapshotFailedNoNetwork"),
    ("UserErrorGuestAgentStatusUnava", "UserErrorGuestAgentStatusUnavailable"),
    ("UserErrorGuestAgentStatus", "UserErrorGuestAgentStatusUnavailable"),
    ("GuestAgentSnapshotTaskStatusE", "GuestAgentSnapshotTaskStatusError"),
    ("UserErrorVmProvisioningState", "UserErrorVmProvisioningStateFailed"),
    ("UserErrorBcmDatasourceNot", "UserErrorBcmDatasourceNotPresent"),
    ("usererrorvmprovisioningstate", "UserErrorVmProvisioningStateFailed"),
    ("backups fail with GuestAgentSnapshotTaskStatus since monday", "GuestAgentSnapshotTaskStatusError"),
])
def test_a_code_cut_short_reads_as_the_one_code_it_starts(text: str, expected: str) -> None:
    results = match(text)
    assert results and results[0].id == expected and 0.6 <= results[0].confidence < 0.97, results[:3]
    assert all(r.confidence < 0.5 for r in results[1:]), results[:3]


def test_a_longer_cut_is_surer() -> None:
    short = match("UserErrorGuestAgentStatus")[0].confidence
    longer = match("UserErrorGuestAgentStatusUnava")[0].confidence
    assert short < longer


def test_a_cut_that_several_codes_start_ranks_them_and_names_none() -> None:
    results = match("ExtensionSnapshotFailedNo")
    ids = [r.id for r in results]
    # "No" is not "COM": the letters after the cut must not contradict the code.
    assert "ExtensionSnapshotFailedCOM" not in ids, results
    assert ids[:2] == ["ExtensionSnapshotFailedNoNetwork", "ExtensionSnapshotFailedNoSecureNetwork"], results
    assert all(r.confidence < 0.5 for r in results), results
    assert not confident("ExtensionSnapshotFailed")
    assert not confident("UserErrorCrossSubscriptionRestore")


@pytest.mark.parametrize("text", [
    "ExtensionSnapshotFailedNoNe", "ExtensionSnapshotFailedNo", "UserErrorGuestAgentStatus",
])
def test_a_cut_never_reads_as_a_code_it_contradicts(text: str) -> None:
    for r in match(text):
        assert CATALOGUE.get(r.id).id.casefold().startswith(text.casefold()), r


@pytest.mark.parametrize("text", [
    "The Extension is installed",  # short words, no code
    "VMSnapshotLinux extension 1.0.9.0 handler installation",
    "InternalExecution of the job",  # the stem of a generic platform code
    "UserErrorGuest",  # too short to say which
])
def test_a_generic_stem_is_no_code(text: str) -> None:
    assert not confident(text)


# -- generic words are no proof, in any context; the specific message ranks first ----------------------------

@pytest.mark.parametrize("backup", [False, True])
def test_generic_ticket_prose_is_no_proof_even_in_backup_context(backup: bool) -> None:
    results = match("The backup failed due to an error, see below", backup=backup)
    assert all(r.confidence < 0.5 for r in results), results


def test_triage_error_with_generic_prose_finds_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["triage", str(ROOT / "fixtures/bundles/linux_healthy"), "--error",
                 "The backup failed due to an error, see below", "--fail-on", "error"])
    assert code == 0, capsys.readouterr().out


def test_one_context_word_is_no_evidence_of_a_message() -> None:
    # "backup" alone is every backup message's word, not UserErrorCrpReportedUserError's.
    results = match("The configured disk size is not supported by Azure Backup")
    assert results[0].id == "UserErrorUnsupportedDiskSize" and results[0].confidence >= 0.5, results
    assert "UserErrorCrpReportedUserError" not in [r.id for r in results], results


# -- calibration of exact messages ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("VMSnapshot extension operation failed", "ExtensionOperationFailedForManagedDisks"),
    ("The VM is in failed provisioning state", "UserErrorVmProvisioningStateFailed"),
    ("Snaphsot operation failed due to no network", "ExtensionSnapshotFailedNoNetwork"),  # the README's example
])
def test_a_short_exact_message_with_words_of_its_own_is_well_over_the_bar(text: str, expected: str) -> None:
    top = match(text)[0]
    assert top.id == expected and top.confidence >= 0.65, top


def test_generic_exact_messages_stay_modest() -> None:
    # Every word of it is in any backup product's errors: believed, not more.
    top = match("Backup failed due to an error. For details, see Job Error Message Details.")[0]
    assert top.id == "UserErrorCrpReportedUserError" and 0.5 <= top.confidence < 0.65, top
    assert not confident("The cluster is in failed provisioning state")


def test_a_doc_heading_of_a_shared_message_is_a_hint_for_both_owners() -> None:
    results = {r.id: r.confidence for r in match("Backup failed with an internal error")}
    assert set(results) == {"BackUpOperationFailed", "BackUpOperationFailedV2"}, results
    assert all(0.3 <= c < 0.5 for c in results.values()), results


def test_a_chinese_message_with_a_word_dropped_is_still_believed() -> None:
    top = match("VM 代理无法与 Azure 备份通信")[0]
    assert top.id == "UserErrorGuestAgentStatusUnavailable" and top.confidence >= 0.5, top
    assert not confident("VM 代理无法与阿里云备份通信")


# -- a code the paste may have cut where it ends ------------------------------------------------------------

@pytest.mark.parametrize(("cut", "whole"), [
    ("BackUpOperationFailed...", "Error Code: BackUpOperationFailed (retried twice, same result)"),
    ("Error Code: BackUpOperationFailed\u2026", "BackUpOperationFailed... then BackUpOperationFailed again at 02:00"),
    ("Error Code | BackUpOperationFailed...", "Error Code | BackUpOperationFailed\nError Message | Backup failed with "
     "an internal error - Please retry the operation in a few minutes\n"),
])
def test_a_code_cut_at_an_ellipsis_ties_with_the_longer_code_it_may_be(cut: str, whole: str) -> None:
    results = {r.id: r for r in match(cut)}
    assert set(results) == {"BackUpOperationFailed", "BackUpOperationFailedV2"}, results
    short, longer = results["BackUpOperationFailed"], results["BackUpOperationFailedV2"]
    assert short.confidence == longer.confidence < 0.5, results
    assert short.ties == ("BackUpOperationFailedV2",) and longer.ties == ("BackUpOperationFailed",)
    assert "cut" in short.note and "BackUpOperationFailedV2" in short.note and "cut" in longer.note
    # Followed by more text somewhere, it is the code as written.
    results = {r.id: r for r in match(whole)}
    assert results["BackUpOperationFailed"].confidence >= 0.95 and "BackUpOperationFailedV2" not in results, results


def test_a_code_ending_the_text_is_believed_a_little_less_with_the_longer_code_a_hint() -> None:
    results = {r.id: r for r in match("Error Code: BackUpOperationFailed")}
    assert 0.5 <= results["BackUpOperationFailed"].confidence < match("BackUpOperationFailed retried")[0].confidence
    assert results["BackUpOperationFailedV2"].confidence < 0.5 and results["BackUpOperationFailedV2"].note


# -- a catalogue phrase in another product's text needs corroboration ----------------------------------------

@pytest.mark.parametrize(("other", "ours", "entry_id"), [
    ("ArgoCD sync error: Workload Patch failed with error message: the server rejected our request",
     "VMSnapshotLinux extension.log: Workload Patch failed with error message: ORA-01031", "FailedWorkload"),
    ("kubectl apply: Workload Patch failed with error message: deployments.apps \"web\" not found",
     "Workload Patch failed with error message", "FailedWorkload"),  # the whole question
    ("Veeam Agent for Linux: Enable failed with error: freeze took longer than timeout",
     "Azure Backup of vm-app-02 fails nightly, extension.log says: freeze took longer than timeout",
     "FailedRetryableFsFreezeTimeout"),
    ("Terraform: azurerm_linux_virtual_machine.app: OS Provisioning did not finish in the allotted time.",
     "Restore point creation failed: OS Provisioning did not finish in the allotted time.",
     "OSProvisioningClientError"),
    ("Deployment failed. Code: OSProvisioningTimedOut. Message: OS Provisioning for VM 'web01' did not finish in "
     "the allotted time. The VM may still finish provisioning successfully.",
     "OS Provisioning did not finish in the allotted time.", "OSProvisioningClientError"),
    ("vCenter: The virtual machine doesn't exist. Refresh the inventory.",
     "Azure Backup: The virtual machine doesn't exist", "BCMV2VMNotFound"),
])
def test_a_catalogue_phrase_needs_corroboration_in_another_products_text(other: str, ours: str,
                                                                          entry_id: str) -> None:
    results = {r.id: r.confidence for r in match(other)}
    assert 0.3 <= results[entry_id] < 0.5, results  # a hint: shown, not acted on
    assert entry_id in confident(ours)  # alone, or with backup context, the same words are believed


# -- Chinese slips of one character ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected", "not_a_slip"), [
    ("VM 处于预配失亲败状态", "UserErrorVmProvisioningStateFailed", "VM 处于预配成功状态"),  # inserted; another word
    ("无法分析备份扩展的置。", "ExtensionConfigParsingFailure", "无法分析配置文件，请检查 YAML 格式"),  # dropped
    ("无法与 VM 代理通信，因此无法获证快照状态", "GuestAgentSnapshotTaskStatusError", "VM 代理无法与阿里云备份通信"),
    # replaced next to the end; 没 replaced is a negation changed, another sentence
    ("由于虚拟机上没有网络连接，快照操作向败", "ExtensionSnapshotFailedNoNetwork",
     "由于虚拟机上表有网络连接，快照操作失败"),
    ("无法启动备份，因为另一个备份操作当前正在进线中", "UserErrorBackupOperationInProgress",
     "快照操作失败，因为磁盘已被锁定"),
])
def test_a_chinese_message_with_one_character_slipped_is_believed(text: str, expected: str, not_a_slip: str) -> None:
    assert set(confident(text)) == {expected}
    assert not confident(not_a_slip)
    assert not confident("虚拟机已存在")  # 不 -> 已 is no slip either


# -- short codes with a slip of one letter -----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected", "prose"), [
    ("Error: FailedPrepst", "FailedPrepost", "FaildPrepst"),  # two slips in thirteen letters
    ("extension status: FaildWorkload", "FailedWorkload", "We use PowerShell and JavaScript to automate the VMs"),
    # (generic codes: in a backup's text, see test_a_bare_generic_code_is_a_hint_that_says_why)
    ("backup job failed: BadReqest", "BadRequest", "BadRequests"),  # a plural: another word
    ("restore point creation: InternalEror", "InternalError", "InternalEvents"),
    ("AzuremOffline", "AzureVmOffline", "the AllocationFailure counter"),  # two letters from AllocationFailed
    ("ExtensionSSnapshotFailedCOM", "ExtensionSnapshotFailedCOM", "ExtensionsSnapshot"),  # a capital typed twice
])
def test_a_short_code_with_one_slip_is_believed_moderately(text: str, expected: str, prose: str) -> None:
    top = match(text)[0]
    assert (top.id, top.matched) == (expected, "fuzzy-code") and 0.5 <= top.confidence < 0.9, top
    assert all(r.matched != "fuzzy-code" for r in match(prose)), match(prose)


# -- a text several entries' messages share: a tie, with its reason -----------------------------------------------

_CROSS_SUBSCRIPTION = {e.id for e in CATALOGUE.entries.values()
                       if any(m.startswith("Operation failed as Cross Subscription Restore is not supported")
                              for m in e.messages.get("en", ()))}


@pytest.mark.parametrize("text", ["Error Message: Operation failed as Cross Subscription Restore is not supported",
                                  "Cross Subscription Restore is not supported"])
def test_a_start_several_messages_share_ties_them_and_says_why(text: str) -> None:
    assert len(_CROSS_SUBSCRIPTION) == 6
    results = {r.id: r for r in match(text)}
    assert set(results) == _CROSS_SUBSCRIPTION, results
    assert len({r.confidence for r in results.values()}) == 1 and all(r.confidence < 0.5 for r in results.values())
    for r in results.values():
        assert set(r.ties) == _CROSS_SUBSCRIPTION - {r.id} and "6 entries" in r.note, r


def test_the_whole_message_of_one_of_them_is_still_believed_alone() -> None:
    text = "Operation failed as Cross Subscription Restore is not supported for Encrypted Azure VMs."
    assert set(confident(text)) == {"UserErrorCrossSubscriptionRestoreNotSuppportedForEncryptedAzureVM"}
    assert not match(text)[0].ties


def test_a_whole_message_two_entries_share_names_the_other() -> None:
    message = "Backup failed with an internal error - Please retry the operation in a few minutes"
    results = {r.id: r for r in match(message)}
    assert results["BackUpOperationFailed"].ties == ("BackUpOperationFailedV2",)
    assert results["BackUpOperationFailedV2"].ties == ("BackUpOperationFailed",)
    assert all(r.confidence >= 0.5 for r in results.values())
    data = results["BackUpOperationFailed"].to_dict()
    assert data["ties"] == ["BackUpOperationFailedV2"] and "same message" in data["note"]


# -- "the virtual machine doesn't exist": the same answer in English and Chinese ------------------------------------

@pytest.mark.parametrize(("english", "chinese", "believed"), [
    ("The virtual machine doesn't exist", "虚拟机不存在", True),  # the whole question
    ("Error Message: The virtual machine doesn't exist", "错误消息：虚拟机不存在", True),  # a label
    ("Backup failed: The virtual machine doesn't exist", "备份失败：虚拟机不存在", True),  # about backups
    ("Job failed. The virtual machine doesn't exist.", "作业失败。虚拟机不存在。", True),
    ("Huawei Cloud ECS console: The virtual machine doesn't exist.", "华为云 ECS 控制台提示：虚拟机不存在。", False),
    ("The virtual machine doesn't exist or was deleted", "虚拟机不存在或已被删除", False),
])
def test_vm_does_not_exist_is_judged_alike_in_english_and_chinese(english: str, chinese: str, believed: bool) -> None:
    for text in (english, chinese):
        results = {r.id: r.confidence for r in match(text)}
        assert ("BCMV2VMNotFound" in confident(text)) is believed, (text, results)
        assert results.get("BCMV2VMNotFound", 0.0) < 0.9, (text, results)  # four everyday words: never near-certain
