"""A worker of ``--workers``: it joins the controller's run and keeps quiet tests apart.

From the end of its collection on, the names it makes carry its own letters after the run's
prefix (two workers never pick one name), and what it creates goes to its journal
(:mod:`conformance.plugin.worker_journal`). Around each test it holds the quiet lock as
:mod:`conformance.plugin.quiet_lock` describes. It never cleans, sweeps, or writes JUnit or a certificate:
the controller does, once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
import requests

from conformance.http.methods import SAFE_METHODS
from conformance.plugin import quiet_lock as quiet
from conformance.plugin.chain_history import HISTORY_KEY, from_json
from conformance.plugin.progress import REQUESTS_ATTRIBUTE, count_requests
from conformance.plugin.recorder import RunRecorder
from conformance.plugin.worker_journal import JournalWriter
from conformance.plugin.worker_wire import SCOPE_KEY, failure_to_wire
from conformance.run.session import SharedRun, active

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def worker_tag(worker_id: str) -> str:
    """'gw0' -> 'a', 'gw25' -> 'z', 'gw26' -> 'ba': letters, so a tag never runs into the counter's digits."""
    number = int("".join(ch for ch in worker_id if ch.isdigit()) or "0")
    letters = ""
    while True:
        number, digit = divmod(number, len(_LETTERS))
        letters = _LETTERS[digit] + letters
        if number == 0:
            return letters


class WorkerSide:
    """In a worker: join the controller's run, journal what is created, keep quiet tests apart."""

    def __init__(self, config: pytest.Config, shared: SharedRun, recorder: RunRecorder) -> None:
        self.config = config
        self.shared = shared
        self.recorder = recorder
        self.folder = Path(shared.folder)
        worker_id = str(config.workerinput.get("workerid", "gw0"))  # type: ignore[attr-defined]
        self.tag = worker_tag(worker_id)
        self.lock = quiet.QuietLock(self.folder)
        self._held: quiet.Held | None = None  # the quiet lock, while the current test holds it
        self._wrote = False  # the current test sent a write
        self._reader = False  # the current test is a quiet reader
        self.makers: set[str] = set()  # readers that make the run's data once (quiet.makers)
        self.waited = 0.0  # seconds this worker's tests waited for the quiet lock
        self._holding = threading.Lock()
        self.journal = JournalWriter(self.folder, worker_id)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        history = from_json(config.workerinput.get(HISTORY_KEY))  # type: ignore[attr-defined]
        items[:] = quiet.in_phases(items, history)
        self.makers = quiet.makers(items, history)
        if self.shared.preflight_failed and items:
            config.hook.pytest_deselected(items=list(items))
            items.clear()

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """The suite's modules are imported (names made at import are the same in every worker);
        from now on this worker's names carry its tag, and what it creates goes to its journal."""
        context = active()
        if context is None:
            return
        context.namer.tag = self.tag
        count_requests(context)
        primary_key = context.primary.api_key
        ledger = context.ledger
        adopt = ledger.adopt

        def journaled(key: str, audience_id: str) -> None:
            self.journal.created(0 if key == primary_key else 1, audience_id)
            adopt(key, audience_id)

        ledger.adopt = journaled  # type: ignore[method-assign]
        gone = ledger.gone

        def journaled_gone(key: str, audience_id: str) -> None:
            self.journal.gone(0 if key == primary_key else 1, audience_id)
            gone(key, audience_id)

        ledger.gone = journaled_gone  # type: ignore[method-assign]
        check = context.policy.write_guard

        def writer_waits_for_quiet(request: requests.PreparedRequest) -> None:
            if (request.method or "GET").upper() not in SAFE_METHODS:
                self.about_to_write()
                self._wrote = True
            if check is not None:
                check(request)

        context.policy.write_guard = writer_waits_for_quiet

    def about_to_write(self) -> None:
        """Before a write of the current test: WRITERS from now on, or EXCLUSIVE for a quiet reader."""
        with self._holding:
            held = self._held.kind if self._held is not None else None
            if held is None:
                self._take(quiet.Kind.WRITERS)
            elif held is quiet.Kind.READERS:
                self._let_go()  # other readers may walk: wait for them to end, as a writer would
                self._take(quiet.Kind.EXCLUSIVE)

    def read_after_all(self) -> None:
        """The data another process made is there: a quiet reader that took EXCLUSIVE to make it,
        and wrote nothing, reads beside the other readers again."""
        with self._holding:
            if (
                self._held is not None
                and self._held.kind is quiet.Kind.EXCLUSIVE
                and self._reader
                and not self._wrote
            ):
                self._let_go()
                self._take(quiet.Kind.READERS)

    def _take(self, kind: quiet.Kind) -> None:
        started = time.monotonic()
        self._held = self.lock.acquire(kind)
        self.waited += time.monotonic() - started

    def _let_go(self) -> None:
        if self._held is not None:
            self.lock.release(self._held)
            self._held = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, Any, None]:
        kind = quiet.kind_at_start(item)
        self._reader, self._wrote = kind is quiet.Kind.READERS, False
        if self._reader and item.nodeid in self.makers:
            kind = quiet.Kind.EXCLUSIVE  # it makes data once: exclusive until it has read after all
        if kind is not None:
            with self._holding:
                # A reader after a reader goes on in the place the last one kept.
                if not (kind is quiet.Kind.READERS and self._holds(kind)):
                    self._let_go()
                    self._take(kind)
        try:
            yield
        finally:
            with self._holding:
                # A reader followed by a reader keeps its place: a writer waiting for the
                # readers to leave must not enter between two of them.
                next_reads = (
                    nextitem is not None and quiet.kind_at_start(nextitem) is quiet.Kind.READERS
                )
                if not (next_reads and self._holds(quiet.Kind.READERS)):
                    self._let_go()

    def _holds(self, kind: quiet.Kind) -> bool:
        return self._held is not None and self._held.kind is kind

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        outcome = yield
        context = active()
        if context is not None:
            setattr(outcome.get_result(), REQUESTS_ATTRIBUTE, count_requests(context).count)

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_to_serializable(
        self, config: pytest.Config, report: pytest.TestReport
    ) -> dict[str, Any] | None:
        return failure_to_wire(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.config.workeroutput[SCOPE_KEY] = dict(self.recorder.out_of_scope)  # type: ignore[attr-defined]
        self.journal.ended(self.waited)
