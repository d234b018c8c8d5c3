"""The suite catches every mutant of the catalogue with the tests of the rule it breaks, and passes
the reference.

For each mutant (but those whose fault shows only when requests race, proven at three seeds in
:mod:`mutation.test_mutants_races`) the suite runs, as a user would, limited to the one rule the mutant breaks
(``--rule``, strict where only a strict run fails on it), at the quick profile and seed 1: it must
exit 1 and name that rule among the failures. The fast loop runs a sample of these, marked
``sample``: per rule ID of the catalogue one mutant (:func:`mutation.proofs.covering_sample`), so
every rule's tests are shown to fail, beside the reference passing every rule strictly. The full
proofs (``tox -e full``) run the other mutants; the whole-run proofs at three seeds are
:mod:`mutation.test_proofs` (the seed-sensitive mutants) and ``tox -e proofs`` (every mutant).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.contract.rules import RULES
from conformance.reference.app import create_app
from mutation import catalogue
from mutation.catalogue import MUTANTS, Server
from mutation.harness import SuiteRun, run_suite, serve
from mutation.proofs import covering_sample, needs_strict
from mutation.test_mutants_races import OURS as RACING

catalogue.load_all()
RULE_IDS = tuple(rule.id for rule in RULES)
OURS = {name: server for name, server in MUTANTS.items() if name not in RACING}
# Mutants whose narrowed catch takes two to four times that of another of their rule (the suite
# walks long before it sees the fault), measured on 2 busy cores: 38 s, 22 s and 14 s in the fast
# loop; alone, empty-collection-is-page-zero took 11 s, list-refused-with-404 7 s and
# refused-create-stored 8 s. The sample passes them over.
SLOW_TO_CATCH = frozenset(
    {
        "empty-collection-has-a-next",
        "later-pages-repeat-an-earlier-item",
        "later-pages-swap-an-item-for-an-earlier-one",
        "refused-create-leaves-a-draft",
    }
)
SAMPLE = covering_sample(OURS, RULE_IDS, slow=SLOW_TO_CATCH)
CASES = [
    pytest.param(name, id=name, marks=[pytest.mark.sample] if name in SAMPLE.values() else [])
    for name in sorted(OURS)
]
REFERENCE = Server("reference", "the reference server, unchanged", create_app)


def _tail(run: SuiteRun) -> str:
    return f"exit {run.exit_code}, failed rules {sorted(run.failed_rules())}\n" + "\n".join(
        (run.stdout + run.stderr).splitlines()[-40:]
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_the_suite_catches_the_mutant(name: str, tmp_path: Path) -> None:
    server = MUTANTS[name]
    assert server.rule is not None
    strict = ("--strict",) if needs_strict(server) else ()
    with serve(server) as served:
        run = run_suite(
            served, profile="quick", rules=(server.rule,), extra=strict, junit_dir=tmp_path
        )
    assert run.exit_code == 1, f"{name} ({server.description}) was not caught: {_tail(run)}"
    assert server.rule in run.failed_rules(), (
        f"{name} failed other rules than {server.rule}: {_tail(run)}"
    )


@pytest.mark.slow
@pytest.mark.sample
def test_the_reference_passes_every_rule_strictly(tmp_path: Path) -> None:
    """What makes a catch mean something: the same tests pass on the reference, SHOULD rules too."""
    with serve(REFERENCE) as served:
        run = run_suite(served, profile="quick", extra=("--strict",), junit_dir=tmp_path)
    assert run.exit_code == 0, f"the reference failed: {_tail(run)}"


# -- the sample itself (fast: nothing is served) -------------------------------------------------


def test_the_sample_shows_every_rule_of_the_catalogue_failing() -> None:
    """A rule added without a mutant, or a mutant renamed away, fails here, in the fast loop."""
    missing = [rule_id for rule_id in RULE_IDS if rule_id not in SAMPLE]
    assert not missing, f"rules no mutant breaks, so the fast loop shows none failing: {missing}"
    wrong = {rule: name for rule, name in SAMPLE.items() if MUTANTS[name].rule != rule}
    assert not wrong, f"sampled mutants that break another rule: {wrong}"


def test_the_sampled_mutants_and_only_they_are_marked_for_the_fast_loop() -> None:
    marked = {case.values[0] for case in CASES if any(mark.name == "sample" for mark in case.marks)}
    assert marked == set(SAMPLE.values())
    assert len(marked) == len(RULE_IDS), "one mutant per rule: each mutant names one rule"


def test_the_mutants_slow_to_catch_are_catalogued_and_left_out_of_the_sample() -> None:
    assert SLOW_TO_CATCH <= set(OURS), sorted(SLOW_TO_CATCH - set(OURS))
    assert not SLOW_TO_CATCH & set(SAMPLE.values())


def test_every_mutant_is_caught_here_or_by_the_racing_proofs() -> None:
    assert set(RACING) <= set(MUTANTS), sorted(set(RACING) - set(MUTANTS))
    assert sorted([*OURS, *RACING]) == sorted(MUTANTS)


def _made_up(name: str, rule: str | None) -> Server:
    return Server(name, "a server", create_app, rule)


def test_the_sample_takes_per_rule_the_first_mutant_by_name_and_leaves_out_unbroken_rules() -> None:
    mutants = {
        server.name: server
        for server in (
            _made_up("zeta", "PAGE-01"),
            _made_up("alpha", "PAGE-01"),
            _made_up("beta", "AUTH-01"),
            _made_up("variant", None),
        )
    }
    sample = covering_sample(mutants, ("AUTH-01", "PAGE-01", "PAGE-02"))
    assert sample == {"AUTH-01": "beta", "PAGE-01": "alpha"}
    assert list(sample) == ["AUTH-01", "PAGE-01"], "in the order of the rules asked for"
    slow = covering_sample(mutants, ("AUTH-01", "PAGE-01"), slow={"alpha", "beta"})
    assert slow == {"AUTH-01": "beta", "PAGE-01": "zeta"}, "a slow mutant only when it is the last"
