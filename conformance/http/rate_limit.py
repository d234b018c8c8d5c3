"""A rate limit the user sets for a throttled staging (``--rate-limit 10/s``), and the one bucket
that keeps every request of the run within it."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

ENV_RATE_LIMIT = "AUDIENCE_RATE_LIMIT"
_UNITS = {"s": 1.0, "m": 60.0}
# Requests are spaced 5% wider than N per period: the margin absorbs the jitter between leaving
# this process and reaching the server (a new connection's handshake, a busy host), up to
# 50 ms a second, so the server does not count N + 1 within one period.
SPACING_MARGIN = 1.05


@dataclass(frozen=True)
class RateLimit:
    requests: int
    period: float  # seconds

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """``N/s`` or ``N/m``; raises ValueError with a message for the user."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*([sm])\s*", text)
        if not match or int(match.group(1)) < 1:
            raise ValueError(
                f"--rate-limit takes N/s or N/m with N at least 1 (e.g. 10/s or 300/m), not '{text}'."
            )
        return cls(int(match.group(1)), _UNITS[match.group(2)])

    @property
    def interval(self) -> float:
        """The least time between two requests."""
        return self.period / self.requests * SPACING_MARGIN

    def __str__(self) -> str:
        return f"{self.requests}/{'s' if self.period == 1.0 else 'm'}"


class SlotBook(Protocol):
    """Where the run's next free slot is kept: in this process' memory, or in a file every
    process of the run shares (:class:`conformance.http.slot_file.SlotFile`)."""

    def take(self, interval: float, deadline: float | None, wait: Callable[[float], None]) -> bool:
        """Under the book's lock: False (nothing taken) when the next free slot starts after
        ``deadline``; else ``wait`` for it, and move the next one ``interval`` past now."""
        ...


def next_slot(
    free: float, interval: float, deadline: float | None, wait: Callable[[float], None]
) -> float | None:
    """The book's step, under its lock: wait from now until ``free``, and the next free slot
    after that (None, and no wait, when ``free`` is after ``deadline``).

    The wait is inside the lock, so each slot is measured from the moment the request before
    it really left, never from when it was planned: a process or thread woken late (a busy
    host) pushes the ones after it back rather than crowding them into the same second."""
    if deadline is not None and free > deadline:
        return None
    delay = free - time.monotonic()
    if delay > 0:
        wait(delay)
    return time.monotonic() + interval


class MemorySlots:
    """The run's next free slot, for the threads of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = float("-inf")

    def take(self, interval: float, deadline: float | None, wait: Callable[[float], None]) -> bool:
        with self._lock:
            following = next_slot(self._next, interval, deadline, wait)
            if following is None:
                return False
            self._next = following
            return True


class RateLimiter:
    """Spaces requests evenly, one every :attr:`RateLimit.interval`, across every thread of the
    run, and every process of it when the book is a file of the run's folder.

    Even spacing rather than a bucket that refills: a bucket lets a burst of N through right
    after a quiet spell and N more within the same second, which is what a WAF counts.
    Threads (and processes) queue on the book's lock and leave one at a time, one interval
    after the one before them really left (:func:`next_slot`).
    """

    def __init__(
        self,
        limit: RateLimit,
        book: SlotBook | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.book = book if book is not None else MemorySlots()
        self._sleep = sleep

    def wait(self, deadline: float | None = None) -> bool:
        """Block until the next request may leave; False (and no wait) if that is after ``deadline``."""
        return self.book.take(self.limit.interval, deadline, self._sleep)
