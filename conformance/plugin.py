"""The pytest plugin: options, the rule marker, JUnit properties, redaction and the verdict.

Loaded through the ``pytest11`` entry point, so the suite also runs under plain pytest:
``pytest --pyargs conformance.suite --audience-base-url URL``. The CLI is a thin front on
the same plugin. Every hook here is inert for tests that carry no ``rule`` marker.
"""

from __future__ import annotations

import dataclasses
import random
import sys
from collections.abc import Generator, Iterable
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, Phase

from conformance import account_wide, kept, progress, scope, sharding, unicode_tables, workers
from conformance import session as run_session
from conformance.exits import Exit, user_error_line
from conformance.junit_fit import FailureText, JUnitShaper, summary_of, violation_text
from conformance.rules import RULES_BY_ID, Level, get_rule
from conformance.stopping import RunStop
from conformance.errors import ForeignWriteRefused, SettingsError, UnknownRuleError
from conformance.plugin_options import CLI_FRONT, SETTINGS_KEY, add_options, settings_of
from conformance.recorder import INSECURE_WARNING, RECORDER_NAME, RunRecorder
from conformance.settings import RunSettings, checked_output_file
from conformance.outcomes import Outcome, RuleOutcome, outcomes_of, with_left_out
from conformance.scope import READ_ONLY, out_of_scope

HYPOTHESIS_PROFILE = "audience-conformance"
OUTCOME_RECORDED = pytest.StashKey[bool]()
KEEPER = pytest.StashKey[kept.Keeper]()

_settings: RunSettings | None = None
_stop: RunStop | None = None
_config: pytest.Config | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)
    sharding.add_option(parser)


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
    config.addinivalue_line(
        "markers",
        "rule(*ids, level=None): the contract rule IDs a test checks (level overrides the catalogue's for a rule with parts of two levels)",
    )
    config.addinivalue_line(
        "markers",
        "writes: the test creates or changes data on the target; out of scope in read-only mode",
    )
    config.addinivalue_line("markers", "secondary: the test needs a second account's key")
    config.addinivalue_line(
        "markers",
        f"{account_wide.MARKER}: the test's checks read the whole account; a failure counts only when it repeats the same way (others may write meanwhile)",
    )
    try:
        settings = settings_of(config)
    except SettingsError as error:
        raise pytest.UsageError(str(error)) from None
    settings = workers.with_controller_seed(config, settings)
    if settings.seed is None:
        # Every run has a seed, printed at its end, so any run can be repeated.
        settings = dataclasses.replace(settings, seed=random.SystemRandom().randrange(2**32))
    config.stash[SETTINGS_KEY] = settings
    # A failing example holding a whole walk has a large repr; Hypothesis' warning about it must
    # not turn a rule's failure into an error, on the plain-pytest route too.
    config.addinivalue_line(
        "filterwarnings", "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
    )
    if settings.transport.insecure:
        # The user chose it and is told once (the report header, the verdict, the certificate),
        # not once per request.
        config.addinivalue_line(
            "filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning"
        )
    _stop = RunStop()
    _config = config
    config.pluginmanager.register(RunRecorder(config, _stop), RECORDER_NAME)
    config.pluginmanager.register(JUnitShaper(), "audience-conformance-junit")
    # Several processes, shards, progress: each in its own module.
    workers.register(config)
    sharding.register(config)
    if config.getoption("audience_front") == CLI_FRONT and not workers.is_worker(config):
        config.pluginmanager.register(progress.Progress(config), progress.PLUGIN_NAME)
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
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash.get(SETTINGS_KEY, None)
    return (
        [f"audience-conformance: {INSECURE_WARNING}"]
        if settings is not None and settings.transport.insecure
        else []
    )


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
    assert _stop is not None and _config is not None, (
        "the plugin is configured before the suite's conftest is imported"
    )
    _stop.install()
    recorder = _config.pluginmanager.get_plugin(RECORDER_NAME)
    if isinstance(recorder, RunRecorder) and not workers.is_worker(
        _config
    ):  # the controller ends the run
        recorder.begin()
    return run_session.activate(current_settings(), _stop, workers.joined_run(_config))


