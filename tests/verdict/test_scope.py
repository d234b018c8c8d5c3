"""Scope: a rule is out of scope as soon as one of its checks did not run by the user's choice.

A test skipped by the user's choice, a check a test went on without, a test deselected or
never collected: each takes its rules out of scope, whatever the rules' other tests found (a
failure still counts). The slow tests run the suite: a narrower test path, and a server that
answers one ``account_id`` for every key, without and with a second key.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance.contract.rules import RULES, RULES_BY_ID, Level
from conformance.verdict import scope
from conformance.verdict.exits import Exit
from conformance.verdict.outcomes import Outcome, RuleOutcome, outcomes_of, with_left_out
from conformance.verdict.per_rule import (
    CONFORMANT,
    NOT_CONFORMANT,
    OUT_OF_SCOPE,
    PASSED,
    TestRecord,
    compute_verdict,
)
from conformance.verdict.scope import (
    NO_SECOND_KEY,
    NOT_SELECTED,
    READ_ONLY,
    OutOfScope,
    unselected_rules,
)
from conformance.verdict.violations import RuleViolation

MUST = Level.MUST
LEFT_OUT_WHY = "a walk holds the suite's own audiences: not checked, a --read-only run creates none"


def _record(
    name: str,
    rules: tuple[str, ...],
    error: BaseException | None = None,
    *,
    left_out: dict[str, str] | None = None,
) -> TestRecord:
    declared = tuple((rule, RULES_BY_ID[rule].level) for rule in rules)
    found = with_left_out(outcomes_of(declared, error), left_out or {})
    properties: list[tuple[str, object]] = [
        pair for rule, level in declared for pair in (("rule", rule), ("level", level.value))
    ]
    properties += [outcome.as_property() for outcome in found] + scope.as_properties(left_out or {})
    outcome = (
        "passed"
        if error is None
        else "skipped"
        if isinstance(error, pytest.skip.Exception)
        else "failed"
    )
    return TestRecord.from_properties(f"test_x::{name}", properties, outcome, str(error or ""))


def _every_rule_passed_but(*records: TestRecord) -> list[TestRecord]:
    touched = {rule for record in records for rule, _ in record.rules}
    return [
        _record(f"test_{rule.id}", (rule.id,)) for rule in RULES if rule.id not in touched
    ] + list(records)


# -- a test of the rule left out by the user's choice ---------------------------------------------


def test_a_rule_one_of_whose_tests_needs_a_second_key_is_out_of_scope_though_its_others_passed() -> (
    None
):
    """CRUD-01 passes in the create test; its test of two accounts needs the second key: out of scope."""
    records = _every_rule_passed_but(
        _record("create", ("CRUD-01", "AUD-01")),
        _record("two_accounts", ("CRUD-01",), OutOfScope(NO_SECOND_KEY)),
    )
    verdict = compute_verdict(records, strict=False)
    assert verdict.results["CRUD-01"].outcome == OUT_OF_SCOPE and verdict.results[
        "CRUD-01"
    ].reasons == [NO_SECOND_KEY]
    assert verdict.results["AUD-01"].outcome == PASSED
    assert verdict.kind == CONFORMANT and verdict.headline == "CONFORMANT on 33 of 34 MUST rules"


def test_a_failure_outranks_a_test_left_out() -> None:
    """A rule failed in one test is failed, even when another of its tests was left out."""
    records = _every_rule_passed_but(
        _record("create", ("CRUD-01",), RuleViolation("CRUD-01", expected="201", received="400")),
        _record("two_accounts", ("CRUD-01",), OutOfScope(NO_SECOND_KEY)),
    )
    verdict = compute_verdict(records, strict=False)
    assert verdict.results["CRUD-01"].outcome == "failed" and verdict.kind == NOT_CONFORMANT


def test_the_user_s_reasons_and_the_run_s_are_both_given() -> None:
    records = _every_rule_passed_but(_record("writes", ("AUTH-01",), OutOfScope(READ_ONLY)))
    verdict = compute_verdict(records, strict=False, out_of_scope={"AUTH-01": NOT_SELECTED})
    assert verdict.results["AUTH-01"].reasons == [NOT_SELECTED, READ_ONLY]


# -- a check inside a test left out by the user's choice ------------------------------------------


def test_a_check_a_test_went_on_without_takes_its_rule_out_of_scope() -> None:
    """The filter's walk passed, but without the check that the suite's own audiences are there:
    FILT-01 is out of scope, saying why; PAGE-04, fully checked, passed."""
    walk = _record("filter_walk", ("FILT-01", "PAGE-04"), left_out={"FILT-01": LEFT_OUT_WHY})
    assert walk.outcome_for("FILT-01") == RuleOutcome("FILT-01", MUST, Outcome.OUT_OF_SCOPE)
    assert walk.outcome_for("PAGE-04") == RuleOutcome("PAGE-04", MUST, Outcome.PASSED)
    verdict = compute_verdict(
        _every_rule_passed_but(walk, _record("filter_other", ("FILT-01",))), strict=False
    )
    assert verdict.results["FILT-01"].outcome == OUT_OF_SCOPE and verdict.results[
        "FILT-01"
    ].reasons == [LEFT_OUT_WHY]
    assert verdict.results["PAGE-04"].outcome == PASSED


def test_a_check_left_out_of_a_rule_the_test_does_not_declare_is_recorded_for_that_rule() -> None:
    found = with_left_out(
        outcomes_of((("FILT-03", Level.SHOULD),), None), {"FILT-01": LEFT_OUT_WHY}
    )
    assert found == [
        RuleOutcome("FILT-03", Level.SHOULD, Outcome.PASSED),
        RuleOutcome("FILT-01", MUST, Outcome.OUT_OF_SCOPE),
    ]


def test_a_left_out_check_never_hides_a_failure_or_a_block() -> None:
    violation = RuleViolation("PAGE-04", expected="every item once", received="a duplicate")
    found = with_left_out(
        outcomes_of((("PAGE-04", MUST), ("FILT-01", MUST)), violation),
        {"PAGE-04": LEFT_OUT_WHY, "FILT-01": LEFT_OUT_WHY},
    )
    assert [(outcome.rule, outcome.outcome) for outcome in found] == [
        ("PAGE-04", Outcome.FAILED),
        ("FILT-01", Outcome.BLOCKED),
    ]


def test_left_out_checks_are_kept_per_test_and_read_back_from_their_properties() -> None:
    scope.start_test()
    scope.not_checked("FILT-01", LEFT_OUT_WHY)
    scope.not_checked("FILT-01", "a second reason, later in the same test")
    scope.not_checked("PAGE-04", READ_ONLY)
    kept = scope.left_out_in_test()
    assert kept == {"FILT-01": LEFT_OUT_WHY, "PAGE-04": READ_ONLY}
    assert scope.from_properties([("rule", "FILT-01"), *scope.as_properties(kept)]) == kept
    scope.start_test()
    assert scope.left_out_in_test() == {}


# -- tests the run did not collect ----------------------------------------------------------------


def test_rules_of_tests_never_collected_are_out_of_scope_like_deselected_ones() -> None:
    """The collected filter tests declare FILT-01 and PAGE-04; a pagination test that declares
    PAGE-04 and PAGE-01 was never collected: PAGE-04 and PAGE-01 are out of scope, FILT-01 is not."""
    left = unselected_rules(selected=[["FILT-01", "PAGE-04"]], deselected=[["PAGE-04", "PAGE-01"]])
    assert "FILT-01" not in left and left["PAGE-04"] == left["PAGE-01"] == NOT_SELECTED
    assert set(left) == {rule.id for rule in RULES} - {"FILT-01"}


def test_verify_documents_its_exit_code_for_a_partial_certificate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from conformance.cli.main import main

    with pytest.raises(SystemExit):
        main(["verify", "--help"])
    assert f"  {int(Exit.PARTIAL)}  partial:" in capsys.readouterr().out


# -- whole runs -----------------------------------------------------------------------------------


def _verify(certificate: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "verify", str(certificate)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_a_narrower_test_path_leaves_the_rules_of_the_tests_it_did_not_collect_out_of_scope(
    tmp_path: Path,
) -> None:
    """``pytest --pyargs conformance.suite.test_filters`` collects the filter tests only: every
    rule with a test elsewhere in the suite (PAGE-01..09, FILT-01, which a pagination test also
    checks, ...) is out of scope, the rule only the filter tests check (FILT-02) is passed, and
    ``verify`` says the certificate is partial (exit 5)."""
    from conformance.report.model import build_certificate

    junit = tmp_path / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "conformance.suite.test_filters",
        "-p",
        "no:cacheprovider",
        "--audience-profile",
        "quick",
        "--audience-seed",
        "1",
        f"--junit-xml={junit}",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = {row.id: row for row in build_certificate(junit).rules}
    for rule in (
        "PAGE-01",
        "PAGE-02",
        "PAGE-03",
        "PAGE-04",
        "PAGE-05",
        "PAGE-06",
        "PAGE-08",
        "PAGE-09",
        "CRUD-01",
        "TEN-01",
        "FILT-01",
    ):
        assert rows[rule].outcome == OUT_OF_SCOPE and rows[rule].reasons == (NOT_SELECTED,), (
            rule,
            rows[rule],
        )
    assert rows["FILT-02"].outcome == PASSED
    in_scope = sum(
        1 for row in rows.values() if row.level == "MUST" and row.outcome != OUT_OF_SCOPE
    )
    assert in_scope == 1 and f"CONFORMANT on {in_scope} of 34 MUST rules" in done.stdout
    verified = _verify(tmp_path / "certificate.json")
    assert verified.returncode == Exit.PARTIAL, verified.stdout + verified.stderr
    assert (
        verified.stdout.splitlines()[0] == "certificate verified: CONFORMANT on 1 of 34 MUST rules"
    )
    assert verified.stdout.splitlines()[1].startswith(
        "partial: 33 counted rules out of scope by the run's options: AUTH-01, "
    )


@pytest.mark.slow
def test_a_node_id_leaves_the_other_tests_of_its_module_out(tmp_path: Path) -> None:
    """One test of the filter module, by its node id: FILT-02 (only it checks the channels' totals)
    is passed; FILT-01, whose other tests were not collected, is out of scope."""
    from conformance.report.model import build_certificate

    junit = tmp_path / "junit.xml"
    test = "conformance.suite.test_filters::test_channel_totals_add_up_to_the_unfiltered_total"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        test,
        "-p",
        "no:cacheprovider",
        "--audience-profile",
        "quick",
        "--audience-seed",
        "1",
        f"--junit-xml={junit}",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = {row.id: row for row in build_certificate(junit).rules}
    assert rows["FILT-02"].outcome == PASSED
    assert rows["FILT-01"].outcome == OUT_OF_SCOPE and rows["FILT-01"].reasons == (NOT_SELECTED,)
    assert _verify(tmp_path / "certificate.json").returncode == Exit.PARTIAL


@pytest.mark.slow
def test_one_account_id_for_every_key_is_out_of_scope_without_a_second_key_and_fails_with_one() -> (
    None
):
    """The constant-account-id server: without a second key CRUD-01's check of two accounts does
    not run, so CRUD-01 is out of scope (never passed) and the run is conformant on part of the
    rules; with the second key it fails CRUD-01 (exit 1)."""
    from mutation.catalogue import MUTANTS, load_all
    from mutation.harness import run_suite, serve

    from conformance.report.model import build_certificate

    load_all()
    with serve(MUTANTS["constant-account-id"]) as served:
        alone = run_suite(served, secondary=False)
        both = run_suite(served)
    assert alone.exit_code == 0 and alone.folder is not None, alone.stdout[-3000:]
    crud_01 = build_certificate(alone.folder / "junit.xml").rules
    assert next(row for row in crud_01 if row.id == "CRUD-01").outcome == OUT_OF_SCOPE
    assert (
        "CRUD-01" not in alone.failed_rules()
        and "verdict: CONFORMANT on " in alone.stdout
        and " of 34 MUST rules" in alone.stdout
    )
    assert both.exit_code == 1 and "CRUD-01" in both.failed_rules(), both.stdout[-3000:]
