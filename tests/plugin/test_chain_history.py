"""The last run's tests: kept in the cache folder, read by the workers; the lock-free ones beside the
quiet writers, the longest first in each phase."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from staging import run_cli, run_env, shared_staging

from conformance.plugin.chain_history import (
    Measured,
    from_json,
    history_path,
    load,
    load_measured,
    save,
    to_json,
)
from conformance.plugin.quiet_lock import (
    RUN_WIDE,
    WAITS,
    WRITES,
    in_phases,
    longest_beside_shortest,
)
from conformance.run.profiles import PROFILES
from conformance.run.settings import RunSettings

# A plugin that writes each worker's order of tests, as the run will go through them.
ORDER_OF_TESTS = """
import os
from pathlib import Path

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        folder = Path(os.environ["ORDER_FOLDER"])
        (folder / f"{worker}.txt").write_text("\\n".join(item.nodeid for item in session.items))
"""
BAD_KEYS = "test_reads_refuse_a_bad_key"


def test_what_is_saved_is_loaded_over_what_was_kept(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "chains-quick.json"
    save(path, {"a": Measured(3, 0), "b": Measured(5, 1)})
    save(path, {"b": Measured(7, 0), "c": Measured(0, 2)})
    assert load(path) == {"a": Measured(3, 0), "b": Measured(7, 0), "c": Measured(0, 2)}
    assert json.loads(path.read_text()) == {"a": [3, 0], "b": [7, 0], "c": [0, 2]}
    assert [entry.name for entry in path.parent.iterdir()] == [path.name]  # no temporary left


def test_a_history_that_is_not_ours_is_no_history(tmp_path: Path) -> None:
    path = tmp_path / "chains-quick.json"
    assert load(path) == {}  # none yet
    for text in ("{not json", "[1, 2]", '"x"', ""):
        path.write_text(text)
        assert load(path) == {}
    entries = {
        "a": [2, 0],
        "b": [True, 0],
        "c": [-1, 0],
        "d": ["9", 0],
        "e": [1.5, 0],
        "f": 3,
        "g": [1],
    }
    path.write_text(json.dumps(entries))
    assert load(path) == {"a": Measured(2, 0)}
    named = {"a": [2, 1, ["some_id"]], "b": [2, 1, "some_id"], "c": [2, 1, [3]], "d": [2, 1, [], 0]}
    path.write_text(json.dumps(named))
    assert load(path) == {"a": Measured(2, 1, ("some_id",))}


def test_the_shared_fixtures_that_wrote_are_kept_with_the_test_that_set_them_up(
    tmp_path: Path,
) -> None:
    path = tmp_path / "chains-quick.json"
    save(path, {"a": Measured(3, 1, ("some_id",)), "b": Measured(2, 0)})
    assert json.loads(path.read_text()) == {"a": [3, 1, ["some_id"]], "b": [2, 0]}
    assert load(path) == {"a": Measured(3, 1, ("some_id",)), "b": Measured(2, 0)}


def test_a_cache_that_cannot_be_written_costs_nothing_but_time(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    save(
        blocked / "chains-quick.json", {"a": Measured(1, 0)}
    )  # its folder is a file: nothing written, no error
    assert blocked.read_text() == ""


def test_the_history_lives_in_the_cache_folder_by_profile(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    settings = RunSettings(
        base_url=None, api_key=None, secondary_api_key=None, profile=PROFILES["default"]
    )
    home = tmp_path / "audience-conformance"
    assert history_path(settings) == home / "chains-default.json"
    read_only = dataclasses.replace(settings, read_only=True)
    assert history_path(read_only) == home / "chains-default-read-only.json"


def _item(nodeid: str, *markers: str, fixtures: tuple[str, ...] = ()) -> Any:
    """What the phases read of a test: its id, its markers and its fixtures."""
    return SimpleNamespace(
        nodeid=nodeid,
        fixturenames=fixtures,
        get_closest_marker=lambda name: name if name in markers else None,
    )


def test_lock_free_tests_go_beside_the_quiet_writers_and_each_phase_starts_with_its_longest() -> (
    None
):
    items = [
        _item("rest-a"),
        _item("reader-a", RUN_WIDE),
        _item("rest-b"),
        _item("quiet-writer", RUN_WIDE, WRITES),
        _item("reader-b", fixtures=("dataset",)),
        _item("rest-c"),
        _item("rest-d"),
        _item("rest-e"),
    ]
    assert [item.nodeid for item in in_phases(items)] == [
        "quiet-writer",
        "reader-a",
        "reader-b",
        "rest-a",
        "rest-b",
        "rest-c",
        "rest-d",
        "rest-e",
    ]
    history = {
        "rest-e": Measured(1, 0),  # wrote nothing: no lock
        "rest-c": Measured(40, 2),
        "rest-b": Measured(3, 1),
        "rest-a": Measured(9, 0),  # wrote nothing: no lock
        "reader-b": Measured(9, 0),
        "reader-a": Measured(2, 0),
        "quiet-writer": Measured(1, 4),
    }
    assert [item.nodeid for item in in_phases(items, history)] == [
        "quiet-writer",
        "rest-a",
        "rest-e",
        "reader-b",
        "reader-a",
        "rest-c",
        "rest-d",  # the shortest beside the longest: no worker holds two long ones
        "rest-b",
    ]


def test_a_test_that_sleeps_goes_first_in_its_phase_whatever_its_chain() -> None:
    """Its second of sleep is longer than most chains take: started last, it would end the run
    alone; started first, it sleeps while the others send their requests."""
    items = [_item("long"), _item("sleeps", WAITS), _item("middle"), _item("short")]
    history = {
        "long": Measured(40, 3),
        "sleeps": Measured(3, 2),
        "middle": Measured(9, 1),
        "short": Measured(1, 1),
    }
    assert [item.nodeid for item in in_phases(items, history)] == [
        "sleeps",
        "short",
        "long",
        "middle",
    ]


def test_a_test_sharing_a_fixture_that_wrote_is_not_lock_free() -> None:
    """Whichever test meets a module's writing fixture first writes: none of its users counts as
    writing nothing, even those that did not set it up last time."""
    items = [
        _item("reads-shared-a", fixtures=("target", "some_id")),
        _item("reads-shared-b", fixtures=("target", "some_id")),
        _item("reads-alone", fixtures=("target",)),
    ]
    history = {
        "reads-shared-a": Measured(5, 1, ("some_id",)),
        "reads-shared-b": Measured(4, 0),
        "reads-alone": Measured(1, 0),
    }
    assert [item.nodeid for item in in_phases(items, history)] == [
        "reads-alone",
        "reads-shared-a",
        "reads-shared-b",
    ]


def test_data_made_once_is_made_among_the_quiet_writers_by_its_shortest_reader() -> None:
    """A reader that made the second account's data wrote alone while the other readers waited:
    next time the shortest reader of that data goes first, beside the quiet writers, while the
    data set's maker is a quiet writer already."""
    items = [
        _item("quiet-writer", WRITES, fixtures=("dataset",)),
        _item("reader-long", fixtures=("secondary_ids",)),
        _item("reader-short", fixtures=("secondary_ids", "dataset")),
        _item("reader-other", fixtures=("dataset",)),
        _item("rest"),
    ]
    history = {
        "quiet-writer": Measured(20, 9, ("dataset",)),
        "reader-long": Measured(30, 2, ("secondary_ids",)),
        "reader-short": Measured(4, 0),
        "reader-other": Measured(9, 0),
        "rest": Measured(1, 1),
    }
    assert [item.nodeid for item in in_phases(items, history)] == [
        "quiet-writer",
        "reader-short",
        "reader-long",
        "reader-other",
        "rest",
    ]


