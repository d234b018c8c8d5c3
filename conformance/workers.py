"""One run over several processes, with pytest-xdist (``run --workers N``, or ``pytest -n N``).

One run stays one run. The controller (the process the user started) makes it: the run id
and name prefix, the seed, the target (it starts the embedded reference when no target was
given) and the preflight, once, before any worker starts. The workers join that run through
xdist's ``workerinput``: same id, prefix, seed and target, so every worker collects the same
tests; each worker names what it creates with its own letters after the prefix, so two
workers never pick one name.

Every audience a worker creates is appended at once to its journal, a file of the run's
folder. At the end, and at any stop (Ctrl-C, SIGTERM, the budget), the controller stops the
workers still running, adopts every journal into its ledger, deletes it all and sweeps the
accounts for the run's prefix, which also finds what a killed worker created without hearing
the answer. Workers never clean, sweep or write JUnit or a certificate: the controller
receives their test reports, decides the one verdict and writes the one JUnit file.

Tests that need a quiet account are kept apart as :mod:`conformance.quiet` describes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import pytest
import requests

from conformance import quiet
from conformance.once_per_run import WORKER_PLUGIN
from conformance.junit_fit import FailureText
from conformance import session as run_session
from conformance.progress import PLUGIN_NAME as PROGRESS_NAME
from conformance.progress import REQUESTS_ATTRIBUTE, count_requests
from conformance.settings import RunSettings
from conformance.write_guard import SAFE_METHODS

INPUT_KEY = "audience_run"
_FAILURE_KEY = "audience_failure"
SCOPE_KEY = "audience_out_of_scope"
STOP_GRACE = 5.0  # seconds a signalled worker has to stop before it is killed
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class SharedRun:
    """What the controller gives every worker; travels over xdist's channel, never argv."""

    run_id: str
    seed: int
    base_url: str
    api_key: str
    secondary_api_key: str | None
    folder: str
    preflight_failed: bool


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def joined_run(config: pytest.Config) -> SharedRun | None:
    """In a worker: the controller's run; elsewhere None."""
    data = getattr(config, "workerinput", {}).get(INPUT_KEY)
    return SharedRun(**data) if isinstance(data, dict) else None


def with_controller_seed(config: pytest.Config, settings: RunSettings) -> RunSettings:
    """A worker's settings with the controller's seed: every worker must generate the same tests."""
    shared = joined_run(config)
    return settings if shared is None else dataclasses.replace(settings, seed=shared.seed)


def controls_workers(config: pytest.Config) -> bool:
    return (
        not is_worker(config)
        and bool(getattr(config.option, "numprocesses", None))
        and config.getoption("dist", "no") != "no"
    )


def register(config: pytest.Config) -> None:
    """Called by the plugin at configure time in every process."""
    quiet.add_marker(config)
    shared = joined_run(config)
    if shared is not None:
        config.pluginmanager.register(WorkerSide(config, shared), WORKER_PLUGIN)
    elif controls_workers(config):
        if config.getoption("dist") == "load":
            config.option.dist = (
                "loadgroup"  # tests handed out a few at a time, in order: the phases hold
            )
        config.pluginmanager.register(Controller(config), "audience-conformance-controller")


def worker_tag(worker_id: str) -> str:
    """'gw0' -> 'a', 'gw25' -> 'z', 'gw26' -> 'ba': letters, so a tag never runs into the counter's digits."""
    number = int("".join(ch for ch in worker_id if ch.isdigit()) or "0")
    letters = ""
    while True:
        number, digit = divmod(number, len(_LETTERS))
        letters = _LETTERS[digit] + letters
        if number == 0:
            return letters


