"""What travels between the controller of ``--workers`` and its workers, over xdist's channel.

The controller hands each worker the run it made (:class:`~conformance.run.session.SharedRun`,
never in argv); a worker hands back its test reports, a failure as its redacted text and
one-line summary, and at its end the rules its collection left out of scope.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest

from conformance.run.session import SharedRun
from conformance.verdict.junit_for_viewers import FailureText

INPUT_KEY = "audience_run"  # on a worker's workerinput: the shared run
SCOPE_KEY = "audience_out_of_scope"  # on a worker's workeroutput: rules out of scope
_FAILURE_KEY = "audience_failure"


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def joined_run(config: pytest.Config) -> SharedRun | None:
    """In a worker: the controller's run; elsewhere None."""
    data = getattr(config, "workerinput", {}).get(INPUT_KEY)
    return SharedRun(**data) if isinstance(data, dict) else None


def run_to_wire(shared: SharedRun) -> dict[str, Any]:
    return asdict(shared)


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
        report.longrepr = failure  # type: ignore[assignment]
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
