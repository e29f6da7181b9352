"""Facts -> catalogue entries, by the seed's own mapping: small tables per fact, a few rules with context.

Per document (``document``), each rule cites the fact (its JSON path and value) it stands on:

* agent not Ready, or never reported, on a VM that is (or may be) running ->
  ``UserErrorGuestAgentStatusUnavailable`` and the platform's agent cause;
* an extension failed or still transitioning, a handler Not Ready, a VM in the failed (or
  Updating) provisioning state -> ``UserErrorVmProvisioningStateFailed`` and
  ``extension-provisioning-failed``;
* a lock on ``AzureBackupRG_<geo>_<n>`` (or on a restore point collection, or on the
  subscription) -> ``rp-resource-group-lock``;
* restore points of one VM at the catalogue's limit -> ``UserErrorRpCollectionLimitReached``
  and ``rp-collection-cleanup``;
* a disk above the size limit (the encrypted one for ADE disks) -> ``UserErrorUnsupportedDiskSize``;
* a backup job started while another one ran -> ``UserErrorBackupOperationInProgress``; a job's
  own error code (symbolic, or an integer the catalogue knows) -> that entry;
* error texts (extension messages, substatuses, job error strings) through the fuzzy matcher.

What documents say only together is in ``across.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from logparse.catalogue import Catalogue
from logparse.state.model import Fact, Stated

AGENT = "UserErrorGuestAgentStatusUnavailable"
VM_PROVISIONING = "UserErrorVmProvisioningStateFailed"
EXT_PROVISIONING = "extension-provisioning-failed"
LOCK = "rp-resource-group-lock"
RP_LIMIT = "UserErrorRpCollectionLimitReached"
RP_CLEANUP = "rp-collection-cleanup"
IN_PROGRESS = "UserErrorBackupOperationInProgress"
DISK_SIZE = "UserErrorUnsupportedDiskSize"
AGENT_CAUSE = {"windows": "agent-unresponsive-windows", "linux": "agent-outdated-linux"}
MIN_LINUX_AGENT = (2, 2, 53)  # as in diagnose.py: older agents are the seed's "out of date" case

Hits = tuple[tuple[str, float], ...]

# Extension states: (state, is it the backup extension) -> entries, reason. A failed backup
# extension is the seed's "remove VMSnapshot and run an on-demand backup" case.
EXTENSION_STATES: dict[tuple[str, bool], tuple[Hits, str]] = {
    ("failed", False): (((VM_PROVISIONING, 0.65), (EXT_PROVISIONING, 0.7)),
                        "extension {subject} is not Provisioning succeeded ({value})"),
    ("failed", True): (((VM_PROVISIONING, 0.55), (EXT_PROVISIONING, 0.5)),
                       "the backup extension {subject} is {value}: remove it and start an on-demand backup"),
    ("transitioning", False): (((VM_PROVISIONING, 0.35), (EXT_PROVISIONING, 0.4)),
                               "extension {subject} is still {value}"),
    ("updating", False): (((VM_PROVISIONING, 0.35), (EXT_PROVISIONING, 0.4)), "extension {subject} is still {value}"),
    ("creating", False): (((VM_PROVISIONING, 0.3), (EXT_PROVISIONING, 0.35)), "extension {subject} is still {value}"),
}
# The agent's own status files describe this run of an extension, not its provisioning state.
LOCAL_KINDS = ("ext_status", "waagent_status", "handler_status", "handler_state")
LOCAL_FACTOR = 0.85

# Plain value rules: fact name -> {value (case-folded): (entries, reason)}.
VALUE_RULES: dict[str, dict[str, tuple[Hits, str]]] = {
    "vm.provisioning_state": {
        "failed": (((VM_PROVISIONING, 0.8),), "the VM is in the failed provisioning state"),
        "updating": (((VM_PROVISIONING, 0.45),), "the VM provisioning state is Updating, which can block a backup"),
    },
    "extension.handler_status": {
        "notready": (((VM_PROVISIONING, 0.45), (EXT_PROVISIONING, 0.55)), "handler {subject} reports {value}"),
        "unresponsive": (((VM_PROVISIONING, 0.45), (EXT_PROVISIONING, 0.55)), "handler {subject} is {value}"),
    },
    "extension.handler_state": {
        "failedupgrade": (((EXT_PROVISIONING, 0.45),), "handler {subject} is in state {value}"),
    },
}
# Lock scopes -> confidence that the lock is what blocks restore point cleanup.
LOCK_SCOPES = {"backup_rg": 0.85, "subscription": 0.7, "resource_group": 0.35}
LOCK_LEVELS = ("cannotdelete", "readonly")
# Messages worth a fuzzy match, and the factor on the matcher's confidence.
MESSAGE_FACTS = ("extension.message", "extension.substatus", "extension.handler_message", "vm.provisioning_message",
                 "job.error_string")
MESSAGE_FACTOR = 0.9
MESSAGE_CAP = 0.85
MAX_PER_ENTRY = 3


@dataclass
class Out:
    """Stated entries of one document, deduplicated by (entry, path)."""

    catalogue: Catalogue
    items: dict[tuple[str, str], Stated]

    def add(self, entry_id: str, confidence: float, fact: Fact, reason: str, label: str = "") -> None:
        """Cite ``fact`` for ``entry_id``; ``label`` says what the value is about when its path does not."""
        if entry_id not in self.catalogue.entries:
            return
        key = (entry_id, fact.json_path)
        old = self.items.get(key)
        if old is None or old.confidence < confidence:
            self.items[key] = Stated(entry_id, round(confidence, 3), fact.json_path, _shown(fact.value), reason,
                                     fact.time, fact.line, label)

    def hits(self, hits: Hits, fact: Fact, reason: str, factor: float = 1.0) -> None:
        for entry_id, confidence in hits:
            self.add(entry_id, confidence * factor, fact, reason)


def _shown(value: object) -> str:
    return str(value)[:500]


def document(kind: str, facts: list[Fact], catalogue: Catalogue) -> list[Stated]:
    """What one document's facts point to, strongest first."""
    out = Out(catalogue, {})
    for rule in (_values, _extensions, _agent, _agent_version, _locks, _restore_points, _disks, _jobs, _codes,
                 _messages):
        rule(kind, facts, out)
    ranked = sorted(out.items.values(), key=lambda s: (-s.confidence, s.entry_id, s.json_path))
    # A few citations per entry are enough; a long list of one id says nothing more.
    seen: dict[str, int] = {}
    kept = []
    for stated in ranked:
        seen[stated.entry_id] = seen.get(stated.entry_id, 0) + 1
        if seen[stated.entry_id] <= MAX_PER_ENTRY:
            kept.append(stated)
    return kept