class Controller:
    """The process that makes the run, hands it to the workers and ends it."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.folder = Path(tempfile.mkdtemp(prefix="audience-run-"))
        self.shared: SharedRun | None = None

    @pytest.hookimpl(tryfirst=True)  # before xdist starts the workers
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from conformance.plugin import start_run
        from conformance.recorder import RECORDER_NAME

        context = start_run()
        context.before_cleanup.append(lambda: self.stop_workers(context))
        count_requests(context)
        recorder = self.config.pluginmanager.get_plugin(RECORDER_NAME)
        # The run's properties on the JUnit file, and the preflight: once, here (the controller
        # collects no tests, so the recorder's collection hook would not run in this process).
        recorder.pytest_collection_finish(session)
        set_scope(
            self.config, recorder, {}
        )  # the workers collect the tests; they say what is in scope
        failed = recorder.failed_start is not None
        progress = self.config.pluginmanager.get_plugin(PROGRESS_NAME)
        if progress is not None and not failed:
            progress.preflight_done()
        primary, secondary = context.primary, context.secondary
        self.shared = SharedRun(
            run_id=context.run_id,
            seed=context.seed,
            base_url=context.base_url,
            api_key=primary.api_key,
            secondary_api_key=secondary.api_key if secondary is not None else None,
            folder=str(self.folder),
            preflight_failed=failed,
        )

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_from_serializable(
        self, config: pytest.Config, data: dict[str, Any]
    ) -> pytest.TestReport | None:
        return failure_from_wire(data)

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        from conformance.recorder import RECORDER_NAME

        chosen = getattr(node, "workeroutput", {}).get(SCOPE_KEY)
        if isinstance(chosen, dict):
            set_scope(self.config, self.config.pluginmanager.get_plugin(RECORDER_NAME), chosen)

    def pytest_configure_node(self, node: Any) -> None:
        assert self.shared is not None, "the run is made before the workers start"
        node.workerinput[INPUT_KEY] = asdict(self.shared)

    def stop_workers(self, context: run_session.RunContext) -> None:
        """Before the cleanup: no worker may still be writing; then their journals join the ledger."""
        journals = [read_journal(path) for path in sorted(self.folder.glob("journal-*.jsonl"))]
        running = [
            journal.pid
            for journal in journals
            if journal.pid and not journal.ended and _alive(journal.pid)
        ]
        for pid in running:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while running and time.monotonic() < deadline:
            time.sleep(0.05)
            ended = {
                journal.pid
                for journal in (read_journal(path) for path in self.folder.glob("journal-*.jsonl"))
                if journal.ended
            }
            running = [pid for pid in running if pid not in ended and _alive(pid)]
        for pid in running:
            _signal(pid, signal.SIGKILL)
        if journals and not context.settings.read_only:
            # A worker may have written without a 201 telling it (or been killed before hearing
            # it): the controller's sweep for the run's prefix must run.
            context.guard.writes_let_through += 1
        keys = [target.api_key for target in context.targets]
        for path in sorted(self.folder.glob("journal-*.jsonl")):
            for account, audience_id in read_journal(path).created:
                if account < len(keys):
                    context.ledger.adopt(keys[account], audience_id)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Journal:
    pid: int
    ended: bool
    created: list[tuple[int, str]]


def read_journal(path: Path) -> Journal:
    """A worker's journal; a line cut short by a kill is skipped."""
    journal = Journal(pid=0, ended=False, created=[])
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return journal
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        if "pid" in entry:
            journal.pid = int(entry["pid"])
        if entry.get("end"):
            journal.ended = True
        if "id" in entry:
            journal.created.append((int(entry.get("account", 0)), str(entry["id"])))
    return journal


