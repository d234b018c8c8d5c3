"""Each test's chain of requests, remembered from the last run: the longest tests start first.

Under ``--workers`` the quiet lock runs the tests in phases (:func:`conformance.plugin.quiet_lock.in_phases`),
and a phase lasts as long as its busiest worker. Across a network a test takes about its
dependent chain times the round trip (:mod:`conformance.plugin.critical_path`), so a phase whose
longest test starts last ends with one worker busy and the others idle. The chains of the last
run of the same profile are kept in the user's cache folder (test ids and numbers, nothing of a
target); the controller reads them once and hands them to every worker, since xdist needs the
same order in each. A first run, or a test the history does not know, keeps collection order.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from conformance.run.cache_home import cache_home

HISTORY_KEY = "audience_chains"  # on a worker's workerinput: test id -> chain, in requests


def history_path(profile: str) -> Path:
    return cache_home() / f"chains-{profile}.json"


def load(path: Path) -> dict[str, int]:
    """What is kept at ``path``; nothing when there is no such file or it is not ours."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        test: length
        for test, length in data.items()
        if isinstance(length, int) and not isinstance(length, bool) and length >= 0
    }


def save(path: Path, chains: dict[str, int]) -> None:
    """Keep ``chains`` over what was kept, replacing the file at once (best effort: a cache
    that cannot be written costs the next run only time)."""
    if not chains:
        return
    kept = {**load(path), **chains}
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
