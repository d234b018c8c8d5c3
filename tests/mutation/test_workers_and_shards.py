"""Workers and shards change how a run is spread, never what it decides.

On the reference (the whole quick profile): a run with 2 workers, and a CI matrix of 3 shards
merged by ``report``, give every rule's outcome of one process; every shard job exits 0 and the
merge verifies, while the merge of a set with a shard missing is refused (exit 2). On a sample
of mutants (each narrowed to its rule, as the catalogue's own tests run it): the same verdict
and exit code, the mutant's rule failed, and for shards every rule's outcome of one run. A
shard exits 1 exactly when a test it ran failed a counted rule, 0 otherwise: a matrix of 3
against a whole mutant has its one red job, and a NOT CONFORMANT merge.
``CONFORMANCE_PROOFS=all`` (``tox -e workers-proofs``) runs the whole catalogue.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conformance.cli.main import main
from conformance.contract.rules import Level
from conformance.reference.app import create_app
from conformance.verdict.outcomes import Outcome
from mutation.catalogue import MUTANTS, Server, load_all
from mutation.harness import Served, SuiteRun, run_suite, serve
from mutation.proofs import needs_strict

load_all()
# Walks of the quiet group, filter totals, a refused create that is stored, an update rule.
SAMPLE = (
    "skips-an-item-at-each-boundary",
    "total-ignores-the-filter",
    "refused-create-stored",
    "stale-rename",
)
CHOSEN = sorted(MUTANTS) if os.environ.get("CONFORMANCE_PROOFS") == "all" else list(SAMPLE)
REFERENCE = Server("reference", "the reference server, unchanged", create_app)


def outcomes(folder: Path) -> dict[str, str]:
    certificate = json.loads((folder / "certificate.json").read_text(encoding="utf-8"))
    return {rule["id"]: rule["outcome"] for rule in certificate["rules"]}


def verdict(folder: Path, name: str = "certificate.json") -> str:
    return str(json.loads((folder / name).read_text(encoding="utf-8"))["verdict"])


def narrowed(server: Server) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The mutant's own rule, and ``--strict`` where only a strict run fails on it (a SHOULD
    rule, or the SHOULD part of a MUST rule: the proofs' own judgement)."""
    if server.rule is None:
        return (), ()
    return (server.rule,), (("--strict",) if needs_strict(server) else ())


def run(
    server: Server, folder: Path, *extra: str, served: Served | None = None, whole: bool = False
) -> SuiteRun:
    """The suite against ``server``, narrowed to its rule unless ``whole``."""
    rules, strict = ((), ()) if whole else narrowed(server)
    folder.mkdir(parents=True, exist_ok=True)
    if served is not None:
        return run_suite(served, rules=rules, extra=(*strict, *extra), junit_dir=folder)
    with serve(server) as fresh:
        return run_suite(fresh, rules=rules, extra=(*strict, *extra), junit_dir=folder)


def broken_here(shard: SuiteRun, strict: bool) -> set[str]:
    """The counted rules the shard's own tests found broken, read from its JUnit records."""
    return {
        outcome.rule
        for record in shard.records
        for outcome in record.outcomes
        if outcome.outcome is Outcome.FAILED and (strict or outcome.level is Level.MUST)
    }


def shard_jobs(
    tmp_path: Path, server: Server, count: int, *, whole: bool = False
) -> list[SuiteRun]:
    """The ``count`` jobs of a CI matrix against one target, each a process of its own; each
    exits 1 exactly when its own tests failed a counted rule, else 0, and says it is one shard."""
    strict = () if whole else narrowed(server)[1]
    with serve(server) as served:
        shards = [
            run(
                server,
                tmp_path / f"shard{k}",
                "--shard",
                f"{k}/{count}",
                served=served,
                whole=whole,
            )
            for k in range(1, count + 1)
        ]
    for k, shard in enumerate(shards, start=1):
        expected = 1 if broken_here(shard, strict=bool(strict)) else 0
        assert shard.exit_code == expected, tail(shard)
        assert f"shard {k}/{count}: " in shard.stdout and "NO VERDICT" not in shard.stdout
    return shards


def merged(tmp_path: Path, server: Server, count: int = 2, *, whole: bool = False) -> Path:
    """The matrix's jobs, then its merge job (``report`` of every shard's JUnit file)."""
    shard_jobs(tmp_path, server, count, whole=whole)
    out = tmp_path / "merged"
    junit_files = [str(tmp_path / f"shard{k}" / "junit.xml") for k in range(1, count + 1)]
    assert main(["report", *junit_files, "--out", str(out)]) == 0
    return out


