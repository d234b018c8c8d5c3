"""A baseline comparison: a regression is a counted rule that passed and fails now; every
other change is named, never gated on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from junit_samples import failing_run, passing_run

from conformance.cli.main import main
from conformance.errors import ReportError
from conformance.report import write_certificate
from conformance.report.baseline import (
    NEWLY_FAILING,
    NEWLY_FAILING_UNCOUNTED,
    NEWLY_IN_SCOPE,
    NEWLY_OUT_OF_SCOPE,
    NEWLY_PASSING,
    REGRESSION,
    compare,
    compare_files,
    record,
)
from conformance.report.run_properties import read_property

RUN = {
    "target": "https://staging.example.com",
    "embedded_reference": "false",
    "spec_sha256": "a" * 64,
    "run_end": "completed",
}


def _certificate(
    *rules: tuple[str, str, str] | tuple[str, str, str, str], strict: bool = False, **run: str
) -> dict[str, Any]:
    """(id, level, outcome[, failed_level]) per rule; a failure is at the rule's level unless told."""
    return {
        "strict": strict,
        "verdict": "NOT CONFORMANT",
        "run": RUN | run,
        "rules": [
            {
                "id": rule[0],
                "level": rule[1],
                "outcome": rule[2],
                "failed_level": (rule[3] if len(rule) == 4 else rule[1])
                if rule[2] == "failed"
                else None,
            }
            for rule in rules
        ],
    }


def _kinds(old: dict[str, Any], new: dict[str, Any]) -> dict[str, str]:
    return {change.rule: change.kind for change in compare(old, new, baseline="old.json").changes}


def test_a_must_rule_that_passed_and_fails_now_is_a_regression() -> None:
    old = _certificate(("PAGE-04", "MUST", "passed"), ("ERR-01", "MUST", "failed"))
    new = _certificate(("PAGE-04", "MUST", "failed"), ("ERR-01", "MUST", "failed"))
    comparison = compare(old, new, baseline="old.json")
    assert [change.rule for change in comparison.regressions] == ["PAGE-04"]
    assert comparison.headline() == (
        "REGRESSION: 1 rule passed in the baseline and fails now: PAGE-04"
    )


def test_a_failure_the_verdict_does_not_count_gates_only_with_strict() -> None:
    """A SHOULD rule, or a MUST rule failed at SHOULD level, is a regression of a strict run only."""
    old = _certificate(("PAGE-10", "SHOULD", "passed"), ("PAGE-04", "MUST", "passed"))
    rules = (("PAGE-10", "SHOULD", "failed"), ("PAGE-04", "MUST", "failed", "SHOULD"))
    assert _kinds(old, _certificate(*rules)) == {
        "PAGE-10": NEWLY_FAILING_UNCOUNTED,
        "PAGE-04": NEWLY_FAILING_UNCOUNTED,
    }
    assert _kinds(old, _certificate(*rules, strict=True)) == {
        "PAGE-10": REGRESSION,
        "PAGE-04": REGRESSION,
    }


def test_every_other_change_is_named_and_gates_nothing() -> None:
    old = _certificate(
        ("AUTH-01", "MUST", "failed"),
        ("TEN-01", "MUST", "passed"),
        ("TEN-02", "MUST", "out of scope"),
        ("ERR-01", "MUST", "out of scope"),
        ("ROB-01", "MUST", "not verified"),
        ("PAGE-03", "MUST", "passed"),
        ("CRUD-06", "SHOULD", "passed"),
        ("VAL-01", "MUST", "passed"),
    )
    new = _certificate(
        ("AUTH-01", "MUST", "passed"),
        ("TEN-01", "MUST", "out of scope"),
        ("TEN-02", "MUST", "passed"),
        ("ERR-01", "MUST", "failed"),
        ("ROB-01", "MUST", "failed"),
        ("PAGE-03", "MUST", "not verified"),
        ("CRUD-06", "SHOULD", "not exercised"),
        ("VAL-01", "MUST", "passed"),
    )
    comparison = compare(old, new, baseline="old.json")
    assert comparison.regressions == []
    assert [
        (change.rule, change.was, change.now, change.kind) for change in comparison.changes
    ] == [
        ("ERR-01", "out of scope", "failed", NEWLY_FAILING),
        ("ROB-01", "not verified", "failed", NEWLY_FAILING),
        ("AUTH-01", "failed", "passed", NEWLY_PASSING),
        ("TEN-01", "passed", "out of scope", NEWLY_OUT_OF_SCOPE),
        ("TEN-02", "out of scope", "passed", NEWLY_IN_SCOPE),
        ("PAGE-03", "passed", "not verified", "newly not verified"),
        ("CRUD-06", "passed", "not exercised", "newly not exercised"),
    ]
    assert comparison.headline().startswith(
        "no regression: no rule that passed in the baseline fails now; "
        "2 newly failing (ERR-01, ROB-01); 1 newly passing (AUTH-01); "
    )


