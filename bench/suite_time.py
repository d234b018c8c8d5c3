"""Wall time of ``audience-conformance run`` against the embedded reference, per profile.

Each run is a child process, as a user starts it; repetition ``i`` uses seed ``i + 1`` in every
profile, so two benchmark runs do the same work. The figure is the median of the repetitions.
"""

from __future__ import annotations

import resource
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import PYTHON, median

RUN_TIMEOUT = 3600.0


@dataclass(frozen=True)
class ProfileResult:
    profile: str
    seconds: list[float]  # wall time of each repetition
    cpu_seconds: list[float]  # user + system time of each child (the suite and its embedded server)
    exit_codes: list[int]

    @property
    def median(self) -> float:
        return median(self.seconds)

    @property
    def median_cpu(self) -> float:
        return median(self.cpu_seconds)


def run_once(profile: str, seed: int) -> tuple[float, float, int]:
    """One run in a child process: (wall seconds, CPU seconds, exit code)."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as folder:
        command = [
            PYTHON,
            "-m",
            "conformance",
            "run",
            "--profile",
            profile,
            "--seed",
            str(seed),
            "--junit-xml",
            str(Path(folder) / "junit.xml"),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=folder, check=False
        )
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        print(
            f"  {profile} seed {seed}: exit {done.returncode}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
        )
    return seconds, cpu, done.returncode


def measure(profiles: list[str], repeats: dict[str, int]) -> list[ProfileResult]:
    results = []
    for profile in profiles:
        runs = [run_once(profile, seed) for seed in range(1, repeats[profile] + 1)]
        results.append(
            ProfileResult(
                profile,
                [run[0] for run in runs],
                [run[1] for run in runs],
                [run[2] for run in runs],
            )
        )
        print(f"  {profile}: " + ", ".join(f"{run[0]:.1f} s" for run in runs), flush=True)
    return results
