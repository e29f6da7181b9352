"""What the documents of one triage say together that none says alone.

* restore points of one VM summed over collections found in different files;
* a backup job in one file started while a job in another file ran;
* the agent cause for an agent Not Ready once another document (or the logs) tells the platform;
* the Linux agent's last status upload long before a failed backup job started.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from logparse.catalogue import Catalogue
from logparse.state.model import Fact, Stated
from logparse.state.rules import (
    AGENT,
    AGENT_CAUSE,
    IN_PROGRESS,
    NONE,
    Out,
    added,
    agent_cause,
    agent_down,
    jobs_of,
    named,
    overlapping,
    platform,
    restore_point_total,
)

# Facts the cross-document rules need; the feed keeps only these of every document.
COMBINED_FACTS = frozenset({
    "rp_collection.count", "rp_collection.vm", "job.start", "job.end", "job.status", "job.operation", "job.vm",
    "vm.os", "vm.power_state", "agent.status", "agent.reported", "agent.version", "agent.message",
    "agent.last_status_upload",
})
# The Linux agent uploads its status every few seconds to minutes; an hour of silence before a
# failed job is an agent that stopped reporting.
SILENCE_HOURS = 1.0


def combined(docs: list[tuple[str, list[Fact]]], catalogue: Catalogue,
             hint: str | None = None) -> list[tuple[str, Stated]]:
    """What the documents say together that none says alone; ``hint`` is the platform the logs show."""
    outs: dict[str, Out] = {}

    def out(path: str) -> Out:
        return outs.setdefault(path, Out(catalogue, {}))

    _rp_totals(docs, out)
    _job_overlaps(docs, out)
    os = platform(f for _, facts in docs for f in facts) or hint
    for path, facts in docs:
        down = agent_down(facts)
        if down is not None and platform(facts) is None and os is not None:
            running = any(f.value == "running" for f in named(facts, "vm.power_state"))
            agent_cause(os, down, out(path), 0.65 if running else 0.55)
    _silence(docs, out)
    return [(path, s) for path, o in outs.items() for s in o.items.values()]


def _rp_totals(docs: list[tuple[str, list[Fact]]], out: Callable[[str], Out]) -> None:
    counts: dict[str, tuple[int, Fact, str]] = {}
    vms: dict[str, str] = {}
    for path, facts in docs:
        for fact in facts:
            if fact.name == "rp_collection.count" and fact.subject and isinstance(fact.value, int):
                if fact.subject not in counts or counts[fact.subject][0] < fact.value:
                    counts[fact.subject] = (fact.value, fact, path)
            elif fact.name == "rp_collection.vm" and fact.subject and fact.value:
                vms[fact.subject] = str(fact.value).casefold()
    per_vm: dict[str, list[tuple[int, Fact, str]]] = {}
    for subject, item in counts.items():
        per_vm.setdefault(vms.get(subject, subject), []).append(item)
    for vm, items in per_vm.items():
        if len({path for _, _, path in items}) < 2:
            continue  # one document: its own rule counted it
        total = sum(count for count, _, _ in items)
        paths = {p for _, _, p in items}
        ranked = sorted(items, key=lambda item: -item[0])
        named = Fact("restore_points.vm_total", total, "", ranked[0][1].kind, None, vm)
        where = f"across {len(items)} collections in {len(paths)} documents" + added(f for _, f, _ in ranked)
        # Each document cites its own collections with their own counts (and lines); the reason has the total.
        for path in dict.fromkeys(p for _, _, p in ranked):  # the biggest count first, a stable order
            mine = [(fact, f"collection {fact.subject}") for _, fact, p in ranked if p == path]
            restore_point_total(named, total, out(path), where, mine)


def _job_overlaps(docs: list[tuple[str, list[Fact]]], out: Callable[[str], Out]) -> None:
    jobs: dict[str, dict[str, Fact]] = {}
    where: dict[str, str] = {}
    for path, facts in docs:
        for subject, job in jobs_of(facts).items():
            jobs.setdefault(subject, {}).update(job)
            where.setdefault(subject, path)
    if len(set(where.values())) < 2:
        return
    for start, second, first in overlapping(jobs):
        if where[second] != where[first]:
            status = jobs[first].get("job.status", NONE).value
            out(where[second]).add(IN_PROGRESS, 0.75, start, f"backup job {second} started at {start.value} while "
                                                             f"job {first} ({status}, in {where[first]}) still ran")


def _silence(docs: list[tuple[str, list[Fact]]], out: Callable[[str], Out]) -> None:
    """The Linux agent's last status upload long before a failed backup job started."""
    uploads = [(path, f) for path, facts in docs for f in named(facts, "agent.last_status_upload")]
    if not uploads:
        return
    path, upload = max(uploads, key=lambda item: str(item[1].value))
    failed = [job["job.start"] for facts in (f for _, f in docs) for job in jobs_of(facts).values()
              if "job.start" in job and str(job.get("job.status", NONE).value).casefold() == "failed"]
    try:
        last = datetime.fromisoformat(str(upload.value))
        starts = [datetime.fromisoformat(str(f.value)) for f in failed]
        late = [s for s in starts if (s - last).total_seconds() > SILENCE_HOURS * 3600]
    except (ValueError, TypeError):
        return  # naive and aware times do not compare: say nothing
    if late:
        hours = (min(late) - last).total_seconds() / 3600
        reason = f"the agent's last successful status upload was {hours:.1f} h before the failed backup job started"
        out(path).add(AGENT, 0.5, upload, reason)
        out(path).add(AGENT_CAUSE["linux"], 0.4, upload, reason)
