"""A plugin that crashes the suite mid-run: it raises inside a hook once N tests have run.

Loaded with ``PYTEST_PLUGINS=crashing_plugin`` (N from ``CONFORMANCE_CRASH_AFTER``), it ends the
run in pytest's internal error, as a fault of the suite or of another plugin would: the tests
before it passed, those after it never ran. With ``CONFORMANCE_CRASH_HOW=exit`` the process dies
instead (a worker killed under ``--workers``), with no internal error to report; with
``CONFORMANCE_CRASH_ONCE=PATH`` only the first process to get there crashes (it leaves PATH).
"""

from __future__ import annotations

import os

import pytest

CRASH_AFTER = "CONFORMANCE_CRASH_AFTER"
CRASH_HOW = "CONFORMANCE_CRASH_HOW"
CRASH_ONCE = "CONFORMANCE_CRASH_ONCE"
_calls = 0


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    global _calls
    if call.when != "call":
        return
    _calls += 1
    if _calls <= int(os.environ.get(CRASH_AFTER, "0")):
        return
    once = os.environ.get(CRASH_ONCE)
    if once:
        try:
            with open(once, "x", encoding="utf-8"):
                pass
        except FileExistsError:
            return
    if os.environ.get(CRASH_HOW) == "exit":
        os._exit(3)
    raise RuntimeError(f"a plugin's hook failed after {_calls - 1} tests")
