"""The run's recorder: one record per rule-tagged test, how the run ended, and its artefacts.

It is the part of the plugin that sees the whole run: it collects what each test found, decides
the verdict when the run completed, and leaves JUnit and the certificate at every end.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _pytest.junitxml import xml_key

from conformance import __version__
from conformance.contract.spec_files import spec_sha256
from conformance.http.ledger import CleanupReport
from conformance.plugin import whole_suite
from conformance.plugin.every_test_ran import tests_left_unrun
from conformance.plugin.pytest_options import SETTINGS_KEY
from conformance.plugin.tracebacks import make_printable
from conformance.run import artefacts
from conformance.run import session as run_session
from conformance.run.options import CLI_FRONT
from conformance.run.preflight import PreflightFailure
from conformance.run.stopping import RunStop, RunStopped
from conformance.verdict import scope
from conformance.verdict.exits import Exit, RunEnd, exit_code_of, user_error_line
from conformance.verdict.outcomes import skip_reason
from conformance.verdict.per_rule import (
    CONFORMANT,
    NO_VERDICT,
    NOT_CONFORMANT,
    TestRecord,
    Verdict,
    compute_verdict,
)
from conformance.verdict.rule_marker import rule_ids_of
from conformance.verdict.shards import Shard, shard_exit, shard_summary

RECORDER = pytest.StashKey["RunRecorder"]()  # the one recorder, for the plugin's own hooks
EXIT_OF_VERDICT = {
    CONFORMANT: Exit.CONFORMANT,
    NOT_CONFORMANT: Exit.NOT_CONFORMANT,
    NO_VERDICT: Exit.INCOMPLETE,
}


INSECURE_WARNING = (
    "WARNING: --insecure: the target's TLS certificate is not verified; the certificate records it."
)


def run_properties(context: run_session.RunContext) -> dict[str, str]:
    """What a certificate needs to say about the run besides the test outcomes."""
    settings = context.settings
    return {
        "target": context.base_url,
        "embedded_reference": str(settings.embedded).lower(),
        "profile": settings.profile.name,
        "seed": str(context.seed),
        "strict": str(settings.strict).lower(),
        "read_only": str(settings.read_only).lower(),
        "secondary_account": str(context.secondary is not None).lower(),
        "suite_version": __version__,
        "spec_sha256": spec_sha256(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(context.started_at)),
        "run_id": context.run_id,
        **settings.transport.describe(),
        "rate_limit": str(settings.rate_limit) if settings.rate_limit else "none",
    }


class RunRecorder:
    """Collects one :class:`TestRecord` per rule-tagged test, then decides how the run ended and,
    when it completed, the verdict; at the very end it leaves JUnit and the certificate."""

    def __init__(self, config: pytest.Config, stop: RunStop) -> None:
        self.config = config
        self.stop = stop
        self.seed = config.stash[SETTINGS_KEY].seed
        self.records: list[TestRecord] = []
        self.verdict: Verdict | None = None
        self.cleanup: CleanupReport | None = None
        self.suite_errors: list[str] = []  # the suite's own faults (a refused write): no verdict
        self.crashes: list[
            str
        ] = []  # pytest's internal errors, crashed workers: the run did not complete
        self.failed_start: tuple[RunEnd, str] | None = None  # the target could not be tested at all
        self.started = False
        self.certificate: list[Path] = []
        self.certificate_problem = ""
        self._outcomes: dict[str, tuple[str, str]] = {}
        self._deselected: list[
            list[str]
        ] = []  # the rules of each test left out by the user's choice
        self.out_of_scope: dict[str, str] = {}
        self.shard: Shard | None = None  # --shard K/N: the exit says what this shard found
        self.unrun = 0  # selected tests that left no record: the run stopped early

    @property
    def run_end(self) -> RunEnd:
        if self.failed_start is not None:
            return self.failed_start[0]
        if self.crashes:  # the first cause: a budget spent or a stop after it follows from it
            return RunEnd.SUITE_ERROR
        if self.stop.reason is not None:
            return self.stop.reason
        if self.suite_errors:
            return RunEnd.SUITE_ERROR
        return RunEnd.STOPPED_EARLY if self.unrun else RunEnd.COMPLETED

    @property
    def junit_path(self) -> Path | None:
        """Where JUnit goes (``--junit-xml``), on either route."""
        path = self.config.getoption("xmlpath", None)
        return Path(path).absolute() if path else None

    def begin(self) -> None:
        """The run starts: what an earlier run left at the same place must not outlive it."""
        self.started = True
        if self.junit_path is not None:
            artefacts.remove_stale(self.junit_path, self.shard)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self._deselected += [rule_ids_of(item) for item in items]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Record what is certified, and how, as JUnit testsuite properties (the certificate's
        header), then check that the target answers at all."""
        context = run_session.active()
        if context is None:
            return
        context.arm_budget()
        # Deselected tests and tests never collected (a narrower path) leave their rules out.
        left_out = self._deselected + whole_suite.uncollected(session, session.items, rule_ids_of)
        self.out_of_scope = scope.unselected_rules(
            [rule_ids_of(item) for item in session.items], left_out
        )
        xml = self.config.stash.get(xml_key, None)
        if xml is not None:
            for name, value in run_properties(context).items():
                xml.add_global_property(name, value)
        self.set_scope(self.out_of_scope)
        try:
            context.preflight()
        except PreflightFailure as failure:
            self._stop_before_any_test(session, failure)
            return
        # What collection built (the schema, its strategies, every test) lives for the whole run:
        # out of the collector's sight, full collections stop walking it again and again.
        gc.collect()
        gc.freeze()

    def set_scope(self, out_of_scope: dict[str, str]) -> None:
        """The rules the user's choice left out: for the verdict, and on the JUnit file (the
        certificate), replacing what was there (the workers' or the whole suite's collection
        may decide it after this process's own)."""
        self.out_of_scope = dict(out_of_scope)
        xml = self.config.stash.get(xml_key, None)
        if xml is not None:
            xml.global_properties = [
                (name, value) for name, value in xml.global_properties if name != scope.PROPERTY
            ]
            xml.add_global_property(scope.PROPERTY, scope.encode(self.out_of_scope))

    @pytest.hookimpl(tryfirst=True)
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        make_printable(excinfo)  # before the terminal reporter formats it
        if self.stop.reason is None:
            # A stop that did not come through the stop switch: pytest's own (--maxfail with
            # workers, pytest.exit; a signal would have reached the switch, when it holds the
            # signals), or a KeyboardInterrupt with the signals not taken over.
            by_pytest = self.stop.installed or isinstance(excinfo.value, pytest.exit.Exception)
            self.stop.reason = (
                excinfo.value.reason
                if isinstance(excinfo.value, RunStopped)
                else (RunEnd.STOPPED_EARLY if by_pytest else RunEnd.INTERRUPTED)
            )

    # A crash of the suite: whatever the tests found, the run did not complete and gives no verdict.

    def pytest_internalerror(
        self, excrepr: Any, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> None:
        last = str(excinfo.value).strip().splitlines()[-1:]
        self.crashes.append(
            f"internal error: {excinfo.typename}" + (f": {last[0]}" if last else "")
        )

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport, sched: Any) -> None:
        """pytest-xdist: a worker died while running a test."""
        self.crashes.append(f"{report.longrepr}")

    def _stop_before_any_test(self, session: pytest.Session, failure: PreflightFailure) -> None:
        """No test runs: the target cannot be certified as given. One line says why; the exit
        code (2 for the user's mistake, 3 for an unreachable target or a refused key) is set at
        the session's end."""
        self.failed_start = (failure.end, str(failure))
        message = str(failure)
        sys.stderr.write(
            (
                user_error_line(message)
                if failure.end is RunEnd.MISCONFIGURED
                else f"audience-conformance: {message}"
            )
            + "\n"
        )
        sys.stderr.flush()
        session.items.clear()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not any(name == "rule" for name, _ in report.user_properties):
            return
        outcome = self._outcomes.get(report.nodeid, ("passed", ""))
        # The first phase that did not pass decides the outcome (setup skip, call failure...).
        if outcome[0] == "passed" and (report.failed or report.skipped):
            self._outcomes[report.nodeid] = (report.outcome, _reason_of(report))
        if report.when == "teardown":
            final = self._outcomes.pop(report.nodeid, ("passed", ""))
            self.records.append(
                TestRecord.from_properties(report.nodeid, report.user_properties, *final)
            )

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Before JUnit is written: delete what the run created, then decide how the run ended."""
        if not self.started:
            return
        self.stop.begin_finishing()
        if session.exitstatus == pytest.ExitCode.INTERNAL_ERROR and not self.crashes:
            self.crashes.append("pytest ended in an internal error")
        if self.crashes and self.config.getoption("audience_front", None) != CLI_FRONT:
            # pytest shows no summary after its internal error; the command line prints its own line.
            sys.stderr.write(
                f"audience-conformance: no verdict: {artefacts.CAUSES[RunEnd.SUITE_ERROR]}.\n"
            )
        self.cleanup = run_session.deactivate()
        self.unrun = tests_left_unrun(self.config, len(self.records))
        xml = self.config.stash.get(xml_key, None)
        if xml is not None:
            xml.add_global_property("run_end", self.run_end.value)
            for name, value in (self.cleanup or CleanupReport()).as_properties().items():
                xml.add_global_property(name, value)
        ended = exit_code_of(self.run_end)
        if ended is not None or self.suite_errors:
            session.exitstatus = int(ended or Exit.INCOMPLETE)
            return
        if not self.records and self.shard is None:  # a shard may get no test of the split
            return
        settings = self.config.stash[SETTINGS_KEY]
        self.verdict = compute_verdict(
            self.records, strict=settings.strict, out_of_scope=self.out_of_scope
        )
        ended_as = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
        if session.exitstatus in ended_as or (self.shard and not self.records):
            session.exitstatus = int(self.exit_code(self.verdict))

    def exit_code(self, verdict: Verdict) -> Exit:
        """A completed run's exit code: its verdict's, or for a shard what the shard found."""
        return shard_exit(verdict) if self.shard else EXIT_OF_VERDICT[verdict.kind]

    def pytest_terminal_summary(
        self, terminalreporter: Any, exitstatus: int, config: pytest.Config
    ) -> None:
        if not self.started:
            return
        write = terminalreporter.write_line
        terminalreporter.section("audience-conformance verdict")
        if config.stash[SETTINGS_KEY].transport.insecure:
            write(INSECURE_WARNING)
        for line in (self.cleanup or CleanupReport()).lines():
            write(line)
        for error in self.suite_errors + self.crashes:
            write(f"suite error: {error}")
        write(
            f"seed: {self.seed} (repeat with --audience-seed {self.seed}, or run --seed {self.seed})"
        )
        if self.run_end != RunEnd.COMPLETED:
            write(f"no verdict: {artefacts.CAUSES.get(self.run_end, self.run_end.value)}")
            return
        if self.verdict is not None:
            shown = self.verdict.summary_lines()
            for line in shard_summary(self.verdict, self.shard) if self.shard else shown:
                write(line)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """After JUnit is written: complete it when no test reached it, and build the certificate
        from it, on every route and at every end (a stale one is never left in its place)."""
        junit = self.junit_path
        if not self.started or junit is None or not junit.is_file():
            return
        detail = (
            self.failed_start[1]
            if self.failed_start
            else "; ".join(self.suite_errors + self.crashes)
        )
        artefacts.record_run_end(junit, self.run_end, detail)
        from conformance.errors import ReportError
        from conformance.report import write_certificate

        try:
            self.certificate = write_certificate(junit)
        except ReportError as error:
            self.certificate_problem = str(error)
            print(f"audience-conformance: no certificate: {error}", file=sys.stderr)


def _reason_of(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return skip_reason(str(report.longrepr[2]))
    if report.failed:
        return str(report.longrepr)
    return ""