class WorkerSide:
    """In a worker: join the controller's run, journal what is created, keep quiet tests apart."""

    def __init__(self, config: pytest.Config, shared: SharedRun) -> None:
        self.config = config
        self.shared = shared
        worker_id = str(config.workerinput.get("workerid", "gw0"))  # type: ignore[attr-defined]
        self.tag = worker_tag(worker_id)
        self.lock = quiet.QuietLock(Path(shared.folder))
        self._held: quiet.Held | None = None  # the quiet lock, while the current test holds it
        self._wrote = False  # the current test sent a write
        self._reader = False  # the current test is a quiet reader
        self.waited = 0.0  # seconds this worker's tests waited for the quiet lock
        self._holding = threading.Lock()
        self.journal: IO[str] = open(
            Path(shared.folder) / f"journal-{worker_id}.jsonl", "a", encoding="utf-8", buffering=1
        )
        self._write({"pid": os.getpid()})

    def _write(self, entry: dict[str, Any]) -> None:
        self.journal.write(json.dumps(entry) + "\n")
        self.journal.flush()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        items[:] = quiet.in_phases(items)
        if self.shared.preflight_failed and items:
            config.hook.pytest_deselected(items=list(items))
            items.clear()

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """The suite's modules are imported (names made at import are the same in every worker);
        from now on this worker's names carry its tag, and what it creates goes to its journal."""
        context = run_session.active()
        if context is None:
            return
        context.namer.tag = self.tag
        count_requests(context)
        primary_key = context.primary.api_key
        ledger = context.ledger
        adopt = ledger.adopt

        def journaled(key: str, audience_id: str) -> None:
            self._write({"account": 0 if key == primary_key else 1, "id": audience_id})
            adopt(key, audience_id)

        ledger.adopt = journaled  # type: ignore[method-assign]
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
        if kind is not None:
            with self._holding:
                self._take(kind)
        try:
            yield
        finally:
            with self._holding:
                self._let_go()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        outcome = yield
        context = run_session.active()
        if context is not None:
            setattr(outcome.get_result(), REQUESTS_ATTRIBUTE, count_requests(context).count)

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_to_serializable(
        self, config: pytest.Config, report: pytest.TestReport
    ) -> dict[str, Any] | None:
        return failure_to_wire(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from conformance.recorder import RECORDER_NAME

        recorder = self.config.pluginmanager.get_plugin(RECORDER_NAME)
        self.config.workeroutput[SCOPE_KEY] = dict(getattr(recorder, "out_of_scope", {}))  # type: ignore[attr-defined]
        self._write({"end": True, "waited": round(self.waited, 1)})


def set_scope(config: pytest.Config, recorder: Any, out_of_scope: dict[str, str]) -> None:
    """The rules the user's choice left out, as the workers' collection found them: on the
    recorder (the verdict) and on the JUnit file (the certificate)."""
    from _pytest.junitxml import xml_key

    from conformance import scope

    recorder.out_of_scope = dict(out_of_scope)
    xml = config.stash.get(xml_key, None)
    if xml is not None:
        xml.global_properties = [
            (name, value) for name, value in xml.global_properties if name != scope.PROPERTY
        ]
        xml.add_global_property(scope.PROPERTY, scope.encode(out_of_scope))


def failure_to_wire(report: Any) -> dict[str, Any] | None:
    """A failure's redacted text and one-line summary, as xdist can send them (pytest's own
    serializer knows only its own kinds of failure text)."""
    failure = getattr(report, "longrepr", None)
    if not isinstance(report, pytest.TestReport) or not isinstance(failure, FailureText):
        return None
    report.longrepr = None
    try:
        data = report._to_json()
    finally:
        report.longrepr = failure
    crash = failure.reprcrash
    data[_FAILURE_KEY] = {
        "text": failure.text,
        "summary": crash.message,
        "path": crash.path,
        "lineno": crash.lineno,
    }
    data["$report_type"] = "TestReport"
    return data


def failure_from_wire(data: dict[str, Any]) -> pytest.TestReport | None:
    failure = data.get(_FAILURE_KEY)
    if not isinstance(failure, dict):
        return None
    fields = {
        key: value for key, value in data.items() if key not in (_FAILURE_KEY, "$report_type")
    }
    report = pytest.TestReport._from_json(fields)
    report.longrepr = FailureText(
        failure["text"], failure["summary"], failure["path"], failure["lineno"]
    )  # type: ignore[assignment]
    return report


def _alive(pid: int) -> bool:
    """Still running (a zombie, dead but not yet reaped by xdist, is not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError:
        pass
