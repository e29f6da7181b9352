"""Forked worker processes with a pipe each: the start and the exit every pool of logparse shares."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any


def start(target: Callable[..., None], args: tuple[Any, ...], others: list[Any]) -> tuple[Any, Any]:
    """Fork a process that runs ``target(conn, *args)``; returns ``(process, conn)``, the parent's end.

    ``others`` are the parent's ends of earlier workers' pipes: the child closes its copies of
    them (and of its own parent end), else no worker would see its pipe close when the parent
    goes. Raises OSError when the system refuses a process or a pipe.
    """
    import multiprocessing

    context = multiprocessing.get_context("fork")
    parent_end, child_end = context.Pipe()
    process = context.Process(target=_child, args=(target, child_end, [*others, parent_end], args), daemon=True)
    process.start()
    child_end.close()
    return process, parent_end


def _child(target: Callable[..., None], conn: Any, parent_ends: list[Any], args: tuple[Any, ...]) -> None:
    # Ctrl-C reaches the whole process group: the parent stops its workers, they print no traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for end in parent_ends:
            end.close()
        target(conn, *args)
    finally:
        # No atexit handlers or buffered output of the parent's copy: leave at once.
        os._exit(0)
