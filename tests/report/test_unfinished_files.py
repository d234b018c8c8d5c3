"""Files of a run that did not complete: the certificate, a merge and ``verify`` give no verdict.

A JUnit file whose run ended early (its budget, a crash of the suite) or that recorded no end
at all certifies nothing, whatever its testcases say: no rule is shown passed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest
from junit_samples import failing_run, passing_run

from conformance.cli.main import main
from conformance.cli.shard_merge import merge_shards
from conformance.report import write_certificate
from conformance.report.model import build_certificate
from conformance.verdict import scope
from conformance.verdict.per_rule import FAILED, NOT_VERIFIED, OUT_OF_SCOPE, PASSED


def _without_run_end(path: Path) -> Path:
    """The file with its run_end property taken out, as a run that never reached its end leaves it."""
    tree = ET.parse(path)
    for properties in tree.getroot().iter("properties"):
        for prop in [prop for prop in properties if prop.get("name") == "run_end"]:
            properties.remove(prop)
    tree.write(path)
    return path


@pytest.mark.parametrize(
    ("run_end", "stopped"),
    [
        ("budget_spent", "time budget spent"),
        ("suite_error", "suite error"),
        ("interrupted", "interrupted"),
    ],
)
def test_a_run_that_did_not_complete_shows_no_rule_passed(
    tmp_path: Path, run_end: str, stopped: str
) -> None:
    certificate = build_certificate(passing_run(tmp_path / "junit.xml", run_end=run_end))
    assert (
        certificate.kind == "NO VERDICT"
        and certificate.verdict == f"NO VERDICT ({stopped})"
        and not certificate.conformant
    )
    assert {row.outcome for row in certificate.rules} == {NOT_VERIFIED}
    assert all(
        row.reasons[0].startswith(f"the run did not complete ({stopped})")
        for row in certificate.rules
    )
    assert certificate.counts()["MUST"]["passed"] == 0


def test_a_failure_seen_before_the_end_stays_a_failure(tmp_path: Path) -> None:
    """What was found is shown; only what was not verified loses its 'passed'."""
    certificate = build_certificate(failing_run(tmp_path / "junit.xml", run_end="budget_spent"))
    outcomes = {row.id: row.outcome for row in certificate.rules}
    assert (
        outcomes["PAGE-04"] == FAILED
        and PASSED not in outcomes.values()
        and certificate.kind == "NO VERDICT"
    )


def test_a_user_choice_stays_out_of_scope_in_a_run_that_did_not_complete(tmp_path: Path) -> None:
    junit = passing_run(
        tmp_path / "junit.xml",
        run_end="budget_spent",
        rules_out_of_scope=scope.encode({"TEN-01": scope.NO_SECOND_KEY}),
    )
    rows = {row.id: row for row in build_certificate(junit).rules}
    assert rows["TEN-01"].outcome == OUT_OF_SCOPE and rows["AUTH-01"].outcome == NOT_VERIFIED


def test_a_file_that_recorded_no_end_gives_no_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = _without_run_end(passing_run(tmp_path / "junit.xml"))
    certificate = build_certificate(junit)
    assert (
        certificate.verdict == "NO VERDICT (no end of the run recorded)"
        and certificate.counts()["MUST"]["passed"] == 0
    )
    written = next(path for path in write_certificate(junit) if path.suffix == ".json")
    assert main(["verify", str(written)]) == 4
    assert (
        "The verdict is NO VERDICT (no end of the run recorded) on MUST rules."
        in capsys.readouterr().out
    )


def test_a_completed_sample_still_passes(tmp_path: Path) -> None:
    """The control: the same file, completed, is conformant."""
    assert build_certificate(passing_run(tmp_path / "junit.xml")).verdict == "CONFORMANT"


def _shard(path: Path, mark: str, **properties: str) -> Path:
    return passing_run(path, shard=mark, run_id=f"run{mark[0]}", **properties)


@pytest.mark.parametrize("second", [{"run_end": "suite_error"}, {"run_end": "budget_spent"}, {}])
def test_a_merge_with_a_shard_that_did_not_complete_gives_no_verdict(
    tmp_path: Path, second: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    first = _shard(tmp_path / "a" / "junit.xml", "1/2")
    other = _shard(tmp_path / "b" / "junit.xml", "2/2", **second)
    if not second:
        _without_run_end(other)
    merged = merge_shards([first, other], tmp_path / "out")
    assert build_certificate(merged).kind == "NO VERDICT"
    assert main(["report", str(first), str(other), "--out", str(tmp_path / "out2")]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("verdict: NO VERDICT (")


def test_a_merge_of_completed_shards_keeps_its_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [
        _shard(tmp_path / name / "junit.xml", mark) for name, mark in (("a", "1/2"), ("b", "2/2"))
    ]
    assert main(["report", *(str(path) for path in paths), "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "verdict: CONFORMANT"


def test_a_run_whose_certificate_could_not_be_written_gives_no_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every test passed, the JUnit file was written, the certificate was not: exit 4, not 0."""
    from conformance.cli import runner
    from conformance.verdict.exits import Exit, RunEnd

    ended = SimpleNamespace(
        failed_start=None,
        run_end=RunEnd.COMPLETED,
        certificate_problem="Cannot write the certificate to 'x': No space left on device.",
        suite_errors=[],
        verdict=None,
        seed=1,
    )
    assert runner._outcome(0, ended) == Exit.INCOMPLETE  # type: ignore[arg-type]
    assert "no verdict: the certificate could not be written" in capsys.readouterr().err
