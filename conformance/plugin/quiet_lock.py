"""Tests that need a quiet account, when several processes run one run's tests.

An exact-set walk (every item once, the count equals ``total``, channel totals add up) holds
only while nobody creates or deletes audiences in the account. Under workers the other
processes of the same run are such writers. A lock on files of the run's folder keeps those
checks exact, with three classes of holders:

- READERS: a quiet test (one that reads the whole account or every audience of the run, or
  walks the shared pagination data set) that does not write. Readers share the lock with each
  other, on any number of workers, and exclude writers;
- WRITERS: any other test, from its first write (a create, an update, a delete, its fixtures'
  included) to its end. Writers share the lock with each other and exclude readers;
- EXCLUSIVE: a quiet test that writes (marker ``writes``, e.g. create and then list), or a
  reader that writes after all (the first test to need the data set creates it): alone.

A quiet test takes its class for its whole protocol (setup, call, teardown). A reader that
writes leaves READERS and takes EXCLUSIVE before the write goes out, and keeps it to its end.
No test of the run writes while a walk is under way, walks run beside each other, and tests
that neither walk nor write take no lock at all.

Readers come first: a reader (or an exclusive test) that waits holds a turnstile that every
test entering a class passes through, so no writer enters behind it; a writer that waits for
the readers to leave lets the readers who arrive meanwhile in. The readers are a finite set
that the workers run before the tests that write (:func:`in_phases`), so the walks go in one
wave, and a writer waits at most for them; were a writer to hold the turnstile, a reader queued
on another worker would wait for it and for every writer in with it. A worker whose next test
is a reader too keeps its place among the readers from one to the other
(:class:`conformance.plugin.worker_side.WorkerSide`), so a writer cannot slip in between.
``flock`` locks vanish with the process that held them: a worker killed mid-test blocks nobody.

The workers run the quiet writers first (one makes the data set) beside the tests that wrote
nothing in the last run, then the quiet readers, then the rest (:func:`in_phases`), so that they
hold one class together instead of alternating after every test; in each phase, the longest
tests of the last run first. Sharding keeps every quiet test in one shard (:func:`group_of`): the data set is made
once per matrix of shards.
"""

from __future__ import annotations

import enum
import fcntl
import itertools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from conformance.checks import account_wide
from conformance.plugin.chain_history import Measured, writing_fixtures

T = TypeVar("T")
GROUP = "audience-quiet-account"
RUN_WIDE = "run_wide"  # marker: the test lists every audience of the run (by its prefix)
WRITES = "writes"  # marker: the test creates or changes data (a quiet one takes EXCLUSIVE from its start)
WAITS = "waits"  # marker: the test sleeps on purpose (a date's second to pass): first in its phase
# Fixtures whose data the exact-set checks count on.
SHARED_DATA_FIXTURES = frozenset({"dataset", "known", "secondary_ids"})


class Kind(enum.Enum):
    """Who holds the lock: quiet tests that read, tests that write, or a quiet test that writes."""

    READERS = "readers"
    WRITERS = "writers"
    EXCLUSIVE = "exclusive"


def add_marker(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{RUN_WIDE}: the test lists every audience of the run; under workers no other test of the run writes meanwhile",
    )
    config.addinivalue_line(
        "markers",
        f"{WAITS}: the test sleeps on purpose; under workers it goes first in its phase, its sleep beside the others' requests",
    )


def needs_quiet(item: pytest.Item) -> bool:
    """A test whose checks read the whole account or all of the run's audiences, or walk the
    shared data set: no other test of the run may write meanwhile."""
    fixtures = set(getattr(item, "fixturenames", ()))
    return any(
        item.get_closest_marker(name) is not None for name in (account_wide.MARKER, RUN_WIDE)
    ) or bool(fixtures & SHARED_DATA_FIXTURES)


