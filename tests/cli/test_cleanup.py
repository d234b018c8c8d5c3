"""`audience-conformance cleanup` on a shared account: only old leftovers of suite runs go, each one printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from staging import LONG_AGO, OLD, PRE_EXISTING, Staging, run_cli, shared_staging

pytestmark = pytest.mark.slow


def _names_left(staging: Staging) -> list[str]:
    changed, added = staging.changes()
    assert not added
    return sorted(row[2] for row in staging.before.values() if row[0] not in changed)


def _all_names() -> list[str]:
    return sorted([name for name, *_ in PRE_EXISTING] * 2 + [name for name, _ in OLD] * 2)


def test_without_a_run_id_only_leftovers_older_than_an_hour_go(tmp_path: Path) -> None:
    """A run going on now (its prefixed audiences are young) keeps its data; each deletion is printed."""
    with shared_staging() as staging:
        done = run_cli(staging, "cleanup", cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        left = _names_left(staging)
        gone = [row for row in staging.before.values() if row[4] == LONG_AGO]
    old = sorted(name for name, _ in OLD)
    assert left == sorted(name for name in _all_names() if name not in old)
    assert len(gone) == 2 * len(OLD)
    for audience_id, _, name, *_ in gone:
        assert f"deleted {audience_id} {name!r}" in done.stdout  # each deletion, by id and name
    assert "kept 2 prefixed audience(s) younger than --older-than" in done.stdout
    assert "acxzzz999_other_pipeline" not in done.stdout


def test_a_dry_run_lists_what_would_go_and_sends_no_write(tmp_path: Path) -> None:
    with shared_staging() as staging:
        done = run_cli(staging, "cleanup", "--dry-run", cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert staging.writes.seen == []
        assert _names_left(staging) == _all_names()
    assert done.stdout.count("would delete ") == 2 * len(OLD) + 2
    assert f"(created {LONG_AGO})" in done.stdout


def test_a_run_id_removes_that_run_whatever_its_age(tmp_path: Path) -> None:
    with shared_staging() as staging:
        done = run_cli(staging, "cleanup", "--run-id", "zzz999", cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        left = _names_left(staging)
    assert left == sorted(name for name in _all_names() if name != "acxzzz999_other_pipeline")


def test_older_than_zero_removes_every_leftover_of_the_suite_and_nothing_else(
    tmp_path: Path,
) -> None:
    with shared_staging() as staging:
        done = run_cli(staging, "cleanup", "--older-than", "0s", cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        left = _names_left(staging)
    assert left == sorted(name for name in _all_names() if not name.startswith("acx"))


def test_a_refused_key_is_named_with_its_status(tmp_path: Path) -> None:
    with shared_staging() as staging:
        done = run_cli(
            staging,
            "cleanup",
            "--api-key",
            "not-a-key-of-this-server",
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "AUDIENCE_BASE_URL": staging.base_url},
        )
        assert staging.writes.seen == []
    assert done.returncode == 3  # as for run: the target refuses the key
    assert "HTTP 401 (the key was refused); nothing deleted" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("age", ["soon", "-1h", "1y", ""])
def test_a_bad_age_is_a_usage_error(tmp_path: Path, age: str) -> None:
    with shared_staging() as staging:
        done = run_cli(staging, "cleanup", f"--older-than={age}", cwd=tmp_path)
        assert staging.writes.seen == []
    assert done.returncode == 2
    assert "--older-than takes an age" in done.stderr and "Traceback" not in done.stderr
