"""JUnit as CI viewers show it: a one-line failure message, the suite's own file and line, one
property per name, no Hypothesis statistics or notes.

Viewers (Jenkins, GitLab, xunit-viewer, junitparser) show a failure's ``message`` attribute as its
headline and its element text as the detail; they link ``file``/``line`` to the source. pytest
fills those from the report, so the report is shaped here, for the suite's tests only.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conformance.verdict.hypothesis_notes import strip_noise
from conformance.verdict.junit_properties import for_viewers
from conformance.verdict.violations import RuleViolation

if TYPE_CHECKING:
    import pluggy

MESSAGE_LIMIT = 300  # characters of a failure's one-line message
TEST_LABEL = "test: "  # the last line of a violation's text: where its test is written
# The folder that holds the package: a checkout's root, or site-packages.
PACKAGE_HOME = Path(__file__).resolve().parent.parent.parent


@dataclass
class Crash:
    """Where and why a test failed, in one line: what pytest's JUnit writer and short summary read."""

    path: str
    lineno: int
    message: str


class FailureText:
    """A failure's text (already redacted) with its one-line summary.

    pytest writes ``reprcrash.message`` as the JUnit ``message`` attribute and ``str()`` as the
    element text; the short test summary shows ``reprcrash.message`` too.
    """

    def __init__(self, text: str, summary: str, path: str = "", lineno: int = 0) -> None:
        self.text = text
        self.reprcrash = Crash(path, lineno, summary)

    def __str__(self) -> str:
        return self.text

    def point_at(self, path: str, lineno: int) -> None:
        """The test's place as JUnit shows it (:func:`junit_location`), in the crash and in the
        text's closing ``test:`` line."""
        before = f"{TEST_LABEL}{self.reprcrash.path}:{self.reprcrash.lineno} "
        head, _, last = self.text.rpartition("\n")
        if last.startswith(before):
            last = f"{TEST_LABEL}{path}:{lineno} " + last.removeprefix(before)
            self.text = f"{head}\n{last}" if head else last
        self.reprcrash.path, self.reprcrash.lineno = path, lineno


def one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def summary_of(
    error: BaseException | None, failed_rules: list[str], redact: Callable[[str], str]
) -> str:
    """``[RULE] expected ... received ...`` for a rule violation; otherwise ``[RULE] `` and the
    first line of the error, without its class name."""
    violation = next(_violations(error), None) if error is not None else None
    if violation is not None:
        return one_line(
            redact(
                f"[{violation.rule}] expected {violation.expected} received {violation.received}"
            )
        )
    leaves = list(_leaves(error)) if error is not None else []
    first = next(
        (line.strip() for line in str(leaves[0] if leaves else "").splitlines() if line.strip()), ""
    )
    if len(leaves) > 1:
        first += f" (and {len(leaves) - 1} more)"
    if not first and error is not None:
        first = "the test raised an error with no message"
    tag = f"[{', '.join(failed_rules)}] " if failed_rules else ""
    return one_line(redact(tag + first))


def violation_text(error: BaseException | None, where: str) -> str | None:
    """The failure as a server developer reads it, when every failure in it is a rule violation:
    each violation (rule, expected, received, request, response) with Hypothesis' notes on how to
    repeat it, and where the test is. The suite's own call stack says nothing about the server, and
    would make a failing run's JUnit ten times larger. None for any other error: its traceback stays."""
    if error is None or not _only_violations(error):
        return None
    parts = []
    for violation in _violations(error):
        notes = [str(note) for note in getattr(violation, "__notes__", ())]
        parts.append("\n".join([str(violation), *notes]))
    notes = (
        [str(note) for note in getattr(error, "__notes__", ())]
        if not isinstance(error, RuleViolation)
        else []
    )
    return "\n\n".join([*parts, *notes, f"{TEST_LABEL}{where}"])


def _leaves(error: BaseException) -> Iterator[BaseException]:
    """The failures inside exception groups (Hypothesis and schemathesis report several at once)."""
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _leaves(inner)
    else:
        yield error


