"""A test's report at the edge of the process: the run's secrets masked out of it.

Violations hold what was seen, keys included (:mod:`conformance.verdict.violations`); every text a
test's report carries out (terminal, JUnit, the workers' wire, the certificate built from
JUnit) passes here first, with the run's redactor, which knows every secret of the run.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import pytest

from conformance.contract.rules import Level
from conformance.verdict.junit_for_viewers import FailureText, summary_of, violation_text
from conformance.verdict.junit_properties import as_written
from conformance.verdict.outcomes import Outcome, RuleOutcome


def mask_report(
    report: pytest.TestReport, error: BaseException | None, redact: Callable[[str], str]
) -> None:
    """Keys out of the report; a failure keeps its whole (masked) text and gets a one-line
    summary, which JUnit shows as the failure's message."""
    if report.longrepr is not None:
        if isinstance(report.longrepr, tuple):
            path, lineno, reason = report.longrepr
            report.longrepr = (path, lineno, redact(reason))
        else:
            failed = [
                found.rule for found in _written_outcomes(report) if found.outcome is Outcome.FAILED
            ]
            path, index, test = report.location
            line = (index or 0) + 1
            text = violation_text(error, f"{path}:{line} {test}") or str(report.longrepr)
            report.longrepr = FailureText(  # type: ignore[assignment]
                redact(text), summary_of(error, failed, redact), path, line
            )
    report.sections = [(title, redact(content)) for title, content in report.sections]


def _written_outcomes(report: pytest.TestReport) -> list[RuleOutcome]:
    written = as_written(report.user_properties)
    levels = {
        str(value): Level(str(level))
        for (name, value), (_, level) in pairwise(written)
        if name == "rule"
    }
    return [
        RuleOutcome.from_property(str(value), levels)
        for name, value in written
        if name == "outcome"
    ]
