"""Which requests may change data: every method but the safe ones (RFC 9110)."""

from __future__ import annotations

# Methods that change nothing by their definition; anything else may.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
