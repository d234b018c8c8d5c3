"""VAL-1309 on the reference's store: a name is checked and written in one step, so requests
that race, each on a thread of its own, never give one account two audiences of one name."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conformance.reference.store import NameTaken, Store

THREADS = 8
ACCOUNT = "account-a"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(str(tmp_path / "audiences.sqlite3"))
    yield opened
    opened.close()


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Run ``calls`` on threads released together; each result, or the exception it raised."""
    start = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        start.wait(10)
        try:
            results[index] = calls[index]()
        except NameTaken as refused:
            results[index] = refused

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


def test_racing_creates_of_one_name_make_one_audience(store: Store) -> None:
    for round_number in range(20):
        name = f"raced-{round_number}"
        results = race(
            [lambda name=name: store.create_audience(ACCOUNT, name, "SMS", ())] * THREADS
        )
        assert sum(not isinstance(result, NameTaken) for result in results) == 1
        assert [row.name for row in store.list_audiences(ACCOUNT, None, 0, 1000)].count(name) == 1


def test_racing_renames_to_one_name_give_it_to_one_audience(store: Store) -> None:
    ids = [
        store.create_audience(ACCOUNT, f"contender-{index}", "SMS", ()).id
        for index in range(THREADS)
    ]
    for round_number in range(20):
        name = f"taken-{round_number}"
        results = race(
            [
                lambda audience_id=audience_id, name=name: store.rename_audience(
                    ACCOUNT, audience_id, name
                )
                for audience_id in ids
            ]
        )
        assert sum(not isinstance(result, NameTaken) for result in results) == 1
        assert [row.name for row in store.list_audiences(ACCOUNT, None, 0, 1000)].count(name) == 1
