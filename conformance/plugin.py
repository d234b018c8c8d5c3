"""The pytest plugin: options, the rule marker, JUnit properties, redaction and the verdict.

Loaded through the ``pytest11`` entry point, so the suite also runs under plain pytest:
``pytest --pyargs conformance.suite --audience-base-url URL``. The CLI is a thin front on
the same plugin. Every hook here is inert for tests that carry no ``rule`` marker.
"""

from __future__ import annotations

import dataclasses
import gc
import random
import sys
import time
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, Phase

from _pytest.junitxml import xml_key

from conformance import __version__, account_wide, artefacts, unicode_tables
from conformance import session as run_session
from conformance.exits import Exit, RunEnd, exit_code_of, user_error_line
from conformance.junit_fit import FailureText, JUnitShaper, summary_of, violation_text
from conformance.ledger import CleanupReport
from conformance.rules import RULES_BY_ID, Level, UnknownRuleError, get_rule
from conformance.stopping import RunStop, RunStopped
from conformance.target import ForeignWriteRefused
from conformance.plugin_options import add_options, settings_of
from conformance.settings import RunSettings, SettingsError, checked_output_file
from conformance.verdict import TestRecord, Verdict, compute_verdict, failed_rules_of

HYPOTHESIS_PROFILE = "audience-conformance"
SETTINGS_KEY = pytest.StashKey[RunSettings]()
RECORDER_NAME = "audience-conformance-recorder"

_settings: RunSettings | None = None
_stop: RunStop | None = None
_config: pytest.Config | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """A mistake in the suite's options is the user's: one line and exit 2, as on the command line
    (pytest would print its usage error and exit 4)."""
    if config.getoption("help", False) or config.getoption("version", 0):
        return None
    try:
        settings = settings_of(config)
        junit_xml = config.getoption("xmlpath", None)
        if junit_xml:
            checked_output_file(junit_xml, settings.option("junit_xml"))
    except SettingsError as error:
        sys.stderr.write(user_error_line(str(error)) + "\n")
        return int(Exit.USAGE)
    return None