def rules_of(item: pytest.Item) -> list[tuple[str, Level]]:
    """The (rule ID, level) pairs a test declares with ``@pytest.mark.rule``."""
    pairs: list[tuple[str, Level]] = []
    for marker in item.iter_markers("rule"):
        override = marker.kwargs.get("level")
        for rule_id in marker.args:
            rule = get_rule(rule_id)
            pairs.append((rule.id, Level(override) if override else rule.level))
    return pairs


def rule_ids_of(item: pytest.Item) -> list[str]:
    """The rule IDs a test declares; none for a test of another plugin or with an unknown ID."""
    return [rule_id for rule_id, _ in _rule_pairs(item)]


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
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
    scope.start_test()
    context = run_session.active()
    if context is not None:
        context.witness.new_test()
    settings = item.config.stash[SETTINGS_KEY]
    if item.get_closest_marker("writes") and settings.read_only:
        out_of_scope(READ_ONLY)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """SHOULD failures the test kept (:mod:`conformance.kept`) fail it once it has run to its end."""
    pairs = _rule_pairs(item)
    if not pairs:
        return (yield)
    keeper = item.stash[KEEPER] = kept.begin(pairs)
    try:
        yield
    except BaseException as error:
        keeper.note_on(error)
        raise
    finally:
        kept.end()
    keeper.raise_kept()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
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
    if not item.stash.get(OUTCOME_RECORDED, False):
        error = call.excinfo.value if call.excinfo is not None else None
        # The first phase that does not pass decides (a fixture's violation, a skip, the test's
        # failure); a test whose phases all pass is recorded at teardown.
        if error is not None or call.when == "teardown":
            keeper = item.stash.get(KEEPER, None)
            left_out = scope.left_out_in_test()
            item.user_properties += [
                found.as_property()
                for found in with_left_out(
                    outcomes_of(pairs, error, keeper.rules if keeper else ()), left_out
                )
            ]
            item.user_properties += scope.as_properties(left_out)
            item.stash[OUTCOME_RECORDED] = True
    report.user_properties = list(item.user_properties)
    _redact_report(report, call.excinfo.value if call.excinfo is not None else None)


def _refused_write(error: BaseException) -> bool:
    """Whether a refused write is anywhere in the error: its group's members, cause or context.

    The chain is walked once per exception, never recursively: it can loop (an exception
    re-raised from inside ``except SomeGroup`` has that group, which holds it, as its context).
    """
    pending, seen = [error], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ForeignWriteRefused):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending += current.exceptions
        pending += [
            linked for linked in (current.__cause__, current.__context__) if linked is not None
        ]
    return False


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
            failed = [
                found.rule for found in _written_outcomes(report) if found.outcome is Outcome.FAILED
            ]
            path, lineno, test = report.location
            text = violation_text(error, f"{path}:{(lineno or 0) + 1} {test}") or str(
                report.longrepr
            )
            report.longrepr = FailureText(
                redact(text), summary_of(error, failed, redact), path, (lineno or 0) + 1
            )
    report.sections = [(title, redact(content)) for title, content in report.sections]


def _written_outcomes(report: pytest.TestReport) -> list[RuleOutcome]:
    levels = {
        str(value): Level(str(level))
        for (name, value), (_, level) in zip(report.user_properties, report.user_properties[1:])
        if name == "rule"
    }
    return [
        RuleOutcome.from_property(str(value), levels)
        for name, value in report.user_properties
        if name == "outcome"
    ]


def describe_rules(rule_ids: Iterable[str]) -> str:
    """'PAGE-04 (MUST), FILT-03 (SHOULD)' for messages."""
    return ", ".join(f"{rule_id} ({RULES_BY_ID[rule_id].level.value})" for rule_id in rule_ids)
