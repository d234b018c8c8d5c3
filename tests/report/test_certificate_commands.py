"""The certificate from the command line: `report` rebuilds it from a JUnit file, and a real run
writes it beside a JUnit file that validates as Jenkins and GitLab read it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import xmlschema

XSD = Path(__file__).parents[1] / "data" / "junit.xsd"


CLI = "import sys; from conformance.cli.main import main; sys.exit(main())"  # as the installed command runs it


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("AUDIENCE_")}
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=cwd,
        timeout=600,
        check=False,
    )


def test_report_command_rebuilds_the_certificate(tmp_path: Path, failing_junit: Path) -> None:
    done = _cli("report", str(failing_junit), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        *(
            f"certificate: {tmp_path / 'out' / name}"
            for name in ("certificate.html", "certificate.md", "certificate.json")
        ),
        "verdict: NOT CONFORMANT",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("not xml at all", "is not a JUnit XML file"),
        ("<html><body/></html>", "its root element is <html>"),
        (
            '<testsuites><testsuite name="pytest" tests="1" failures="0" errors="0"><testcase classname="t" name="test_x"/></testsuite></testsuites>',
            "has no testcase of the conformance suite",
        ),
        (
            '<testsuite name="p" tests="1" failures="0" errors="0"><testcase classname="t" name="x"><properties><property name="rule" value="PAGE-04"/></properties></testcase></testsuite>',
            "its rule properties cannot be read",
        ),
    ],
)
def test_report_of_something_else_is_a_usage_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    """One line, exit 2, no traceback."""
    junit = tmp_path / "junit.xml"
    if content is not None:
        junit.write_text(content, encoding="utf-8")
    done = _cli("report", str(junit))
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert (
        len(lines) == 1
        and message in lines[0]
        and lines[0].startswith("audience-conformance: error: ")
    ), done.stderr


@pytest.fixture(scope="module")
def real_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[subprocess.CompletedProcess[str], Path]]:
    """``audience-conformance run`` of two rules against the embedded reference server."""
    folder = tmp_path_factory.mktemp("real-run")
    junit = folder / "reports" / "junit.xml"
    done = _cli(
        "run",
        "--profile",
        "quick",
        "--seed",
        "1",
        "--rule",
        "AUTH-01",
        "--rule",
        "VAL-1303",
        "--junit-xml",
        str(junit),
        cwd=folder,
    )
    yield done, junit


def test_a_run_writes_its_certificate_beside_the_junit_file(
    real_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """The run's last lines name the certificate, whose verdict is the run's exit code."""
    done, junit = real_run
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    html, markdown, machine = (
        junit.parent / name for name in ("certificate.html", "certificate.md", "certificate.json")
    )
    assert done.stdout.strip().splitlines()[-1] == f"certificate: {html}, {markdown}, {machine}"
    claimed = json.loads(machine.read_text(encoding="utf-8"))
    assert claimed["conformant"] is (done.returncode == 0)
    assert claimed["run"]["run_id"] != "unknown" and claimed["run"]["embedded_reference"] == "true"


def _schema_errors(junit: Path) -> list[xmlschema.XMLSchemaValidationError]:
    return list(xmlschema.XMLSchema(str(XSD)).iter_errors(str(junit)))


def test_a_real_runs_junit_validates_against_the_jenkins_schema(
    real_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """The JUnit of a real run is valid JUnit as Jenkins' JUnit plugin and GitLab read it (tests/data/junit.xsd)."""
    _, junit = real_run
    errors = _schema_errors(junit)
    assert not errors, "\n".join(f"{error.path}: {error.reason}" for error in errors[:10])
