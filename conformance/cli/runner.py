"""Running the suite in this process with pytest, and turning its end into an exit code."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from conformance.cli.baseline_gate import gate
from conformance.cli.parallel import checked_shard, worker_args
from conformance.plugin.progress import Progress
from conformance.plugin.pytest_options import SETTINGS_KEY
from conformance.plugin.recorder import EXIT_OF_VERDICT, RECORDER, RunRecorder
from conformance.plugin.sharding import parse_shard
from conformance.report.baseline import Baseline
from conformance.run.artefacts import CAUSES, junit_of_shard
from conformance.run.budget import budget_spent_cause, rate_limit_warning
from conformance.run.option_values import values_of
from conformance.run.options import CLI_FRONT, RUN_OPTIONS, OptionValue, Passage
from conformance.run.settings import RunSettings
from conformance.verdict.exits import Exit, RunEnd, exit_code_of
from conformance.verdict.shards import Shard, shard_headline

SUITE_DIR = Path(__file__).parent.parent / "suite"
SUITE_INI = SUITE_DIR / "suite.ini"
HYPOTHESIS_HOME_VARIABLE = "HYPOTHESIS_STORAGE_DIRECTORY"  # Hypothesis' own: where its files go


class _RunEnd:
    """Keeps what the plugin decided, for the lines printed after pytest is done."""

    def __init__(self) -> None:
        self.recorder: RunRecorder | None = None

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        plugin = config.stash.get(RECORDER, None)
        self.recorder = plugin if isinstance(plugin, RunRecorder) else None


def run_suite(
    settings: RunSettings,
    *,
    junit_xml: Path,
    keyword: str | None = None,
    workers: str | None = None,
    shard: str | None = None,
    baseline: Baseline | None = None,
) -> int:
    """The suite under pytest in this process, given the run's options from the table: on its
    argument list, or in the environment for the target and the secrets."""
    shard = checked_shard(shard)
    junit_xml = junit_of_shard(junit_xml, Shard.of(*parse_shard(shard)) if shard else None)
    values = handed_on(settings, junit_xml=junit_xml, keyword=keyword, shard=shard)
    args = ["-c", str(SUITE_INI), "--rootdir", str(SUITE_DIR), "--pyargs", "conformance.suite"]
    args += ["--audience-front", CLI_FRONT, *pytest_arguments(values)]
    args += worker_args(workers, settings.concurrency)
    end = _RunEnd()
    # The run's files that nobody keeps, gone at its end: Hypothesis' (none in the user's folder;
    # the Unicode tables worth keeping go to the cache) and pytest's (a folder for each worker).
    scratch = Path(tempfile.mkdtemp(prefix="audience-conformance-"))
    args += ["--basetemp", str(scratch / "pytest")]
    home = str(scratch / "hypothesis")
    set_hypothesis_home_dir(home)
    shards = parse_shard(shard)[1] if shard else 1
    warning = rate_limit_warning(settings, shards=shards, narrowed=bool(keyword))
    if warning:
        print(warning, file=sys.stderr, flush=True)
    # The workers are processes of their own: they find the run's home in the environment.
    with variables_set({**environment(values), HYPOTHESIS_HOME_VARIABLE: home}):
        try:
            code = pytest.main(args, plugins=[end])
        except KeyboardInterrupt:
            # A stop while pytest reported an earlier one: the session has ended all the same
            # (cleanup, JUnit, certificate), so the end is told as any other.
            code = pytest.ExitCode.INTERRUPTED
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return _finish(int(code), end, junit_xml, baseline)


def handed_on(
    settings: RunSettings, *, junit_xml: Path, keyword: str | None, shard: str | None
) -> dict[str, OptionValue]:
    """Every option the run hands on to pytest, by its name in the table."""
    return {
        **values_of(settings),
        "junit_xml": str(junit_xml),
        "keyword": keyword,
        "shard": shard,
    }


def pytest_arguments(values: Mapping[str, OptionValue]) -> list[str]:
    """The options whose passage is pytest's argument list, from the values the run hands on."""
    args: list[str] = []
    for option in RUN_OPTIONS:
        value, flag = values.get(option.name), option.pytest_option
        if option.passage is not Passage.ARGUMENT or flag is None or not value:
            continue
        if isinstance(value, bool):
            args.append(flag)
            continue
        for item in [value] if isinstance(value, str) else value:
            # --name=value: a value that starts with '-' is not taken for an option
            args += [f"{flag}={item}"] if flag.startswith("--") else [flag, item]
    return args


