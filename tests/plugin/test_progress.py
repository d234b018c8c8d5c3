"""Progress: one live line on a terminal; in a log (a pipe) one line per stage and no live line."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
LIVE = re.compile(r"\raudience-conformance: \d+/\d+ tests, \d+ requests, \d+ s")
STAGES = ("collected", "preflight done", "tests done", "cleanup done")


def command(tmp_path: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "--profile",
        "quick",
        "--rule",
        "AUTH-01",
        "--seed",
        "1",
        "--junit-xml",
        str(tmp_path / "junit.xml"),
        *extra,
    ]


def on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, cwd=cwd
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the child is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return child.wait(timeout=600), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("workers", [(), ("--workers", "2")], ids=["one-process", "workers"])
def test_a_terminal_sees_the_live_line_and_the_stages(
    tmp_path: Path, workers: tuple[str, ...]
) -> None:
    code, output = on_a_terminal(command(tmp_path, *workers), tmp_path)
    assert code == 0, output[-3000:]
    assert LIVE.search(output), output[-3000:]
    counts = [int(found.group(1)) for found in re.finditer(r"tests, (\d+) requests", output)]
    assert counts and max(counts) > 0, "the requests sent are counted"
    for stage in STAGES:
        assert f"audience-conformance: {stage}" in output


def test_a_log_sees_one_line_per_stage_and_no_live_line(tmp_path: Path) -> None:
    done = subprocess.run(
        command(tmp_path, "--workers", "2"),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "\r" not in done.stdout and not LIVE.search(done.stdout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("audience-conformance: ")]
    assert [
        next(stage for stage in STAGES if line.startswith(f"audience-conformance: {stage}"))
        for line in lines
    ] == ["preflight done", "collected", "tests done", "cleanup done"]
    found = re.search(
        r"tests done: (\d+) of \1, ([1-9]\d*) requests, longest chain ([1-9]\d*) requests \(test_\w+",
        done.stdout,
    )
    assert found, done.stdout[-2000:]
    # The chain counts the workers' tests (their reports carry it) and never exceeds what was sent.
    assert int(found.group(3)) <= int(found.group(2))
    junit = (tmp_path / "junit.xml").read_text()
    assert re.search(rf'name="longest_chain" value="{found.group(3)} [^"]+::test_', junit)
