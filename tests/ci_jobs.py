"""The CI templates' jobs, run here as their runners would run them, without a container.

GitHub Actions: the job's ``env`` (``${{ secrets.X }}``, ``${{ vars.X || 'default' }}``), each
step's ``if:``, ``GITHUB_ENV`` carried from step to step, ``GITHUB_STEP_SUMMARY``; the actions the
template uses are played by what they do here (``actions/checkout`` of another repository is a
``git clone`` of a local one). GitLab CI: job variables expanded, project variables over them,
``before_script`` and ``script`` in one shell, ``after_script`` in another.

Every ``run:`` and ``script:`` is run as written, with bash (GitHub) or sh (GitLab). Only the
``audience-conformance`` command is put behind a recording stand-in (``shim``), which narrows
``run`` to one rule and stands in for ``diff`` and ``run --baseline`` where the installed suite
has neither."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from network_staging import Arrival, RecordsArrivals

from conformance.reference.app import create_app
from conformance.reference.server import ReferenceServer
from conformance.reference.store import Store

ROOT = Path(__file__).resolve().parents[1]
RULE = "AUD-01"  # its tests include schemathesis' over every operation, and are few
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


# -- the suite's repository, a Python to install it into, the command's stand-in -------------


def suite_repository(folder: Path) -> Path:
    """A git repository (branch main) of this checkout's files as they are now, as a user's
    clone of the suite's repository would serve them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in (entry.decode() for entry in listed if entry):
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    git = ["git", "-c", "user.name=suite", "-c", "user.email=suite@example.com"]
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "suite"]):
        subprocess.run([*git, *command], cwd=folder, check=True, capture_output=True)
    return folder


def python_for_the_job(folder: Path) -> Path:
    """A fresh venv (the job's Python) that sees this environment's packages, so that installing
    the suite from its source builds and installs the suite itself but downloads no dependency."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, capture_output=True)
    purelib = Path(
        subprocess.run(
            [
                folder / "bin" / "python",
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (purelib / "this-environment.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return folder / "bin"


def _supports(*arguments: str, says: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "conformance", *arguments, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0 and says in done.stdout


def shim(folder: Path, python_bin: Path) -> Path:
    """An ``audience-conformance`` first on PATH: it logs each call (one JSON list a line in
    ``calls.jsonl``) and runs the one the job installed in ``python_bin``, ``run`` narrowed to
    RULE. Where that suite has no ``diff`` or ``run --baseline``, it stands in for them: ``diff``
    reads both certificates and prints one line, ``--baseline`` is dropped after being logged."""
    has_diff = _supports("diff", says="usage")
    has_baseline = _supports("run", says="--baseline")
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "audience-conformance"
    script.write_text(
        f"""#!{python_bin / "python"}
import json, os, sys
REAL = {str(python_bin / "audience-conformance")!r}
args = sys.argv[1:]
with open({str(folder / "calls.jsonl")!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:1] == ["diff"] and not {has_diff}:
    for path in args[1:3]:
        json.load(open(path))
    print("Changes since the baseline: stand-in for audience-conformance diff")
    raise SystemExit(0)
if args[:1] == ["run"]:
    if "--baseline" in args and not {has_baseline}:
        at = args.index("--baseline")
        del args[at : at + 2]
    args = ["run", "--rule", {RULE!r}, *args[1:]]
os.execv(REAL, [REAL, *args])
"""
    )
    script.chmod(0o755)
    return folder


def calls(shim_folder: Path) -> list[list[str]]:
    log = shim_folder / "calls.jsonl"
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


@contextmanager
def http_reference(keys: tuple[str, str], folder: Path) -> Iterator[tuple[str, list[Arrival]]]:
    """The reference over plain http on loopback (a staging with no CA of its own): its URL and
    what reached it."""
    store = Store(str(folder / "audiences.sqlite3"))
    seen: list[Arrival] = []
    app = create_app(store, {keys[0]: "account-a", keys[1]: "account-b"})
    try:
        with ReferenceServer(RecordsArrivals(app, seen)) as server:
            yield server.base_url, seen
    finally:
        store.close()


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
