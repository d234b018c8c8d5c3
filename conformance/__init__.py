"""audience-conformance: the conformance suite for the Audience API (/v1/audiences)."""

from __future__ import annotations

__version__ = "0.1.0"
