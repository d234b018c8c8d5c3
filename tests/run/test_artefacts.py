"""Every run leaves a consistent JUnit file and certificate, whatever its end, and never a stale one.

A previous run's green certificate sits at the same place before each run here: it must be
replaced by one that tells what this run did.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import Error, JUnitXml
from staging import run_cli, shared_staging

pytestmark = pytest.mark.slow
CANARY = "canary-artefacts-7f3e9a1c5b"


def _stale(folder: Path) -> None:
    for name in ("certificate.json", "certificate.md", "certificate.html"):
        (folder / name).write_text('{"verdict": "CONFORMANT", "stale": true}')
    (folder / "junit.xml").write_text("<testsuites/>")


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _error_testcases(junit: Path) -> list[tuple[str, str, str]]:
    xml = JUnitXml.fromfile(str(junit))
    return [
        (case.name, result.message or "", result.text or "")
        for suite in xml
        for case in suite
        for result in case.result
        if isinstance(result, Error)
    ]


def _run(folder: Path, base_url: str, key: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUDIENCE_API_KEY": key}
    command = [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "--base-url",
        base_url,
        "--junit-xml",
        str(folder / "junit.xml"),
        "--timeout",
        "3",
    ]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, cwd=folder, check=False
    )


def test_an_unreachable_target_leaves_an_error_testcase_and_a_no_verdict_certificate(
    tmp_path: Path,
) -> None:
    _stale(tmp_path)
    done = _run(tmp_path, f"http://127.0.0.1:{_unused_port()}", CANARY)
    assert done.returncode == 3, done.stdout + done.stderr
    [(name, message, text)] = _error_testcases(tmp_path / "junit.xml")
    assert (
        name == "unreachable" and "could not be reached" in message and "cannot be reached" in text
    )
    certificate = json.loads((tmp_path / "certificate.json").read_text())
    assert (
        certificate["verdict"] == "NO VERDICT (target unreachable)"
        and certificate["run"]["run_end"] == "unreachable"
    )
    assert "NO VERDICT (target unreachable)" in (tmp_path / "certificate.md").read_text()
    assert CANARY not in done.stdout + done.stderr + (tmp_path / "junit.xml").read_text()


def test_a_refused_key_leaves_a_no_verdict_certificate(tmp_path: Path) -> None:
    _stale(tmp_path)
    with shared_staging() as staging:
        done = _run(tmp_path, staging.base_url, CANARY)
        assert staging.writes.seen == []
    assert done.returncode == 3, done.stdout + done.stderr
    [(name, _, text)] = _error_testcases(tmp_path / "junit.xml")
    assert name == "key_refused" and "refused the API key" in text
    assert (
        json.loads((tmp_path / "certificate.json").read_text())["verdict"]
        == "NO VERDICT (key refused)"
    )
    assert CANARY not in done.stdout + done.stderr + "".join(
        path.read_text() for path in tmp_path.glob("certificate.*")
    )


def test_a_completed_run_replaces_the_previous_files(tmp_path: Path) -> None:
    _stale(tmp_path)
    with shared_staging() as staging:
        done = run_cli(
            staging,
            "run",
            "--profile",
            "quick",
            "--rule",
            "CRUD-01",
            "--junit-xml",
            str(tmp_path / "junit.xml"),
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    certificate = json.loads((tmp_path / "certificate.json").read_text())
    assert (
        certificate["verdict"].startswith("CONFORMANT on ")
        and certificate["partial"]
        and "stale" not in certificate
        and certificate["run"]["run_end"] == "completed"
    )
    assert "cleanup_deleted" in certificate["run"]


def test_the_plain_pytest_route_writes_the_certificate_and_prints_the_seed(tmp_path: Path) -> None:
    _stale(tmp_path)
    with shared_staging() as staging:
        env = {**os.environ, **staging.env()}
        command = [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "conformance.suite",
            "-p",
            "no:cacheprovider",
            "--audience-profile",
            "quick",
            "--audience-rule",
            "CRUD-01",
            f"--junit-xml={tmp_path / 'junit.xml'}",
        ]
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False
        )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "seed: " in done.stdout and "--audience-seed" in done.stdout
    assert json.loads((tmp_path / "certificate.json").read_text())["verdict"].startswith(
        "CONFORMANT on "
    )
