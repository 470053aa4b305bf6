"""``python -m labeler`` is the ``labeler`` command."""

from labeler.cli import main

raise SystemExit(main())
