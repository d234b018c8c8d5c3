"""A run that did not complete carries no verdict anywhere: its JUnit, its certificate, a merge, ``verify``.

A shard is made to crash by a plugin that raises inside a hook (pytest's internal error, as a
fault of the suite or of another plugin would end it); a run is cut short by its time budget.
Whatever the tests that ran found, the files say the run did not complete, and no rule passed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from crashing_plugin import CRASH_AFTER, CRASH_HOW, CRASH_ONCE
from mutation.catalogue import MUTANTS, Server, load_all
from mutation.harness import Served, SuiteRun, run_suite, serve

from conformance.cli.main import main
from conformance.reference.app import create_app
from conformance.report.run_properties import read_run_properties

pytestmark = pytest.mark.slow
REFERENCE = Server("reference", "the reference server, unchanged", create_app)
TESTS_DIR = Path(__file__).parents[1]


def _certificate(folder: Path, name: str = "certificate.json") -> dict[str, Any]:
    return dict(json.loads((folder / name).read_text(encoding="utf-8")))


def _crashing(after: int) -> dict[str, str]:
    """The environment of a run whose suite crashes once ``after`` tests have run."""
    path = os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]))
    return {
        **os.environ,
        "PYTHONPATH": path,
        "PYTEST_PLUGINS": "crashing_plugin",
        CRASH_AFTER: str(after),
    }


def _shard(
    served: Served, folder: Path, shard: str, environ: dict[str, str] | None = None
) -> SuiteRun:
    folder.mkdir(parents=True)
    return run_suite(served, extra=("--shard", shard), junit_dir=folder, environ=environ)


def _passed(certificate: dict[str, Any]) -> int:
    return sum(int(counts["passed"]) for counts in certificate["summary"].values())


def _merge(tmp_path: Path, out: Path, *shards: str) -> int:
    return main(
        ["report", *(str(tmp_path / shard / "junit.xml") for shard in shards), "--out", str(out)]
    )


def test_a_crashed_shard_gives_no_verdict_and_its_merge_neither(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(REFERENCE) as served:
        first = _shard(served, tmp_path / "shard1", "1/2")
        second = _shard(served, tmp_path / "shard2", "2/2")
        crashed = _shard(served, tmp_path / "crashed2", "2/2", _crashing(after=10))
    for run in (first, second):  # nothing a shard ran failed: 0, the merge gives the verdict
        assert run.exit_code == 0 and "Traceback" not in run.stdout + run.stderr, (
            run.stdout[-2000:] + run.stderr[-2000:]
        )
    assert {
        read_run_properties(tmp_path / shard / "junit.xml")["run_end"]
        for shard in ("shard1", "shard2")
    } == {"completed"}
    assert _merge(tmp_path, tmp_path / "good", "shard1", "shard2") == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "verdict: CONFORMANT"

    assert crashed.exit_code == 4, crashed.stdout[-2000:] + crashed.stderr[-2000:]
    assert (
        "INTERNALERROR" in crashed.stdout + crashed.stderr
    )  # the crash did happen, after some tests
    assert len(crashed.records) == 10 and all(
        record.outcome == "passed" for record in crashed.records
    )
    assert read_run_properties(tmp_path / "crashed2" / "junit.xml")["run_end"] == "suite_error"
    own = _certificate(tmp_path / "crashed2", "certificate-shard-2-of-2.json")
    assert (
        own["kind"] == "NO VERDICT"
        and own["verdict"] == "NO VERDICT (suite error)"
        and _passed(own) == 0
    )
    assert "no verdict: the suite itself failed" in crashed.stderr

    out = tmp_path / "merged"
    assert _merge(tmp_path, out, "shard1", "crashed2") == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "verdict: NO VERDICT (suite error)"
    merged = _certificate(out)
    assert (
        merged["run"]["run_end"] == "suite_error"
        and merged["kind"] == "NO VERDICT"
        and _passed(merged) == 0
    )
    assert main(["verify", str(out / "certificate.json")]) == 4
    assert "The verdict is NO VERDICT (suite error)" in capsys.readouterr().out


def test_a_run_stopped_by_its_budget_claims_no_passed_rule(tmp_path: Path) -> None:
    with serve(REFERENCE) as served:
        run = run_suite(served, extra=("--max-duration", "3"), junit_dir=tmp_path)
    assert run.exit_code == 4, run.stdout[-2000:] + run.stderr[-2000:]
    assert any(
        record.outcome == "passed" for record in run.records
    )  # tests passed before the budget ran out
    certificate = _certificate(tmp_path)
    assert certificate["verdict"] == "NO VERDICT (time budget spent)"
    assert (
        _passed(certificate) == 0
        and certificate["summary"]["MUST"]["not verified"]
        + certificate["summary"]["MUST"]["failed"]
        == 34
    )
    reasons = [reason for rule in certificate["rules"] for reason in rule["reasons"]]
    assert any(
        reason.startswith("the run did not complete (time budget spent)") for reason in reasons
    )
    assert "| MUST | 0 |" in (tmp_path / "certificate.md").read_text(encoding="utf-8")


def test_a_crash_under_plain_pytest_gives_no_verdict_and_says_so(tmp_path: Path) -> None:
    """pytest prints no summary after its internal error: the plugin says why there is no verdict."""
    with serve(REFERENCE) as served:
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--pyargs", "conformance.suite", "--audience-base-url", served.base_url,
                   "--audience-profile", "quick", "--audience-seed", "1", "--junit-xml", str(tmp_path / "junit.xml")]  # fmt: skip
        environ = {
            **_crashing(after=5),
            "AUDIENCE_API_KEY": served.api_key,
            "AUDIENCE_SECONDARY_API_KEY": served.secondary_api_key,
        }
        done = subprocess.run(
            command,
            check=False,
            capture_output=True,
            text=True,
            env=environ,
            cwd=tmp_path,
            timeout=600,
        )
    assert done.returncode == 4, done.stdout[-2000:] + done.stderr[-2000:]
    assert "INTERNALERROR" in done.stdout + done.stderr
    assert "audience-conformance: no verdict: the suite itself failed" in done.stderr
    assert read_run_properties(tmp_path / "junit.xml")["run_end"] == "suite_error"
    assert _certificate(tmp_path)["verdict"] == "NO VERDICT (suite error)"


def test_a_crashed_worker_gives_no_verdict(tmp_path: Path) -> None:
    """A worker that dies mid-test is replaced and the run goes on, but its test never ended: no verdict."""
    environ = {**_crashing(after=15), CRASH_HOW: "exit", CRASH_ONCE: str(tmp_path / "crashed-once")}
    with serve(REFERENCE) as served:
        run = run_suite(served, extra=("--workers", "2"), junit_dir=tmp_path, environ=environ)
    assert (tmp_path / "crashed-once").is_file()
    assert run.exit_code == 4, run.stdout[-2000:] + run.stderr[-2000:]
    assert "crashed" in run.stdout + run.stderr
    assert read_run_properties(tmp_path / "junit.xml")["run_end"] == "suite_error"
    certificate = _certificate(tmp_path)
    assert certificate["verdict"] == "NO VERDICT (suite error)" and _passed(certificate) == 0


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["one process", "two workers"])
def test_a_run_pytest_stopped_at_its_first_failure_gives_no_verdict(
    tmp_path: Path, workers: tuple[str, ...]
) -> None:
    """``--maxfail 1`` on the plain-pytest route: pytest ends the run after a faulty server's
    first failure, with no signal and no error. The rules whose tests never ran are judged on
    none of them: the run is not complete, whatever the tests that ran found."""
    load_all()
    with serve(MUTANTS["unknown-channel-ignored"]) as served:
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--pyargs", "conformance.suite", "--audience-base-url", served.base_url,
                   "--audience-profile", "quick", "--audience-seed", "1", "--junit-xml", str(tmp_path / "junit.xml"), "--maxfail", "1", *workers]  # fmt: skip
        environ = {
            **os.environ,
            "AUDIENCE_API_KEY": served.api_key,
            "AUDIENCE_SECONDARY_API_KEY": served.secondary_api_key,
        }
        done = subprocess.run(
            command, check=False, capture_output=True, text=True, env=environ, cwd=tmp_path, timeout=600
        )  # fmt: skip
    output = done.stdout[-2000:] + done.stderr[-2000:]
    assert done.returncode == 4, output
    assert read_run_properties(tmp_path / "junit.xml")["run_end"] == "stopped_early", output
    assert "pytest stopped before every selected test had run" in done.stdout + done.stderr
