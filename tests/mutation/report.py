"""The mutation report: how much of the contract the suite is proven to enforce, and that it asks no more.

Run from ``tests/`` as ``python -m mutation.report`` (or ``tox -e mutation-report``). Every
catalogued server is served on loopback and the whole suite runs against it as a user would:

- each mutant with the quick profile, limited to the rule it breaks (``--strict`` when only a
  SHOULD rule, or only the SHOULD part of a rule, is broken); it is caught when the run exits
  1 naming that rule;
- each legal variant with the default profile, not strict; it passes when the run exits 0.

It prints the rule x mutant matrix, the variants' results, the mutation score, the rules no
caught mutant breaks ("unproven"), and whether every MUST rule is proven; writes the same as
JSON; and exits 1 when a mutant survives, a variant fails, or a MUST rule is unproven.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from conformance.rules import RULES, RULES_BY_ID, Level

from mutation import catalogue
from mutation.catalogue import MUTANTS, VARIANTS, Server
from mutation.harness import run_suite, serve

DEFAULT_JSON = Path(__file__).resolve().parents[2] / "reports" / "mutation.json"
MUTANT_PROFILE = "quick"
VARIANT_PROFILE = "default"
WORKERS = 2


@dataclass(frozen=True)
class Outcome:
    """One run of the suite against one catalogued server."""

    kind: str  # 'mutant' or 'variant'
    name: str
    description: str
    rule: str | None  # the rule a mutant breaks
    strict: bool
    exit_code: int
    failed_rules: tuple[str, ...]
    seconds: float

    @property
    def good(self) -> bool:
        """A mutant is caught (exit 1, its rule named); a variant is passed (exit 0)."""
        if self.kind == "variant":
            return self.exit_code == 0
        return self.exit_code == 1 and self.rule in self.failed_rules


def needs_strict(server: Server) -> bool:
    """A mutant of a SHOULD rule, or one its module lists in ``SHOULD_ONLY`` (such as one that breaks
    only the SHOULD part of PAGE-11, the 400), changes the verdict only in a strict run."""
    assert server.rule is not None
    should_only: set[str] = getattr(sys.modules[server.build.__module__], "SHOULD_ONLY", set())
    return RULES_BY_ID[server.rule].level is Level.SHOULD or server.name in should_only


def run_one(kind: str, name: str) -> Outcome:
    """Serve one catalogued server and run the suite against it (in a worker process)."""
    catalogue.load_all()
    server = MUTANTS[name] if kind == "mutant" else VARIANTS[name]
    strict = kind == "mutant" and needs_strict(server)
    rules = (server.rule,) if kind == "mutant" and server.rule else ()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"mutation-{name}-") as folder, serve(server) as served:
        run = run_suite(
            served,
            profile=MUTANT_PROFILE if kind == "mutant" else VARIANT_PROFILE,
            rules=rules,
            extra=("--strict",) if strict else (),
            junit_dir=Path(folder),
        )
    return Outcome(kind, name, server.description, server.rule, strict, run.exit_code, tuple(sorted(run.failed_rules())), round(time.monotonic() - started, 1))


def run_all(jobs: Sequence[tuple[str, str]], workers: int) -> list[Outcome]:
    """Every job in a pool of ``workers`` processes, longest first; progress goes to stderr."""
    outcomes: list[Outcome] = []
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_one, kind, name) for kind, name in jobs]
        for done, future in enumerate(as_completed(futures), 1):
            outcome = future.result() if future.exception() is None else crashed(*jobs[futures.index(future)], future.exception())
            outcomes.append(outcome)
            verdict = ("caught" if outcome.good else "SURVIVED") if outcome.kind == "mutant" else ("passed" if outcome.good else "FAILED")
            print(f"[{done}/{len(jobs)}] {outcome.kind} {outcome.name}: {verdict} (exit {outcome.exit_code}, {outcome.seconds:.0f} s)", file=sys.stderr, flush=True)
    return outcomes


def crashed(kind: str, name: str, error: BaseException | None) -> Outcome:
    """A server that could not be built or served counts against it, with the error as its description."""
    return Outcome(kind, name, f"could not be run: {type(error).__name__}: {error}", None, False, -1, (), 0.0)


# -- what the outcomes prove ---------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    caught: int
    mutants: int
    unproven: tuple[str, ...]  # rules no caught mutant breaks
    unproven_must: tuple[str, ...]
    failed_variants: tuple[str, ...]
    survivors: tuple[str, ...]
    complete: bool  # the whole catalogue ran, so unproven rules count

    @property
    def ok(self) -> bool:
        return not (self.survivors or self.failed_variants or (self.complete and self.unproven_must))


def summarize(outcomes: Sequence[Outcome], *, complete: bool = True) -> Summary:
    mutants = [outcome for outcome in outcomes if outcome.kind == "mutant"]
    proven = {outcome.rule for outcome in mutants if outcome.good}
    unproven = tuple(rule.id for rule in RULES if rule.id not in proven)
    return Summary(
        caught=sum(outcome.good for outcome in mutants),
        mutants=len(mutants),
        unproven=unproven,
        unproven_must=tuple(rule_id for rule_id in unproven if RULES_BY_ID[rule_id].level is Level.MUST),
        failed_variants=tuple(outcome.name for outcome in outcomes if outcome.kind == "variant" and not outcome.good),
        survivors=tuple(outcome.name for outcome in mutants if not outcome.good),
        complete=complete,
    )


# -- printing and JSON ---------------------------------------------------------------------


def matrix_lines(outcomes: Sequence[Outcome]) -> list[str]:
    """Rule by rule, in the catalogue's order: each mutant that breaks it, caught or not."""
    by_rule: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        if outcome.kind == "mutant" and outcome.rule:
            by_rule.setdefault(outcome.rule, []).append(outcome)
    width = max([len(outcome.name) for outcome in outcomes] + [12])
    lines = [f"{'rule':<9} {'level':<7} {'mutant':<{width}} {'result':<9} {'exit':>4} {'secs':>5}  also failed"]
    for rule in RULES:
        found = sorted(by_rule.get(rule.id, []), key=lambda outcome: outcome.name)
        if not found:
            lines.append(f"{rule.id:<9} {rule.level.value:<7} {'(no mutant)':<{width}} {'unproven':<9}")
        for outcome in found:
            result = "caught" if outcome.good else "SURVIVED"
            also = ", ".join(rule_id for rule_id in outcome.failed_rules if rule_id != rule.id)
            lines.append(f"{rule.id:<9} {rule.level.value:<7} {outcome.name:<{width}} {result:<9} {outcome.exit_code:>4} {outcome.seconds:>5.0f}  {also}{' (strict)' if outcome.strict else ''}")
    return lines


