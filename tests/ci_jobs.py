"""The CI templates' jobs, run here as their runners would run them, without a container.

GitHub Actions: the job's ``env`` (``${{ secrets.X }}``, ``${{ vars.X || 'default' }}``), each
step's ``if:``, ``GITHUB_ENV`` carried from step to step, ``GITHUB_STEP_SUMMARY``; the actions the
template uses are played by what they do here (``actions/checkout`` of another repository is a
``git clone`` of a local one). GitLab CI: job variables expanded, project variables over them,
``before_script`` and ``script`` in one shell, ``after_script`` in another.

Every ``run:`` and ``script:`` is run as written, with bash (GitHub) or sh (GitLab). Only the
``audience-conformance`` command is put behind a recording stand-in (``shim``), which narrows
``run`` to one rule and stands in for ``diff`` and ``run --baseline`` where the installed suite
has neither (tests/ci_machine.py)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


# -- GitHub Actions ------------------------------------------------------------------------------


def expand(text: str, contexts: Mapping[str, Mapping[str, str]]) -> str:
    """``${{ ... }}`` in ``text``: context values, quoted literals and ``||``, no more."""

    def operand(part: str) -> str:
        literal = re.fullmatch(r"'([^']*)'", part)
        if literal:
            return literal.group(1)
        name = re.fullmatch(r"(\w+)\.(\w+)", part)
        if name is None or name.group(1) not in contexts:
            raise AssertionError(f"an expression this emulation does not know: {part}")
        return contexts[name.group(1)].get(name.group(2), "")

    def evaluate(match: re.Match[str]) -> str:
        values = (operand(part.strip()) for part in match.group(1).split("||"))
        return next((value for value in values if value), "")

    return EXPRESSION.sub(evaluate, text)


def should_run(condition: str | None, failed: bool, env: Mapping[str, str]) -> bool:
    """A step's ``if:`` as GitHub reads it: without a status function, only after success."""
    if condition is None:
        return not failed
    text = condition.strip()
    if text.startswith("${{"):
        text = text.removeprefix("${{").removesuffix("}}").strip()
    if text == "always()":
        return True
    compared = re.fullmatch(r"env\.(\w+) (==|!=) '([^']*)'", text)
    if compared is None:
        raise AssertionError(f"a condition this emulation does not know: {condition}")
    equal = env.get(compared.group(1), "") == compared.group(3)
    return not failed and equal == (compared.group(2) == "==")


@dataclass
class StepRun:
    name: str
    ran: bool
    exit_code: int = 0
    output: str = ""


@dataclass
class GithubRun:
    steps: list[StepRun]
    summary: str
    github_env: dict[str, str]
    cached: list[Path] = field(default_factory=list)  # actions/cache's paths, ~ expanded
    kept: list[Path] = field(default_factory=list)  # upload-artifact's and the JUnit report's

    def step(self, name: str) -> StepRun:
        return next(step for step in self.steps if step.name == name)


