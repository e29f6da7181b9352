"""Backup jobs: ``az backup job show``/``list``, ``Get-AzRecoveryServicesBackupJob[Detail]`` and REST.

Facts per job (subject: the job id): ``job.operation``, ``job.status``, ``job.vm``,
``job.start`` and ``job.end`` (times), ``job.duration_s``, and per error ``job.error_code``
(an integer on REST, CLI and PowerShell; a symbolic name where a surface gives one) with
``job.error_string``. A job's window focuses the log evidence when the document is given
with ``--state`` (see ``window``).

Sample::

    {"name": "11111111-2222-3333-4444-555555555555", "properties": {"operation": "Backup", "status": "Failed",
     "entityFriendlyName": "vm01", "startTime": "2024-05-01T10:01:17.442000+00:00",
     "endTime": "2024-05-01T11:31:21.554100+00:00", "jobType": "AzureIaaSVMJob",
     "errorDetails": [{"errorCode": 400046, "errorString": "Could not communicate with the VM agent"}]}}
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from logparse.formats._time import duration_seconds
from logparse.state._doc import Facts, Node, records, when
from logparse.state.model import Fact

KIND = "backup_job"
# How far around a job the logs are read: the agent's trouble often starts before the job does.
WINDOW_BEFORE = timedelta(hours=2)
WINDOW_AFTER = timedelta(minutes=30)


def read(root: Node, facts: Facts) -> None:
    for index, job in enumerate(records(root)):
        id_node = job.get("jobId", "name", "activityId")
        subject = (id_node.text() if id_node is not None else None) or f"job{index}"
        for fact, names in (("job.operation", ("operation",)), ("job.status", ("status",)),
                            ("job.vm", ("entityFriendlyName", "workloadName")), ("job.type", ("jobType",))):
            facts.take(fact, job.get(*names), subject=subject)
        start, end = job.get("startTime"), job.get("endTime")
        start_at, end_at = when(start), when(end)
        facts.add("job.start", start_at, start.path if start else "", subject=subject, time=start_at)
        facts.add("job.end", end_at, end.path if end else "", subject=subject, time=end_at)
        duration = job.get("duration")
        if duration is not None:
            seconds = _seconds(duration)
            facts.add("job.duration_s", seconds, duration.path, subject=subject)
        for error in job.each("errorDetails"):
            code = error.get("errorCode", "code")
            if code is not None:
                facts.add("job.error_code", code.integer() if isinstance(code.value, int) else code.text(),
                          code.path, subject=subject, time=end_at or start_at)
            facts.take("job.error_string", error.get("errorString", "errorMessage", "message"), subject=subject,
                       time=end_at or start_at)


def _seconds(node: Node) -> float | None:
    if isinstance(node.value, dict):  # PowerShell ConvertTo-Json of a TimeSpan
        total = node.get("TotalSeconds")
        return total.number() if total is not None else None
    text = node.text()
    return duration_seconds(text) if text else None


def window(facts: list[Fact]) -> tuple[datetime, datetime | None, str] | None:
    """``(since, until, job id)`` around the latest failed job (else the latest job) with a start time."""
    jobs: dict[str, dict[str, str]] = {}
    for fact in facts:
        if fact.name in ("job.start", "job.end", "job.status") and fact.subject and isinstance(fact.value, str):
            jobs.setdefault(fact.subject, {})[fact.name] = fact.value
    timed = [(values.get("job.status", "").casefold() == "failed", values["job.start"], subject)
             for subject, values in jobs.items() if "job.start" in values]
    if not timed:
        return None
    _, start_text, subject = max(timed)
    start = aware(start_text)
    if start is None:
        return None
    end = aware(jobs[subject].get("job.end", ""))
    return start - WINDOW_BEFORE, (end + WINDOW_AFTER) if end else None, subject


def aware(text: str) -> datetime | None:
    """An ISO time with its zone; one written without a zone is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    # PowerShell's en-US times carry no zone; the customer's zone is unknown here, so UTC it is.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
