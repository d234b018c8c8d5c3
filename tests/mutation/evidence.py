"""Proofs that a failure is excused only by evidence of another client's write.

Each scenario is a catalogued faulty server whose fault a check could put down to something
else: to other clients (the fault differs between reads, or a retry reads what the failed try
changed), to a SHOULD rule, or to the user's options. Nobody else writes to the served
accounts, so no run may excuse anything. Every scenario runs whole, as a user starts the suite
(the quick profile, never ``--rule``), at seeds 1, 2 and 3, and every run must end as its
scenario says: exit 1 with the mutant's rule among the failed rules, unless the scenario says
otherwise (the PAGE-10 default: exit 0 without ``--strict``, exit 1 with it, PAGE-10 the only
failed rule both times).

Run from ``tests/`` as ``python -m mutation.evidence [NAME...]`` (``tox -e evidence-proofs``):
it prints, for each (scenario, seed), the exit code and the failed and not-verified rules, and
exits 1 when any run ended otherwise than its scenario says.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from conformance.verdict.per_rule import NOT_VERIFIED, OUT_OF_SCOPE, TestRecord, compute_verdict
from mutation import catalogue
from mutation.catalogue import MUTANTS
from mutation.harness import run_suite, serve
from mutation.proofs import MUTANT_PROFILE, SEEDS
from mutation.report import seed_list

WORKERS = 2


@dataclass(frozen=True)
class Scenario:
    """One catalogued mutant, run in one way, and how every seed's run must end."""

    mutant: str
    strict: bool = False
    second_key: bool = True  # False: the run has no second account's key
    exit_code: int = 1
    only_its_rule: bool = False  # the mutant's rule is the only rule the run fails
    out_of_scope: bool = False  # the fault cannot be seen with the run's options: its rule is out of scope, never passed

    @property
    def label(self) -> str:
        options = (["--strict"] if self.strict else []) + (
            [] if self.second_key else ["no second key"]
        )
        return f"{self.mutant} [{', '.join(options)}]" if options else self.mutant


SCENARIOS: tuple[Scenario, ...] = (
    # Faults that differ between reads, on a private account: no write to excuse them.
    Scenario("later-pages-repeat-an-earlier-item"),
    Scenario("later-pages-swap-an-item-for-an-earlier-one"),
    Scenario("total-too-high-by-one-to-three"),
    Scenario("total-wrong-on-some-answers"),
    # Audiences a refusal left behind look like other clients' creates; the refusal naming one is proof.
    Scenario("refused-create-carries-what-it-stored"),
    # Updates judged against what the test created, not against a re-read after a failed try.
    Scenario("update-applies-the-channel"),
    Scenario("update-moves-the-create-date"),
    # A SHOULD failure, charged to its own rule, withholds no MUST rule.
    Scenario("invalid-page-size-means-the-default", exit_code=0, only_its_rule=True),
    Scenario("invalid-page-size-means-the-default", strict=True, only_its_rule=True),
    # A refused valid create is CRUD-01's failure, whatever code came back.
    Scenario("all-zeros-number-refused"),
    # Without a second key a constant account_id cannot be told from one account's own: CRUD-01
    # is out of scope ("CONFORMANT on N of 34"), never passed.
    Scenario("constant-account-id", second_key=False, exit_code=0, out_of_scope=True),
    # A refused list is the server's failure, not a wrong base URL.
    Scenario("list-refused-with-404"),
    # Checks that could not fail: an unknown id answered 200, racing renames to a free name all refused.
    Scenario("unknown-id-found-empty"),
    Scenario("racing-renames-all-refused"),
)


@dataclass(frozen=True)
class Result:
    """One run of the suite for one scenario at one seed."""

    scenario: Scenario
    rule: str
    seed: int
    exit_code: int
    failed: tuple[str, ...]
    not_verified: tuple[str, ...]
    seconds: float
    error: str = ""  # why the server could not be served or the suite not run
    out_of_scope: tuple[str, ...] = ()

    def problems(self) -> list[str]:
        """How this run ended otherwise than its scenario says (nothing: as it must)."""
        if self.error:
            return [f"could not run: {self.error}"]
        found = []
        if self.exit_code != self.scenario.exit_code:
            found.append(f"exit {self.exit_code}, not {self.scenario.exit_code}")
        if self.scenario.out_of_scope:
            if self.rule not in self.out_of_scope:
                found.append(f"{self.rule} is not out of scope")
        elif self.rule not in self.failed:
            found.append(f"{self.rule} is not among the failed rules")
        others = sorted(set(self.failed) - {self.rule})
        if self.scenario.only_its_rule and others:
            found.append(f"failed {', '.join(others)} besides {self.rule}")
        return found


def rules_decided(records: Sequence[TestRecord], outcome: str, *, strict: bool) -> tuple[str, ...]:
    """The rules the run's verdict gives ``outcome`` (not verified, out of scope), as its certificate shows them."""
    verdict = compute_verdict(records, strict=strict)
    return tuple(
        sorted(rule_id for rule_id, result in verdict.results.items() if result.outcome == outcome)
    )


