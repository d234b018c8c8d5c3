"""The last run's chains: kept in the cache folder, read by the workers, the longest first in a phase."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from staging import run_cli, run_env, shared_staging

from conformance.plugin.chain_history import history_path, load, save
from conformance.plugin.quiet_lock import RUN_WIDE, WRITES, in_phases

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
    save(path, {"a": 3, "b": 5})
    save(path, {"b": 7, "c": 0})
    assert load(path) == {"a": 3, "b": 7, "c": 0}
    assert [entry.name for entry in path.parent.iterdir()] == [path.name]  # no temporary left


def test_a_history_that_is_not_ours_is_no_history(tmp_path: Path) -> None:
    path = tmp_path / "chains-quick.json"
    assert load(path) == {}  # none yet
    for text in ("{not json", "[1, 2]", '"x"', ""):
        path.write_text(text)
        assert load(path) == {}
    path.write_text(json.dumps({"a": 2, "b": True, "c": -1, "d": "9", "e": 1.5}))
    assert load(path) == {"a": 2}


def test_a_cache_that_cannot_be_written_costs_nothing_but_time(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    save(blocked / "chains-quick.json", {"a": 1})  # its folder is a file: nothing written, no error
    assert blocked.read_text() == ""


def test_the_history_lives_in_the_cache_folder_by_profile(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert history_path("default") == tmp_path / "audience-conformance" / "chains-default.json"


def _item(nodeid: str, *markers: str, fixtures: tuple[str, ...] = ()) -> Any:
    """What the phases read of a test: its id, its markers and its fixtures."""
    return SimpleNamespace(
        nodeid=nodeid,
        fixturenames=fixtures,
        get_closest_marker=lambda name: name if name in markers else None,
    )


def test_each_phase_starts_with_its_longest_tests_and_unknown_ones_keep_their_order() -> None:
    items = [
        _item("rest-a"),
        _item("reader-a", RUN_WIDE),
        _item("rest-b"),
        _item("quiet-writer", RUN_WIDE, WRITES),
        _item("reader-b", fixtures=("dataset",)),
        _item("rest-c"),
        _item("rest-d"),
    ]
    assert [item.nodeid for item in in_phases(items)] == [
        "quiet-writer",
        "reader-a",
        "reader-b",
        "rest-a",
        "rest-b",
        "rest-c",
        "rest-d",
    ]
    chains = {"rest-c": 40, "rest-b": 3, "reader-b": 9, "reader-a": 2, "quiet-writer": 1}
    assert [item.nodeid for item in in_phases(items, chains)] == [
        "quiet-writer",
        "reader-b",
        "reader-a",
        "rest-c",
        "rest-b",
        "rest-a",
        "rest-d",
    ]


def test_a_run_keeps_its_chains_and_its_workers_start_with_the_longest(tmp_path: Path) -> None:
    """The last test of the selection, planted as the longest, is every worker's first; the run
    then keeps the chains it measured, over a history that held other tests too."""
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
        kept = load(history)
        assert set(first[0]) <= set(kept) and all(kept[test] > 0 for test in first[0])
        last = first[0][-1]
        history.write_text(json.dumps({**kept, last: 10_000, "test_gone.py::test_x": 4}))
        second = run()
    assert second[0] == second[1] == [last, *(test for test in first[0] if test != last)]
    kept = load(history)
    assert kept[last] < 10_000 and kept["test_gone.py::test_x"] == 4
