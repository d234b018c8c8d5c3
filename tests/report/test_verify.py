"""``verify``: a certificate holds only if its JUnit file still says the same, for the spec installed here."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from junit_samples import SKIP_REASON, failing_run, passing_run

from conformance.cli.main import main
from conformance.report import write_certificate

Edit = Callable[[dict[str, Any]], None]


def _certify(junit: Path) -> Path:
    return next(path for path in write_certificate(junit) if path.name == "certificate.json")


def _edit(certificate: Path, change: Edit) -> None:
    data = json.loads(certificate.read_text(encoding="utf-8"))
    change(data)
    certificate.write_text(json.dumps(data), encoding="utf-8")


def _verify(certificate: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code = main(["verify", str(certificate)])
    out, err = capsys.readouterr()
    return code, out.strip().splitlines(), err.strip()


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    """An untouched certificate of a run where every rule passed."""
    return _certify(passing_run(tmp_path / "junit.xml"))


def test_an_untouched_certificate_is_verified(
    certificate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _verify(certificate, capsys) == (0, ["certificate verified: CONFORMANT"], "")


def _rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(rule for rule in data["rules"] if rule["id"] == rule_id)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda data: data.update(verdict="NOT CONFORMANT"),
            "verdict: the certificate says 'NOT CONFORMANT', its JUnit file says 'CONFORMANT'.",
        ),
        (
            lambda data: data.update(conformant=False),
            "conformant: the certificate says False, its JUnit file says True.",
        ),
        (
            lambda data: _rule(data, "PAGE-04").update(outcome="skipped"),
            "PAGE-04: outcome is 'skipped' in the certificate, 'passed' from its JUnit file.",
        ),
        (
            lambda data: data.update(
                rules=[rule for rule in data["rules"] if rule["id"] != "TEN-01"]
            ),
            "TEN-01: missing from the certificate (its JUnit file says passed).",
        ),
        (
            lambda data: data["run"].update(target="https://production.example.com"),
            "run target: the certificate says 'https://production.example.com', its JUnit file says 'http://127.0.0.1:8080'.",
        ),
    ],
    ids=["verdict", "conformant", "rule-outcome", "rule-removed", "target"],
)
def test_a_tampered_certificate_is_rejected(
    certificate: Path, capsys: pytest.CaptureFixture[str], change: Edit, expected: str
) -> None:
    _edit(certificate, change)
    code, lines, _ = _verify(certificate, capsys)
    assert code == 1
    assert expected in lines


def test_a_changed_junit_file_is_rejected(
    certificate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Changing one outcome in the JUnit file breaks its hash and the rule's agreement."""
    junit = certificate.parent / "junit.xml"
    text = junit.read_text(encoding="utf-8")
    passed = '<property name="outcome.PAGE-04" value="passed" />'
    assert text.count(passed) == 1
    junit.write_text(
        text.replace(passed, '<property name="outcome.PAGE-04" value="not-verified" />'),
        encoding="utf-8",
    )
    code, lines, _ = _verify(certificate, capsys)
    assert code == 1
    assert any(
        line.startswith(f"JUnit file '{junit}' changed since the certificate was written: SHA-256 ")
        for line in lines
    ), lines
    assert (
        "PAGE-04: outcome is 'passed' in the certificate, 'not verified' from its JUnit file."
        in lines
    )
    assert any(line.startswith("MUST rule PAGE-04 not verified: ") for line in lines), lines


