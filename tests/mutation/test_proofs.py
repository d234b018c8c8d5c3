"""Proofs that hold at any seed, as CI can afford them, and the report's arithmetic of seeds.

A whole-suite quick run against one mutant takes 12 to 45 s here (2 cores), so the whole
catalogue at three seeds is 104 mutants x 3 runs: over an hour on one process, more than
CI's budget beside the rest of the tests. CI therefore keeps two cheaper checks and leaves the
full proof to ``tox -e proofs`` (``python -m mutation.report``, every mutant, seeds 1, 2, 3):

- every mutant narrowed to its own rule at seed 1 (``test_mutants``; the racing ones at seeds
  1, 2 and 3, ``test_mutants_races``): the rule's own checks catch it;
- here, the mutants whose catch once depended on the seed or on another rule firing first in a
  whole run (the boundary values and a filter dropped from links), run whole at seeds 1, 2 and
  3, exactly as the report counts a catch.
"""

from __future__ import annotations

import argparse

import pytest

from mutation import catalogue, report
from mutation.catalogue import MUTANTS
from mutation.proofs import SEEDS, Outcome, Proof, proofs_of, run_one

catalogue.load_all()
SEED_SENSITIVE = (
    "non-ascii-letters-accepted",
    "name-limit-off-by-one",
    "contacts-limit-off-by-one",
    "links-drop-the-channel-filter",
)


def test_the_seed_sensitive_mutants_are_catalogued() -> None:
    assert set(SEED_SENSITIVE) <= set(MUTANTS), sorted(set(SEED_SENSITIVE) - set(MUTANTS))


@pytest.mark.slow
@pytest.mark.parametrize("name", SEED_SENSITIVE)
def test_a_whole_run_catches_the_mutant_at_every_seed(name: str) -> None:
    proof = Proof(tuple(run_one("mutant", name, seed) for seed in SEEDS))
    assert proof.good, f"{name} ({MUTANTS[name].rule}): " + "; ".join(
        report.survivor_lines([proof])
    )


# -- the report's arithmetic, on outcomes made up here (fast) ----------------------------------


def _run(
    name: str, seed: int, exit_code: int, failed: tuple[str, ...], kind: str = "mutant"
) -> Outcome:
    return Outcome(
        kind,
        name,
        "a server",
        "VAL-1304" if kind == "mutant" else None,
        False,
        seed,
        exit_code,
        failed,
        1.0,
    )


def test_a_mutant_one_seed_missed_is_a_survivor_named_with_that_seed() -> None:
    runs = [
        _run("m", 1, 1, ("VAL-1304",)),
        _run("m", 3, 0, ()),
        _run("m", 2, 1, ("VAL-1304", "VAL-00")),
    ]
    (proof,) = proofs_of(runs)
    assert [run.seed for run in proof.runs] == [1, 2, 3]
    assert not proof.good
    assert [run.seed for run in proof.missed] == [3]
    summary = report.summarize([proof], complete=False)
    assert summary.survivors == ("m",) and summary.caught == 0 and not summary.ok
    assert report.survivor_lines([proof]) == [
        "mutant m (VAL-1304): seed 3: exit 0, failed no rule (not VAL-1304)"
    ]


def test_a_run_naming_another_rule_is_no_catch_and_says_what_it_failed() -> None:
    (proof,) = proofs_of(
        [_run("m", seed, 1, ("PAGE-04",) if seed == 2 else ("VAL-1304",)) for seed in SEEDS]
    )
    assert not proof.good
    assert report.survivor_lines([proof]) == [
        "mutant m (VAL-1304): seed 2: exit 1, failed PAGE-04 (not VAL-1304)"
    ]


def test_caught_at_every_seed_proves_the_rule_and_a_variant_must_pass_every_seed() -> None:
    mutant = proofs_of([_run("m", seed, 1, ("VAL-1304",)) for seed in SEEDS])
    variant = proofs_of(
        [_run("v", seed, 0 if seed != 2 else 1, (), kind="variant") for seed in SEEDS]
    )
    summary = report.summarize([*mutant, *variant], complete=False)
    assert summary.caught == 1 and "VAL-1304" not in summary.unproven
    assert summary.failed_variants == ("v",)
    assert report.survivor_lines(variant) == ["variant v (legal): seed 2: exit 1, failed no rule"]
    document = report.as_json([*mutant, *variant], summary, SEEDS, 3.0)
    assert document["seeds"] == [1, 2, 3]
    assert [run["seed"] for run in document["mutants"][0]["runs"]] == [1, 2, 3]  # type: ignore[index]


def test_the_report_reads_its_seeds_from_the_command_line() -> None:
    assert report.seed_list("1,2,3") == (1, 2, 3)
    assert report.seed_list("7") == (7,)
    with pytest.raises(argparse.ArgumentTypeError, match="integers"):
        report.seed_list("one")
