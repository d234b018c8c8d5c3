"""Wall time of a run against the reference answering late, against the same run on loopback.

A staging across a network answers tens of milliseconds late, and a run sends thousands of
requests. What bounds it there is its critical path: the longest chain of requests each of
which waits for the one before (a walk following ``next``); everything else can be in flight
together (workers, ``--concurrency``). The reference is served by ``audience-conformance serve
--latency-ms`` in a child process (a fresh database each run), and the suite runs in another
child against it, as a user would run both, with the options a user would pass. Each profile's
baseline is the same run with 1 worker and no added latency, on the same machine in the same
benchmark. Targets: at +50 ms with ``--workers auto``, the default profile at most 2.5x its
baseline and quick at most 2x.

A loopback run is all CPU and a run at +50 ms mostly waits, so the machine's pace moves the
ratio: on one 2-core machine within an hour, quick's baseline took 8.5 s in one benchmark and
13.8 s in the next. The benchmark therefore runs in rounds (``--latency-rounds``, 3 by default):
each round times the baseline and, right after it, the runs at the added latency; each of those
is compared with its own round's baseline, and a target is judged on the median of the rounds'
ratios, not on one baseline that happened to fall on a fast or a slow minute.

Each run reports its requests (as the run counts them) and its longest chain (``longest_chain``
in JUnit): the chain times the added latency is the floor no worker count lowers; the requests
times the latency over ``--concurrency`` (8) are the floor of a run that kept 8 in flight at
every moment.

Workers order their tests by what the last run of the profile measured (kept in the cache
folder; before any, the chains the suite carries). Each setting at the added latency is therefore
timed twice: as a first run (a cache folder with no history) and after a run (the history the
baseline just left, as in a CI job that keeps the cache). Both cache folders start with the machine's Unicode tables, so neither
run pays for computing them.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from common import PYTHON

from conformance.http.connection_slots import DEFAULT_CONCURRENCY

RUN_TIMEOUT = 3600.0
TARGET_RATIO = {"default": 2.5, "quick": 2.0}


@dataclass(frozen=True)
class LatencyRun:
    profile: str
    latency_ms: float
    workers: str
    history: str  # what the workers ordered their tests by: "first run" (the chains the suite carries) or "last run"
    seconds: float
    exit_code: int
    verdict: str
    requests: int
    longest_chain: int
    round: int = 1  # a run at the added latency is compared with its round's baseline

    @property
    def floor_seconds(self) -> float:
        """The least time the longest chain takes at this latency."""
        return self.longest_chain * self.latency_ms / 1000

    @property
    def concurrency_floor_seconds(self) -> float:
        """The least time all the requests take at this latency, ``--concurrency`` (its default)
        in flight at every moment: a floor whatever the order."""
        return self.requests * self.latency_ms / 1000 / DEFAULT_CONCURRENCY


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


def machine_tables() -> None:
    """Have the machine's cache hold the Unicode tables of the installed Hypothesis: on a machine
    where no run has made them yet, the first timed run would otherwise pay for them."""
    from conformance.checks.unicode_tables import cache_folder

    if cache_folder().is_dir():
        return
    with tempfile.TemporaryDirectory(prefix="bench-tables-") as home:
        subprocess.run(
            [PYTHON, "-c", "from conformance.checks.unicode_tables import make; make()"],
            env={**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": home}, check=True,
        )  # fmt: skip


def fresh_cache(folder: Path) -> Path:
    """A cache folder holding the machine's Unicode tables and no history of earlier runs."""
    from conformance.run.cache_home import cache_home

    machine_tables()
    home = folder / "audience-conformance"
    home.mkdir(parents=True)
    if cache_home().is_dir():
        for tables in cache_home().glob("hypothesis-*"):
            shutil.copytree(tables, home / tables.name)
    return folder


def run_once(
    latency_ms: float, workers: str, profile: str, seed: int, cache: Path, history: str
) -> LatencyRun:
    from conformance.reference.keys import generate_key

    key, other = generate_key(), generate_key()
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as folder:
        server = subprocess.Popen(
            [PYTHON, "-m", "conformance", "serve", "--db", str(Path(folder) / "ref.sqlite3"), "--port", str(port),
             "--key", f"{key}=account-1", "--key", f"{other}=account-2", "--latency-ms", str(latency_ms)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        junit = Path(folder) / "junit.xml"
        try:
            _wait_for(port)
            env = {
                **os.environ,
                "AUDIENCE_BASE_URL": f"http://127.0.0.1:{port}",
                "AUDIENCE_API_KEY": key,
                "AUDIENCE_SECONDARY_API_KEY": other,
                "XDG_CACHE_HOME": str(cache),
            }
            command = [PYTHON, "-m", "conformance", "run", "--profile", profile, "--seed", str(seed),
                       "--workers", workers, "--junit-xml", str(junit)]  # fmt: skip
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                                  cwd=folder, env=env, check=False)  # fmt: skip
            seconds = time.perf_counter() - started
            chain = _longest_chain(junit)
        finally:
            server.terminate()
            server.wait(10)
    if done.returncode != 0:
        print(f"  +{latency_ms:g} ms, {workers} worker(s): exit {done.returncode}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}")  # fmt: skip
    return LatencyRun(profile, latency_ms, workers, history, seconds, done.returncode, _verdict(done.stdout),
                      _requests(done.stdout), chain)  # fmt: skip


def _verdict(stdout: str) -> str:
    return next(
        (line.removeprefix("verdict: ") for line in stdout.splitlines() if line.startswith("verdict: ")),
        "no verdict",
    )  # fmt: skip


def _requests(stdout: str) -> int:
    found = re.search(r"tests done: \d+ of \d+, (\d+) requests", stdout)
    return int(found.group(1)) if found else 0


def _longest_chain(junit: Path) -> int:
    if not junit.is_file():
        return 0
    for prop in ET.parse(junit).iter("property"):
        if prop.get("name") == "longest_chain":
            return int(str(prop.get("value")).split()[0])
    return 0


def measure(
    profiles: list[str], latency_ms: float, workers: list[str], seed: int = 1, rounds: int = 1
) -> list[LatencyRun]:
    """Per profile and round: the baseline (no latency, 1 worker), then each worker setting at
    the added latency as a first run and after the baseline."""
    runs = []
    for profile in profiles:
        for number in range(1, rounds + 1):
            runs += _round(profile, latency_ms, workers, seed, number)
    return runs


def _round(
    profile: str, latency_ms: float, workers: list[str], seed: int, number: int
) -> list[LatencyRun]:
    """One round of a profile, each run with cache folders of the round's own."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as caches:
        after = fresh_cache(Path(caches) / "after-a-run")
        settings = [(0.0, "1", after, "-")]  # one worker: no order to choose
        for count in workers:
            first = fresh_cache(Path(caches) / f"first-{count}")
            settings += [
                (latency_ms, count, first, "first run"),
                (latency_ms, count, after, "last run"),
            ]
        for latency, count, cache, history in settings:
            run = dataclasses.replace(
                run_once(latency, count, profile, seed, cache, history), round=number
            )
            print(f"  {profile}, round {number}, +{latency:g} ms, {count} worker(s), history {history}: {run.seconds:.1f} s, "
                  f"{run.requests} requests, longest chain {run.longest_chain}, exit {run.exit_code}", flush=True)  # fmt: skip
            runs.append(run)
    return runs
