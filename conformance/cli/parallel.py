"""``run --workers N|auto`` and ``run --shard K/N``: checked once, then handed to pytest."""

from __future__ import annotations

from conformance.errors import SettingsError
from conformance.http.connection_slots import DEFAULT_CONCURRENCY
from conformance.plugin.sharding import parse_shard
from conformance.plugin.worker_count import too_many
from conformance.run.options import CLI_FLAGS

AUTO = "auto"


def checked_workers(text: str | None, concurrency: int = DEFAULT_CONCURRENCY) -> str | None:
    """'auto' (counted after the preflight, never more than ``concurrency``) or a count of at
    least 1 and at most ``concurrency``; None or 1 runs in this process."""
    if text is None:
        return None
    value = text.strip().lower()
    if value == AUTO:
        return AUTO
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(
            f"--workers takes a number of processes (1 or more) or 'auto', not '{text}'."
        )
    problem = too_many(
        int(value), concurrency, workers=CLI_FLAGS["workers"], option=CLI_FLAGS["concurrency"]
    )
    if problem:
        raise SettingsError(problem)
    return None if int(value) == 1 else str(int(value))


def checked_shard(text: str | None) -> str | None:
    """'K/N' with 1 <= K <= N, as given; None (or nothing) runs every test."""
    if text:
        parse_shard(text)
    return text or None


def worker_args(workers: str | None, concurrency: int = DEFAULT_CONCURRENCY) -> list[str]:
    """pytest-xdist's arguments for the workers, tests grouped ('auto' stays 'auto': the
    controller counts it after the preflight, :mod:`conformance.plugin.worker_count`). A worker
    that dies is not replaced: its test never ended, so the run cannot complete (and with a new
    worker in its place such a run was seen waiting until its budget ran out)."""
    count = checked_workers(workers, concurrency)
    if count is None:
        return []
    return ["-n", count, "--dist", "loadgroup", "--max-worker-restart", "0"]
