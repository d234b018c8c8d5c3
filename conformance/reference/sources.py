"""The two paged collections, each one account's filtered view of the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conformance.reference.records import AudienceRecord, ContactRecord
from conformance.reference.store import Store


@dataclass(frozen=True)
class AudienceSource:
    store: Store
    account_id: str
    channel: str | None

    def rows(self, after_seq: int, limit: int) -> Sequence[AudienceRecord]:
        return self.store.list_audiences(self.account_id, self.channel, after_seq, limit)

    def count(self) -> int:
        return self.store.count_audiences(self.account_id, self.channel)

    def seq_before(self, up_to_seq: int, skip: int) -> int | None:
        return self.store.audience_seq_before(self.account_id, self.channel, up_to_seq, skip)


@dataclass(frozen=True)
class ContactSource:
    store: Store
    account_id: str
    audience_id: str
    search: str | None

    def rows(self, after_seq: int, limit: int) -> Sequence[ContactRecord]:
        return self.store.list_contacts(
            self.account_id, self.audience_id, self.search, after_seq, limit
        )

    def count(self) -> int:
        return self.store.count_contacts(self.account_id, self.audience_id, self.search)

    def seq_before(self, up_to_seq: int, skip: int) -> int | None:
        return self.store.contact_seq_before(
            self.account_id, self.audience_id, self.search, up_to_seq, skip
        )
