"""Stopping the workers before the run's cleanup: no worker may still be writing.

The workers still running are signalled (SIGTERM), given :data:`STOP_GRACE` seconds to end
their journal, then killed; every journal's audiences then join the controller's ledger.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from conformance.plugin.worker_journal import journals_in, read_journal
from conformance.run.session import RunContext

STOP_GRACE = 5.0  # seconds a signalled worker has to stop before it is killed


def stop_workers(folder: Path, context: RunContext) -> None:
    """Before the cleanup: no worker may still be writing; then their journals join the ledger."""
    journals = [read_journal(path) for path in journals_in(folder)]
    running = [
        journal.pid
        for journal in journals
        if journal.pid and not journal.ended and _alive(journal.pid)
    ]
    for pid in running:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    while running and time.monotonic() < deadline:
        time.sleep(0.05)
        ended = {
            journal.pid
            for journal in (read_journal(path) for path in journals_in(folder))
            if journal.ended
        }
        running = [pid for pid in running if pid not in ended and _alive(pid)]
    for pid in running:
        _signal(pid, signal.SIGKILL)
    if journals and not context.settings.read_only:
        # A worker may have written without a 201 telling it (or been killed before hearing
        # it): the controller's sweep for the run's prefix must run.
        context.guard.writes_let_through += 1
    keys = [target.api_key for target in context.targets]
    for path in journals_in(folder):
        for account, audience_id in read_journal(path).created:
            if account < len(keys):
                context.ledger.adopt(keys[account], audience_id)


def _alive(pid: int) -> bool:
    """Still running (a zombie, dead but not yet reaped by xdist, is not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError:
        pass
