"""A rate limit the user sets for a throttled staging (``--rate-limit 10/s``), and the one bucket
that keeps every request of the run within it."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

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


class RateLimiter:
    """Spaces requests evenly, one every :attr:`RateLimit.interval`, across every thread of the run.

    Even spacing rather than a bucket that refills: a bucket lets a burst of N through right
    after a quiet spell and N more within the same second, which is what a WAF counts.
    The lock is held while waiting, so each request's slot is measured from the moment the
    one before it really left, never from when it was planned.
    """

    def __init__(
        self,
        limit: RateLimit,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = float("-inf")

    def wait(self, deadline: float | None = None) -> bool:
        """Block until the next request may leave; False (and no wait) if that is after ``deadline``."""
        with self._lock:
            now = self._clock()
            if deadline is not None and self._next > deadline:
                return False
            if self._next > now:
                self._sleep(self._next - now)
            self._next = self._clock() + self.limit.interval
            return True
