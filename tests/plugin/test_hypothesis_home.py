"""A run keeps Hypothesis' files in a folder of its own, which its workers share and which is gone
at its end; the Unicode tables it made, once, are in the user's cache for the next run."""

from __future__ import annotations

from pathlib import Path

import pytest
from staging import run_cli, run_env, shared_staging

pytestmark = pytest.mark.slow


def test_workers_leave_no_hypothesis_folder_and_the_tables_are_cached(tmp_path: Path) -> None:
    user_folder, temporary, cache = tmp_path / "work", tmp_path / "tmp", tmp_path / "cache"
    for folder in (user_folder, temporary):
        folder.mkdir()
    with shared_staging() as staging:
        done = run_cli(
            staging,
            "run",
            "--profile",
            "quick",
            "--workers",
            "2",
            "-k",
            "test_filters",
            "--junit-xml",
            str(tmp_path / "junit.xml"),
            cwd=user_folder,
            env=run_env(staging, TMPDIR=str(temporary), XDG_CACHE_HOME=str(cache)),
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert sorted(path.name for path in user_folder.iterdir()) == []
    assert sorted(path.name for path in temporary.iterdir()) == []
    assert list(cache.rglob("codec-v2-utf-8.json.gz")) and list(cache.rglob("charmap.json.gz"))
