"""``/var/lib/waagent/waagent_status.json``: the status the Linux agent last uploaded, as it keeps it.

Facts: ``agent.version`` (``current_version``), ``agent.goal_state_version``, ``agent.distro``,
``agent.last_status_upload`` (the time of the last successful upload), ``vm.os`` (linux), and
per handler (subject: its name) ``extension.handler_status`` (Ready/NotReady), ``extension.version``
and the extension's own ``extension.state`` / ``extension.message`` / ``extension.code``.

Sample::

    {"agent_name": "WALinuxAgent", "current_version": "2.9.1.1", "distro_details": "ubuntu:22.04",
     "last_successful_status_upload_time": "2024-05-01T10:30:02.118274Z",
     "extensions_status": [{"name": "Microsoft.Azure.RecoveryServices.VMSnapshotLinux", "version": "1.0.9241.0",
       "status": "Ready", "extension_status": {"status": "error", "code": 76, "message": "snapshot failed"}}]}
"""

from __future__ import annotations

from logparse.state._doc import Facts, Node, when
from logparse.state._status import add_status, status_of, subject_of

KIND = "waagent_status"


def read(root: Node, facts: Facts) -> None:
    agent = root.get("current_version", "agent_name")
    facts.add("vm.os", "linux", agent.path if agent is not None else "")
    facts.take("agent.version", root.get("current_version"))
    facts.take("agent.goal_state_version", root.get("goal_state_version"))
    facts.take("agent.distro", root.get("distro_details"))
    upload = root.get("last_successful_status_upload_time")
    upload_at = when(upload)
    facts.add("agent.last_status_upload", upload_at, upload.path if upload else "", time=upload_at)
    for handler in root.each("extensions_status"):
        subject = subject_of(handler.string("name"))
        state = handler.get("status")
        if state is not None and isinstance(state.value, str):
            facts.add("extension.handler_status", "".join(state.value.split()).casefold(), state.path,
                      subject=subject)
        facts.take("extension.version", handler.get("version"), subject=subject)
        inner = handler.get("extension_status")
        if inner is not None and isinstance(inner.value, dict):
            add_status(facts, status_of(inner), subject)
            code = inner.get("code")
            if code is not None and code.integer() not in (0, None):
                facts.add("extension.code", code.integer(), code.path, subject=subject)
