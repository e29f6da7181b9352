"""``python -m logparse``: the same entry point as the ``logparse`` command."""

try:
    from logparse.cli import main
except KeyboardInterrupt:  # Ctrl-C while the modules load: no traceback, the usual exit code
    raise SystemExit(130) from None

raise SystemExit(main())