def pytest_configure(config: pytest.Config) -> None:
    global _settings, _stop, _config
    config.addinivalue_line("markers", "rule(*ids, level=None): the contract rule IDs a test checks (level overrides the catalogue's for a rule with parts of two levels)")
    config.addinivalue_line("markers", "writes: the test creates or changes data on the target; skipped in read-only mode")
    config.addinivalue_line("markers", "secondary: the test needs a second account's key")
    config.addinivalue_line("markers", f"{account_wide.MARKER}: the test's checks read the whole account; a failure counts only when it repeats the same way (others may write meanwhile)")
    try:
        settings = settings_of(config)
    except SettingsError as error:
        raise pytest.UsageError(str(error)) from None
    if settings.seed is None:
        # Every run has a seed, printed at its end, so any run can be repeated.
        settings = dataclasses.replace(settings, seed=random.SystemRandom().randrange(2**32))
    config.stash[SETTINGS_KEY] = settings
    if settings.transport.insecure:
        # The user chose it and is told once (the report header, the verdict, the certificate),
        # not once per request.
        config.addinivalue_line("filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning")
    _stop = RunStop()
    _config = config
    config.pluginmanager.register(RunRecorder(config, _stop), RECORDER_NAME)
    config.pluginmanager.register(JUnitShaper(), "audience-conformance-junit")
    _settings = settings
    unicode_tables.restore()
    hypothesis.settings.register_profile(
        HYPOTHESIS_PROFILE,
        database=None,  # a target's past failures must not steer a run against another target
        deadline=None,
        print_blob=False,
        max_examples=settings.profile.property_examples,
        # No explain phase: once a test fails it traces every line of every request, which
        # turns a one-second failure into a twenty-second one.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )


INSECURE_WARNING = "WARNING: --insecure: the target's TLS certificate is not verified; the certificate records it."


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash.get(SETTINGS_KEY, None)
    return [f"audience-conformance: {INSECURE_WARNING}"] if settings is not None and settings.transport.insecure else []


def pytest_unconfigure(config: pytest.Config) -> None:
    if SETTINGS_KEY in config.stash:
        unicode_tables.keep()
    if _stop is not None:
        _stop.uninstall()


def current_settings() -> RunSettings:
    """The settings of this pytest session, for suite modules that need them at import time."""
    if _settings is None:
        raise RuntimeError("The audience-conformance plugin is not configured in this process.")
    return _settings


def start_run() -> run_session.RunContext:
    """Start the conformance run of this pytest session (the suite's conftest calls this once):
    take over the stop signals, remove an earlier run's reports, and make the run."""
    assert _stop is not None and _config is not None, "the plugin is configured before the suite's conftest is imported"
    _stop.install()
    recorder = _config.pluginmanager.get_plugin(RECORDER_NAME)
    if isinstance(recorder, RunRecorder):
        recorder.begin()
    return run_session.activate(current_settings(), _stop)


def run_properties(context: run_session.RunContext) -> dict[str, str]:
    """What a certificate needs to say about the run besides the test outcomes."""
    from conformance.api_schema import spec_sha256

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


def rules_of(item: pytest.Item) -> list[tuple[str, Level]]:
    """The (rule ID, level) pairs a test declares with ``@pytest.mark.rule``."""
    pairs: list[tuple[str, Level]] = []
    for marker in item.iter_markers("rule"):
        override = marker.kwargs.get("level")
        for rule_id in marker.args:
            rule = get_rule(rule_id)
            pairs.append((rule.id, Level(override) if override else rule.level))
    return pairs


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        try:
            rules_of(item)
        except UnknownRuleError as error:
            raise pytest.UsageError(f"{item.nodeid}: {error}") from None
    for item in items:
        if item.get_closest_marker(account_wide.MARKER):
            account_wide.apply_to(item)
    wanted = set(config.stash[SETTINGS_KEY].rules)
    if not wanted:
        return
    selected = [item for item in items if {rule_id for rule_id, _ in rules_of(item)} & wanted]
    deselected = [item for item in items if item not in selected]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_runtest_setup(item: pytest.Item) -> None:
    account_wide.Disturbed.count = 0
    settings = item.config.stash[SETTINGS_KEY]
    if item.get_closest_marker("writes") and settings.read_only:
        pytest.skip("needs to create or change data, and the run is --read-only")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    pairs = _rule_pairs(item)
    if not pairs:
        return
    report: pytest.TestReport = outcome.get_result()
    if call.when == "setup":
        for rule_id, level in pairs:
            item.user_properties.append(("rule", rule_id))
            item.user_properties.append(("level", level.value))
    if report.failed and call.excinfo is not None and _refused_write(call.excinfo.value):
        # The suite tried to change an audience it did not create: its own fault, never the
        # target's. The write was not sent; the run is incomplete (exit 4), naming the test.
        recorder = item.config.pluginmanager.get_plugin(RECORDER_NAME)
        if isinstance(recorder, RunRecorder):
            recorder.suite_errors.append(f"{item.nodeid}: {call.excinfo.value}")
    if report.failed and call.excinfo is not None:
        declared = [rule_id for rule_id, _ in pairs]
        for rule_id in failed_rules_of(call.excinfo.value, declared):
            item.user_properties.append(("failed_rule", rule_id))
    report.user_properties = list(item.user_properties)
    _redact_report(report, call.excinfo.value if call.excinfo is not None else None)


def _refused_write(error: BaseException) -> bool:
    if isinstance(error, ForeignWriteRefused):
        return True
    if isinstance(error, BaseExceptionGroup):
        return any(_refused_write(inner) for inner in error.exceptions)
    cause = error.__cause__ or error.__context__
    return cause is not None and cause is not error and _refused_write(cause)


def _rule_pairs(item: pytest.Item) -> list[tuple[str, Level]]:
    try:
        return rules_of(item)
    except UnknownRuleError:
        return []


def _redact_report(report: pytest.TestReport, error: BaseException | None) -> None:
    """Keys out of the report; a failure keeps its whole (redacted) text and gets a one-line
    summary, which JUnit shows as the failure's message."""
    context = run_session.active()
    if context is None:
        return
    redact = context.redactor
    if report.longrepr is not None:
        if isinstance(report.longrepr, tuple):
            path, lineno, reason = report.longrepr
            report.longrepr = (path, lineno, redact(reason))
        else:
            failed = [str(value) for name, value in report.user_properties if name == "failed_rule"]
            path, lineno, test = report.location
            text = violation_text(error, f"{path}:{(lineno or 0) + 1} {test}") or str(report.longrepr)
            report.longrepr = FailureText(redact(text), summary_of(error, failed, redact), path, (lineno or 0) + 1)
    report.sections = [(title, redact(content)) for title, content in report.sections]


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
        self.failed_start: tuple[RunEnd, str] | None = None  # the target could not be tested at all
        self.started = False
        self.certificate: list[Path] = []
        self.certificate_problem = ""
        self._outcomes: dict[str, tuple[str, str]] = {}

    @property
    def run_end(self) -> RunEnd:
        if self.failed_start is not None:
            return self.failed_start[0]
        return self.stop.reason or RunEnd.COMPLETED

    @property
    def junit_path(self) -> Path | None:
        """Where JUnit goes (``--junit-xml``), on either route."""
        path = self.config.getoption("xmlpath", None)
        return Path(path).absolute() if path else None

    def begin(self) -> None:
        """The run starts: what an earlier run left at the same place must not outlive it."""
        self.started = True
        if self.junit_path is not None:
            artefacts.remove_stale(self.junit_path)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Record what is certified, and how, as JUnit testsuite properties (the certificate's
        header), then check that the target answers at all."""
        context = run_session.active()
        if context is None:
            return
        xml = self.config.stash.get(xml_key, None)
        if xml is not None:
            for name, value in run_properties(context).items():
                xml.add_global_property(name, value)
        try:
            context.preflight()
        except run_session.PreflightFailure as failure:
            self._stop_before_any_test(session, failure)
            return
        # What collection built (the schema, its strategies, every test) lives for the whole run:
        # out of the collector's sight, full collections stop walking it again and again.
        gc.collect()
        gc.freeze()

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        if self.stop.reason is None:
            # A KeyboardInterrupt that did not come through the stop switch (signals not taken over).
            self.stop.reason = excinfo.value.reason if isinstance(excinfo.value, RunStopped) else RunEnd.INTERRUPTED

    def _stop_before_any_test(self, session: pytest.Session, failure: run_session.PreflightFailure) -> None:
        """No test runs: the target cannot be certified as given. One line says why; the exit
        code (2 for the user's mistake, 3 for an unreachable target or a refused key) is set at
        the session's end."""
        self.failed_start = (failure.end, str(failure))
        message = str(failure)
        sys.stderr.write((user_error_line(message) if failure.end is RunEnd.MISCONFIGURED else f"audience-conformance: {message}") + "\n")
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
            self.records.append(TestRecord.from_properties(report.nodeid, report.user_properties, *final))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Before JUnit is written: delete what the run created, then decide how the run ended."""
        if not self.started:
            return
        self.stop.begin_finishing()
        self.cleanup = run_session.deactivate()
        xml = self.config.stash.get(xml_key, None)
        if xml is not None:
            xml.add_global_property("run_end", self.run_end.value)
            for name, value in (self.cleanup or CleanupReport()).as_properties().items():
                xml.add_global_property(name, value)
        ended = exit_code_of(self.run_end)
        if ended is not None or self.suite_errors:
            session.exitstatus = int(ended or Exit.INCOMPLETE)
            return
        if not self.records:
            return
        settings = self.config.stash[SETTINGS_KEY]
        self.verdict = compute_verdict(self.records, strict=settings.strict)
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            session.exitstatus = pytest.ExitCode.OK if self.verdict.conformant else pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if not self.started:
            return
        write = terminalreporter.write_line
        terminalreporter.section("audience-conformance verdict")
        if config.stash[SETTINGS_KEY].transport.insecure:
            write(INSECURE_WARNING)
        for line in (self.cleanup or CleanupReport()).lines():
            write(line)
        for error in self.suite_errors:
            write(f"suite error: {error}")
        write(f"seed: {self.seed} (repeat with --audience-seed {self.seed}, or run --seed {self.seed})")
        if self.run_end != RunEnd.COMPLETED:
            write(f"no verdict: {artefacts.CAUSES.get(self.run_end, self.run_end.value)}")
            return
        if self.suite_errors:
            write("no verdict: the suite refused to send a write to an audience this run did not create (its own error, not the target's)")
            return
        if self.verdict is not None:
            for line in self.verdict.summary_lines():
                write(line)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """After JUnit is written: complete it when no test reached it, and build the certificate
        from it, on every route and at every end (a stale one is never left in its place)."""
        junit = self.junit_path
        if not self.started or junit is None or not junit.is_file():
            return
        detail = self.failed_start[1] if self.failed_start else ""
        artefacts.record_run_end(junit, self.run_end, detail)
        from conformance.report import ReportError, write_certificate

        try:
            self.certificate = write_certificate(junit)
        except ReportError as error:
            self.certificate_problem = str(error)
            print(f"audience-conformance: no certificate: {error}", file=sys.stderr)


def _reason_of(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    if report.failed:
        return str(report.longrepr)
    return ""


def describe_rules(rule_ids: Iterable[str]) -> str:
    """'PAGE-04 (MUST), FILT-03 (SHOULD)' for messages."""
    return ", ".join(f"{rule_id} ({RULES_BY_ID[rule_id].level.value})" for rule_id in rule_ids)
