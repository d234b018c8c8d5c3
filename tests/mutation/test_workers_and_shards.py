"""Workers and shards change how a run is spread, never what it decides.

On the reference (the whole quick profile): a run with 2 workers, and 2 shards merged by
``report``, give every rule's outcome of one process. On a sample of mutants (each narrowed to
its rule, as the catalogue's own tests run it): the same verdict and exit code, the mutant's
rule failed, and for shards every rule's outcome of one run.
``CONFORMANCE_PROOFS=all`` (``tox -e workers-proofs``) runs the whole catalogue.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conformance.cli.main import main
from conformance.reference.app import create_app
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


def verdict(folder: Path) -> str:
    return str(json.loads((folder / "certificate.json").read_text(encoding="utf-8"))["verdict"])


def narrowed(server: Server) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The mutant's own rule, and ``--strict`` where only a strict run fails on it (a SHOULD
    rule, or the SHOULD part of a MUST rule: the proofs' own judgement)."""
    if server.rule is None:
        return (), ()
    return (server.rule,), (("--strict",) if needs_strict(server) else ())


def run(server: Server, folder: Path, *extra: str, served: Served | None = None) -> SuiteRun:
    rules, strict = narrowed(server)
    folder.mkdir(parents=True, exist_ok=True)
    if served is not None:
        return run_suite(served, rules=rules, extra=(*strict, *extra), junit_dir=folder)
    with serve(server) as fresh:
        return run_suite(fresh, rules=rules, extra=(*strict, *extra), junit_dir=folder)


def merged(tmp_path: Path, server: Server) -> Path:
    """Two CI jobs of one matrix, against one target."""
    with serve(server) as served:
        shards = [
            run(server, tmp_path / f"shard{k}", "--shard", f"{k}/2", served=served) for k in (1, 2)
        ]
    assert all(shard.exit_code in (0, 1, 4) for shard in shards), [
        shard.stderr[-800:] for shard in shards
    ]
    out = tmp_path / "merged"
    assert (
        main(
            [
                "report",
                *(str(tmp_path / f"shard{k}" / "junit.xml") for k in (1, 2)),
                "--out",
                str(out),
            ]
        )
        == 0
    )
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
    out = merged(tmp_path, REFERENCE)
    assert outcomes(out) == outcomes(single.folder or tmp_path)
    assert main(["verify", str(out / "certificate.json")]) == 0


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
