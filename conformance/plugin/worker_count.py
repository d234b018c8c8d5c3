"""How many processes ``run --workers auto`` starts: chosen after the preflight, from the cores
and the round trip the preflight measured, not from the cores alone.

On loopback a worker waits on its own CPU, so one per core is the most that helps. Across a
network each request mostly waits for its answer, and more processes overlap those waits: one
more per :data:`ROUND_TRIP_PER_WORKER` of round trip, at most :data:`MOST_PER_CORE` per core
(each process holds a schema and its strategies), and never more than ``--concurrency``: each
worker keeps at least one request in flight, and the run never more than its figure.

xdist counts ``-n auto`` (``run --workers auto`` passes it) from the cores before the run starts;
the controller sets the real count once the preflight has timed the target, before any worker
is started (:mod:`conformance.plugin.worker_controller`), on either front.
"""

from __future__ import annotations

import os

import pytest

ROUND_TRIP_PER_WORKER = 0.010  # seconds
MOST_PER_CORE = 4
AUTO = pytest.StashKey[bool]()  # on the controller's config: 'auto' was asked, the count is ours


def cores() -> int:
    return max(os.cpu_count() or 1, 1)


def auto_workers(cores: int, round_trip: float | None, concurrency: int) -> int:
    """The count for ``auto``: one per core, plus one per 10 ms of round trip, capped."""
    extra = int((round_trip or 0.0) / ROUND_TRIP_PER_WORKER)
    return max(1, min(cores + extra, MOST_PER_CORE * cores, concurrency))


def too_many(count: int, concurrency: int, *, workers: str, option: str) -> str | None:
    """Why ``count`` workers cannot share ``concurrency`` (each keeps one request in flight),
    naming the options as the user typed them; None when they can."""
    if count <= concurrency:
        return None
    return f"{workers} {count} is more than {option} {concurrency}: each worker keeps at least one request in flight; lower {workers} or raise {option}."


def why(count: int, cores: int, round_trip: float | None) -> str:
    """The line that says the choice: 'workers: 6 (2 cores, 48 ms round trip)'."""
    measured = (
        "no round trip measured" if round_trip is None else f"{round_trip * 1000:.0f} ms round trip"
    )
    return f"workers: {count} ({cores} core{'s' if cores != 1 else ''}, {measured})"


def asked_auto(config: pytest.Config) -> bool:
    """Whether ``-n auto`` (or ``logical``) was given: xdist has replaced it with a count by
    now, the arguments as parsed first still say it."""
    asked = getattr(config.known_args_namespace, "numprocesses", None)
    return asked in ("auto", "logical")


def start_with(config: pytest.Config, count: int) -> None:
    """The number of workers xdist starts; called before it starts them."""
    config.option.numprocesses = count
    config.option.tx = ["popen"] * count
