"""From test outcomes to a verdict per rule, and from rules to the run's verdict.

The same records come from a live pytest session or from a JUnit file, so a certificate
rebuilt later from JUnit says exactly what the run said.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from conformance.check_rules import rules_of_check_failure
from conformance.rules import RULES, Level, Rule
from conformance.violations import RuleViolation

PASSED, FAILED, SKIPPED, NOT_RUN = "passed", "failed", "skipped", "not run"


@dataclass(frozen=True)
class TestRecord:
    """One test's outcome and the rules it speaks for."""

    __test__ = False  # not a pytest test class

    nodeid: str
    rules: tuple[tuple[str, Level], ...]
    failed_rules: tuple[str, ...]
    outcome: str
    detail: str = ""

    @classmethod
    def from_properties(cls, nodeid: str, properties: Sequence[tuple[str, object]], outcome: str, detail: str = "") -> TestRecord:
        rule_ids = [str(value) for name, value in properties if name == "rule"]
        levels = [Level(str(value)) for name, value in properties if name == "level"]
        failed = tuple(dict.fromkeys(str(value) for name, value in properties if name == "failed_rule"))
        return cls(nodeid, tuple(zip(rule_ids, levels, strict=True)), failed, outcome, detail)

    def failed_for(self, rule_id: str) -> bool:
        if self.outcome != FAILED:
            return False
        return not self.failed_rules or rule_id in self.failed_rules


@dataclass
class RuleResult:
    rule: Rule
    outcome: str = NOT_RUN
    failed_level: Level | None = None  # the strongest level at which a test of this rule failed
    tests: list[TestRecord] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """Skip reasons, or failure texts, of the tests that decided the outcome."""
        if self.outcome == FAILED:
            return [record.detail for record in self.tests if record.failed_for(self.rule.id)]
        if self.outcome == SKIPPED:
            return sorted({record.detail for record in self.tests if record.outcome == SKIPPED})
        return []


@dataclass
class Verdict:
    results: dict[str, RuleResult]
    strict: bool

    def failing(self, level: Level | None = None) -> list[RuleResult]:
        return [result for result in self.results.values() if result.outcome == FAILED and (level is None or result.failed_level == level)]

    @property
    def conformant(self) -> bool:
        return not (self.failing() if self.strict else self.failing(Level.MUST))

    def count(self, outcome: str, level: Level) -> int:
        return sum(1 for result in self.results.values() if result.outcome == outcome and result.rule.level == level)

    def summary_lines(self) -> list[str]:
        level = "MUST and SHOULD rules (strict)" if self.strict else "MUST rules"
        lines = []
        for rule_level in (Level.MUST, Level.SHOULD):
            counts = ", ".join(f"{self.count(outcome, rule_level)} {outcome}" for outcome in (PASSED, FAILED, SKIPPED, NOT_RUN))
            lines.append(f"{rule_level.value} rules: {counts}")
        for result in self.failing():
            assert result.failed_level is not None
            lines.append(f"FAILED {result.rule.id} ({result.failed_level.value}): {result.rule.statement}")
        verdict = "CONFORMANT" if self.conformant else "NOT CONFORMANT"
        lines.append(f"verdict: {verdict} on {level}")
        return lines


def compute_verdict(records: Iterable[TestRecord], *, strict: bool) -> Verdict:
    results = {rule.id: RuleResult(rule) for rule in RULES}
    for record in records:
        for rule_id, level in record.rules:
            result = results.get(rule_id)
            if result is None:
                continue
            result.tests.append(record)
            if record.failed_for(rule_id):
                result.outcome = FAILED
                if result.failed_level is None or level == Level.MUST:
                    result.failed_level = level
            elif record.outcome in (PASSED, FAILED) and result.outcome != FAILED:
                result.outcome = PASSED
            elif record.outcome == SKIPPED and result.outcome == NOT_RUN:
                result.outcome = SKIPPED
    return Verdict(results, strict)


def failed_rules_of(error: BaseException, declared: Sequence[str]) -> list[str]:
    """The declared rules an exception speaks against; all declared ones when it names none."""
    found = [rule_id for rule_id in _named_rules(error) if rule_id in declared]
    return list(dict.fromkeys(found)) or list(declared)


def _named_rules(error: BaseException) -> list[str]:
    if isinstance(error, RuleViolation):
        return [error.rule]
    if isinstance(error, BaseExceptionGroup):
        return [rule_id for inner in error.exceptions for rule_id in _named_rules(inner)]
    return rules_of_check_failure(error)