def named(facts: Iterable[Fact], name: str) -> list[Fact]:
    return [f for f in facts if f.name == name]


def _values(kind: str, facts: list[Fact], out: Out) -> None:
    for fact in facts:
        rule = VALUE_RULES.get(fact.name, {}).get(str(fact.value).casefold())
        if rule is not None:
            hits, reason = rule
            out.hits(hits, fact, reason.format(subject=fact.subject or "(unnamed)", value=fact.value))
    failed = next((f for f in named(facts, "vm.provisioning_state") if str(f.value) == "failed"), None)
    if failed is None:
        return
    # The VM failed because of an extension when its status code or message says so.
    why = " ".join(str(f.value) for f in facts if f.name in ("vm.provisioning_code", "vm.provisioning_message"))
    if "extension" in why.casefold():
        out.add(EXT_PROVISIONING, 0.75, failed, f"the VM's provisioning failed on an extension: {why[:300]}")
    else:
        out.add(EXT_PROVISIONING, 0.45, failed, "a failed VM provisioning state is most often a failed extension")


def _extensions(kind: str, facts: list[Fact], out: Out) -> None:
    local = kind in LOCAL_KINDS
    for fact in named(facts, "extension.state"):
        backup = is_backup(fact.subject)
        if local and backup:
            continue  # the snapshot extension's own run: its messages and codes say more (below)
        rule = EXTENSION_STATES.get((str(fact.value), backup))
        if rule is not None:
            hits, reason = rule
            out.hits(hits, fact, reason.format(subject=fact.subject or "(unnamed)", value=fact.value),
                     LOCAL_FACTOR if local else 1.0)


def is_backup(subject: str | None) -> bool:
    return subject is not None and "vmsnapshot" in subject.casefold()


