"""Mutants of the audience's life (CRUD-*): creates, gets, updates and deletes that answer or
keep the wrong thing. Each breaks one rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp

from conformance.reference.app import create_app
from conformance.reference.records import AudienceRecord, NewContact
from conformance.reference.store import Store
from mutation.catalogue import mutant
from mutation.toolkit.answers import (
    CHANNELS,
    Answer,
    Exchange,
    OnRequest,
    Rewrite,
    account_of,
    envelope,
)
from mutation.toolkit.stores import StoreProxy, behaving_as, over

# -- CRUD-01 to CRUD-05: a store that answers or keeps the wrong thing -----------------------------


class UncountedCreate(StoreProxy):
    def create_audience(
        self, account_id: str, name: str, channel: str, contacts: tuple[NewContact, ...]
    ) -> AudienceRecord:
        return self.store.create_audience(account_id, name, channel, contacts)._replace(
            contacts_count=0
        )


@mutant("CRUD-01", "create answers contacts_count 0 whatever contacts were sent")
def uncounted_create(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(UncountedCreate, store, keys)


class UncountedGet(StoreProxy):
    def get_audience(self, account_id: str, audience_id: str) -> AudienceRecord | None:
        found = self.store.get_audience(account_id, audience_id)
        return found._replace(contacts_count=0) if found else None


@mutant("CRUD-02", "get does not count contacts (contacts_count 0)")
def uncounted_get(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(UncountedGet, store, keys)


class StaleRename(StoreProxy):
    def rename_audience(
        self, account_id: str, audience_id: str, name: str
    ) -> AudienceRecord | None:
        before = self.store.get_audience(account_id, audience_id)
        return before if self.store.rename_audience(account_id, audience_id, name) else None


@mutant("CRUD-03", "update renames, but answers the audience as it was before")
def stale_rename(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(StaleRename, store, keys)


class StillUpdateDate(StoreProxy):
    def rename_audience(
        self, account_id: str, audience_id: str, name: str
    ) -> AudienceRecord | None:
        before = self.store.get_audience(account_id, audience_id)
        after = self.store.rename_audience(account_id, audience_id, name)
        return after._replace(update_date=before.update_date) if after and before else after


@mutant("CRUD-04", "update answers the previous update_date")
def still_update_date(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(StillUpdateDate, store, keys)


class SoftDelete(StoreProxy):
    """Delete marks an audience gone for get, update and delete; the list query was not told."""

    def __init__(self, store: Store, keys: Mapping[str, str]) -> None:
        super().__init__(store, keys)
        self.deleted: set[str] = set()

    def get_audience(self, account_id: str, audience_id: str) -> AudienceRecord | None:
        return (
            None
            if audience_id in self.deleted
            else self.store.get_audience(account_id, audience_id)
        )

    def rename_audience(
        self, account_id: str, audience_id: str, name: str
    ) -> AudienceRecord | None:
        return (
            None
            if audience_id in self.deleted
            else self.store.rename_audience(account_id, audience_id, name)
        )

    def delete_audience(self, account_id: str, audience_id: str) -> bool:
        if audience_id in self.deleted or self.store.get_audience(account_id, audience_id) is None:
            return False
        self.deleted.add(audience_id)
        return True


def _refuse_the_list(keys: Mapping[str, str]) -> OnRequest:
    def refuse(exchange: Exchange) -> Answer | None:
        listing = (
            exchange.method in ("GET", "HEAD")
            and str(exchange.scope["path"]).rstrip("/") == "/v1/audiences"
        )
        if listing and account_of(exchange, keys) is not None:
            return envelope(exchange, 404, 1301, "Not found.")
        return None

    return refuse


@mutant(
    "PAGE-04",
    "the query operation answers 404 with the error envelope to a valid key (401 without one): a refused list",
)
def list_refused_with_404(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(create_app(store, keys), on_request=_refuse_the_list(keys))


@mutant("CRUD-05", "delete is soft: gone for get, update and delete, still listed")
def soft_delete(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(SoftDelete, store, keys)


# -- CRUD-01: valid creates refused, one account for all -------------------------------------------


def _space_in_a_contact_name(data: Mapping[str, Any]) -> bool:
    contacts = data.get("contacts")
    if not isinstance(contacts, list):
        return False
    names = [
        contact.get(field)
        for contact in contacts
        if isinstance(contact, dict)
        for field in ("first_name", "last_name")
    ]
    return any(isinstance(name, str) and " " in name for name in names)


@mutant(
    "CRUD-01", "a valid create whose contacts have a space in a name is refused (400, code 1304)"
)
def contact_names_with_a_space_refused(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def refuse(exchange: Exchange) -> Answer | None:
        if (
            exchange.method == "POST"
            and not exchange.segments
            and _space_in_a_contact_name(exchange.data())
        ):
            return envelope(exchange, 400, 1304, "Contact names may not contain spaces.")
        return None

    return Rewrite(create_app(store, keys), on_request=refuse)


ALL_ZEROS = "+0000000"  # '+' and 7 digits: valid, however unlikely as a phone number


@mutant("CRUD-01", "a valid create with the contact number '+0000000' is refused (400, code 1354)")
def all_zeros_number_refused(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def refuse(exchange: Exchange) -> Answer | None:
        contacts = exchange.data().get("contacts")
        numbers = (
            [contact.get("number") for contact in contacts if isinstance(contact, dict)]
            if isinstance(contacts, list)
            else []
        )
        if exchange.method == "POST" and not exchange.segments and ALL_ZEROS in numbers:
            return envelope(exchange, 400, 1354, "'data.contacts[].number' is not a phone number.")
        return None

    return Rewrite(create_app(store, keys), on_request=refuse)


CONSTANT_ACCOUNT = "acc-0000000000000001"


@mutant("CRUD-01", "every answer carries one constant account_id, whatever the key's account")
def constant_account_id(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def constant(item: dict[str, Any]) -> None:
        item["account_id"] = CONSTANT_ACCOUNT

    def every_object(exchange: Exchange, answer: Answer) -> None:
        document = answer.json()
        data = document.get("data") if isinstance(document, dict) else None
        items = data if isinstance(data, list) else [data]
        if any(isinstance(item, dict) and "account_id" in item for item in items):
            for item in items:
                if isinstance(item, dict) and "account_id" in item:
                    constant(item)
            answer.set_json(document)

    return Rewrite(create_app(store, keys), on_answer=every_object)


# -- CRUD-03: updates that change more than the name -----------------------------------------------


class ChannelMovable(Store):
    """The reference's store, with a way to move an audience to another channel."""

    def move_to_channel(self, account_id: str, audience_id: str, channel: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE audiences SET channel = ? WHERE account_id = ? AND id = ?",
                (channel, account_id, audience_id),
            )


