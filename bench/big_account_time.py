"""The default profile on an account that already holds 5,000 audiences, against an empty one.

The reference serves a database filled directly (one bulk insert, :mod:`big_account`), from a
process of its own that counts the requests it answers; ``audience-conformance run`` runs as a
user starts it, with the keys in its environment. Target: at most 1.5 times the wall time and
the requests of the same run on an empty account, and the same verdict.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from big_account import fill
from common import PYTHON, child_environment, child_server

from conformance.reference.keys import generate_key
from conformance.reference.store import Store

PRIMARY, SECONDARY = "bench-primary", "bench-secondary"
RUN_TIMEOUT = 3600.0


@dataclass(frozen=True)
class AccountRun:
    held: int  # audiences in the primary account before the run
    profile: str
    seed: int
    seconds: float
    requests: int  # answered by the server during the run
    exit_code: int
    walked_to_end: str  # the certificate's line


def run_once(held: int, profile: str, seed: int) -> AccountRun:
    with tempfile.TemporaryDirectory(prefix="bench-big-") as folder:
        db = Path(folder) / "audiences.sqlite3"
        if held:
            fill(db, PRIMARY, held)
        else:
            Store(str(db)).close()
        primary, secondary = generate_key(), generate_key()
        with child_server(
            {"app": "reference", "db": str(db), "keys": {primary: PRIMARY, secondary: SECONDARY}}
        ) as server:
            env = child_environment(
                AUDIENCE_BASE_URL=server.base_url,
                AUDIENCE_API_KEY=primary,
                AUDIENCE_SECONDARY_API_KEY=secondary,
            )
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
            before = server.requests_served()
            started = time.perf_counter()
            done = subprocess.run(
                command,
                env=env,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
                cwd=folder,
                check=False,
            )
            seconds = time.perf_counter() - started
            served = server.requests_served() - before
        if done.returncode != 0:
            print(
                f"  {held} audiences, seed {seed}: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-1500:]}"
            )
        certificate = Path(folder) / "certificate.json"
        walked = (
            json.loads(certificate.read_text())["run"].get("walked_to_end", "?")
            if certificate.is_file()
            else "?"
        )
    return AccountRun(held, profile, seed, seconds, served, done.returncode, walked)


def measure(sizes: list[int], profile: str, repeats: int) -> list[AccountRun]:
    results = []
    for held in sizes:
        for seed in range(1, repeats + 1):
            result = run_once(held, profile, seed)
            results.append(result)
            print(
                f"  {held:,} audiences, seed {seed}: {result.seconds:.1f} s, {result.requests} requests, exit {result.exit_code}",
                flush=True,
            )
    return results
