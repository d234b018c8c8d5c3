"""Under workers the pagination data set is made once per run, walked by every worker that
needs it, and deleted once at the end: counted at the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from staging import run_cli, shared_staging

from conformance.run.profiles import PROFILES

pytestmark = pytest.mark.slow
# Quiet readers only (walks of the data set, filters, contacts pages): the data set is all they create.
READERS = "test_filters or test_contacts_pagination"


def test_the_data_set_is_made_once_for_all_workers_and_deleted_once(tmp_path: Path) -> None:
    with shared_staging() as staging:
        creates: list[str] = []
        staging.writes.listeners.append(
            lambda method, path, status: (
                creates.append(path) if (method, status) == ("POST", 201) else None
            )
        )
        done = run_cli(
            staging,
            "run",
            "--profile",
            "quick",
            "--workers",
            "3",
            "-k",
            READERS,
            "--junit-xml",
            str(tmp_path / "junit.xml"),
            cwd=tmp_path,
        )
        changed, added = staging.changes()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    size = PROFILES["quick"].dataset_size
    assert len(creates) == size  # not once per worker
    assert (
        f"cleanup: deleted {size} audience" in done.stdout
    )  # from the maker's journal only, none twice
    assert changed == {} and added == {}