@mutant("CRUD-03", "an update applies the channel of its body (a valid one), besides the name")
def update_applies_the_channel(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    """Only a valid update (200) moves the audience, to a channel the contract knows: the answer,
    get and the list all show the new channel, so only a comparison with what the audience was
    before the update sees the fault."""
    movable = behaving_as(store, ChannelMovable)

    def apply_channel(exchange: Exchange, answer: Answer) -> None:
        channel = exchange.data().get("channel")
        account = account_of(exchange, keys)
        if (
            exchange.method != "PUT"
            or len(exchange.segments) != 1
            or answer.status != 200
            or account is None
        ):
            return
        if not isinstance(channel, str) or channel.upper() not in CHANNELS:
            return
        movable.move_to_channel(account, exchange.segments[0], channel.upper())
        document = answer.json()
        document["data"]["channel"] = channel.upper()
        answer.set_json(document)

    return Rewrite(create_app(movable, keys), on_answer=apply_channel)


class CreateDateMovesOnUpdate(Store):
    def rename_audience(
        self, account_id: str, audience_id: str, name: str
    ) -> AudienceRecord | None:
        renamed = super().rename_audience(account_id, audience_id, name)
        if renamed is None:
            return None
        with self._transaction() as db:
            db.execute(
                "UPDATE audiences SET create_date = update_date WHERE account_id = ? AND id = ?",
                (account_id, audience_id),
            )
        return renamed._replace(create_date=renamed.update_date)


@mutant(
    "CRUD-03",
    "every update sets create_date to the time of the update (update_date stays >= create_date)",
)
def update_moves_the_create_date(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return over(CreateDateMovesOnUpdate, store, keys)
