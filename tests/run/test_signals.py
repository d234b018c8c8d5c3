"""Ctrl-C, a CI cancel (SIGTERM) and a closed terminal (SIGHUP) end a run cleanly, at any moment.

The signal is sent by the server's own view of the run (the requests it has received), at
three moments: while the run creates its data set, in the middle of the suite, and while the
run deletes what it created (its first delete once it has said its tests are done). Every
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
from staging import SUITE_RUN_TIMEOUT, Staging, cli, run_cli, run_env, shared_staging
from starlette.types import ASGIApp, Receive, Scope, Send

pytestmark = pytest.mark.slow

Trigger = Callable[
    [str, str, int], bool
]  # (method, path, status) of each write the server answered -> send now?


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


def first_delete_after_the_tests(said_done: threading.Event) -> Trigger:
    """The cleanup's first delete: the first after the run said its tests were done (the
    cleanup deletes no more than the run's data set and what no test deleted itself, a few
    dozen audiences, fewer than a test may delete together: no count of deletes tells it)."""

    def fire(method: str, path: str, status: int) -> bool:
        return method == "DELETE" and said_done.is_set()

    return fire


MOMENTS: dict[str, tuple[tuple[str, ...], Callable[[threading.Event], Trigger]]] = {
    "creating-the-data-set": (("-k", "pagination"), lambda said_done: creates(3)),
    "mid-suite": ((), lambda said_done: writes(60)),
    "during-cleanup": ((), first_delete_after_the_tests),
}
TESTS_DONE = "audience-conformance: tests done:"  # the stage line printed before the cleanup


def run_and_signal(
    staging: Staging,
    folder: Path,
    extra: tuple[str, ...],
    make_trigger: Callable[[threading.Event], Trigger],
    signals: list[int],
) -> tuple[subprocess.CompletedProcess[str], int]:
    """Start a quick run; when the trigger fires, send ``signals`` to it one after another. The
    trigger sees each write the server answered, and whether the run has said its tests are done."""
    command = cli("run", "--profile", "quick", "--junit-xml", str(folder / "junit.xml"), *extra)
    child = subprocess.Popen(
        command,
        env=run_env(staging),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=folder,
    )
    said_done, sent = threading.Event(), threading.Event()
    trigger = make_trigger(said_done)
    streams: dict[str, list[str]] = {"stdout": [], "stderr": []}

    def read(name: str, stream: IO[str]) -> None:
        for line in stream:
            streams[name].append(line)
            if line.startswith(TESTS_DONE):
                said_done.set()

    readers = [
        threading.Thread(target=read, args=(name, stream), daemon=True)
        for name, stream in (("stdout", child.stdout), ("stderr", child.stderr))
    ]
    for reader in readers:
        reader.start()

    def send_all() -> None:
        for signum in signals:
            os.kill(child.pid, signum)
            time.sleep(0.2)  # signals of one kind do not queue: let the first be handled

    def listener(method: str, path: str, status: int) -> None:
        if not sent.is_set() and trigger(method, path, status):
            sent.set()
            threading.Thread(target=send_all, daemon=True).start()

    staging.writes.listeners.append(listener)
    child.wait(timeout=SUITE_RUN_TIMEOUT)
    for reader in readers:
        reader.join(timeout=SUITE_RUN_TIMEOUT)
    for stream in (child.stdout, child.stderr):
        if stream is not None:
            stream.close()
    stdout, stderr = "".join(streams["stdout"]), "".join(streams["stderr"])
    assert sent.is_set(), "the moment never came: " + stdout[-2000:]
    return subprocess.CompletedProcess(command, child.returncode, stdout, stderr), len(
        staging.writes.seen
    )


def slow_deletes(app: ASGIApp, store: object, accounts: object) -> ASGIApp:
    """A server whose deletes take 200 ms: a cleanup of a few dozen audiences, eight at a time,
    lasts long enough to signal twice."""

    async def slowed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "DELETE":
            await asyncio.sleep(0.2)
        await app(scope, receive, send)

    return slowed


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
    extra, make_trigger = MOMENTS[moment]
    with shared_staging() as staging:
        done, _ = run_and_signal(staging, tmp_path, extra, make_trigger, [signum])
        changed, added = staging.changes()
        assert staging.foreign_writes() == [] and changed == {}
        assert added == {}, f"left behind: {sorted(row[2] for row in added.values())}"
    output = done.stdout + done.stderr
    assert done.returncode == 4, output[-3000:]
    assert "no verdict: the run was interrupted" in output
    assert "verdict: CONFORMANT" not in output and "Traceback" not in output
    assert junit_property(tmp_path / "junit.xml", "run_end") == "interrupted"
    certificate = json.loads((tmp_path / "certificate.json").read_text())
    assert (
        certificate["verdict"] == "NO VERDICT (interrupted)" and certificate["conformant"] is False
    )


def test_a_second_signal_exits_at_once_and_says_how_to_finish(tmp_path: Path) -> None:
    """During cleanup a first signal is noted, a second exits; `cleanup --run-id` then removes the rest."""
    with shared_staging(wrap=slow_deletes) as staging:
        done, _ = run_and_signal(
            staging, tmp_path, (), first_delete_after_the_tests, [signal.SIGTERM, signal.SIGTERM]
        )
        assert done.returncode == 4
        found = re.search(
            r"audience-conformance cleanup --base-url (\S+) --run-id ([a-z0-9]{6})", done.stderr
        )
        assert found, done.stderr[-2000:]
        _, added = staging.changes()
        assert added, (
            "the run was stopped before its cleanup ended: some of its audiences are still there"
        )
        finish = run_cli(staging, "cleanup", "--run-id", found.group(2), cwd=tmp_path)
        assert finish.returncode == 0, finish.stdout + finish.stderr
        changed, added = staging.changes()
        assert changed == {} and added == {}


def test_the_time_budget_is_a_hard_bound(tmp_path: Path) -> None:
    """At --max-duration no new test starts, the current one stops, the run cleans up: NO VERDICT, no traceback."""
    budget = 8
    with shared_staging() as staging:
        started = time.monotonic()
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
        elapsed = time.monotonic() - started
        changed, added = staging.changes()
        assert staging.foreign_writes() == [] and changed == {} and added == {}
    output = done.stdout + done.stderr
    assert done.returncode == 4, output[-3000:]
    assert elapsed <= budget + 15, f"the run took {elapsed:.1f} s on a budget of {budget} s"
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