def run_github_job(
    job: Mapping[str, Any],
    *,
    workspace: Path,
    base_env: Mapping[str, str],
    secrets: Mapping[str, str],
    variables: Mapping[str, str],
    repositories: Mapping[str, Path],
    overrides: Mapping[str, str],
) -> GithubRun:
    """Every step of ``job`` in order; ``overrides`` replace job env values after expansion
    (the staging's URL); ``repositories`` maps owner/name to the local repository checked out."""
    runner_temp = workspace.parent / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    github_env, summary = runner_temp / "github_env", runner_temp / "step_summary.md"
    github_env.touch()
    contexts: dict[str, Mapping[str, str]] = {"secrets": secrets, "vars": variables}
    env = {name: expand(str(value), contexts) for name, value in job["env"].items()}
    env.update(overrides)
    run = GithubRun([], "", {})
    failed = False
    for number, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or f"step {number}"
        if not should_run(step.get("if"), failed, {**env, **run.github_env}):
            run.steps.append(StepRun(name, ran=False))
            continue
        if "uses" in step:
            with_ = _Inputs(step.get("with", {}), {**contexts, "env": {**env, **run.github_env}})
            _play_action(step["uses"], with_, workspace, base_env, repositories, run)
            run.steps.append(StepRun(name, ran=True))
            continue
        assert "${{" not in step["run"], f"{name}: expressions belong in env, not in a script"
        script = runner_temp / f"step-{number}.sh"
        script.write_text(step["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", str(script)],
            env={
                **base_env,
                **env,
                **run.github_env,
                "GITHUB_WORKSPACE": str(workspace),
                "RUNNER_TEMP": str(runner_temp),
                "GITHUB_ENV": str(github_env),
                "GITHUB_STEP_SUMMARY": str(summary),
            },
            cwd=workspace,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        run.steps.append(StepRun(name, True, done.returncode, done.stdout + done.stderr))
        run.github_env.update(
            line.split("=", 1)  # type: ignore[misc]
            for line in github_env.read_text().splitlines()
            if "=" in line
        )
        failed = failed or done.returncode != 0
    run.summary = summary.read_text() if summary.is_file() else ""
    return run


@dataclass
class _Inputs:
    """A step's ``with:``, each value expanded when an action reads it (the cache's key, made of
    functions of the runner, is never read here)."""

    raw: Mapping[str, Any]
    contexts: Mapping[str, Mapping[str, str]]

    def __getitem__(self, key: str) -> str:
        return expand(str(self.raw[key]), self.contexts)

    def __contains__(self, key: str) -> bool:
        return key in self.raw


def _play_action(
    uses: str,
    with_: _Inputs,
    workspace: Path,
    base_env: Mapping[str, str],
    repositories: Mapping[str, Path],
    run: GithubRun,
) -> None:
    action = uses.split("@", 1)[0]
    if action == "actions/checkout" and "repository" in with_:
        source = repositories[with_["repository"]]
        target = workspace / with_["path"]
        subprocess.run(
            ["git", "clone", "--quiet", "--branch", with_["ref"], source.as_uri(), str(target)],
            check=True,
            capture_output=True,
        )
    elif action == "actions/cache":
        home = Path(base_env["HOME"])
        paths = [line.strip() for line in with_["path"].splitlines() if line.strip()]
        run.cached += [
            home / path.removeprefix("~/") if path.startswith("~/") else workspace / path
            for path in paths
        ]
    elif action == "actions/upload-artifact":
        run.kept.append(workspace / with_["path"])
    elif action == "mikepenz/action-junit-report":
        run.kept.append(workspace / with_["report_paths"])
    elif action not in {"actions/checkout", "actions/setup-python"}:
        raise AssertionError(f"an action this emulation does not play: {uses}")


# -- GitLab CI -----------------------------------------------------------------------------------


@dataclass
class GitlabRun:
    variables: dict[str, str]
    script: subprocess.CompletedProcess[str]
    after: subprocess.CompletedProcess[str]


def gitlab_variables(
    job: Mapping[str, Any], predefined: Mapping[str, str], project: Mapping[str, str]
) -> dict[str, str]:
    """The job's variables, ``$NAME`` expanded in order; project variables take precedence."""
    values = dict(predefined)
    for name, value in job["variables"].items():
        values[name] = re.sub(
            r"\$\{?(\w+)\}?", lambda match: values.get(match.group(1), ""), str(value)
        )
    return {**values, **project}


def run_gitlab_job(
    job: Mapping[str, Any],
    *,
    workspace: Path,
    base_env: Mapping[str, str],
    variables: Mapping[str, str],
) -> GitlabRun:
    """``before_script`` and ``script`` in one sh, stopping at the first failure; then
    ``after_script`` in another, whatever the first did."""

    def shell(lines: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", "-e", "-c", "\n".join(lines)],
            env={**base_env, **variables},
            cwd=workspace,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    script = shell([*job["before_script"], *job["script"]])
    return GitlabRun(dict(variables), script, shell(job["after_script"]))
