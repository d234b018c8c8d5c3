"""``--concurrency N``: at most N requests of the run in flight at once, across its processes.

A run of several workers is several processes, each with its own pool of threads. What a
staging sees is their sum, so the bound is kept where they meet: N slot files in the run's
folder, each held with ``flock`` by the request that uses it for as long as it is in flight.
A request takes a free slot, or waits for one; a slot held by a process that dies is free at
once (the kernel drops its locks), so a killed worker blocks nobody. Within one process the
threads take slots in the same way (each opens its own descriptor: ``flock`` locks belong to
open file descriptions, so two threads never share one by accident).

A single process with no folder of its own keeps the bound with a semaphore.
"""

from __future__ import annotations

import fcntl
import os
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SLOT_PREFIX = "connection-slot-"
ENV_CONCURRENCY = "AUDIENCE_CONCURRENCY"
DEFAULT_CONCURRENCY = 8  # connections a staging is asked to take at once from one run


class ConnectionSlots:
    """N slots; :meth:`held` keeps one for the time of a request."""

    def __init__(self, count: int, folder: Path | None = None) -> None:
        if count < 1:
            raise ValueError(f"at least one connection, not {count}")
        self.count = count
        self.folder = folder
        self._semaphore = threading.BoundedSemaphore(count) if folder is None else None
        self._random = random.Random()  # which slot to wait on: spread, never seeded by the run

    @contextmanager
    def held(self) -> Iterator[None]:
        """One slot for as long as the block runs."""
        if self._semaphore is not None:
            with self._semaphore:
                yield
            return
        handle = self._take()
        try:
            yield
        finally:
            os.close(handle)  # closing lets the lock go

    def _take(self) -> int:
        assert self.folder is not None
        order = list(range(self.count))
        self._random.shuffle(order)
        for index in order:
            handle = self._open(index)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return handle
            except BlockingIOError:
                os.close(handle)
        # Every slot is in use: wait for one (chosen at random, so waiters spread over them).
        handle = self._open(order[0])
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except BaseException:
            os.close(handle)
            raise
        return handle

    def _open(self, index: int) -> int:
        assert self.folder is not None
        return os.open(self.folder / f"{SLOT_PREFIX}{index}", os.O_RDWR | os.O_CREAT, 0o600)
