"""Outcomes per (test, rule), and the verdict they give: a rule passes only when it was checked."""

from __future__ import annotations

import pytest

from conformance.contract.rules import RULES, Level
from conformance.verdict import should_kept as kept
from conformance.verdict.outcomes import Outcome, RuleOutcome, outcomes_of, violated_rules
from conformance.verdict.per_rule import (
    CONFORMANT,
    NO_VERDICT,
    NOT_CONFORMANT,
    TestRecord,
    compute_verdict,
)
from conformance.verdict.scope import OutOfScope, unselected_rules
from conformance.verdict.should_kept import kept_for_the_end
from conformance.verdict.violations import Inconclusive, KeptViolations, NotExercised, RuleViolation

MUST, SHOULD = Level.MUST, Level.SHOULD
DECLARED = (("PAGE-04", MUST), ("PAGE-01", MUST), ("FILT-03", SHOULD))


def _violation(rule: str) -> RuleViolation:
    return RuleViolation(rule, expected="something", received="something else")


def _kinds(found: list[RuleOutcome]) -> dict[str, tuple[Outcome, tuple[str, ...]]]:
    return {outcome.rule: (outcome.outcome, outcome.by) for outcome in found}


def test_a_test_that_ran_to_its_end_passes_every_rule_it_declares() -> None:
    assert _kinds(outcomes_of(DECLARED, None)) == {
        rule: (Outcome.PASSED, ()) for rule, _ in DECLARED
    }


def test_a_violation_fails_its_rule_and_blocks_the_others() -> None:
    found = _kinds(outcomes_of(DECLARED, _violation("PAGE-04")))
    assert found == {
        "PAGE-04": (Outcome.FAILED, ()),
        "PAGE-01": (Outcome.BLOCKED, ("PAGE-04",)),
        "FILT-03": (Outcome.BLOCKED, ("PAGE-04",)),
    }


def test_a_violation_of_an_undeclared_rule_is_charged_to_that_rule_at_its_own_level() -> None:
    """A server refusing a valid create while a pagination test sets up fails CRUD-01, not PAGE-04."""
    found = outcomes_of(DECLARED, _violation("CRUD-01"))
    assert found[0] == RuleOutcome("CRUD-01", MUST, Outcome.FAILED)
    assert {outcome.outcome for outcome in found[1:]} == {Outcome.BLOCKED}


def test_every_rule_of_a_group_of_violations_is_charged() -> None:
    group = ExceptionGroup(
        "two failures", [_violation("ROB-01"), _violation("JSON-01"), _violation("ROB-01")]
    )
    assert violated_rules(group) == ["ROB-01", "JSON-01"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OutOfScope("the run is --read-only"), Outcome.OUT_OF_SCOPE),
        (Inconclusive("PAGE-04", "another client wrote"), Outcome.NOT_VERIFIED),
        (pytest.skip.Exception("a skip nobody chose"), Outcome.NOT_VERIFIED),
        (KeyError("a bug of the suite"), Outcome.ERROR),
        (ConnectionResetError("reset"), Outcome.ERROR),
    ],
    ids=["user choice", "inconclusive", "unchosen skip", "suite bug", "not a violation"],
)
def test_what_is_not_a_violation_decides_no_rule(error: BaseException, expected: Outcome) -> None:
    assert {outcome.outcome for outcome in outcomes_of(DECLARED, error)} == {expected}


def test_an_inconclusive_test_leaves_every_rule_its_tries_failed_not_verified() -> None:
    """A test of a SHOULD rule whose tries failed a MUST rule beside writes: the MUST rule is
    not verified either, so the run cannot be conformant on that test's word."""
    error = Inconclusive("PAGE-12", "5 tries failed", rules=["PAGE-12", "CRUD-01"])
    found = outcomes_of([("PAGE-12", SHOULD)], error)
    assert [(o.rule, o.level, o.outcome) for o in found] == [
        ("PAGE-12", SHOULD, Outcome.NOT_VERIFIED),
        ("CRUD-01", MUST, Outcome.NOT_VERIFIED),
    ]


