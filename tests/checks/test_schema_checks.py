"""The schema test's checks charge each accepted fault to the rule the contract gives it."""

from __future__ import annotations

import pytest

from conformance.checks.schemathesis_checks import invalid_page_size


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"page_size": "0"}, "0"),
        ({"page_size": "101"}, "101"),
        ({"page_size": ""}, ""),
        ({"page_size": "abc"}, "abc"),
        ({"page_size": True}, "true"),
        ({"page_size": 5.0}, "5.0"),
        ({"page_size": -3}, "-3"),
        ({"page_size": "\uff15"}, "\uff15"),
    ],
)
def test_a_page_size_outside_1_to_100_is_page_10s(query: dict[str, object], shown: str) -> None:
    assert invalid_page_size(query) == shown


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"page_size": "1"},
        {"page_size": "100"},
        {"page_size": 20},
        {"page_size": None},
        {"page_size": ["5", "0"]},
        None,
    ],
)
def test_a_valid_absent_or_repeated_page_size_is_not(query: object) -> None:
    """A page_size sent twice is no single fault of PAGE-10's: it stays with ROB-04's check."""
    assert invalid_page_size(query) is None


def test_a_failure_of_the_suites_own_check_is_summed_up_by_its_violation() -> None:
    """JUnit's one-line message says what the server did, not which check function failed."""
    from schemathesis.core.failures import CustomFailure, FailureGroup

    from conformance.verdict.junit_for_viewers import summary_of
    from conformance.verdict.violations import KeptViolations, RuleViolation

    violation = RuleViolation("PAGE-10", expected="400 for page_size='0'", received="HTTP 200")
    failure = CustomFailure(
        operation="GET /v1/audiences",
        title="Custom check failed",
        message=str(violation),
        exception=violation,
    )
    kept = KeptViolations([FailureGroup([failure], "schemathesis found 1 failure")])
    assert (
        summary_of(kept, ["PAGE-10"], str)
        == "[PAGE-10] expected 400 for page_size='0' received HTTP 200"
    )
