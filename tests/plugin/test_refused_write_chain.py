"""Finding a refused write in a test's error: exception chains that loop end the search, not the run.

The stateful test re-raises the first failure of a ``FlakyFailure`` from inside its ``except``:
that failure's context is then the group that holds it. Reading such a chain recursively ended
in a ``RecursionError`` in the report hook, an internal error of pytest that stopped the run.
"""

from __future__ import annotations

from hypothesis.errors import FlakyFailure

from conformance.errors import ForeignWriteRefused
from conformance.plugin.hooks import _refused_write


def _reraised_from_its_group(first: AssertionError, *others: Exception) -> BaseException:
    """What ``raise error.exceptions[0] from None`` inside ``except FlakyFailure`` leaves."""
    try:
        try:
            raise FlakyFailure("a check failed, then passed on replay", [first, *others])
        except FlakyFailure as error:
            raise error.exceptions[0] from None
    except AssertionError as raised:
        return raised


def test_a_failure_whose_context_is_the_group_that_holds_it_is_read_once() -> None:
    error = _reraised_from_its_group(AssertionError("a check failed"))
    group = error.__context__
    assert isinstance(group, FlakyFailure) and error in group.exceptions  # the loop is real
    assert _refused_write(error) is False


def test_a_refused_write_inside_such_a_loop_is_still_found() -> None:
    error = _reraised_from_its_group(
        AssertionError("the step failed"),
        ForeignWriteRefused("a write to an audience this run did not create"),
    )
    assert _refused_write(error) is True


def test_a_refused_write_in_the_context_of_another_cause_is_found() -> None:
    error = RuntimeError("the check")
    error.__cause__ = ValueError("the cause")
    error.__context__ = ForeignWriteRefused("refused")
    assert _refused_write(error) is True


def test_an_unrelated_error_is_not_a_refused_write() -> None:
    error = AssertionError("PAGE-04: an item missing")
    error.__context__ = KeyError("x")
    assert _refused_write(error) is False