def environment(values: Mapping[str, OptionValue]) -> dict[str, str | None]:
    """The variables of the options whose passage is the environment (None: removed); a
    repeated option's values go one to a line."""
    variables: dict[str, str | None] = {}
    for option in RUN_OPTIONS:
        if option.passage is Passage.ENVIRONMENT and option.env:
            value = values.get(option.name)
            if isinstance(value, bool):
                raise TypeError(f"{option.flag} is a switch: it cannot travel in a variable.")
            variables[option.env] = (
                value if isinstance(value, str | None) else "\n".join(value)
            ) or None
    return variables


@contextmanager
def variables_set(variables: Mapping[str, str | None]) -> Iterator[None]:
    """The variables set (None: removed) while pytest runs, as they were afterwards."""
    saved = {name: os.environ.get(name) for name in variables}
    try:
        _set(variables)
        yield
    finally:
        _set(saved)


def _set(variables: Mapping[str, str | None]) -> None:
    for name, value in variables.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _finish(code: int, end: _RunEnd, junit_xml: Path, baseline: Baseline | None = None) -> int:
    recorder = end.recorder
    if code == pytest.ExitCode.USAGE_ERROR and (recorder is None or not recorder.started):
        return Exit.USAGE
    if recorder is None:
        print(
            f"audience-conformance: run incomplete (pytest exit code {code}); no verdict.",
            file=sys.stderr,
        )
        return Exit.INCOMPLETE
    exit_code = _outcome(code, recorder)
    _print_reports(recorder)
    if baseline is not None:
        # The verdict line stands; the exit code says whether anything regressed.
        return gate(exit_code, recorder.junit_path, recorder.certificate, baseline)
    return exit_code


def _outcome(code: int, recorder: RunRecorder) -> Exit:
    """The exit code, after printing the verdict line (or why there is none)."""
    if recorder.failed_start is not None:
        return exit_code_of(recorder.failed_start[0]) or Exit.UNREACHABLE
    if recorder.run_end != RunEnd.COMPLETED:
        print(f"audience-conformance: no verdict: {_cause(recorder)}.", file=sys.stderr)
        return Exit.INCOMPLETE
    if recorder.certificate_problem:
        # The run's verdict must be read from its certificate: without one there is none to give.
        print(
            "audience-conformance: no verdict: the certificate could not be written.",
            file=sys.stderr,
        )
        return Exit.INCOMPLETE
    verdict = recorder.verdict
    if (
        recorder.suite_errors
        or verdict is None
        or code not in {int(value) for value in EXIT_OF_VERDICT.values()}
    ):
        print(
            f"audience-conformance: run incomplete (pytest exit code {code}); no verdict.",
            file=sys.stderr,
        )
        return Exit.INCOMPLETE
    if recorder.shard is not None:  # one shard: what it found; the merge gives the verdict
        print(shard_headline(verdict, recorder.shard))
        print(f"seed: {recorder.seed} (repeat with --seed)")
        return recorder.exit_code(verdict)
    failing = ", ".join(result.rule.id for result in verdict.counted_failures())
    unverified = ", ".join(result.rule.id for result in verdict.unverified())
    detail = (
        f"; failing rules: {failing}"
        if failing
        else f"; not verified: {unverified}"
        if unverified
        else ""
    )
    if verdict.errors and not failing:
        detail += f"; {len(verdict.errors)} test(s) ended in an error that names no rule"
    print(f"verdict: {verdict.headline}{detail}")
    print(f"seed: {recorder.seed} (repeat with --seed)")
    return EXIT_OF_VERDICT[verdict.kind]


def _cause(recorder: RunRecorder) -> str:
    """Why the run gave no verdict; a spent budget with how many tests it let run."""
    if recorder.run_end is not RunEnd.BUDGET_SPENT:
        return CAUSES.get(recorder.run_end) or str(recorder.run_end.value)
    plugins = recorder.config.pluginmanager.get_plugins()
    shown = next((plugin for plugin in plugins if isinstance(plugin, Progress)), None)
    return budget_spent_cause(
        recorder.config.stash[SETTINGS_KEY],
        done=shown.done if shown else None,
        total=shown.total if shown else None,
    )


def _print_reports(recorder: RunRecorder) -> None:
    """Where the run's files are (the plugin wrote them, whatever the run's end)."""
    if recorder.junit_path is not None and recorder.junit_path.is_file():
        print(f"reports: {recorder.junit_path}")
    if recorder.certificate:
        print("certificate: " + ", ".join(str(path) for path in recorder.certificate))
        _write_step_summary(recorder.certificate)


def _write_step_summary(paths: list[Path]) -> None:
    """In GitHub Actions the Markdown certificate becomes the job's summary page."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    markdown = next((path for path in paths if path.suffix == ".md"), None)
    if summary and markdown is not None:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(markdown.read_text(encoding="utf-8") + "\n")
