"""UTC timestamps in the contract's one date format."""

from __future__ import annotations

from datetime import UTC, datetime

# DATE-01: UTC, 'yyyy-MM-dd HH:mm:ss'.
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def utc_now_text() -> str:
    """The current UTC time as the API writes it; text order is time order in this format."""
    return datetime.now(UTC).strftime(DATE_FORMAT)
