"""Outcomes per (test, rule): what one test found about each rule it touched.

A test declares rules; how it ended decides each one's outcome:

- it ran to its end: every declared rule passed;
- a violation named rule X (a :class:`RuleViolation`, or a schemathesis failure of a check
  that stands for X): X failed, declared or not, and the test's other rules were not checked
  to the end, so they are *blocked by X*;
- SHOULD violations the test kept for its end (:mod:`conformance.verdict.should_kept`): each kept rule failed,
  and the test went on, so they block nothing;
- other clients' writes kept a check from being decided (:class:`Inconclusive`): not verified;
- the condition a rule governs never arose (:class:`NotExercised`): not exercised;
- the user's choice kept it from running (:class:`OutOfScope`: read-only, no second key), or
  kept one of its checks from running in a test that went on (``scope.not_checked``): out of scope;
- a skip nobody chose: not verified, with its reason;
- anything else (a bug of the suite): an *error*, which decides nothing and withholds the verdict.

The records are data: the plugin writes them as JUnit properties (``outcome``), and the verdict,
the certificate and ``verify`` all read them back from there.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pytest

from conformance.contract.rules import RULES_BY_ID, Level
from conformance.contract.schemathesis_rules import rules_of_check_failure
from conformance.verdict.scope import OutOfScope
from conformance.verdict.violations import (
    Inconclusive,
    KeptViolations,
    NotExercised,
    RuleViolation,
)

PROPERTY = "outcome"


class Outcome(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    BLOCKED = "blocked"
    NOT_VERIFIED = "not-verified"
    NOT_EXERCISED = "not-exercised"
    OUT_OF_SCOPE = "out-of-scope"
    ERROR = "error"


@dataclass(frozen=True)
class RuleOutcome:
    """One rule's outcome in one test; ``by`` names the rules that blocked it."""

    rule: str
    level: Level
    outcome: Outcome
    by: tuple[str, ...] = ()

    def as_property(self) -> tuple[str, str]:
        return PROPERTY, " ".join((self.rule, self.outcome.value, *self.by))

    @classmethod
    def from_property(cls, value: str, levels: dict[str, Level]) -> RuleOutcome:
        """Read back what :meth:`as_property` wrote; the level is the test's (or the catalogue's)."""
        rule, outcome, *by = value.split()
        return cls(rule, levels.get(rule) or RULES_BY_ID[rule].level, Outcome(outcome), tuple(by))


def outcomes_of(
    declared: Sequence[tuple[str, Level]], error: BaseException | None, kept: Sequence[str] = ()
) -> list[RuleOutcome]:
    """The outcome of each rule a test touched, given how it ended (``None`` or the failures it
    kept, :class:`KeptViolations`: it ran to its end) and the rules of the failures it had kept
    before it ended (``kept``): those fail, whatever stopped the test."""
    if isinstance(error, KeptViolations):
        kept, error = [*kept, *violated_rules(error)], None
    found = _ended(declared, error)
    if not kept:
        return found
    levels = dict(declared)
    failed = [
        RuleOutcome(rule, levels.get(rule) or RULES_BY_ID[rule].level, Outcome.FAILED)
        for rule in dict.fromkeys(kept)
    ]
    return failed + [outcome for outcome in found if outcome.rule not in kept]


def _ended(declared: Sequence[tuple[str, Level]], error: BaseException | None) -> list[RuleOutcome]:
    levels = dict(declared)
    if error is None:
        return [RuleOutcome(rule, level, Outcome.PASSED) for rule, level in declared]
    named = violated_rules(error)
    if named:
        failed = [
            RuleOutcome(rule, levels.get(rule) or RULES_BY_ID[rule].level, Outcome.FAILED)
            for rule in named
        ]
        blocked = [
            RuleOutcome(rule, level, Outcome.BLOCKED, tuple(named))
            for rule, level in declared
            if rule not in named
        ]
        return failed + blocked
    if isinstance(error, Inconclusive):
        # Neither passed nor failed: each declared rule, and each other rule a try failed.
        undeclared = [rule for rule in error.rules if rule not in levels and rule in RULES_BY_ID]
        return [
            RuleOutcome(rule, level, Outcome.NOT_VERIFIED)
            for rule, level in [
                *declared,
                *((rule, RULES_BY_ID[rule].level) for rule in undeclared),
            ]
        ]
    if isinstance(error, NotExercised):
        # The condition the test is about never arose: it had nothing to check, for any of its rules.
        return [RuleOutcome(rule, level, Outcome.NOT_EXERCISED) for rule, level in declared]
    return [RuleOutcome(rule, level, _kind_of(error)) for rule, level in declared]


def with_left_out(found: Sequence[RuleOutcome], left_out: Mapping[str, str]) -> list[RuleOutcome]:
    """The outcomes of a test that went on without some checks by the user's choice
    (:func:`conformance.verdict.scope.not_checked`): a rule it would have passed is out of scope."""
    judged = [
        RuleOutcome(o.rule, o.level, Outcome.OUT_OF_SCOPE)
        if o.rule in left_out and o.outcome is Outcome.PASSED
        else o
        for o in found
    ]
    touched = {o.rule for o in found}
    return judged + [
        RuleOutcome(rule, RULES_BY_ID[rule].level, Outcome.OUT_OF_SCOPE)
        for rule in left_out
        if rule not in touched and rule in RULES_BY_ID
    ]


def _kind_of(error: BaseException) -> Outcome:
    if isinstance(error, OutOfScope):
        return Outcome.OUT_OF_SCOPE
    if isinstance(error, (Inconclusive, pytest.skip.Exception)):
        return Outcome.NOT_VERIFIED  # a skip nobody chose decides nothing, and says why
    return Outcome.ERROR


def skip_reason(text: str) -> str:
    """A skip's reason as pytest writes it, without the exception's name ('Skipped: ',
    'conformance.verdict.scope.OutOfScope: '): the reader wants the reason, not the class."""
    return re.sub(r"^(Skipped|[A-Za-z_][\w.]*\.[A-Z]\w*): ", "", text.strip())


def violated_rules(error: BaseException) -> list[str]:
    """The rules an exception speaks against, in the order met; none for an exception that is
    not a violation (a suite bug, a skip)."""
    if isinstance(error, (Inconclusive, NotExercised, pytest.skip.Exception)):
        return []
    if isinstance(error, RuleViolation):
        return [error.rule]
    if isinstance(error, BaseExceptionGroup):
        return list(
            dict.fromkeys(rule for inner in error.exceptions for rule in violated_rules(inner))
        )
    wrapped = getattr(error, "exception", None)  # a check of the suite's own, run by schemathesis
    if isinstance(wrapped, RuleViolation):
        return [wrapped.rule]
    return [rule for rule in rules_of_check_failure(error) if rule in RULES_BY_ID]
