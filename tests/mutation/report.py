"""The mutation report: how much of the contract the suite is proven to enforce, and that it asks no more.

Run from ``tests/`` as ``python -m mutation.report`` (or ``tox -e mutation-report``, and in full
with ``tox -e proofs``). Every catalogued server is served on loopback and the whole suite runs
against it as a user would, never narrowed with ``--rule``, at each of seeds 1, 2 and 3
(``--seeds``):

- each mutant with the quick profile (``--strict`` when only a SHOULD rule, or only the SHOULD
  part of a rule, is broken); it is caught when the run of EVERY seed exits 1 naming that rule
  among the failed rules (see :mod:`mutation.proofs` for why);
- each legal variant with the default profile, not strict; it passes when every seed's run exits 0.

It prints the rule x mutant matrix, the survivors seed by seed (which seed missed, and what it
failed instead), the variants' results, the mutation score, the rules no caught mutant breaks
("unproven"), and whether every MUST rule is proven; writes the same as JSON; and exits 1 when a
mutant survives a seed, a variant fails a seed, or a MUST rule is unproven.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from conformance.contract.rules import RULES, RULES_BY_ID, Level
from mutation import catalogue
from mutation.catalogue import MUTANTS, VARIANTS
from mutation.proofs import SEEDS, Outcome, Proof, crashed, miss_line, proofs_of, run_one

DEFAULT_JSON = Path(__file__).resolve().parents[2] / "reports" / "mutation.json"
WORKERS = 2

Job = tuple[str, str, int]  # (kind, name, seed)


def run_all(jobs: Sequence[Job], workers: int) -> list[Outcome]:
    """Every job in a pool of ``workers`` processes, in the order given; progress goes to stderr."""
    outcomes: list[Outcome] = []
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_one, kind, name, seed) for kind, name, seed in jobs]
        for done, future in enumerate(as_completed(futures), 1):
            outcome = (
                future.result()
                if future.exception() is None
                else crashed(*jobs[futures.index(future)], future.exception())
            )
            outcomes.append(outcome)
            verdict = (
                ("caught" if outcome.good else "SURVIVED")
                if outcome.kind == "mutant"
                else ("passed" if outcome.good else "FAILED")
            )
            print(
                f"[{done}/{len(jobs)}] {outcome.kind} {outcome.name} seed {outcome.seed}: {verdict} (exit {outcome.exit_code}, {outcome.seconds:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    return outcomes


# -- what the outcomes prove ---------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    caught: int
    mutants: int
    unproven: tuple[str, ...]  # rules no mutant caught at every seed breaks
    unproven_must: tuple[str, ...]
    failed_variants: tuple[str, ...]
    survivors: tuple[str, ...]  # mutants some seed missed
    complete: bool  # the whole catalogue ran, so unproven rules count

    @property
    def ok(self) -> bool:
        return not (
            self.survivors or self.failed_variants or (self.complete and self.unproven_must)
        )


def summarize(proofs: Sequence[Proof], *, complete: bool = True) -> Summary:
    mutants = [proof for proof in proofs if proof.first.kind == "mutant"]
    proven = {proof.first.rule for proof in mutants if proof.good}
    unproven = tuple(rule.id for rule in RULES if rule.id not in proven)
    return Summary(
        caught=sum(proof.good for proof in mutants),
        mutants=len(mutants),
        unproven=unproven,
        unproven_must=tuple(
            rule_id for rule_id in unproven if RULES_BY_ID[rule_id].level is Level.MUST
        ),
        failed_variants=tuple(
            sorted(
                proof.first.name
                for proof in proofs
                if proof.first.kind == "variant" and not proof.good
            )
        ),
        survivors=tuple(sorted(proof.first.name for proof in mutants if not proof.good)),
        complete=complete,
    )


# -- printing and JSON ---------------------------------------------------------------------


def _exits(proof: Proof) -> str:
    return "/".join(str(run.exit_code) for run in proof.runs)


def matrix_lines(proofs: Sequence[Proof]) -> list[str]:
    """Rule by rule, in the catalogue's order: each mutant that breaks it, caught at every seed or not."""
    by_rule: dict[str, list[Proof]] = {}
    for proof in proofs:
        if proof.first.kind == "mutant" and proof.first.rule:
            by_rule.setdefault(proof.first.rule, []).append(proof)
    width = max([len(proof.first.name) for proof in proofs] + [12])
    lines = [
        f"{'rule':<9} {'level':<7} {'mutant':<{width}} {'result':<9} {'exits':>7} {'secs':>5}  also failed"
    ]
    for rule in RULES:
        found = sorted(by_rule.get(rule.id, []), key=lambda proof: proof.first.name)
        if not found:
            lines.append(
                f"{rule.id:<9} {rule.level.value:<7} {'(no mutant)':<{width}} {'unproven':<9}"
            )
        for proof in found:
            result = "caught" if proof.good else "SURVIVED"
            also = ", ".join(rule_id for rule_id in proof.failed_rules() if rule_id != rule.id)
            lines.append(
                f"{rule.id:<9} {rule.level.value:<7} {proof.first.name:<{width}} {result:<9} {_exits(proof):>7} {proof.seconds:>5.0f}  {also}{' (strict)' if proof.first.strict else ''}"
            )
    return lines


