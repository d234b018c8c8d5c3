"""``run --workers N|auto`` and ``run --shard K/N``: checked once, then handed to pytest."""

from __future__ import annotations

import os

from conformance.errors import SettingsError
from conformance.plugin.sharding import parse_shard


def checked_workers(text: str | None) -> str | None:
    """'auto' (one per core) or a count of at least 1; None or 1 runs in this process."""
    if text is None:
        return None
    value = text.strip().lower()
    if value == "auto":
        return str(max(os.cpu_count() or 1, 1))
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(
            f"--workers takes a number of processes (1 or more) or 'auto', not '{text}'."
        )
    return None if int(value) == 1 else str(int(value))


def checked_shard(text: str | None) -> str | None:
    """'K/N' with 1 <= K <= N, as given; None (or nothing) runs every test."""
    if text:
        parse_shard(text)
    return text or None


def worker_args(workers: str | None) -> list[str]:
    """pytest-xdist's arguments for the workers, tests grouped. A worker that dies is not
    replaced: its test never ended, so the run cannot complete (and with a new worker in its
    place such a run was seen waiting until its budget ran out)."""
    count = checked_workers(workers)
    if count is None:
        return []
    return ["-n", count, "--dist", "loadgroup", "--max-worker-restart", "0"]
