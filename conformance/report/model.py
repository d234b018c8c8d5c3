"""The certificate: what one run decided, rule by rule, rebuilt from its JUnit file alone.

Everything here comes from the JUnit file (testcases with ``rule``/``level``/``outcome``
properties, and the run's properties on the testsuite, read by :mod:`run_properties`), so any
certificate can be rebuilt, and checked, from that file later.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

from conformance.contract.rules import Level
from conformance.errors import ReportError
from conformance.report.reproduction import Reproduction, mask_keys, reproduction_of, shortest
from conformance.report.rerun import rerun_command
from conformance.report.run_properties import (
    UNKNOWN,
    WALKED_TO_END,
    read_property,
    read_run_properties,
    walked_to_end,
)
from conformance.verdict import scope
from conformance.verdict.junit_records import read_records
from conformance.verdict.per_rule import (
    FAILED,
    NO_VERDICT,
    NOT_CONFORMANT,
    NOT_EXERCISED,
    NOT_VERIFIED,
    PASSED,
    RULE_OUTCOMES,
    RuleResult,
    TestRecord,
    Verdict,
    compute_verdict,
    first_line,
)
from conformance.verdict.shards import PROPERTY as SHARD_PROPERTY
from conformance.verdict.shards import Shard, shard_note, shard_verdict

OUTCOMES = RULE_OUTCOMES
COMPLETED = "completed"
# How a run that gave no verdict ended, in the certificate's words.
STOPPED_BECAUSE = {
    "interrupted": "interrupted",
    "budget_spent": "time budget spent",
    "stopped_early": "stopped early",
    "unreachable": "target unreachable",
    "key_refused": "key refused",
    "rate_limited": "rate limited",
    "suite_error": "suite error",
    UNKNOWN: "no end of the run recorded",
}


@dataclass(frozen=True)
class TestRef:
    """A test behind a rule, and how it ended."""

    __test__ = False  # not a pytest test class

    nodeid: str
    outcome: str


@dataclass(frozen=True)
class RuleRow:
    id: str
    level: str
    family: str
    statement: str
    outcome: str
    failed_level: str | None
    tests: tuple[TestRef, ...]
    reasons: tuple[str, ...]  # why it is not verified, not exercised or out of scope
    reproduction: Reproduction | None  # for a failed rule: its shortest failure
    rerun: str = ""  # for a failed rule: the command that runs its tests again, as the run did

    @property
    def counted_level(self) -> str:
        """The level a count puts this rule under: a failure at the level it failed (a MUST rule
        that failed only its SHOULD part is a SHOULD failure), any other outcome at the rule's."""
        return (self.failed_level or self.level) if self.outcome == FAILED else self.level


