"""The suite passes every legal variant: it asks for nothing the contract leaves open (section 9).

Each variant is served on loopback and the whole suite runs against it with the default
profile, not strict, as a user's CI job would: it must exit 0. A failure here is either a
suite that over-fits the reference or a variant that is not legal; the message shows which
tests failed and why, so the two can be told apart.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mutation import catalogue
from mutation.catalogue import VARIANTS
from mutation.harness import SuiteRun, run_suite, serve

catalogue.load_all()
OURS = sorted(VARIANTS)
SHOWN_FAILURES = 6


def failures(run: SuiteRun) -> str:
    """The failing testcases with their details, then the run's last lines."""
    failed = [record for record in run.records if record.outcome in ("failed", "error")]
    shown = "\n\n".join(
        f"{record.nodeid}\n{record.detail[:1500]}" for record in failed[:SHOWN_FAILURES]
    )
    return f"exit {run.exit_code}, failed rules {sorted(run.failed_rules())}, {len(failed)} failing testcases\n\n{shown}\n\n{run.stdout[-1500:]}\n{run.stderr[-1500:]}"


def test_there_are_enough_variants() -> None:
    assert len(OURS) >= 10, OURS


@pytest.mark.slow
@pytest.mark.parametrize("name", OURS)
def test_the_suite_passes_the_variant(name: str, tmp_path: Path) -> None:
    server = VARIANTS[name]
    with serve(server) as served:
        run = run_suite(served, profile="default", junit_dir=tmp_path)
    assert run.exit_code == 0, f"{name} ({server.description}) was not passed: {failures(run)}"
