"""Whether every selected test ran: a rule passes only when all its tests passed.

pytest can end a run early with no signal, no budget and no error of the suite: ``-x`` or
``--maxfail`` (its own, or xdist's on the controller), or a plugin calling ``pytest.exit``. A
verdict taken then would judge a rule on the tests that happened to run first, so such a run
ends as an interrupted one does: no verdict, the cause named.
"""

from __future__ import annotations

from typing import Any

import pytest

SELECTED = pytest.StashKey[int]()


class SelectedTests:
    """Counts the tests the run selected, in this process or, with workers, as they report it."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(trylast=True)  # after the hooks that deselect (shards, rules)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if session.items:  # a controller of workers collects nothing itself
            self.config.stash[SELECTED] = len(session.items)

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.config.stash.setdefault(SELECTED, len(ids))


def tests_left_unrun(config: pytest.Config, ran: int) -> int:
    """How many selected tests left no record (0 when the count is unknown, on a worker, which
    runs its share of them, and when only collecting)."""
    if hasattr(config, "workerinput") or config.getoption("collectonly", False):
        return 0
    selected = config.stash.get(SELECTED, None)
    return 0 if selected is None else max(0, selected - ran)
