"""A shard's exit code and end line: what the tests it ran found, never the run's verdict.

The rules of the other shards have no test in a shard; they leave it unverified, and the
merge decides them. A shard exits 1 when a test it ran failed a counted rule, 4 when one
ended in an error that names no rule, else 0.
"""

from __future__ import annotations

import pytest

from conformance.contract.rules import RULES_BY_ID, Level
from conformance.verdict.exits import Exit
from conformance.verdict.outcomes import Outcome, RuleOutcome
from conformance.verdict.per_rule import NO_VERDICT, NOT_CONFORMANT, TestRecord, compute_verdict
from conformance.verdict.shards import (
    Shard,
    elsewhere,
    shard_exit,
    shard_headline,
    shard_summary,
    unverified_here,
)

SHARD = Shard(2, 3)


def _test(rule: str, outcome: Outcome = Outcome.PASSED, *, by: tuple[str, ...] = ()) -> TestRecord:
    level = RULES_BY_ID[rule].level
    ended = {Outcome.PASSED: "passed", Outcome.FAILED: "failed", Outcome.ERROR: "failed"}
    return TestRecord(
        f"test_x.py::test_{rule}",
        ((rule, level),),
        (RuleOutcome(rule, level, outcome, by),),
        ended.get(outcome, "skipped"),
        "E   ConnectionResetError: reset" if outcome is Outcome.ERROR else "",
    )


# This shard's part: a few rules; every other rule of the catalogue ran in another shard.
HERE = ("AUTH-01", "PAGE-04", "PAGE-10", "ERR-01")


def test_a_clean_shard_exits_0_though_the_other_shards_rules_are_not_verified() -> None:
    verdict = compute_verdict([_test(rule) for rule in HERE], strict=False)
    assert verdict.kind == NO_VERDICT  # as a whole run it would give none ...
    assert shard_exit(verdict) is Exit.CONFORMANT  # ... but nothing this shard ran failed
    assert len(elsewhere(verdict)) == len(verdict.results) - len(HERE)
    line = shard_headline(verdict, SHARD)
    assert line.startswith("shard 2/3: no test failed (4 rules passed here, ")
    assert line.endswith(
        "the verdict comes from the merge of the 3 shards (audience-conformance report)"
    )
    summary = shard_summary(verdict, SHARD)
    assert not any(text.startswith(("NOT VERIFIED", "verdict: NO VERDICT")) for text in summary)
    assert summary[-1] == line


def test_a_must_failure_in_the_shard_exits_1_and_names_the_rule() -> None:
    tests = [_test(rule) for rule in HERE if rule != "PAGE-04"]
    verdict = compute_verdict([*tests, _test("PAGE-04", Outcome.FAILED)], strict=False)
    assert verdict.kind == NOT_CONFORMANT and shard_exit(verdict) is Exit.NOT_CONFORMANT
    assert shard_headline(verdict, SHARD).startswith(
        "shard 2/3: failing rules: PAGE-04; the run is NOT CONFORMANT"
    )


@pytest.mark.parametrize(
    ("strict", "code"), [(False, Exit.CONFORMANT), (True, Exit.NOT_CONFORMANT)]
)
def test_a_should_failure_counts_only_when_strict(strict: bool, code: Exit) -> None:
    tests = [_test(rule) for rule in HERE if rule != "PAGE-10"]
    verdict = compute_verdict([*tests, _test("PAGE-10", Outcome.FAILED)], strict=strict)
    assert RULES_BY_ID["PAGE-10"].level is Level.SHOULD and shard_exit(verdict) is code


def test_an_error_that_names_no_rule_is_the_shards_own_and_exits_4() -> None:
    tests = [_test(rule) for rule in HERE if rule != "ERR-01"]
    verdict = compute_verdict([*tests, _test("ERR-01", Outcome.ERROR)], strict=False)
    assert shard_exit(verdict) is Exit.INCOMPLETE
    assert shard_headline(verdict, SHARD) == (
        "shard 2/3: no verdict: 1 test(s) ended in an error that names no rule"
    )


def test_a_rule_of_its_own_left_undecided_is_listed_but_leaves_the_verdict_to_the_merge() -> None:
    """Blocked by a SHOULD failure (not counted): the merge decides, with the other shards' tests."""
    tests = [_test("AUTH-01"), _test("PAGE-10", Outcome.FAILED)]
    verdict = compute_verdict(
        [*tests, _test("PAGE-04", Outcome.BLOCKED, by=("PAGE-10",))], strict=False
    )
    assert [result.rule.id for result in unverified_here(verdict)] == ["PAGE-04"]
    assert shard_exit(verdict) is Exit.CONFORMANT
    assert "NOT VERIFIED PAGE-04: blocked by PAGE-10 (test_PAGE-04)" in shard_summary(
        verdict, SHARD
    )


def test_shards_read_from_junit_and_name_their_files() -> None:
    assert Shard.of_property("2/3") == SHARD and SHARD.suffix == "-shard-2-of-3"
    # A merge ('all 3'), a run without shards, and the one shard of 1 (the whole run) are no shard.
    assert Shard.of_property("all 3") is None and Shard.of_property(None) is None
    assert Shard.of_property("1/1") is None and Shard.of(1, 1) is None
