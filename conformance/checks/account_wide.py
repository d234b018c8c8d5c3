"""Checks that read the whole account, on an account other clients write to at the same time.

Exact-set pagination checks (PAGE-04: every item once, the count equals ``total``; FILT-02:
the channel totals add up; PAGE-07: the same sequence at every page size) hold "with no
writes in between". On a shared staging account another pipeline, or a second run of this
suite, creates and deletes audiences while a walk goes on.

A failure of such a check is excused only by evidence of such a write
(:mod:`conformance.http.evidence`): an audience no read had seen appeared, or one seen earlier now
answers 404. Without evidence the failure is the server's, charged the first time: tries that
merely disagree prove nothing (a server wrong now and then disagrees with itself). Evidence
excuses only what a write can cause (``RuleViolation.writes_can_cause``): a server error, a
malformed answer or a link off the target is charged at once beside any write. With
evidence the check (one Hypothesis example, or the whole test when it has none) is tried
again after a pause; a try that passes decides it, and a try that fails without new evidence
is the server's. When every try failed beside proven writes, the check is
:class:`~conformance.verdict.violations.Inconclusive`, naming the writes, and its rules are not
verified: the run gives no verdict on a busy account rather than a pass. Tests opt in with
``@pytest.mark.account_wide``; checks of the run's own audiences do not (they are judged once,
against what the test sent), and wrap only their reads of the whole list in :func:`settle`.
"""

from __future__ import annotations

import functools
import inspect
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import hypothesis
import pytest

from conformance.http.evidence import Evidence, Witness
from conformance.verdict.violations import Inconclusive, RuleViolation

MARKER = "account_wide"
PAUSES = (
    0.2,
    0.6,
    1.5,
    2.5,
)  # about the seconds before each further try: one failure and up to four more
T = TypeVar("T")
# Timing only: what the suite sends never depends on it. Drawn from the system, never from a
# state each worker would inherit from the one process that forked them all.
_jitter = random.SystemRandom()


def pause(seconds: float) -> None:
    """Sleep about ``seconds`` (half to one and a half times), never in step with a periodic writer."""
    time.sleep(seconds * _jitter.uniform(0.5, 1.5))


def leaves(failure: BaseException) -> list[BaseException]:
    """The failures in ``failure``: itself, or those of a group (Hypothesis reports several
    distinct failures of one test together)."""
    if isinstance(failure, BaseExceptionGroup):
        return [leaf for inner in failure.exceptions for leaf in leaves(inner)]
    return [failure]


def is_disturbance(failure: BaseException) -> bool:
    """Whether every failure in ``failure`` is one that other clients' writes can cause: a
    check of what the account holds (items, totals, order), or Hypothesis finding that the same
    example drew or answered differently on replay. A server error, a dropped connection, a
    malformed page or a link off the target is the server's whatever anybody wrote: evidence of
    writes never excuses it."""
    return all(_writes_can_cause(leaf) for leaf in leaves(failure))


def _writes_can_cause(failure: BaseException) -> bool:
    if isinstance(failure, RuleViolation):
        return failure.writes_can_cause
    return isinstance(failure, hypothesis.errors.Flaky)


def decide(
    check: Callable[[], T],
    *,
    witness: Witness | None = None,
    pauses: tuple[float, ...] = PAUSES,
    repeats: int | None = None,
) -> T:
    """Run ``check``; a failure stands unless ``witness`` proves another client wrote during
    the try (then the check is tried again, up to ``len(pauses)`` more times). Every try
    failing beside proven writes is inconclusive, naming them. With ``repeats``, a failure
    that says the very same thing that many tries in a row stands even beside writes: for
    checks whose failure names what another client would not write again and again (VAL-01:
    the names of the audiences that appeared). Any other exception (a bug of the suite, an
    error of the transport) goes through at once."""
    if witness is not None:
        witness.ensure_baseline()
    tries: list[tuple[BaseException, Evidence]] = []
    for seconds in (0.0, *pauses):
        if tries:
            pause(seconds)
        since = witness.begin_try() if witness is not None else 0
        try:
            passed = check()
        except Exception as failure:
            if not is_disturbance(failure):
                raise
            evidence = (
                witness.gather(witness.try_began(since), witness.mark())
                if witness is not None
                else Evidence()
            )
            if not evidence:
                raise  # no write proven: the server's failure, the first time
            tries.append((failure, evidence))
            if repeats is not None and _same_in_a_row(tries) >= repeats:
                raise
        else:
            _charge_if_an_excuse_came_back(tries, witness)
            return passed
    _charge_if_an_excuse_came_back(tries, witness)
    raise _inconclusive(tries) from tries[-1][0]


