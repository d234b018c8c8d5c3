"""The suite's folder in the user's cache: what one run learns that saves the next run time.

Nothing kept there names a target or holds a key: only what is the same for every target (a
Unicode table, how long each test's chain of requests is). CI templates cache this folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_home() -> Path:
    """``$XDG_CACHE_HOME/audience-conformance``, or ``~/.cache/audience-conformance``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "audience-conformance"
