"""The quiet lock of three classes and the data made once per run, between real processes.

Each process writes, to a file of its own, the moment it entered the lock (after ``acquire``
returned) and the moment it left (before ``release``): two intervals of classes that exclude
each other must never overlap, and intervals of one shared class must overlap at times (else
the lock would be a plain mutex and the readers would not run beside each other).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.checks.dataset import Contact, DataSet, OwnAudience
from conformance.plugin.made_once import shared
from conformance.plugin.quiet_lock import Kind, QuietLock

SPAWN = multiprocessing.get_context("spawn")


def _hold_repeatedly(
    folder: str, kind: str, log: str, until: float, hold: float, pause: float
) -> None:
    """Enter, note the interval, leave; until the monotonic clock (one clock for all processes) passes ``until``."""
    lock = QuietLock(Path(folder))
    chance = random.Random(os.getpid())
    with open(log, "a", encoding="utf-8") as out:
        while True:  # once at least
            asked = time.monotonic()
            with lock.held(Kind(kind)):
                entered = time.monotonic()
                time.sleep(hold * chance.uniform(0.5, 1.5))
                left = time.monotonic()
            out.write(
                json.dumps(
                    {"kind": kind, "pid": os.getpid(), "asked": asked, "in": entered, "out": left}
                )
                + "\n"
            )
            out.flush()
            if time.monotonic() >= until:
                return
            time.sleep(pause * chance.uniform(0.5, 1.5))


def _run(
    folder: Path, plan: list[tuple[str, float, float, float, float]]
) -> list[dict[str, object]]:
    """Start one process per (kind, start delay, duration, hold, pause), wait for all, read their intervals.

    The delays count from one moment chosen once every process is up (its imports done): on a
    loaded machine a process may take seconds to start, and must not miss the scene it plays in.
    """
    ready, go = SPAWN.Barrier(len(plan) + 1), SPAWN.Barrier(len(plan) + 1)
    start = SPAWN.Value("d", 0.0)
    processes = []
    for number, (kind, delay, duration, hold, pause) in enumerate(plan):
        log = folder / f"log-{number}.jsonl"
        process = SPAWN.Process(
            target=_delayed,
            args=(str(folder), kind, str(log), (ready, go, start), delay, duration, hold, pause),
        )
        process.start()
        processes.append(process)
    ready.wait(60)
    start.value = time.monotonic() + 0.1
    go.wait(60)
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    return [
        json.loads(line)
        for log in sorted(folder.glob("log-*.jsonl"))
        for line in log.read_text(encoding="utf-8").splitlines()
    ]


def _delayed(
    folder: str,
    kind: str,
    log: str,
    starting: tuple[Any, Any, Any],
    delay: float,
    duration: float,
    hold: float,
    pause: float,
) -> None:
    ready, go, start = starting
    ready.wait(60)
    go.wait(60)
    begin = start.value + delay
    time.sleep(max(0.0, begin - time.monotonic()))
    _hold_repeatedly(folder, kind, log, begin + duration, hold, pause)


def _compatible(one: str, other: str) -> bool:
    return one == other and one != Kind.EXCLUSIVE.value


def _overlap(a: dict[str, object], b: dict[str, object]) -> bool:
    return float(a["in"]) < float(b["out"]) and float(b["in"]) < float(a["out"])  # type: ignore[arg-type]


def test_classes_that_exclude_each_other_never_hold_the_lock_together(tmp_path: Path) -> None:
    plan = (
        [("readers", 0.0, 2.5, 0.02, 0.005)] * 3
        + [("writers", 0.0, 2.5, 0.02, 0.005)] * 3
        + [("exclusive", 0.0, 2.5, 0.01, 0.05)]
    )
    intervals = _run(tmp_path, plan)
    kinds = {str(entry["kind"]) for entry in intervals}
    assert kinds == {"readers", "writers", "exclusive"}  # every class got in
    clashes = [
        (a, b)
        for i, a in enumerate(intervals)
        for b in intervals[i + 1 :]
        if a["pid"] != b["pid"]
        and not _compatible(str(a["kind"]), str(b["kind"]))
        and _overlap(a, b)
    ]
    assert clashes == []


@pytest.mark.parametrize("kind", ["readers", "writers"])
def test_a_shared_class_holds_the_lock_together(tmp_path: Path, kind: str) -> None:
    intervals = _run(tmp_path, [(kind, 0.0, 1.0, 0.05, 0.005)] * 3)
    assert any(
        a["pid"] != b["pid"] and _overlap(a, b)
        for i, a in enumerate(intervals)
        for b in intervals[i + 1 :]
    ), f"{kind} never shared the lock"


def test_exclusive_holders_take_turns(tmp_path: Path) -> None:
    intervals = _run(tmp_path, [("exclusive", 0.0, 1.0, 0.02, 0.0)] * 3)
    assert len({entry["pid"] for entry in intervals}) == 3
    assert not any(_overlap(a, b) for i, a in enumerate(intervals) for b in intervals[i + 1 :])


@pytest.mark.parametrize(
    ("stream", "arriving"),
    [
        ("writers", "readers"),
        ("readers", "exclusive"),
        ("writers", "exclusive"),
    ],
)
def test_a_stream_of_one_class_does_not_starve_another(
    tmp_path: Path, stream: str, arriving: str
) -> None:
    """Three processes of ``stream`` enter back to back for 4 s (their room is never empty);
    one of ``arriving`` asks after 0.5 s and must get in while the stream still flows."""
    plan = [(stream, 0.0, 4.0, 0.06, 0.0)] * 3 + [(arriving, 0.5, 0.01, 0.01, 0.0)]
    intervals = _run(tmp_path, plan)
    late = [entry for entry in intervals if entry["kind"] == arriving]
    streamed = [entry for entry in intervals if entry["kind"] == stream]
    assert len(late) == 1
    waited = float(late[0]["in"]) - float(late[0]["asked"])  # type: ignore[arg-type]
    assert any(float(entry["in"]) > float(late[0]["out"]) for entry in streamed)  # type: ignore[arg-type]  # the stream went on after it
    assert waited < 1.0, f"{arriving} waited {waited:.2f} s behind a stream of {stream}"


def test_readers_go_before_a_waiting_writer_which_enters_when_they_stop(tmp_path: Path) -> None:
    """Three readers enter back to back for 2 s; a writer asks after 0.5 s. Readers keep
    entering while it waits (the readers of a run are a finite set, run before the writers: none
    waits for a writer queued on another worker), and it enters soon after the last leaves."""
    plan = [("readers", 0.0, 2.0, 0.06, 0.0)] * 3 + [("writers", 0.5, 0.01, 0.01, 0.0)]
    intervals = _run(tmp_path, plan)
    (writer,) = [entry for entry in intervals if entry["kind"] == "writers"]
    readers = [entry for entry in intervals if entry["kind"] == "readers"]
    asked, entered = float(writer["asked"]), float(writer["in"])  # type: ignore[arg-type]
    came_after = [entry for entry in readers if float(entry["in"]) > asked]  # type: ignore[arg-type]
    assert len(came_after) >= 10, "readers were kept out behind a waiting writer"
    last_left = max(float(entry["out"]) for entry in readers)  # type: ignore[arg-type]
    assert last_left <= entered < last_left + 0.5


def _make_once(folder: str, counter: str, results: str) -> None:
    def make() -> list[str]:
        with open(counter, "a", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
        time.sleep(0.3)  # the others arrive while it is being made
        return [f"made-by-{os.getpid()}"]

    steps: list[str] = []
    value = shared(
        Path(folder),
        "thing",
        make,
        list,
        list,
        before_making=lambda: steps.append("about to make"),
        made_elsewhere=lambda: steps.append("made elsewhere"),
    )
    with open(results, "a", encoding="utf-8") as out:
        out.write(json.dumps({"value": value, "steps": steps}) + "\n")


def test_data_made_once_is_made_by_one_process_and_read_by_the_others(tmp_path: Path) -> None:
    counter, results = tmp_path / "made.txt", tmp_path / "results.jsonl"
    processes = [
        SPAWN.Process(target=_make_once, args=(str(tmp_path), str(counter), str(results)))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    makers = counter.read_text(encoding="utf-8").split()
    assert len(makers) == 1
    got = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert [entry["value"] for entry in got] == [[f"made-by-{makers[0]}"]] * 4
    # Whoever got ready to make it (a reader turned exclusive) and found it made is told so (and reads again).
    assert sorted(tuple(entry["steps"]) for entry in got).count(("about to make",)) == 1
    assert all(
        entry["steps"] in ([], ["about to make"], ["about to make", "made elsewhere"])
        for entry in got
    )


def test_a_maker_that_fails_leaves_it_to_the_next(tmp_path: Path) -> None:
    def failing() -> list[str]:
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        shared(tmp_path, "thing", failing, list, list, before_making=lambda: None)
    assert shared(
        tmp_path, "thing", lambda: ["second"], list, list, before_making=lambda: None
    ) == ["second"]
    assert shared(tmp_path, "thing", lambda: ["third"], list, list, before_making=lambda: None) == [
        "second"
    ]


def test_a_data_set_reads_back_from_json_as_it_was_made() -> None:
    made = DataSet(
        (
            OwnAudience(
                "a1",
                "x-1",
                "SMS",
                (Contact("+4915550100", "Anna", "Smith"), Contact("+61491570156")),
            ),
            OwnAudience("b2", "x-2", "VIBER"),
        )
    )
    again = DataSet.from_json(json.loads(json.dumps(made.to_json())))
    assert again == made and again.with_contacts(2).contacts[0].matches("smi")
