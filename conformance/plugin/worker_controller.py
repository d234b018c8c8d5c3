"""The controller of ``--workers``: the process that makes the run, hands it to the workers
and ends it.

It makes the run once, before any worker starts (id, seed, target, preflight), records the
run's properties on the JUnit file, receives the workers' reports and, before the cleanup,
stops the workers still running and adopts their journals (:mod:`conformance.plugin.worker_stop`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _pytest.junitxml import xml_key

from conformance.checks import unicode_tables
from conformance.http.connection_slots import ConnectionSlots
from conformance.plugin.chain_history import HISTORY_KEY, load_for_run, to_json
from conformance.plugin.progress import Progress, count_requests
from conformance.plugin.recorder import RunRecorder
from conformance.plugin.warm_starter import WarmStarter
from conformance.plugin.warm_starter import start as start_warm
from conformance.plugin.worker_count import AUTO, auto_workers, cores, start_with, why
from conformance.plugin.worker_stop import stop_workers
from conformance.plugin.worker_wire import INPUT_KEY, SCOPE_KEY, failure_from_wire, run_to_wire
from conformance.run.session import RunContext, SharedRun


class Controller:
    """The process that makes the run, hands it to the workers and ends it."""

    def __init__(
        self,
        config: pytest.Config,
        recorder: RunRecorder,
        progress: Progress | None,
        start_run: Callable[[], RunContext],
    ) -> None:
        self.config = config
        self.recorder = recorder
        self.progress = progress
        self.start_run = start_run
        self.folder = Path(tempfile.mkdtemp(prefix="audience-run-"))
        self.shared: SharedRun | None = None
        # The last run's tests (or those the suite carries), read once for every worker.
        self.history: dict[str, list[Any]] = {}
        self.warm: WarmStarter | None = None

    @pytest.hookimpl(tryfirst=True)  # before xdist starts the workers
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.warm = start_warm(self.folder)
        context = self.start_run()
        self.history = to_json(load_for_run(context.settings))
        # The controller's own requests (preflight, cleanup) count against the workers' bound.
        context.policy.connection_slots = ConnectionSlots(context.settings.concurrency, self.folder)
        context.share_limits(str(self.folder))  # one --rate-limit for the run, workers included
        context.before_cleanup.append(lambda: stop_workers(self.folder, context))
        count_requests(context)
        recorder = self.recorder
        # The run's properties on the JUnit file, and the preflight: once, here (the controller
        # collects no tests, so the recorder's collection hook would not run in this process).
        recorder.pytest_collection_finish(session)
        recorder.set_scope({})  # the workers collect the tests; they say what is in scope
        failed = recorder.failed_start is not None
        if self.progress is not None and not failed:
            self.progress.preflight_done()
        if AUTO in self.config.stash:
            self._choose_workers(context)
        if not failed:
            # The workers share the run's Hypothesis home: each reads the tables made here once.
            unicode_tables.make()
        if self.warm.ready():  # else the workers start cold, as xdist starts them
            self.config.option.tx = [
                self.warm.spec() if spec == "popen" else spec for spec in self.config.option.tx
            ]  # a spec the user gave (--tx) is left as it is
        xml = self.config.stash.get(xml_key, None)
        if xml is not None:
            xml.add_global_property("workers", str(self.config.option.numprocesses))
        primary, secondary = context.primary, context.secondary
        self.shared = SharedRun(
            run_id=context.run_id,
            seed=context.seed,
            base_url=context.base_url,
            api_key=primary.api_key,
            secondary_api_key=secondary.api_key if secondary is not None else None,
            folder=str(self.folder),
            preflight_failed=failed,
            concurrency=context.settings.concurrency,
        )

    def _choose_workers(self, context: RunContext) -> None:
        """``--workers auto``: the count from the cores and the preflight's round trip, said in
        one line (xdist starts the workers after this hook)."""
        available, round_trip = cores(), context.round_trip
        count = auto_workers(available, round_trip, context.settings.concurrency)
        start_with(self.config, count)
        line = "audience-conformance: " + why(count, available, round_trip)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line, flush=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_from_serializable(
        self, config: pytest.Config, data: dict[str, Any]
    ) -> pytest.TestReport | None:
        return failure_from_wire(data)

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        chosen = getattr(node, "workeroutput", {}).get(SCOPE_KEY)
        if isinstance(chosen, dict):
            self.recorder.set_scope(chosen)

    def pytest_configure_node(self, node: Any) -> None:
        assert self.shared is not None, "the run is made before the workers start"
        node.workerinput[INPUT_KEY] = run_to_wire(self.shared)
        node.workerinput[HISTORY_KEY] = self.history

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.warm is not None:
            self.warm.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