def _only_violations(error: BaseException) -> bool:
    if isinstance(error, BaseExceptionGroup):
        return all(_only_violations(inner) for inner in error.exceptions)
    return isinstance(error, RuleViolation)


def _violations(error: BaseException) -> Iterator[RuleViolation]:
    wrapped = getattr(
        error, "exception", None
    )  # a check of the suite's own, failed under schemathesis
    if isinstance(error, RuleViolation):
        yield error
    elif isinstance(wrapped, RuleViolation):
        yield wrapped
    elif isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _violations(inner)
    cause = error.__cause__
    if cause is not None and cause is not error:
        yield from _violations(cause)


def junit_location(item: pytest.Item) -> tuple[str, int] | None:
    """Where ``item``'s test function is written, as CI viewers link it: the file relative to the
    folder that holds the ``conformance`` package (the repository root of a checkout, the
    ``site-packages`` folder of an install), and the line of its ``def``, counted from 1.

    pytest's own location is relative to its rootdir (``conformance/suite``: a bare file name a
    CI annotation cannot find), counts lines from 0, starts at the first decorator, and points
    into schemathesis for the tests it builds."""
    module = getattr(item, "module", None)
    name = getattr(item, "originalname", None)
    module_file = getattr(module, "__file__", None)
    if module is None or not name or module_file is None:
        return None
    owner = getattr(item, "cls", None) or module
    function = inspect.unwrap(getattr(owner, name, None) or getattr(module, name, None) or _nothing)
    try:
        source, def_line = _written_at(function)
    except TypeError:  # a callable that cannot be a key: found again
        source, def_line = _written_at.__wrapped__(function)
    if source is None or Path(source).resolve() != Path(module_file).resolve():
        def_line = 1  # built elsewhere (a state machine): the module is all there is to point at
    return _shown_path(Path(module_file), item.config.rootpath), def_line


@functools.cache
def _written_at(function: Callable[..., object]) -> tuple[str | None, int]:
    """The file of ``function`` and the line of its ``def``, read once per function: every test
    of a parametrized function read its source again (738 reads in a quick run, where 131 do)."""
    try:
        lines, first = inspect.getsourcelines(function)
        source = inspect.getsourcefile(function)
    except (OSError, TypeError):
        return None, 1
    return source, first + next((i for i, line in enumerate(lines) if _DEF.match(line)), 0)


_DEF = re.compile(r"\s*(async\s+)?def\s")
_LOCATION = pytest.StashKey[tuple[str, int] | None]()


def _nothing() -> None:
    """What a test that cannot be found by name points at: no source line of its module."""


def _shown_path(path: Path, rootpath: Path) -> str:
    resolved = path.resolve()
    if resolved.is_relative_to(PACKAGE_HOME):
        return resolved.relative_to(PACKAGE_HOME).as_posix()
    return Path(os.path.relpath(resolved, rootpath)).as_posix()


class JUnitShaper:
    """Registered by the plugin; touches only the suite's tests (those with a ``rule`` marker)."""

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)  # outermost: it sees the report last
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
        if item.get_closest_marker("rule") is None:
            yield
            return
        if call.when == "teardown":
            # Hypothesis adds each test's statistics to JUnit as a base64 testsuite property when
            # the report of its teardown is made; a CI viewer shows them as noise.
            item.__dict__.pop("hypothesis_statistics", None)
        if call.excinfo is not None:  # before any report is written from it
            strip_noise(call.excinfo.value)
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        # pytest's JUnit writer copies the report's location and properties as they are (so the
        # location's line counts from 1 here, as viewers read it; pytest's own count from 0).
        if _LOCATION not in item.stash:  # one test, three reports: found once
            item.stash[_LOCATION] = junit_location(item)
        location = item.stash[_LOCATION]
        if location is not None:
            report.location = (location[0], location[1], report.location[2])
            if isinstance(report.longrepr, FailureText):
                report.longrepr.point_at(*location)
        report.user_properties = for_viewers(report.user_properties)
