"""From outcomes per (test, rule) to a verdict per rule, and from rules to the run's verdict.

The same records come from a live pytest session or from a JUnit file, so a certificate
rebuilt later from JUnit says exactly what the run said.

A rule PASSED only when at least one of its checks ran to its end and passed, and every other
test of it passed too or found its condition never arose: a test that failed for it, was
blocked, errored or could not decide (other clients' writes proven beside every try) leaves it
failed or not verified. A rule not failed is OUT OF SCOPE as soon as one of its tests, or one
check inside a test, did not run by the user's choice. The run is CONFORMANT only
when every counted rule in scope passed (MUST rules; every rule with ``strict``), NOT
CONFORMANT when a counted rule failed, and otherwise gives NO VERDICT, saying which rules
could not be verified and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from conformance.contract.rules import RULES, Level, Rule
from conformance.verdict import scope
from conformance.verdict.junit_properties import as_written
from conformance.verdict.outcomes import Outcome, RuleOutcome, outcomes_of

PASSED, FAILED, NOT_VERIFIED, NOT_EXERCISED, OUT_OF_SCOPE = (
    "passed",
    "failed",
    "not verified",
    "not exercised",
    "out of scope",
)
RULE_OUTCOMES = (PASSED, FAILED, NOT_VERIFIED, NOT_EXERCISED, OUT_OF_SCOPE)
# How a test ended, as JUnit says it.
TEST_PASSED, TEST_FAILED, TEST_SKIPPED = "passed", "failed", "skipped"
CONFORMANT, NOT_CONFORMANT, NO_VERDICT = "CONFORMANT", "NOT CONFORMANT", "NO VERDICT"


@dataclass(frozen=True)
class TestRecord:
    """One test: how it ended, the rules it declares, and its outcome for each rule it touched."""

    __test__ = False  # not a pytest test class

    nodeid: str
    rules: tuple[tuple[str, Level], ...]
    outcomes: tuple[RuleOutcome, ...]
    outcome: str  # the test's: passed, failed or skipped
    detail: str = ""
    left_out: tuple[
        tuple[str, str], ...
    ] = ()  # (rule, why): checks it went on without, by the user's choice

    @classmethod
    def from_properties(
        cls, nodeid: str, properties: Sequence[tuple[str, object]], outcome: str, detail: str = ""
    ) -> TestRecord:
        properties = as_written(properties)  # one property per name in JUnit, or the older form
        rule_ids = [str(value) for name, value in properties if name == "rule"]
        levels = [Level(str(value)) for name, value in properties if name == "level"]
        declared = tuple(zip(rule_ids, levels, strict=True))
        written = [
            RuleOutcome.from_property(str(value), dict(declared))
            for name, value in properties
            if name == "outcome"
        ]
        left_out = tuple(scope.from_properties(properties).items())
        return cls(
            nodeid,
            declared,
            tuple(written) or tuple(_without_outcomes(declared, outcome)),
            outcome,
            detail,
            left_out,
        )

    def why_out_of_scope(self, rule_id: str) -> str:
        """Why this test left ``rule_id`` out: the check it went on without, or why it was skipped."""
        return dict(self.left_out).get(rule_id) or self.detail

    def outcome_for(self, rule_id: str) -> RuleOutcome | None:
        return next((found for found in self.outcomes if found.rule == rule_id), None)

    @property
    def failed_rules(self) -> tuple[str, ...]:
        """The rules this test found broken."""
        return tuple(found.rule for found in self.outcomes if found.outcome is Outcome.FAILED)

    def failed_for(self, rule_id: str) -> bool:
        found = self.outcome_for(rule_id)
        return found is not None and found.outcome is Outcome.FAILED


def _without_outcomes(declared: Sequence[tuple[str, Level]], outcome: str) -> list[RuleOutcome]:
    """A testcase with no outcome properties (a file older than them): it passed or it did not."""
    if outcome == TEST_PASSED:
        return outcomes_of(declared, None)
    return [RuleOutcome(rule, level, Outcome.NOT_VERIFIED) for rule, level in declared]


@dataclass
class RuleResult:
    rule: Rule
    outcome: str = NOT_VERIFIED
    failed_level: Level | None = None  # the strongest level at which a test failed this rule
    tests: list[TestRecord] = field(default_factory=list)
    reasons: list[str] = field(
        default_factory=list
    )  # why it is not verified, not exercised or out of scope

    def decide(self, out_of_scope: str | None) -> None:
        found = [(record, record.outcome_for(self.rule.id)) for record in self.tests]
        kinds = {outcome.outcome for _, outcome in found if outcome is not None}
        if Outcome.FAILED in kinds:
            self.outcome = FAILED
            levels = {
                outcome.level
                for _, outcome in found
                if outcome is not None and outcome.outcome is Outcome.FAILED
            }
            self.failed_level = Level.MUST if Level.MUST in levels else Level.SHOULD
        elif out_of_scope is not None or Outcome.OUT_OF_SCOPE in kinds:
            # Some of its checks did not run by the user's choice: a pass would rest on the others.
            left_out = [
                record.why_out_of_scope(self.rule.id)
                for record, outcome in found
                if outcome is not None and outcome.outcome is Outcome.OUT_OF_SCOPE
            ]
            self.outcome = OUT_OF_SCOPE
            self.reasons = list(
                dict.fromkeys(([out_of_scope] if out_of_scope is not None else []) + left_out)
            )
        elif kinds & {Outcome.BLOCKED, Outcome.ERROR, Outcome.NOT_VERIFIED}:
            # Blocked, errored or undecided checks would have spoken: the rule is not verified,
            # whatever its other tests found (a rule passes only when all its tests passed).
            self.outcome = NOT_VERIFIED
            self.reasons = list(
                dict.fromkeys(
                    _why_not(record, outcome)
                    for record, outcome in found
                    if outcome is not None
                    and outcome.outcome in (Outcome.BLOCKED, Outcome.NOT_VERIFIED, Outcome.ERROR)
                )
            )
        elif Outcome.PASSED in kinds:
            self.outcome = PASSED
        elif Outcome.NOT_EXERCISED in kinds:
            self.outcome = NOT_EXERCISED
            self.reasons = list(
                dict.fromkeys(
                    record.detail
                    for record, outcome in found
                    if outcome is not None and outcome.outcome is Outcome.NOT_EXERCISED
                )
            )
        else:
            self.outcome, self.reasons = NOT_VERIFIED, ["none of its tests ran"]

    @property
    def counted_failure(self) -> Level | None:
        return self.failed_level if self.outcome == FAILED else None


def _why_not(record: TestRecord, outcome: RuleOutcome) -> str:
    test = record.nodeid.rpartition("::")[2] or record.nodeid
    if outcome.outcome is Outcome.BLOCKED:
        return f"blocked by {', '.join(outcome.by)} ({test})"
    if outcome.outcome is Outcome.ERROR:
        return f"{test} ended in an error that names no rule: {first_line(record.detail)}"
    return f"{test}: {first_line(record.detail)}"


def first_line(text: str) -> str:
    """What an outcome's text says, in one line: the exception pytest marks with ``E``, else the first line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    raised = next((line[1:].strip() for line in lines if line.startswith("E ")), None)
    if raised is not None:
        return (
            raised.split(": ", 1)[1]
            if re.match(r"^[\w.]+(Error|Exception|Exceeded|Large|Refused|Limited|Group): ", raised)
            else raised
        )
    return lines[0] if lines else "(no detail)"


