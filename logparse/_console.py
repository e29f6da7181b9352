"""One place that makes rich consoles, so a closed pipe (``| head``) ends every command the same way."""

from __future__ import annotations

from typing import Any


def make_console(**options: Any) -> Any:
    """A rich Console whose broken pipe raises ``BrokenPipeError`` for the CLI to end quietly (exit 0).

    rich's own handler exits with status 1, which would make ``logparse ... | head`` look like a failure.
    """
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return _Console(**options)
