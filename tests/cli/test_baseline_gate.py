"""``diff`` and ``run --baseline``: exit 1 on a regression only, every change named, a baseline
that cannot be used refused in one line before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from junit_samples import failing_run, passing_run

from conformance.cli.baseline_gate import gate
from conformance.cli.main import main
from conformance.report import write_certificate
from conformance.report.baseline import load_baseline

TABLE_HEAD = "| Rule | Level | Baseline | Now | Change |"


def _certify(junit: Path) -> Path:
    return next(path for path in write_certificate(junit) if path.suffix == ".json")


@pytest.fixture
def passing(tmp_path: Path) -> Path:
    return _certify(passing_run(tmp_path / "passing" / "junit.xml"))


@pytest.fixture
def failing(tmp_path: Path) -> Path:
    """PAGE-04 (MUST) and PAGE-10 (SHOULD) fail, TEN-01 out of scope, four rules not verified."""
    return _certify(failing_run(tmp_path / "failing" / "junit.xml"))


def _diff(old: Path, new: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["diff", str(old), str(new)])
    out, err = capsys.readouterr()
    return code, out, err


def test_diff_exits_1_on_a_regression_and_tables_every_change(
    passing: Path, failing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _diff(passing, failing, capsys)
    lines = out.splitlines()
    assert (code, err) == (1, "")
    assert lines[0] == f"### Against the baseline `{passing}`"
    assert lines[2].startswith(
        "REGRESSION: 1 rule passed in the baseline and fails now: PAGE-04; "
        "1 newly failing at SHOULD level (PAGE-10); 1 newly out of scope (TEN-01); "
    )
    table = lines[lines.index(TABLE_HEAD) + 2 :]
    assert table[:3] == [
        "| PAGE-04 | MUST | passed | failed | regression |",
        "| PAGE-10 | SHOULD | passed | failed | newly failing at SHOULD level |",
        "| TEN-01 | MUST | passed | out of scope | newly out of scope |",
    ]
    assert {row.split(" | ")[0].removeprefix("| ") for row in table[3:]} == {
        "DATE-02",
        "CRUD-06",
        "PAGE-03",
        "ROB-01",
    }


def test_diff_exits_0_when_rules_only_got_better(
    passing: Path, failing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _diff(failing, passing, capsys)
    assert code == 0
    assert "no regression: no rule that passed in the baseline fails now; 6 newly passing (" in out
    assert "| PAGE-04 | MUST | failed | passed | newly passing |" in out
    assert "| TEN-01 | MUST | out of scope | passed | newly in scope |" in out


def test_diff_of_a_certificate_with_itself_says_nothing_changed(
    failing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _diff(failing, failing, capsys)
    assert code == 0 and TABLE_HEAD not in out
    assert out.splitlines()[2] == (
        "no regression: no rule that passed in the baseline fails now; every rule has the outcome it had."
    )


def test_a_strict_certificate_gates_on_should_rules_too(
    tmp_path: Path, passing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = _certify(failing_run(tmp_path / "strict" / "junit.xml", strict="true"))
    code, out, _ = _diff(passing, strict, capsys)
    assert code == 1
    assert "REGRESSION: 2 rules passed in the baseline and fail now: PAGE-04, PAGE-10;" in out


def test_diff_usage_errors_exit_2_in_one_line(
    tmp_path: Path, passing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "passing" / "junit.xml"
    for old, message in (
        (tmp_path / "none.json", f"Certificate '{tmp_path / 'none.json'}' does not exist."),
        (
            junit,
            f"'{junit}' is not a certificate: it is not JSON (give the certificate.json written beside the JUnit file).",
        ),
    ):
        assert _diff(old, passing, capsys) == (2, "", f"audience-conformance: error: {message}\n")
        assert _diff(passing, old, capsys) == (2, "", f"audience-conformance: error: {message}\n")
    with pytest.raises(SystemExit) as exited:
        main(["diff", str(passing)])
    assert exited.value.code == 2
    assert "the following arguments are required: NEW.json" in capsys.readouterr().err


@pytest.mark.parametrize("by_variable", [False, True])
def test_run_refuses_a_baseline_that_is_not_a_certificate_before_it_starts(
    tmp_path: Path,
    by_variable: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    baseline = tmp_path / "old.json"
    baseline.write_text(json.dumps({"format": "something else"}), encoding="utf-8")
    junit = tmp_path / "reports" / "junit.xml"
    args = ["run", "--junit-xml", str(junit)]
    if by_variable:
        monkeypatch.setenv("AUDIENCE_BASELINE", str(baseline))
    else:
        args += ["--baseline", str(baseline)]
    assert main(args) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"audience-conformance: error: --baseline: '{baseline}' is not a certificate: its 'format' is not 'audience-conformance-certificate'."
    ]
    assert not junit.parent.exists()  # nothing ran


def test_the_gate_after_a_run(
    passing: Path, failing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A regression exits 1 whatever the run's own code; without one a verdict exits 0, and a
    run without a verdict keeps its code. Every change is printed."""
    junit = failing.parent / "junit.xml"
    regressed, unchanged = load_baseline(passing), load_baseline(failing)
    assert gate(1, junit, [failing], regressed) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"baseline {passing}: REGRESSION: 1 rule passed")
    assert "  PAGE-04 (MUST): passed -> failed, regression" in out
    assert gate(4, junit, [failing], regressed) == 1
    assert gate(1, junit, [failing], unchanged) == 0
    assert gate(4, junit, [failing], unchanged) == 4
    capsys.readouterr()
    assert gate(3, junit, [failing], regressed) == 3
    assert gate(2, junit, [failing], regressed) == 2
    assert capsys.readouterr().out == ""  # nothing decided: nothing compared
    assert json.loads(failing.read_text(encoding="utf-8"))["baseline"].startswith(
        f"against {failing}: no regression"
    )


def test_the_baseline_is_the_file_as_read_before_the_run(
    passing: Path, failing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--baseline reports/certificate.json``: the run replaces that very file; the gate
    compares with what it held when the run started."""
    baseline = load_baseline(failing)
    passing_run(failing.parent / "junit.xml")  # the new run, where the baseline was
    written = _certify(failing.parent / "junit.xml")
    assert written == failing
    assert gate(0, failing.parent / "junit.xml", [written], baseline) == 0
    assert "6 newly passing" in capsys.readouterr().out