def test_unchanged_certificates_have_no_change() -> None:
    same = _certificate(("PAGE-04", "MUST", "failed"), ("ERR-01", "MUST", "passed"))
    comparison = compare(same, same, baseline="old.json")
    assert comparison.changes == () and comparison.warnings == ()
    assert comparison.headline().endswith("; every rule has the outcome it had")


def test_rules_only_one_side_knows_are_named() -> None:
    old = _certificate(("OLD-01", "MUST", "passed"))
    new = _certificate(("NEW-01", "MUST", "passed"))
    assert _kinds(old, new) == {"NEW-01": "new rule", "OLD-01": "no longer a rule"}


@pytest.mark.parametrize(
    ("run", "warning"),
    [
        ({"target": "https://preview-17.example.com"}, "the baseline certified"),
        ({"spec_sha256": "b" * 64}, "a rule may mean otherwise"),
    ],
)
def test_another_target_or_spec_is_warned_about_not_refused(
    run: dict[str, str], warning: str
) -> None:
    old = _certificate(("PAGE-04", "MUST", "passed"))
    comparison = compare(old, _certificate(("PAGE-04", "MUST", "failed"), **run), baseline="o")
    assert len(comparison.warnings) == 1 and warning in comparison.warnings[0]
    assert [change.rule for change in comparison.regressions] == ["PAGE-04"]


def test_the_embedded_reference_on_another_port_is_the_same_target() -> None:
    embedded = {"embedded_reference": "true"}
    old = _certificate(("PAGE-04", "MUST", "passed"), target="http://127.0.0.1:1", **embedded)
    new = _certificate(("PAGE-04", "MUST", "passed"), target="http://127.0.0.1:2", **embedded)
    assert compare(old, new, baseline="o").warnings == ()


def test_a_baseline_that_did_not_complete_is_warned_about() -> None:
    old = _certificate(("PAGE-04", "MUST", "not verified"), run_end="interrupted")
    comparison = compare(old, _certificate(("PAGE-04", "MUST", "failed")), baseline="o")
    assert "did not complete" in comparison.warnings[0] and comparison.regressions == []


def _written(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_file_that_is_not_a_certificate_is_refused(tmp_path: Path) -> None:
    good = next(
        path
        for path in write_certificate(passing_run(tmp_path / "junit.xml"))
        if path.suffix == ".json"
    )
    broken = json.loads(good.read_text(encoding="utf-8"))
    broken["rules"][0].pop("outcome")
    cases = {
        tmp_path / "missing.json": "does not exist",
        _written(tmp_path, "list.json", []): "is not a certificate",
        _written(tmp_path, "broken.json", broken): "a rule without an 'id' and an 'outcome'",
    }
    for path, message in cases.items():
        with pytest.raises(ReportError, match=message):
            compare_files(path, good)
        with pytest.raises(ReportError, match=message):
            compare_files(good, path)


def test_the_comparison_is_recorded_on_junit_and_the_certificate_verify_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_certificate(passing_run(tmp_path / "base" / "junit.xml"))[-1]
    junit = failing_run(tmp_path / "now" / "junit.xml")
    certificate = write_certificate(junit)[-1]
    assert json.loads(certificate.read_text(encoding="utf-8"))["baseline"] is None
    record(junit, compare_files(base, certificate))
    said = f"against {base}: REGRESSION: 1 rule passed in the baseline and fails now: PAGE-04; "
    assert (read_property(junit, "baseline") or "").startswith(said)
    data = json.loads(certificate.read_text(encoding="utf-8"))
    assert data["baseline"].startswith(said)
    assert main(["verify", str(certificate)]) == 1  # not conformant, but nothing changed
    assert "the certificate says" not in capsys.readouterr().out
    data["baseline"] = "against base.json: no regression"
    certificate.write_text(json.dumps(data), encoding="utf-8")
    assert main(["verify", str(certificate)]) == 1
    assert "baseline: the certificate says 'against base.json: no regression'" in (
        capsys.readouterr().out
    )
