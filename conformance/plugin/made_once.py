"""Session data that one run makes once, however many workers run its tests.

Under pytest-xdist every worker has its own session, so a session fixture would be made once
per worker: the pagination data set N times over, N times the creates, and walks that see the
other workers' copies. The standard recipe instead: a file lock in the run's folder; the first
worker to need the data makes it and writes it there as JSON, the others read it. Only the
maker's journal names what it created, so the main process deletes it once at the end.

A maker that fails writes nothing: the next worker that needs the data tries again (the
same valid creates, the same verdict on the rule they break), and each worker's pytest keeps
its own failure for its later tests, as one process keeps one.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

T = TypeVar("T")


class Maker(Protocol):
    """The worker's side of the recipe (:class:`conformance.plugin.worker_side.WorkerSide`)."""

    folder: Path

    def about_to_write(self) -> None: ...

    def read_after_all(self) -> None: ...


MAKER = pytest.StashKey[Maker]()  # set in a worker; absent in a run without workers


def made_once(
    config: pytest.Config,
    name: str,
    make: Callable[[], T],
    to_json: Callable[[T], Any],
    from_json: Callable[[Any], T],
) -> T:
    """``make()`` in one process, or its result as that process wrote it; in a run without workers, ``make()``."""
    side = config.stash.get(MAKER, None)
    if side is None:
        return make()
    return shared(
        side.folder,
        name,
        make,
        to_json,
        from_json,
        before_making=side.about_to_write,
        made_elsewhere=side.read_after_all,
    )


def shared(
    folder: Path,
    name: str,
    make: Callable[[], T],
    to_json: Callable[[T], Any],
    from_json: Callable[[Any], T],
    *,
    before_making: Callable[[], None],
    made_elsewhere: Callable[[], None] = lambda: None,
) -> T:
    """The recipe on ``folder``. ``before_making`` runs before the file lock is taken: a quiet
    reader must become exclusive first, or it would wait for readers who wait for its file.
    ``made_elsewhere`` runs when another process made it meanwhile (the reader reads again)."""
    path = folder / f"once-{name}.json"
    found = _read(path)
    if found is not None:
        return from_json(found)
    before_making()
    with _locked(folder / f"once-{name}.lock"):
        found = _read(path)
        if found is None:
            value = make()
            partial = path.with_suffix(f".{os.getpid()}.part")
            partial.write_text(json.dumps(to_json(value)), encoding="utf-8")
            os.replace(partial, path)  # whoever reads finds all of it or nothing
            return value
    made_elsewhere()
    return from_json(found)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