@dataclass(frozen=True)
class Certificate:
    verdict_of_rules: Verdict  # decided from the records, exactly as the run decided
    strict: bool
    run: dict[str, str]  # the run's properties (RUN_PROPERTIES), "unknown" when absent
    rules: tuple[RuleRow, ...]  # in catalogue order
    junit_name: str
    junit_sha256: str
    shard: Shard | None = None  # one shard of a run (--shard K/N): the merge gives the verdict

    @property
    def stopped(self) -> str | None:
        """Why the run gave no verdict at all (it ended before every test had run), or None."""
        run_end = self.run.get("run_end", UNKNOWN)
        return None if run_end == COMPLETED else STOPPED_BECAUSE.get(run_end, run_end)

    @property
    def conformant(self) -> bool:
        return self.verdict_of_rules.conformant and not self.stopped

    @property
    def partial(self) -> bool:
        """Conformant on the rules in scope only (the user left some out)."""
        return self.conformant and self.verdict_of_rules.partial

    @property
    def kind(self) -> str:
        """CONFORMANT, NOT CONFORMANT or NO VERDICT: what the exit code said."""
        return NO_VERDICT if self.stopped else self.verdict_of_rules.kind

    @property
    def verdict(self) -> str:
        if self.stopped:
            return f"{NO_VERDICT} ({self.stopped})"
        if self.kind == NO_VERDICT:
            if self.shard is not None and not self.verdict_of_rules.errors:
                return shard_verdict(self.shard)
            return (
                f"{NO_VERDICT} (rules not verified)"
                if self.verdict_of_rules.unverified()
                else f"{NO_VERDICT} (tests ended in errors that name no rule)"
            )
        return self.verdict_of_rules.headline if self.kind != NOT_CONFORMANT else NOT_CONFORMANT

    @property
    def shard_note(self) -> str:
        """For a shard's certificate: what the shard found, and that the verdict is the merge's."""
        if self.shard is None:
            return ""
        return shard_note(
            self.shard,
            stopped=self.stopped,
            failed=len(self.failing()),
            not_conformant=self.kind == NOT_CONFORMANT,
            undecided=(len(self.gaps()), len(self.errors())),
        )

    @property
    def level(self) -> str:
        """Which rules the verdict was decided on."""
        return "MUST and SHOULD rules (strict)" if self.strict else "MUST rules"

    def failing(self) -> list[RuleRow]:
        """Failed rules, those failed at MUST level first."""
        failed = [row for row in self.rules if row.outcome == FAILED]
        return sorted(failed, key=lambda row: row.failed_level != Level.MUST.value)

    def gaps(self) -> list[RuleRow]:
        """Counted rules no check decided: they withhold the verdict (in a shard's certificate,
        those of its own tests: another shard decides the rest)."""
        return [
            row
            for row in self.rules
            if (self.strict or row.level == Level.MUST.value)
            and row.outcome == NOT_VERIFIED
            and (self.shard is None or bool(row.tests))
        ]

    def errors(self) -> list[str]:
        """Tests that ended in an error that names no rule (its nodeid and first line)."""
        return [
            f"{record.nodeid}: {first_line(mask_keys(record.detail))}"
            for record in self.verdict_of_rules.errors
        ]

    def counts(self) -> dict[str, dict[str, int]]:
        """Rules by level and outcome; a failure counted at the level it failed."""
        table = {level.value: dict.fromkeys(OUTCOMES, 0) for level in Level}
        for row in self.rules:
            table[row.counted_level][row.outcome] += 1
        return table

    def failures_told(self) -> str:
        """'2 MUST rules failed, and 1 SHOULD rule (not counted)': the failures by the level they
        failed at, as the counts table gives them, saying which the verdict counts."""
        failed = {level: counts[FAILED] for level, counts in self.counts().items()}
        must, should = failed[Level.MUST.value], failed[Level.SHOULD.value]
        if not must and not should:
            return "no rule failed"

        def rules(count: int, level: str) -> str:
            return f"{count} {level} rule{'s' if count != 1 else ''}"

        if not should:
            return f"{rules(must, 'MUST')} failed"
        counted = "counted" if self.strict else "not counted"
        if not must:
            return f"{rules(should, 'SHOULD')} failed ({counted})"
        return f"{rules(must, 'MUST')} failed, and {rules(should, 'SHOULD')} ({counted})"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_certificate(junit_path: Path) -> Certificate:
    """Read a JUnit file of the suite and decide the verdict exactly as the run did."""
    run = read_run_properties(junit_path) | {WALKED_TO_END: walked_to_end(junit_path)}
    strict = run["strict"] == "true"
    try:
        records = read_records(junit_path)
    except (
        ValueError,
        KeyError,
    ) as error:  # rule and level properties that do not pair up, an unknown level
        raise ReportError(
            f"'{junit_path}' is not a JUnit file of the suite: its rule properties cannot be read ({error})."
        ) from None
    stopped = run.get("run_end", UNKNOWN) not in (COMPLETED, UNKNOWN)
    shard = Shard.of_property(read_property(junit_path, SHARD_PROPERTY))
    if not records and not stopped and shard is None:  # a shard may get no test of the split
        # As at the end of a run: without a single test of a rule there is no verdict to give.
        raise ReportError(
            f"'{junit_path}' has no testcase of the conformance suite (none carries a 'rule' property); there is no verdict to certify."
        )
    verdict = compute_verdict(
        records, strict=strict, out_of_scope=scope.decode(read_property(junit_path, scope.PROPERTY))
    )
    rows = tuple(_row(result, run, shard) for result in verdict.results.values())
    if run.get("run_end", UNKNOWN) != COMPLETED:
        rows = tuple(_unfinished(row, run.get("run_end", UNKNOWN)) for row in rows)
    return Certificate(
        verdict_of_rules=verdict,
        strict=strict,
        run=run,
        rules=rows,
        junit_name=junit_path.name,
        junit_sha256=file_sha256(junit_path),
        shard=shard,
    )


def _row(result: RuleResult, run: dict[str, str], shard: Shard | None = None) -> RuleRow:
    rule = result.rule
    reasons = result.reasons
    if shard is not None and not result.tests and result.outcome == NOT_VERIFIED:
        reasons = [
            f"none of its tests is in shard {shard.label}: the merge of the shards decides it"
        ]
    reproduction, rerun = None, ""
    if result.outcome == FAILED:
        rerun = rerun_command(run, rule.id)
        failures = [
            reproduction_of(record.nodeid, record.detail, rule.id)
            for record in result.tests
            if record.failed_for(rule.id)
        ]
        reproduction = shortest(failures)
    return RuleRow(
        id=rule.id,
        level=rule.level.value,
        family=rule.family,
        statement=rule.statement,
        outcome=result.outcome,
        failed_level=result.failed_level.value if result.failed_level else None,
        tests=tuple(
            TestRef(record.nodeid, _outcome_for(record, rule.id)) for record in result.tests
        ),
        reasons=tuple(mask_keys(reason) for reason in reasons),
        reproduction=reproduction,
        rerun=rerun,
    )


def _unfinished(row: RuleRow, run_end: str) -> RuleRow:
    """A run that did not complete verifies nothing: a rule whose tests passed so far may have
    others that never ran. A failure seen stays a failure; what the user left out stays out."""
    if row.outcome not in (PASSED, NOT_EXERCISED):
        return row
    why = f"the run did not complete ({STOPPED_BECAUSE.get(run_end, run_end)}): not every test of the rule is known to have run"
    return dataclasses.replace(row, outcome=NOT_VERIFIED, reasons=(why, *row.reasons))


def _outcome_for(record: TestRecord, rule_id: str) -> str:
    """What this test found about this rule (a test that failed for another rule was blocked
    on this one), in the certificate's words."""
    found = record.outcome_for(rule_id)
    return found.outcome.value.replace("-", " ") if found is not None else record.outcome
