"""Ctrl-C, a CI cancel (SIGTERM) and a closed terminal (SIGHUP) end a run cleanly, at any moment.

The signal is sent at three moments of the run, as the server sees it: while the run creates
its data set, in the middle of the suite, and while the run deletes what it created. Every
time: exit 4, JUnit and a certificate that say the run was interrupted, and nothing of the run
left on the account, counted at the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest
from network_staging import Arrival, RecordsArrivals
from staging import SUITE_RUN_TIMEOUT, Staging, cli, run_cli, run_env, shared_staging
from starlette.types import ASGIApp, Receive, Scope, Send

pytestmark = pytest.mark.slow

Trigger = Callable[
    [str, str, int], bool
]  # (method, path, status) of each write the server answered -> send now?
Arm = Callable[[Staging, Callable[[], None]], None]  # arranges for the callback at the moment
STOPPING = "audience-conformance: stopping:"  # the run's answer to a signal during its cleanup
ACKNOWLEDGED_WITHIN = 60.0  # seconds a run has to answer a signal before the next is sent


def creates(count: int) -> Trigger:
    """After ``count`` audiences were created (with ``-k pagination`` the first are the data set)."""
    seen = [0]

    def fire(method: str, path: str, status: int) -> bool:
        seen[0] += method == "POST" and path == "/v1/audiences" and status == 201
        return seen[0] == count

    return fire


def writes(count: int) -> Trigger:
    seen = [0]

    def fire(method: str, path: str, status: int) -> bool:
        seen[0] += 1
        return seen[0] == count

    return fire


def on_answered_writes(trigger: Trigger) -> Arm:
    def arm(staging: Staging, fire: Callable[[], None]) -> None:
        staging.writes.listeners.append(lambda *write: trigger(*write) and fire())

    return arm


TESTS_DONE_PATH = "/__the-run-s-tests-are-done__"
# A plugin of the run's own pytest that tells the server when its tests are over. A hook wrapper's
# first half runs before any plugin's end of session, so before the run's cleanup.
TELL_THE_SERVER = f"""
import os
import urllib.request

import pytest


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session):
    urllib.request.urlopen(os.environ["AUDIENCE_BASE_URL"] + "{TESTS_DONE_PATH}", timeout=30).close()
    return (yield)
