"""Mutants whose every answer looks plausible on its own: each breaks one rule where a check that
only reads the shape of an answer, or only the suite's own audiences, would let it through.

Built with the parts of :mod:`mutation.mutants_errors` (a :class:`Rewrite` middleware over the
reference), except the dropped connection, which closes the socket under the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.reference.app import create_app
from conformance.reference.records import AudienceRecord
from conformance.reference.store import Store

from mutation.catalogue import mutant
from mutation.mutants_errors import (
    CHANNELS,
    Answer,
    Exchange,
    Rewrite,
    _each_audience,
    account_of,
    envelope,
    stored_when_refused,
)
from mutation.mutants_pagination import behaving_as

# -- CRUD-01 ---------------------------------------------------------------------------------


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


# -- CRUD-03 ---------------------------------------------------------------------------------


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
    return create_app(behaving_as(store, CreateDateMovesOnUpdate), keys)


# -- ROB-01 ----------------------------------------------------------------------------------

KNOWN_PARAMETERS = frozenset({"page_size", "page_token", "filter[channel]", "filter[search]"})


class DropOnUnknownParameter:
    """A request carrying a query parameter the server does not know is never answered: the
    connection is closed under it (a well-formed HTTP request, so ROB-01, not a 5xx, is broken)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = parse_qsl(
                scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
            )
            if any(name not in KNOWN_PARAMETERS for name, _ in query):
                receive.__self__.transport.abort()  # type: ignore[attr-defined]  # uvicorn's cycle holds the socket
                while (await receive())["type"] != "http.disconnect":
                    pass  # return once the server knows, so it does not answer a 500 on the dead socket
                return
        await self.app(scope, receive, send)


@mutant(
    "ROB-01",
    "a request with a query parameter the server does not know gets no answer: the connection is closed",
)
def unknown_parameter_drops_the_connection(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return DropOnUnknownParameter(create_app(store, keys))


# -- AUD-01 ----------------------------------------------------------------------------------


@mutant("AUD-01", "audiences carry no update_date")
def update_date_missing(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    return Rewrite(
        create_app(store, keys),
        on_answer=_each_audience(lambda item: item.pop("update_date", None)),
    )


# -- VAL-01 ----------------------------------------------------------------------------------


DRAFT = "draft"


@mutant(
    "VAL-01",
    "a create refused for a too-long name leaves a new audience behind, named 'draft' (the server's own name, not the one sent)",
)
def refused_create_leaves_a_draft(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    """Each refused create replaces the account's draft with a new one: a new id under one name of
    the server's own. On a shared account an audience of a name not the run's could be another
    client's; the same name appearing again on every try is the server's doing."""
    drafts: dict[str, str] = {}
    keep = stored_when_refused(store, keys, lambda name: DRAFT)

    def replace_draft(exchange: Exchange, answer: Answer) -> None:
        account = account_of(exchange, keys)
        if (
            account
            and account in drafts
            and exchange.method == "POST"
            and not exchange.segments
            and 1305 in answer.codes()
        ):
            store.delete_audience(account, drafts.pop(account))
        keep(exchange, answer)
        if account:
            found = next(
                (
                    audience.id
                    for audience in store.list_audiences(account, None, 0, 10_000)
                    if audience.name == DRAFT
                ),
                None,
            )
            if found is not None:
                drafts[account] = found

    return Rewrite(create_app(store, keys), on_answer=replace_draft)


# -- ERR-01 ----------------------------------------------------------------------------------


@mutant("ERR-01", "a 404 answers a flat {'code', 'message'} object, without 'errors'")
def not_found_without_errors(store: Store, keys: Mapping[str, str]) -> ASGIApp:
    def flatten(exchange: Exchange, answer: Answer) -> None:
        document = answer.json()
        errors = document.get("errors") if isinstance(document, dict) else None
        if (
            answer.status == 404
            and isinstance(errors, list)
            and errors
            and isinstance(errors[0], dict)
        ):
            answer.set_json({"code": errors[0].get("code"), "message": errors[0].get("message")})

    return Rewrite(create_app(store, keys), on_answer=flatten)
