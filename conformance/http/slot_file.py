"""The run's next free request slot in a file of the run's folder, shared by its processes.

Under ``--workers`` each process sends requests of its own; ``--rate-limit`` counts them all
together, as the target's firewall does. The slot is read, waited for and advanced under an
exclusive ``flock`` of the file (and a thread lock, so a process' threads queue before they
reach the file), eight bytes at its start: the ``time.monotonic()`` value from which the next
request may leave. The wait is inside the lock (it lasts at most one interval): a request
that leaves late moves the next slot back, so the run's requests never crowd into one second.
The monotonic clock is the machine's (Linux, macOS), so every process of the run reads the
same time; the processes of one run share a machine and its folder.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
from collections.abc import Callable
from pathlib import Path

from conformance.http.rate_limit import next_slot

SLOT_FILE = "rate-limit-slot"  # in the run's folder
_SLOT = struct.Struct("<d")


class SlotFile:
    """The next free slot of the whole run, in ``path`` (made when missing: no slot taken yet)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def in_folder(cls, folder: str | os.PathLike[str]) -> SlotFile:
        return cls(Path(folder) / SLOT_FILE)

    def take(self, interval: float, deadline: float | None, wait: Callable[[float], None]) -> bool:
        """Under the file's lock: False (nothing taken) when the next free slot starts after
        ``deadline``; else wait for it and move it ``interval`` past now (:func:`next_slot`)."""
        with self._lock:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the file is closed
                stored = os.pread(descriptor, _SLOT.size, 0)
                free = _SLOT.unpack(stored)[0] if len(stored) == _SLOT.size else float("-inf")
                following = next_slot(free, interval, deadline, wait)
                if following is None:
                    return False
                os.pwrite(descriptor, _SLOT.pack(following), 0)
                return True
            finally:
                os.close(descriptor)
