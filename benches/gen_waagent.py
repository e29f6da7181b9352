"""Seeded generator of realistic synthetic waagent.log text (all four generations, multi-line records).

Usage: python benches/gen_waagent.py LINES [SEED] > waagent.log
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta

VMSNAP = "Microsoft.Azure.RecoveryServices.VMSnapshotLinux"
MESSAGES = [
    "Agent WALinuxAgent-{v} is running as the goal state agent",
    "[HEARTBEAT] Agent WALinuxAgent-{v} is running as the goal state agent [DEBUG HeartbeatCounter: {n};"
    "HeartbeatId: 1B2C3D4E-0000-1111-2222-333344445555;UpdateGSErrors: 0;AutoUpdate: 1;UpdateMode: SelfUpdate;]",
    "ProcessExtensionsGoalState started [incarnation_{n} channel: WireServer source: Fabric activity: "
    "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee correlation 11111111-2222-3333-4444-555555555555 created: 2024-05-01T10:00:00Z]",
    "Fetching goal state [incarnation {n}]",
    "Extension status: [('{e}', 'success')]",
    "Checking for agent updates (family: Prod)",
    "Downloading agent manifest",
    "Wire server endpoint:168.63.129.16",
    "Routing table from /proc/net/route:\nIface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\n"
    "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0",
    "Exception processing goal state: [ProtocolError] retrying in 30 seconds\nTraceback (most recent call last):\n"
    '  File "azurelinuxagent/ga/update.py", line 480, in _process_goal_state\n'
    "azurelinuxagent.common.exception.ProtocolError: [ProtocolError] transient",
]
# Relative rates as in a busy real log (~300k lines a day): the agent announces itself once
# per start, heartbeats come every 30 minutes (~48 a day), goal states and their extension
# status summary arrive on changes (a few dozen a day); periodic checks make up the bulk.
MESSAGE_WEIGHTS = [0.005, 0.02, 20, 20, 0.05, 10, 10, 10, 3, 1]
EXT_MESSAGES = [
    "Target handler state: enabled [incarnation_{n}]",
    "[Enable] current handler state is: enabled",
    "Executing command: /var/lib/waagent/{e}-{ev}/main/handle.sh enable with environment variables: "
    '{{"AZURE_GUEST_AGENT_EXTENSION_VERSION": "{ev}", "ConfigSequenceNumber": "{n}"}}',
    "Command: main/handle.sh enable\n[stdout]\n[stderr]",
]


def generate(lines: int, seed: int = 1) -> Iterator[str]:
    """Yield about ``lines`` physical lines (header + continuation) of a mixed-generation log."""
    for line, _ in generate_labelled(lines, seed):
        yield line


def generate_labelled(lines: int, seed: int = 1) -> Iterator[tuple[str, str]]:
    """Like ``generate``, with each line's truth: its generation, or ``cont`` for a continuation."""
    rng = random.Random(seed)
    t = datetime(2023, 1, 1, 0, 0, 0)
    produced = 0
    while produced < lines:
        t += timedelta(seconds=rng.randint(0, 90), microseconds=rng.randint(0, 999999))
        n, v, ev = rng.randint(1, 500), "2.9.1.1", f"1.0.{rng.randint(9100, 9300)}.0"
        gen = rng.choices(("g3", "g1", "g2", "g0"), weights=(70, 20, 5, 5))[0]
        if rng.random() < 0.05:
            prefix = f"[{VMSNAP}-{ev}]"
            msg = rng.choices(EXT_MESSAGES, weights=[1, 10, 10, 10])[0]
        else:
            prefix = rng.choice(("ExtHandler", "Daemon"))
            # Heartbeats come every 30 minutes, goal-state processing every few seconds.
            msg = rng.choices(MESSAGES, weights=MESSAGE_WEIGHTS)[0]
        msg = msg.format(v=v, n=n, e=VMSNAP, ev=ev)
        level = rng.choices(("INFO", "WARNING", "ERROR", "VERBOSE"), weights=(96, 2.5, 1, 0.5))[0]
        if gen == "g3":
            thread = "ExtHandler" if prefix.startswith("[") else prefix
            header = f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z {level} {thread} {prefix} "
        elif gen == "g2":
            header = f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z {level} {prefix} "
        elif gen == "g1":
            header = f"{t.strftime('%Y/%m/%d %H:%M:%S.%f')} {level} {prefix} "
        else:
            tag = {"WARNING": "WARNING:", "ERROR": "ERROR:"}.get(level, "")
            # The 2.0 logger stamps every physical line.
            for part in msg.split("\n"):
                yield f"{t.strftime('%Y/%m/%d %H:%M:%S')} {tag}{part}", "g0"
                produced += 1
            continue
        body = (header + msg).split("\n")
        yield body[0], gen
        for part in body[1:]:
            yield part, "cont"
        produced += len(body)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    out = sys.stdout
    for line in generate(count, seed):
        out.write(line + "\n")


if __name__ == "__main__":
    main()
