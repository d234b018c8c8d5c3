"""The pytest plugin: options, the rule marker, JUnit properties, redaction and the verdict.

Loaded through the ``pytest11`` entry point, so the suite also runs under plain pytest:
``pytest --pyargs conformance.suite --audience-base-url URL``. The CLI is a thin front on
the same plugin. Every hook here is inert for tests that carry no ``rule`` marker.
"""

from __future__ import annotations

import dataclasses
import random
import sys
from collections.abc import Generator
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, Phase

from conformance.checks import account_wide, unicode_tables
from conformance.errors import ForeignWriteRefused, SettingsError, UnknownRuleError
from conformance.plugin import progress, sharding, workers
from conformance.plugin.critical_path import CRITICAL_PATH, CriticalPath
from conformance.plugin.every_test_ran import SelectedTests
from conformance.plugin.masked_reports import mask_report
from conformance.plugin.pytest_options import SETTINGS_KEY, add_options, settings_of
from conformance.plugin.recorder import INSECURE_WARNING, RECORDER, RunRecorder
from conformance.plugin.worker_wire import is_worker, joined_run
from conformance.run import session as run_session
from conformance.run.options import CLI_FRONT
from conformance.run.settings import RunSettings, checked_output_file
from conformance.run.stopping import RunStop
from conformance.verdict import scope
from conformance.verdict import should_kept as kept
from conformance.verdict.exits import Exit, user_error_line
from conformance.verdict.junit_for_viewers import JUnitShaper
from conformance.verdict.outcomes import outcomes_of, with_left_out
from conformance.verdict.rule_marker import MARKER_HELP, rule_pairs, rules_of
from conformance.verdict.scope import READ_ONLY, out_of_scope

HYPOTHESIS_PROFILE = "audience-conformance"
OUTCOME_RECORDED = pytest.StashKey[bool]()
KEEPER = pytest.StashKey[kept.Keeper]()

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
    config.addinivalue_line("markers", MARKER_HELP)
    config.addinivalue_line(
        "markers",
        "writes: the test creates or changes data on the target; out of scope in read-only mode",
    )
    config.addinivalue_line("markers", "secondary: the test needs a second account's key")
    config.addinivalue_line(
        "markers",
        f"{account_wide.MARKER}: the test's checks read the whole account; a failure a write can cause is tried again only beside evidence of another client's write (an id that appeared or went)",
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
    # A stop landing in a hook wrapper's teardown reaches pytest as itself after pluggy's warning.
    config.addinivalue_line(
        "filterwarnings", "ignore:(?s).*RunStopped:pluggy.PluggyTeardownRaisedWarning"
    )
    if settings.transport.insecure:
        # The user chose it and is told once (the report header, the verdict, the certificate),
        # not once per request.
        config.addinivalue_line(
            "filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning"
        )
    _stop = RunStop()
    _config = config
    # The one recorder, built here and handed to every part that needs it.
    recorder = config.stash[RECORDER] = RunRecorder(config, _stop)
    config.pluginmanager.register(recorder, "audience-conformance-recorder")
    config.pluginmanager.register(JUnitShaper(), "audience-conformance-junit")
    config.pluginmanager.register(SelectedTests(config), "audience-conformance-selected")
    chains = config.stash[CRITICAL_PATH] = CriticalPath()
    config.pluginmanager.register(chains, "audience-conformance-critical-path")
    # Several processes, shards, progress: each in its own module.
    shown = (
        progress.Progress(config, recorder)
        if config.getoption("audience_front") == CLI_FRONT and not is_worker(config)
        else None
    )
    workers.register(config, recorder, shown, start_run)
    sharding.register(config, recorder)
    if shown is not None:
        config.pluginmanager.register(shown, "audience-conformance-progress")
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
    if not is_worker(_config):  # the controller ends the run
        _config.stash[RECORDER].begin()
    return run_session.activate(current_settings(), _stop, joined_run(_config))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    """The tests are over: the run is finishing from here, so a first signal is noted, never
    raised (one landing in another plugin's end of session would skip the cleanup)."""
    try:
        return (yield)
    finally:
        if _stop is not None and not is_worker(session.config):  # the controller cleans up
            _stop.begin_finishing()


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
    """SHOULD failures the test kept (:mod:`conformance.verdict.should_kept`) fail it once it has run to its end."""
    pairs = rule_pairs(item)
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
    pairs = rule_pairs(item)
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
        item.config.stash[RECORDER].suite_errors.append(f"{item.nodeid}: {call.excinfo.value}")
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
    context = run_session.active()
    if context is not None:  # keys leave no process: masked here, at the report's edge
        mask_report(
            report, call.excinfo.value if call.excinfo is not None else None, context.redactor
        )


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
