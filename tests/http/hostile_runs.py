"""A run of the suite against a hostile target, in a process of its own: its exit, its output, its
JUnit and its peak memory, and the bound it must end within."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from recording_server import RecordingServer, Reply

from conformance.verdict.junit_records import read_records
from conformance.verdict.per_rule import TestRecord

StartServer = Callable[[Callable[[str, str], Reply]], RecordingServer]
MAX_DURATION = (
    300.0  # generous: a loaded CI machine must not turn a bounded run into an incomplete one
)
SLACK = 60.0  # interpreter start, collection, cleanup and the certificate, beyond the run's budget
KEY, SECONDARY_KEY = "hostile-key-primary-0001", "hostile-key-secondary-0002"
HUGE_BODY = 50 * 1024 * 1024
MEASURE_PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "print(f'peak-rss-kib {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@dataclass
class HostileRun:
    exit_code: int
    stdout: str
    stderr: str
    records: list[TestRecord]
    seconds: float
    peak_mib: float

    @property
    def output(self) -> str:
        """Everything a user would read: the console and each failing test's details."""
        details = "\n".join(record.detail for record in self.records if record.outcome == "failed")
        return f"{self.stdout}\n{self.stderr}\n{details}"

    def failed_rules(self) -> set[str]:
        return {rule for record in self.records for rule in record.failed_rules}

    def explain(self) -> str:
        return f"exit {self.exit_code} after {self.seconds:.0f}s, peak {self.peak_mib:.0f} MiB, failed {sorted(self.failed_rules())}\n{self.stdout[-2500:]}\n{self.stderr[-1500:]}"


def run_against(
    base_url: str, *, rules: Sequence[str] = (), extra: Sequence[str] = (), secondary: bool = True
) -> HostileRun:
    """``audience-conformance run`` (quick profile, bounded) in a process whose peak memory is measured."""
    with tempfile.TemporaryDirectory(prefix="hostile-run-") as folder:
        junit = Path(folder) / "junit.xml"
        command = [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--base-url",
            base_url,
            "--profile",
            "quick",
            "--seed",
            "1",
        ]
        command += ["--junit-xml", str(junit), "--max-duration", str(MAX_DURATION), *extra]
        for rule in rules:
            command += ["--rule", rule]
        env = {**os.environ, "AUDIENCE_API_KEY": KEY, "AUDIENCE_SECONDARY_API_KEY": SECONDARY_KEY}
        if not secondary:
            del env["AUDIENCE_SECONDARY_API_KEY"]
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", MEASURE_PEAK, *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=MAX_DURATION + 2 * SLACK,
            cwd=folder,
            check=False,
        )
        seconds = time.monotonic() - started
        records = read_records(junit) if junit.exists() else []
    peak = next(
        (
            int(line.split()[1])
            for line in done.stderr.splitlines()
            if line.startswith("peak-rss-kib ")
        ),
        0,
    )
    return HostileRun(done.returncode, done.stdout, done.stderr, records, seconds, peak / 1024)


def assert_bounded(run: HostileRun) -> None:
    assert run.seconds < MAX_DURATION + SLACK, run.explain()