def survivor_lines(proofs: Sequence[Proof]) -> list[str]:
    """Each mutant some seed missed, and each variant some seed failed: which seed, and what it failed instead."""
    lines = []
    for proof in sorted(proofs, key=lambda proof: (proof.first.kind, proof.first.name)):
        for run in proof.missed:
            lines.append(f"{run.kind} {run.name} ({run.rule or 'legal'}): {miss_line(run)}")
    return lines or ["none: every mutant caught and every variant passed at every seed"]


def variant_lines(proofs: Sequence[Proof]) -> list[str]:
    variants = sorted(
        (proof for proof in proofs if proof.first.kind == "variant"),
        key=lambda proof: proof.first.name,
    )
    width = max([len(proof.first.name) for proof in variants] + [12])
    lines = [
        f"{'variant':<{width}} {'result':<7} {'exits':>7} {'secs':>5}  what differs [rules failed: SHOULD ones do not count]"
    ]
    for proof in variants:
        failed = f" [failed: {', '.join(proof.failed_rules())}]" if proof.failed_rules() else ""
        lines.append(
            f"{proof.first.name:<{width}} {'passed' if proof.good else 'FAILED':<7} {_exits(proof):>7} {proof.seconds:>5.0f}  {proof.first.description}{failed}"
        )
    return lines


def summary_lines(summary: Summary, seeds: Sequence[int], seconds: float) -> list[str]:
    score = summary.caught / summary.mutants if summary.mutants else 0.0
    lines = [
        f"mutation score: {summary.caught}/{summary.mutants} caught at every seed of {', '.join(map(str, seeds))} ({score:.1%})"
    ]
    if summary.complete:
        lines.append(
            f"unproven rules (no mutant caught at every seed breaks them): {', '.join(summary.unproven) or 'none'}"
        )
        lines.append(
            "every MUST rule proven: "
            + (
                "yes"
                if not summary.unproven_must
                else f"NO, not {', '.join(summary.unproven_must)}"
            )
        )
    else:
        lines.append("unproven rules: not judged (only some servers ran)")
    if summary.survivors:
        lines.append(f"surviving mutants: {', '.join(summary.survivors)}")
    if summary.failed_variants:
        lines.append(f"legal variants the suite fails: {', '.join(summary.failed_variants)}")
    lines.append(f"wall time: {seconds:.0f} s")
    return lines


def as_json(
    proofs: Sequence[Proof], summary: Summary, seeds: Sequence[int], seconds: float
) -> dict[str, object]:
    def entry(proof: Proof, verdict: str) -> dict[str, object]:
        first = asdict(proof.first)
        shared = {name: first[name] for name in ("name", "description", "rule", "strict")}
        return {
            **shared,
            verdict: proof.good,
            "runs": [
                {
                    "seed": run.seed,
                    "exit_code": run.exit_code,
                    "failed_rules": list(run.failed_rules),
                    "seconds": run.seconds,
                }
                for run in proof.runs
            ],
        }

    return {
        "seeds": list(seeds),
        "mutants": [entry(proof, "caught") for proof in proofs if proof.first.kind == "mutant"],
        "variants": [entry(proof, "passed") for proof in proofs if proof.first.kind == "variant"],
        "score": {"caught": summary.caught, "total": summary.mutants},
        "unproven_rules": list(summary.unproven),
        "every_must_rule_proven": not summary.unproven_must,
        "surviving_mutants": list(summary.survivors),
        "failed_variants": list(summary.failed_variants),
        "ok": summary.ok,
        "wall_seconds": round(seconds, 1),
    }


def seed_list(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"seeds are integers separated by commas, not '{text}'"
        ) from None
    if not seeds:
        raise argparse.ArgumentTypeError("at least one seed")
    return seeds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mutation.report", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help=f"where to write the JSON report (default {DEFAULT_JSON})",
    )
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help=f"suite runs at a time (default {WORKERS})"
    )
    parser.add_argument(
        "--seeds",
        type=seed_list,
        default=SEEDS,
        help=f"the seeds every server is run at, comma-separated (default {','.join(map(str, SEEDS))})",
    )
    parser.add_argument(
        "names",
        nargs="*",
        help="only these mutants and variants (default: all); unproven rules then do not fail the report",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    catalogue.load_all()
    unknown = set(args.names) - set(VARIANTS) - set(MUTANTS)
    if unknown:
        parser.error(f"not in the catalogue: {', '.join(sorted(unknown))}")
    wanted = set(args.names) or set(VARIANTS) | set(MUTANTS)
    # Variants first: they are the longest runs, so the pool ends with short ones.
    servers = [("variant", name) for name in sorted(VARIANTS) if name in wanted] + [
        ("mutant", name) for name in sorted(MUTANTS) if name in wanted
    ]
    jobs = [(kind, name, seed) for kind, name in servers for seed in args.seeds]
    proofs = proofs_of(run_all(jobs, max(1, args.workers)))
    summary = summarize(proofs, complete=not args.names)
    seconds = time.monotonic() - started
    sections = [
        "== rules x mutants (exits: one per seed)",
        *matrix_lines(proofs),
        "",
        "== survivors, seed by seed",
        *survivor_lines(proofs),
    ]
    print(
        "\n".join(
            [
                *sections,
                "",
                "== legal variants",
                *variant_lines(proofs),
                "",
                *summary_lines(summary, args.seeds, seconds),
            ]
        )
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(as_json(proofs, summary, args.seeds, seconds), indent=2) + "\n")
    print(f"json: {args.json}")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
