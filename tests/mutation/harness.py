"""Serving a catalogued server on loopback, and running the whole suite against it as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from conformance.reference.keys import generate_key
from conformance.reference.server import ReferenceServer
from conformance.reference.store import Store
from conformance.verdict.junit_records import read_records
from conformance.verdict.per_rule import TestRecord
from mutation.catalogue import Server

SUITE_RUN_TIMEOUT = 600.0


@dataclass(frozen=True)
class Served:
    base_url: str
    api_key: str
    secondary_api_key: str


@dataclass
class SuiteRun:
    exit_code: int
    stdout: str
    stderr: str
    records: list[TestRecord] = field(default_factory=list)
    folder: Path | None = (
        None  # the run's working folder: JUnit, certificate, anything else it wrote
    )

    def failed_rules(self) -> set[str]:
        """Rules some test found broken (charged to the rule each violation names)."""
        return {rule_id for record in self.records for rule_id in record.failed_rules}


@contextmanager
def serve(server: Server, *, keys: tuple[str, str] | None = None) -> Iterator[Served]:
    """Run ``server`` on a free loopback port with a fresh database and two accounts."""
    with tempfile.TemporaryDirectory(prefix=f"served-{server.name}-") as folder:
        store = Store(str(Path(folder) / "audiences.sqlite3"))
        key, secondary = keys or (generate_key(), generate_key())
        app = server.build(store, {key: "account-a", secondary: "account-b"})
        try:
            with ReferenceServer(app) as running:
                yield Served(running.base_url + server.path_prefix, key, secondary)
        finally:
            store.close()


def run_suite(
    served: Served,
    *,
    profile: str = "quick",
    rules: tuple[str, ...] = (),
    extra: tuple[str, ...] = (),
    junit_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    seed: int = 1,
    secondary: bool = True,
) -> SuiteRun:
    """``audience-conformance run`` in a child process, keys given through the environment
    (``environ`` adds variables, or replaces the inherited ones; ``secondary=False`` gives no
    second account's key, as a user with one account runs it). ``seed`` is Hypothesis' seed:
    a proof that holds at one seed only is a proof of that seed, so the report runs several."""
    folder = Path(junit_dir or tempfile.mkdtemp(prefix="suite-run-"))
    junit = folder / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "--base-url",
        served.base_url,
        "--profile",
        profile,
        "--junit-xml",
        str(junit),
        "--seed",
        str(seed),
    ]
    for rule_id in rules:
        command += ["--rule", rule_id]
    command += list(extra)
    env = {
        **(os.environ if environ is None else environ),
        "AUDIENCE_API_KEY": served.api_key,
        "AUDIENCE_SECONDARY_API_KEY": served.secondary_api_key,
    }
    if not secondary:
        del env["AUDIENCE_SECONDARY_API_KEY"]
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUITE_RUN_TIMEOUT,
        cwd=folder,
        check=False,
    )
    records = read_records(junit) if junit.exists() else []
    return SuiteRun(done.returncode, done.stdout, done.stderr, records, folder)
