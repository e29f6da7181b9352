"""``python -m logparse``: the same entry point as the ``logparse`` command."""

from logparse.cli import main

raise SystemExit(main())