def test_a_missing_junit_file_is_rejected(
    certificate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (certificate.parent / "junit.xml").unlink()
    code, lines, _ = _verify(certificate, capsys)
    assert code == 1 and lines == [
        f"The JUnit file the certificate was built from, '{certificate.parent / 'junit.xml'}', is missing."
    ]


def test_a_changed_spec_hash_is_rejected(
    certificate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A certificate claims the spec it was made for; it must be the installed suite's."""
    _edit(certificate, lambda data: data["run"].update(spec_sha256="0" * 64))
    code, lines, _ = _verify(certificate, capsys)
    assert code == 1
    assert any(
        line.startswith(
            f"spec: the certificate was made for spec SHA-256 {'0' * 64}, the installed suite carries "
        )
        for line in lines
    ), lines


def test_a_run_of_another_spec_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Untouched, but made by a suite with another spec: it does not certify this contract."""
    certificate = _certify(passing_run(tmp_path / "junit.xml", spec_sha256="f" * 64))
    code, lines, _ = _verify(certificate, capsys)
    assert (
        code == 1
        and len(lines) == 1
        and lines[0].startswith(f"spec: the certificate was made for spec SHA-256 {'f' * 64}")
    )


def test_failed_or_unverified_must_rules_are_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An untouched certificate of a failing run is true, but not a certificate of conformance:
    a rule whose test stopped on another rule's failure was not verified; a rule out of scope
    (no second key) is not a shortfall of the target."""
    certificate = _certify(failing_run(tmp_path / "junit.xml"))
    code, lines, _ = _verify(certificate, capsys)
    assert code == 1
    assert lines == [
        "MUST rule PAGE-03 not verified: blocked by PAGE-04 (test_next_links_visit_every_item_once).",
        "MUST rule PAGE-04 failed.",
        "MUST rule ROB-01 not verified: blocked by PAGE-04 (test_operation_conforms_to_schema[GET /v1/audiences]).",
        "The verdict is NOT CONFORMANT on MUST rules.",
    ]


def test_a_certificate_on_part_of_the_rules_is_verified_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rules out of scope by the user's choice leave a conformant certificate on the others, which
    says so: the headline names how many rules it covers, and the exit code (5, not the run's 0)
    tells a pipeline that it is partial."""
    from junit_samples import Case, run_properties, write_junit

    from conformance.contract.rules import RULES
    from conformance.verdict import scope

    cases = [Case(f"test_{rule.id}", [rule.id]) for rule in RULES if rule.id != "TEN-01"]
    cases.append(Case("test_tenancy", ["TEN-01"], "skipped", text=SKIP_REASON))
    certificate = _certify(
        write_junit(
            tmp_path / "junit.xml", cases, run_properties() | {scope.PROPERTY: scope.encode({})}
        )
    )
    assert _verify(certificate, capsys) == (
        5,
        [
            "certificate verified: CONFORMANT on 33 of 34 MUST rules",
            "partial: 1 counted rules out of scope by the run's options: TEN-01",
        ],
        "",
    )


def test_a_rule_no_test_decided_withholds_the_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A MUST rule whose only test was skipped for a reason nobody chose is not verified: NO VERDICT, exit 4."""
    from junit_samples import Case, write_junit

    from conformance.contract.rules import RULES

    cases = [Case(f"test_{rule.id}", [rule.id]) for rule in RULES if rule.id != "PAGE-11"]
    cases.append(Case("test_tokens", ["PAGE-11"], "skipped", text="no page token to tamper with"))
    code, lines, _ = _verify(_certify(write_junit(tmp_path / "junit.xml", cases)), capsys)
    assert code == 4
    assert lines == [
        "MUST rule PAGE-11 not verified: test_tokens: no page token to tamper with.",
        "The verdict is NO VERDICT (rules not verified) on MUST rules.",
    ]


def test_should_rules_that_did_not_run_do_not_block_a_lenient_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from junit_samples import Case, write_junit

    from conformance.contract.rules import RULES

    cases = [Case(f"test_{rule.id}", [rule.id]) for rule in RULES if rule.level.value == "MUST"]
    certificate = _certify(write_junit(tmp_path / "junit.xml", cases))
    assert _verify(certificate, capsys)[0] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("<testsuites/>", "is not a certificate: it is not JSON"),
        (
            '{"verdict": "CONFORMANT"}',
            "is not a certificate: its 'format' is not 'audience-conformance-certificate'",
        ),
        (
            '{"format": "audience-conformance-certificate", "junit": "junit.xml"}',
            "is not a complete certificate: 'junit_sha256' is missing",
        ),
    ],
)
def test_verify_of_something_else_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    target = tmp_path / "certificate.json"
    if content is not None:
        target.write_text(content, encoding="utf-8")
    code, lines, err = _verify(target, capsys)
    assert code == 2 and lines == []
    assert (
        len(err.splitlines()) == 1
        and message in err
        and err.startswith("audience-conformance: error: ")
    ), err
