"""The six operations of the contract (section 3), free of HTTP: a Call in, a Reply out.

They run on the server's event loop (each is a few short SQLite statements); refusals are
raised as ApiError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from conformance.reference.errors import ApiError, Code
from conformance.reference.filters import (
    CHANNEL_FILTER,
    SEARCH_FILTER,
    channel_filter,
    search_filter,
)
from conformance.reference.pagination import PageQuery, Paginator, parse_page_size
from conformance.reference.records import AudienceRecord
from conformance.reference.sources import AudienceSource, ContactSource
from conformance.reference.store import NameTaken, Store
from conformance.reference.validation import check_create, check_update
from conformance.reference.views import AUDIENCES_PATH, audience_view, contact_view, contacts_path


@dataclass(frozen=True)
class Call:
    account_id: str  # the account of the request's key (AUTH-01)
    audience_id: str | None  # a well-formed id (VAL-1302 already passed) on item routes
    query: Mapping[str, str]
    body: object
    base_url: str  # where the API lives, for links (PAGE-09)


@dataclass(frozen=True)
class Reply:
    status: int
    content: dict[str, object] | None = None  # None: no body (204)


class Operations:
    def __init__(self, store: Store, paginator: Paginator) -> None:
        self.store = store
        self.paginator = paginator

    def query_audiences(self, call: Call) -> Reply:
        """GET /v1/audiences: one page of the account's audiences, optionally of one channel."""
        page_size = parse_page_size(call.query.get("page_size"))
        channel = channel_filter(call.query)
        filters = ((CHANNEL_FILTER, channel),) if channel else ()
        query = PageQuery(AUDIENCES_PATH, call.account_id, filters, page_size)
        position = self.paginator.position(query, call.query.get("page_token"))
        # TEN-01: the source holds only the key's own account.
        page = self.paginator.page(
            query, position, AudienceSource(self.store, call.account_id, channel), call.base_url
        )
        return Reply(
            200,
            {
                "data": [audience_view(record, call.base_url) for record in page.items],
                "pagination": page.pagination,
            },
        )

    def create_audience(self, call: Call) -> Reply:
        """POST /v1/audiences: CRUD-01; validated whole before anything is written (VAL-01)."""
        new = check_create(call.body)
        try:
            record = self.store.create_audience(
                call.account_id, new.name, new.channel, new.contacts
            )
        except NameTaken:
            raise _name_taken() from None
        return Reply(201, {"data": audience_view(record, call.base_url)})

    def get_audience(self, call: Call) -> Reply:
        """GET /v1/audiences/{id}: CRUD-02."""
        return Reply(200, {"data": audience_view(self._audience(call), call.base_url)})

    def update_audience(self, call: Call) -> Reply:
        """PUT /v1/audiences/{id}: CRUD-03, only the name changes; renaming to its own name is fine."""
        name = check_update(call.body)
        try:
            record = self.store.rename_audience(call.account_id, _id(call), name)
        except NameTaken:
            raise _name_taken() from None
        if record is None:
            raise _not_found()
        return Reply(200, {"data": audience_view(record, call.base_url)})

    def delete_audience(self, call: Call) -> Reply:
        """DELETE /v1/audiences/{id}: CRUD-05, 204 and gone."""
        if not self.store.delete_audience(call.account_id, _id(call)):
            raise _not_found()
        return Reply(204)

    def query_contacts(self, call: Call) -> Reply:
        """GET /v1/audiences/{id}/contacts: CRUD-06, the contacts given at create, paged and searchable."""
        audience_id = _id(call)
        page_size = parse_page_size(call.query.get("page_size"))
        search = search_filter(call.query)
        filters = ((SEARCH_FILTER, search),) if search else ()
        query = PageQuery(contacts_path(audience_id), call.account_id, filters, page_size)
        position = self.paginator.position(query, call.query.get("page_token"))
        self._audience(call)
        page = self.paginator.page(
            query,
            position,
            ContactSource(self.store, call.account_id, audience_id, search),
            call.base_url,
        )
        return Reply(
            200,
            {
                "data": [contact_view(record) for record in page.items],
                "pagination": page.pagination,
            },
        )

    def _audience(self, call: Call) -> AudienceRecord:
        record = self.store.get_audience(call.account_id, _id(call))
        if record is None:
            raise _not_found()
        return record


def _id(call: Call) -> str:
    assert call.audience_id is not None, "item operations are only routed with an id"
    return call.audience_id


def _not_found() -> ApiError:
    # VAL-1301, TEN-01: another account's audience is answered exactly like a missing one.
    return ApiError.one(404, Code.AUDIENCE_NOT_FOUND, "No audience with this id exists.")


def _name_taken() -> ApiError:
    return ApiError.one(
        409, Code.NAME_TAKEN, "Another audience of this account already has this name."
    )  # VAL-1309