def test_a_test_whose_condition_never_arose_exercised_none_of_its_rules() -> None:
    """The test had nothing to check: its rules are left to their other tests, with the reason
    shown, neither passed here nor withheld (a rule passes when its other tests pass)."""
    found = _kinds(
        outcomes_of((("ROB-03", SHOULD), ("ROB-01", MUST)), NotExercised("ROB-03", "no 429 came"))
    )
    assert found == {"ROB-03": (Outcome.NOT_EXERCISED, ()), "ROB-01": (Outcome.NOT_EXERCISED, ())}


def test_an_outcome_reads_back_as_it_was_written() -> None:
    written = RuleOutcome("PAGE-01", SHOULD, Outcome.BLOCKED, ("PAGE-04", "ROB-01"))
    assert RuleOutcome.from_property(written.as_property()[1], {"PAGE-01": SHOULD}) == written


def _record(
    name: str,
    declared: tuple[tuple[str, Level], ...],
    error: BaseException | None,
    detail: str = "",
) -> TestRecord:
    outcome = (
        "passed"
        if error is None
        else "skipped"
        if isinstance(error, pytest.skip.Exception)
        else "failed"
    )
    properties = [
        pair for rule, level in declared for pair in (("rule", rule), ("level", level.value))
    ]
    properties += [found.as_property() for found in outcomes_of(declared, error)]
    return TestRecord.from_properties(
        f"test_x::{name}", properties, outcome, detail or str(error or "")
    )


def _all_pass_but(*records: TestRecord) -> list[TestRecord]:
    touched = {rule for record in records for rule, _ in record.rules}
    return [
        _record(f"test_{rule.id}", ((rule.id, rule.level),), None)
        for rule in RULES
        if rule.id not in touched
    ] + list(records)


def test_a_rule_blocked_in_one_test_is_not_passed_by_another() -> None:
    """PAGE-01 passes in one test but is blocked in another (which failed PAGE-04): not verified."""
    verdict = compute_verdict(
        _all_pass_but(
            _record("walk", (("PAGE-04", MUST), ("PAGE-01", MUST)), _violation("PAGE-04")),
            _record("size", (("PAGE-01", MUST),), None),
        ),
        strict=False,
    )
    assert verdict.results["PAGE-01"].outcome == "not verified"
    assert verdict.results["PAGE-01"].reasons == ["blocked by PAGE-04 (walk)"]
    assert verdict.kind == NOT_CONFORMANT


def test_a_should_violation_that_stopped_a_test_leaves_its_must_rules_not_verified() -> None:
    """A SHOULD violation raised where the test could not go on (not kept for its end): the MUST
    rule's checks never ran to the end, so it is not verified and there is no verdict."""
    verdict = compute_verdict(
        _all_pass_but(_record("names", (("PAGE-01", MUST),), _violation("VAL-1353"))), strict=False
    )
    assert verdict.results["VAL-1353"].outcome == "failed"
    assert verdict.kind == NO_VERDICT and [result.rule.id for result in verdict.unverified()] == [
        "PAGE-01"
    ]


def test_an_error_of_the_suite_withholds_the_verdict_unless_a_must_rule_failed() -> None:
    broken = _record("bug", (("FILT-03", SHOULD),), KeyError("oops"))
    assert compute_verdict(_all_pass_but(broken), strict=False).kind == NO_VERDICT
    failing = _record("walk", (("PAGE-04", MUST),), _violation("PAGE-04"))
    assert compute_verdict(_all_pass_but(broken, failing), strict=False).kind == NOT_CONFORMANT


def test_rules_out_of_scope_leave_a_conformant_verdict_on_the_others_that_says_so() -> None:
    records = _all_pass_but(
        _record("tenancy", (("TEN-01", MUST),), OutOfScope("needs a second account"))
    )
    verdict = compute_verdict(records, strict=False)
    assert verdict.results["TEN-01"].outcome == "out of scope" and verdict.results[
        "TEN-01"
    ].reasons == ["needs a second account"]
    assert verdict.kind == CONFORMANT and verdict.headline == "CONFORMANT on 33 of 34 MUST rules"
    assert compute_verdict(_all_pass_but(), strict=False).headline == CONFORMANT


