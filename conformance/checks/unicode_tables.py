"""Hypothesis' Unicode tables, computed once per machine instead of once per run.

Generating strings for the spec's examples needs the table of characters UTF-8 can encode;
Hypothesis computes it by trying every code point (seconds of CPU) and keeps it in its home
folder. ``audience-conformance run`` gives each run a fresh home folder (nothing of one target
steers a run against another), so every run paid for the table again. The tables depend only
on Hypothesis' version and Python's Unicode version, never on a target: they are kept in the
user's cache folder and copied into each run's home folder, and new ones are copied back.
Under workers the controller makes them before any worker starts (:func:`make`): otherwise every
worker of a first run computes the same tables at once, on the same cores.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import hypothesis
from hypothesis import Phase, find, settings
from hypothesis import strategies as st
from hypothesis.configuration import storage_directory
from hypothesis.errors import HypothesisSideeffectWarning

from conformance.run.cache_home import cache_home

FOLDER = "unicode_data"  # Hypothesis' own folder name for these tables, below its home


def cache_folder() -> Path:
    return cache_home() / f"hypothesis-{hypothesis.__version__}" / FOLDER


def _run_folder() -> Path:
    return Path(storage_directory(FOLDER, intent_to_write=False).path)


def restore() -> None:
    """Copy the cached tables into this run's Hypothesis home (best effort: a cold cache only costs time)."""
    _copy_missing(cache_folder(), _run_folder())


def make() -> None:
    """Have Hypothesis compute the tables into this run's home, where they are not yet, and keep
    them: drawing one string of UTF-8 characters needs both (a moment when they are there)."""
    with warnings.catch_warnings():
        # Hypothesis warns of disk access before its pytest plugin's session start, which is
        # where the controller calls this: here the access is the point.
        warnings.simplefilter("ignore", HypothesisSideeffectWarning)
        find(
            st.text(st.characters(codec="utf-8"), min_size=1),
            lambda text: True,
            settings=settings(database=None, max_examples=1, phases=[Phase.generate]),
        )
    keep()


def keep() -> None:
    """Copy tables this run computed into the cache, each file replaced atomically."""
    _copy_missing(_run_folder(), cache_folder())


def _copy_missing(source: Path, destination: Path) -> None:
    try:
        if not source.is_dir():
            return
        for path in source.rglob("*.json.gz"):
            target = destination / path.relative_to(source)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            os.close(handle)
            shutil.copyfile(path, temporary)
            os.replace(
                temporary, target
            )  # two runs filling the cache at once both write whole files
    except OSError:
        return
