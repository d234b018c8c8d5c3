"""The rows the store keeps and returns; ``seq`` is the internal keyset position, never shown.

Records are named tuples: a page builds a hundred of them per request, and a frozen
dataclass' ``__init__`` cost 13% of a page of 100 (docs/PERFORMANCE.md, Throughput).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class NewContact:
    """A contact as a create request gives it, already validated."""

    number: str
    first_name: str = ""
    last_name: str = ""


class AudienceRecord(NamedTuple):
    seq: int
    id: str
    account_id: str
    name: str
    channel: str
    create_date: str
    update_date: str
    contacts_count: int


class ContactRecord(NamedTuple):
    seq: int
    id: str
    account_id: str
    audience_id: str
    number: str
    first_name: str
    last_name: str
    create_date: str
    update_date: str
