"""What each test sent in the last run: its chain of requests, and whether it wrote.

Under ``--workers`` the quiet lock runs the tests in phases (:func:`conformance.plugin.quiet_lock.in_phases`),
and a phase lasts as long as its busiest worker. Across a network a test takes about its
dependent chain times the round trip (:mod:`conformance.plugin.critical_path`), so a phase whose
longest test starts last ends with one worker busy and the others idle; and a test that sent no
write needs no lock at all, so it can run while a quiet test that writes holds the account alone.
The last run of the same profile is kept in the user's cache folder (test ids and numbers,
nothing of a target); the controller reads it once and hands it to every worker, since xdist
needs the same order in each. A first run, or a test the history does not know, keeps
collection order. The history only orders the tests: the lock keeps them apart whatever it says.

Before its first run a user has no history, so the suite carries one per profile, measured on
the reference when the suite was built (``measured/``, made by ``python bench/measure_chains.py``):
a first run orders its workers as a later one would.

A fixture shared by several tests (a module's audience to read) writes in whichever test
meets it first, and that test differs from run to run; so the history also names the shared
fixtures that wrote, and no test using one of them counts as writing nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from conformance.run.cache_home import cache_home
from conformance.run.settings import RunSettings

HISTORY_KEY = "audience_history"  # on a worker's workerinput: the history, as kept on disk


@dataclass(frozen=True)
class Measured:
    """One test in the last run."""

    chain: int  # requests that waited for each other's answers
    writes: int  # requests whose method may change data
    # The shared fixtures (wider than one test) this test set up that wrote.
    fixtures_that_wrote: tuple[str, ...] = ()


def history_path(settings: RunSettings) -> Path:
    """One history per profile, and one more for read-only runs (whose tests write nothing)."""
    read_only = "-read-only" if settings.read_only else ""
    return cache_home() / f"chains-{settings.profile.name}{read_only}.json"


def from_json(data: Any) -> dict[str, Measured]:
    """The tests of a history as kept (``{test: [chain, writes]}``, or ``[chain, writes, [fixture,
    ...]]``); entries of another shape are left out."""
    if not isinstance(data, dict):
        return {}
    return {
        test: Measured(entry[0], entry[1], tuple(entry[2]) if len(entry) == 3 else ())
        for test, entry in data.items()
        if _is_entry(entry)
    }


def _is_entry(entry: Any) -> bool:
    if not isinstance(entry, list) or len(entry) not in (2, 3):
        return False
    numbers_are_counts = all(type(number) is int and number >= 0 for number in entry[:2])
    names = entry[2] if len(entry) == 3 else []
    return (
        numbers_are_counts
        and isinstance(names, list)
        and all(isinstance(name, str) for name in names)
    )


def to_json(history: Mapping[str, Measured]) -> dict[str, list[Any]]:
    return {test: _as_entry(measured) for test, measured in history.items()}


def _as_entry(measured: Measured) -> list[Any]:
    """``[chain, writes]``, with the fixtures that wrote as a third element when there are any."""
    entry: list[Any] = [measured.chain, measured.writes]
    if measured.fixtures_that_wrote:
        entry.append(list(measured.fixtures_that_wrote))
    return entry


def writing_fixtures(history: Mapping[str, Measured]) -> frozenset[str]:
    """The shared fixtures that wrote in the last run, whichever test set them up."""
    return frozenset(name for measured in history.values() for name in measured.fixtures_that_wrote)


def measured_name(profile: str) -> str:
    """The file, in the package's ``measured`` folder, of the chains measured on the reference."""
    return f"chains-{profile}.json"


def load_measured(profile: str) -> dict[str, Measured]:
    """The chains the suite carries for ``profile``; nothing for a profile it has none of."""
    try:
        text = (
            resources.files(__package__)
            .joinpath("measured", measured_name(profile))
            .read_text(encoding="utf-8")
        )
        return from_json(json.loads(text))
    except (OSError, ValueError):
        return {}


def load_for_run(settings: RunSettings) -> dict[str, Measured]:
    """The user's last run of the profile, or before any the chains the suite carries."""
    return load(history_path(settings)) or load_measured(settings.profile.name)


def load(path: Path) -> dict[str, Measured]:
    """What is kept at ``path``; nothing when there is no such file or it is not ours."""
    try:
        return from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def save(path: Path, history: Mapping[str, Measured]) -> None:
    """Keep ``history`` over what was kept, replacing the file at once (best effort: a cache
    that cannot be written costs the next run only time)."""
    if not history:
        return
    kept = to_json({**load(path), **history})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as written:
            json.dump(kept, written, sort_keys=True)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