def kind_at_start(item: pytest.Item) -> Kind | None:
    """The class a test takes before its setup: a quiet test's, or none (a writer takes
    WRITERS at its first write)."""
    if not needs_quiet(item):
        return None
    return Kind.EXCLUSIVE if item.get_closest_marker(WRITES) is not None else Kind.READERS


def group_of(item: pytest.Item) -> str:
    """The unit sharding never splits: the quiet tests (one data set per shard that has them), or the test itself."""
    return GROUP if needs_quiet(item) else item.nodeid


def in_phases(
    items: list[pytest.Item], history: Mapping[str, Measured] | None = None
) -> list[pytest.Item]:
    """The quiet writers, then the tests that wrote nothing in the last run, then the quiet
    readers, then the rest: the same order in every worker (xdist requires it), and workers that
    hold one class together. A test using a shared fixture that wrote in the last run may be the
    one to set it up this time: it goes with the rest.

    The quiet writers come first because they run one at a time wherever they are: at the start
    no reader is queued behind them yet, and the readers then walk together without a break.
    Meanwhile the other workers run the tests that need no lock (they neither walk nor wrote
    last time; one that writes after all takes WRITERS at its write, as any test does). Within
    a phase the longest chains of the last run go first, so a phase does not end with one worker
    busy, and each long test is followed by the shortest left (:func:`longest_beside_shortest`);
    before them, a test that sleeps on purpose (marker ``waits``): few requests, but seconds.
    Without a ``history``, the phases hold collection order and the lock-free tests go with the
    rest.

    Data that one run makes once (the data set, the second account's audiences) is made by the
    first quiet test that needs it, which then writes alone. So that this never happens among
    the readers (where it would stop every walk until it is done), for each such fixture that
    wrote in the last run, the quiet test using it with the shortest chain goes with the quiet
    writers, unless one of them uses it already."""
    known = history or {}
    shared_writers = writing_fixtures(known)
    first = makers(items, known)

    def wrote_nothing(item: pytest.Item, last: Measured | None) -> bool:
        return last is not None and last.writes == 0 and not _fixtures(item) & shared_writers

    def phase(item: pytest.Item) -> tuple[int, bool, int]:
        kind = kind_at_start(item)
        last = known.get(item.nodeid)
        if kind is Kind.EXCLUSIVE or item.nodeid in first:
            order = 0
        elif kind is Kind.READERS:
            order = 2
        else:
            order = 1 if wrote_nothing(item, last) else 3
        return order, item.get_closest_marker(WAITS) is None, -_chain(last)

    keys = {item.nodeid: phase(item) for item in items}
    ordered = sorted(items, key=lambda item: keys[item.nodeid])
    if not known:
        return ordered
    return [
        item
        for _, group in itertools.groupby(ordered, key=lambda item: keys[item.nodeid][0])
        for item in longest_beside_shortest(list(group))
    ]


def longest_beside_shortest(tests: list[T]) -> list[T]:
    """Longest first, each followed by the shortest left: a worker holds two tests it will run
    (xdist sends a test only with the next), so two long ones never wait in one queue."""
    zigzag: list[T] = []
    head, tail = 0, len(tests) - 1
    while head <= tail:
        zigzag.append(tests[head])
        if head != tail:
            zigzag.append(tests[tail])
        head, tail = head + 1, tail - 1
    return zigzag


def _chain(measured: Measured | None) -> int:
    """A test's chain in the last run; 0 for a test it did not know."""
    return measured.chain if measured is not None else 0


def _fixtures(item: pytest.Item) -> set[str]:
    return set(getattr(item, "fixturenames", ()))


