"""``python -m conformance``: the same as the ``audience-conformance`` command."""

from conformance.cli.main import main

raise SystemExit(main())
