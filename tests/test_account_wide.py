"""Exact-set checks on a busy account: a failure counts when it repeats the same way; one that never does is inconclusive."""

from __future__ import annotations

import pytest
from hypothesis.errors import FlakyStrategyDefinition

from conformance.account_wide import decide
from conformance.violations import Inconclusive, RuleViolation, Unsettled

NO_PAUSES = (0.0, 0.0, 0.0, 0.0)


def failing(*observed: str):  # type: ignore[no-untyped-def]
    """A check that fails once per entry, with that observation, then passes."""
    left = list(observed)
    calls: list[str] = []

    def check() -> str:
        calls.append("try")
        if left:
            raise RuleViolation("PAGE-04", expected="total 50 on every page", received=left.pop(0))
        return "passed"

    return check, calls


def test_a_failure_that_repeats_the_same_way_is_the_servers() -> None:
    check, calls = failing("total 51 on page 2", "total 51 on page 2", "total 51 on page 2", "total 51 on page 2")
    with pytest.raises(RuleViolation, match="total 51 on page 2"):
        decide(check, pauses=NO_PAUSES)
    assert len(calls) == 3


def test_two_disturbed_tries_that_agree_by_chance_are_not_enough() -> None:
    """A writer moving a total between two values can make two tries look alike: the third differs."""
    check, calls = failing("total 32 on page 11", "total 32 on page 11", "total 31 on page 4", "total 32 on page 11", "total 30 on page 2")
    with pytest.raises(Inconclusive, match=r"5 tries failed PAGE-04, never 3 times in a row the same way"):
        decide(check, pauses=NO_PAUSES)
    assert len(calls) == 5


def test_the_same_failure_three_times_after_a_disturbed_one_is_the_servers() -> None:
    check, calls = failing("total 31 on page 4", "total 51 on page 2", "total 51 on page 2", "total 51 on page 2")
    with pytest.raises(RuleViolation, match="total 51 on page 2"):
        decide(check, pauses=NO_PAUSES)
    assert len(calls) == 4


def test_a_failure_that_does_not_repeat_is_tried_until_it_passes() -> None:
    check, calls = failing("total 51 on page 2", "total 49 on page 5")
    assert decide(check, pauses=NO_PAUSES) == "passed"
    assert len(calls) == 3


def test_failures_that_differ_every_time_are_inconclusive_not_failures() -> None:
    check, calls = failing("total 51 on page 2", "total 49 on page 5", "item x missing", "total 52 on page 1", "total 50 on page 3")
    with pytest.raises(Inconclusive, match=r"\[PAGE-04\] inconclusive: 5 tries failed PAGE-04, never 3 times in a row the same way"):
        decide(check, pauses=NO_PAUSES)
    assert len(calls) == 5


def test_a_flaky_replay_counts_as_disturbed_never_as_the_same_failure() -> None:
    calls: list[str] = []

    def check() -> None:
        calls.append("try")
        raise FlakyStrategyDefinition("the data drawn depended on the account, which changed")

    with pytest.raises(Inconclusive):
        decide(check, pauses=NO_PAUSES)
    assert len(calls) == 5


def test_other_errors_are_not_retried() -> None:
    calls: list[str] = []

    def check() -> None:
        calls.append("try")
        raise ValueError("a bug of the suite")

    with pytest.raises(ValueError):
        decide(check, pauses=NO_PAUSES)
    assert calls == ["try"]


def test_a_failure_whose_pages_read_differently_is_never_taken_as_repeated() -> None:
    calls: list[str] = []

    def check() -> None:
        calls.append("try")
        raise Unsettled(RuleViolation("PAGE-04", expected="total 31 on every page", received="total 32"))

    with pytest.raises(Inconclusive):
        decide(check, pauses=NO_PAUSES)
    assert len(calls) == 5


def test_page_tokens_do_not_make_two_identical_failures_differ() -> None:
    urls = iter(f"page 2 (reached by next of page 1: /v1/audiences?page_token={token}&page_size=2)" for token in ("abc", "xyz", "k9_-"))

    def check() -> None:
        raise RuleViolation("PAGE-03", expected="number 2", received="number 3", context=next(urls))

    with pytest.raises(RuleViolation, match="number 3"):
        decide(check, pauses=NO_PAUSES)


def test_several_failures_reported_together_are_decided_like_one() -> None:
    """Hypothesis reports a test's distinct failures as a group: disturbed, the group differs
    from try to try and is inconclusive; the same group three times is the server's."""
    groups = iter([ExceptionGroup("two", [RuleViolation("PAGE-06", expected="page 3", received=f"{n} items"), RuleViolation("PAGE-04", expected="total 5", received="total 6")]) for n in range(5)])

    def disturbed() -> None:
        raise next(groups)

    with pytest.raises(Inconclusive):
        decide(disturbed, pauses=NO_PAUSES)

    def wrong() -> None:
        raise ExceptionGroup("two", [RuleViolation("PAGE-06", expected="page 3", received="page 4"), RuleViolation("PAGE-04", expected="total 5", received="total 6")])

    with pytest.raises(ExceptionGroup):
        decide(wrong, pauses=NO_PAUSES)


def test_a_group_with_a_bug_of_the_suite_is_not_retried() -> None:
    calls: list[str] = []

    def check() -> None:
        calls.append("try")
        raise ExceptionGroup("two", [RuleViolation("PAGE-04", expected="total 5", received="total 6"), KeyError("links")])

    with pytest.raises(ExceptionGroup):
        decide(check, pauses=NO_PAUSES)
    assert calls == ["try"]