def makers(items: list[pytest.Item], known: Mapping[str, Measured]) -> set[str]:
    """For each fixture of data made once that wrote last time, the quiet test to make it first.

    Such a test runs with the quiet writers and, being about to write, takes EXCLUSIVE from its
    start (:meth:`conformance.plugin.worker_side.WorkerSide.pytest_runtest_protocol`): a reader
    turning exclusive later would wait for every reader in, and keep out every reader after it."""
    shared_writers = writing_fixtures(known)
    quiet_tests = [item for item in items if kind_at_start(item) is not None]
    made_first = set().union(
        *(_fixtures(item) for item in quiet_tests if kind_at_start(item) is Kind.EXCLUSIVE)
    )
    chosen = set()
    for fixture in sorted(shared_writers - made_first):
        users = [item for item in quiet_tests if fixture in _fixtures(item)]
        if users:
            shortest = min(users, key=lambda item: _chain(known.get(item.nodeid)))
            chosen.add(shortest.nodeid)
    return chosen


@dataclass(frozen=True)
class Held:
    """The lock as one process holds it: its class and the open files that carry it."""

    kind: Kind
    handles: tuple[int, ...]


class QuietLock:
    """A lock of three classes between the run's processes, readers first, on three files of the run's folder.

    Entering a class: take the turnstile; wait until the other class's room is empty (take it
    exclusively and let go), or both rooms for EXCLUSIVE (kept); take the own room shared; let
    go of the turnstile. A reader or an exclusive test that waits for a room holds the turnstile
    meanwhile, so nobody enters behind it. A writer that finds readers in lets go of the
    turnstile, waits for the readers' room to empty, and tries again: readers who come
    meanwhile go in before it."""

    def __init__(self, folder: Path) -> None:
        self.turnstile = folder / "quiet.turnstile"
        self.rooms = {
            Kind.READERS: folder / "quiet.readers",
            Kind.WRITERS: folder / "quiet.writers",
        }

    def acquire(self, kind: Kind) -> Held:
        """Block until the lock is ours in ``kind``; returns what :meth:`release` lets go of."""
        if kind is Kind.WRITERS:
            return self._enter_behind_readers()
        turnstile = _open(self.turnstile)
        kept: list[int] = []
        try:
            fcntl.flock(turnstile, fcntl.LOCK_EX)
            if kind is Kind.EXCLUSIVE:
                for room in self.rooms.values():
                    kept.append(_open(room))
                    fcntl.flock(kept[-1], fcntl.LOCK_EX)
            else:
                other = _open(self.rooms[Kind.WRITERS if kind is Kind.READERS else Kind.READERS])
                try:
                    fcntl.flock(other, fcntl.LOCK_EX)  # the other class has left
                finally:
                    os.close(other)
                kept.append(_open(self.rooms[kind]))
                fcntl.flock(kept[-1], fcntl.LOCK_SH)
        except BaseException:
            for handle in kept:
                os.close(handle)
            raise
        finally:
            os.close(turnstile)  # closing releases the turnstile
        return Held(kind, tuple(kept))

    def _enter_behind_readers(self) -> Held:
        while True:
            turnstile = _open(self.turnstile)
            try:
                fcntl.flock(turnstile, fcntl.LOCK_EX)
                if room_is_empty(self.rooms[Kind.READERS]):
                    room = _open(self.rooms[Kind.WRITERS])
                    try:
                        fcntl.flock(room, fcntl.LOCK_SH)
                    except BaseException:
                        os.close(room)
                        raise
                    return Held(Kind.WRITERS, (room,))
            finally:
                os.close(turnstile)  # closing releases the turnstile
            readers = _open(self.rooms[Kind.READERS])
            try:
                fcntl.flock(readers, fcntl.LOCK_EX)  # the readers have left, for now
            finally:
                os.close(readers)

    @staticmethod
    def release(held: Held) -> None:
        for handle in held.handles:
            os.close(handle)  # closing releases the lock

    @contextmanager
    def held(self, kind: Kind) -> Iterator[None]:
        taken = self.acquire(kind)
        try:
            yield
        finally:
            self.release(taken)


def room_is_empty(room: Path) -> bool:
    """Whether nobody holds ``room`` (it can be taken exclusively, and is let go at once)."""
    handle = _open(room)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(handle)
    return True


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