def tail(result: SuiteRun) -> str:
    return f"exit {result.exit_code}, failed {sorted(result.failed_rules())}\n{result.stdout[-2500:]}\n{result.stderr[-1500:]}"


@pytest.mark.slow
def test_the_reference_is_conformant_with_workers_and_with_shards_merged(tmp_path: Path) -> None:
    single = run(REFERENCE, tmp_path / "single")
    parallel = run(REFERENCE, tmp_path / "workers", "--workers", "2")
    assert single.exit_code == 0, tail(single)
    assert parallel.exit_code == 0, tail(parallel)
    assert outcomes(parallel.folder or tmp_path) == outcomes(single.folder or tmp_path)
    assert (
        "cleanup: deleted 0 audience" not in parallel.stdout
    )  # the workers' audiences reached the controller's ledger
    out = merged(tmp_path, REFERENCE, 3)  # every job exits 0
    assert verdict(out) == "CONFORMANT" and outcomes(out) == outcomes(single.folder or tmp_path)
    assert main(["verify", str(out / "certificate.json")]) == 0
    # A shard's certificate carries its name, and no verdict of its own.
    assert verdict(tmp_path / "shard2", "certificate-shard-2-of-3.json").startswith("SHARD 2/3: ")
    # The merge job of a matrix whose third job is missing (or given twice) refuses, in one line.
    two = [str(tmp_path / f"shard{k}" / "junit.xml") for k in (1, 2)]
    assert main(["report", *two, "--out", str(tmp_path / "two")]) == 2
    assert main(["report", *two, two[1], "--out", str(tmp_path / "twice")]) == 2
    assert main(["report", two[0], "--out", str(tmp_path / "one")]) == 2
    assert not any((tmp_path / name).exists() for name in ("two", "twice", "one"))


@pytest.mark.slow
@pytest.mark.parametrize("name", CHOSEN)
def test_workers_give_the_verdict_of_one_process(name: str, tmp_path: Path) -> None:
    server = MUTANTS[name]
    single = run(server, tmp_path / "single")
    parallel = run(server, tmp_path / "workers", "--workers", "2")
    assert single.exit_code == 1 and server.rule in single.failed_rules(), tail(single)
    assert parallel.exit_code == 1 and server.rule in parallel.failed_rules(), tail(parallel)
    # The mutant's own rule fails either way. Other rules may fail in one and pass in the other:
    # with workers the account holds other tests' audiences while the walks run, so a fault that
    # depends on the data (an item skipped at each page boundary) can also break, say, PAGE-05.
    assert verdict(parallel.folder or tmp_path) == verdict(single.folder or tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", CHOSEN)
def test_shards_merged_give_the_verdict_of_one_run(name: str, tmp_path: Path) -> None:
    server = MUTANTS[name]
    single = run(server, tmp_path / "single")
    assert single.exit_code == 1, tail(single)
    out = merged(tmp_path, server)
    assert outcomes(out) == outcomes(single.folder or tmp_path)
    certificate = json.loads((out / "certificate.json").read_text(encoding="utf-8"))
    assert certificate["conformant"] is False and certificate["verdict"].startswith(
        "NOT CONFORMANT"
    )


@pytest.mark.slow
def test_a_matrix_of_3_against_a_mutant_has_one_red_job_and_a_not_conformant_merge(
    tmp_path: Path,
) -> None:
    """The whole quick profile, as a CI matrix runs it: the quiet walks that meet the mutant
    run in one shard, which exits 1; the other jobs exit 0, and the merge is NOT CONFORMANT."""
    server = MUTANTS["skips-an-item-at-each-boundary"]
    shards = shard_jobs(tmp_path, server, 3, whole=True)
    assert sorted(shard.exit_code for shard in shards) == [0, 0, 1], [tail(s) for s in shards]
    red = next(shard for shard in shards if shard.exit_code == 1)
    assert server.rule in broken_here(red, strict=False)
    out = tmp_path / "merged"
    junit_files = [str(tmp_path / f"shard{k}" / "junit.xml") for k in (1, 2, 3)]
    assert main(["report", *junit_files, "--out", str(out)]) == 0
    assert verdict(out) == "NOT CONFORMANT" and outcomes(out)[str(server.rule)] == "failed"
    assert main(["verify", str(out / "certificate.json")]) == 1
