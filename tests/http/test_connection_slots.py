"""At most N requests in flight across the run's processes and their threads."""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from conformance.http.connection_slots import ConnectionSlots

HOLD_SECONDS = 0.03


def _hold_many(folder: str, count: int, threads: int, rounds: int, now: Any, peak: Any) -> None:
    """One process of a run: ``threads`` threads, each taking a slot ``rounds`` times."""
    slots = ConnectionSlots(count, Path(folder))

    def one(_: int) -> None:
        for _ in range(rounds):
            with slots.held():
                with now.get_lock():
                    now.value += 1
                    peak.value = max(peak.value, now.value)
                time.sleep(HOLD_SECONDS)
                with now.get_lock():
                    now.value -= 1

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(threads)))


@pytest.mark.parametrize("count", [1, 3])
def test_processes_and_threads_together_never_hold_more_than_n(tmp_path: Path, count: int) -> None:
    context = multiprocessing.get_context("spawn")
    now, peak = context.Value("i", 0), context.Value("i", 0)
    processes = [
        context.Process(target=_hold_many, args=(str(tmp_path), count, 4, 5, now, peak))
        for _ in range(3)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    assert peak.value == count  # reached (12 threads want slots), never passed


def test_a_slot_held_by_a_process_that_died_is_free(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    holding = context.Event()
    holder = context.Process(target=_hold_forever, args=(str(tmp_path), holding))
    holder.start()
    assert holding.wait(60), "the holder never took its slot"
    holder.kill()
    holder.join(10)
    taken = threading.Event()

    def take() -> None:
        with ConnectionSlots(1, tmp_path).held():
            taken.set()

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    assert taken.wait(10)


def _hold_forever(folder: str, holding: Any) -> None:
    with ConnectionSlots(1, Path(folder)).held():
        holding.set()
        time.sleep(3600)


def test_without_a_folder_one_process_keeps_the_bound() -> None:
    slots = ConnectionSlots(2)
    now = peak = 0
    lock = threading.Lock()

    def one(_: int) -> None:
        nonlocal now, peak
        with slots.held():
            with lock:
                now += 1
                peak = max(peak, now)
            time.sleep(HOLD_SECONDS)
            with lock:
                now -= 1

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(one, range(12)))
    assert peak == 2


def test_no_slot_at_all_is_refused() -> None:
    with pytest.raises(ValueError):
        ConnectionSlots(0)
