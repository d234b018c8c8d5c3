"""One --rate-limit for the whole run: the slot file every process of a run shares, proven with
real processes and threads taking slots from it at once."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from network_staging import most_in_any_second

from conformance.http.rate_limit import RateLimit, RateLimiter
from conformance.http.slot_file import SlotFile

RATE = 10  # per second
PROCESSES, THREADS, EACH = 3, 3, 3

# One process of a run: its threads take slots from its limiter, each prints when it left.
_PROCESS = """
import sys, threading, time
from pathlib import Path
from conformance.http.rate_limit import RateLimit, RateLimiter
from conformance.http.slot_file import SlotFile

path, start, threads, each, rate = sys.argv[1], float(sys.argv[2]), *map(int, sys.argv[3:6])
book = SlotFile(Path(path)) if path != "-" else None
limiter = RateLimiter(RateLimit(rate, 1.0), book)
left = []

def send():
    for _ in range(each):
        assert limiter.wait()
        left.append(time.monotonic())

time.sleep(max(0.0, start - time.monotonic()))
workers = [threading.Thread(target=send) for _ in range(threads)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
print("\\n".join(repr(moment) for moment in left))
"""


def _departures(book: str) -> list[list[float]]:
    """Each process' departure times, the processes started together on one slot book ('-':
    each keeps its own, as every worker did before the book was a file)."""
    start = time.monotonic() + 3.0  # every process has imported by then
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _PROCESS, book, repr(start), str(THREADS), str(EACH), str(RATE)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    outputs = [process.communicate(timeout=60)[0] for process in processes]
    assert all(process.returncode == 0 for process in processes)
    return [[float(line) for line in output.split()] for output in outputs]


def test_processes_and_threads_sharing_the_slot_file_never_pass_the_rate(tmp_path: Path) -> None:
    """Three processes of three threads each: never more than RATE requests leave within any
    second, every process sent its share, and they took turns in one queue."""
    per_process = _departures(str(tmp_path / "slot"))
    every = sorted(moment for moments in per_process for moment in moments)
    assert [len(moments) for moments in per_process] == [THREADS * EACH] * PROCESSES
    assert most_in_any_second(every) == RATE  # reached, never passed
    interval = RateLimit(RATE, 1.0).interval
    span = every[-1] - every[0]
    assert span >= (len(every) - 1) * interval - 0.06, (
        span
    )  # one queue: the slots follow each other
    assert span < (len(every) - 1) * interval + 1.0, span  # and nobody waited for nothing
    firsts = sorted(moments[0] for moments in per_process)
    assert firsts[-1] - firsts[0] < 1.0, "the processes ran together, each in turn"


def test_processes_with_a_limiter_each_pass_the_rate_together(tmp_path: Path) -> None:
    """What the file is for: three processes that keep their own slots send three times the rate."""
    every = sorted(moment for moments in _departures("-") for moment in moments)
    assert most_in_any_second(every) > RATE


def test_a_slot_after_the_deadline_is_refused_and_not_taken(tmp_path: Path) -> None:
    book = SlotFile(tmp_path / "slot")
    interval = RateLimit.parse("1/m").interval
    assert RateLimiter(RateLimit.parse("1/m"), book).wait(deadline=time.monotonic() + 5)
    started = time.monotonic()
    assert not RateLimiter(RateLimit.parse("1/m"), book).wait(deadline=time.monotonic() + 5)
    assert time.monotonic() - started < 1  # refused at once: the next slot is a minute away
    waited: list[float] = []
    assert book.take(interval, None, waited.append)  # the refusal took nothing
    assert len(waited) == 1 and interval - 2 < waited[0] <= interval


def test_another_process_sees_the_slots_taken(tmp_path: Path) -> None:
    """Two books on one file (as two processes hold them): the second waits for the first's slot."""
    path = tmp_path / "slot"
    waited: list[float] = []
    assert SlotFile(path).take(0.5, None, waited.append) and waited == []
    assert SlotFile(path).take(0.5, None, waited.append)
    assert len(waited) == 1 and 0.4 < waited[0] <= 0.5
