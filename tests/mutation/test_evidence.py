"""The evidence proofs' scenarios name catalogued mutants, and their runs are judged as the
scenarios say. Fast: nothing is served here (the proofs themselves are ``tox -e evidence-proofs``)."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conformance.contract.rules import RULES_BY_ID, Level
from mutation import catalogue, evidence, harness
from mutation.catalogue import MUTANTS
from mutation.evidence import SCENARIOS, Result, Scenario
from mutation.harness import Served

catalogue.load_all()


def test_every_scenario_runs_a_catalogued_mutant_once() -> None:
    missing = sorted({scenario.mutant for scenario in SCENARIOS} - set(MUTANTS))
    assert not missing, f"scenarios of mutants the catalogue does not hold: {missing}"
    repeated = [scenario.label for scenario, count in Counter(SCENARIOS).items() if count > 1]
    assert not repeated, f"scenarios listed twice: {repeated}"


def test_a_should_rule_is_proven_with_and_without_strict() -> None:
    """A SHOULD mutant's scenario without --strict must exit 0, and its rule must be proven failed
    in a strict run too, where the exit is 1."""
    for scenario in SCENARIOS:
        level = RULES_BY_ID[MUTANTS[scenario.mutant].rule or ""].level
        if level is Level.SHOULD:
            assert scenario.exit_code == (1 if scenario.strict else 0), scenario.label
            assert (
                Scenario(
                    scenario.mutant,
                    not scenario.strict,
                    scenario.second_key,
                    0 if scenario.strict else 1,
                    scenario.only_its_rule,
                )
                in SCENARIOS
            ), scenario.label


def _result(
    scenario: Scenario, exit_code: int, failed: tuple[str, ...], rule: str = "PAGE-04"
) -> Result:
    return Result(scenario, rule, 1, exit_code, failed, (), 1.0)


def test_a_run_is_as_it_must_be_only_with_the_exit_and_the_rule() -> None:
    caught = Scenario("m")
    assert _result(caught, 1, ("PAGE-02", "PAGE-04")).problems() == []
    assert _result(caught, 4, ()).problems() == [
        "exit 4, not 1",
        "PAGE-04 is not among the failed rules",
    ]
    assert _result(caught, 1, ("PAGE-02",)).problems() == ["PAGE-04 is not among the failed rules"]


def test_a_scenario_of_one_rule_refuses_any_other_failure() -> None:
    lenient = Scenario("m", exit_code=0, only_its_rule=True)
    assert _result(lenient, 0, ("PAGE-10",), rule="PAGE-10").problems() == []
    assert _result(lenient, 4, ("PAGE-10", "ROB-04"), rule="PAGE-10").problems() == [
        "exit 4, not 0",
        "failed ROB-04 besides PAGE-10",
    ]
    assert _result(lenient, 0, (), rule="PAGE-10").problems() == [
        "PAGE-10 is not among the failed rules"
    ]


def test_a_run_that_could_not_start_is_not_as_it_must_be() -> None:
    result = evidence.could_not_run(
        Scenario("total-too-high-by-one-to-three"), 2, OSError("no port")
    )
    assert result.rule == "PAGE-02"
    assert result.problems() == ["could not run: OSError: no port"]
    assert evidence.problem_lines([result]) == [
        "total-too-high-by-one-to-three seed 2: could not run: OSError: no port"
    ]


def test_the_lines_say_exit_and_rules_per_scenario_and_seed() -> None:
    run = Result(
        Scenario("constant-account-id", second_key=False), "CRUD-01", 3, 0, (), ("TEN-01",), 2.0
    )
    header, line = evidence.result_lines([run])
    assert "failed rules | not verified" in header
    assert line.split()[:8] == [
        "constant-account-id",
        "[no",
        "second",
        "key]",
        "CRUD-01",
        "3",
        "0",
        "1",
    ]
    assert line.endswith("- | TEN-01")


def test_names_choose_scenarios_and_unknown_ones_are_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert {
        scenario.strict for scenario in evidence.chosen(["invalid-page-size-means-the-default"])
    } == {False, True}
    assert evidence.chosen([]) == SCENARIOS
    with pytest.raises(SystemExit) as stopped:
        evidence.main(["no-such-mutant"])
    assert stopped.value.code == 2
    assert "no scenario runs no-such-mutant" in capsys.readouterr().err


@pytest.mark.parametrize("secondary", [True, False])
def test_a_run_without_a_second_key_gets_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, secondary: bool
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        seen.update(options)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(harness.subprocess, "run", fake_run)
    monkeypatch.setenv("AUDIENCE_SECONDARY_API_KEY", "inherited")
    harness.run_suite(
        Served("http://127.0.0.1:1", "first", "second"), junit_dir=tmp_path, secondary=secondary
    )
    assert seen["env"]["AUDIENCE_API_KEY"] == "first"
    assert seen["env"].get("AUDIENCE_SECONDARY_API_KEY") == ("second" if secondary else None)


def test_a_fault_the_options_cannot_show_must_leave_its_rule_out_of_scope_never_passed() -> None:
    scenario = Scenario("constant-account-id", second_key=False, exit_code=0, out_of_scope=True)
    assert (
        Result(
            scenario, "CRUD-01", 1, 0, (), (), 1.0, out_of_scope=("CRUD-01", "TEN-01")
        ).problems()
        == []
    )
    assert Result(scenario, "CRUD-01", 1, 0, (), (), 1.0, out_of_scope=("TEN-01",)).problems() == [
        "CRUD-01 is not out of scope"
    ]
