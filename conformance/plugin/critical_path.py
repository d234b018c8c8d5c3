"""Each test's dependent chain, and the run's longest: what bounds a run across a network.

A test's chain counts the requests that had to wait for each other's answers, setup and
teardown included; requests sent together count once (:mod:`conformance.http.in_flight`). The
longest chain of the run, times the target's round trip, is a floor no number of workers or
connections lowers. It is shown when the tests are done and kept in JUnit (``longest_chain``).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
from _pytest.junitxml import xml_key

from conformance.http.in_flight import Chain, counting, stop_counting
from conformance.plugin.chain_history import Measured, history_path, save
from conformance.plugin.pytest_options import SETTINGS_KEY
from conformance.plugin.worker_wire import is_worker

CHAIN_ATTRIBUTE = "audience_chain"  # on a test's teardown report: its chain, in requests
WRITES_ATTRIBUTE = "audience_writes"  # and the requests among all it sent that may change data
FIXTURES_ATTRIBUTE = "audience_fixtures_that_wrote"  # and the shared fixtures it set up that wrote
LONGEST_PROPERTY = "longest_chain"  # on the JUnit testsuite: 'N test-id'
_CHAIN = pytest.StashKey[Chain]()
_FIXTURES = pytest.StashKey[list[str]]()


class CriticalPath:
    """Registered in every process: counts its tests' chains; where reports arrive (the only
    process, or the workers' controller), keeps the longest."""

    def __init__(self) -> None:
        self.longest = 0
        self.longest_test = ""
        self.measured: dict[str, Measured] = {}  # every test, where the reports arrive
        # The test under way: its chain, and the shared fixtures it set up that wrote.
        self._current: tuple[Chain, list[str]] | None = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, None]:
        chain = item.stash[_CHAIN] = Chain()
        item.stash[_FIXTURES] = []
        self._current = (chain, item.stash[_FIXTURES])
        token = counting(chain)
        try:
            yield
        finally:
            stop_counting(token)
            self._current = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, None]:
        """A fixture wider than a test that writes: the tests sharing it may each be the one to
        set it up, so none of them counts as writing nothing (:mod:`~conformance.plugin.chain_history`)."""
        current = self._current
        before = current[0].writes if current is not None else 0
        yield
        if current is not None and fixturedef.scope != "function" and current[0].writes > before:
            current[1].append(fixturedef.argname)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        outcome = yield
        chain = item.stash.get(_CHAIN, None)
        if call.when == "teardown" and chain is not None:
            setattr(outcome.get_result(), CHAIN_ATTRIBUTE, chain.length)
            setattr(outcome.get_result(), WRITES_ATTRIBUTE, chain.writes)
            fixtures: list[str] = item.stash.get(_FIXTURES, [])
            setattr(outcome.get_result(), FIXTURES_ATTRIBUTE, list(fixtures))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        length = getattr(report, CHAIN_ATTRIBUTE, None)
        writes = getattr(report, WRITES_ATTRIBUTE, None)
        fixtures = getattr(report, FIXTURES_ATTRIBUTE, [])
        if not isinstance(length, int) or not isinstance(writes, int):
            return
        self.measured[report.nodeid] = Measured(length, writes, tuple(map(str, fixtures)))
        if length > self.longest:
            self.longest, self.longest_test = length, report.nodeid

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        xml = session.config.stash.get(xml_key, None)
        if xml is not None and self.longest:
            xml.add_global_property(LONGEST_PROPERTY, f"{self.longest} {self.longest_test}")
        settings = session.config.stash.get(SETTINGS_KEY, None)
        if settings is not None and not is_worker(session.config):
            # For the next run's workers: tests that wrote nothing beside quiet ones that write,
            # the longest of each phase first.
            save(history_path(settings), self.measured)

    def describe(self) -> str:
        """The longest chain in words, for the line that says the tests are done."""
        if not self.longest:
            return ""
        return f"longest chain {self.longest} requests ({self.longest_test.rpartition('::')[2]})"


CRITICAL_PATH = pytest.StashKey[CriticalPath]()
