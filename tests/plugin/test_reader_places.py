"""A worker between two tests: a reader followed by a reader keeps its place among the readers,
so that a writer waiting for the walks to end cannot slip in between; any other pair lets go."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.plugin.quiet_lock import RUN_WIDE, Kind, QuietLock, room_is_empty
from conformance.plugin.worker_side import WorkerSide
from conformance.run.session import SharedRun


def _item(nodeid: str, *markers: str) -> Any:
    return SimpleNamespace(
        nodeid=nodeid,
        fixturenames=(),
        get_closest_marker=lambda name: name if name in markers else None,
    )


READER, OTHER_READER, WRITER = (
    _item("reader", RUN_WIDE),
    _item("reader-2", RUN_WIDE),
    _item("writer"),
)


@pytest.fixture
def side(tmp_path: Path) -> Iterator[WorkerSide]:
    """A worker's side of the run, on a run folder of its own."""
    shared = SharedRun("run", 1, "http://127.0.0.1:9", "key", None, str(tmp_path), False, 8)
    config = SimpleNamespace(workerinput={"workerid": "gw0"})
    made = WorkerSide(config, shared, recorder=None)  # type: ignore[arg-type]
    yield made
    made.journal.ended(made.waited)


def _readers_in(folder: Path) -> bool:
    return not room_is_empty(QuietLock(folder).rooms[Kind.READERS])


def _run(side: WorkerSide, item: Any, nextitem: Any) -> None:
    protocol = side.pytest_runtest_protocol(item, nextitem)
    next(protocol)  # the test's class is taken
    with pytest.raises(StopIteration):
        next(protocol)  # the test is over


@pytest.mark.parametrize(
    ("following", "kept"), [(OTHER_READER, True), (WRITER, False), (None, False)]
)
def test_a_reader_keeps_its_place_only_for_a_reader(
    side: WorkerSide, tmp_path: Path, following: Any, kept: bool
) -> None:
    _run(side, READER, following)
    assert _readers_in(tmp_path) is kept


def test_the_next_reader_goes_on_in_the_place_kept_and_lets_go_at_its_end(
    side: WorkerSide, tmp_path: Path
) -> None:
    _run(side, READER, OTHER_READER)
    held = side._held
    _run(side, OTHER_READER, WRITER)
    assert held is not None and not _readers_in(tmp_path)
    _run(side, WRITER, None)  # a writer that wrote nothing takes no lock
    assert side._held is None