def test_a_rule_with_no_test_at_all_is_not_verified_unless_the_user_left_it_out() -> None:
    records = [record for record in _all_pass_but() if record.rules[0][0] != "AUD-01"]
    assert compute_verdict(records, strict=False).results["AUD-01"].reasons == [
        "none of its tests ran"
    ]
    assert compute_verdict(records, strict=False).kind == NO_VERDICT
    left_out = compute_verdict(records, strict=False, out_of_scope={"AUD-01": "not selected"})
    assert left_out.kind == CONFORMANT and left_out.partial


def test_a_failure_counts_even_for_a_rule_out_of_scope() -> None:
    records = _all_pass_but(_record("walk", (("PAGE-01", MUST),), _violation("ROB-01")))
    assert (
        compute_verdict(records, strict=False, out_of_scope={"ROB-01": "not selected"}).kind
        == NOT_CONFORMANT
    )


def test_strict_counts_should_rules_and_not_exercised_ones_do_not_withhold_it() -> None:
    records = _all_pass_but(
        _record("limits", (("ROB-03", SHOULD),), NotExercised("ROB-03", "no 429 came"))
    )
    assert compute_verdict(records, strict=True).kind == CONFORMANT
    failing = _all_pass_but(_record("case", (("FILT-03", SHOULD),), _violation("FILT-03")))
    assert compute_verdict(failing, strict=False).kind == CONFORMANT
    assert compute_verdict(failing, strict=True).kind == NOT_CONFORMANT


def test_rules_some_of_whose_tests_were_deselected_are_out_of_scope() -> None:
    scope = unselected_rules(
        selected=[["PAGE-04", "PAGE-01"], ["PAGE-04"]], deselected=[["PAGE-01", "PAGE-02"]]
    )
    assert "PAGE-04" not in scope and {"PAGE-01", "PAGE-02", "AUD-01"} <= set(scope)


def test_a_check_of_the_suite_run_by_schemathesis_is_charged_to_the_rule_it_names() -> None:
    """schemathesis wraps a check's AssertionError in a failure of its own; the rule survives it."""
    from schemathesis.core.failures import CustomFailure

    failure = CustomFailure(
        operation="GET /v1/audiences",
        title="Custom check failed",
        message="not JSON",
        exception=_violation("JSON-01"),
    )
    assert violated_rules(ExceptionGroup("schemathesis", [failure])) == ["JSON-01"]


# -- SHOULD failures kept for the end of a test ------------------------------------------------

SCHEMA_TEST = (("ROB-01", MUST), ("AUD-01", MUST), ("JSON-01", MUST), ("ROB-04", SHOULD))


def _checks_failed(*violations: RuleViolation) -> BaseExceptionGroup[BaseException]:
    """What schemathesis raises for a case: a BaseExceptionGroup of its checks' failures."""
    from schemathesis.core.failures import CustomFailure, FailureGroup

    failures = [
        CustomFailure(
            operation="GET /v1/audiences",
            title="Custom check failed",
            message=str(violation),
            exception=violation,
        )
        for violation in violations
    ]
    return FailureGroup(failures, "schemathesis found failures")


def test_failures_kept_for_the_end_fail_their_rules_and_block_none() -> None:
    """A test that kept a PAGE-10 failure ran to its end: its MUST rules passed on their own checks."""
    found = _kinds(
        outcomes_of(SCHEMA_TEST, KeptViolations([_checks_failed(_violation("PAGE-10"))]))
    )
    assert found == {
        "PAGE-10": (Outcome.FAILED, ()),
        **{rule: (Outcome.PASSED, ()) for rule, _ in SCHEMA_TEST},
    }


def test_kept_failures_still_fail_when_a_later_violation_stops_the_test() -> None:
    found = _kinds(outcomes_of(SCHEMA_TEST, _violation("ROB-01"), kept=["ROB-04"]))
    assert found == {
        "ROB-04": (Outcome.FAILED, ()),
        "ROB-01": (Outcome.FAILED, ()),
        "AUD-01": (Outcome.BLOCKED, ("ROB-01",)),
        "JSON-01": (Outcome.BLOCKED, ("ROB-01",)),
    }


