"""``--workers auto``: the count chosen from the cores and the preflight's round trip."""

from __future__ import annotations

import pytest

from conformance.plugin.worker_count import MOST_PER_CORE, auto_workers, too_many, why


@pytest.mark.parametrize(
    ("cores", "round_trip", "concurrency", "expected"),
    [
        (2, 0.001, 8, 2),  # loopback: one per core, as before
        (2, None, 8, 2),  # nothing timed (the preflight failed): one per core
        (2, 0.009, 8, 2),
        (2, 0.010, 8, 3),
        (2, 0.050, 8, 7),  # +50 ms: five more processes overlap the waits
        (2, 0.050, 4, 4),  # never more than --concurrency
        (2, 0.500, 64, 2 * MOST_PER_CORE),  # far away: at most four per core
        (8, 0.002, 2, 2),  # many cores, a small --concurrency
        (1, 0.0, 1, 1),
    ],
)
def test_auto_counts_cores_and_round_trip(
    cores: int, round_trip: float | None, concurrency: int, expected: int
) -> None:
    assert auto_workers(cores, round_trip, concurrency) == expected


def test_auto_starts_more_workers_across_a_network_than_on_loopback() -> None:
    for cores in (1, 2, 4):
        assert auto_workers(cores, 0.052, 8) > auto_workers(cores, 0.002, 8) == min(cores, 8)


def test_the_choice_is_said_in_one_line() -> None:
    assert why(6, 2, 0.0481) == "workers: 6 (2 cores, 48 ms round trip)"
    assert why(1, 1, None) == "workers: 1 (1 core, no round trip measured)"


def test_workers_beyond_the_concurrency_are_refused_naming_the_options() -> None:
    assert too_many(8, 8, workers="--workers", option="--concurrency") is None
    assert too_many(9, 8, workers="-n", option="--audience-concurrency") == (
        "-n 9 is more than --audience-concurrency 8: each worker keeps at least one request in "
        "flight; lower -n or raise --audience-concurrency."
    )
