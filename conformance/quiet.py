"""Tests that need a quiet account, when several processes run one run's tests.

An exact-set walk (every item once, the count equals ``total``, channel totals add up) holds
only while nobody creates or deletes audiences in the account. Under workers the other
processes of the same run are such writers. Two measures keep those checks exact:

- every test that reads the whole account or every audience of the run, or walks the shared
  pagination data set (PAGE-12 walks it while writing), is put in one xdist group: one
  worker runs them one after another, and the data set is made once;
- a lock on a file of the run: a quiet test holds it exclusively for its whole protocol (setup,
  call, teardown); any other test takes it shared at its first write (a create, an update, a
  delete, its fixtures' included) and keeps it to its end. No test of the run writes while a
  walk is under way, tests that only read run beside it, and a walk waits for the tests that
  wrote to end.

The lock is fair: a waiting quiet test first takes a turnstile that new tests also pass
through, so a steady stream of other tests cannot starve it. ``flock`` locks vanish with the
process that held them: a worker killed mid-test blocks nobody.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance import account_wide

GROUP = "audience-quiet-account"
RUN_WIDE = "run_wide"  # marker: the test lists every audience of the run (by its prefix)
# Fixtures whose data the exact-set checks count on: their tests run where the data set is.
SHARED_DATA_FIXTURES = frozenset({"dataset", "known", "secondary_ids"})


def add_marker(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{RUN_WIDE}: the test lists every audience of the run; under workers no other test of the run writes meanwhile")


def needs_quiet(item: pytest.Item) -> bool:
    """A test whose checks read the whole account or all of the run's audiences, or walk the
    shared data set: no other test of the run may write meanwhile."""
    fixtures = set(getattr(item, "fixturenames", ()))
    return any(item.get_closest_marker(name) is not None for name in (account_wide.MARKER, RUN_WIDE)) or bool(fixtures & SHARED_DATA_FIXTURES)


def in_quiet_group(item: pytest.Item) -> bool:
    """Quiet tests run in one process, one after another (the data set is made once)."""
    return needs_quiet(item)


def group_of(item: pytest.Item) -> str:
    """The unit that scheduling and sharding never split: the quiet group, or the test itself."""
    return GROUP if in_quiet_group(item) else item.nodeid


def mark_groups(items: list[pytest.Item]) -> None:
    """Put the quiet group's tests in one xdist group (``--dist loadgroup`` keeps them together)."""
    for item in items:
        if in_quiet_group(item):
            item.add_marker(pytest.mark.xdist_group(GROUP))


class QuietLock:
    """A fair readers-writer lock between the run's processes, on two files of the run's folder."""

    def __init__(self, folder: Path) -> None:
        self.turnstile = folder / "quiet.turnstile"
        self.room = folder / "quiet.lock"

    def acquire(self, exclusive: bool) -> int:
        """Block until the room is ours (alone, or shared with other writers); returns its handle."""
        turnstile = os.open(self.turnstile, os.O_RDWR | os.O_CREAT, 0o600)
        room = os.open(self.room, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(turnstile, fcntl.LOCK_EX)
            fcntl.flock(room, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        except BaseException:
            os.close(room)
            raise
        finally:
            os.close(turnstile)  # closing releases the turnstile
        return room

    @staticmethod
    def release(handle: int) -> None:
        os.close(handle)  # closing releases the lock

    @contextmanager
    def held(self, exclusive: bool) -> Iterator[None]:
        handle = self.acquire(exclusive)
        try:
            yield
        finally:
            self.release(handle)
