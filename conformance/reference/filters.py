"""The query filters of the two collections, normalized as links and tokens carry them."""

from __future__ import annotations

from collections.abc import Mapping

from conformance.reference.errors import ApiError, Code
from conformance.reference.validation import CHANNELS

CHANNEL_FILTER = "filter[channel]"
SEARCH_FILTER = "filter[search]"


def channel_filter(query: Mapping[str, str]) -> str | None:
    """FILT-03: 'viber' and 'Viber' mean VIBER; FILT-04: an unknown channel is a 400 with 1307."""
    value = query.get(CHANNEL_FILTER)
    if not value:  # absent or empty: no filter
        return None
    # ASCII only: str.upper() would turn some non-ASCII letters (such as 'ſ') into ASCII ones.
    channel = value.upper() if value.isascii() else value
    if channel not in CHANNELS:
        raise ApiError.one(
            400, Code.CHANNEL_INVALID, f"'{CHANNEL_FILTER}' must be one of {', '.join(CHANNELS)}."
        )
    return channel


def search_filter(query: Mapping[str, str]) -> str | None:
    """CRUD-06: text a contact's number, first or last name must contain; empty means none."""
    return query.get(SEARCH_FILTER) or None