def variant_lines(outcomes: Sequence[Outcome]) -> list[str]:
    variants = sorted((outcome for outcome in outcomes if outcome.kind == "variant"), key=lambda outcome: outcome.name)
    width = max([len(outcome.name) for outcome in variants] + [12])
    lines = [f"{'variant':<{width}} {'result':<7} {'exit':>4} {'secs':>5}  what differs [rules failed: SHOULD ones do not count]"]
    for outcome in variants:
        failed = f" [failed: {', '.join(outcome.failed_rules)}]" if outcome.failed_rules else ""
        lines.append(f"{outcome.name:<{width}} {'passed' if outcome.good else 'FAILED':<7} {outcome.exit_code:>4} {outcome.seconds:>5.0f}  {outcome.description}{failed}")
    return lines


def summary_lines(summary: Summary, seconds: float) -> list[str]:
    score = summary.caught / summary.mutants if summary.mutants else 0.0
    lines = [f"mutation score: {summary.caught}/{summary.mutants} caught ({score:.1%})"]
    lines.append(f"unproven rules (no caught mutant breaks them): {', '.join(summary.unproven) or 'none'}")
    lines.append("every MUST rule proven: " + ("yes" if not summary.unproven_must else f"NO, not {', '.join(summary.unproven_must)}"))
    if summary.survivors:
        lines.append(f"surviving mutants: {', '.join(summary.survivors)}")
    if summary.failed_variants:
        lines.append(f"legal variants the suite fails: {', '.join(summary.failed_variants)}")
    lines.append(f"wall time: {seconds:.0f} s")
    return lines


def as_json(outcomes: Sequence[Outcome], summary: Summary, seconds: float) -> dict[str, object]:
    return {
        "mutants": [{**asdict(outcome), "caught": outcome.good} for outcome in outcomes if outcome.kind == "mutant"],
        "variants": [{**asdict(outcome), "passed": outcome.good} for outcome in outcomes if outcome.kind == "variant"],
        "score": {"caught": summary.caught, "total": summary.mutants},
        "unproven_rules": list(summary.unproven),
        "every_must_rule_proven": not summary.unproven_must,
        "surviving_mutants": list(summary.survivors),
        "failed_variants": list(summary.failed_variants),
        "ok": summary.ok,
        "wall_seconds": round(seconds, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write the JSON report (default {DEFAULT_JSON})")
    parser.add_argument("--workers", type=int, default=WORKERS, help=f"suite runs at a time (default {WORKERS})")
    parser.add_argument("names", nargs="*", help="only these mutants and variants (default: all); unproven rules then do not fail the report")
    args = parser.parse_args(argv)
    started = time.monotonic()
    catalogue.load_all()
    unknown = set(args.names) - set(VARIANTS) - set(MUTANTS)
    if unknown:
        parser.error(f"not in the catalogue: {', '.join(sorted(unknown))}")
    wanted = set(args.names) or set(VARIANTS) | set(MUTANTS)
    # Variants first: they are the longest runs, so the pool ends with short ones.
    jobs = [("variant", name) for name in sorted(VARIANTS) if name in wanted] + [("mutant", name) for name in sorted(MUTANTS) if name in wanted]
    outcomes = run_all(jobs, max(1, args.workers))
    summary = summarize(outcomes, complete=not args.names)
    seconds = time.monotonic() - started
    print("\n".join(["== rules x mutants", *matrix_lines(outcomes), "", "== legal variants", *variant_lines(outcomes), "", *summary_lines(summary, seconds)]))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(as_json(outcomes, summary, seconds), indent=2) + "\n")
    print(f"json: {args.json}")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
