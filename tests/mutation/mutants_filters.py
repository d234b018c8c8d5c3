"""Mutants of the filters (FILT-01 to FILT-04, and CRUD-06's contact search): what a filter keeps,
counts and refuses. Those in ``SHOULD_ONLY`` break only the SHOULD part of their rule."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp

from conformance.reference.app import create_app
from conformance.reference.records import AudienceRecord, ContactRecord
from conformance.reference.store import Store
from mutation import catalogue
from mutation.catalogue import mutant, should_only
from mutation.toolkit.answers import CHANNELS
from mutation.toolkit.pages import Params, refuse_when, rewrite_query
from mutation.toolkit.stores import EVERYTHING, audiences_where, over

SHOULD_ONLY = catalogue.SHOULD_ONLY  # the mutants only a strict run fails (read by the proofs)


# -- FILT-01 and FILT-02 -----------------------------------------------------------------------------


class FilterIgnored(Store):
    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        return super().list_audiences(account_id, None, after_seq, limit)

    def count_audiences(self, account_id: str, channel: str | None) -> int:
        return super().count_audiences(account_id, None)


class ChannelMatchedBy(Store):
    """A channel filter that keeps what ``keeps`` says, lists and totals alike."""

    def keeps(self, row: AudienceRecord, channel: str) -> bool:
        return row.channel == channel

    def list_audiences(
        self, account_id: str, channel: str | None, after_seq: int, limit: int
    ) -> list[AudienceRecord]:
        if channel is None:
            return super().list_audiences(account_id, None, after_seq, limit)
        return audiences_where(
            self, account_id, lambda row: self.keeps(row, channel), after_seq, limit
        )

    def count_audiences(self, account_id: str, channel: str | None) -> int:
        return len(self.list_audiences(account_id, channel, 0, EVERYTHING))


class FilterMissesAudiencesWithContacts(ChannelMatchedBy):
    def keeps(self, row: AudienceRecord, channel: str) -> bool:
        return row.channel == channel and row.contacts_count == 0


class SmsFilterAlsoKeepsWhatsapp(ChannelMatchedBy):
    def keeps(self, row: AudienceRecord, channel: str) -> bool:
        return row.channel == channel or (channel == "SMS" and row.channel == "WHATSAPP")


class ViberTotalMissesAudiencesWithContacts(Store):
    def count_audiences(self, account_id: str, channel: str | None) -> int:
        if channel != "VIBER":
            return super().count_audiences(account_id, channel)
        return len(
            audiences_where(
                self,
                account_id,
                lambda row: row.channel == "VIBER" and row.contacts_count == 0,
                0,
                EVERYTHING,
            )
        )


@mutant("FILT-01", "filter[channel] is ignored")
def channel_filter_ignored(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(FilterIgnored, store, keys)


@mutant("FILT-01", "filter[channel] leaves out audiences that have contacts")
def channel_filter_misses_audiences_with_contacts(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(FilterMissesAudiencesWithContacts, store, keys)


@mutant("FILT-01", "filter[channel]=SMS also returns WHATSAPP audiences")
def sms_filter_also_returns_whatsapp(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(SmsFilterAlsoKeepsWhatsapp, store, keys)


@mutant("FILT-02", "the VIBER total leaves out audiences that have contacts (the list is right)")
def viber_total_misses_audiences_with_contacts(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(ViberTotalMissesAudiencesWithContacts, store, keys)


# -- FILT-03 and FILT-04 -----------------------------------------------------------------------------


def channel_in(params: Params) -> str | None:
    return dict(params).get("filter[channel]") or None


@should_only
@mutant("FILT-03", "filter[channel] must be upper case; 'viber' is refused")
def channel_filter_case_sensitive(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return refuse_when(
        create_app(store, keys),
        lambda params: channel_in(params) not in (None, *CHANNELS),
        400,
        1307,
    )


@should_only
@mutant("FILT-04", "an unknown filter[channel] is ignored: every audience answers")
def unknown_channel_ignored(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return rewrite_query(
        create_app(store, keys),
        lambda params: [
            (n, v) for n, v in params if n != "filter[channel]" or v.upper() in CHANNELS
        ],
    )


@mutant("FILT-04", "an unknown filter[channel] fails the server")
def unknown_channel_fails_the_server(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return refuse_when(
        create_app(store, keys),
        lambda params: (channel_in(params) or "SMS").upper() not in CHANNELS,
        500,
        1009,
    )


# -- CRUD-06 ---------------------------------------------------------------------------------------


class SearchMatchedBy(Store):
    """filter[search] decided by ``matches`` instead of the reference's rule."""

    def matches(self, contact: ContactRecord, search: str) -> bool:
        raise NotImplementedError

    def list_contacts(
        self, account_id: str, audience_id: str, search: str | None, after_seq: int, limit: int
    ) -> list[ContactRecord]:
        rows = super().list_contacts(account_id, audience_id, None, after_seq, EVERYTHING)
        return [row for row in rows if search is None or self.matches(row, search)][:limit]

    def count_contacts(self, account_id: str, audience_id: str, search: str | None) -> int:
        return len(self.list_contacts(account_id, audience_id, search, 0, EVERYTHING))


class CaseSensitiveSearch(SearchMatchedBy):
    def matches(self, contact: ContactRecord, search: str) -> bool:
        return any(
            search in value for value in (contact.number, contact.first_name, contact.last_name)
        )


class SearchWithoutLastNames(SearchMatchedBy):
    def matches(self, contact: ContactRecord, search: str) -> bool:
        return any(
            search.casefold() in value.casefold() for value in (contact.number, contact.first_name)
        )


class ContactsRepeatTheLastOfThePageBefore(Store):
    def list_contacts(
        self, account_id: str, audience_id: str, search: str | None, after_seq: int, limit: int
    ) -> list[ContactRecord]:
        if after_seq:
            after_seq = (
                super().contact_seq_before(account_id, audience_id, search, after_seq, 1) or 0
            )
        return super().list_contacts(account_id, audience_id, search, after_seq, limit)


@should_only
@mutant("CRUD-06", "filter[search] is case-sensitive")
def contact_search_case_sensitive(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(CaseSensitiveSearch, store, keys)


@should_only
@mutant("CRUD-06", "filter[search] does not look at last names")
def contact_search_skips_last_names(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(SearchWithoutLastNames, store, keys)


@should_only
@mutant("CRUD-06", "contact pages repeat the last contact of the page before")
def contact_pages_overlap(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(ContactsRepeatTheLastOfThePageBefore, store, keys)
