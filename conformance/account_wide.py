"""Checks that read the whole account, on an account other clients write to at the same time.

Exact-set pagination checks (PAGE-04: every item once, the count equals ``total``; FILT-02:
the channel totals add up; PAGE-07: the same sequence at every page size) hold "with no
writes in between". On a shared staging account another pipeline, or a second run of this
suite, creates and deletes audiences while a walk goes on, and such a walk can see the total
move or an item appear: that says nothing about the server.

A failure of such a check is therefore charged only when it repeats the same way. The check
(one Hypothesis example, or the whole test when it has none) is tried again after a short
pause: a server that is wrong fails again with the very same expectation and observation
(the same totals, the same ids), while a walk disturbed by somebody else's writes sees other
totals and other items the next time. Twice the same is not enough: a client that creates and
deletes one audience over and over moves a total between two values only, and a test that
Hypothesis shrinks converges on the same small example, so two disturbed tries can agree by
chance; :data:`REPEATS` tries in a row must. A check that passes on a later try passed; a check
whose tries never failed the same way that often is
:class:`~conformance.violations.Inconclusive`, never a failure of its rule. Tests opt in with
``@pytest.mark.account_wide``.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar

import hypothesis
import pytest

from conformance.rereading import pause
from conformance.violations import Inconclusive, RuleViolation, Unsettled

MARKER = "account_wide"
TOKEN = re.compile(r"page_token=[^&\s'\")]*")  # opaque, and free to differ between two identical walks
PAUSES = (0.2, 0.6, 1.5, 2.5)  # about the seconds before each further try: one failure and up to four more
REPEATS = 3  # the same failure this many tries in a row is the server's
T = TypeVar("T")


# A failure of a check, or Hypothesis finding that the same example drew or answered
# differently on replay: what a walk disturbed by other clients' writes looks like.
Disturbance = (RuleViolation, hypothesis.errors.Flaky)


def leaves(failure: BaseException) -> list[BaseException]:
    """The failures in ``failure``: itself, or those of a group (Hypothesis reports several
    distinct failures of one test together)."""
    if isinstance(failure, BaseExceptionGroup):
        return [leaf for inner in failure.exceptions for leaf in leaves(inner)]
    return [failure]


def is_disturbance(failure: BaseException) -> bool:
    """Whether every failure in ``failure`` is one that other clients' writes can cause."""
    return all(isinstance(leaf, Disturbance) for leaf in leaves(failure))


def observation(failure: BaseException) -> tuple[str, ...]:
    """What a failure saw, without what may differ between two identical tries (the exchange,
    page tokens): the rule, its context, what it expected and what it received (of each
    failure of a group, in order). A page that read differently when confirmed, and
    Hypothesis' flakiness, are changed observations by definition: they never compare equal."""
    if isinstance(failure, BaseExceptionGroup):
        return tuple(sorted("\n".join(observation(leaf)) for leaf in leaves(failure)))
    if isinstance(failure, RuleViolation) and not isinstance(failure, Unsettled):
        return tuple(TOKEN.sub("page_token=…", text) for text in (failure.rule, failure.context, failure.expected, failure.received))
    return (f"{type(failure).__name__} {id(failure)}",)


def decide(check: Callable[[], T], *, pauses: tuple[float, ...] = PAUSES, repeats: int = REPEATS) -> T:
    """Run ``check``; on a failure, try again until it passes, fails the same way ``repeats``
    times in a row (a failure of the server), or the tries run out (inconclusive).
    Any other exception (a bug of the suite, an error of the transport) goes through at once."""
    seen: list[Exception] = []
    in_a_row = 0
    for seconds in (0.0, *pauses):
        if seen:
            pause(seconds)
        try:
            return check()
        except Exception as failure:
            if not is_disturbance(failure):
                raise
            in_a_row = in_a_row + 1 if seen and observation(failure) == observation(seen[-1]) else 1
            seen.append(failure)
            if in_a_row >= repeats:
                raise
    violations = [leaf for failure in seen for leaf in leaves(failure) if isinstance(leaf, RuleViolation)]
    rules = ", ".join(dict.fromkeys(violation.rule for violation in violations)) or "their replay"
    first = violations[0].received if violations else str(seen[0]).splitlines()[0]
    raise Inconclusive(
        violations[0].rule if violations else "PAGE-04",
        f"{len(seen)} tries failed {rules}, never {repeats} times in a row the same way: another client created or deleted audiences in the account "
        f"while the check ran (an exact-set check needs no other writes meanwhile). First: {first}",
    ) from seen[-1]


class Disturbed:
    """Examples of the current test that other clients' writes left undecided."""

    count = 0
    LIMIT = 3  # then the whole test is inconclusive: the account is too busy to decide it


def retrying(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (a whole test) whose every call goes through :func:`decide`."""

    @functools.wraps(function)
    def tried(*args: Any, **kwargs: Any) -> Any:
        return decide(lambda: function(*args, **kwargs))

    return tried


def retrying_examples(inner_test: Callable[..., Any]) -> Callable[..., Any]:
    """A Hypothesis test's inner function whose examples go through :func:`decide`: an example
    that stays undecided is discarded (the others still decide the test), up to
    :attr:`Disturbed.LIMIT` of them; then the test is inconclusive."""
    if getattr(inner_test, "_account_wide", False):
        return inner_test

    @functools.wraps(inner_test)
    def tried(*args: Any, **kwargs: Any) -> Any:
        try:
            return decide(lambda: inner_test(*args, **kwargs))
        except Inconclusive:
            Disturbed.count += 1
            if Disturbed.count >= Disturbed.LIMIT:
                raise
            hypothesis.reject()

    tried._account_wide = True  # type: ignore[attr-defined]
    return tried


def apply_to(item: pytest.Item) -> None:
    """Route the checks of an ``account_wide`` test through :func:`decide`."""
    function = getattr(item, "obj", None)
    handle = getattr(function, "hypothesis", None)
    if handle is not None and hasattr(handle, "inner_test") and not _draws_interactively(handle.inner_test):
        handle.inner_test = retrying_examples(handle.inner_test)
    elif function is not None:
        # Without Hypothesis, or with draws made inside the test (st.data(), which may depend on
        # what the server answered): an example cannot be repeated alone, the whole test is.
        item.obj = retrying(function)  # type: ignore[attr-defined]


def _draws_interactively(inner_test: Callable[..., Any]) -> bool:
    return "data" in inspect.signature(inner_test).parameters
