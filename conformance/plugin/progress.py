"""How far a run is: one updating line on a terminal, one line per stage in a CI log.

A run of the default profile against a staging across a network takes minutes; on a terminal
the user sees tests done of the total, requests sent and the time spent, on one line that is
rewritten in place. Where stdout is not a terminal (a CI log) a live line would be thousands
of lines, so only the stages are written: collected, preflight done, tests done, cleanup done.

Under workers the tests' requests are counted in the worker processes; each test report carries
its worker's count so far (:data:`REQUESTS_ATTRIBUTE`), which the controller adds up.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Generator
from typing import Any

import pytest
import requests

from conformance.plugin.critical_path import CRITICAL_PATH
from conformance.plugin.recorder import RunRecorder
from conformance.run import session as run_session

REQUESTS_ATTRIBUTE = "audience_requests"  # on a test report: requests its process sent so far
REDRAW_EVERY = 0.2  # seconds between two redraws of the live line


class RequestCount:
    """A response observer that counts the requests of this process."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, request: requests.PreparedRequest, response: requests.Response) -> None:
        with self._lock:
            self.count += 1


def count_requests(context: run_session.RunContext) -> RequestCount:
    """The run's request counter (made once, on the run's request path)."""
    for observer in context.policy.observers:
        if isinstance(observer, RequestCount):
            return observer
    counter = RequestCount()
    context.policy.observers.append(counter)
    return counter


class Progress:
    """Registered in the process that reports (the only one, or the workers' controller)."""

    def __init__(
        self, config: pytest.Config, recorder: RunRecorder, live: bool | None = None
    ) -> None:
        self.config = config
        self.recorder = recorder
        self.live = _stdout_is_terminal() if live is None else live
        self.started = time.monotonic()
        self.total: int | None = None
        self.done = 0
        self.by_worker: dict[str, int] = {}
        self._drawn = 0.0

    @property
    def requests(self) -> int:
        if self.by_worker:
            return sum(self.by_worker.values())
        context = run_session.active()
        return count_requests(context).count if context is not None else 0

    def stage(self, text: str) -> None:
        """One line that stays: a stage of the run reached."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        line = f"audience-conformance: {text} ({time.monotonic() - self.started:.0f} s)"
        if reporter is None:
            print(line, flush=True)
            return
        if self.live:
            reporter.rewrite("", erase=True)
        if reporter._tw.width_of_current_line:  # after a line of dots
            reporter._tw.line()
        reporter.write_line(line)
        reporter.flush()  # a pipe (a CI log, a script waiting for a stage) gets it now

    @pytest.hookimpl(trylast=True)  # after the recorder's preflight
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        context = run_session.active()
        if context is not None:
            count_requests(context)
        self._collected(len(session.items))
        self.preflight_done()

    def preflight_done(self) -> None:
        if self.recorder.failed_start is None:
            self.stage("preflight done")

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._collected(len(ids))

    def _collected(self, total: int) -> None:
        if self.total is not None:
            return
        self.total = total
        self.stage(f"collected {total} tests")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        sent = getattr(report, REQUESTS_ATTRIBUTE, None)
        worker = getattr(getattr(report, "node", None), "gateway", None)
        if isinstance(sent, int) and worker is not None:
            self.by_worker[str(worker.id)] = max(sent, self.by_worker.get(str(worker.id), 0))
        if report.when != "teardown":
            return
        self.done += 1
        now = time.monotonic()
        if self.live and now - self._drawn >= REDRAW_EVERY:
            self._drawn = now
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.rewrite(self.line(), erase=True)

    def line(self) -> str:
        total = "?" if self.total is None else str(self.total)
        return f"audience-conformance: {self.done}/{total} tests, {self.requests} requests, {time.monotonic() - self.started:.0f} s"

    @pytest.hookimpl(hookwrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, Any, None]:
        if self.total is not None:
            chains = self.config.stash.get(CRITICAL_PATH, None)
            longest = f", {chains.describe()}" if chains is not None and chains.longest else ""
            self.stage(
                f"tests done: {self.done} of {self.total}, {self.requests} requests{longest}"
            )
        yield
        if self.total is not None:
            self.stage("cleanup done")


def _stdout_is_terminal() -> bool:
    stream = sys.__stdout__
    return stream is not None and stream.isatty()
