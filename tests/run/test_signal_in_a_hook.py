"""A signal that lands while pytest runs a plugin's hook, not a test, still ends the run cleanly.

Ctrl-C comes when it comes: between two tests, while a report is being made, or once the tests
are over and the session's end has begun but not yet its cleanup. pluggy turns an exception
raised in an old-style hook wrapper's teardown into a warning, and the run treats warnings as
errors; a stop landing there must not become "the suite itself failed". And a stop landing at
the session's end must not skip the cleanup: from the tests' end on, a first signal is noted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from staging import run_cli, run_env, shared_staging

# A plugin whose hook wrapper is where the signal lands: its teardown of the first test's report.
IN_A_REPORT = """
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

# A plugin whose hook wrapper is where the signal lands: the session's end, before any other
# plugin's part of it (the run's cleanup among them) has run.
AT_THE_SESSIONS_END = """
import os
import signal

import pytest


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session):
    os.kill(os.getpid(), signal.SIGINT)
    sum(range(1000))  # the handler runs here, before the cleanup
    return (yield)
"""

PLUGINS = {"in-a-report": IN_A_REPORT, "at-the-sessions-end": AT_THE_SESSIONS_END}


@pytest.mark.parametrize("where", sorted(PLUGINS))
def test_a_signal_inside_a_hook_is_an_interrupted_run_that_leaves_nothing(
    tmp_path: Path, where: str
) -> None:
    (tmp_path / "signal_in_a_hook.py").write_text(PLUGINS[where])
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
        assert changed == {}
        assert added == {}, f"left behind: {sorted(row[2] for row in added.values())}"
    output = done.stdout + done.stderr
    assert done.returncode == 4, output[-3000:]
    assert "no verdict: the run was interrupted" in output, output[-3000:]
    assert "INTERNALERROR" not in output and "suite error" not in output
    assert "Traceback" not in output, output[-3000:]
    certificate = json.loads((tmp_path / "certificate.json").read_text())
    assert certificate["verdict"] == "NO VERDICT (interrupted)"
