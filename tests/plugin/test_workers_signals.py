"""A run with workers stopped by Ctrl-C or SIGTERM leaves nothing on the account, counted at the server.

Ctrl-C reaches the whole process group (the controller and every worker at once); a CI cancel
sends SIGTERM to the controller alone, which must stop its workers itself. Either way the
controller deletes what every worker created and sweeps for the run's prefix.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from staging import SUITE_RUN_TIMEOUT, cli, run_env, shared_staging

pytestmark = pytest.mark.slow
WRITES_BEFORE_THE_SIGNAL = 80


@pytest.mark.parametrize(
    ("signum", "whole_group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c-to-the-group", "sigterm-to-the-controller"],
)
def test_a_signal_to_a_run_with_workers_leaves_nothing(
    tmp_path: Path, signum: int, whole_group: bool
) -> None:
    with shared_staging() as staging:
        command = cli(
            "run",
            "--profile",
            "quick",
            "--workers",
            "2",
            "--junit-xml",
            str(tmp_path / "junit.xml"),
        )
        child = subprocess.Popen(
            command,
            env=run_env(staging),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            start_new_session=True,
        )
        sent = threading.Event()
        seen = [0]

        def listener(method: str, path: str, status: int) -> None:
            seen[0] += 1
            if seen[0] == WRITES_BEFORE_THE_SIGNAL and not sent.is_set():
                sent.set()
                os.killpg(child.pid, signum) if whole_group else os.kill(child.pid, signum)

        staging.writes.listeners.append(listener)
        stdout, stderr = child.communicate(timeout=SUITE_RUN_TIMEOUT)
        assert sent.is_set(), "the run ended before the signal: " + stdout[-2000:]
        changed, added = staging.changes()
        assert staging.foreign_writes() == [] and changed == {}
        assert added == {}, f"left behind: {sorted(row[2] for row in added.values())}"
    output = stdout + stderr
    assert child.returncode == 4, output[-3000:]
    assert "no verdict: the run was interrupted" in output and "verdict: CONFORMANT" not in output
    created = int(
        next(
            line.split()[2] for line in stdout.splitlines() if line.startswith("cleanup: deleted ")
        )
    )
    assert created > 0, (
        "the controller deleted nothing: the workers' audiences never reached its ledger"
    )
    certificate = json.loads((tmp_path / "certificate.json").read_text())
    assert certificate["verdict"] == "NO VERDICT (interrupted)"
