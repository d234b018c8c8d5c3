"""A plugin that crashes the suite mid-run: it raises inside a hook once N tests have run.

Loaded with ``PYTEST_PLUGINS=crashing_plugin`` (N from ``CONFORMANCE_CRASH_AFTER``), it ends the
run in pytest's internal error, as a fault of the suite or of another plugin would: the tests
before it passed, those after it never ran.
"""

from __future__ import annotations

import os

import pytest

CRASH_AFTER = "CONFORMANCE_CRASH_AFTER"
_calls = 0


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    global _calls
    if call.when != "call":
        return
    _calls += 1
    if _calls > int(os.environ.get(CRASH_AFTER, "0")):
        raise RuntimeError(f"a plugin's hook failed after {_calls - 1} tests")