def run_scenario(scenario: Scenario, seed: int) -> Result:
    """Serve the scenario's mutant and run the whole suite against it at ``seed`` (in a worker process)."""
    catalogue.load_all()
    server = MUTANTS[scenario.mutant]
    assert server.rule is not None
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix=f"evidence-{scenario.mutant}-") as folder,
        serve(server) as served,
    ):
        run = run_suite(
            served,
            profile=MUTANT_PROFILE,
            extra=("--strict",) if scenario.strict else (),
            junit_dir=Path(folder),
            seed=seed,
            secondary=scenario.second_key,
        )
    elapsed = round(time.monotonic() - started, 1)
    return Result(
        scenario,
        server.rule,
        seed,
        run.exit_code,
        tuple(sorted(run.failed_rules())),
        rules_decided(run.records, NOT_VERIFIED, strict=scenario.strict),
        elapsed,
        out_of_scope=rules_decided(run.records, OUT_OF_SCOPE, strict=scenario.strict),
    )


def could_not_run(scenario: Scenario, seed: int, error: BaseException) -> Result:
    server = MUTANTS.get(scenario.mutant)
    return Result(
        scenario,
        (server.rule if server else None) or "?",
        seed,
        -1,
        (),
        (),
        0.0,
        f"{type(error).__name__}: {error}",
    )


def run_all(jobs: Sequence[tuple[Scenario, int]], workers: int) -> list[Result]:
    """Every (scenario, seed) in a pool of ``workers`` processes; progress goes to stderr."""
    results: list[Result] = []
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {
            pool.submit(run_scenario, scenario, seed): (scenario, seed) for scenario, seed in jobs
        }
        for done, future in enumerate(as_completed(futures), 1):
            error = future.exception()
            result = future.result() if error is None else could_not_run(*futures[future], error)
            results.append(result)
            state = "as expected" if not result.problems() else "WRONG"
            print(
                f"[{done}/{len(jobs)}] {result.scenario.label} seed {result.seed}: {state} (exit {result.exit_code}, {result.seconds:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    order = {job: index for index, job in enumerate(jobs)}
    return sorted(results, key=lambda result: order[(result.scenario, result.seed)])


def result_lines(results: Sequence[Result]) -> list[str]:
    """One line per (scenario, seed): exit (and the one wanted), failed and not-verified rules."""
    width = max([len(result.scenario.label) for result in results] + [8])
    lines = [
        f"{'scenario':<{width}} {'rule':<9} {'seed':>4} {'exit':>4} {'want':>4} {'result':<8} {'secs':>5}  failed rules | not verified"
    ]
    for result in results:
        state = "ok" if not result.problems() else "WRONG"
        failed = ", ".join(result.failed) or "-"
        unverified = ", ".join(result.not_verified) or "-"
        lines.append(
            f"{result.scenario.label:<{width}} {result.rule:<9} {result.seed:>4} {result.exit_code:>4} {result.scenario.exit_code:>4} {state:<8} {result.seconds:>5.0f}  {failed} | {unverified}"
        )
    return lines


def problem_lines(results: Sequence[Result]) -> list[str]:
    lines = [
        f"{result.scenario.label} seed {result.seed}: {'; '.join(result.problems())}"
        for result in results
        if result.problems()
    ]
    return lines or ["none: every scenario ended as it must at every seed"]


def chosen(names: Sequence[str]) -> tuple[Scenario, ...]:
    """The scenarios of ``names`` (every scenario when none is named)."""
    return tuple(scenario for scenario in SCENARIOS if not names or scenario.mutant in names)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mutation.evidence", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help=f"suite runs at a time (default {WORKERS})"
    )
    parser.add_argument(
        "--seeds",
        type=seed_list,
        default=SEEDS,
        help=f"the seeds every scenario is run at, comma-separated (default {','.join(map(str, SEEDS))})",
    )
    parser.add_argument(
        "names", nargs="*", help="only the scenarios of these mutants (default: every scenario)"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - {scenario.mutant for scenario in SCENARIOS})
    if unknown:
        parser.error(
            f"no scenario runs {', '.join(unknown)}; the scenarios run: {', '.join(dict.fromkeys(scenario.mutant for scenario in SCENARIOS))}"
        )
    catalogue.load_all()
    scenarios = chosen(args.names)
    missing = sorted({scenario.mutant for scenario in scenarios} - set(MUTANTS))
    if missing:
        parser.error(
            f"scenarios name mutants the catalogue does not hold: {', '.join(missing)} (name the others to run them)"
        )
    started = time.monotonic()
    results = run_all(
        [(scenario, seed) for scenario in scenarios for seed in args.seeds], max(1, args.workers)
    )
    wrong = sum(1 for result in results if result.problems())
    print(
        "\n".join(
            [
                "== scenarios x seeds",
                *result_lines(results),
                "",
                "== runs that did not end as they must",
                *problem_lines(results),
                "",
            ]
        )
    )
    print(
        f"{len(results) - wrong} of {len(results)} runs as they must ({len(scenarios)} scenarios at seeds {', '.join(map(str, args.seeds))}); wall time {time.monotonic() - started:.0f} s"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
