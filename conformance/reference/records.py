"""The rows the store keeps and returns; ``seq`` is the internal keyset position, never shown."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NewContact:
    """A contact as a create request gives it, already validated."""

    number: str
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class AudienceRecord:
    seq: int
    id: str
    account_id: str
    name: str
    channel: str
    create_date: str
    update_date: str
    contacts_count: int


@dataclass(frozen=True)
class ContactRecord:
    seq: int
    id: str
    account_id: str
    audience_id: str
    number: str
    first_name: str
    last_name: str
    create_date: str
    update_date: str
