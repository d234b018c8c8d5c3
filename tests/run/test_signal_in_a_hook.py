"""A signal that lands while pytest runs a plugin's hook, not a test, still ends the run as interrupted.

Ctrl-C comes when it comes: between two tests, while a report is being made. pluggy turns an
exception raised in an old-style hook wrapper's teardown into a warning, and the run treats
warnings as errors; a stop landing there must not become "the suite itself failed".
"""

from __future__ import annotations

import json
from pathlib import Path

from staging import run_cli, run_env, shared_staging

# A plugin whose hook wrapper is where the signal lands: its teardown of the first test's report.
SIGNAL_IN_A_HOOK = """
import os
import signal

import pytest

_teardowns = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    yield
    if call.when == "teardown" and not _teardowns:
        _teardowns.append(item.nodeid)
        os.kill(os.getpid(), signal.SIGINT)
        sum(range(1000))  # the handler runs here, inside the wrapper's teardown
"""


def test_a_signal_inside_a_hook_wrapper_is_an_interrupted_run(tmp_path: Path) -> None:
    (tmp_path / "signal_in_a_hook.py").write_text(SIGNAL_IN_A_HOOK)
    env = {"PYTEST_ADDOPTS": "-p signal_in_a_hook", "PYTHONPATH": str(tmp_path)}
    with shared_staging() as staging:
        done = run_cli(
            staging,
            "run",
            "--profile",
            "quick",
            "--rule",
            "AUD-01",
            "--junit-xml",
            str(tmp_path / "junit.xml"),
            cwd=tmp_path,
            env=run_env(staging, **env),
        )
        changed, added = staging.changes()
        assert changed == {} and added == {}
    output = done.stdout + done.stderr
    assert done.returncode == 4, output[-3000:]
    assert "no verdict: the run was interrupted" in output, output[-3000:]
    assert "INTERNALERROR" not in output and "suite error" not in output
    certificate = json.loads((tmp_path / "certificate.json").read_text())
    assert certificate["verdict"] == "NO VERDICT (interrupted)"