"""


class CleanupGate:
    """The server's side of the cleanup moment: every delete that arrives once the run has said
    its tests are over is the cleanup's, and waits at the gate until it opens. On loopback a
    cleanup ends in milliseconds; held, it is still under way when the signals land."""

    def __init__(self, folder: Path) -> None:
        (folder / "tell_the_server.py").write_text(TELL_THE_SERVER)
        self.env = {"PYTEST_ADDOPTS": "-p tell_the_server", "PYTHONPATH": str(folder)}
        self.tests_done, self.opened = threading.Event(), threading.Event()
        self._fire: Callable[[], None] | None = None  # armed: the cleanup moment was chosen

    def arm(self, staging: Staging, fire: Callable[[], None]) -> None:
        self._fire = fire

    def wrap(self, app: ASGIApp, store: object, accounts: object) -> ASGIApp:
        async def gated(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"] == TESTS_DONE_PATH:
                self.tests_done.set()
                await send({"type": "http.response.start", "status": 204, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
            held = scope["type"] == "http" and scope["method"] == "DELETE"
            if held and self._fire is not None and self.tests_done.is_set():
                self._fire()
                while not self.opened.is_set():
                    await asyncio.sleep(0.01)
            await app(scope, receive, send)

        return gated


MOMENTS: dict[str, tuple[tuple[str, ...], Callable[[CleanupGate], Arm]]] = {
    "creating-the-data-set": (("-k", "pagination"), lambda gate: on_answered_writes(creates(3))),
    "mid-suite": ((), lambda gate: on_answered_writes(writes(60))),
    "during-cleanup": ((), lambda gate: gate.arm),
}


def run_and_signal(
    staging: Staging,
    folder: Path,
    extra: tuple[str, ...],
    arm: Arm,
    signals: list[int],
    *,
    env: dict[str, str],
    answered: threading.Event | None = None,
) -> subprocess.CompletedProcess[str]:
    """Start a quick run; at the moment ``arm`` names, send ``signals`` to it one after another,
    each once the run has answered the one before (it says it is stopping); ``answered`` is
    set once it has answered the last."""
    command = cli("run", "--profile", "quick", "--junit-xml", str(folder / "junit.xml"), *extra)
    child = subprocess.Popen(
        command,
        env=run_env(staging, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=folder,
    )
    acknowledged, sent = threading.Event(), threading.Event()
    streams: dict[str, list[str]] = {"stdout": [], "stderr": []}

    def read(name: str, stream: IO[str]) -> None:
        for line in stream:
            streams[name].append(line)
            if line.startswith(STOPPING):
                acknowledged.set()

    readers = [
        threading.Thread(target=read, args=(name, stream), daemon=True)
        for name, stream in (("stdout", child.stdout), ("stderr", child.stderr))
    ]
    for reader in readers:
        reader.start()

    def send_all() -> None:
        for index, signum in enumerate(signals, start=1):
            os.kill(child.pid, signum)
            if index < len(signals) or answered is not None:
                # Signals of one kind do not queue: the next waits until this one was handled.
                acknowledged.wait(timeout=ACKNOWLEDGED_WITHIN)
                acknowledged.clear()
        if answered is not None:
            answered.set()

    def fire() -> None:
        if not sent.is_set():
            sent.set()
            threading.Thread(target=send_all, daemon=True).start()

    arm(staging, fire)
    child.wait(timeout=SUITE_RUN_TIMEOUT)
    for reader in readers:
        reader.join(timeout=SUITE_RUN_TIMEOUT)
    for stream in (child.stdout, child.stderr):
        if stream is not None:
            stream.close()
    stdout, stderr = "".join(streams["stdout"]), "".join(streams["stderr"])
    assert sent.is_set(), "the moment never came: " + stdout[-2000:]
    return subprocess.CompletedProcess(command, child.returncode, stdout, stderr)


def junit_property(path: Path, name: str) -> str | None:
    root = ET.parse(path).getroot()
    return next(
        (prop.get("value") for prop in root.iter("property") if prop.get("name") == name), None
    )


@pytest.mark.parametrize("moment", sorted(MOMENTS))
@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=["SIGTERM", "SIGINT", "SIGHUP"]
)
def test_a_signal_stops_the_run_cleanly(tmp_path: Path, moment: str, signum: int) -> None:
    extra, arm_at = MOMENTS[moment]
    gate = CleanupGate(tmp_path)
    with shared_staging(wrap=gate.wrap) as staging:
        done = run_and_signal(
            staging,
            tmp_path,
            extra,
            arm_at(gate),
            [signum],
            env=gate.env,
            answered=gate.opened if moment == "during-cleanup" else None,
        )
        gate.opened.set()  # nothing may stay held once the run has ended, whatever it answered
        changed, added = staging.changes()
        assert staging.foreign_writes() == [] and changed == {}
        assert added == {}, f"left behind: {sorted(row[2] for row in added.values())}"
    output = done.stdout + done.stderr
    assert done.returncode == 4, output[-3000:]
    assert "no verdict: the run was interrupted" in output
    assert "verdict: CONFORMANT" not in output and "Traceback" not in output
    if moment == "during-cleanup":
        assert STOPPING in done.stderr, "the signal did not land in the cleanup: " + output[-3000:]
    assert junit_property(tmp_path / "junit.xml", "run_end") == "interrupted"
    certificate = json.loads((tmp_path / "certificate.json").read_text())
    assert (
        certificate["verdict"] == "NO VERDICT (interrupted)" and certificate["conformant"] is False
    )


def test_a_second_signal_exits_at_once_and_says_how_to_finish(tmp_path: Path) -> None:
    """During cleanup a first signal is noted, a second exits; `cleanup --run-id` then removes the rest."""
    gate = CleanupGate(tmp_path)
    with shared_staging(wrap=gate.wrap) as staging:
        done = run_and_signal(
            staging, tmp_path, (), gate.arm, [signal.SIGTERM, signal.SIGTERM], env=gate.env
        )
        assert done.returncode == 4, (done.stdout + done.stderr)[-3000:]
        assert STOPPING in done.stderr and "second signal: exiting at once" in done.stderr
        found = re.search(
            r"audience-conformance cleanup --base-url (\S+) --run-id ([a-z0-9]{6})", done.stderr
        )
        assert found, done.stderr[-2000:]
        _, added = staging.changes()
        assert added, (
            "the run was stopped before its cleanup ended: some of its audiences are still there"
        )
        gate.opened.set()  # the deletes held when the run exited reach the server now
        finish = run_cli(staging, "cleanup", "--run-id", found.group(2), cwd=tmp_path)
        assert finish.returncode == 0, finish.stdout + finish.stderr
        changed, added = staging.changes()
        assert changed == {} and added == {}


def test_the_time_budget_is_a_hard_bound(tmp_path: Path) -> None:
    """At --max-duration no new test starts, the current one stops, the run cleans up: NO VERDICT,
    no traceback. The budget counts from the run's start, its first request (a process's start
    and imports, seconds on a loaded machine, come before it)."""
    budget = 8
    seen: list[Arrival] = []
    with shared_staging(wrap=lambda app, _store, _keys: RecordsArrivals(app, seen)) as staging:
        done = run_cli(
            staging,
            "run",
            "--profile",
            "default",
            "--max-duration",
            str(budget),
            "--junit-xml",
            str(tmp_path / "junit.xml"),
            cwd=tmp_path,
        )
        elapsed = time.monotonic() - seen[0].at
        changed, added = staging.changes()
        assert staging.foreign_writes() == [] and changed == {} and added == {}
    output = done.stdout + done.stderr
    assert done.returncode == 4, output[-3000:]
    late = [
        f"{a.method} {a.path}"
        for a in seen
        if a.at > seen[0].at + budget + 2 and a.method != "DELETE"
    ]
    assert late == [], f"sent after the budget of {budget} s (the cleanup only deletes): {late[:5]}"
    assert elapsed <= budget + 10, f"the run took {elapsed:.1f} s on a budget of {budget} s"
    assert "no verdict: the run's time budget (--max-duration) ran out" in output
    assert (
        "Traceback" not in output
        and "RunDeadlineExceeded" not in output
        and "verdict: CONFORMANT" not in output
    )
    assert junit_property(tmp_path / "junit.xml", "run_end") == "budget_spent"
    assert (
        json.loads((tmp_path / "certificate.json").read_text())["verdict"]
        == "NO VERDICT (time budget spent)"
    )