def _chains(tests: list[str], history: Mapping[str, Measured]) -> list[int]:
    return [history[test].chain for test in tests]


def test_a_run_keeps_its_chains_and_its_workers_start_with_the_longest(tmp_path: Path) -> None:
    """A first run (no history of its own) orders its workers by the chains the suite carries;
    the module's fixture that wrote is named with the test that set it up; a planted longest
    test is then every worker's first; the run keeps what it measured, over a history that held
    other tests too."""
    cache = tmp_path / "cache"
    history = cache / "audience-conformance" / "chains-quick.json"
    (tmp_path / "order_of_tests.py").write_text(ORDER_OF_TESTS)
    env = {
        "XDG_CACHE_HOME": str(cache),
        "PYTEST_ADDOPTS": "-p order_of_tests",
        "PYTHONPATH": str(tmp_path),
        "ORDER_FOLDER": str(tmp_path),
    }
    with shared_staging() as staging:

        def run() -> list[list[str]]:
            done = run_cli(
                staging,
                "run",
                "--profile",
                "quick",
                "--workers",
                "2",
                "-k",
                BAD_KEYS,
                "--junit-xml",
                str(tmp_path / "junit.xml"),
                cwd=tmp_path,
                env=run_env(staging, **env),
            )
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
            return [path.read_text().splitlines() for path in sorted(tmp_path.glob("gw*.txt"))]

        first = run()
        assert len(first) == 2 and first[0] == first[1] and len(first[0]) > 2
        # Every one of these tests may set up the module's fixture that wrote: one phase, the
        # longest first, each beside the shortest left (ties in any order).
        carried = load_measured("quick")
        assert _chains(first[0], carried) == longest_beside_shortest(
            sorted(_chains(first[0], carried), reverse=True)
        )
        kept = load(history)
        assert set(first[0]) <= set(kept)
        assert all(kept[test].chain > 0 for test in first[0])
        # The reads need an audience to read: a fixture creates it in the first test of a worker,
        # and the history names it with that test.
        writes = [kept[test].writes for test in first[0]]
        assert 0 < writes.count(0) < len(writes), writes
        assert {kept[test].fixtures_that_wrote for test in first[0]} == {(), ("some_id",)}
        assert all(
            bool(kept[test].fixtures_that_wrote) == (kept[test].writes > 0) for test in first[0]
        )
        last = first[0][-1]
        planted = {**to_json(kept), last: [10_000, 0], "test_gone.py::test_x": [4, 1]}
        history.write_text(json.dumps(planted))
        second = run()
    planted_history = from_json(planted)
    assert second[0] == second[1] and second[0][0] == last and set(second[0]) == set(first[0])
    assert _chains(second[0], planted_history) == longest_beside_shortest(
        sorted(_chains(second[0], planted_history), reverse=True)
    )
    kept = load(history)
    assert kept[last].chain < 10_000 and kept["test_gone.py::test_x"] == Measured(4, 1)
