"""A run on an account that already holds other people's data touches nothing of theirs and leaves nothing of its own.

Counted at the server: the reference's own database is compared before and after, and every
request that could change something is recorded as the server received it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from staging import SUITE_RUN_TIMEOUT, Staging, run_cli, run_env, shared_staging, with_plugin

pytestmark = pytest.mark.slow

# A build of the suite with the write guard switched off, loaded into the child as a pytest plugin.
UNGUARDED = """
from conformance.http import write_guard
write_guard.WriteGuard.check = lambda self, request: None
write_guard.WriteGuard.allows = lambda self, method, path, **_: True
"""


def assert_untouched_and_clean(staging: Staging) -> None:
    changed, added = staging.changes()
    assert staging.foreign_writes() == []
    assert changed == {}, f"pre-existing audiences changed or gone: {changed}"
    assert added == {}, f"left behind by the run: {sorted(row[2] for row in added.values())}"


@pytest.mark.parametrize(
    "profile, extra", [("quick", ()), ("default", ("--strict",)), ("thorough", ())]
)
def test_a_run_changes_nothing_it_did_not_create_and_leaves_nothing(
    tmp_path: Path, profile: str, extra: tuple[str, ...]
) -> None:
    with shared_staging() as staging:
        done = run_cli(
            staging,
            "run",
            "--profile",
            profile,
            "--junit-xml",
            str(tmp_path / "junit.xml"),
            *extra,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        assert len(staging.writes.seen) > 100  # the run did write: the checks below are not vacuous
        assert_untouched_and_clean(staging)
    assert "cleanup: deleted" in done.stdout


def test_the_plain_pytest_route_changes_nothing_it_did_not_create(tmp_path: Path) -> None:
    with shared_staging() as staging:
        command = [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "conformance.suite",
            "-p",
            "no:cacheprovider",
            "--audience-profile",
            "quick",
            f"--junit-xml={tmp_path / 'junit.xml'}",
        ]
        done = subprocess.run(
            command,
            env=run_env(staging),
            capture_output=True,
            text=True,
            timeout=SUITE_RUN_TIMEOUT,
            cwd=tmp_path,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        assert len(staging.writes.seen) > 100
        assert_untouched_and_clean(staging)
    assert (tmp_path / "certificate.json").is_file()


def test_a_build_without_the_guard_is_caught_by_these_checks(tmp_path: Path) -> None:
    """The proof that the checks above can fail: with the guard switched off, the stateful test
    follows links from the account's list to audiences that are not the run's, and writes to them."""
    caught = []
    for seed in ("1", "2", "3"):
        with shared_staging() as staging:
            env = with_plugin(staging, tmp_path, "unguarded", UNGUARDED)
            run_cli(
                staging,
                "run",
                "--profile",
                "default",
                "--seed",
                seed,
                "--rule",
                "CRUD-05",
                "--junit-xml",
                str(tmp_path / "junit.xml"),
                cwd=tmp_path,
                env=env,
            )
            changed, _ = staging.changes()
            caught.append(bool(staging.foreign_writes()) and bool(changed))
    assert all(caught), caught
