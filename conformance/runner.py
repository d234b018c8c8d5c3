"""Running the suite in this process with pytest, and turning its end into an exit code."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from conformance.cli import hypothesis_home
from conformance.artefacts import CAUSES
from conformance.exits import Exit, RunEnd, exit_code_of
from conformance.recorder import EXIT_OF_VERDICT, RECORDER, RunRecorder
from conformance.plugin_options import CLI_FRONT
from conformance.parallel import parallel_args
from conformance.settings import ENV_API_KEY, ENV_BASE_URL, ENV_SECONDARY_API_KEY, RunSettings
from conformance.transport import ENV_HEADERS, ENV_PROXY

SUITE_DIR = Path(__file__).parent / "suite"
SUITE_INI = SUITE_DIR / "suite.ini"


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
) -> int:
    args = [
        "-c",
        str(SUITE_INI),
        "--rootdir",
        str(SUITE_DIR),
        f"--junit-xml={junit_xml}",
        "--pyargs",
        "conformance.suite",
    ]
    args += _plugin_args(settings) + parallel_args(workers, shard)
    if keyword:
        args += ["-k", keyword]
    end = _RunEnd()
    set_hypothesis_home_dir(hypothesis_home())
    with _keys_in_environment(settings):
        code = pytest.main(args, plugins=[end])
    return _finish(int(code), end, junit_xml)


def _plugin_args(settings: RunSettings) -> list[str]:
    args = [
        "--audience-front",
        CLI_FRONT,
        "--audience-profile",
        settings.profile.name,
        "--audience-timeout",
        str(settings.timeout),
    ]
    if settings.strict:
        args.append("--audience-strict")
    if settings.read_only:
        args.append("--audience-read-only")
    if settings.seed is not None:
        args += ["--audience-seed", str(settings.seed)]
    if settings.max_duration is not None:
        args += ["--audience-max-duration", str(settings.max_duration)]
    for rule_id in settings.rules:
        args += ["--audience-rule", rule_id]
    return args + _connection_args(settings)


def _connection_args(settings: RunSettings) -> list[str]:
    """Paths and switches; the headers and the proxy (which may carry a password) go through
    the environment like the keys."""
    transport, args = settings.transport, []
    if transport.insecure:
        args.append("--audience-insecure")
    elif isinstance(transport.verify, str):
        args += ["--audience-ca-bundle", transport.verify]
    cert = transport.client_cert
    if cert is not None:
        cert_path, key_path = cert if isinstance(cert, tuple) else (cert, None)
        args += ["--audience-client-cert", cert_path] + (
            ["--audience-client-key", key_path] if key_path else []
        )
    if transport.trust_env:
        args.append("--audience-trust-env")
    if settings.rate_limit is not None:
        args += ["--audience-rate-limit", str(settings.rate_limit)]
    return args


class _keys_in_environment:
    """The target and keys reach the plugin through the environment, never through argv."""

    def __init__(self, settings: RunSettings) -> None:
        headers = (
            "\n".join(f"{name}: {value}" for name, value in settings.transport.headers) or None
        )
        self.values = {
            ENV_BASE_URL: settings.base_url,
            ENV_API_KEY: settings.api_key,
            ENV_SECONDARY_API_KEY: settings.secondary_api_key,
            ENV_HEADERS: headers,
            ENV_PROXY: settings.transport.proxy,
        }
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for name, value in self.values.items():
            self.saved[name] = os.environ.get(name)
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def __exit__(self, *exc_info: Any) -> None:
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _finish(code: int, end: _RunEnd, junit_xml: Path) -> int:
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
    return exit_code


def _outcome(code: int, recorder: RunRecorder) -> Exit:
    """The exit code, after printing the verdict line (or why there is none)."""
    if recorder.failed_start is not None:
        return exit_code_of(recorder.failed_start[0]) or Exit.UNREACHABLE
    if recorder.run_end != RunEnd.COMPLETED:
        print(
            f"audience-conformance: no verdict: {CAUSES.get(recorder.run_end, recorder.run_end.value)}.",
            file=sys.stderr,
        )
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