def _charge_if_an_excuse_came_back(
    tries: list[tuple[BaseException, Evidence]], witness: Witness | None
) -> None:
    """An id that answered 404 and is listed again was never deleted (ids are never reused):
    the tries it excused failed on the server's word alone, and the latest of them stands."""
    if witness is None or not tries:
        return
    back = witness.came_back(item for _, evidence in tries for item in evidence.gone)
    if back:
        failure = tries[-1][0]
        failure.add_note(
            f"not excused: {', '.join(back[:5])} answered 404, then was listed again (ids are never reused)"
        )
        raise failure


def _same_in_a_row(tries: list[tuple[BaseException, Evidence]]) -> int:
    """How many of the latest tries failed saying the very same thing."""
    said = [tuple(str(leaf) for leaf in leaves(failure)) for failure, _ in tries]
    return next((count for count in range(1, len(said)) if said[-1 - count] != said[-1]), len(said))


def _inconclusive(tries: list[tuple[BaseException, Evidence]]) -> Inconclusive:
    violations = [
        leaf for failure, _ in tries for leaf in leaves(failure) if isinstance(leaf, RuleViolation)
    ]
    failed = list(dict.fromkeys(violation.rule for violation in violations))
    rules = ", ".join(failed) or "their replay"
    first = violations[0].received if violations else str(tries[0][0]).splitlines()[0]
    writes = " | ".join(
        f"try {number}: {evidence.describe()}"
        for number, (_, evidence) in enumerate(tries, start=1)
    )
    return Inconclusive(
        violations[0].rule if violations else "PAGE-04",
        f"{len(tries)} tries failed {rules}, each beside writes of another client in the account (an exact-set check needs none meanwhile): {writes}. First failure: {first}",
        rules=failed,
    )


def witness() -> Witness | None:
    """The run's witness, when a run is active (the suite's tests); none in a bare unit test."""
    from conformance.run.session import (
        active,  # the session builds on this layer's neighbours
    )

    context = active()
    return context.witness if context is not None else None


def settle(check: Callable[[], T], *, repeats: int | None = None) -> T:
    """:func:`decide` with the run's witness: for a read of the whole list inside a test that
    is otherwise judged once (its own audiences listed, or no longer listed)."""
    return decide(check, witness=witness(), repeats=repeats)


def retrying(function: Callable[..., Any], repeats: int | None = None) -> Callable[..., Any]:
    """``function`` (a whole test) whose every call goes through :func:`decide`."""

    @functools.wraps(function)
    def tried(*args: Any, **kwargs: Any) -> Any:
        return settle(lambda: function(*args, **kwargs), repeats=repeats)

    return tried


def retrying_examples(inner_test: Callable[..., Any]) -> Callable[..., Any]:
    """A Hypothesis test's inner function whose examples go through :func:`decide`. An example
    left undecided beside proven writes ends the test as inconclusive: its rules are not
    verified (a rule passes only when all its tests passed)."""
    if getattr(inner_test, "_account_wide", False):
        return inner_test

    @functools.wraps(inner_test)
    def tried(*args: Any, **kwargs: Any) -> Any:
        return settle(lambda: inner_test(*args, **kwargs))

    tried._account_wide = True  # type: ignore[attr-defined]
    return tried


def apply_to(item: pytest.Item) -> None:
    """Route the checks of an ``account_wide`` test through :func:`decide`."""
    function = getattr(item, "obj", None)
    marker = item.get_closest_marker(MARKER)
    repeats = marker.kwargs.get("repeats") if marker is not None else None
    handle = getattr(function, "hypothesis", None)
    if (
        handle is not None
        and hasattr(handle, "inner_test")
        and not _draws_interactively(handle.inner_test)
    ):
        handle.inner_test = retrying_examples(handle.inner_test)
    elif function is not None:
        # Without Hypothesis, or with draws made inside the test (st.data(), which may depend on
        # what the server answered): an example cannot be repeated alone, the whole test is.
        item.obj = retrying(function, repeats)  # type: ignore[attr-defined]


def _draws_interactively(inner_test: Callable[..., Any]) -> bool:
    return "data" in inspect.signature(inner_test).parameters