def _kept_in(
    declared: tuple[tuple[str, Level], ...], *errors: BaseException
) -> tuple[kept.Keeper, list[BaseException]]:
    """Each error raised inside ``kept_for_the_end`` in a test declaring ``declared``: what was kept, what went through."""
    keeper = kept.begin(declared)
    through: list[BaseException] = []
    try:
        for error in errors:
            try:
                with kept_for_the_end():
                    raise error
            except BaseException as passed:  # noqa: BLE001 - the test looks at what went through
                through.append(passed)
    finally:
        kept.end()
    return keeper, through


def test_a_should_failure_is_kept_and_a_must_failure_goes_through() -> None:
    page_10, rob_01 = _checks_failed(_violation("PAGE-10")), _checks_failed(_violation("ROB-01"))
    mixed = _checks_failed(_violation("ROB-04"), _violation("JSON-01"))
    keeper, through = _kept_in(SCHEMA_TEST, page_10, rob_01, mixed, KeyError("a bug of the suite"))
    assert keeper.rules == ["PAGE-10"]
    assert through[0] is rob_01 and through[1] is mixed and isinstance(through[2], KeyError)


def test_the_first_failure_of_each_rule_is_kept_and_raised_at_the_end() -> None:
    first, second, other = _violation("ROB-04"), _violation("ROB-04"), _violation("PAGE-10")
    keeper, through = _kept_in(SCHEMA_TEST, first, second, other)
    assert through == [] and keeper.rules == ["ROB-04", "PAGE-10"]
    with pytest.raises(KeptViolations) as raised:
        keeper.raise_kept()
    assert list(raised.value.exceptions) == [first, other]
    assert violated_rules(raised.value) == ["ROB-04", "PAGE-10"]


def test_nothing_is_kept_in_a_test_of_should_rules_only_or_for_a_rule_the_test_holds_at_must() -> (
    None
):
    """Keeping serves MUST checks only; FILT-04's 'never 5xx' test declares it at MUST level."""
    should_only = _violation("PAGE-10")
    keeper, through = _kept_in((("PAGE-10", SHOULD),), should_only)
    assert through == [should_only] and keeper.rules == []
    at_must = _violation("FILT-04")
    keeper, through = _kept_in((("FILT-04", MUST),), at_must)
    assert through == [at_must] and keeper.rules == []


def test_nothing_is_kept_outside_a_test_the_plugin_watches() -> None:
    with pytest.raises(RuleViolation), kept_for_the_end():
        raise _violation("PAGE-10")


def test_a_test_that_kept_nothing_ends_as_it_ran() -> None:
    keeper, through = _kept_in(SCHEMA_TEST)
    assert through == []
    keeper.raise_kept()  # nothing kept: no failure
    error = _violation("ROB-01")
    keeper.note_on(error)
    assert not getattr(error, "__notes__", [])


def test_a_test_stopped_by_another_failure_says_what_it_had_kept() -> None:
    keeper, _ = _kept_in(SCHEMA_TEST, _violation("PAGE-10"))
    error = _violation("ROB-01")
    keeper.note_on(error)
    assert any("[PAGE-10]" in note for note in error.__notes__)


def test_a_kept_should_failure_leaves_the_verdict_to_the_must_rules() -> None:
    """The schema test kept PAGE-10 (SHOULD): conformant without --strict, and with it PAGE-10 is the only failure."""
    schema = _record("schema", SCHEMA_TEST, KeptViolations([_checks_failed(_violation("PAGE-10"))]))
    page_10 = _record("page_size", (("PAGE-10", SHOULD),), _violation("PAGE-10"))
    records = _all_pass_but(schema, page_10)
    lenient = compute_verdict(records, strict=False)
    assert lenient.kind == CONFORMANT and {
        rule: lenient.results[rule].outcome for rule, _ in SCHEMA_TEST
    } == {rule: "passed" for rule, _ in SCHEMA_TEST}
    strict = compute_verdict(records, strict=True)
    assert strict.kind == NOT_CONFORMANT and [result.rule.id for result in strict.failing()] == [
        "PAGE-10"
    ]