@dataclass
class Verdict:
    results: dict[str, RuleResult]
    strict: bool
    errors: list[TestRecord] = field(
        default_factory=list
    )  # tests that ended in an exception no rule's violation (a suite bug, a reset connection, an answer over the size bound)

    def counted(self, result: RuleResult) -> bool:
        return self.strict or result.rule.level is Level.MUST

    def failing(self, level: Level | None = None) -> list[RuleResult]:
        return [
            result
            for result in self.results.values()
            if result.outcome == FAILED and (level is None or result.failed_level == level)
        ]

    def counted_failures(self) -> list[RuleResult]:
        return [
            result for result in self.failing() if self.strict or result.failed_level is Level.MUST
        ]

    def unverified(self) -> list[RuleResult]:
        """Counted rules that no check decided: they withhold the verdict."""
        return [
            result
            for result in self.results.values()
            if self.counted(result) and result.outcome == NOT_VERIFIED
        ]

    def in_scope(self) -> list[RuleResult]:
        return [
            result
            for result in self.results.values()
            if self.counted(result) and result.outcome != OUT_OF_SCOPE
        ]

    @property
    def kind(self) -> str:
        """CONFORMANT, NOT CONFORMANT or NO VERDICT."""
        if self.counted_failures():
            return NOT_CONFORMANT
        if self.unverified() or self.errors:
            return NO_VERDICT
        return CONFORMANT

    @property
    def conformant(self) -> bool:
        return self.kind == CONFORMANT

    @property
    def partial(self) -> bool:
        """Conformant on the rules in scope, some counted rules being out of it by the user's choice."""
        return self.conformant and len(self.in_scope()) < sum(
            1 for result in self.results.values() if self.counted(result)
        )

    @property
    def rules_counted(self) -> str:
        return "MUST and SHOULD rules" if self.strict else "MUST rules"

    @property
    def headline(self) -> str:
        if self.partial:
            total = sum(1 for result in self.results.values() if self.counted(result))
            return f"{CONFORMANT} on {len(self.in_scope())} of {total} {self.rules_counted}"
        return self.kind

    def count(self, outcome: str, level: Level) -> int:
        """Rules of ``level`` that ended in ``outcome``; a failure counts at the level it failed."""
        return sum(
            1
            for result in self.results.values()
            if result.outcome == outcome and (result.counted_failure or result.rule.level) == level
        )

    def summary_lines(self) -> list[str]:
        lines = []
        for rule_level in (Level.MUST, Level.SHOULD):
            counts = ", ".join(
                f"{self.count(outcome, rule_level)} {outcome}" for outcome in RULE_OUTCOMES
            )
            lines.append(f"{rule_level.value} rules: {counts}")
        for result in self.failing():
            assert result.failed_level is not None
            lines.append(
                f"FAILED {result.rule.id} ({result.failed_level.value}): {result.rule.statement}"
            )
        for result in self.unverified():
            lines.append(f"NOT VERIFIED {result.rule.id}: {'; '.join(result.reasons[:3])}")
        for record in self.errors:
            lines.append(f"ERROR {record.nodeid}: {first_line(record.detail)}")
        lines.append(
            f"verdict: {self.headline} ({'strict: ' if self.strict else ''}on {self.rules_counted})"
        )
        return lines


def compute_verdict(
    records: Iterable[TestRecord], *, strict: bool, out_of_scope: Mapping[str, str] | None = None
) -> Verdict:
    scope = out_of_scope or {}
    results = {rule.id: RuleResult(rule) for rule in RULES}
    errors: list[TestRecord] = []
    for record in records:
        touched = {outcome.rule for outcome in record.outcomes} | {rule for rule, _ in record.rules}
        for rule_id in touched:
            if rule_id in results:
                results[rule_id].tests.append(record)
        if any(outcome.outcome is Outcome.ERROR for outcome in record.outcomes):
            errors.append(record)
    for result in results.values():
        result.decide(scope.get(result.rule.id))
    return Verdict(results, strict, errors)