def platform(facts: Iterable[Fact]) -> str | None:
    """windows or linux: said outright, or told by extension names or the agent's version shape."""
    facts = list(facts)
    for fact in named(facts, "vm.os"):
        return str(fact.value)
    for fact in facts:
        subject = (fact.subject or "").casefold()
        if fact.name.startswith("extension.") and subject:
            if "linux" in subject:
                return "linux"
            if subject.endswith(("recoveryservices.vmsnapshot", "iaasantimalware", "bginfo")):
                return "windows"
    for fact in named(facts, "agent.version"):
        return _version_platform(str(fact.value))
    return None


def _version_platform(text: str) -> str | None:
    parts = version_tuple(text)
    # Windows agents number their builds in the thousands (2.7.41491.1102); Linux ones do not.
    if len(parts) >= 3:
        return "windows" if parts[2] >= 1000 else "linux"
    return None


def version_tuple(text: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in text.strip().split(".")[:4]:
        if not part.isdigit() or len(part) > 9:
            break
        out.append(int(part))
    return tuple(out)


def agent_down(facts: list[Fact]) -> Fact | None:
    """The fact showing the agent not Ready (or silent) on a VM that is, or may be, running."""
    power = next((str(f.value) for f in named(facts, "vm.power_state")), None)
    if power is not None and power not in ("running", "starting"):
        return None  # a stopped or deallocated VM has no agent to report, and backs up without one
    for fact in named(facts, "agent.status"):
        if "".join(str(fact.value).split()).casefold() != "ready":
            return fact
        return None
    return next((f for f in named(facts, "agent.reported") if f.value is False), None)


def _agent(kind: str, facts: list[Fact], out: Out) -> None:
    down = agent_down(facts)
    if down is None:
        return
    running = any(f.value == "running" for f in named(facts, "vm.power_state"))
    message = next((str(f.value) for f in named(facts, "agent.message")), "")
    shown = "has not reported" if down.name == "agent.reported" else f"is {down.value}"
    reason = f"the VM agent {shown}" + (" on a running VM" if running else "") + (f" ({message})" if message else "")
    out.add(AGENT, 0.8 if running else 0.65, down, reason)
    agent_cause(platform(facts), down, out, 0.65 if running else 0.55)
    never = down.name == "agent.reported" and not named(facts, "agent.version")
    if never:
        out.add("agent-not-installed", 0.4, down, "the VM agent never reported a version: it may not be installed")


def agent_cause(os: str | None, fact: Fact, out: Out, confidence: float) -> None:
    if os in AGENT_CAUSE:
        out.add(AGENT_CAUSE[os], confidence, fact, f"the {os.capitalize()} agent does not report its status")
        return
    for cause in AGENT_CAUSE.values():
        out.add(cause, 0.4, fact, "the agent does not report its status (platform not known from this document)")


def _agent_version(kind: str, facts: list[Fact], out: Out) -> None:
    minimum = out.catalogue.limits.get("windows-agent-min-version")
    for fact in named(facts, "agent.version"):
        version = version_tuple(str(fact.value))
        os = _version_platform(str(fact.value))
        if os == "linux" and version < MIN_LINUX_AGENT:
            out.add(AGENT_CAUSE["linux"], 0.6, fact,
                    f"agent {fact.value} is older than {'.'.join(map(str, MIN_LINUX_AGENT))}")
        elif os == "windows" and minimum is not None and version < version_tuple(str(minimum.value)):
            out.add(AGENT_CAUSE["windows"], 0.45, fact, f"agent {fact.value} is older than {minimum.value}")


def _by_subject(facts: Iterable[Fact], prefix: str) -> dict[str, dict[str, Fact]]:
    grouped: dict[str, dict[str, Fact]] = {}
    for fact in facts:
        if fact.name.startswith(prefix) and fact.subject is not None:
            grouped.setdefault(fact.subject, {})[fact.name] = fact
    return grouped


def _locks(kind: str, facts: list[Fact], out: Out) -> None:
    for subject, lock in _by_subject(facts, "lock.").items():
        level = lock.get("lock.level")
        if level is None or str(level.value).casefold() not in LOCK_LEVELS:
            continue
        group = lock.get("lock.resource_group")
        where = group.value if group is not None else "an unknown scope"
        what = f"{level.value} lock {subject}"
        scope_fact = lock.get("lock.scope")
        if lock.get("lock.backup_rg") is not None and lock["lock.backup_rg"].value is True:
            scope, reason = "backup_rg", f"{what} on {where}, where Azure Backup keeps restore points"
        elif scope_fact is not None and scope_fact.value == "subscription":
            scope, reason = "subscription", f"{what} on the subscription applies to AzureBackupRG_* too"
        elif scope_fact is not None and scope_fact.value == "resource_group":
            scope, reason = "resource_group", (f"{what} on {where}: restore points of VMs backed up before 2019 "
                                               "live in the VM's own resource group")
        else:
            continue
        out.add(LOCK, LOCK_SCOPES[scope], level, reason, lock_label(subject, lock))


def lock_label(subject: str, lock: dict[str, Fact]) -> str:
    """Which lock and what it covers: the citation of its level alone reads the same for every lock."""
    scope = lock.get("lock.scope")
    group = lock.get("lock.resource_group")
    resource_type = lock.get("lock.resource_type")
    if scope is not None and scope.value == "subscription":
        return f"lock {subject} on the subscription"
    if scope is not None and scope.value == "resource" and resource_type is not None:
        kind = str(resource_type.value).rsplit("/", 1)[-1]
        what = ("a restore point collection" if kind.casefold() == "restorepointcollections"
                else f"a resource of type {kind}")
        return f"lock {subject} on {what}" + (f" in resource group {group.value}" if group is not None else "")
    if group is not None:
        return f"lock {subject} on resource group {group.value}"
    return f"lock {subject}"


def rp_limit(catalogue: Catalogue) -> int:
    limit = catalogue.limits.get("restore-points-per-vm")
    return int(limit.value) if limit is not None and isinstance(limit.value, int) else 18


def _restore_points(kind: str, facts: list[Fact], out: Out) -> None:
    counts = {f.subject: f for f in named(facts, "rp_collection.count") if isinstance(f.value, int)}
    vms = {f.subject: str(f.value).casefold() for f in named(facts, "rp_collection.vm")}
    for fact in named(facts, "restore_points.vm_total"):
        vm = (fact.subject or "").casefold()
        # Each collection is cited with its own count: the total sits in the reason, not on one file's line.
        parts = [(c, f"collection {subject}") for subject, c in counts.items() if vms.get(subject, subject) == vm]
        restore_point_total(fact, int(fact.value) if isinstance(fact.value, int) else 0, out,
                            "in this document" + added(part for part, _ in parts), parts or [(fact, "")])


def added(facts: Iterable[Fact]) -> str:
    """`` (12 + 6)``: the counts that make a total, when there are several."""
    values = [str(f.value) for f in facts]
    return f" ({' + '.join(values)})" if len(values) > 1 else ""


def restore_point_total(fact: Fact, total: int, out: Out, where: str, parts: list[tuple[Fact, str]]) -> None:
    """Restore points of one VM (``fact.subject``) against the limit, citing each ``(count fact, label)``."""
    limit = rp_limit(out.catalogue)
    if total >= limit:
        reason = f"{total} restore points for {fact.subject} {where}; the limit is {limit} per VM"
        for part, label in parts:
            out.add(RP_LIMIT, 0.8, part, reason, label)
            out.add(RP_CLEANUP, 0.75, part, reason, label)
    elif total >= limit - 2:
        reason = f"{total} restore points for {fact.subject} {where}, close to the limit {limit}"
        for part, label in parts:
            out.add(RP_LIMIT, 0.4, part, reason, label)


def _disks(kind: str, facts: list[Fact], out: Out) -> None:
    limits = out.catalogue.limits
    plain = limits["max-disk-size"].value if "max-disk-size" in limits else 32
    encrypted_limit = limits["max-encrypted-disk-size"].value if "max-encrypted-disk-size" in limits else 4
    for subject, disk in _by_subject(facts, "disk.").items():
        size = disk.get("disk.size_gb")
        if size is None or not isinstance(size.value, int):
            continue
        encrypted = "disk.encrypted" in disk
        limit = encrypted_limit if encrypted else plain
        if isinstance(limit, int | float) and size.value > limit * 1024:
            what = "encrypted disk" if encrypted else "disk"
            out.add(DISK_SIZE, 0.8, size, f"{what} {subject} is {size.value} GiB, above the {limit} TB limit")


def jobs_of(facts: Iterable[Fact]) -> dict[str, dict[str, Fact]]:
    return _by_subject(facts, "job.")


def overlapping(jobs: dict[str, dict[str, Fact]]) -> list[tuple[Fact, str, str]]:
    """``(new job's start fact, new job, running job)`` for backups started while another ran."""
    found = []
    backups = {s: j for s, j in jobs.items()
               if "job.start" in j and str(j.get("job.operation", NONE).value).casefold() == "backup"}
    for first, a in backups.items():
        a_start, a_end = str(a["job.start"].value), str(a["job.end"].value) if "job.end" in a else None
        running = "".join(str(a.get("job.status", NONE).value).split()).casefold() == "inprogress"
        if a_end is None and not running:
            continue
        for second, b in backups.items():
            b_start = str(b["job.start"].value)
            same_vm = str(a.get("job.vm", NONE).value).casefold() == str(b.get("job.vm", NONE).value).casefold()
            if second != first and same_vm and a_start < b_start and (a_end is None or b_start < a_end):
                found.append((b["job.start"], second, first))
    return found


NONE = Fact("", None, "", "")  # a stand-in for a fact a job lacks


def _jobs(kind: str, facts: list[Fact], out: Out) -> None:
    overlap(jobs_of(facts), out)


def overlap(jobs: dict[str, dict[str, Fact]], out: Out) -> None:
    for start, second, first in overlapping(jobs):
        status = jobs[first].get("job.status", NONE).value
        out.add(IN_PROGRESS, 0.75, start, f"backup job {second} started at {start.value} while job {first} "
                                          f"({status}) was still running")


def _codes(kind: str, facts: list[Fact], out: Out) -> None:
    """Error codes that name an entry: a job's code (symbolic or integer) or the extension's own code."""
    catalogue = out.catalogue
    for fact in facts:
        if fact.name in ("job.error_code", "extension.error_code", "extension.code") and fact.value is not None:
            entry_id = _code_entry(catalogue, fact)
            if entry_id is not None:
                confidence = 0.9 if fact.name == "job.error_code" else 0.85
                label = {"job.error_code": "job error code", "extension.error_code": "extension error code",
                         "extension.code": "snapshot extension status code"}[fact.name]
                named = "" if str(fact.value) == entry_id else f" is {entry_id}"
                out.add(entry_id, confidence, fact, f"{label} {fact.value}{named}")


def _code_entry(catalogue: Catalogue, fact: Fact) -> str | None:
    value = fact.value
    if isinstance(value, int):
        if fact.name == "job.error_code":
            return next((e.id for e in catalogue.entries.values() if value in e.int_codes), None)
        if fact.name == "extension.code" and is_backup(fact.subject):
            return next((e.id for e in catalogue.entries.values() if value in e.status_codes), None)
        return None
    if not isinstance(value, str) or fact.name == "extension.code":
        return None
    try:
        return catalogue.get(value.strip().removeprefix("StatusCode.")).id
    except Exception:  # noqa: BLE001 - any unknown code simply names nothing
        return None


def _messages(kind: str, facts: list[Fact], out: Out) -> None:
    failing = {f.subject for f in facts if f.name == "extension.state" and f.value in ("failed", "warning")}
    failing |= {f.subject for f in facts if f.name == "extension.level" and str(f.value).casefold() == "error"}
    failing |= {f.subject for f in facts if f.name == "extension.handler_status" and f.value != "ready"}
    vm_failed = any(f.value == "failed" for f in named(facts, "vm.provisioning_state"))
    for fact in facts:
        if fact.name not in MESSAGE_FACTS or not isinstance(fact.value, str):
            continue
        if fact.name in ("extension.message", "extension.handler_message") and fact.subject not in failing:
            continue
        if fact.name == "vm.provisioning_message" and not vm_failed:
            continue
        for entry_id, confidence, matched in _fuzzy(fact.value, out.catalogue):
            out.add(entry_id, min(MESSAGE_CAP, confidence * MESSAGE_FACTOR), fact,
                    f"{fact.name.replace('.', ' ').replace('_', ' ')} matches {entry_id} ({matched})")


def _fuzzy(text: str, catalogue: Catalogue) -> list[tuple[str, float, str]]:
    from logparse.fuzzy import match

    return [(r.id, r.confidence, r.matched) for r in match(text[:4000], catalogue)
            if r.confidence >= 0.5 and r.kind in ("error", "cause")]
