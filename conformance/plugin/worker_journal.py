"""A worker's journal: every audience it creates, written at once to a file of the run's folder.

The controller reads the journals at the run's end, and at any stop, so that what a worker
created is deleted even when the worker was killed before it could say so. A delete the
worker saw answered ``204`` is written too: the cleanup does not send it again.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from conformance.http.ledger import take_one

PATTERN = "journal-*.jsonl"


@dataclass
class Journal:
    pid: int
    ended: bool
    created: list[tuple[int, str]]


class JournalWriter:
    """The journal a worker appends to: its pid first, each creation, and its end."""

    def __init__(self, folder: Path, worker_id: str) -> None:
        # open for the worker's whole life, flushed at each entry: no with-block spans it
        self._file: IO[str] = open(  # noqa: SIM115
            folder / f"journal-{worker_id}.jsonl", "a", encoding="utf-8", buffering=1
        )
        self.write({"pid": os.getpid()})

    def write(self, entry: dict[str, Any]) -> None:
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()

    def created(self, account: int, audience_id: str) -> None:
        self.write({"account": account, "id": audience_id})

    def gone(self, account: int, audience_id: str) -> None:
        """A delete answered ``204``: the controller's cleanup leaves that id to the sweep."""
        self.write({"account": account, "gone": audience_id})

    def ended(self, waited: float) -> None:
        """The last entry: the worker is done (nothing is written after it)."""
        self.write({"end": True, "waited": round(waited, 1)})
        self._file.close()


def journals_in(folder: Path) -> list[Path]:
    return sorted(folder.glob(PATTERN))


def read_journal(path: Path) -> Journal:
    """A worker's journal: what it created and did not see deleted since, in order; a line
    cut short by a kill is skipped."""
    journal = Journal(pid=0, ended=False, created=[])
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return journal
    # In order, with the creates seen less the deletes answered 204 (an id given again counts twice).
    created: Counter[tuple[int, str]] = Counter()
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        if "pid" in entry:
            journal.pid = int(entry["pid"])
        if entry.get("end"):
            journal.ended = True
        if "id" in entry:
            created[(int(entry.get("account", 0)), str(entry["id"]))] += 1
        if "gone" in entry:
            take_one(created, (int(entry.get("account", 0)), str(entry["gone"])))
    journal.created = list(created)
    return journal
