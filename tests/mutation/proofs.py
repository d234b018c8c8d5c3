"""A proof is a whole run of the suite against a catalogued server, repeated at several seeds.

A mutant is caught only when every seed's run exits 1 and names the mutant's rule among the
FAILED rules: Hypothesis draws other examples at another seed, and a catch that one seed
happened to draw is a proof of that seed, not of the suite (``non-ascii-letters-accepted``
once survived seeds 4 and 5). The run is the whole suite, as a user starts it, never narrowed
with ``--rule``: in a whole run another rule's check can fire first and take the blame, and a
proof must show the verdict a user reads. A legal variant passes only when every seed's run
exits 0.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance.contract.rules import RULES_BY_ID, Level
from mutation import catalogue
from mutation.catalogue import MUTANTS, VARIANTS, Server
from mutation.harness import run_suite, serve

MUTANT_PROFILE = "quick"
VARIANT_PROFILE = "default"
SEEDS = (1, 2, 3)


@dataclass(frozen=True)
class Outcome:
    """One run of the suite against one catalogued server at one seed."""

    kind: str  # 'mutant' or 'variant'
    name: str
    description: str
    rule: str | None  # the rule a mutant breaks
    strict: bool
    seed: int
    exit_code: int
    failed_rules: tuple[str, ...]
    seconds: float

    @property
    def good(self) -> bool:
        """A mutant is caught (exit 1, its rule named); a variant is passed (exit 0)."""
        if self.kind == "variant":
            return self.exit_code == 0
        return self.exit_code == 1 and self.rule in self.failed_rules


@dataclass(frozen=True)
class Proof:
    """Every seed's run against one server; good only when every seed's run is."""

    runs: tuple[Outcome, ...]

    @property
    def first(self) -> Outcome:
        return self.runs[0]

    @property
    def good(self) -> bool:
        return bool(self.runs) and all(run.good for run in self.runs)

    @property
    def missed(self) -> tuple[Outcome, ...]:
        """The seeds whose run did not catch the mutant (or failed the variant)."""
        return tuple(run for run in self.runs if not run.good)

    @property
    def seconds(self) -> float:
        return round(sum(run.seconds for run in self.runs), 1)

    def failed_rules(self) -> tuple[str, ...]:
        """Every rule any seed's run failed."""
        return tuple(sorted({rule for run in self.runs for rule in run.failed_rules}))


def needs_strict(server: Server) -> bool:
    """A mutant of a SHOULD rule, or one marked ``should_only`` (such as one that breaks only the
    SHOULD part of PAGE-11, the 400), changes the verdict only in a strict run."""
    assert server.rule is not None
    return RULES_BY_ID[server.rule].level is Level.SHOULD or server.name in catalogue.SHOULD_ONLY


def run_one(kind: str, name: str, seed: int, narrowed: bool = False) -> Outcome:
    """Serve one catalogued server and run the suite against it at ``seed`` (in a worker process).
    ``narrowed`` limits a mutant's run to its own rule (``--rule``), the quick check CI keeps."""
    catalogue.load_all()
    server = MUTANTS[name] if kind == "mutant" else VARIANTS[name]
    strict = kind == "mutant" and needs_strict(server)
    rules = (server.rule,) if narrowed and kind == "mutant" and server.rule else ()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"mutation-{name}-") as folder, serve(server) as served:
        run = run_suite(
            served,
            profile=MUTANT_PROFILE if kind == "mutant" else VARIANT_PROFILE,
            rules=rules,
            extra=("--strict",) if strict else (),
            junit_dir=Path(folder),
            seed=seed,
        )
    return Outcome(
        kind,
        name,
        server.description,
        server.rule,
        strict,
        seed,
        run.exit_code,
        tuple(sorted(run.failed_rules())),
        round(time.monotonic() - started, 1),
    )


def crashed(kind: str, name: str, seed: int, error: BaseException | None) -> Outcome:
    """A server that could not be built or served counts against it, with the error as its description."""
    return Outcome(
        kind,
        name,
        f"could not be run: {type(error).__name__}: {error}",
        None,
        False,
        seed,
        -1,
        (),
        0.0,
    )


def proofs_of(outcomes: Sequence[Outcome]) -> list[Proof]:
    """The runs grouped by server, seeds in order; servers in the order they first appear."""
    grouped: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in outcomes:
        grouped.setdefault((outcome.kind, outcome.name), []).append(outcome)
    return [Proof(tuple(sorted(runs, key=lambda run: run.seed))) for runs in grouped.values()]


def miss_line(run: Outcome) -> str:
    """Why one seed's run is not a catch (or not a pass): its exit and what it failed instead."""
    failed = ", ".join(run.failed_rules) or "no rule"
    if run.kind == "variant":
        return f"seed {run.seed}: exit {run.exit_code}, failed {failed}"
    return (
        f"seed {run.seed}: exit {run.exit_code}, failed {failed} (not {run.rule})"
        if run.rule not in run.failed_rules
        else f"seed {run.seed}: exit {run.exit_code}, {run.rule} named but the run did not end NOT CONFORMANT"
    )


def covering_sample(
    mutants: Mapping[str, Server], rule_ids: Iterable[str], *, slow: Collection[str] = ()
) -> dict[str, str]:
    """Per rule ID, the first mutant by name that breaks it, passing over the ``slow`` ones while
    the rule has another: the fast loop's sample.

    A mutant names one rule, so one mutant per rule is the least set that shows every rule's
    tests failing. Chosen by name, the sample changes only when the catalogue does. A rule no
    mutant breaks is left out, for the caller to see."""
    first: dict[str, str] = {}
    for name in sorted(mutants, key=lambda name: (name in slow, name)):
        rule = mutants[name].rule
        if rule is not None:
            first.setdefault(rule, name)
    return {rule: first[rule] for rule in rule_ids if rule in first}
