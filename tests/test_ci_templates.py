"""The CI templates in examples/ci work as written (their schemas: test_ci_template_schemas.py): their
shell steps, run here in order (tests/ci_jobs.py), install the suite from its source, trust the CA only
when one is given, certify a loopback staging, and leave every file their later steps keep,
publish or summarise; with a baseline certificate, the run gates on it and the summary shows
the changes since.

The suite is installed by each job's own install step, from a git repository of this checkout,
into a fresh venv; the run is narrowed to one rule (what is proven is the job, not the rules)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from ci_jobs import GithubRun, gitlab_variables, run_github_job, run_gitlab_job
from ci_machine import (
    GITHUB,
    GITLAB,
    calls,
    http_reference,
    python_for_the_job,
    shim,
    suite_repository,
)
from network_staging import Arrival, environment_with, https_reference

KEY = "canary-ci-key-6d1f3a9c2e"
SECOND_KEY = "canary-ci-second-4b8e0c7a5f"
TOKEN = "canary-ci-gateway-9a3c5e7b1d"
SUITE = "acme/audience-conformance"  # the suite's repository, as a user names it
STAGING_URL = "https://audiences.staging.example.com"
HEADLINE = "Audience API conformance: **CONFORMANT on "


@dataclass
class Machine:
    """What every job here shares: the suite's repository, the job's Python, the stand-in."""

    repository: Path
    python_bin: Path
    folder: Path

    def environment(self, home: Path, shim_folder: Path) -> dict[str, str]:
        env = environment_with({"HOME": str(home)})
        env.pop("XDG_CACHE_HOME", None)
        env.pop("PIP_CACHE_DIR", None)
        env["PATH"] = f"{shim_folder}:{self.python_bin}:{env['PATH']}"
        return env


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Machine:
    folder = tmp_path_factory.mktemp("ci-machine")
    (folder / "suite").mkdir()
    return Machine(suite_repository(folder / "suite"), python_for_the_job(folder / "venv"), folder)


def _all_written(*workspaces: Path) -> str:
    """Every file the jobs wrote (their reports, and the runner's folder: summary, CA file)."""
    return "\n".join(
        path.read_bytes().decode("utf-8", "replace")
        for workspace in workspaces
        for folder in (workspace / "reports", workspace.parent / "runner-temp")
        for path in folder.rglob("*")
        if path.is_file()
    )


def _assert_gateway_header_on_every_request(seen: list[Arrival]) -> None:
    assert len(seen) > 20
    assert all(arrival.headers.get("x-gateway-token") == TOKEN for arrival in seen)


class GithubJob:
    def __init__(self, machine: Machine, folder: Path) -> None:
        self.job: dict[str, Any] = yaml.safe_load(GITHUB.read_text())["jobs"]["certify"]
        self.workspace, self.home, self.shim = (
            folder / "workspace",
            folder / "home",
            folder / "shim",
        )
        self.workspace.mkdir(parents=True)
        self.home.mkdir()
        self.env = machine.environment(self.home, shim(self.shim, machine.python_bin))
        self.machine = machine

    def run(self, staging_url: str, *, ca: str, variables: dict[str, str]) -> GithubRun:
        return run_github_job(
            self.job,
            workspace=self.workspace,
            base_env=self.env,
            secrets={
                "AUDIENCE_API_KEY": KEY,
                "AUDIENCE_SECONDARY_API_KEY": SECOND_KEY,
                "STAGING_GATEWAY_TOKEN": TOKEN,
                "STAGING_CA_BUNDLE": ca,
            },
            variables=variables,
            repositories={SUITE: self.machine.repository},
            overrides={"AUDIENCE_BASE_URL": staging_url},
        )


@pytest.fixture
def plain_staging(tmp_path: Path) -> Iterator[tuple[str, list[Arrival]]]:
    with http_reference((KEY, SECOND_KEY), tmp_path) as served:
        yield served


@pytest.mark.slow
def test_the_github_workflow_certifies_a_staging_then_gates_on_its_baseline(
    machine: Machine, tmp_path: Path, plain_staging: tuple[str, list[Arrival]]
) -> None:
    """First without a CA or a baseline (the CA secret empty), on plain http; then over HTTPS
    with the CA's PEM in the secret and the first run's certificate committed as the baseline."""
    assert (
        yaml.safe_load(GITHUB.read_text())["jobs"]["certify"]["env"]["AUDIENCE_BASE_URL"]
        == STAGING_URL
    )
    first = GithubJob(machine, tmp_path / "first")
    url, seen = plain_staging
    run = first.run(url, ca="", variables={"AUDIENCE_CONFORMANCE_REPOSITORY": SUITE})
    outcome = {step.name: (step.ran, step.exit_code) for step in run.steps}
    report = "\n".join(
        f"{step.name}: {step.exit_code}\n{step.output[-2000:]}" for step in run.steps
    )
    assert outcome["Install the suite"] == (True, 0), report
    assert outcome["Trust the staging's internal CA"] == (False, 0)
    assert outcome["Find the baseline certificate"] == (False, 0)
    assert outcome["Certify the staging"] == (True, 0), report
    assert outcome["Write the summary"] == (True, 0), report
    assert "AUDIENCE_CA_BUNDLE" not in run.github_env
    assert [call for call in calls(first.shim) if call[0] == "run"] == [
        ["run", "--profile", "quick", "--rate-limit", "20/s", "--junit-xml", "reports/junit.xml"]
    ]
    certificate = (first.workspace / "reports" / "certificate.md").read_text()
    assert HEADLINE in certificate and run.summary == certificate
    assert run.kept and all(path.exists() for path in run.kept)
    for name in ("junit.xml", "certificate.json", "certificate.md", "certificate.html"):
        assert (first.workspace / "reports" / name).is_file()
    assert [path.name for path in run.cached] == ["pip", "audience-conformance"]
    assert all(path.is_dir() and any(path.iterdir()) for path in run.cached), run.cached
    _assert_gateway_header_on_every_request(seen)

    second = GithubJob(machine, tmp_path / "second")
    (second.workspace / "conformance").mkdir()
    shutil.copy(
        first.workspace / "reports" / "certificate.json",
        second.workspace / "conformance" / "baseline.json",
    )
    with https_reference(keys=(KEY, SECOND_KEY)) as staging:
        pem = Path(staging.ca.ca_bundle).read_text()
        run = second.run(
            staging.base_url,
            ca=pem,
            variables={
                "AUDIENCE_CONFORMANCE_REPOSITORY": SUITE,
                "AUDIENCE_CONFORMANCE_REF": "main",
                "CONFORMANCE_BASELINE": "conformance/baseline.json",
            },
        )
        _assert_gateway_header_on_every_request(staging.seen)
    report = "\n".join(
        f"{step.name}: {step.exit_code}\n{step.output[-2000:]}" for step in run.steps
    )
    assert all(step.ran and step.exit_code == 0 for step in run.steps), report
    assert Path(run.github_env["AUDIENCE_CA_BUNDLE"]).read_text().strip() == pem.strip()
    assert run.github_env["BASELINE_CERTIFICATE"] == "conformance/baseline.json"
    made = calls(second.shim)
    assert made[0][-2:] == ["--baseline", "conformance/baseline.json"]
    assert made[1] == ["diff", "conformance/baseline.json", "reports/certificate.json"]
    changes = (second.workspace / "reports" / "changes.md").read_text()
    certificate = (second.workspace / "reports" / "certificate.md").read_text()
    assert changes.strip() and HEADLINE in certificate and run.summary == changes + certificate
    written = _all_written(first.workspace, second.workspace)
    for secret in (KEY, SECOND_KEY, TOKEN):
        assert secret not in written


def test_the_github_workflow_says_which_variable_is_missing(tmp_path: Path) -> None:
    """Without the suite's repository the first step fails with the variable's name; nothing is
    installed or run, and the summary says there is no certificate."""
    job = yaml.safe_load(GITHUB.read_text())["jobs"]["certify"]
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    run = run_github_job(
        job,
        workspace=workspace,
        base_env=environment_with({"HOME": str(tmp_path)}),
        secrets={},
        variables={},
        repositories={},
        overrides={},
    )
    assert run.steps[0].exit_code == 1
    assert "Set the variable AUDIENCE_CONFORMANCE_REPOSITORY" in run.steps[0].output
    assert not run.step("Install the suite").ran and not run.step("Certify the staging").ran
    assert run.step("Write the summary").exit_code == 0
    assert run.summary.startswith("No certificate")


class GitlabJob:
    def __init__(self, machine: Machine, folder: Path) -> None:
        self.job: dict[str, Any] = yaml.safe_load(GITLAB.read_text())["audience-conformance"]
        self.workspace, self.shim = folder / "project", folder / "shim"
        self.workspace.mkdir(parents=True)
        (folder / "home").mkdir()
        self.env = machine.environment(folder / "home", shim(self.shim, machine.python_bin))
        self.machine = machine

    def variables(self, staging_url: str, project: dict[str, str]) -> dict[str, str]:
        values = gitlab_variables(
            self.job,
            {"CI_PROJECT_DIR": str(self.workspace)},
            {
                "AUDIENCE_API_KEY": KEY,
                "AUDIENCE_SECONDARY_API_KEY": SECOND_KEY,
                "STAGING_GATEWAY_TOKEN": TOKEN,
                "SUITE_REPOSITORY_URL": self.machine.repository.as_uri(),
                **project,
            },
        )
        assert values["AUDIENCE_BASE_URL"] == STAGING_URL
        return {**values, "AUDIENCE_BASE_URL": staging_url}


@pytest.mark.slow
def test_the_gitlab_job_certifies_a_staging_then_gates_on_its_baseline(
    machine: Machine, tmp_path: Path, plain_staging: tuple[str, list[Arrival]]
) -> None:
    """First with an empty CA file and a baseline path that names no file, on plain http; then
    over HTTPS with the CA as a "File" variable and the first run's certificate as the baseline."""
    first = GitlabJob(machine, tmp_path / "first")
    empty = tmp_path / "empty-ca.pem"
    empty.touch()
    url, seen = plain_staging
    variables = first.variables(
        url, {"STAGING_CA_BUNDLE": str(empty), "CONFORMANCE_BASELINE": "baseline.json"}
    )
    run = run_gitlab_job(
        first.job, workspace=first.workspace, base_env=first.env, variables=variables
    )
    assert run.script.returncode == 0, run.script.stdout[-3000:] + run.script.stderr[-3000:]
    assert "CONFORMANCE_BASELINE names baseline.json, not in this repository" in run.script.stdout
    assert [call for call in calls(first.shim) if call[0] == "run"] == [
        ["run", "--profile", "quick", "--rate-limit", "20/s", "--junit-xml", "reports/junit.xml"]
    ]
    certificate = (first.workspace / "reports" / "certificate.md").read_text()
    assert HEADLINE in certificate and run.after.stdout == certificate and run.after.returncode == 0
    assert not (first.workspace / "reports" / "changes.md").exists()
    cached = [first.workspace / path for path in first.job["cache"]["paths"]]
    assert all(path.is_dir() and any(path.iterdir()) for path in cached), cached
    _assert_kept(first.job, first.workspace)
    _assert_gateway_header_on_every_request(seen)

    second = GitlabJob(machine, tmp_path / "second")
    shutil.copy(
        first.workspace / "reports" / "certificate.json", second.workspace / "baseline.json"
    )
    with https_reference(keys=(KEY, SECOND_KEY)) as staging:
        variables = second.variables(
            staging.base_url,
            {"STAGING_CA_BUNDLE": staging.ca.ca_bundle, "CONFORMANCE_BASELINE": "baseline.json"},
        )
        run = run_gitlab_job(
            second.job, workspace=second.workspace, base_env=second.env, variables=variables
        )
        _assert_gateway_header_on_every_request(staging.seen)
    assert run.script.returncode == 0, run.script.stdout[-3000:] + run.script.stderr[-3000:]
    made = calls(second.shim)
    assert made[0][-2:] == ["--baseline", "baseline.json"]
    assert made[1] == ["diff", "baseline.json", "reports/certificate.json"]
    changes = (second.workspace / "reports" / "changes.md").read_text()
    certificate = (second.workspace / "reports" / "certificate.md").read_text()
    assert changes.strip() and HEADLINE in certificate
    assert run.after.stdout == changes + certificate
    _assert_kept(second.job, second.workspace)
    said = run.script.stdout + run.script.stderr + run.after.stdout + run.after.stderr
    for secret in (KEY, SECOND_KEY, TOKEN):
        assert secret not in said + _all_written(first.workspace, second.workspace)


def _assert_kept(job: dict[str, Any], workspace: Path) -> None:
    assert job["artifacts"]["when"] == "always"
    assert all((workspace / path).is_dir() for path in job["artifacts"]["paths"])
    assert (workspace / job["artifacts"]["reports"]["junit"]).is_file()


def test_the_gitlab_job_says_which_variable_is_missing(tmp_path: Path) -> None:
    job = yaml.safe_load(GITLAB.read_text())["audience-conformance"]
    variables = gitlab_variables(job, {"CI_PROJECT_DIR": str(tmp_path)}, {})
    run = run_gitlab_job(
        job,
        workspace=tmp_path,
        base_env=environment_with({"HOME": str(tmp_path)}),
        variables=variables,
    )
    assert run.script.returncode == 1
    assert "Set the variable SUITE_REPOSITORY_URL" in run.script.stderr
    assert "no certificate" in run.after.stdout
