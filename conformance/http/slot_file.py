"""The run's next free request slot in a file of the run's folder, shared by its processes.

Under ``--workers`` each process sends requests of its own; ``--rate-limit`` counts them all
together, as the target's firewall does. The slot is read and advanced under an exclusive
``flock`` of the file (and a thread lock, so a process' threads queue before they reach the
file), eight bytes at its start: the ``time.monotonic()`` value from which the next request
may leave. The monotonic clock is the machine's (Linux, macOS), so every process of the run
reads the same time; the processes of one run share a machine and its folder.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
from pathlib import Path

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

    def reserve(self, earliest: float, interval: float, deadline: float | None) -> float | None:
        """The next free slot at or after ``earliest``, advanced one ``interval`` past it; None
        (nothing reserved) when it starts after ``deadline``."""
        with self._lock:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the file is closed
                stored = os.pread(descriptor, _SLOT.size, 0)
                free = _SLOT.unpack(stored)[0] if len(stored) == _SLOT.size else float("-inf")
                slot = max(free, earliest)
                if deadline is not None and slot > deadline:
                    return None
                os.pwrite(descriptor, _SLOT.pack(slot + interval), 0)
                return slot
            finally:
                os.close(descriptor)
