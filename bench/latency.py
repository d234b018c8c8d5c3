"""Wall time of a default run against the reference answering 50 ms late, with 1, 2 and 4 workers.

A staging across a network answers tens of milliseconds late, and a run sends thousands of
requests: workers overlap those waits. The reference is served by ``audience-conformance serve
--latency-ms`` in a child process (a fresh database each run), and the suite runs in another
child against it, as a user would run both. The baseline is the same run with 1 worker and no
added latency. Target: with 4 workers, at most 2.5x the baseline.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import PYTHON

RUN_TIMEOUT = 3600.0
TARGET_RATIO = 2.5


@dataclass(frozen=True)
class LatencyRun:
    latency_ms: float
    workers: int
    seconds: float
    exit_code: int
    verdict: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the reference did not start on port {port}")


def run_once(latency_ms: float, workers: int, profile: str, seed: int) -> LatencyRun:
    from conformance.reference.keys import generate_key

    key, other = generate_key(), generate_key()
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as folder:
        server = subprocess.Popen(
            [PYTHON, "-m", "conformance", "serve", "--db", str(Path(folder) / "ref.sqlite3"), "--port", str(port),
             "--key", f"{key}=account-1", "--key", f"{other}=account-2", "--latency-ms", str(latency_ms)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait_for(port)
            env = {
                **os.environ,
                "AUDIENCE_BASE_URL": f"http://127.0.0.1:{port}",
                "AUDIENCE_API_KEY": key,
                "AUDIENCE_SECONDARY_API_KEY": other,
            }
            command = [
                PYTHON,
                "-m",
                "conformance",
                "run",
                "--profile",
                profile,
                "--seed",
                str(seed),
                "--workers",
                str(workers),
                "--junit-xml",
                str(Path(folder) / "junit.xml"),
            ]
            started = time.perf_counter()
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
                cwd=folder,
                env=env,
                check=False,
            )
            seconds = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(10)
    verdict = next(
        (
            line.removeprefix("verdict: ")
            for line in done.stdout.splitlines()
            if line.startswith("verdict: ")
        ),
        "no verdict",
    )
    if done.returncode != 0:
        print(
            f"  +{latency_ms:g} ms, {workers} worker(s): exit {done.returncode}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
        )
    return LatencyRun(latency_ms, workers, seconds, done.returncode, verdict)


def measure(profile: str, latency_ms: float, workers: list[int], seed: int = 1) -> list[LatencyRun]:
    """The baseline (no latency, 1 worker), then each worker count at the added latency."""
    runs = []
    for latency, count in [(0.0, 1), *((latency_ms, count) for count in workers)]:
        run = run_once(latency, count, profile, seed)
        print(
            f"  +{latency:g} ms, {count} worker(s): {run.seconds:.1f} s, exit {run.exit_code}",
            flush=True,
        )
        runs.append(run)
    return runs
